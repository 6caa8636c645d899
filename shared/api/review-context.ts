// What a reviewer needs beside the claim to verify it: who the household is (head of household,
// members, village, roster status periods), the household's other claims of the same category in
// the claim's cap year, and how much of that year's cap is used. Only roles that review see it
// (and admin); the head's name is shown in full to them because verifying a household means
// recognising it, but the ID number stays masked: nobody verifies by reading it off a screen.
import { routeAccess, type Principal, type Role } from '#shared/access.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import type { ClaimState } from '#shared/claim-state.ts';
import { openStates as openGroup, paidStates as paidGroup, reviewStates } from '#shared/claim-groups.ts';
import { yearOf } from '#shared/dates.ts';
import { claimIdParam } from '#shared/api/claim-id.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { claimNotFound, ForbiddenError, StateConflictError } from '#shared/errors.ts';
import { maskIdNumber } from '#shared/resident-id.ts';
import { statusOn, type RosterPeriod } from '#shared/roster.ts';
import type { Member } from '#shared/members.ts';

/** The roles the route admits (shared/access.ts): the people who verify households, and admin. */
function verifies(principal: Principal): boolean {
  const access = routeAccess['get-review-context'];
  return Array.isArray(access) && principal.roles.some((r: Role) => access.includes(r));
}

/** A claim that went to review: waiting at a gate, or with gates routed or decided. */
function wentToReview(claim: ClaimRecord): boolean {
  return (
    reviewStates.includes(claim.state) ||
    Object.keys(claim.gates).length > 0 ||
    (claim.requiredGates?.length ?? 0) > 0
  );
}

const paidStates: ReadonlySet<ClaimState> = new Set(paidGroup);
/** States a claim may still be paid from (ERROR resumes where it stopped). */
const openStates: ReadonlySet<ClaimState> = new Set(openGroup);

/** Pages of a household's claims read at most: 200 each, far above any household's year. */
const MAX_PAGES = 20;

async function householdClaims(deps: Pick<ApiDeps, 'claims'>, claim: ClaimRecord): Promise<ClaimRecord[]> {
  if (!claim.householdId || !claim.category) return [];
  const found: ClaimRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const result = await deps.claims.list({
      householdId: claim.householdId,
      category: claim.category,
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    found.push(...result.items);
    cursor = result.cursor;
    if (!cursor) break;
  }
  return found;
}

function householdOf(
  periods: readonly RosterPeriod[],
  members: readonly Member[],
  expenseDate: string | null,
) {
  const sorted = [...periods].sort((a, b) => (a.statusFrom < b.statusFrom ? -1 : 1));
  const latest = sorted[sorted.length - 1];
  if (!latest) return null;
  const onExpense = expenseDate ? statusOn(sorted, expenseDate) : undefined;
  return {
    householdId: latest.householdId,
    region: latest.region,
    village: latest.village,
    // In full: only the roles that verify get here (checked above).
    headName: latest.headName,
    idNumber: maskIdNumber(latest.idNumber),
    // The roster's member count, and the members file's people where it was loaded: names in
    // full for the people who verify at the door, ID numbers masked like the head's.
    memberCount: latest.members,
    members: members.map((m) => ({ name: m.name, relation: m.relation, idNumber: maskIdNumber(m.idNumber) })),
    gridWorker: latest.gridWorker,
    // Each status period runs until the next one starts; the one covering the expense is marked.
    periods: sorted.map((p, i) => ({
      status: p.status,
      from: p.statusFrom,
      until: sorted[i + 1]?.statusFrom ?? null,
      coversExpense: onExpense !== undefined && onExpense.statusFrom === p.statusFrom,
    })),
  };
}

/** The review context of one claim; 404 for no claim, 409 for a claim that never went to review. */
export async function reviewContext(
  deps: Pick<ApiDeps, 'claims' | 'roster'>,
  principal: Principal,
  claimId: string,
) {
  // The route already admits only these roles; this keeps the rule when called from elsewhere,
  // and before the lookup, so a refused caller cannot tell which claim ids exist.
  if (!verifies(principal)) throw new ForbiddenError('FORBIDDEN', 'your role may not do this');
  const claim = await deps.claims.get(claimIdParam(claimId));
  if (!claim) throw claimNotFound();
  if (!wentToReview(claim)) {
    throw new StateConflictError('NOT_IN_REVIEW', 'this claim did not go to review', {
      params: { state: claim.state },
    });
  }
  const household = claim.householdId
    ? householdOf(
        await deps.roster.periods(claim.householdId),
        await deps.roster.members(claim.householdId),
        claim.expenseDate,
      )
    : null;

  const capYear = claim.assessment?.capYear ?? (claim.expenseDate ? yearOf(claim.expenseDate) : null);
  const others =
    capYear === null
      ? []
      : (await householdClaims(deps, claim))
          .filter((c) => c.claimId !== claim.claimId && c.expenseDate && yearOf(c.expenseDate) === capYear)
          .sort((a, b) => (a.filedAt < b.filedAt ? -1 : a.filedAt > b.filedAt ? 1 : 0))
          .map((c) => ({
            claimId: c.claimId,
            state: c.state,
            /** Found in the departments' data (no receipt), or filed with a receipt. */
            source: c.source ?? 'receipt',
            ...(c.reason ? { reason: c.reason } : {}),
            expenseDate: c.expenseDate,
            totalCostFen: c.totalCostFen,
            /** What it paid (PAID, DISBURSED, or a transfer that failed and is sent again), else null. */
            paidFen: paidStates.has(c.state) ? (c.payoutFen ?? c.assessment?.payoutFen ?? null) : null,
            /** What it is priced at while it may still be paid, else null (a rejected claim pays nothing). */
            estimateFen: openStates.has(c.state) ? (c.assessment?.payoutFen ?? null) : null,
            filedAt: c.filedAt,
          }));

  let cap: {
    year: number;
    capFen: number;
    usedFen: number;
    remainingFen: number;
    thisClaimFen: number;
  } | null = null;
  if (claim.assessment && claim.householdId && claim.category) {
    const a = claim.assessment;
    const usedFen = await deps.claims.capUsed(claim.householdId, a.capYear, claim.category);
    cap = {
      year: a.capYear,
      capFen: a.capFen,
      usedFen,
      remainingFen: Math.max(0, a.capFen - usedFen),
      thisClaimFen: claim.payoutFen ?? a.payoutFen,
    };
  }
  return { claimId: claim.claimId, category: claim.category, household, capYear, otherClaims: others, cap };
}
export type ReviewContext = Awaited<ReturnType<typeof reviewContext>>;

// Objections (异议) during a claim's public notice and the household's appeal (复核) against a
// review rejection: each sends the claim through its policy's review gates once more, decided by
// people who decided none of its gates before. The state change is written first, then the
// round's workflow run is started; a start that fails is left to the sweeper, so nothing is stuck.
import { maskDigitRuns } from '#shared/resident-id.ts';
import * as z from 'zod';
import type { Principal } from '#shared/access.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import { changeClaim } from '#shared/claim-change.ts';
import { chinaDate, daysBetween } from '#shared/dates.ts';
import { ForbiddenError, InvariantError, StateConflictError } from '#shared/errors.ts';
import { findPolicy, type Policy } from '#shared/policy.ts';
import type { ClaimStore, Clock, ReviewTasks, RosterStore } from '#shared/ports.ts';
import { routeForRound } from '#shared/review-routing.ts';
import { statusOn } from '#shared/roster.ts';
import { appealDeadline, reviewRoundOf } from '#shared/review-rounds.ts';
import { claimIdParam } from '#shared/api/claim-id.ts';
import { claimView } from '#shared/api/claims-api.ts';

export interface AppealDeps {
  readonly claims: ClaimStore;
  readonly roster: RosterStore;
  readonly reviews: ReviewTasks;
  readonly clock: Clock;
  readonly policies?: readonly Policy[];
}

/** What a person writes with an objection or an appeal. */
export const claimActBodySchema = z.object({ text: z.string().trim().min(1).max(500) }).strict();

function policyOf(claim: ClaimRecord, policies?: readonly Policy[]): Policy {
  const a = claim.assessment;
  const policy = a ? findPolicy(a.policyId, a.policyVersion, policies) : undefined;
  if (!policy || claim.category === null)
    throw new InvariantError('NO_POLICY', `claim ${claim.claimId} has no known policy`);
  return policy;
}

/** The round's gates and reasons, and the last round's decisions kept aside. */
function newRound(claim: ClaimRecord, policy: Policy, round: 'objection' | 'appeal') {
  const routed = routeForRound({
    policy,
    round,
    category: claim.category!,
    payoutFen: claim.payoutFen ?? claim.assessment?.payoutFen ?? 0,
    source: claim.source,
  });
  const earlier = Object.keys(claim.gates).length > 0 ? [claim.gates] : [];
  return {
    requiredGates: [...routed.requiredGates],
    reviewReasons: [...routed.reasons],
    earlierGates: [...(claim.earlierGates ?? []), ...earlier],
    gates: {},
    gateTokens: {},
  } satisfies Partial<ClaimRecord>;
}

/** Starts the round's run; false when that failed (the sweeper starts it later). */
async function startRound(deps: Pick<AppealDeps, 'reviews'>, claim: ClaimRecord): Promise<boolean> {
  try {
    await deps.reviews.start(claim.claimId, reviewRoundOf(claim));
    return true;
  } catch {
    return false;
  }
}

/**
 * A village verifier's or an admin's objection to a claim on public notice: back to review at
 * the gates of the policy's objection route. Sending the same objection again (a lost answer)
 * answers as before and makes sure the round's run is started.
 */
export async function objectToClaim(deps: AppealDeps, principal: Principal, claimId: string, body: unknown) {
  claimIdParam(claimId);
  // Kept on the claim and shown to every role: ID numbers and accounts typed in are masked.
  const text = maskDigitRuns(claimActBodySchema.parse(body).text);
  const { claim } = await changeClaim(deps, claimId, (claim, at) => {
    const last = claim.objections?.at(-1);
    if (claim.state === 'PENDING_REVIEW' && last?.by === principal.username && last.text === text)
      return { kind: 'keep', result: undefined };
    if (claim.state !== 'NOTICE')
      throw new StateConflictError('NOT_ON_NOTICE', `claim ${claimId} is ${claim.state}, not on notice`, {
        params: { state: claim.state },
      });
    const policy = policyOf(claim, deps.policies);
    const objections = [...(claim.objections ?? []), { by: principal.username, at, text }];
    return {
      kind: 'move',
      to: 'PENDING_REVIEW',
      actor: principal.username,
      detail: { code: 'OBJECTION_RAISED', params: { n: objections.length } },
      patch: { ...newRound(claim, policy, 'objection'), objections, noticeEndsAt: undefined },
      result: undefined,
    };
  });
  const reviewStarted = await startRound(deps, claim);
  return { claim: claimView(claim, deps.policies), reviewStarted };
}

/**
 * The household's grid worker today: the one its roster period in force names (a period dated
 * ahead hands the household over on that day, not before). A worker who filed the claim and was
 * since moved to other households no longer speaks for this one; a claim of no roster household
 * (or of none in force yet) is its filer's.
 */
async function isHouseholdsGridWorker(
  roster: RosterStore,
  claim: ClaimRecord,
  username: string,
  today: string,
): Promise<boolean> {
  if (claim.householdId === null) return claim.gridWorker === username;
  const current = statusOn(await roster.periods(claim.householdId), today);
  return current ? current.gridWorker === username : claim.gridWorker === username;
}

/**
 * The household's one appeal against a review rejection, filed by its grid worker within the
 * policy's appeal days: review again at the gates of the policy's appeal route. Filing the same
 * appeal again (a lost answer) answers as before and makes sure the round's run is started.
 */
export async function appealClaim(deps: AppealDeps, principal: Principal, claimId: string, body: unknown) {
  claimIdParam(claimId);
  // Kept on the claim and shown to every role: ID numbers and accounts typed in are masked.
  const text = maskDigitRuns(claimActBodySchema.parse(body).text);
  const history = await deps.claims.history(claimId);
  const { claim } = await changeClaim(deps, claimId, async (claim, at) => {
    // The same appeal sent again (a lost answer) answers as before, even after a handover.
    if (
      claim.appeal &&
      claim.state === 'APPEALED' &&
      claim.appeal.by === principal.username &&
      claim.appeal.text === text
    )
      return { kind: 'keep', result: undefined };
    if (!(await isHouseholdsGridWorker(deps.roster, claim, principal.username, chinaDate(new Date(at)))))
      throw new ForbiddenError('NOT_YOUR_HOUSEHOLD', "only the household's grid worker may appeal");
    if (claim.appeal) {
      throw new StateConflictError('ALREADY_APPEALED', `claim ${claimId} was appealed already`, {
        params: { state: claim.state },
      });
    }
    if (claim.state !== 'REJECTED' || claim.reason !== 'REVIEW_REJECTED')
      throw new StateConflictError(
        'NOT_APPEALABLE',
        `claim ${claimId} is ${claim.state}; only a review rejection may be appealed`,
        { params: { state: claim.state, ...(claim.reason ? { reason: claim.reason } : {}) } },
      );
    const policy = policyOf(claim, deps.policies);
    if (policy.appealDays <= 0)
      throw new StateConflictError('NO_APPEALS', `policy ${policy.policyId} takes no appeals`);
    const deadline = appealDeadline(claim, history, policy);
    // A rejection with no history line to count from (never written so) has no window to appeal in.
    if (!deadline)
      throw new StateConflictError('NOT_APPEALABLE', `claim ${claimId} has no review rejection on record`, {
        params: { state: claim.state },
      });
    if (daysBetween(deadline, chinaDate(new Date(at))) > 0)
      throw new StateConflictError('APPEAL_TOO_LATE', `the appeal period ended on ${deadline}`, {
        params: { deadline, days: policy.appealDays },
      });
    return {
      kind: 'move',
      to: 'APPEALED',
      actor: principal.username,
      detail: { code: 'APPEAL_FILED', params: {} },
      // The rejection's reason and note belong to the last round.
      patch: {
        ...newRound(claim, policy, 'appeal'),
        appeal: { by: principal.username, at, text },
        reason: undefined,
      },
      result: undefined,
    };
  });
  const reviewStarted = await startRound(deps, claim);
  return { claim: claimView(claim, deps.policies), reviewStarted };
}

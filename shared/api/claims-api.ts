// What the HTTP API does with claims, over the ports. Handlers only parse and map.
import type { Message } from '#shared/messages/render.ts';
import * as z from 'zod';
import type { ClaimRecord } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import { claimStateSchema } from '#shared/claim-state.ts';
import { isLimitedToOwnHouseholds, type Principal } from '#shared/access.ts';
import { categorySchema, findPolicy, gateIdSchema, type GateId, type Policy } from '#shared/policy.ts';
import { CLAIM_GRANT_SECONDS } from '#shared/claim-grant.ts';
import {
  claimIdSchema,
  householdIdSchema,
  isoDateSchema,
  usernameSchema,
  MAX_RECEIPT_BYTES,
  MAX_RECEIPTS,
  receiptContentTypes,
} from '#shared/manifest.ts';
import { parseYuan } from '#shared/money.ts';
import { checkGateDecision, gateRole, nextGate, requiredGatesOf } from '#shared/review-routing.ts';
import { appealDeadline, isInReview } from '#shared/review-rounds.ts';
import { statusOn, type RosterPeriod } from '#shared/roster.ts';
import {
  type ClaimStore,
  type Clock,
  type IdSource,
  type LedgerStore,
  type ReviewTasks,
  type RosterStore,
  type UploadGrant,
  type UploadSigner,
  type ExportStore,
  type ClaimWorkflows,
  type FeedStore,
} from '#shared/ports.ts';
import { readFeedRecords } from '#shared/feed-evidence.ts';
import { feedRecordKey, type FeedRecord } from '#shared/feed-record.ts';
import { claimIdParam } from '#shared/api/claim-id.ts';
import { changeClaim, type ClaimChange, type ClaimWriter } from '#shared/claim-change.ts';
import {
  ClaimBusyError,
  claimNotFound,
  ForbiddenError,
  InvalidInputError,
  InvariantError,
  NotFoundError,
  StateConflictError,
} from '#shared/errors.ts';

export interface ApiDeps {
  readonly claims: ClaimStore;
  readonly roster: RosterStore;
  readonly ledger: LedgerStore;
  readonly reviews: ReviewTasks;
  readonly uploads: UploadSigner;
  readonly exports: ExportStore;
  readonly workflows: ClaimWorkflows;
  readonly ids: IdSource;
  readonly clock: Clock;
  /** The policies claims were assessed under; the built-in ones unless given. */
  readonly policies?: readonly Policy[];
  /** The departments' records a data-feed claim is made of (absent: none shown). */
  readonly feeds?: Pick<FeedStore, 'records'>;
}

/** The policy a claim was assessed under (undefined before assessment). */
function policyOfClaim(claim: ClaimRecord, policies?: readonly Policy[]): Policy | undefined {
  return claim.assessment
    ? findPolicy(claim.assessment.policyId, claim.assessment.policyVersion, policies)
    : undefined;
}

/** A claim as the API shows it: never task tokens, never personal data (claims hold none). */
export function claimView(claim: ClaimRecord, policies?: readonly Policy[]) {
  const { gateTokens: _tokens, version: _version, bankFailure, ...rest } = claim;
  const policy = policyOfClaim(claim, policies);
  const inReview = isInReview(claim.state) || Object.keys(claim.gates).length > 0;
  // The failed account's hash stays in the store: a hash of a bank account can be guessed back.
  const { accountSha256: _account, ...failure } = bankFailure ?? {};
  return {
    ...rest,
    ...(bankFailure
      ? { bankFailure: failure as Omit<NonNullable<ClaimRecord['bankFailure']>, 'accountSha256'> }
      : {}),
    // By position, never by stored key: an S3 client may have named the file after a person.
    receipts: claim.receipts.map((r, i) => ({ n: i + 1, contentType: r.contentType, sha256: r.sha256 })),
    requiredGates: (inReview && policy ? requiredGatesOf(policy, claim) : claim.requiredGates) ?? [],
    nextGate: isInReview(claim.state) && policy ? (nextGate(policy, claim) ?? null) : null,
    reviewReasons: claim.reviewReasons ?? [],
  };
}
export type ClaimView = ReturnType<typeof claimView>;

function latestPeriod(periods: readonly RosterPeriod[]): RosterPeriod | undefined {
  return [...periods].sort((a, b) => (a.statusFrom < b.statusFrom ? 1 : -1))[0];
}

async function assignedTo(
  roster: RosterStore,
  householdId: string,
  username: string,
): Promise<RosterPeriod[] | undefined> {
  const periods = await roster.periods(householdId);
  return latestPeriod(periods)?.gridWorker === username ? periods : undefined;
}

/**
 * Grid workers reach only their own households' claims; 404 rather than 403 so ids do not leak.
 * The 404 never echoes the id asked for: a path typed by a person can hold anything, even an ID number.
 */
async function visibleClaim(
  deps: Pick<ApiDeps, 'claims' | 'roster'>,
  principal: Principal,
  claimId: string,
): Promise<ClaimRecord> {
  const claim = await deps.claims.get(claimIdParam(claimId));
  if (!claim) throw claimNotFound();
  if (isLimitedToOwnHouseholds(principal)) {
    const own =
      claim.gridWorker === principal.username ||
      claim.submittedBy === principal.username ||
      (claim.householdId !== null &&
        (await assignedTo(deps.roster, claim.householdId, principal.username)) !== undefined);
    if (!own) throw claimNotFound();
  }
  return claim;
}

/** A short-lived link to one receipt of a claim the caller may see. */
export async function receiptLink(
  deps: Pick<ApiDeps, 'claims' | 'roster' | 'uploads'>,
  principal: Principal,
  claimId: string,
  n: string,
) {
  const claim = await visibleClaim(deps, principal, claimId);
  const index = Number(n);
  const receipt = Number.isInteger(index) && index >= 1 ? claim.receipts[index - 1] : undefined;
  if (!receipt) throw new NotFoundError('NOT_FOUND', 'the claim has no such receipt');
  // The version validation judged, never whatever was uploaded under the key since.
  return {
    url: await deps.uploads.viewUrl(receipt.key, 5 * 60, receipt.versionId),
    contentType: receipt.contentType,
  };
}

export async function getClaim(
  deps: Pick<ApiDeps, 'claims' | 'roster' | 'policies' | 'feeds'>,
  principal: Principal,
  claimId: string,
) {
  const claim = await visibleClaim(deps, principal, claimId);
  // Whoever may see the claim sees its records: they hold no one's name or ID number.
  const { feedEvidence, duplicateRecords } = await feedRecordsOf(deps, claim);
  const history: HistoryEvent[] = await deps.claims.history(claimId);
  let household: { status: string; statusFrom: string; village: string } | null = null;
  if (claim.householdId && claim.expenseDate) {
    const period = statusOn(await deps.roster.periods(claim.householdId), claim.expenseDate);
    if (period) household = { status: period.status, statusFrom: period.statusFrom, village: period.village };
  }
  // The last day the household may appeal a review rejection (null: no appeal open to it).
  const appealUntil = appealDeadline(claim, history, policyOfClaim(claim, deps.policies)) ?? null;
  return {
    ...claimView(claim, deps.policies),
    source: claim.source ?? 'receipt',
    history,
    household,
    appealUntil,
    feedEvidence,
    duplicateRecords,
  };
}

/**
 * A data-feed claim's records (its evidence, in place of receipts), and the records a claim may
 * repeat (a receipt claim for a bill the department's data has too).
 */
async function feedRecordsOf(
  deps: Pick<ApiDeps, 'feeds'>,
  claim: ClaimRecord,
): Promise<{ feedEvidence: FeedRecord[]; duplicateRecords: FeedRecord[] }> {
  const own = claim.feedRecords ?? [];
  const named = (claim.possibleDuplicates ?? []).flatMap((d) =>
    d.recordKey !== undefined && !own.includes(d.recordKey) ? [d.recordKey] : [],
  );
  if (!deps.feeds || own.length + named.length === 0) return { feedEvidence: [], duplicateRecords: [] };
  const records = await readFeedRecords(deps.feeds, [...own, ...named]);
  const isOwn = (r: FeedRecord) => own.includes(feedRecordKey(r.kind, r.recordId));
  return { feedEvidence: records.filter(isOwn), duplicateRecords: records.filter((r) => !isOwn(r)) };
}

export const listClaimsQuerySchema = z.object({
  state: claimStateSchema.optional(),
  householdId: householdIdSchema.optional(),
  gridWorker: usernameSchema.optional(),
  village: z.string().min(1).max(100).optional(),
  category: categorySchema.optional(),
  from: isoDateSchema.optional(),
  to: isoDateSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
});

export async function listClaims(
  deps: Pick<ApiDeps, 'claims' | 'roster' | 'policies'>,
  principal: Principal,
  query: unknown,
) {
  const q = listClaimsQuerySchema.parse(query);
  const filter = isLimitedToOwnHouseholds(principal) ? { ...q, gridWorker: principal.username } : q;
  try {
    const page = await deps.claims.list(filter);
    return {
      items: page.items.map((c) => claimView(c, deps.policies)),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    };
  } catch (error) {
    if (error instanceof RangeError)
      throw new InvalidInputError('BAD_CURSOR', error.message, { cause: error });
    throw error;
  }
}

const yuanInput = z.string().superRefine((v, ctx) => {
  const parsed = parseYuan(v);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
});

export const createClaimBodySchema = z
  .object({
    householdId: householdIdSchema,
    /** A ULID the client made (a phone offline keeps it and asks for the grant once back online). */
    claimId: claimIdSchema.optional(),
    category: categorySchema.optional(),
    expenseDate: isoDateSchema.optional(),
    totalCost: yuanInput.optional(),
    reimbursed: yuanInput.optional(),
    receipts: z
      .array(
        z
          .object({
            contentType: z.enum(receiptContentTypes),
            extension: z.enum(['jpg', 'png', 'pdf']).optional(),
          })
          .strict(),
      )
      .max(MAX_RECEIPTS)
      .default([]),
  })
  .strict();

const extensions: Record<(typeof receiptContentTypes)[number], string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'application/pdf': 'pdf',
};

/** Upload forms live as long as the claim's grant. */
export const UPLOAD_GRANT_SECONDS = CLAIM_GRANT_SECONDS;

/**
 * Grants a claim for an assigned household: a claimId (the client's own ULID, or a new one),
 * the grant on record (household and filer, which the manifest must repeat), and upload forms
 * scoped to the claim's prefix. Asking again for the same claimId and household renews the
 * grant; nothing else about a claim is stored until its manifest arrives.
 */
export async function createClaim(
  deps: Pick<ApiDeps, 'claims' | 'roster' | 'uploads' | 'ids' | 'clock'>,
  principal: Principal,
  body: unknown,
) {
  const input = createClaimBodySchema.parse(body);
  if (!(await assignedTo(deps.roster, input.householdId, principal.username))) {
    throw new ForbiddenError('NOT_YOUR_HOUSEHOLD', `household ${input.householdId} is not assigned to you`, {
      params: { householdId: input.householdId },
    });
  }
  const claimId = input.claimId ?? deps.ids.next();
  if (input.claimId) {
    const { claim } = await deps.claims.grantAndClaim(claimId);
    if (claim) throw new StateConflictError('CLAIM_EXISTS', 'a claim with this claimId is already on record');
  }
  const now = deps.clock.now();
  const grant = {
    claimId,
    householdId: input.householdId,
    filer: principal.username,
    grantedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + CLAIM_GRANT_SECONDS * 1000).toISOString(),
  };
  const stored = await deps.claims.putGrant(grant);
  if (stored.householdId !== grant.householdId || stored.filer !== grant.filer) {
    throw new StateConflictError(
      'CLAIM_ID_TAKEN',
      'this claimId was granted to someone else; make a new one',
    );
  }
  const receipts: UploadGrant[] = [];
  for (const [i, r] of input.receipts.entries()) {
    const key = `claims/${claimId}/receipt-${i + 1}.${extensions[r.contentType]}`;
    receipts.push(await deps.uploads.grant(key, r.contentType, MAX_RECEIPT_BYTES, UPLOAD_GRANT_SECONDS));
  }
  const manifest = await deps.uploads.grant(
    `claims/${claimId}/manifest.json`,
    'application/json',
    64 * 1024,
    UPLOAD_GRANT_SECONDS,
  );
  return {
    claimId,
    prefix: `claims/${claimId}/`,
    expiresAt: grant.expiresAt,
    receipts,
    manifest,
    manifestTemplate: {
      schemaVersion: 1,
      claimId,
      householdId: input.householdId,
      ...(input.category ? { category: input.category } : {}),
      ...(input.expenseDate ? { expenseDate: input.expenseDate } : {}),
      ...(input.totalCost ? { totalCost: input.totalCost } : {}),
      reimbursed: input.reimbursed ?? '0',
      submittedBy: principal.username,
    },
  };
}

export const decideReviewBodySchema = z
  .object({
    gate: gateIdSchema,
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(1000).optional(),
  })
  .strict();

type Decided = { readonly repeated: boolean; readonly token: string | undefined };

/**
 * Records a gate decision (four-eyes: the claim's gates in order, once, never two gates by one
 * person), then resumes the waiting workflow. The claim record is written first: if the resume
 * is lost the workflow finds the decision when it next asks.
 */
export async function decideReview(
  deps: Pick<ApiDeps, 'claims' | 'roster' | 'reviews' | 'clock' | 'policies'>,
  principal: Principal,
  claimId: string,
  body: unknown,
) {
  claimIdParam(claimId);
  const input = decideReviewBodySchema.parse(body);
  const { claim, result } = await changeClaim(
    deps,
    claimId,
    async (claim, at): Promise<ClaimChange<Decided>> => {
      const token = claim.gateTokens[input.gate];
      const already = claim.gates[input.gate];
      if (already && already.by === principal.username && already.decision === input.decision) {
        // The same decision sent twice: answer as before, and make sure the workflow heard it.
        return { kind: 'keep', result: { repeated: true, token } };
      }
      if (!isInReview(claim.state)) {
        throw new StateConflictError(
          'NOT_IN_REVIEW',
          `claim ${claimId} is ${claim.state}, not waiting for review`,
          {
            params: { state: claim.state },
          },
        );
      }
      const policy = policyOfClaim(claim, deps.policies);
      if (!policy)
        throw new InvariantError('NO_POLICY', `claim ${claimId} is in review without a known policy`);
      const required = requiredGatesOf(policy, claim);
      const role = gateRole(policy, input.gate);
      if (!role || !required.includes(input.gate)) {
        throw new InvalidInputError(
          'UNKNOWN_GATE',
          `this claim has no ${input.gate} gate; its gates are ${required.join(', ')}`,
          {
            params: { gate: input.gate, gates: [...required] },
          },
        );
      }
      if (!principal.roles.includes(role)) {
        throw new ForbiddenError('WRONG_GATE', `the ${input.gate} gate is decided by the ${role} role`, {
          params: { gate: input.gate, role },
        });
      }
      // Separation of duties: the filer and the household's grid worker (on the claim, and now) decide nothing.
      const current = claim.householdId
        ? latestPeriod(await deps.roster.periods(claim.householdId))
        : undefined;
      const check = checkGateDecision(policy, claim, input.gate, principal.username, {
        filer: claim.submittedBy,
        gridWorkers: [claim.gridWorker, current?.gridWorker ?? null],
      });
      // Refusals of the person (independence, earlier rounds, objectors) are 403; of the gate, 409.
      if (!check.ok)
        throw check.code === 'GATE_REFUSED'
          ? new StateConflictError('GATE_REFUSED', check.error, { params: { gate: input.gate } })
          : new ForbiddenError(check.code, check.error, { params: { gate: input.gate } });

      const gates = {
        ...claim.gates,
        [input.gate]: {
          decision: input.decision,
          by: principal.username,
          at,
          ...(input.comment ? { comment: input.comment } : {}),
        },
      };
      const result = { repeated: false, token };
      // The reviewer's own words travel as a parameter; the rest is the catalog's.
      const noted = (code: string): Message =>
        input.comment
          ? { code: `${code}_COMMENT`, params: { gate: input.gate, comment: input.comment } }
          : { code, params: { gate: input.gate } };
      if (input.decision === 'reject') {
        return {
          kind: 'move',
          to: 'REJECTED',
          actor: principal.username,
          // A rejected appeal is final.
          reason: claim.state === 'APPEALED' ? 'APPEAL_REJECTED' : 'REVIEW_REJECTED',
          detail: noted('GATE_REJECTED'),
          patch: { gates },
          result,
        };
      }
      if (nextGate(policy, { ...claim, gates }) === undefined) {
        return {
          kind: 'move',
          to: 'APPROVED',
          actor: principal.username,
          detail: { code: 'ALL_GATES_APPROVED', params: { count: required.length } },
          patch: { gates },
          result,
        };
      }
      return {
        kind: 'patch',
        patch: { gates },
        note: { actor: principal.username, detail: noted('GATE_APPROVED') },
        result,
      };
    },
  );
  if (result.token) await resume(deps, result.token, claimId, input.gate, input.decision);
  return { claim: claimView(claim, deps.policies), repeated: result.repeated };
}

async function resume(
  deps: Pick<ApiDeps, 'reviews'>,
  token: string,
  claimId: string,
  gate: GateId,
  decision: 'approve' | 'reject',
) {
  // A token already used or timed out is no error: the workflow re-asks and finds the decision.
  await deps.reviews.succeed(token, { claimId, gate, decision });
}

export const markDisbursedBodySchema = z
  .object({
    claimIds: z
      .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'claimIds: each a claim id (a ULID)'))
      .min(1)
      .max(1000),
    batchRef: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'batchRef: letters, digits and _ . : - only'),
  })
  .strict();

/**
 * Finance confirms the bank transfer of a batch: PAID -> DISBURSED, with the bank's reference.
 * The claim and its ledger entry change in one transaction, so they can never name different
 * batches. Sending the same batch again changes nothing; a claim already disbursed under another
 * reference is a 409 naming the one on record (checked for the whole batch before anything
 * changes, and again for each claim as it is written).
 */
export async function markDisbursed(
  deps: Pick<ApiDeps, 'claims' | 'clock'>,
  principal: Principal,
  body: unknown,
) {
  const input = markDisbursedBodySchema.parse(body);
  const ids = [...new Set(input.claimIds)];
  const elsewhere = (claim: ClaimRecord | undefined) =>
    claim?.state === 'DISBURSED' && claim.disbursement && claim.disbursement.batchRef !== input.batchRef
      ? { claimId: claim.claimId, batchRef: claim.disbursement.batchRef }
      : undefined;
  for (const claimId of ids) {
    const clash = elsewhere(await deps.claims.get(claimId));
    if (clash) throw disbursedElsewhere(clash, []);
  }
  const disbursed: string[] = [];
  const repeated: string[] = [];
  /** `why` in English for programs; `reason` as a message code for people. */
  const skipped: { claimId: string; why: string; reason: Message }[] = [];
  // The claim and its ledger entry change in one transaction; a lost race is decided again.
  const write: ClaimWriter = async (next, expectedVersion, event) => {
    if (!event) throw new Error('a disbursement is a state change: it has its history event');
    await deps.claims.recordDisbursement(next, expectedVersion, event);
    return true;
  };
  for (const claimId of ids) {
    let outcome: 'disbursed' | 'repeated' | { why: string; reason: Message };
    try {
      ({ result: outcome } = await changeClaim(
        deps,
        claimId,
        (claim, at): ClaimChange<typeof outcome> => {
          const clash = elsewhere(claim);
          // Another request with another reference won the race for this claim.
          if (clash) throw disbursedElsewhere(clash, disbursed);
          if (claim.state === 'DISBURSED') return { kind: 'keep', result: 'repeated' };
          if (claim.state !== 'PAID')
            return {
              kind: 'keep',
              result: {
                why: `claim is ${claim.state}, not PAID`,
                reason: { code: 'SKIP_NOT_PAID', params: { state: claim.state } },
              },
            };
          return {
            kind: 'move',
            to: 'DISBURSED',
            actor: principal.username,
            detail: { code: 'DISBURSED_IN_BATCH', params: { batchRef: input.batchRef } },
            patch: { disbursement: { batchRef: input.batchRef, at, by: principal.username } },
            result: 'disbursed',
          };
        },
        { write },
      ));
    } catch (error) {
      if (error instanceof NotFoundError)
        outcome = { why: 'no such claim', reason: { code: 'SKIP_NO_CLAIM', params: {} } };
      else if (error instanceof ClaimBusyError)
        outcome = {
          why: 'the claim kept changing; send the batch again',
          reason: { code: 'SKIP_BUSY', params: {} },
        };
      else throw error;
    }
    if (outcome === 'disbursed') disbursed.push(claimId);
    else if (outcome === 'repeated') repeated.push(claimId);
    else skipped.push({ claimId, ...outcome });
  }
  return { batchRef: input.batchRef, disbursed, repeated, skipped };
}

function disbursedElsewhere(clash: { claimId: string; batchRef: string }, disbursed: readonly string[]) {
  return new StateConflictError(
    'DISBURSED_ELSEWHERE',
    `claim ${clash.claimId} was already disbursed in batch ${clash.batchRef}`,
    { params: { claimId: clash.claimId, batchRef: clash.batchRef, disbursed: [...disbursed] } },
  );
}

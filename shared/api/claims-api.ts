// What the HTTP API does with claims, over the ports. Handlers only parse and map.
import * as z from 'zod';
import type { ClaimRecord } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import { claimStateSchema } from '#shared/claim-state.ts';
import { gateRoles, isLimitedToOwnHouseholds, type Principal } from '#shared/access.ts';
import { categorySchema, findPolicy, reviewGateSchema, type ReviewGate } from '#shared/policy.ts';
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
import { checkGateDecision, nextGate } from '#shared/review-routing.ts';
import { statusOn, type RosterPeriod } from '#shared/roster.ts';
import {
  ConflictError,
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
} from '#shared/ports.ts';
import { claimIdParam, HttpError } from '#shared/api/http-error.ts';
import { moveClaim } from '#shared/workflow/steps.ts';

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
}

/** A claim as the API shows it: never task tokens, never personal data (claims hold none). */
export function claimView(claim: ClaimRecord) {
  const { gateTokens: _tokens, version: _version, ...rest } = claim;
  const policy = claim.assessment
    ? findPolicy(claim.assessment.policyId, claim.assessment.policyVersion)
    : undefined;
  const decided = Object.keys(claim.gates) as ReviewGate[];
  return {
    ...rest,
    // By position, never by stored key: an S3 client may have named the file after a person.
    receipts: claim.receipts.map((r, i) => ({ n: i + 1, contentType: r.contentType, sha256: r.sha256 })),
    nextGate: claim.state === 'PENDING_REVIEW' && policy ? (nextGate(policy, decided) ?? null) : null,
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
async function visibleClaim(deps: ApiDeps, principal: Principal, claimId: string): Promise<ClaimRecord> {
  const claim = await deps.claims.get(claimIdParam(claimId));
  if (!claim) throw new HttpError(404, 'NOT_FOUND', 'no such claim');
  if (isLimitedToOwnHouseholds(principal)) {
    const own =
      claim.gridWorker === principal.username ||
      claim.submittedBy === principal.username ||
      (claim.householdId !== null &&
        (await assignedTo(deps.roster, claim.householdId, principal.username)) !== undefined);
    if (!own) throw new HttpError(404, 'NOT_FOUND', 'no such claim');
  }
  return claim;
}

/** A short-lived link to one receipt of a claim the caller may see. */
export async function receiptLink(deps: ApiDeps, principal: Principal, claimId: string, n: string) {
  const claim = await visibleClaim(deps, principal, claimId);
  const index = Number(n);
  const receipt = Number.isInteger(index) && index >= 1 ? claim.receipts[index - 1] : undefined;
  if (!receipt) throw new HttpError(404, 'NOT_FOUND', 'the claim has no such receipt');
  // The version validation judged, never whatever was uploaded under the key since.
  return {
    url: await deps.uploads.viewUrl(receipt.key, 5 * 60, receipt.versionId),
    contentType: receipt.contentType,
  };
}

export async function getClaim(deps: ApiDeps, principal: Principal, claimId: string) {
  const claim = await visibleClaim(deps, principal, claimId);
  const history: HistoryEvent[] = await deps.claims.history(claimId);
  let household: { status: string; statusFrom: string; village: string } | null = null;
  if (claim.householdId && claim.expenseDate) {
    const period = statusOn(await deps.roster.periods(claim.householdId), claim.expenseDate);
    if (period) household = { status: period.status, statusFrom: period.statusFrom, village: period.village };
  }
  return { ...claimView(claim), history, household };
}

export const listClaimsQuerySchema = z.object({
  state: claimStateSchema.optional(),
  householdId: householdIdSchema.optional(),
  gridWorker: usernameSchema.optional(),
  category: categorySchema.optional(),
  from: isoDateSchema.optional(),
  to: isoDateSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
});

export async function listClaims(deps: ApiDeps, principal: Principal, query: unknown) {
  const q = listClaimsQuerySchema.parse(query);
  const filter = isLimitedToOwnHouseholds(principal) ? { ...q, gridWorker: principal.username } : q;
  try {
    const page = await deps.claims.list(filter);
    return { items: page.items.map(claimView), ...(page.cursor ? { cursor: page.cursor } : {}) };
  } catch (error) {
    if (error instanceof RangeError) throw new HttpError(400, 'BAD_CURSOR', error.message);
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
export async function createClaim(deps: ApiDeps, principal: Principal, body: unknown) {
  const input = createClaimBodySchema.parse(body);
  if (!(await assignedTo(deps.roster, input.householdId, principal.username))) {
    throw new HttpError(403, 'NOT_YOUR_HOUSEHOLD', `household ${input.householdId} is not assigned to you`);
  }
  const claimId = input.claimId ?? deps.ids.next();
  if (input.claimId) {
    const { claim } = await deps.claims.grantAndClaim(claimId);
    if (claim) throw new HttpError(409, 'CLAIM_EXISTS', 'a claim with this claimId is already on record');
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
    throw new HttpError(409, 'CLAIM_ID_TAKEN', 'this claimId was granted to someone else; make a new one');
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
    gate: reviewGateSchema,
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(1000).optional(),
  })
  .strict();

/**
 * Records a gate decision (four-eyes: in order, once, never two gates by one person), then
 * resumes the waiting workflow. The claim record is written first: if the resume is lost the
 * workflow finds the decision when it next asks.
 */
export async function decideReview(deps: ApiDeps, principal: Principal, claimId: string, body: unknown) {
  claimIdParam(claimId);
  const input = decideReviewBodySchema.parse(body);
  if (!principal.roles.includes(gateRoles[input.gate])) {
    throw new HttpError(
      403,
      'WRONG_GATE',
      `the ${input.gate} gate is decided by the ${gateRoles[input.gate]} role`,
    );
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const claim = await deps.claims.get(claimId);
    if (!claim) throw new HttpError(404, 'NOT_FOUND', 'no such claim');
    const already = claim.gates[input.gate];
    if (already && already.by === principal.username && already.decision === input.decision) {
      // The same decision sent twice: answer as before, and make sure the workflow heard it.
      const token = claim.gateTokens[input.gate];
      if (token) await resume(deps, token, claimId, input.gate, input.decision);
      return { claim: claimView(claim), repeated: true };
    }
    if (claim.state !== 'PENDING_REVIEW') {
      throw new HttpError(409, 'NOT_IN_REVIEW', `claim ${claimId} is ${claim.state}, not waiting for review`);
    }
    const policy = claim.assessment
      ? findPolicy(claim.assessment.policyId, claim.assessment.policyVersion)
      : undefined;
    if (!policy) throw new Error(`claim ${claimId} is in review without a known policy`);
    const decided = Object.entries(claim.gates).map(([gate, d]) => ({ gate: gate as ReviewGate, by: d.by }));
    // Separation of duties: the filer and the household's grid worker (on the claim, and now) decide nothing.
    const current = claim.householdId
      ? latestPeriod(await deps.roster.periods(claim.householdId))
      : undefined;
    const check = checkGateDecision(policy, decided, input.gate, principal.username, {
      filer: claim.submittedBy,
      gridWorkers: [claim.gridWorker, current?.gridWorker ?? null],
    });
    if (!check.ok)
      throw check.involved
        ? new HttpError(403, 'NOT_INDEPENDENT', check.error)
        : new HttpError(409, 'GATE_REFUSED', check.error);

    const at = deps.clock.now().toISOString();
    const gates = {
      ...claim.gates,
      [input.gate]: {
        decision: input.decision,
        by: principal.username,
        at,
        ...(input.comment ? { comment: input.comment } : {}),
      },
    };
    const last = nextGate(policy, Object.keys(gates) as ReviewGate[]) === undefined;
    let next: ClaimRecord;
    let event: HistoryEvent;
    if (input.decision === 'reject') {
      ({ next, event } = moveClaim(
        claim,
        {
          to: 'REJECTED',
          actor: principal.username,
          reason: 'REVIEW_REJECTED',
          detail: `rejected at the ${input.gate} gate${input.comment ? `: ${input.comment}` : ''}`,
        },
        at,
        { gates },
      ));
    } else if (last) {
      ({ next, event } = moveClaim(
        claim,
        { to: 'APPROVED', actor: principal.username, detail: `all three gates approved` },
        at,
        { gates },
      ));
    } else {
      next = { ...claim, gates, updatedAt: at, version: claim.version + 1 };
      event = {
        at,
        from: 'PENDING_REVIEW',
        to: 'PENDING_REVIEW',
        actor: principal.username,
        detail: `${input.gate} gate approved${input.comment ? `: ${input.comment}` : ''}`,
      };
    }
    try {
      await deps.claims.update(next, claim.version, event);
    } catch (error) {
      if (error instanceof ConflictError) continue;
      throw error;
    }
    const token = claim.gateTokens[input.gate];
    if (token) await resume(deps, token, claimId, input.gate, input.decision);
    return { claim: claimView(next), repeated: false };
  }
  throw new HttpError(409, 'BUSY', 'the claim is changing; try again');
}

async function resume(
  deps: ApiDeps,
  token: string,
  claimId: string,
  gate: ReviewGate,
  decision: 'approve' | 'reject',
) {
  try {
    await deps.reviews.succeed(token, { claimId, gate, decision });
  } catch (error) {
    // A token already used or timed out: the workflow re-asks and finds the recorded decision.
    const name = error instanceof Error ? error.name : '';
    if (!['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'].includes(name)) throw error;
  }
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
  const at = deps.clock.now().toISOString();
  const disbursed: string[] = [];
  const repeated: string[] = [];
  const skipped: { claimId: string; why: string }[] = [];
  for (const claimId of ids) {
    let done = false;
    for (let attempt = 0; attempt < 5 && !done; attempt++) {
      const claim = await deps.claims.get(claimId);
      if (!claim) {
        skipped.push({ claimId, why: 'no such claim' });
        break;
      }
      const clash = elsewhere(claim);
      // Another request with another reference won the race for this claim.
      if (clash) throw disbursedElsewhere(clash, disbursed);
      if (claim.state === 'DISBURSED') {
        repeated.push(claimId);
        break;
      }
      if (claim.state !== 'PAID') {
        skipped.push({ claimId, why: `claim is ${claim.state}, not PAID` });
        break;
      }
      const { next, event } = moveClaim(
        claim,
        { to: 'DISBURSED', actor: principal.username, detail: `bank batch ${input.batchRef}` },
        at,
        { disbursement: { batchRef: input.batchRef, at, by: principal.username } },
      );
      try {
        await deps.claims.recordDisbursement(next, claim.version, event);
        disbursed.push(claimId);
        done = true;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }
  return { batchRef: input.batchRef, disbursed, repeated, skipped };
}

function disbursedElsewhere(clash: { claimId: string; batchRef: string }, disbursed: readonly string[]) {
  return new HttpError(
    409,
    'DISBURSED_ELSEWHERE',
    `claim ${clash.claimId} was already disbursed in batch ${clash.batchRef}`,
    { claimId: clash.claimId, batchRef: clash.batchRef, disbursed },
  );
}

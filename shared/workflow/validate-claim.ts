// Step 1: read the manifest and its receipts, and put the claim on record. Whatever arrives,
// a claim record comes out (rejected if need be) and the uploaded objects stay where they are.
import {
  claimIdFromManifestKey,
  MAX_RECEIPT_BYTES,
  parseManifest,
  type ClaimFacts,
} from '#shared/manifest.ts';
import { receiptProblem } from '#shared/receipt-check.ts';
import { blankClaim, isUnjudgedPlaceholder, type ClaimRecord } from '#shared/claim.ts';
import type { HistoryEvent, RejectionReason } from '#shared/claim-state.ts';
import { outcomeForState, SYSTEM_ACTOR, type StepDeps, type StepResult } from '#shared/workflow/steps.ts';
import { statusOn } from '#shared/roster.ts';
import { sha256Hex } from '#shared/hash.ts';
import { changeClaim, type ClaimChange } from '#shared/claim-change.ts';
import { grantProblem, type ClaimGrant } from '#shared/claim-grant.ts';
import type { Message } from '#shared/messages/render.ts';

export interface ValidateInput {
  readonly bucket: string;
  readonly key: string;
  /** When the manifest was stored (the event's time); the claim's filing time. */
  readonly time?: string;
}

/** Manifests are small JSON documents; anything bigger is not a manifest. */
export const MAX_MANIFEST_BYTES = 64 * 1024;

export type ValidateResult =
  StepResult | { readonly claimId: null; readonly outcome: 'ignored'; readonly detail: string };

type ValidateDeps = Pick<StepDeps, 'claims' | 'receipts' | 'roster' | 'clock'>;

export async function validateClaim(deps: ValidateDeps, input: ValidateInput): Promise<ValidateResult> {
  const claimId = claimIdFromManifestKey(input.key);
  if (!claimId) {
    return { claimId: null, outcome: 'ignored', detail: 'object key is not claims/<claimId>/manifest.json' };
  }
  // The grant is needed to judge the manifest, and the claim's record tells a repeat (a
  // redelivered event, a manifest posted again) from a first arrival: both in one read, so a
  // repeat costs that read and nothing else (no manifest read, no receipt hashing).
  const { grant, claim: existing } = await deps.claims.grantAndClaim(claimId);
  if (existing && !isPlaceholder(existing)) return { claimId, outcome: outcomeForState(existing.state) };
  const manifest = await readManifest(deps, input.key);
  if (!manifest.tooLarge && !manifest.bytes) {
    // The event said it exists; a missing object is an eventual-consistency blip or a fault.
    throw new Error(`manifest of claim ${claimId} is not readable`);
  }
  // mark-error leaves a blank record when validation died before writing one; once an operator
  // retries it (ERROR -> RECEIVED) it is validated here, or it would stay blank forever.
  const first = await validateManifest(deps, claimId, input, manifest, grant, existing);
  if (!('existing' in first)) return first;
  if (isPlaceholder(first.existing)) {
    const filled = await validateManifest(deps, claimId, input, manifest, grant, first.existing);
    if (!('existing' in filled)) return filled;
    return { claimId, outcome: outcomeForState(filled.existing.state) };
  }
  // Another delivery of the same event got there first: follow what it recorded.
  return { claimId, outcome: outcomeForState(first.existing.state) };
}

/** A create refused because a record exists: the caller decides what that record means. */
type Recorded = StepResult | { readonly existing: ClaimRecord };

async function validateManifest(
  deps: ValidateDeps,
  claimId: string,
  input: ValidateInput,
  manifest:
    { readonly tooLarge: true } | { readonly tooLarge: false; readonly bytes: Uint8Array | undefined },
  grant: ClaimGrant | undefined,
  placeholder?: ClaimRecord,
): Promise<Recorded> {
  const filedAt = placeholder?.filedAt ?? validTime(input.time) ?? deps.clock.now().toISOString();
  if (manifest.tooLarge) {
    return record(
      deps,
      blankClaim(claimId, filedAt),
      'INVALID_MANIFEST',
      { code: 'MANIFEST_TOO_LARGE', params: { maxKb: MAX_MANIFEST_BYTES / 1024 } },
      placeholder,
    );
  }
  const { bytes } = manifest;
  if (!bytes) throw new Error(`manifest of claim ${claimId} is not readable`);

  const parsed = parseManifest(bytes, input.key);
  if (!parsed.ok) {
    // Hashed even unread: a later upload over it can be told from its own (late) event.
    const unreadable = { ...blankClaim(claimId, filedAt), manifestSha256: await sha256Hex(bytes) };
    return record(deps, unreadable, 'INVALID_MANIFEST', parsed.detail, placeholder);
  }
  // Only what the grant allowed becomes a claim; anything else is kept on record, refused.
  const refused = grantProblem(grant, parsed.facts, filedAt);
  if (refused) {
    // On record under the household and the person the grant names (who really filed it), never
    // under whatever the manifest says; with no grant, under nobody.
    const hash = await sha256Hex(bytes);
    const claim = grant
      ? await claimFromFacts(
          deps,
          { ...parsed.facts, householdId: grant.householdId, submittedBy: grant.filer },
          filedAt,
          hash,
        )
      : { ...blankClaim(claimId, filedAt), manifestSha256: hash };
    return record(deps, claim, 'INVALID_MANIFEST', refused, placeholder);
  }

  // The roster lookup and the receipt inspections are independent of each other as well.
  const [claim, inspections] = await Promise.all([
    sha256Hex(bytes).then((hash) => claimFromFacts(deps, parsed.facts, filedAt, hash)),
    Promise.all(parsed.facts.receipts.map((ref) => deps.receipts.inspect(ref.key, MAX_RECEIPT_BYTES))),
  ]);
  // The note names the first bad receipt (in manifest order): one thing to fix, then upload again.
  let problem: Message | undefined;
  const hashes = new Map<string, number>();
  for (const [i, ref] of parsed.facts.receipts.entries()) {
    const other = hashes.get(ref.sha256);
    problem =
      receiptProblem(ref, inspections[i], i + 1) ??
      (other === undefined ? undefined : { code: 'RECEIPT_SAME_FILE', params: { n: i + 1, other } });
    if (problem) break;
    hashes.set(ref.sha256, i + 1);
  }
  if (problem) return record(deps, claim, 'INVALID_RECEIPT', problem, placeholder);
  // Pinned: the versions hashed here are what every later step, link and review sees.
  const pinned = {
    ...claim,
    receipts: claim.receipts.map((r, i) => {
      const versionId = inspections[i]?.versionId;
      return versionId ? { ...r, versionId } : r;
    }),
  };
  return record(deps, pinned, undefined, undefined, placeholder);
}

async function readManifest(
  deps: ValidateDeps,
  key: string,
): Promise<
  { readonly tooLarge: true } | { readonly tooLarge: false; readonly bytes: Uint8Array | undefined }
> {
  try {
    return { tooLarge: false, bytes: await deps.receipts.read(key, MAX_MANIFEST_BYTES) };
  } catch (error) {
    if (error instanceof Error && error.name === 'TooLargeError') return { tooLarge: true };
    throw error;
  }
}

async function record(
  deps: ValidateDeps,
  claim: ClaimRecord,
  reason?: RejectionReason,
  detail?: Message,
  placeholder?: ClaimRecord,
): Promise<Recorded> {
  if (placeholder) return fillPlaceholder(deps, claim, reason, detail);
  const received: HistoryEvent = {
    at: claim.filedAt,
    from: null,
    to: 'RECEIVED',
    actor: claim.submittedBy ?? 'unknown',
  };
  const events: HistoryEvent[] = [received];
  let stored = claim;
  if (reason) {
    const at = deps.clock.now().toISOString();
    events.push({
      at,
      from: 'RECEIVED',
      to: 'REJECTED',
      actor: SYSTEM_ACTOR,
      reason,
      ...(detail ? { detail } : {}),
    });
    stored = { ...claim, state: 'REJECTED', reason, ...(detail ? { detail } : {}), updatedAt: at };
  }
  const created = await deps.claims.create(stored, events);
  if (!created) {
    const existing = await deps.claims.get(claim.claimId);
    return existing ? { existing } : { claimId: claim.claimId, outcome: 'skip' };
  }
  return { claimId: claim.claimId, outcome: reason ? 'rejected' : 'continue' };
}

/** A record mark-error wrote for a claim whose manifest was never read, put back to RECEIVED. */
function isPlaceholder(claim: ClaimRecord): boolean {
  return claim.state === 'RECEIVED' && isUnjudgedPlaceholder(claim);
}

/** Puts the judged record in the placeholder's place (all of it), unless it was filled meanwhile. */
async function fillPlaceholder(
  deps: ValidateDeps,
  claim: ClaimRecord,
  reason?: RejectionReason,
  detail?: Message,
): Promise<StepResult> {
  const { result } = await changeClaim(deps, claim.claimId, (now): ClaimChange<StepResult> => {
    // Another delivery filled it first: follow what it recorded.
    if (!isPlaceholder(now))
      return { kind: 'keep', result: { claimId: now.claimId, outcome: outcomeForState(now.state) } };
    // Nothing of the placeholder stays (its fault detail included) but when it was created.
    const cleared = Object.fromEntries(Object.keys(now).map((key) => [key, undefined]));
    const patch: Partial<ClaimRecord> = { ...cleared, ...claim, createdAt: now.createdAt };
    // Its history already says RECEIVED (and ERROR, and the retry): only a rejection is new.
    return reason
      ? {
          kind: 'move',
          to: 'REJECTED',
          actor: SYSTEM_ACTOR,
          reason,
          ...(detail ? { detail } : {}),
          patch,
          result: { claimId: now.claimId, outcome: 'rejected' },
        }
      : { kind: 'patch', patch, result: { claimId: now.claimId, outcome: 'continue' } };
  });
  return result;
}

async function claimFromFacts(
  deps: ValidateDeps,
  facts: ClaimFacts,
  filedAt: string,
  manifestSha256: string,
): Promise<ClaimRecord> {
  // The roster says whose household it is; the assessment re-reads it for the expense date.
  const periods = await deps.roster.periods(facts.householdId);
  const period = (facts.expenseDate && statusOn(periods, facts.expenseDate)) || latest(periods);
  return {
    ...blankClaim(facts.claimId, filedAt),
    householdId: facts.householdId,
    category: facts.category,
    expenseDate: facts.expenseDate,
    totalCostFen: facts.totalCostFen,
    reimbursedFen: facts.reimbursedFen,
    receipts: [...facts.receipts],
    submittedBy: facts.submittedBy,
    gridWorker: period?.gridWorker ?? null,
    region: period?.region ?? null,
    village: period?.village ?? null,
    manifestSha256,
  };
}

function latest<T extends { statusFrom: string }>(periods: readonly T[]): T | undefined {
  return [...periods].sort((a, b) => (a.statusFrom < b.statusFrom ? 1 : -1))[0];
}

function validTime(time: string | undefined): string | undefined {
  if (!time) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

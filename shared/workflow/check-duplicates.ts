// Step 2: the same bill may back only one live claim.
// - The same bytes: DUPLICATE_RECEIPT, naming the claim that has them. A receipt on a claim that
//   was rejected can be filed again (the household deserves its second chance).
// - The same bill photographed again, recompressed, resized or cropped (a perceptual fingerprint
//   of the image), or a claim with the same category, expense date and total cost as another
//   live claim of the household: never paid automatically. The claim goes to review with the
//   other claim named beside it; people decide.
// An image the fingerprinter cannot decode (a photo cut off mid-upload) is INVALID_RECEIPT.
// A department's record (医保结算, 学费) and a receipt claim for the same bill are a possible
// duplicate too, whichever came first: a receipt claim is compared with the household's feed
// records, a data-feed claim (no receipts, nothing to hash) with the household's receipt claims.
import type { Note } from '#shared/messages/render.ts';
import type { ClaimRecord, PossibleDuplicate } from '#shared/claim.ts';
import { MAX_RECEIPT_BYTES } from '#shared/manifest.ts';
import { sha256Hex } from '#shared/hash.ts';
import { ConflictError, type ClaimEvidence } from '#shared/ports.ts';
import { feedRecordFacts, feedRecordKey, type FeedRecord } from '#shared/feed-record.ts';
import { readFeedRecords } from '#shared/feed-evidence.ts';
import { NEAR_DUPLICATE_MIN_SCORE, parseFingerprint, similarity } from '#shared/receipt-fingerprint.ts';
import { changeClaim, type ClaimChange } from '#shared/claim-change.ts';
import {
  mustGet,
  outcomeForState,
  SYSTEM_ACTOR,
  type StepDeps,
  type StepResult,
} from '#shared/workflow/steps.ts';

type CheckDuplicatesDeps = Pick<StepDeps, 'claims' | 'receipts' | 'fingerprints' | 'clock' | 'feeds'>;

export async function checkDuplicates(
  deps: CheckDuplicatesDeps,
  input: { claimId: string },
): Promise<StepResult> {
  const claim = await mustGet(deps.claims, input.claimId);
  if (claim.state !== 'RECEIVED') return { claimId: claim.claimId, outcome: outcomeForState(claim.state) };
  if (claim.source === 'data-feed') return checkFeedClaim(deps, claim);

  for (const [i, receipt] of claim.receipts.entries()) {
    const owner = await ownerAfterRegistering(deps, receipt.sha256, claim.claimId);
    if (owner !== claim.claimId) {
      return reject(deps, claim, 'DUPLICATE_RECEIPT', {
        code: 'RECEIPT_ON_OTHER_CLAIM',
        params: { n: i + 1, claimId: owner },
      });
    }
  }
  if (!claim.householdId || claim.category === null || claim.totalCostFen === null) {
    return { claimId: claim.claimId, outcome: 'continue' };
  }

  const fingerprints: string[] = [];
  for (const [i, receipt] of claim.receipts.entries()) {
    const bytes = await deps.receipts.read(receipt.key, MAX_RECEIPT_BYTES, receipt.versionId);
    if (!bytes) throw new Error(`receipt ${i + 1} of claim ${claim.claimId} is no longer readable`);
    // Where the store keeps no versions, the judged bytes are checked instead (the local emulator
    // refuses overwrites of judged files; this catches one racing validation).
    if (!receipt.versionId && (await sha256Hex(bytes)) !== receipt.sha256) {
      return reject(deps, claim, 'INVALID_RECEIPT', { code: 'RECEIPT_CHANGED', params: { n: i + 1 } });
    }
    const result = await deps.fingerprints.fingerprint(bytes, receipt.contentType);
    if (result.kind === 'undecodable') {
      // The decoder's own words stay out of the note: they are English and name no fix.
      return reject(deps, claim, 'INVALID_RECEIPT', { code: 'RECEIPT_NOT_IMAGE', params: { n: i + 1 } });
    }
    if (result.kind === 'image') fingerprints.push(result.hash);
  }
  const own: ClaimEvidence = {
    claimId: claim.claimId,
    facts: `${claim.category}|${claim.expenseDate ?? ''}|${claim.totalCostFen}`,
    fingerprints,
  };
  // Written before the others are read: of two claims checked at once, at least one sees the other.
  await deps.claims.putEvidence(claim.householdId, own);
  const others = (await deps.claims.householdEvidence(claim.householdId)).filter(
    (e) => e.claimId !== claim.claimId,
  );
  // Parsed once: a household's other receipts are compared with each of this claim's.
  const mine = own.fingerprints.map(parseFingerprint);
  const near = (theirs: readonly string[]) =>
    theirs.some((g) => {
      const parsed = parseFingerprint(g);
      return mine.some((f) => similarity(f, parsed).score >= NEAR_DUPLICATE_MIN_SCORE);
    });
  const found: PossibleDuplicate[] = [];
  for (const other of others) {
    const by = other.recordFacts
      ? other.facts === own.facts || other.recordFacts.includes(own.facts)
        ? 'feed'
        : undefined
      : other.facts === own.facts
        ? 'facts'
        : near(other.fingerprints)
          ? 'image'
          : undefined;
    if (!by) continue;
    if (await (by === 'feed' ? isLiveOrCounted : isLive)(deps, other.claimId))
      found.push({ claimId: other.claimId, by });
  }
  // Read after this claim's evidence is written: a data-feed claim checked meanwhile sees this one.
  for (const record of await sameBillRecords(deps, claim.householdId, own.facts)) {
    const recordKey = feedRecordKey(record.kind, record.recordId);
    const holder = record.state === 'claimed' ? record.claimId : undefined;
    const listed = holder ? found.find((d) => d.claimId === holder) : undefined;
    if (listed) listed.recordKey ??= recordKey;
    else found.push({ ...(holder ? { claimId: holder } : {}), by: 'feed', recordKey });
  }
  return noteDuplicates(deps, claim, found);
}

/**
 * A data-feed claim: no receipts to hash or fingerprint; its evidence is its records' facts,
 * compared with the household's live receipt claims (never with other data-feed claims: the
 * department's record ids already keep one bill in one record).
 */
async function checkFeedClaim(deps: CheckDuplicatesDeps, claim: ClaimRecord): Promise<StepResult> {
  if (!claim.householdId || claim.category === null || claim.totalCostFen === null) {
    return { claimId: claim.claimId, outcome: 'continue' };
  }
  const records = (await recordsOf(deps, claim)).map((record) => ({
    key: feedRecordKey(record.kind, record.recordId),
    facts: feedRecordFacts(record),
  }));
  const own: ClaimEvidence = {
    claimId: claim.claimId,
    facts: `${claim.category}|${claim.expenseDate ?? ''}|${claim.totalCostFen}`,
    fingerprints: [],
    recordFacts: [...new Set(records.flatMap((r) => r.facts))],
  };
  // Written before the others are read, as for receipt claims.
  await deps.claims.putEvidence(claim.householdId, own);
  const others = (await deps.claims.householdEvidence(claim.householdId)).filter(
    (e) => e.claimId !== claim.claimId && e.recordFacts === undefined,
  );
  const found: PossibleDuplicate[] = [];
  for (const other of others) {
    const record = records.find((r) => r.facts.includes(other.facts));
    if (!record && other.facts !== own.facts) continue;
    if (await isLiveOrCounted(deps, other.claimId))
      found.push({ claimId: other.claimId, by: 'feed', ...(record ? { recordKey: record.key } : {}) });
  }
  return noteDuplicates(deps, claim, found);
}

/** A claim that may still be paid, or was: anything but rejected. */
async function isLive(deps: CheckDuplicatesDeps, claimId: string): Promise<boolean> {
  const claim = await deps.claims.get(claimId);
  return claim !== undefined && claim.state !== 'REJECTED';
}

/**
 * Live, or rejected below the threshold: its self-paid cost is in the year's counted total, so
 * the same bill from the other side (a receipt, a department's record) would count it twice.
 */
async function isLiveOrCounted(deps: CheckDuplicatesDeps, claimId: string): Promise<boolean> {
  const claim = await deps.claims.get(claimId);
  return claim !== undefined && (claim.state !== 'REJECTED' || claim.reason === 'BELOW_THRESHOLD');
}

/** A data-feed claim's stored records (those the store no longer has: left out). */
async function recordsOf(deps: CheckDuplicatesDeps, claim: ClaimRecord): Promise<FeedRecord[]> {
  return deps.feeds ? readFeedRecords(deps.feeds, claim.feedRecords ?? []) : [];
}

/**
 * The household's feed records for the same bill as a receipt claim's facts: counted, waiting
 * for their claim, or held by a claim that is not rejected (or not opened yet: a crash between
 * the job's steps leaves records claimed by a claim the sweep opens).
 */
async function sameBillRecords(
  deps: CheckDuplicatesDeps,
  householdId: string,
  facts: string,
): Promise<FeedRecord[]> {
  if (!deps.feeds) return [];
  const same = (await deps.feeds.householdRecords(householdId)).filter((r) =>
    feedRecordFacts(r).includes(facts),
  );
  const kept: FeedRecord[] = [];
  for (const record of same) {
    if (record.state !== 'claimed' || !record.claimId) kept.push(record);
    else {
      const holder = await deps.claims.get(record.claimId);
      if (!holder || holder.state !== 'REJECTED' || holder.reason === 'BELOW_THRESHOLD') kept.push(record);
    }
  }
  return kept;
}

async function noteDuplicates(
  deps: CheckDuplicatesDeps,
  claim: ClaimRecord,
  found: readonly PossibleDuplicate[],
): Promise<StepResult> {
  if (found.length === 0) return { claimId: claim.claimId, outcome: 'continue' };

  // Noted on the claim as it is now: a claim another delivery has moved on keeps its course.
  const noted = await changeClaim(deps, claim.claimId, (now): ClaimChange<StepResult> => {
    if (now.state !== 'RECEIVED')
      return { kind: 'keep', result: { claimId: now.claimId, outcome: outcomeForState(now.state) } };
    return {
      kind: 'patch',
      patch: { possibleDuplicates: [...found] },
      result: { claimId: now.claimId, outcome: 'continue' },
    };
  });
  return noted.result;
}

async function reject(
  deps: CheckDuplicatesDeps,
  claim: ClaimRecord,
  reason: 'DUPLICATE_RECEIPT' | 'INVALID_RECEIPT',
  detail: Note,
): Promise<StepResult> {
  const done = await changeClaim(deps, claim.claimId, (now): ClaimChange<StepResult> =>
    now.state === 'RECEIVED'
      ? {
          kind: 'move',
          to: 'REJECTED',
          actor: SYSTEM_ACTOR,
          reason,
          detail,
          result: { claimId: now.claimId, outcome: 'rejected' },
        }
      : { kind: 'keep', result: { claimId: now.claimId, outcome: outcomeForState(now.state) } },
  );
  return done.result;
}

async function ownerAfterRegistering(
  deps: CheckDuplicatesDeps,
  sha256: string,
  claimId: string,
): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const owner = await deps.claims.registerReceipt(sha256, claimId);
    if (owner === claimId) return owner;
    const ownerClaim = await deps.claims.get(owner);
    if (ownerClaim && ownerClaim.state !== 'REJECTED') return owner;
    if (await deps.claims.transferReceipt(sha256, owner, claimId)) return claimId;
  }
  throw new ConflictError(`receipt ownership kept changing for claim ${claimId}`);
}

// Step 2: the same bill may back only one live claim.
// - The same bytes: DUPLICATE_RECEIPT, naming the claim that has them. A receipt on a claim that
//   was rejected can be filed again (the household deserves its second chance).
// - The same bill photographed again, recompressed, resized or cropped (a perceptual fingerprint
//   of the image), or a claim with the same category, expense date and total cost as another
//   live claim of the household: never paid automatically. The claim goes to review with the
//   other claim named beside it; people decide.
// An image the fingerprinter cannot decode (a photo cut off mid-upload) is INVALID_RECEIPT.
import type { Note } from '#shared/messages/render.ts';
import type { ClaimRecord, PossibleDuplicate } from '#shared/claim.ts';
import { MAX_RECEIPT_BYTES } from '#shared/manifest.ts';
import { sha256Hex } from '#shared/hash.ts';
import { ConflictError, type ClaimEvidence } from '#shared/ports.ts';
import { NEAR_DUPLICATE_MIN_SCORE, parseFingerprint, similarity } from '#shared/receipt-fingerprint.ts';
import { changeClaim, type ClaimChange } from '#shared/claim-change.ts';
import {
  mustGet,
  outcomeForState,
  SYSTEM_ACTOR,
  type StepDeps,
  type StepResult,
} from '#shared/workflow/steps.ts';

type CheckDuplicatesDeps = Pick<StepDeps, 'claims' | 'receipts' | 'fingerprints' | 'clock'>;

export async function checkDuplicates(
  deps: CheckDuplicatesDeps,
  input: { claimId: string },
): Promise<StepResult> {
  const claim = await mustGet(deps.claims, input.claimId);
  if (claim.state !== 'RECEIVED') return { claimId: claim.claimId, outcome: outcomeForState(claim.state) };

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
    const by = other.facts === own.facts ? 'facts' : near(other.fingerprints) ? 'image' : undefined;
    if (!by) continue;
    const live = await deps.claims.get(other.claimId);
    if (live && live.state !== 'REJECTED') found.push({ claimId: other.claimId, by });
  }
  if (found.length === 0) return { claimId: claim.claimId, outcome: 'continue' };

  // Noted on the claim as it is now: a claim another delivery has moved on keeps its course.
  const noted = await changeClaim(deps, claim.claimId, (now): ClaimChange<StepResult> => {
    if (now.state !== 'RECEIVED')
      return { kind: 'keep', result: { claimId: now.claimId, outcome: outcomeForState(now.state) } };
    return {
      kind: 'patch',
      patch: { possibleDuplicates: found },
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

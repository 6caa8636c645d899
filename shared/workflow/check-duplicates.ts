// Step 2: the same receipt bytes may back only one live claim. A receipt on a claim that was
// rejected can be filed again (the household deserves its second chance).
import { ConflictError } from '#shared/ports.ts';
import {
  moveClaim,
  mustGet,
  outcomeForState,
  SYSTEM_ACTOR,
  type StepDeps,
  type StepResult,
} from '#shared/workflow/steps.ts';

export async function checkDuplicates(deps: StepDeps, input: { claimId: string }): Promise<StepResult> {
  const claim = await mustGet(deps.claims, input.claimId);
  if (claim.state !== 'RECEIVED') return { claimId: claim.claimId, outcome: outcomeForState(claim.state) };

  for (const receipt of claim.receipts) {
    const owner = await ownerAfterRegistering(deps, receipt.sha256, claim.claimId);
    if (owner !== claim.claimId) {
      const name = receipt.key.split('/').pop() ?? receipt.key;
      const { next, event } = moveClaim(
        claim,
        {
          to: 'REJECTED',
          actor: SYSTEM_ACTOR,
          reason: 'DUPLICATE_RECEIPT',
          detail: `receipt ${name} is already on claim ${owner}`,
        },
        deps.clock.now().toISOString(),
      );
      try {
        await deps.claims.update(next, claim.version, event);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const now = await mustGet(deps.claims, claim.claimId);
        return { claimId: claim.claimId, outcome: outcomeForState(now.state) };
      }
      return { claimId: claim.claimId, outcome: 'rejected' };
    }
  }
  return { claimId: claim.claimId, outcome: 'continue' };
}

async function ownerAfterRegistering(deps: StepDeps, sha256: string, claimId: string): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const owner = await deps.claims.registerReceipt(sha256, claimId);
    if (owner === claimId) return owner;
    const ownerClaim = await deps.claims.get(owner);
    if (ownerClaim && ownerClaim.state !== 'REJECTED') return owner;
    if (await deps.claims.transferReceipt(sha256, owner, claimId)) return claimId;
  }
  throw new ConflictError(`receipt ownership kept changing for claim ${claimId}`);
}

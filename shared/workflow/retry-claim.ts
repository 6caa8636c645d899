// The operator's retry of a claim in ERROR: it goes back to the state the fault interrupted
// (version-checked, with a history event), and the next delivery of its manifest event carries it
// on from there. Without this the contract's "ERROR ... can be retried" had no way to happen.
import { ConflictError, type ClaimStore, type Clock } from '#shared/ports.ts';
import type { ClaimState } from '#shared/claim-state.ts';
import { moveClaim, mustGet } from '#shared/workflow/steps.ts';

export interface RetryResult {
  readonly claimId: string;
  /** The claim's state after the call: where the workflow resumes. */
  readonly state: ClaimState;
  /** False when the claim was not in ERROR (a repeated retry changes nothing). */
  readonly retried: boolean;
}

export async function retryClaim(
  deps: { readonly claims: ClaimStore; readonly clock: Clock },
  claimId: string,
  actor: string,
): Promise<RetryResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const claim = await mustGet(deps.claims, claimId);
    if (claim.state !== 'ERROR') return { claimId, state: claim.state, retried: false };
    const to = claim.errorFrom ?? 'RECEIVED';
    const { next, event } = moveClaim(
      claim,
      { to, actor, detail: `retried after: ${claim.detail ?? 'an error'}` },
      deps.clock.now().toISOString(),
    );
    const { errorFrom: _cleared, ...rest } = next;
    try {
      await deps.claims.update(rest, claim.version, event);
      return { claimId, state: to, retried: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(`claim ${claimId} kept changing during the retry`);
}

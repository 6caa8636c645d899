// The operator's retry of a claim in ERROR: it goes back to the state the fault interrupted
// (version-checked, with a history event), and the next delivery of its manifest event carries it
// on from there. Without this a claim in ERROR could never be retried.
import type { ClaimStore, Clock } from '#shared/ports.ts';
import type { ClaimState } from '#shared/claim-state.ts';
import { changeClaim } from '#shared/claim-change.ts';

export interface RetryResult {
  readonly claimId: string;
  /** The claim's state after the call: where the workflow resumes. */
  readonly state: ClaimState;
  /** False when the claim was not in ERROR (a repeated retry changes nothing). */
  readonly retried: boolean;
}

/** NotFoundError when there is no such claim. */
export async function retryClaim(
  deps: { readonly claims: ClaimStore; readonly clock: Clock },
  claimId: string,
  actor: string,
): Promise<RetryResult> {
  const { claim, changed } = await changeClaim(deps, claimId, (claim) =>
    claim.state !== 'ERROR'
      ? { kind: 'keep', result: undefined }
      : {
          kind: 'move',
          to: claim.errorFrom ?? 'RECEIVED',
          actor,
          detail: {
            code: 'RETRIED',
            params: typeof claim.detail === 'object' ? { ...claim.detail.params } : {},
          },
          patch: { errorFrom: undefined },
          result: undefined,
        },
  );
  return { claimId, state: claim.state, retried: changed };
}

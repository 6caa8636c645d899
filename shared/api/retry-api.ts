// An administrator's retry of a claim: a claim in ERROR goes back to the state the fault
// interrupted and its workflow runs again from there. A claim stuck in RECEIVED or APPROVED
// (its run lost) is re-driven the same way. Steps are idempotent and payouts conditional, so a
// retry never pays twice. This route is how a claim in ERROR is retried.
import type { Principal } from '#shared/access.ts';
import type { ClaimState } from '#shared/claim-state.ts';
import type { ClaimStore, ClaimWorkflows, Clock } from '#shared/ports.ts';
import { retryClaim } from '#shared/workflow/retry-claim.ts';
import { claimIdParam } from '#shared/api/claim-id.ts';

export interface RetryDeps {
  readonly claims: ClaimStore;
  readonly workflows: ClaimWorkflows;
  readonly clock: Clock;
}

export interface RetryAnswer {
  readonly claimId: string;
  readonly state: ClaimState;
  /** The claim was in ERROR and is back where the fault interrupted it. */
  readonly retried: boolean;
  /** Which workflow was started again, if any. */
  readonly resumed: 'assessment' | 'review' | null;
}

export async function retryClaimRun(
  deps: RetryDeps,
  principal: Principal,
  claimId: string,
): Promise<RetryAnswer> {
  // A missing claim is the same 404 as anywhere else in the API (NotFoundError).
  const { state, retried } = await retryClaim(deps, claimIdParam(claimId), principal.username);
  if (state === 'RECEIVED' || state === 'APPROVED') {
    await deps.workflows.resumeAssessment(claimId);
    return { claimId, state, retried, resumed: 'assessment' };
  }
  if (state === 'PENDING_REVIEW' || state === 'APPEALED') {
    // Only a review that ended in ERROR is restarted: a review still waiting on its gates must
    // not get a second run beside it. The attempt number names the run, so asking again after
    // a failed start starts it, and asking again after a good one starts nothing.
    const attempt = (await deps.claims.history(claimId)).filter(
      (e) => e.from === 'ERROR' && (e.to === 'PENDING_REVIEW' || e.to === 'APPEALED'),
    ).length;
    if (attempt > 0) {
      await deps.workflows.resumeReview(claimId, attempt);
      return { claimId, state, retried, resumed: 'review' };
    }
  }
  return { claimId, state, retried, resumed: null };
}

// The review workflow is one loop over a claim's gates: ask which gate is next, wait on a task
// token for it, repeat. These steps answer the question, park the token on the claim (resuming a
// replayed wait at once when the gate was already decided) and note an overdue gate.
import { findPolicy, type GateId } from '#shared/policy.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import { changeClaim } from '#shared/claim-change.ts';
import { InvariantError, StateConflictError } from '#shared/errors.ts';
import { nextGate } from '#shared/review-routing.ts';
import { isInReview } from '#shared/review-rounds.ts';
import { mustGet, SYSTEM_ACTOR, type StepDeps } from '#shared/workflow/steps.ts';

export interface RequestReviewInput {
  readonly claimId: string;
  readonly gate: GateId;
  readonly taskToken: string;
}

export type GateOutput = {
  readonly claimId: string;
  readonly gate: GateId;
  readonly decision: 'approve' | 'reject';
};

/** The gate the claim waits for next; null once none is left or the claim has left review. */
export async function nextReviewGate(
  deps: Pick<StepDeps, 'claims' | 'policies'>,
  input: { claimId: string },
): Promise<{ claimId: string; gate: GateId | null }> {
  const claim = await mustGet(deps.claims, input.claimId);
  if (!isInReview(claim.state)) return { claimId: claim.claimId, gate: null };
  const policy = claim.assessment
    ? findPolicy(claim.assessment.policyId, claim.assessment.policyVersion, deps.policies)
    : undefined;
  if (!policy) {
    throw new InvariantError('NO_POLICY', `claim ${claim.claimId} is in review without a known policy`);
  }
  return { claimId: claim.claimId, gate: nextGate(policy, claim) ?? null };
}

export async function requestReview(
  deps: Pick<StepDeps, 'claims' | 'clock' | 'reviews'>,
  input: RequestReviewInput,
): Promise<{ claimId: string; waiting: boolean }> {
  const { claim, result: decided } = await changeClaim(deps, input.claimId, (claim) => {
    const decided = decisionFor(claim, input.gate);
    if (decided) return { kind: 'keep', result: decided };
    if (!isInReview(claim.state)) {
      throw new StateConflictError(
        'NOT_IN_REVIEW',
        `claim ${claim.claimId} is ${claim.state}; it has no ${input.gate} gate to wait for`,
        { params: { state: claim.state, gate: input.gate } },
      );
    }
    return {
      kind: 'patch',
      patch: { gateTokens: { ...claim.gateTokens, [input.gate]: input.taskToken } },
      result: undefined,
    };
  });
  if (!decided) return { claimId: claim.claimId, waiting: true };
  await deps.reviews.succeed(input.taskToken, {
    claimId: claim.claimId,
    gate: input.gate,
    decision: decided,
  } satisfies GateOutput);
  return { claimId: claim.claimId, waiting: false };
}

/** A gate's decision, or the reject that ended the claim at an earlier gate. */
function decisionFor(claim: ClaimRecord, gate: GateId): 'approve' | 'reject' | undefined {
  const own = claim.gates[gate];
  if (own) return own.decision;
  if (claim.state === 'REJECTED') return 'reject';
  return undefined;
}

/** A gate waited past its deadline: note it in the history and wait again. */
export async function escalateReview(
  deps: Pick<StepDeps, 'claims' | 'clock'>,
  input: { claimId: string; gate: GateId },
): Promise<{ claimId: string }> {
  await changeClaim(deps, input.claimId, (claim) =>
    !isInReview(claim.state)
      ? { kind: 'keep', result: undefined }
      : {
          kind: 'patch',
          patch: {},
          note: {
            actor: SYSTEM_ACTOR,
            detail: { code: 'GATE_OVERDUE', params: { gate: input.gate } },
          },
          result: undefined,
        },
  );
  return { claimId: input.claimId };
}

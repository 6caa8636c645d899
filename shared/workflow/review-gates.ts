// The review workflow waits at each gate on a task token. These steps park the token on the
// claim, and resume a replayed wait at once when the gate was already decided.
import type { ReviewGate } from '#shared/policy.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import { ConflictError } from '#shared/ports.ts';
import { mustGet, SYSTEM_ACTOR, type StepDeps } from '#shared/workflow/steps.ts';

export interface RequestReviewInput {
  readonly claimId: string;
  readonly gate: ReviewGate;
  readonly taskToken: string;
}

export type GateOutput = {
  readonly claimId: string;
  readonly gate: ReviewGate;
  readonly decision: 'approve' | 'reject';
};

export async function requestReview(
  deps: StepDeps,
  input: RequestReviewInput,
): Promise<{ claimId: string; waiting: boolean }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const claim = await mustGet(deps.claims, input.claimId);
    const decided = decisionFor(claim, input.gate);
    if (decided) {
      await deps.reviews.succeed(input.taskToken, {
        claimId: claim.claimId,
        gate: input.gate,
        decision: decided,
      } satisfies GateOutput);
      return { claimId: claim.claimId, waiting: false };
    }
    if (claim.state !== 'PENDING_REVIEW') {
      throw new Error(`claim ${claim.claimId} is ${claim.state}; it has no ${input.gate} gate to wait for`);
    }
    const next: ClaimRecord = {
      ...claim,
      gateTokens: { ...claim.gateTokens, [input.gate]: input.taskToken },
      version: claim.version + 1,
    };
    try {
      await deps.claims.update(next, claim.version);
      return { claimId: claim.claimId, waiting: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(`claim ${input.claimId} kept changing while requesting review`);
}

/** A gate's decision, or the reject that ended the claim at an earlier gate. */
function decisionFor(claim: ClaimRecord, gate: ReviewGate): 'approve' | 'reject' | undefined {
  const own = claim.gates[gate];
  if (own) return own.decision;
  if (claim.state === 'REJECTED') return 'reject';
  return undefined;
}

/** A gate waited past its deadline: note it in the history and wait again. */
export async function escalateReview(
  deps: StepDeps,
  input: { claimId: string; gate: ReviewGate },
): Promise<{ claimId: string }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const claim = await mustGet(deps.claims, input.claimId);
    if (claim.state !== 'PENDING_REVIEW') return { claimId: claim.claimId };
    const at = deps.clock.now().toISOString();
    try {
      await deps.claims.update({ ...claim, updatedAt: at, version: claim.version + 1 }, claim.version, {
        at,
        from: 'PENDING_REVIEW',
        to: 'PENDING_REVIEW',
        actor: SYSTEM_ACTOR,
        detail: `the ${input.gate} gate is overdue; escalated to the county office`,
      });
      return { claimId: claim.claimId };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(`claim ${input.claimId} kept changing while escalating`);
}

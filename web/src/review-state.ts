// What a reviewer may do on a claim page. The four-eyes rule is the API's own
// (checkGateDecision); the UI only decides what to offer, the API decides what happens. Which
// role decides a gate, and what the gate is called, is policy data.
import { checkGateDecision, gateRole } from '#shared/review-routing.ts';
import { isInReview } from '#shared/review-rounds.ts';
import { pick } from './i18n.ts';
import type { ClaimView, GateId, Policy, Principal, Role } from './types.ts';

export type ReviewOption =
  | { kind: 'none' }
  | { kind: 'decide'; gate: GateId }
  /** The person decided an earlier gate of this claim: someone else must decide this one. */
  | { kind: 'fourEyes'; decidedGate: GateId }
  | { kind: 'otherGate'; gate: GateId }
  /** The API's rule refuses the decision for another reason (the page and the API disagree). */
  | { kind: 'refused' }
  /** The person filed the claim or looks after the household: people independent of it decide. */
  | { kind: 'involved' }
  /** The person decided a gate of an earlier round of the claim, or objected to it. */
  | { kind: 'earlierRound'; why: 'DECIDED_EARLIER_ROUND' | 'OBJECTED' };

type ReviewedClaim = Pick<ClaimView, 'state' | 'nextGate' | 'gates'> &
  Partial<Pick<ClaimView, 'submittedBy' | 'gridWorker' | 'requiredGates' | 'earlierGates' | 'objections'>>;

export function reviewOption(
  claim: ReviewedClaim,
  principal: Principal,
  policy: Policy | undefined,
): ReviewOption {
  if (!isInReview(claim.state) || !claim.nextGate || !policy) return { kind: 'none' };
  if (!isReviewerUnder(policy, principal.roles)) return { kind: 'none' };
  const gate = claim.nextGate;
  const role = gateRole(policy, gate);
  const mine = role !== undefined && principal.roles.includes(role);
  const earlier = Object.entries(claim.gates).find(([, d]) => d?.by === principal.username);
  if (earlier && mine) return { kind: 'fourEyes', decidedGate: earlier[0] };
  if (!mine) return { kind: 'otherGate', gate };
  const check = checkGateDecision(policy, claim, gate, principal.username, {
    filer: claim.submittedBy ?? null,
    gridWorkers: [claim.gridWorker ?? null],
  });
  if (!check.ok)
    return check.code === 'NOT_INDEPENDENT'
      ? { kind: 'involved' }
      : check.code === 'GATE_REFUSED'
        ? { kind: 'refused' }
        : { kind: 'earlierRound', why: check.code };
  return { kind: 'decide', gate };
}

/** Whether one of `roles` decides some gate of the policy. */
export function isReviewerUnder(policy: Policy, roles: readonly Role[]): boolean {
  return policy.review.gates.some((g) => roles.includes(g.role));
}

/** The gates of the policy that one of `roles` decides, in the policy's order. */
export function gatesFor(policy: Policy, roles: readonly Role[]): GateId[] {
  return policy.review.gates.filter((g) => roles.includes(g.role)).map((g) => g.id);
}

/** A gate's name in the current language; the id itself for a gate the policy does not know. */
export function gateLabel(policy: Policy | undefined, gate: GateId): string {
  const spec = policy?.review.gates.find((g) => g.id === gate);
  return spec ? pick(spec.label) : gate;
}

/**
 * Where one gate of a claim stands: decided (approve/reject); `current` while the claim waits on
 * it; `queued` behind an earlier gate of a claim still in review; `notStarted` once the claim has
 * left review without reaching it (a reject at an earlier gate, or a fault).
 */
export type GateStatus = 'approve' | 'reject' | 'current' | 'queued' | 'notStarted';

export function gateStatus(claim: Pick<ClaimView, 'state' | 'nextGate' | 'gates'>, gate: GateId): GateStatus {
  const decided = claim.gates[gate];
  if (decided) return decided.decision;
  if (!isInReview(claim.state)) return 'notStarted';
  return gate === claim.nextGate ? 'current' : 'queued';
}

// What a reviewer may do on a claim page. The four-eyes rule is the API's own
// (checkGateDecision); the UI only decides what to offer, the API decides what happens.
import { gateRoles } from '#shared/access.ts';
import { checkGateDecision } from '#shared/review-routing.ts';
import type { ClaimView, Policy, Principal, ReviewGate } from './types.ts';

export type ReviewOption =
  | { kind: 'none' }
  | { kind: 'decide'; gate: ReviewGate }
  /** The person decided an earlier gate of this claim: someone else must decide this one. */
  | { kind: 'fourEyes'; decidedGate: ReviewGate }
  | { kind: 'otherGate'; gate: ReviewGate }
  | { kind: 'refused'; error: string }
  /** The person filed the claim or looks after the household: people independent of it decide. */
  | { kind: 'involved' };

export function reviewOption(
  claim: Pick<ClaimView, 'state' | 'nextGate' | 'gates'> &
    Partial<Pick<ClaimView, 'submittedBy' | 'gridWorker'>>,
  principal: Principal,
  policy: Policy | undefined,
): ReviewOption {
  const isReviewer = Object.values(gateRoles).some((role) => principal.roles.includes(role));
  if (claim.state !== 'PENDING_REVIEW' || !claim.nextGate || !isReviewer) return { kind: 'none' };
  const decided = Object.entries(claim.gates).flatMap(([gate, d]) =>
    d ? [{ gate: gate as ReviewGate, by: d.by }] : [],
  );
  const mine = principal.roles.includes(gateRoles[claim.nextGate]);
  const earlier = decided.find((d) => d.by === principal.username);
  if (earlier && mine) return { kind: 'fourEyes', decidedGate: earlier.gate };
  if (!mine) return { kind: 'otherGate', gate: claim.nextGate };
  if (policy) {
    const check = checkGateDecision(policy, decided, claim.nextGate, principal.username, {
      filer: claim.submittedBy ?? null,
      gridWorkers: [claim.gridWorker ?? null],
    });
    if (!check.ok) return check.involved ? { kind: 'involved' } : { kind: 'refused', error: check.error };
  }
  return { kind: 'decide', gate: claim.nextGate };
}

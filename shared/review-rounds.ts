// Review rounds after the first: an objection during the public notice, or the household's appeal
// against a rejection. Each round runs the review workflow again under its own run name, because
// the first run (named by the claimId) may still exist: waiting out its notice, or closed.
import type { ClaimRecord } from '#shared/claim.ts';
import { reviewStates } from '#shared/claim-groups.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import { addDays, chinaDate } from '#shared/dates.ts';
import type { GateId, Policy } from '#shared/policy.ts';

/** The review workflow run's name for a claim's round (no round: the first review). */
export function reviewRunName(claimId: string, round?: string): string {
  return round ? `${claimId}-${round}` : claimId;
}

/**
 * The round a claim in review is in, as the run-name suffix (`objection-2`, `appeal`); undefined
 * for the first review (and for a claim not in review).
 */
export function reviewRoundOf(
  claim: Pick<ClaimRecord, 'state' | 'objections' | 'appeal'>,
): string | undefined {
  if (claim.state === 'APPEALED') return 'appeal';
  const objections = claim.objections?.length ?? 0;
  if (claim.state === 'PENDING_REVIEW' && objections > 0) return `objection-${objections}`;
  return undefined;
}

/** States in which a claim waits for its review gates. */
export function isInReview(state: ClaimRecord['state']): boolean {
  return reviewStates.includes(state);
}

/**
 * Whether a run waits on one of the claim's gates: it parks its task token on the gate it waits
 * for, and a new round clears the tokens of the last.
 */
export function isWaitingOnGate(claim: Pick<ClaimRecord, 'gates' | 'gateTokens'>): boolean {
  return Object.entries(claim.gateTokens).some(
    ([gate, token]) => token !== undefined && claim.gates[gate as GateId] === undefined,
  );
}

/** When the claim was rejected in review: the last such line of its history. */
function rejectedAt(history: readonly HistoryEvent[]): string | undefined {
  return history.filter((e) => e.to === 'REJECTED' && e.reason === 'REVIEW_REJECTED').at(-1)?.at;
}

/**
 * The last China calendar day an appeal may be filed on (policy.appealDays days after the day of
 * the review rejection); undefined when the claim cannot be appealed at all.
 */
export function appealDeadline(
  claim: Pick<ClaimRecord, 'state' | 'reason' | 'appeal'>,
  history: readonly HistoryEvent[],
  policy: Pick<Policy, 'appealDays'> | undefined,
): string | undefined {
  if (claim.state !== 'REJECTED' || claim.reason !== 'REVIEW_REJECTED' || claim.appeal) return undefined;
  if (!policy || policy.appealDays <= 0) return undefined;
  const at = rejectedAt(history);
  return at ? addDays(chinaDate(new Date(at)), policy.appealDays) : undefined;
}

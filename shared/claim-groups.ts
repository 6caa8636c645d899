// Which claims count as open, paid or closed, once for every page, list, figure and export.
// Pure and free of zod: the browser bundle imports it.
import { claimStates, type ClaimState } from '#shared/vocabulary.ts';

export type ClaimStateGroup = 'open' | 'paid' | 'closed';

/**
 * Paid: the payout is recorded (ledger entry, cap counted), whatever became of the transfer; a
 * failed transfer is sent again to the same payout, never priced anew.
 */
export const paidStates: readonly ClaimState[] = ['PAID', 'DISBURSED', 'DISBURSEMENT_FAILED'];
/** Closed: refused, in review or on appeal (an appeal reopens it as APPEALED). */
export const closedStates: readonly ClaimState[] = ['REJECTED'];
/**
 * Open: may still be paid. Being assessed or reviewed (also on appeal), approved, posted in the
 * village (NOTICE), waiting for the fund (AWAITING_FUNDS), or in ERROR (it resumes where it stopped).
 */
export const openStates: readonly ClaimState[] = claimStates.filter(
  (s) => !paidStates.includes(s) && !closedStates.includes(s),
);

export function stateGroup(state: ClaimState): ClaimStateGroup {
  return paidStates.includes(state) ? 'paid' : closedStates.includes(state) ? 'closed' : 'open';
}

/** Waiting for people to decide its gates: a first review (after an objection too) or an appeal. */
export const reviewStates: readonly ClaimState[] = ['PENDING_REVIEW', 'APPEALED'];

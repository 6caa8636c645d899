// The claim lifecycle as data, plus one transition() that refuses anything the table does not
// allow. Every state change anywhere in the system goes through it.
import * as z from 'zod';
import { claimStates, rejectionReasons } from '#shared/vocabulary.ts';
import type { Note } from '#shared/messages/render.ts';

export { claimStates, rejectionReasons };
export const claimStateSchema = z.enum(claimStates);
export type ClaimState = z.infer<typeof claimStateSchema>;

export const rejectionReasonSchema = z.enum(rejectionReasons);
export type RejectionReason = z.infer<typeof rejectionReasonSchema>;

/** Reasons an assessment can reject with before any person looks at the claim. */
const automaticReasons: readonly RejectionReason[] = rejectionReasons.filter(
  (r) => r !== 'REVIEW_REJECTED' && r !== 'APPEAL_REJECTED' && r !== 'RECORD_CORRECTED',
);

/**
 * A data-feed claim whose record the department corrected before it was paid: closed, and its
 * records opened again in a new claim with the corrected figures.
 */
const corrected: TransitionRule = { to: 'REJECTED', reasons: ['RECORD_CORRECTED'] };

interface TransitionRule {
  readonly to: ClaimState;
  /** Rejections must carry one of these reasons; other targets carry none. */
  readonly reasons?: readonly RejectionReason[];
}

/**
 * Where a payout can end when it is recorded: paid, waiting for the fund, or refused because
 * other claims used up the household's cap meanwhile.
 */
const payoutOutcomes: readonly TransitionRule[] = [
  { to: 'PAID' },
  { to: 'AWAITING_FUNDS' },
  { to: 'REJECTED', reasons: ['CAP_EXHAUSTED'] },
];

/** Allowed transitions. ERROR can return to the state the fault interrupted, so it can be retried. */
export const transitions: Readonly<Record<ClaimState, readonly TransitionRule[]>> = {
  RECEIVED: [
    { to: 'REJECTED', reasons: [...automaticReasons, 'RECORD_CORRECTED'] },
    { to: 'PENDING_REVIEW' },
    { to: 'APPROVED' },
    { to: 'ERROR' },
  ],
  PENDING_REVIEW: [
    { to: 'APPROVED' },
    { to: 'REJECTED', reasons: ['REVIEW_REJECTED', 'RECORD_CORRECTED'] },
    { to: 'ERROR' },
  ],
  // An appeal is reviewed like a claim; its refusal is final.
  APPEALED: [{ to: 'APPROVED' }, { to: 'REJECTED', reasons: ['APPEAL_REJECTED'] }, { to: 'ERROR' }],
  // Approved with a public notice to run first (公示), or paid straight away.
  // To review when its payout, priced at the year's total when paid, grew past a review line.
  APPROVED: [{ to: 'NOTICE' }, ...payoutOutcomes, { to: 'PENDING_REVIEW' }, corrected, { to: 'ERROR' }],
  // An objection during the notice sends the claim back to review.
  NOTICE: [...payoutOutcomes, { to: 'PENDING_REVIEW' }, corrected, { to: 'ERROR' }],
  AWAITING_FUNDS: [...payoutOutcomes.filter((r) => r.to !== 'AWAITING_FUNDS'), { to: 'ERROR' }],
  PAID: [{ to: 'DISBURSED' }, { to: 'DISBURSEMENT_FAILED' }],
  DISBURSED: [],
  // Paid again (a new transfer) once the household's account is corrected.
  DISBURSEMENT_FAILED: [{ to: 'PAID' }],
  // Only a review rejection may be appealed; appeal() checks the reason and the deadline.
  REJECTED: [{ to: 'APPEALED' }],
  ERROR: [
    { to: 'RECEIVED' },
    { to: 'PENDING_REVIEW' },
    { to: 'APPEALED' },
    { to: 'APPROVED' },
    { to: 'NOTICE' },
    { to: 'AWAITING_FUNDS' },
  ],
};

/** States a claim leaves only by a person's act (an appeal), or never. */
export const terminalStates: readonly ClaimState[] = ['REJECTED', 'DISBURSED'];

export interface HistoryEvent {
  readonly at: string;
  readonly from: ClaimState | null;
  readonly to: ClaimState;
  readonly actor: string;
  readonly reason?: RejectionReason;
  readonly detail?: Note;
}

export type TransitionResult = { ok: true; event: HistoryEvent } | { ok: false; error: string };

export interface TransitionRequest {
  readonly to: ClaimState;
  readonly actor: string;
  readonly at: string;
  readonly reason?: RejectionReason;
  readonly detail?: Note;
}

export function canTransition(from: ClaimState, to: ClaimState, reason?: RejectionReason): boolean {
  // A state may have several rules to one state (a payout's refusal and a correction both
  // reject an approved claim): any of them allows the change.
  return transitions[from].some(
    (rule) =>
      rule.to === to &&
      (rule.reasons ? reason !== undefined && rule.reasons.includes(reason) : reason === undefined),
  );
}

/** Checks one state change against the table and returns the history event to record. */
export function transition(from: ClaimState, request: TransitionRequest): TransitionResult {
  const { to, reason } = request;
  if (!canTransition(from, to, reason)) {
    const why =
      to === 'REJECTED' && reason === undefined
        ? 'a rejection needs a reason'
        : reason !== undefined && to !== 'REJECTED'
          ? `only rejections carry a reason (got ${reason})`
          : `a claim cannot go from ${from} to ${to}${reason ? ` with ${reason}` : ''}`;
    return { ok: false, error: why };
  }
  const event: HistoryEvent = {
    at: request.at,
    from,
    to,
    actor: request.actor,
    ...(reason !== undefined ? { reason } : {}),
    ...(request.detail !== undefined ? { detail: request.detail } : {}),
  };
  return { ok: true, event };
}

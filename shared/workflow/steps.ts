// Shared vocabulary of the workflow steps: their inputs, outputs and dependencies.
import type {
  ClaimStore,
  Clock,
  FeedStore,
  ReceiptStore,
  ReviewTasks,
  RosterStore,
  WarningStore,
} from '#shared/ports.ts';
import type { Policy } from '#shared/policy.ts';
import type { ReceiptFingerprinter } from '#shared/receipt-fingerprint.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import type { ClaimState } from '#shared/claim-state.ts';
import { NotFoundError } from '#shared/errors.ts';

// The workflow's own name in history lines; people read it from the catalog (系统 / System).
export { SYSTEM_ACTOR } from '#shared/messages/render.ts';

export interface StepDeps {
  readonly claims: ClaimStore;
  readonly receipts: ReceiptStore;
  readonly roster: RosterStore;
  readonly reviews: ReviewTasks;
  readonly clock: Clock;
  /** Perceptual fingerprints of receipt images, to find the same bill filed twice. */
  readonly fingerprints: ReceiptFingerprinter;
  readonly policies?: readonly Policy[];
  /** The departments' records, compared with receipt claims for the same bill (absent: not compared). */
  readonly feeds?: Pick<FeedStore, 'householdRecords' | 'records'>;
  /** The households' burdens, refreshed when a step counts an expense (absent: not kept). */
  readonly warnings?: WarningStore;
  /** Where a step tells of a failure it carries on past: a code, never personal data. */
  readonly report?: (code: string) => void;
}

/**
 * `notice`: approved under a policy that posts claims before paying them (公示): the review
 * workflow (Standard, it can wait days) takes the claim on. `waiting`: the fund could not cover
 * the payout; a top-up pays it, not the workflow.
 */
export type StepOutcome =
  'continue' | 'rejected' | 'approved' | 'notice' | 'review' | 'paid' | 'waiting' | 'skip';

/** What every step returns to the workflow: small, and free of personal data. */
export interface StepResult {
  readonly claimId: string;
  readonly outcome: StepOutcome;
}

/** Where a replayed step should send the workflow, judged from the claim's current state. */
export function outcomeForState(state: ClaimState): StepOutcome {
  switch (state) {
    case 'RECEIVED':
      return 'continue';
    case 'REJECTED':
      return 'rejected';
    case 'APPROVED':
      return 'approved';
    case 'PENDING_REVIEW':
    case 'APPEALED':
      return 'review';
    case 'NOTICE':
      return 'notice';
    case 'AWAITING_FUNDS':
      return 'waiting';
    case 'PAID':
    case 'DISBURSED':
    case 'DISBURSEMENT_FAILED':
      return 'paid';
    case 'ERROR':
      return 'skip';
  }
}

/** The claim a workflow step was started for; it exists, or the run is broken (NotFoundError). */
export async function mustGet(claims: ClaimStore, claimId: string): Promise<ClaimRecord> {
  const claim = await claims.get(claimId);
  if (!claim) throw new NotFoundError('NOT_FOUND', `claim ${claimId} does not exist`);
  return claim;
}

// The sweeper: claims whose workflow run was lost are driven on. RECEIVED and APPROVED are states
// a run leaves within seconds (an Express run is capped at five minutes), so a claim quiet in
// one for longer has no run left: its events were lost, or a double fault stopped both the step
// and mark-error. It is started again from its manifest; every step is idempotent and the
// payout conditional, so a claim whose run is merely slow is not harmed. ERROR claims are
// counted for the operator, never retried here: an ERROR needs a person to look at it first.
import type { ClaimState } from '#shared/claim-state.ts';
import type { ClaimStore, ClaimWorkflows, Clock } from '#shared/ports.ts';

/** A claim quiet this long in RECEIVED or APPROVED has no run left. */
export const STUCK_AFTER_MINUTES = 15;
/** Claims started again per sweep; the rest wait for the next (the runs then share the load). */
export const MAX_RESUMED_PER_SWEEP = 500;
/** ERROR claims are counted up to this many. */
const MAX_ERROR_COUNT = 10_000;

export interface SweepDeps {
  readonly claims: ClaimStore;
  readonly workflows: ClaimWorkflows;
  readonly clock: Clock;
}

export interface SweepResult {
  /** Claims started again, oldest state first. */
  readonly resumed: readonly string[];
  /** True when more stuck claims were left for the next sweep. */
  readonly more: boolean;
  /** Claims waiting in ERROR for an operator (counted up to 10,000). */
  readonly inError: number;
}

export async function sweepStuckClaims(
  deps: SweepDeps,
  stuckAfterMinutes = STUCK_AFTER_MINUTES,
): Promise<SweepResult> {
  const updatedBefore = new Date(deps.clock.now().getTime() - stuckAfterMinutes * 60_000).toISOString();
  const resumed: string[] = [];
  let more = false;
  for (const state of ['RECEIVED', 'APPROVED'] as const satisfies readonly ClaimState[]) {
    let cursor: string | undefined;
    do {
      const page = await deps.claims.list({
        state,
        updatedBefore,
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      for (const claim of page.items) {
        if (resumed.length >= MAX_RESUMED_PER_SWEEP) {
          more = true;
          break;
        }
        await deps.workflows.resumeAssessment(claim.claimId);
        resumed.push(claim.claimId);
      }
      cursor = more ? undefined : page.cursor;
    } while (cursor);
  }
  let inError = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.claims.list({ state: 'ERROR', limit: 200, ...(cursor ? { cursor } : {}) });
    inError += page.items.length;
    cursor = inError < MAX_ERROR_COUNT ? page.cursor : undefined;
  } while (cursor);
  return { resumed, more, inError };
}

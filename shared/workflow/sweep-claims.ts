// The sweeper: claims whose workflow run was lost are driven on. RECEIVED and APPROVED are states
// a run leaves within seconds (an Express run is capped at five minutes), so a claim quiet in
// one for longer has no run left: its events were lost, or a double fault stopped both the step
// and mark-error. It is started again from its manifest; every step is idempotent and the
// payout conditional, so a claim whose run is merely slow is not harmed. ERROR claims are
// counted for the operator, never retried here: an ERROR needs a person to look at it first.
// It also pays claims waiting for a relief fund that has money again: a top-up pays them at once,
// and this finishes a drain a top-up could not (its time ran out, or it was cut off by a crash).
// A review round after an objection or an appeal is started by the API right after the claim
// changed; if that start was lost, the claim sits in PENDING_REVIEW or APPEALED with no run
// waiting on any of its gates, and its round's run is started here (once per name).
import type { ClaimState } from '#shared/claim-state.ts';
import { isWaitingOnGate, reviewRoundOf } from '#shared/review-rounds.ts';
import type { ClaimStore, ClaimWorkflows, Clock, FundStore, ReviewTasks } from '#shared/ports.ts';
import { chinaDate } from '#shared/dates.ts';
import { fundRegions, regionFund } from '#shared/fund.ts';
import type { Fen } from '#shared/money.ts';
import type { Policy } from '#shared/policy.ts';
import { drainFund, SWEEP_DRAIN_BUDGET, type DrainResult } from '#shared/workflow/drain-fund.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';

/** A claim quiet this long in RECEIVED or APPROVED has no run left. */
export const STUCK_AFTER_MINUTES = 15;
/** Claims started again per sweep; the rest wait for the next (the runs then share the load). */
export const MAX_RESUMED_PER_SWEEP = 500;
/** ERROR claims are counted up to this many. */
const MAX_ERROR_COUNT = 10_000;

export interface SweepDeps {
  readonly claims: ClaimStore;
  readonly workflows: ClaimWorkflows;
  /** When given, review rounds whose run was never started are started. */
  readonly reviews?: ReviewTasks;
  readonly clock: Clock;
  /** The relief funds: when given, claims waiting for a fund that now has money are paid. */
  readonly funds?: FundStore;
  readonly policies?: readonly Policy[];
}

/** What the sweep paid from one region's fund. */
export interface FundDrained {
  readonly region: string;
  readonly paid: number;
  readonly paidFen: Fen;
  readonly stoppedBy: DrainResult['stoppedBy'];
}

export interface SweepResult {
  /** Claims started again, oldest state first. */
  readonly resumed: readonly string[];
  /** True when more stuck claims were left for the next sweep. */
  readonly more: boolean;
  /** Claims waiting in ERROR for an operator (counted up to 10,000). */
  readonly inError: number;
  /** Funds with money and claims waiting that the sweep paid from. */
  readonly drained: readonly FundDrained[];
}

const reviewStates = ['PENDING_REVIEW', 'APPEALED'] as const satisfies readonly ClaimState[];

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
  // Review rounds whose run was never started. A first review is started by assess-claim and
  // waits on people, so it is left alone here.
  for (const state of deps.reviews ? reviewStates : []) {
    let cursor: string | undefined;
    do {
      const page = await deps.claims.list({
        state,
        updatedBefore,
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      for (const claim of page.items) {
        const round = reviewRoundOf(claim);
        if (round === undefined || isWaitingOnGate(claim)) continue;
        if (resumed.length >= MAX_RESUMED_PER_SWEEP) {
          more = true;
          break;
        }
        await deps.reviews!.start(claim.claimId, round);
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
  const drained = deps.funds ? await drainWaitingFunds({ ...deps, funds: deps.funds }) : [];
  return { resumed, more, inError, drained };
}

/**
 * Every fund with claims waiting and a balance above 0 is drained, oldest claim first, until it
 * is short again. A fund at 0 is left alone: nothing could be paid from it.
 */
export async function drainWaitingFunds(
  deps: SweepDeps & { readonly funds: FundStore } & Parameters<typeof recordPayout>[0],
): Promise<FundDrained[]> {
  const today = chinaDate(deps.clock.now());
  const drained: FundDrained[] = [];
  for (const region of fundRegions(deps.policies)) {
    const fund = regionFund(region, today, deps.policies);
    if (!fund) continue;
    const account = await deps.funds.fund(region, fund.initialFen);
    if (account.waiting <= 0 || account.balanceFen <= 0) continue;
    const result = await drainFund(
      { ...deps, pay: (claimId) => recordPayout(deps, { claimId }) },
      region,
      SWEEP_DRAIN_BUDGET,
    );
    drained.push({ region, paid: result.paid.length, paidFen: result.paidFen, stoppedBy: result.stoppedBy });
  }
  return drained;
}

// Pays the claims waiting for a region's fund, oldest first, once money has come in. Each claim
// goes through the payout step itself (one transaction: claim, ledger entry, cap, fund), so a
// claim is paid once however many drains run at the same time, and a drain cut short (a crash,
// the budget) leaves nothing half done: the next top-up or the sweeper carries on from the queue.
import type { ClaimStore, Clock, FundStore } from '#shared/ports.ts';
import type { Fen } from '#shared/money.ts';
import type { StepResult } from '#shared/workflow/steps.ts';

export interface DrainDeps {
  readonly funds: Pick<FundStore, 'queue'>;
  readonly claims: Pick<ClaimStore, 'get'>;
  readonly clock: Clock;
  /** The payout step for one claim (record-payout), which pays a waiting claim from the queue. */
  readonly pay: (claimId: string) => Promise<StepResult>;
}

/** How much one call may do: an API request must answer in seconds, the sweeper has minutes. */
export interface DrainBudget {
  readonly maxClaims: number;
  readonly maxMs: number;
}

export const API_DRAIN_BUDGET: DrainBudget = { maxClaims: 200, maxMs: 6_000 };
export const SWEEP_DRAIN_BUDGET: DrainBudget = { maxClaims: 5_000, maxMs: 120_000 };

/** Queue entries read per page. */
const PAGE = 25;

export interface DrainResult {
  /** Claims this drain paid, in the order paid (oldest waiting first). */
  readonly paid: readonly string[];
  readonly paidFen: Fen;
  /**
   * `empty`: nobody waits any more; `short`: the oldest waiting claim is more than the fund
   * holds; `budget`: time or count ran out (the rest is paid later); `stuck`: the oldest claim
   * could not be paid now (a fault, or it kept leaving nothing to pay): it is retried later, and
   * younger claims do not jump ahead of it.
   */
  readonly stoppedBy: 'empty' | 'short' | 'budget' | 'stuck';
}

export async function drainFund(deps: DrainDeps, region: string, budget: DrainBudget): Promise<DrainResult> {
  const started = deps.clock.now().getTime();
  const paid: string[] = [];
  let paidFen = 0;
  let tried = 0;
  // Claims whose turn came already in this drain: a queue entry that outlives its claim's payout
  // (another drain, a replayed step) must not make the drain go round in circles.
  const seen = new Set<string>();
  const over = () => tried >= budget.maxClaims || deps.clock.now().getTime() - started >= budget.maxMs;
  for (;;) {
    const queued = await deps.funds.queue(region, PAGE);
    if (queued.length === 0) return { paid, paidFen, stoppedBy: 'empty' };
    const page = queued.filter((id) => !seen.has(id));
    // Still queued after its turn: its payout neither happened nor said "waiting".
    if (page.length === 0) return { paid, paidFen, stoppedBy: 'stuck' };
    for (const claimId of page) {
      if (over()) return { paid, paidFen, stoppedBy: 'budget' };
      seen.add(claimId);
      tried += 1;
      const before = await deps.claims.get(claimId);
      let result: StepResult;
      try {
        result = await deps.pay(claimId);
      } catch {
        // Nothing is lost: the claim stays queued and AWAITING_FUNDS, in its place.
        return { paid, paidFen, stoppedBy: 'stuck' };
      }
      if (result.outcome === 'waiting') return { paid, paidFen, stoppedBy: 'short' };
      // Only a claim this drain moved counts as paid now; one paid before left a stale entry.
      if (result.outcome === 'paid' && before?.state === 'AWAITING_FUNDS') {
        const after = await deps.claims.get(claimId);
        paid.push(claimId);
        paidFen += after?.payoutFen ?? 0;
      }
    }
  }
}

// The relief funds for finance: a region's fund as it stands (with what approved claims will
// still draw), top-ups that then pay the claims waiting for money, and the balance day by day.
// Reads only indexed partitions: the fund item, its top-ups, the claim listing by state and the
// ledger by day; never a table scan.
import * as z from 'zod';
import type { Principal } from '#shared/access.ts';
import { addDays, chinaDate, yearOf } from '#shared/dates.ts';
import { InvalidInputError, NotFoundError } from '#shared/errors.ts';
import { fundHistory, regionFund, runOutDate, RUN_OUT_WINDOW_DAYS, type DailyPaid } from '#shared/fund.ts';
import { parseYuan, type Fen } from '#shared/money.ts';
import type { Policy } from '#shared/policy.ts';
import type { ClaimStore, Clock, FundStore, FundTopUp, LedgerStore } from '#shared/ports.ts';
import type { ClaimState } from '#shared/claim-state.ts';
import { API_DRAIN_BUDGET, drainFund, type DrainBudget } from '#shared/workflow/drain-fund.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';

export interface FundApiDeps {
  readonly funds: FundStore;
  readonly claims: ClaimStore;
  readonly clock: Clock;
  readonly policies?: readonly Policy[];
}

/** What the payout step needs on top: a top-up pays waiting claims through it. */
export type TopUpDeps = FundApiDeps & Parameters<typeof recordPayout>[0];

export interface FundHistoryDeps extends Pick<FundApiDeps, 'funds' | 'clock' | 'policies'> {
  readonly ledger: LedgerStore;
}

/** Approved claims not paid yet: what the fund is already promised. */
const committedStates: readonly ClaimState[] = ['APPROVED', 'NOTICE'];
/** Claims read per page of the state listing. */
const LIST_PAGE = 500;

const regionSchema = z.string().regex(/^[a-z0-9-]{1,32}$/);

/** The fund a region draws; a region without one (or not a region at all) is a 404. */
function fundOf(deps: Pick<FundApiDeps, 'clock' | 'policies'>, region: string | undefined) {
  const today = chinaDate(deps.clock.now());
  const valid = regionSchema.safeParse(region);
  const fund = valid.success ? regionFund(valid.data, today, deps.policies) : undefined;
  if (!valid.success || !fund) throw new NotFoundError('NO_FUND', 'this region has no relief fund');
  return { region: valid.data, initialFen: fund.initialFen, today };
}

/** Sum of the payouts of the region's claims APPROVED or in NOTICE, read by state. */
async function committedFen(claims: Pick<ClaimStore, 'list'>, region: string): Promise<Fen> {
  let sum = 0;
  for (const state of committedStates) {
    let cursor: string | undefined;
    do {
      const page = await claims.list({ state, limit: LIST_PAGE, ...(cursor ? { cursor } : {}) });
      for (const c of page.items)
        if ((c.region ?? c.assessment?.region) === region) sum += c.payoutFen ?? c.assessment?.payoutFen ?? 0;
      cursor = page.cursor;
    } while (cursor);
  }
  return sum;
}

export interface FundView {
  readonly region: string;
  readonly initialFen: Fen;
  readonly toppedUpFen: Fen;
  readonly paidFen: Fen;
  readonly balanceFen: Fen;
  /** Estimated payouts of the region's approved claims not paid yet. */
  readonly committedFen: Fen;
  /** Claims in AWAITING_FUNDS. */
  readonly waiting: number;
}

async function fundView(deps: FundApiDeps, region: string, initialFen: Fen): Promise<FundView> {
  const [fund, committed] = await Promise.all([
    deps.funds.fund(region, initialFen),
    committedFen(deps.claims, region),
  ]);
  return {
    region,
    initialFen: fund.initialFen,
    toppedUpFen: fund.toppedUpFen,
    paidFen: fund.paidFen,
    balanceFen: fund.balanceFen,
    committedFen: committed,
    waiting: fund.waiting,
  };
}

/** GET /funds/{region}. */
export async function getFund(deps: FundApiDeps, region: string | undefined): Promise<FundView> {
  const fund = fundOf(deps, region);
  return fundView(deps, fund.region, fund.initialFen);
}

export const topUpBodySchema = z
  .object({
    /** Decimal yuan, as typed ("200000", "200000.50"); parsed once, below. */
    amount: z.string(),
    /** The finance team's reference (a transfer slip number): a top-up is applied once per ref. */
    ref: z
      .string()
      .min(1)
      .max(64)
      // Format characters (a right-to-left override, zero-width spaces) and line separators make
      // one ref look like another on the history page and in files: refused with the controls.
      .refine((s) => s.trim() === s && !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(s), {
        message: 'ref: no control or format characters or leading or trailing spaces',
      }),
  })
  .strict();

export interface TopUpAnswer extends FundView {
  /** False when this reference was applied before: nothing was added this time. */
  readonly applied: boolean;
  /** The top-up on record under the reference (this one, or the earlier one). */
  readonly topUp: FundTopUp;
  /** Claims this request paid from the waiting queue. */
  readonly paidNow: { readonly count: number; readonly fen: Fen };
  /** Claims left waiting that the money may cover: the sweeper pays them within 15 minutes. */
  readonly more: boolean;
}

/**
 * POST /funds/{region}/topups: adds the money once per reference, then pays the waiting claims
 * oldest first until the fund is short again (or the request's budget is spent). A repeated
 * reference adds nothing and says so, but still pays whatever the fund now covers.
 */
export async function topUpFund(
  deps: TopUpDeps,
  principal: Principal,
  region: string | undefined,
  body: unknown,
  budget: DrainBudget = API_DRAIN_BUDGET,
): Promise<TopUpAnswer> {
  const fund = fundOf(deps, region);
  const input = topUpBodySchema.parse(body);
  const amount = parseYuan(input.amount);
  if (!amount.ok || amount.fen === 0)
    throw new InvalidInputError('BAD_AMOUNT', `amount: ${amount.ok ? 'must be above 0' : amount.error}`, {
      // Which rule the amount broke, for the words people read.
      params: { field: 'amount', problem: amount.ok ? 'AMOUNT_ZERO' : amount.code },
    });
  const topUp: FundTopUp = {
    region: fund.region,
    ref: input.ref,
    amountFen: amount.fen,
    by: principal.username,
    at: deps.clock.now().toISOString(),
  };
  const applied = await deps.funds.topUp(topUp, fund.initialFen);
  const recorded = applied
    ? topUp
    : ((await deps.funds.topUps(fund.region)).find((t) => t.ref === input.ref) ?? topUp);
  const drained = await drainFund(
    { ...deps, pay: (claimId) => recordPayout(deps, { claimId }) },
    fund.region,
    budget,
  );
  const after = await fundView(deps, fund.region, fund.initialFen);
  return {
    ...after,
    applied,
    topUp: recorded,
    paidNow: { count: drained.paid.length, fen: drained.paidFen },
    more: drained.stoppedBy === 'budget' || drained.stoppedBy === 'stuck',
  };
}

export interface FundHistory {
  readonly region: string;
  readonly year: number;
  /** One point per China day from 1 January of this year to today. */
  readonly points: ReturnType<typeof fundHistory>;
  /** Every top-up, oldest first. */
  readonly topUps: readonly FundTopUp[];
  /** The day the balance reaches 0 at the last 30 days' rate (null: nothing paid, never). */
  readonly runOut: ReturnType<typeof runOutDate>;
  readonly today: string;
}

/**
 * GET /funds/{region}/history: the balance at the end of each day of this year, its payouts (the
 * region's ledger, streamed and summed by day as the export reads it) and top-ups, and the
 * run-out date.
 */
export async function getFundHistory(
  deps: FundHistoryDeps,
  region: string | undefined,
): Promise<FundHistory> {
  const fund = fundOf(deps, region);
  const { today } = fund;
  const yearStart = `${today.slice(0, 4)}-01-01`;
  // The run-out rate looks 30 days back, which in January reaches into last year.
  const rateStart = addDays(today, 1 - RUN_OUT_WINDOW_DAYS);
  const from = rateStart < yearStart ? rateStart : yearStart;
  const [account, topUps] = await Promise.all([
    deps.funds.fund(fund.region, fund.initialFen),
    deps.funds.topUps(fund.region),
  ]);
  const byDay = new Map<string, Fen>();
  for await (const e of deps.ledger.entries({ from, to: today, region: fund.region }))
    byDay.set(e.paidDate, (byDay.get(e.paidDate) ?? 0) + e.payoutFen);
  const paid: DailyPaid[] = [...byDay].map(([date, paidFen]) => ({ date, paidFen }));
  return {
    region: fund.region,
    year: yearOf(today),
    points: fundHistory({ balanceFen: account.balanceFen, paid, topUps, from: yearStart, to: today }),
    topUps,
    runOut: runOutDate(account.balanceFen, paid, today),
    today,
  };
}

// A region's relief fund, as figures people read: which policy's fund a region draws, the
// balance day by day (from the top-ups and the ledger), and the day it runs out at the current
// rate. Pure: dates are China calendar dates, amounts integer fen, "today" is passed in.
import { addDays, chinaDate, daysBetween } from '#shared/dates.ts';
import type { Fen } from '#shared/money.ts';
import { builtInPolicies, policyInForce, type Policy } from '#shared/policy.ts';

/** Days of payouts the run-out rate averages over, today included. */
export const RUN_OUT_WINDOW_DAYS = 30;

/**
 * The fund a region draws: its policy in force today, or else the newest of its policies that
 * had one (claims priced under it may still wait for money). Undefined: the region has no fund.
 */
export function regionFund(
  region: string,
  today: string,
  policies: readonly Policy[] = builtInPolicies,
): { readonly initialFen: Fen } | undefined {
  const inForce = policyInForce(region, today, policies);
  if (inForce?.fund) return inForce.fund;
  const newest = policies
    .filter((p) => p.region === region && p.fund)
    .sort((a, b) => b.effectiveFrom.localeCompare(a.effectiveFrom) || b.version - a.version)[0];
  return newest?.fund;
}

/** Every region some policy gives a fund, each once. */
export function fundRegions(policies: readonly Policy[] = builtInPolicies): string[] {
  return [...new Set(policies.filter((p) => p.fund).map((p) => p.region))].sort();
}

/** What the fund paid on one China day. */
export interface DailyPaid {
  readonly date: string;
  readonly paidFen: Fen;
}

export interface RunOut {
  /** Average paid per day over the window, in whole fen (rounded down), for display. */
  readonly dailyFen: Fen;
  /** The China date the balance reaches 0 at that rate; null when nothing was paid (rate 0). */
  readonly date: string | null;
}

/**
 * When the fund runs out if it keeps paying what it paid on average over the last 30 days (today
 * included): today plus the balance divided by that rate, rounded up to a whole day. A fund
 * already at 0 with payouts running out today; a fund that paid nothing in the window never.
 */
export function runOutDate(balanceFen: Fen, paid: Iterable<DailyPaid>, today: string): RunOut {
  const first = addDays(today, 1 - RUN_OUT_WINDOW_DAYS);
  let windowFen = 0;
  for (const day of paid) if (day.date >= first && day.date <= today) windowFen += day.paidFen;
  if (windowFen <= 0) return { dailyFen: 0, date: null };
  // balance / (windowFen / 30) in integers: no fraction of a fen ever becomes a float.
  const days = Math.ceil((Math.max(0, balanceFen) * RUN_OUT_WINDOW_DAYS) / windowFen);
  return { dailyFen: Math.floor(windowFen / RUN_OUT_WINDOW_DAYS), date: addDays(today, days) };
}

export interface FundHistoryPoint {
  readonly date: string;
  /** The balance at the end of the day. */
  readonly balanceFen: Fen;
  /** Paid out that day. */
  readonly paidFen: Fen;
  /** Added by top-ups that day. */
  readonly toppedUpFen: Fen;
}

/**
 * The fund day by day from `from` to `to` (China dates, inclusive), ending at the balance it holds
 * now: the balance before `from` is worked back from `balanceFen` by undoing the window's
 * payouts and top-ups, so the last point always equals the fund's own figure. `paid` and
 * `topUps` may hold days outside the window; those are left out.
 */
export function fundHistory(input: {
  readonly balanceFen: Fen;
  readonly paid: Iterable<DailyPaid>;
  readonly topUps: Iterable<{ readonly at: string; readonly amountFen: Fen }>;
  readonly from: string;
  readonly to: string;
}): FundHistoryPoint[] {
  const { from, to } = input;
  const length = daysBetween(from, to) + 1;
  if (length <= 0) return [];
  const paid = new Array<number>(length).fill(0);
  const added = new Array<number>(length).fill(0);
  for (const day of input.paid) {
    const i = daysBetween(from, day.date);
    if (i >= 0 && i < length) paid[i] = (paid[i] ?? 0) + day.paidFen;
  }
  for (const topUp of input.topUps) {
    const i = daysBetween(from, chinaDate(new Date(topUp.at)));
    if (i >= 0 && i < length) added[i] = (added[i] ?? 0) + topUp.amountFen;
  }
  let balance = input.balanceFen;
  for (let i = 0; i < length; i++) balance += (paid[i] ?? 0) - (added[i] ?? 0);
  const points: FundHistoryPoint[] = [];
  for (let i = 0; i < length; i++) {
    const paidFen = paid[i] ?? 0;
    const toppedUpFen = added[i] ?? 0;
    balance += toppedUpFen - paidFen;
    points.push({ date: addDays(from, i), balanceFen: balance, paidFen, toppedUpFen });
  }
  return points;
}

/** A claim waiting for the fund: what it will be paid and since when it waits. */
export interface WaitingClaim {
  readonly payoutFen: Fen;
  readonly since: string;
}

/**
 * What a balance pays of the waiting claims, oldest first, stopping at the first it cannot cover
 * (the claims behind it wait too, however small): the count and total a top-up would pay now.
 */
export function wouldPay(balanceFen: Fen, waiting: readonly WaitingClaim[]): { count: number; fen: Fen } {
  let left = balanceFen;
  let count = 0;
  let fen = 0;
  for (const claim of [...waiting].sort((a, b) => a.since.localeCompare(b.since))) {
    if (claim.payoutFen > left) break;
    left -= claim.payoutFen;
    count += 1;
    fen += claim.payoutFen;
  }
  return { count, fen };
}

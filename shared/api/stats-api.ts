// The dashboard's figures, computed on request from indexed reads only (no table scan): payouts
// from the ledger's month index, claims per state from counts on the state index, the review
// backlog from the PENDING_REVIEW and APPEALED partitions of that index, and the time from upload to payout
// from the filing times of the latest payouts. Money stays integer fen; durations are seconds.
import * as z from 'zod';
import { findPolicy, type GateId, type Policy } from '#shared/policy.ts';
import { nextGate } from '#shared/review-routing.ts';
import { chinaDate } from '#shared/dates.ts';
import { claimStates, type Category, type ClaimState } from '#shared/vocabulary.ts';
import { reviewStates } from '#shared/claim-groups.ts';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { ClaimStore, Clock, LedgerStore } from '#shared/ports.ts';

/** What the dashboard needs from the claims table beyond the claim and ledger ports. */
export interface StatsStore {
  /** How many claims are in a state now (a count over the state index, no items read). */
  countInState(state: ClaimState): Promise<number>;
  /** When each claim was filed (its manifest's upload), by claim id; unknown ids are left out. */
  filedAt(claimIds: readonly string[]): Promise<Map<string, string>>;
}

export interface StatsDeps {
  readonly claims: Pick<ClaimStore, 'list'>;
  readonly ledger: LedgerStore;
  readonly stats: StatsStore;
  readonly clock: Clock;
  readonly policies?: readonly Policy[];
}

export const statsQuerySchema = z.object({
  /** Months of payouts, ending with the current one (China time). */
  months: z.coerce.number().int().min(1).max(12).default(6),
});

/** Upper bounds (seconds) of the upload-to-payout buckets; the last bucket is open. */
export const payTimeBuckets = [60, 600, 3_600, 21_600, 86_400, 259_200, 604_800] as const;
/** Upper bounds (seconds) of the backlog's age buckets: a gate escalates after 14 days. */
export const backlogAgeBuckets = [86_400, 259_200, 604_800, 1_209_600] as const;
/** Payouts whose filing time is looked up for the time-to-payout distribution (the latest ones). */
export const PAY_TIME_SAMPLE = 1_000;
/** Claims in review read for the backlog; more than this and the answer says it is partial. */
export const BACKLOG_LIMIT = 5_000;

/** The first bucket whose bound holds the value; the open bucket after the last bound. */
export function bucketOf(bounds: readonly number[], value: number): number {
  const i = bounds.findIndex((b) => value < b);
  return i === -1 ? bounds.length : i;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

/** The `count` months ending with `lastMonth` ('2026-12'), oldest first. */
export function monthsEnding(lastMonth: string, count: number): string[] {
  const [y, m] = lastMonth.split('-').map(Number) as [number, number];
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const index = y * 12 + (m - 1) - i;
    out.push(`${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`);
  }
  return out;
}

/** The gate a claim in review waits at, and since when (the previous gate's decision, else its filing). */
export function waitingAt(
  claim: ClaimRecord,
  policies?: readonly Policy[],
): { gate: GateId | 'unknown'; since: string } {
  const policy = claim.assessment
    ? findPolicy(claim.assessment.policyId, claim.assessment.policyVersion, policies)
    : undefined;
  const gate =
    (policy ? nextGate(policy, claim) : claim.requiredGates?.find((g) => claim.gates[g] === undefined)) ??
    'unknown';
  const decided = Object.values(claim.gates)
    .map((d) => d?.at)
    .filter((at): at is string => typeof at === 'string')
    .sort();
  return { gate, since: decided[decided.length - 1] ?? claim.filedAt };
}

interface VillageRow {
  region: string;
  village: string;
  paidCount: number;
  paidFen: number;
  pending: number;
}

export async function getStats(deps: StatsDeps, query: unknown) {
  const { months: monthCount } = statsQuerySchema.parse(query ?? {});
  const now = deps.clock.now();
  const today = chinaDate(now);
  const months = monthsEnding(today.slice(0, 7), monthCount);
  const from = `${months[0]}-01`;

  // Payouts by month and category, and by village.
  const cells = new Map<string, { month: string; category: Category; count: number; fen: number }>();
  const villages = new Map<string, VillageRow>();
  const village = (region: string, name: string) => {
    const key = `${region}|${name}`;
    let row = villages.get(key);
    if (!row) villages.set(key, (row = { region, village: name, paidCount: 0, paidFen: 0, pending: 0 }));
    return row;
  };
  // The latest payouts, kept for the time-to-payout sample.
  let latest: LedgerEntry[] = [];
  let paidCount = 0;
  let paidFen = 0;
  let waits: number[] = [];
  const backlog = new Map<string, number[]>();
  let pending = 0;
  let oldestSeconds = 0;
  let cursor: string | undefined;

  // The three reads are independent: run them side by side.
  const payoutsRead = (async () => {
    for await (const entry of deps.ledger.entries({ from, to: today })) {
      const month = entry.paidDate.slice(0, 7);
      const key = `${month}|${entry.category}`;
      const cell = cells.get(key) ?? { month, category: entry.category, count: 0, fen: 0 };
      cell.count += 1;
      cell.fen += entry.payoutFen;
      cells.set(key, cell);
      const row = village(entry.region, entry.village);
      row.paidCount += 1;
      row.paidFen += entry.payoutFen;
      paidCount += 1;
      paidFen += entry.payoutFen;
      latest.push(entry);
      if (latest.length >= 2 * PAY_TIME_SAMPLE) latest = newest(latest, PAY_TIME_SAMPLE);
    }
    latest = newest(latest, PAY_TIME_SAMPLE);

    // Upload to payout, from each sampled claim's filing time.
    const filed = await deps.stats.filedAt(latest.map((e) => e.claimId));
    waits = latest
      .flatMap((e) => {
        const at = filed.get(e.claimId);
        return at ? [Math.max(0, (Date.parse(e.paidAt) - Date.parse(at)) / 1000)] : [];
      })
      .sort((a, b) => a - b);
  })();

  // The review backlog: each claim waiting, at its gate, by how long it has waited there; a
  // first review (after an objection too) and an appeal alike.
  const backlogRead = (async () => {
    for (const state of reviewStates) {
      do {
        const page = await deps.claims.list({ state, limit: 200, ...(cursor ? { cursor } : {}) });
        for (const claim of page.items) {
          if (claim.state !== state) continue;
          const { gate, since } = waitingAt(claim, deps.policies);
          const age = Math.max(0, (now.getTime() - Date.parse(since)) / 1000);
          oldestSeconds = Math.max(oldestSeconds, age);
          const ages = backlog.get(gate) ?? new Array<number>(backlogAgeBuckets.length + 1).fill(0);
          ages[bucketOf(backlogAgeBuckets, age)]! += 1;
          backlog.set(gate, ages);
          if (claim.region && claim.village) village(claim.region, claim.village).pending += 1;
          pending += 1;
        }
        cursor = page.cursor;
      } while (cursor && pending < BACKLOG_LIMIT);
      if (cursor) break;
    }
  })();

  const statesRead = Promise.all(
    claimStates.map(async (s) => [s, await deps.stats.countInState(s)] as const),
  );
  const [counts] = await Promise.all([statesRead, payoutsRead, backlogRead]);
  const states = Object.fromEntries(counts) as Record<ClaimState, number>;
  const payBuckets = new Array<number>(payTimeBuckets.length + 1).fill(0);
  for (const w of waits) payBuckets[bucketOf(payTimeBuckets, w)]! += 1;

  return {
    asOf: now.toISOString(),
    months,
    from,
    to: today,
    states,
    payouts: {
      count: paidCount,
      fen: paidFen,
      cells: [...cells.values()].sort((a, b) =>
        a.month === b.month ? a.category.localeCompare(b.category) : a.month < b.month ? -1 : 1,
      ),
    },
    timeToPay: {
      /** Payouts measured: the latest PAY_TIME_SAMPLE of the period at most. */
      n: waits.length,
      sampled: paidCount > latest.length,
      p50Seconds: nearestRank(waits, 50),
      p90Seconds: nearestRank(waits, 90),
      maxSeconds: waits.length ? (waits[waits.length - 1] ?? null) : null,
      bucketBounds: [...payTimeBuckets],
      buckets: payBuckets,
    },
    backlog: {
      total: pending,
      partial: cursor !== undefined,
      oldestSeconds: Math.round(oldestSeconds),
      ageBounds: [...backlogAgeBuckets],
      byGate: [...backlog.entries()].map(([gate, ages]) => ({ gate, ages })),
    },
    villages: [...villages.values()].sort(
      (a, b) => b.paidFen - a.paidFen || b.pending - a.pending || a.village.localeCompare(b.village),
    ),
  };
}

function newest(entries: readonly LedgerEntry[], n: number): LedgerEntry[] {
  return [...entries].sort((a, b) => (a.paidAt < b.paidAt ? 1 : a.paidAt > b.paidAt ? -1 : 0)).slice(0, n);
}

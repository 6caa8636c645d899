// The dashboard's figures over in-memory ports: sums to the fen, durations in seconds, the
// backlog by the gate a claim waits at and for how long.
import { describe, expect, it } from 'vitest';
import { claimStates } from '#shared/vocabulary.ts';
import fc from 'fast-check';
import { blankClaim, type ClaimRecord, type LedgerEntry } from '#shared/claim.ts';
import {
  backlogAgeBuckets,
  bucketOf,
  getStats,
  monthsEnding,
  nearestRank,
  payTimeBuckets,
} from '#shared/api/stats-api.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { memoryStats } from '#functions/adapters/memory/memory-stats.ts';
import type { Category } from '#shared/vocabulary.ts';

const NOW = new Date('2026-12-06T04:00:00.000Z'); // 12:00 in China

function paid(
  store: MemoryStore,
  id: string,
  o: { category: Category; fen: number; paidAt: string; filedAt: string; village?: string },
) {
  const claim: ClaimRecord = {
    ...blankClaim(id, o.filedAt),
    householdId: `HH-${id}`,
    category: o.category,
    region: 'demo',
    village: o.village ?? '红星村',
    state: 'PAID',
    payoutFen: o.fen,
  };
  store.claimsById.set(id, claim);
  const entry: LedgerEntry = {
    claimId: id,
    householdId: `HH-${id}`,
    region: 'demo',
    village: o.village ?? '红星村',
    category: o.category,
    gridWorker: 'worker1',
    payoutFen: o.fen,
    capYear: 2026,
    policyId: 'demo-fangpin',
    policyVersion: 1,
    paidAt: o.paidAt,
    paidDate: o.paidAt.slice(0, 10),
  };
  store.ledger.set(id, entry);
}

function inReview(
  store: MemoryStore,
  id: string,
  filedAt: string,
  gates: ClaimRecord['gates'] = {},
  state: ClaimRecord['state'] = 'PENDING_REVIEW',
) {
  store.claimsById.set(id, {
    ...blankClaim(id, filedAt),
    householdId: `HH-${id}`,
    category: 'medical',
    region: 'demo',
    village: '和平村',
    state,
    requiredGates: ['village', 'department', 'audit'],
    gates,
    assessment: {
      policyId: 'demo-fangpin',
      policyVersion: 1,
      region: 'demo',
      capYear: 2026,
      selfPaidFen: 0,
      grossFen: 0,
      capFen: 0,
      capRemainingFen: 0,
      payoutFen: 600_000,
      bands: [],
      rosterStatus: 'stable',
    },
  });
}

const depsOf = (store: MemoryStore) => ({
  claims: store,
  ledger: store,
  stats: memoryStats(store),
  clock: { now: () => NOW },
});

describe('dashboard stats', () => {
  it('sums payouts by month, category and village to the fen, and times upload to payout in seconds', async () => {
    const store = new MemoryStore();
    paid(store, 'A', {
      category: 'education',
      fen: 812_000,
      filedAt: '2026-12-01T02:00:00.000Z',
      paidAt: '2026-12-01T02:00:02.000Z',
    });
    paid(store, 'B', {
      category: 'education',
      fen: 350_001,
      filedAt: '2026-12-02T02:00:00.000Z',
      paidAt: '2026-12-02T02:00:05.000Z',
    });
    paid(store, 'C', {
      category: 'medical',
      fen: 99,
      filedAt: '2026-10-01T00:00:00.000Z',
      paidAt: '2026-11-03T00:00:00.000Z',
      village: '和平村',
    });
    // Paid before the six months asked for: not counted.
    paid(store, 'D', {
      category: 'medical',
      fen: 5,
      filedAt: '2026-05-01T00:00:00.000Z',
      paidAt: '2026-05-02T00:00:00.000Z',
    });
    const stats = await getStats(depsOf(store), { months: '6' });
    expect(stats.months).toEqual(['2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12']);
    expect(stats.payouts.count).toBe(3);
    expect(stats.payouts.fen).toBe(812_000 + 350_001 + 99);
    expect(stats.payouts.cells).toEqual([
      { month: '2026-11', category: 'medical', count: 1, fen: 99 },
      { month: '2026-12', category: 'education', count: 2, fen: 1_162_001 },
    ]);
    expect(stats.villages.map((v) => [v.village, v.paidCount, v.paidFen])).toEqual([
      ['红星村', 2, 1_162_001],
      ['和平村', 1, 99],
    ]);
    expect(stats.timeToPay.n).toBe(3);
    expect(stats.timeToPay.p50Seconds).toBe(5);
    expect(stats.timeToPay.maxSeconds).toBe(33 * 86_400);
    expect(stats.timeToPay.buckets[0]).toBe(2); // under a minute
    expect(stats.timeToPay.buckets[payTimeBuckets.length]).toBe(1); // over 7 days
    expect(stats.states.PAID).toBe(4);
  });

  it('counts the backlog at the gate each claim waits at, by how long it has waited there', async () => {
    const store = new MemoryStore();
    inReview(store, 'R1', '2026-12-06T03:00:00.000Z'); // an hour at the village gate
    inReview(store, 'R2', '2026-11-10T00:00:00.000Z'); // 26 days at the village gate
    inReview(store, 'R3', '2026-11-01T00:00:00.000Z', {
      village: { decision: 'approve', by: 'village1', at: '2026-12-03T04:00:00.000Z' },
    }); // 3 days at the department gate, counted from the village decision
    const stats = await getStats(depsOf(store), {});
    expect(stats.backlog.total).toBe(3);
    const byGate = Object.fromEntries(stats.backlog.byGate.map((g) => [g.gate, g.ages]));
    expect(byGate.village).toEqual([1, 0, 0, 0, 1]);
    expect(byGate.department).toEqual([0, 0, 1, 0, 0]);
    expect(stats.backlog.oldestSeconds).toBe(Math.round((NOW.getTime() - Date.parse('2026-11-10')) / 1000));
    expect(stats.villages.find((v) => v.village === '和平村')?.pending).toBe(3);
    expect(stats.states.PENDING_REVIEW).toBe(3);
  });

  it('counts an appeal waiting at its gate in the backlog, and every new state in the state counts', async () => {
    const store = new MemoryStore();
    inReview(store, 'R1', '2026-12-06T03:00:00.000Z');
    inReview(store, 'A1', '2026-12-04T00:00:00.000Z', {}, 'APPEALED'); // two days at the village gate
    inReview(store, 'N1', '2026-12-01T00:00:00.000Z', {}, 'NOTICE'); // posted, not waiting for people
    const stats = await getStats(depsOf(store), {});
    expect(stats.backlog.total).toBe(2);
    expect(stats.backlog.byGate).toEqual([{ gate: 'village', ages: [1, 1, 0, 0, 0] }]);
    expect(stats.states).toMatchObject({ PENDING_REVIEW: 1, APPEALED: 1, NOTICE: 1, AWAITING_FUNDS: 0 });
    expect(Object.keys(stats.states)).toEqual([...claimStates]);
  });

  it('refuses a period outside 1..12 months', async () => {
    await expect(getStats(depsOf(new MemoryStore()), { months: '13' })).rejects.toThrow();
    await expect(getStats(depsOf(new MemoryStore()), { months: '0' })).rejects.toThrow();
  });

  it('months run across the year boundary, oldest first', () => {
    expect(monthsEnding('2027-02', 4)).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    fc.assert(
      fc.property(
        fc.integer({ min: 2000, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        (y, m, n) => {
          const last = `${y}-${String(m).padStart(2, '0')}`;
          const months = monthsEnding(last, n);
          return months.length === n && months[n - 1] === last && [...months].sort().join() === months.join();
        },
      ),
    );
  });

  it('buckets are half-open and percentiles are nearest-rank', () => {
    expect(bucketOf(backlogAgeBuckets, 0)).toBe(0);
    expect(bucketOf(backlogAgeBuckets, 86_399)).toBe(0);
    expect(bucketOf(backlogAgeBuckets, 86_400)).toBe(1);
    expect(bucketOf(backlogAgeBuckets, 10 ** 9)).toBe(backlogAgeBuckets.length);
    expect(nearestRank([], 50)).toBeNull();
    expect(nearestRank([1, 2, 3, 4], 50)).toBe(2);
    expect(nearestRank([1, 2, 3, 4], 90)).toBe(4);
  });
});

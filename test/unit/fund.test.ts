// The relief fund's figures (run-out date, balance day by day, which policy's fund a region
// draws) and the drain that pays waiting claims after a top-up: oldest first, each once, stopping
// where the fund is short, within its budget.
import { describe, expect, it } from 'vitest';
import { fundHistory, fundRegions, regionFund, runOutDate, wouldPay } from '#shared/fund.ts';
import { drainFund, type DrainDeps } from '#shared/workflow/drain-fund.ts';
import { builtInPolicies, parsePolicy, type Policy, type PolicyDocument } from '#shared/policy.ts';
import demoFund from '#shared/data/policies/demo-fund-v1.json' with { type: 'json' };
import type { ClaimRecord } from '#shared/claim.ts';
import type { StepResult } from '#shared/workflow/steps.ts';
import { sweepStuckClaims } from '#shared/workflow/sweep-claims.ts';
import { runAssessSteps } from '#cli/local/world.ts';
import { claimOf, makeWorld, upload } from '#test/support/fixtures.ts';

describe('runOutDate', () => {
  it('divides the balance by the average of the last 30 days, today included, rounding up', () => {
    // 30 days of 1,000 yuan: 1,000 a day; 10,000.01 yuan lasts 10 days and a bit: the 11th day.
    const paid = Array.from({ length: 30 }, (_, i) => ({
      date: `2026-11-${String(i + 1).padStart(2, '0')}`,
      paidFen: 100_000,
    }));
    expect(runOutDate(1_000_001, paid, '2026-11-30')).toEqual({ dailyFen: 100_000, date: '2026-12-11' });
    expect(runOutDate(1_000_000, paid, '2026-11-30')).toEqual({ dailyFen: 100_000, date: '2026-12-10' });
  });

  it('leaves out payouts older than 30 days and later than today', () => {
    const paid = [
      { date: '2026-10-31', paidFen: 9_000_000 }, // 31 days back from 11-30: outside
      { date: '2026-11-01', paidFen: 300_000 }, // the window's first day
      { date: '2026-12-01', paidFen: 9_000_000 }, // tomorrow
    ];
    // 3,000 yuan in 30 days: 100 a day; 1,000 yuan lasts 10 days.
    expect(runOutDate(100_000, paid, '2026-11-30')).toEqual({ dailyFen: 10_000, date: '2026-12-10' });
  });

  it('never runs out when nothing was paid in the window', () => {
    expect(runOutDate(5_000, [], '2026-11-30')).toEqual({ dailyFen: 0, date: null });
    expect(runOutDate(5_000, [{ date: '2026-01-01', paidFen: 1 }], '2026-11-30').date).toBeNull();
  });

  it('an empty fund that is still paying out has run out today', () => {
    expect(runOutDate(0, [{ date: '2026-11-30', paidFen: 1 }], '2026-11-30').date).toBe('2026-11-30');
  });

  it('counts across a year end and keeps integer fen', () => {
    // 7 fen over the window: a rate of 7/30 fen a day; 1 fen lasts 30/7 days, rounded up: 5.
    const result = runOutDate(1, [{ date: '2025-12-20', paidFen: 7 }], '2026-01-10');
    expect(result).toEqual({ dailyFen: 0, date: '2026-01-15' });
  });
});

describe('fundHistory', () => {
  it('ends at the balance held now and works the days before back from it', () => {
    const points = fundHistory({
      balanceFen: 70_000,
      paid: [
        { date: '2026-03-02', paidFen: 20_000 },
        { date: '2026-03-03', paidFen: 10_000 },
        { date: '2026-02-28', paidFen: 999 }, // before the window
      ],
      // 08:00 on 3 March in China is 00:00 UTC; 23:30 UTC on 2 March is 07:30 on 3 March in China.
      topUps: [
        { at: '2026-03-02T23:30:00.000Z', amountFen: 50_000 },
        { at: '2026-03-03T16:00:00.000Z', amountFen: 1 }, // 4 March in China: after the window
      ],
      from: '2026-03-01',
      to: '2026-03-03',
    });
    expect(points).toEqual([
      { date: '2026-03-01', balanceFen: 50_000, paidFen: 0, toppedUpFen: 0 },
      { date: '2026-03-02', balanceFen: 30_000, paidFen: 20_000, toppedUpFen: 0 },
      { date: '2026-03-03', balanceFen: 70_000, paidFen: 10_000, toppedUpFen: 50_000 },
    ]);
  });

  it('has one point per day, none for a window that ends before it starts', () => {
    const year = fundHistory({ balanceFen: 1, paid: [], topUps: [], from: '2024-01-01', to: '2024-12-31' });
    expect(year).toHaveLength(366);
    expect(year.every((p) => p.balanceFen === 1)).toBe(true);
    expect(
      fundHistory({ balanceFen: 1, paid: [], topUps: [], from: '2026-01-02', to: '2026-01-01' }),
    ).toEqual([]);
  });
});

describe('wouldPay', () => {
  it('pays oldest first and stops at the first claim the balance cannot cover', () => {
    const waiting = [
      { payoutFen: 300, since: '2026-11-03' },
      { payoutFen: 500, since: '2026-11-01' },
      { payoutFen: 100, since: '2026-11-04' },
      { payoutFen: 400, since: '2026-11-02' },
    ];
    expect(wouldPay(1_000, waiting)).toEqual({ count: 2, fen: 900 });
    expect(wouldPay(1_300, waiting)).toEqual({ count: 4, fen: 1_300 });
    expect(wouldPay(499, waiting)).toEqual({ count: 0, fen: 0 });
    expect(wouldPay(5, [])).toEqual({ count: 0, fen: 0 });
  });
});

describe('regionFund', () => {
  const v1 = parsePolicy(demoFund);
  const v2: Policy = { ...v1, version: 2, effectiveFrom: '2027-01-01', fund: { initialFen: 1_000 } };
  const noFund: Policy = { ...v1, version: 3, effectiveFrom: '2028-01-01' };
  delete (noFund as { fund?: unknown }).fund;

  it('is the fund of the policy in force, else the newest policy that had one', () => {
    const policies = [v1, v2, noFund];
    expect(regionFund('demo-fund', '2026-06-01', policies)).toEqual(v1.fund);
    expect(regionFund('demo-fund', '2027-06-01', policies)).toEqual({ initialFen: 1_000 });
    expect(regionFund('demo-fund', '2028-06-01', policies)).toEqual({ initialFen: 1_000 });
  });

  it('is undefined for a region whose policies have no fund', () => {
    expect(regionFund('demo', '2026-06-01')).toBeUndefined();
    expect(regionFund('nowhere', '2026-06-01')).toBeUndefined();
    expect(fundRegions(builtInPolicies)).toEqual(['demo-fund']);
    expect(regionFund('demo-fund', '2026-06-01')).toEqual({ initialFen: 500_000_000 });
  });
});

/** A fund's queue and claims in memory; `pay` plays the payout step with a balance. */
function fakeFund(opts: { balanceFen: number; claims: { id: string; since: string; fen: number }[] }) {
  let balance = opts.balanceFen;
  const claims = new Map<string, Pick<ClaimRecord, 'claimId' | 'state' | 'payoutFen'>>(
    opts.claims.map((c) => [c.id, { claimId: c.id, state: 'AWAITING_FUNDS', payoutFen: c.fen }]),
  );
  const queue = [...opts.claims].sort((a, b) => a.since.localeCompare(b.since));
  const payCalls: string[] = [];
  let now = 0;
  const deps: DrainDeps = {
    clock: { now: () => new Date(now) },
    funds: { queue: async (_region, limit) => queue.slice(0, limit).map((c) => c.id) },
    claims: { get: async (id) => structuredClone(claims.get(id)) as ClaimRecord | undefined },
    pay: async (claimId): Promise<StepResult> => {
      payCalls.push(claimId);
      const claim = claims.get(claimId);
      if (!claim || claim.state !== 'AWAITING_FUNDS') return { claimId, outcome: 'paid' };
      const fen = claim.payoutFen ?? 0;
      if (fen > balance) return { claimId, outcome: 'waiting' };
      balance -= fen;
      claim.state = 'PAID';
      queue.splice(
        queue.findIndex((c) => c.id === claimId),
        1,
      );
      return { claimId, outcome: 'paid' };
    },
  };
  return {
    deps,
    payCalls,
    balance: () => balance,
    tick: (ms: number) => (now += ms),
    queue,
  };
}

const budget = { maxClaims: 1_000, maxMs: 60_000 };

describe('drainFund', () => {
  it('pays the waiting claims oldest first and stops at the first the fund cannot cover', async () => {
    const f = fakeFund({
      balanceFen: 3_500,
      claims: [
        { id: 'C', since: '2026-11-03T00:00:00Z', fen: 1_000 },
        { id: 'A', since: '2026-11-01T00:00:00Z', fen: 1_000 },
        { id: 'B', since: '2026-11-02T00:00:00Z', fen: 2_000 },
        { id: 'D', since: '2026-11-04T00:00:00Z', fen: 100 },
      ],
    });
    const result = await drainFund(f.deps, 'demo-fund', budget);
    // A and B fit (3,000); C (1,000) does not fit the 500 left, so D (100) waits behind it.
    expect(result).toEqual({ paid: ['A', 'B'], paidFen: 3_000, stoppedBy: 'short' });
    expect(f.payCalls).toEqual(['A', 'B', 'C']);
    expect(f.balance()).toBe(500);
  });

  it('empties the queue when the money covers everyone, across pages, each claim once', async () => {
    const claims = Array.from({ length: 60 }, (_, i) => ({
      id: `C${String(i).padStart(3, '0')}`,
      since: `2026-11-01T00:00:${String(i).padStart(2, '0')}Z`,
      fen: 10,
    }));
    const f = fakeFund({ balanceFen: 10_000, claims });
    const result = await drainFund(f.deps, 'demo-fund', budget);
    expect(result.stoppedBy).toBe('empty');
    expect(result.paid).toEqual(claims.map((c) => c.id));
    expect(result.paidFen).toBe(600);
    expect(f.payCalls).toEqual(claims.map((c) => c.id));
  });

  it('a second drain after the first pays nothing and counts nothing twice', async () => {
    const f = fakeFund({ balanceFen: 1_000, claims: [{ id: 'A', since: '1', fen: 400 }] });
    expect((await drainFund(f.deps, 'demo-fund', budget)).paid).toEqual(['A']);
    expect(await drainFund(f.deps, 'demo-fund', budget)).toEqual({
      paid: [],
      paidFen: 0,
      stoppedBy: 'empty',
    });
  });

  it('counts only claims it moved: a stale queue entry of a claim already paid is not paid now', async () => {
    const f = fakeFund({ balanceFen: 1_000, claims: [{ id: 'A', since: '1', fen: 400 }] });
    // A was paid by another drain, but its queue entry is still read once.
    await f.deps.pay('A');
    f.queue.push({ id: 'A', since: '1', fen: 400 });
    f.queue.sort((a, b) => a.since.localeCompare(b.since));
    const result = await drainFund(f.deps, 'demo-fund', budget);
    expect(result.paid).toEqual([]);
    expect(result.paidFen).toBe(0);
    expect(result.stoppedBy).toBe('stuck');
  });

  it('stops within its budget of claims and of time, leaving the rest queued in order', async () => {
    const claims = ['A', 'B', 'C', 'D'].map((id, i) => ({ id, since: String(i), fen: 1 }));
    const byCount = fakeFund({ balanceFen: 100, claims });
    expect(await drainFund(byCount.deps, 'demo-fund', { maxClaims: 2, maxMs: 60_000 })).toEqual({
      paid: ['A', 'B'],
      paidFen: 2,
      stoppedBy: 'budget',
    });
    expect(byCount.queue.map((c) => c.id)).toEqual(['C', 'D']);

    const byTime = fakeFund({ balanceFen: 100, claims });
    const pay = byTime.deps.pay;
    const slow: DrainDeps = { ...byTime.deps, pay: async (id) => (byTime.tick(4_000), pay(id)) };
    const result = await drainFund(slow, 'demo-fund', { maxClaims: 100, maxMs: 6_000 });
    expect(result).toMatchObject({ paid: ['A', 'B'], stoppedBy: 'budget' });
    expect(byTime.queue.map((c) => c.id)).toEqual(['C', 'D']);
  });

  it('a payout that fails stops the drain: younger claims do not jump the queue', async () => {
    const f = fakeFund({
      balanceFen: 100,
      claims: [
        { id: 'A', since: '1', fen: 1 },
        { id: 'B', since: '2', fen: 1 },
      ],
    });
    const failing: DrainDeps = {
      ...f.deps,
      pay: async (id) => {
        if (id === 'A') throw new Error('throttled');
        return f.deps.pay(id);
      },
    };
    expect(await drainFund(failing, 'demo-fund', budget)).toEqual({
      paid: [],
      paidFen: 0,
      stoppedBy: 'stuck',
    });
    expect(f.queue.map((c) => c.id)).toEqual(['A', 'B']);
  });
});

describe('the sweeper and the fund', () => {
  /** The demo fund with 1,000 yuan, paying at once (no notice period). */
  const smallFund = parsePolicy({
    ...(demoFund as PolicyDocument),
    noticeDays: 0,
    appealDays: 0,
    fund: { initialYuan: '1000' },
  });

  it('finishes a top-up whose drain was lost: pays the waiting claims oldest first, once', async () => {
    const world = await makeWorld();
    const deps = { ...world, funds: world.store, policies: [smallFund] };
    const file = async (householdId: string, totalCost: string) => {
      const { claimId, key } = upload(world, { householdId, totalCost, category: 'education' });
      world.clockControl.advance(60_000);
      return { claimId, outcome: await runAssessSteps(deps, key) };
    };
    expect((await file('HH-F001', '9600')).outcome).toBe('paid'); // 800 of 1,000 yuan
    const big = await file('HH-F002', '9000'); // 500 yuan
    const small = await file('HH-F003', '8200'); // 100 yuan, behind the 500
    expect([big.outcome, small.outcome]).toEqual(['waiting', 'waiting']);

    // 200 yuan left: the sweep tries the oldest, which the fund cannot cover, and stops there.
    expect((await sweepStuckClaims(deps)).drained).toEqual([
      { region: 'demo-fund', paid: 0, paidFen: 0, stoppedBy: 'short' },
    ]);
    expect((await claimOf(world, small.claimId)).state).toBe('AWAITING_FUNDS');

    // The money lands, and the request that would have paid the queue is lost.
    const at = world.clock.now().toISOString();
    await world.store.topUp(
      { region: 'demo-fund', ref: 'T-1', amountFen: 40_000, by: 'finance1', at },
      100_000,
    );
    expect((await sweepStuckClaims(deps)).drained).toEqual([
      { region: 'demo-fund', paid: 2, paidFen: 60_000, stoppedBy: 'empty' },
    ]);
    const paidAt = async (claimId: string) =>
      (await world.store.history(claimId)).filter((h) => h.to === 'PAID').map((h) => `${h.from}@${h.at}`);
    const [bigPaid, smallPaid] = [await paidAt(big.claimId), await paidAt(small.claimId)];
    expect(bigPaid).toHaveLength(1);
    expect(smallPaid).toHaveLength(1);
    expect(bigPaid[0]?.startsWith('AWAITING_FUNDS@')).toBe(true);
    expect(await world.store.fund('demo-fund', 100_000)).toMatchObject({
      balanceFen: 0,
      waiting: 0,
      paidFen: 140_000,
    });
    // Nothing waits: the next sweep leaves the fund alone.
    expect((await sweepStuckClaims(deps)).drained).toEqual([]);
    expect((await world.store.ledgerEntry(small.claimId))?.payoutFen).toBe(10_000);
  });
});

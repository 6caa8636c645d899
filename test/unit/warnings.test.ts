import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import {
  assessBurden,
  burdenBp,
  burdenBpCap,
  refreshBurdenAfterCounting,
  refreshBurdens,
  refreshBurdensAfterRosterChange,
  warningLevelOf,
  type HouseholdBurden,
} from '#shared/warnings.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { claimRecord } from '#cli/local/world.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import type { FeedRecord } from '#shared/feed-record.ts';
import { listWarnings, warningsCsv } from '#shared/api/warnings-api.ts';
import { listHouseholds } from '#shared/api/roster-api.ts';
import { ForbiddenError } from '#shared/errors.ts';

const lines = { red: 5000, orange: 3000, blue: 1500 };

describe('burdenBp', () => {
  it.each([
    [0, 1_000_000, 0],
    [0, 0, 0],
    [1, 0, burdenBpCap],
    [500_000, 1_000_000, 5000],
    [499_999, 1_000_000, 4999], // rounded down: 49.9999% is not 50%
    [3, 7, 4285],
    [10_000_000_000, 1, burdenBpCap],
  ])('self-paid %i of income %i is %i bp', (selfPaid, income, bp) => {
    expect(burdenBp(selfPaid, income)).toBe(bp);
  });
});

describe('warningLevelOf', () => {
  it.each([
    [0, null],
    [1, null],
    [1499, null],
    [1500, 'blue'],
    [2999, 'blue'],
    [3000, 'orange'],
    [4999, 'orange'],
    [5000, 'red'],
    [burdenBpCap, 'red'],
  ] as const)('%i bp is %s', (bp, level) => {
    expect(warningLevelOf(bp, lines)).toBe(level);
  });

  it('no income with something self-paid is the top level; nothing self-paid is no level', () => {
    expect(warningLevelOf(burdenBp(1, 0), { red: 1_000_000, orange: 3000, blue: 1500 })).toBe('red');
    expect(warningLevelOf(burdenBp(0, 0), lines)).toBeNull();
  });

  it('never falls as the self-paid cost grows (income fixed)', () => {
    const rank = (l: string | null) => (l === null ? 0 : ({ blue: 1, orange: 2, red: 3 }[l] ?? -1));
    const thresholds = fc
      .tuple(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
      )
      .map(([a, b, c]) => {
        const [blue, orange, red] = [a, b, c].sort((x, y) => x - y) as [number, number, number];
        return { red, orange, blue };
      });
    fc.assert(
      fc.property(
        thresholds,
        fc.nat({ max: 100_000_000 }),
        fc.nat({ max: 100_000_000 }),
        fc.nat({ max: 100_000_000 }),
        (t, income, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          expect(rank(warningLevelOf(burdenBp(high, income), t))).toBeGreaterThanOrEqual(
            rank(warningLevelOf(burdenBp(low, income), t)),
          );
        },
      ),
    );
  });
});

describe('assessBurden', () => {
  const burden = (dates: string[]): Pick<HouseholdBurden, 'annualIncomeFen' | 'expenses'> => ({
    annualIncomeFen: 1_000_000,
    expenses: dates.map((date, i) => ({
      source: 'claim',
      ref: `C${i}`,
      category: 'medical',
      date,
      selfPaidFen: 200_000,
    })),
  });

  it('counts expenses dated after today - 365 days: the day 365 days back is out, the day after is in', () => {
    // 2026-09-05 - 365 days = 2025-09-05.
    const out = assessBurden(burden(['2025-09-05']), lines, '2026-09-05');
    expect(out.expenses).toEqual([]);
    expect(out.level).toBeNull();
    const edge = assessBurden(burden(['2025-09-06']), lines, '2026-09-05');
    expect(edge.selfPaidFen).toBe(200_000);
    expect(edge.level).toBe('blue');
  });

  it('sums the window and lists the expenses latest first', () => {
    const out = assessBurden(
      burden(['2026-01-02', '2026-08-01', '2025-01-01', '2026-03-03']),
      lines,
      '2026-09-05',
    );
    expect(out.selfPaidFen).toBe(600_000);
    expect(out.burdenBp).toBe(6000);
    expect(out.level).toBe('red');
    expect(out.expenses.map((e) => e.date)).toEqual(['2026-08-01', '2026-03-03', '2026-01-02']);
  });
});

const today = '2026-09-05';
const clock = { now: () => new Date('2026-09-05T02:00:00.000Z') };

function period(householdId: string, over: Partial<RosterPeriod> = {}): RosterPeriod {
  return {
    householdId,
    region: 'demo-fund',
    village: '东山村',
    headName: '陈国强',
    idNumber: '430381196403125118',
    members: 4,
    status: 'unstable',
    statusFrom: '2024-01-01',
    gridWorker: 'worker1',
    bankAccount: '6230900000000001001',
    annualIncomeFen: 1_000_000,
    ...over,
  };
}

function feedRecord(householdId: string, over: Partial<FeedRecord>): FeedRecord {
  return {
    kind: 'medical',
    recordId: 'R1',
    householdId,
    relation: 'head',
    capYear: 2026,
    expenseDate: '2026-06-01',
    totalCostFen: 500_000,
    reimbursedFen: 300_000,
    selfPaidFen: 200_000,
    place: '县人民医院',
    state: 'counted',
    firstJobId: 'J1',
    jobId: 'J1',
    corrections: 0,
    updatedAt: '2026-06-02T00:00:00.000Z',
    version: 1,
    ...over,
  };
}

async function seeded() {
  const store = new MemoryStore();
  await store.put([
    period('HH-A'),
    period('HH-B', { village: '西河村', idNumber: '430381197111055124', annualIncomeFen: 0 }),
    period('HH-C', { idNumber: '430381198309205217', gridWorker: 'worker2' }),
    period('HH-D', { region: 'demo', idNumber: '430381198309205233' }),
  ]);
  const counted = (householdId: string, over: Partial<Parameters<typeof claimRecord>[0]>) =>
    store.create(
      claimRecord({
        householdId,
        region: 'demo-fund',
        category: 'medical',
        accumulated: { beforeFen: 0, afterFen: 150_000 },
        ...over,
      }),
      [],
    );
  // HH-A: 1 500 + 1 000 (below threshold) + 2 000 (feed) = 4 500 yuan of 10 000: orange.
  await counted('HH-A', { state: 'PAID', expenseDate: '2026-05-01' });
  await counted('HH-A', {
    state: 'REJECTED',
    reason: 'BELOW_THRESHOLD',
    expenseDate: '2026-02-01',
    accumulated: { beforeFen: 150_000, afterFen: 250_000 },
  });
  // Not counted: rejected for another reason, approved but unpaid, older than 365 days.
  await counted('HH-A', { state: 'REJECTED', reason: 'NOT_COVERED', expenseDate: '2026-05-02' });
  await counted('HH-A', { state: 'APPROVED', expenseDate: '2026-05-03' });
  await counted('HH-A', { state: 'DISBURSED', expenseDate: '2025-09-05' });
  await store.writeRecords([
    { record: feedRecord('HH-A', { recordId: 'R1' }), expectedVersion: null },
    // Claimed by a claim: counts through the claim, never on its own.
    { record: feedRecord('HH-A', { recordId: 'R2', state: 'claimed', claimId: 'X' }), expectedVersion: null },
    { record: feedRecord('HH-A', { recordId: 'R3', state: 'pending' }), expectedVersion: null },
  ]);
  // HH-B: no income, something self-paid: red.
  await counted('HH-B', { state: 'DISBURSEMENT_FAILED', expenseDate: '2026-08-01' });
  // HH-C (worker2's): 6 000 of 10 000: red.
  await counted('HH-C', {
    state: 'PAID',
    expenseDate: '2026-08-02',
    accumulated: { beforeFen: 0, afterFen: 600_000 },
  });
  // HH-D: a region without warning lines.
  await counted('HH-D', { state: 'PAID', region: 'demo', expenseDate: '2026-08-02' });
  const deps = { roster: store, claims: store, feeds: store, warnings: store, clock };
  await refreshBurdens(deps, ['HH-A', 'HH-B', 'HH-C', 'HH-D', 'HH-A', 'HH-NONE']);
  return { store, deps };
}

describe('refreshBurdens', () => {
  it('stores each household the expenses that counted in the last 365 days, once each', async () => {
    const { store } = await seeded();
    const [a] = [...(await store.burdensOf('demo-fund', ['HH-A'])).values()];
    expect(
      a?.expenses.map((e) => [e.source, e.ref.startsWith('medical:') ? e.ref : 'claim', e.selfPaidFen]),
    ).toEqual([
      ['feed', 'medical:R1', 200_000],
      ['claim', 'claim', 150_000],
      ['claim', 'claim', 100_000],
    ]);
    expect(a).toMatchObject({
      region: 'demo-fund',
      village: '东山村',
      gridWorker: 'worker1',
      annualIncomeFen: 1_000_000,
    });
    expect(assessBurden(a!, lines, today)).toMatchObject({
      level: 'orange',
      burdenBp: 4500,
      selfPaidFen: 450_000,
    });
    // A region whose policy sets no lines keeps nothing.
    expect(await store.burdens('demo')).toEqual([]);
    expect((await store.burdens('demo-fund')).map((b) => b.householdId).sort()).toEqual([
      'HH-A',
      'HH-B',
      'HH-C',
    ]);
  });

  it('follows a roster change: new income and grid worker read again, a region left behind cleared', async () => {
    const { store, deps } = await seeded();
    const [a] = await store.periods('HH-A');
    const [c] = await store.periods('HH-C');
    await store.put([
      { ...a!, statusFrom: '2026-09-01', gridWorker: 'worker2', annualIncomeFen: 2_000_000 },
      // Moved to a region whose policy sets no warning lines.
      { ...c!, statusFrom: '2026-09-01', region: 'demo' },
    ]);
    await refreshBurdensAfterRosterChange(deps, ['HH-A', 'HH-C', 'HH-NONE']);
    const [after] = [...(await store.burdensOf('demo-fund', ['HH-A'])).values()];
    expect(after).toMatchObject({ gridWorker: 'worker2', annualIncomeFen: 2_000_000 });
    expect(assessBurden(after!, lines, today)).toMatchObject({ burdenBp: 2250, selfPaidFen: 450_000 });
    expect((await store.burdens('demo-fund')).map((b) => b.householdId).sort()).toEqual(['HH-A', 'HH-B']);
    expect(await store.burdens('demo')).toEqual([]);
  });

  it('a failed refresh after counting is reported by code and does not throw', async () => {
    const { store } = await seeded();
    const codes: string[] = [];
    const broken = {
      ...store,
      putBurden: async () => {
        throw new Error('store down');
      },
      burdens: store.burdens.bind(store),
      burdensOf: store.burdensOf.bind(store),
    };
    await expect(
      refreshBurdenAfterCounting(
        { roster: store, claims: store, feeds: store, warnings: broken, clock, report: (c) => codes.push(c) },
        claimRecord({ householdId: 'HH-A' }),
      ),
    ).resolves.toBeUndefined();
    expect(codes).toEqual(['WARNING_REFRESH_FAILED']);
  });
});

describe('listWarnings', () => {
  const admin = { username: 'admin1', roles: ['admin'] as const };
  const worker1 = { username: 'worker1', roles: ['gridWorker'] as const };

  it('admins see every household of the region at a level, red first, with counts per village', async () => {
    const { store } = await seeded();
    const list = await listWarnings({ warnings: store, roster: store, clock }, admin, {
      region: 'demo-fund',
    });
    expect(list.households.map((h) => [h.householdId, h.level])).toEqual([
      ['HH-B', 'red'],
      ['HH-C', 'red'],
      ['HH-A', 'orange'],
    ]);
    expect(list.households[0]).toMatchObject({ burdenBp: burdenBpCap, lineBp: 5000, annualIncomeFen: 0 });
    expect(list.byVillage).toEqual([
      { region: 'demo-fund', village: '东山村', red: 1, orange: 1, blue: 0 },
      { region: 'demo-fund', village: '西河村', red: 1, orange: 0, blue: 0 },
    ]);
    const reds = await listWarnings({ warnings: store, roster: store, clock }, admin, { level: 'red' });
    expect(reds.households.map((h) => h.householdId)).toEqual(['HH-B', 'HH-C']);
  });

  it('a grid worker sees only their own households; other roles are refused', async () => {
    const { store } = await seeded();
    const own = await listWarnings({ warnings: store, roster: store, clock }, worker1, {});
    expect(own.households.map((h) => h.householdId)).toEqual(['HH-B', 'HH-A']);
    await expect(
      listWarnings({ warnings: store, roster: store, clock }, { username: 'fin', roles: ['finance'] }, {}),
    ).rejects.toBeInstanceOf(ForbiddenError);
    // A grid worker with another role too still sees only their own households.
    const both = await listWarnings(
      { warnings: store, roster: store, clock },
      { username: 'worker1', roles: ['gridWorker', 'villageVerifier'] },
      {},
    );
    expect(both.households.map((h) => h.householdId)).toEqual(['HH-B', 'HH-A']);
  });

  it('writes a spreadsheet-safe CSV: BOM, Chinese headers, ids as text, amounts as numbers', async () => {
    const { store } = await seeded();
    const list = await listWarnings({ warnings: store, roster: store, clock }, admin, {
      region: 'demo-fund',
    });
    const csv = warningsCsv(list, 'zh');
    const [header, first] = csv.split('\r\n');
    expect(header?.startsWith('\uFEFF农户编号,')).toBe(true);
    expect(first).toBe('HH-B,示范县防贫帮扶基金,西河村,worker1,红色预警,10000.00,1500.00,0.00,1');
    expect(warningsCsv(list, 'en').split('\r\n')[0]).toContain('Household ID');
  });

  it('the grid worker households list carries each level and puts red first', async () => {
    const { store } = await seeded();
    const { items } = await listHouseholds(store, clock, worker1, undefined, { warnings: store });
    expect(items.map((h) => [h.householdId, h.warning?.level ?? null])).toEqual([
      ['HH-B', 'red'],
      ['HH-A', 'orange'],
      ['HH-D', null],
    ]);
  });
});

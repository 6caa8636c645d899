// The feed record and burden stores against DynamoDB Local and in memory: the same answers from
// both, including what a transaction leaves behind when one of its conditions fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { DynamoFeedStore } from '#functions/adapters/dynamo-feed-store.ts';
import { BURDEN_SHARDS, DynamoWarningStore, burdenShard } from '#functions/adapters/dynamo-warning-store.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import {
  FEED_RECORDS_PER_TRANSACTION,
  type ClaimStore,
  type FeedRecordWrite,
  type FeedStore,
  type WarningStore,
} from '#shared/ports.ts';
import type { FeedRecord } from '#shared/feed-record.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import type { HouseholdBurden } from '#shared/warnings.ts';
import { claimRecord } from '#cli/local/world.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { startLocalDynamo, type LocalDynamo } from '#verify/lib/dynamo.ts';

let dynamo: LocalDynamo;
let db: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  db = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
  });
}, 90_000);

afterAll(async () => {
  db?.destroy();
  await dynamo?.close();
});

interface Stores {
  feeds: FeedStore;
  warnings: WarningStore;
  claims: ClaimStore;
}

const stores: [string, () => Stores][] = [
  [
    'DynamoDB',
    () => ({
      feeds: new DynamoFeedStore(db, 'claims'),
      warnings: new DynamoWarningStore(db, 'claims'),
      claims: new DynamoClaimStore(db, 'claims'),
    }),
  ],
  [
    'memory',
    () => {
      const store = new MemoryStore();
      return { feeds: store, warnings: store, claims: store };
    },
  ],
];

let run = 0;

describe.each(stores)('feed and warning stores (%s)', (_name, make) => {
  // Each test its own households and record ids: the DynamoDB table is shared by the tests.
  let prefix = '';
  let s: Stores;
  const fresh = () => {
    run += 1;
    prefix = `FS${run}`;
    s = make();
  };
  const hh = (n: number) => `${prefix}-HH${n}`;
  const record = (id: number, over: Partial<FeedRecord> = {}): FeedRecord => ({
    kind: 'medical',
    recordId: `${prefix}-R${id}`,
    householdId: hh(1),
    relation: 'head',
    capYear: 2026,
    expenseDate: '2026-03-10',
    totalCostFen: 1_000_000,
    reimbursedFen: 700_000,
    selfPaidFen: 300_000,
    place: '县人民医院',
    admissionDate: '2026-03-01',
    dischargeDate: '2026-03-09',
    state: 'counted',
    firstJobId: 'JOB1',
    jobId: 'JOB1',
    corrections: 0,
    updatedAt: '2026-03-11T00:00:00.000Z',
    version: 0,
    ...over,
  });
  const create = (r: FeedRecord): FeedRecordWrite => ({ record: r, expectedVersion: null });
  const update = (r: FeedRecord, expectedVersion: number): FeedRecordWrite => ({
    record: { ...r, version: expectedVersion + 1 },
    expectedVersion,
  });
  const event = (at: string): HistoryEvent => ({ at, from: null, to: 'RECEIVED', actor: 'importer' });
  const counted = (before: { usedFen: number; countedFen: number }, afterFen: number) => ({
    householdId: hh(1),
    year: 2026,
    category: 'medical' as const,
    before,
    afterFen,
  });

  it('creates records once and updates them only at the version read', async () => {
    fresh();
    const r1 = record(1);
    const r2 = record(2, { kind: 'education', place: '县一中', term: '2026春', admissionDate: undefined });
    expect(await s.feeds.writeRecords([create(r1), create(r2)])).toBe(true);
    expect(await s.feeds.writeRecords([create(r1)])).toBe(false);
    const medical = await s.feeds.records('medical', [r1.recordId, r2.recordId, `${prefix}-none`]);
    expect([...medical.keys()]).toEqual([r1.recordId]);
    expect(medical.get(r1.recordId)).toEqual(r1);
    expect((await s.feeds.records('education', [r2.recordId])).get(r2.recordId)).toEqual(r2);

    const corrected = { ...r1, selfPaidFen: 350_000, reimbursedFen: 650_000, corrections: 1 };
    expect(await s.feeds.writeRecords([update(corrected, 1)])).toBe(false);
    expect(await s.feeds.writeRecords([update(corrected, 0)])).toBe(true);
    expect(await s.feeds.writeRecords([update(corrected, 0)])).toBe(false);
    expect((await s.feeds.records('medical', [r1.recordId])).get(r1.recordId)).toEqual({
      ...corrected,
      version: 1,
    });
  });

  it('writes nothing when one record of the transaction moved', async () => {
    fresh();
    const r1 = record(1);
    expect(await s.feeds.writeRecords([create(r1)])).toBe(true);
    const r3 = record(3);
    // r1 is at version 0, not 5: r3 must not be created either.
    expect(await s.feeds.writeRecords([create(r3), update(r1, 5)])).toBe(false);
    expect((await s.feeds.records('medical', [r3.recordId])).size).toBe(0);
    expect((await s.feeds.householdRecords(hh(1))).map((r) => r.recordId)).toEqual([r1.recordId]);
  });

  it('moves the counter with the records, and neither when the counter moved meanwhile', async () => {
    fresh();
    const before = await s.claims.capCounter(hh(1), 2026, 'medical');
    expect(before).toEqual({ usedFen: 0, countedFen: 0 });
    expect(await s.feeds.writeRecords([create(record(1))], counted(before, 300_000))).toBe(true);
    expect(await s.claims.capCounter(hh(1), 2026, 'medical')).toEqual({ usedFen: 0, countedFen: 300_000 });

    // A second writer read the counter before the first wrote: its write fails whole.
    expect(await s.feeds.writeRecords([create(record(2))], counted(before, 300_000))).toBe(false);
    expect((await s.feeds.records('medical', [`${prefix}-R2`])).size).toBe(0);
    expect(await s.claims.capCounter(hh(1), 2026, 'medical')).toEqual({ usedFen: 0, countedFen: 300_000 });

    // A record that moved fails the counter's move too.
    const now = { usedFen: 0, countedFen: 300_000 };
    expect(await s.feeds.writeRecords([create(record(1))], counted(now, 600_000))).toBe(false);
    expect(await s.claims.capCounter(hh(1), 2026, 'medical')).toEqual(now);
    expect(await s.feeds.writeRecords([create(record(2))], counted(now, 600_000))).toBe(true);
    expect(await s.claims.capCounter(hh(1), 2026, 'medical')).toEqual({ usedFen: 0, countedFen: 600_000 });
  });

  it('opens a claim with its records, all or nothing', async () => {
    fresh();
    const pending = [record(1, { state: 'pending' }), record(2, { state: 'pending' })];
    expect(await s.feeds.writeRecords(pending.map(create))).toBe(true);
    const claim = claimRecord({
      householdId: hh(1),
      category: 'medical',
      source: 'data-feed',
      feedRecords: pending.map((r) => `medical:${r.recordId}`),
    });
    const claimed = (r: FeedRecord) => ({ ...r, state: 'claimed' as const, claimId: claim.claimId });

    // One record moved since it was read: no claim, no record claimed.
    const stale = [
      update(claimed(pending[0] as FeedRecord), 0),
      update(claimed(pending[1] as FeedRecord), 3),
    ];
    expect(await s.feeds.openClaim(claim, [event(claim.createdAt)], stale)).toBe(false);
    expect(await s.claims.get(claim.claimId)).toBeUndefined();
    expect((await s.feeds.householdRecords(hh(1))).map((r) => r.state)).toEqual(['pending', 'pending']);

    const writes = pending.map((r) => update(claimed(r), 0));
    expect(await s.feeds.openClaim(claim, [event(claim.createdAt)], writes)).toBe(true);
    expect(await s.claims.get(claim.claimId)).toEqual(claim);
    expect(await s.claims.history(claim.claimId)).toEqual([event(claim.createdAt)]);
    const stored = await s.feeds.records(
      'medical',
      pending.map((r) => r.recordId),
    );
    expect([...stored.values()].map((r) => [r.state, r.claimId, r.version])).toEqual([
      ['claimed', claim.claimId, 1],
      ['claimed', claim.claimId, 1],
    ]);

    // The claim exists already: false, and a record it would write is not written.
    const other = record(3, { state: 'pending' });
    expect(await s.feeds.openClaim(claim, [event(claim.createdAt)], [create(claimed(other))])).toBe(false);
    expect((await s.feeds.records('medical', [other.recordId])).size).toBe(0);
  });

  it("reads a household's records of every kind, and only its own", async () => {
    fresh();
    const mine = [
      record(1),
      record(2, {
        kind: 'education',
        place: '县一中',
        term: '2026春',
        capYear: 2025,
        expenseDate: '2025-09-01',
      }),
    ];
    expect(await s.feeds.writeRecords([...mine.map(create), create(record(3, { householdId: hh(2) }))])).toBe(
      true,
    );
    const read = await s.feeds.householdRecords(hh(1));
    expect(read.sort((a, b) => (a.recordId < b.recordId ? -1 : 1))).toEqual(mine);
    expect((await s.feeds.householdRecords(hh(2))).map((r) => r.recordId)).toEqual([`${prefix}-R3`]);
    expect(await s.feeds.householdRecords(hh(9))).toEqual([]);

    // A record matched to another household later leaves the first one's records.
    expect(await s.feeds.writeRecords([update({ ...(mine[0] as FeedRecord), householdId: hh(2) }, 0)])).toBe(
      true,
    );
    expect((await s.feeds.householdRecords(hh(1))).map((r) => r.recordId)).toEqual([`${prefix}-R2`]);
    expect((await s.feeds.householdRecords(hh(2))).map((r) => r.recordId).sort()).toEqual([
      `${prefix}-R1`,
      `${prefix}-R3`,
    ]);
  });

  it(`writes ${FEED_RECORDS_PER_TRANSACTION} records in one transaction, with the counter, and refuses more`, async () => {
    fresh();
    const many = Array.from({ length: FEED_RECORDS_PER_TRANSACTION }, (_, i) => record(100 + i));
    expect(await s.feeds.writeRecords(many.map(create), counted({ usedFen: 0, countedFen: 0 }, 1))).toBe(
      true,
    );
    expect((await s.feeds.householdRecords(hh(1))).length).toBe(FEED_RECORDS_PER_TRANSACTION);
    const ids = many.map((r) => r.recordId);
    expect((await s.feeds.records('medical', [...ids, ...ids])).size).toBe(FEED_RECORDS_PER_TRANSACTION);

    const tooMany = Array.from({ length: FEED_RECORDS_PER_TRANSACTION + 1 }, (_, i) => record(500 + i));
    await expect(s.feeds.writeRecords(tooMany.map(create))).rejects.toThrow();
    expect((await s.feeds.records('medical', [`${prefix}-R500`])).size).toBe(0);

    // A claim with as many records, and its first events.
    const claim = claimRecord({ householdId: hh(1), category: 'medical', source: 'data-feed' });
    const writes = many.map((r) => update({ ...r, state: 'claimed', claimId: claim.claimId }, 0));
    expect(await s.feeds.openClaim(claim, [event(claim.createdAt)], writes)).toBe(true);
    expect((await s.feeds.householdRecords(hh(1))).every((r) => r.claimId === claim.claimId)).toBe(true);
  });

  it('reads records by id past one batch', async () => {
    fresh();
    const ids: string[] = [];
    for (let chunk = 0; chunk < 3; chunk++) {
      const batch = Array.from({ length: FEED_RECORDS_PER_TRANSACTION }, (_, i) =>
        record(1000 + chunk * 100 + i, { householdId: hh(chunk) }),
      );
      expect(await s.feeds.writeRecords(batch.map(create))).toBe(true);
      ids.push(...batch.map((r) => r.recordId));
    }
    const found = await s.feeds.records('medical', [...ids, `${prefix}-absent`]);
    expect([...found.keys()].sort()).toEqual([...ids].sort());
  });

  const burden = (n: number, over: Partial<HouseholdBurden> = {}): HouseholdBurden => ({
    householdId: hh(n),
    region: `${prefix}-county`,
    village: '红星村',
    gridWorker: 'worker1',
    annualIncomeFen: 860_000,
    expenses: [
      {
        source: 'feed',
        ref: `medical:${prefix}-R${n}`,
        category: 'medical',
        date: '2026-03-10',
        selfPaidFen: 300_000,
      },
    ],
    computedAt: '2026-03-11T00:00:00.000Z',
    ...over,
  });

  it("keeps burdens by region, spread over the region's shards", async () => {
    fresh();
    const households = Array.from({ length: 60 }, (_, i) => burden(i));
    // Enough households to land in most shards: the region's read must gather them all.
    expect(new Set(households.map((b) => burdenShard(b.householdId))).size).toBeGreaterThan(
      BURDEN_SHARDS / 2,
    );
    for (const b of households) await s.warnings.putBurden(b);
    await s.warnings.putBurden(burden(1, { region: `${prefix}-other` }));

    const all = await s.warnings.burdens(`${prefix}-county`);
    expect(all.map((b) => b.householdId).sort()).toEqual(households.map((b) => b.householdId).sort());
    expect(all.find((b) => b.householdId === hh(3))).toEqual(burden(3));
    expect((await s.warnings.burdens(`${prefix}-other`)).map((b) => b.householdId)).toEqual([hh(1)]);
    expect(await s.warnings.burdens(`${prefix}-none`)).toEqual([]);

    const some = await s.warnings.burdensOf(`${prefix}-county`, [hh(2), hh(5), hh(500), hh(2)]);
    expect([...some.keys()].sort()).toEqual([hh(2), hh(5)]);
    expect(some.get(hh(5))).toEqual(burden(5));
  });

  it('replaces a burden, and removes it when no expense is left', async () => {
    fresh();
    await s.warnings.putBurden(burden(1));
    const more = burden(1, {
      expenses: [
        ...burden(1).expenses,
        { source: 'claim', ref: 'CLAIM1', category: 'medical', date: '2026-04-01', selfPaidFen: 100_000 },
      ],
    });
    await s.warnings.putBurden(more);
    expect((await s.warnings.burdensOf(`${prefix}-county`, [hh(1)])).get(hh(1))).toEqual(more);

    await s.warnings.putBurden(burden(1, { expenses: [] }));
    expect((await s.warnings.burdensOf(`${prefix}-county`, [hh(1)])).size).toBe(0);
    expect(await s.warnings.burdens(`${prefix}-county`)).toEqual([]);
    // Removing what is not stored is no error.
    await s.warnings.putBurden(burden(2, { expenses: [] }));
  });
});

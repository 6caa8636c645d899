// The roster store against DynamoDB Local and in memory: the same answers from both, including
// when batches of one county file race each other for the same ID numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRosterStore } from '#functions/adapters/dynamo-roster-store.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import type { RosterStore } from '#shared/ports.ts';
import { storeRosterPeriods, type NumberedPeriod } from '#shared/roster-import.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { storeMembers, type NumberedMember } from '#shared/members-import.ts';
import type { Member, MemberRelation } from '#shared/members.ts';
import { distinctResidentId } from '#bench/roster-import.ts';
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

let run = 0;
const stores: [string, () => RosterStore][] = [
  ['DynamoDB', () => new DynamoRosterStore(db, 'claims')],
  ['memory', () => new MemoryStore()],
];

describe.each(stores)('roster store (%s)', (_name, make) => {
  // Each test its own households and ID numbers: the DynamoDB table is shared by the tests.
  let prefix = '';
  let idBase = 0;
  const period = (h: number, statusFrom: string, id = h): RosterPeriod => ({
    householdId: `${prefix}-${h}`,
    region: 'demo',
    village: '红星村',
    headName: '张德胜',
    idNumber: distinctResidentId(idBase + id),
    members: 3,
    status: 'unstable',
    statusFrom,
    gridWorker: 'worker1',
    bankAccount: '6230000000000000001',
    annualIncomeFen: 860_000,
  });
  const numbered = (periods: RosterPeriod[], firstRow = 2): NumberedPeriod[] =>
    periods.map((p, i) => ({ row: firstRow + i, period: p }));
  const fresh = () => {
    run += 1;
    prefix = `RS${run}`;
    idBase = run * 10_000;
  };

  it('stores a household with its periods and identity, and reads both back in bulk', async () => {
    fresh();
    const store = make();
    const out = await storeRosterPeriods(
      store,
      numbered([period(1, '2024-01-01'), period(1, '2025-01-01'), period(2, '2024-03-01')]),
    );
    expect(out).toEqual({ imported: 3, rejected: [], households: [`${prefix}-1`, `${prefix}-2`] });
    expect((await store.periods(`${prefix}-1`)).map((p) => p.statusFrom).sort()).toEqual([
      '2024-01-01',
      '2025-01-01',
    ]);
    const identities = await store.identities([`${prefix}-1`, `${prefix}-2`, `${prefix}-3`]);
    expect(Object.fromEntries(identities)).toEqual({
      [`${prefix}-1`]: distinctResidentId(idBase + 1),
      [`${prefix}-2`]: distinctResidentId(idBase + 2),
    });
    const holders = await store.holders([distinctResidentId(idBase + 2), distinctResidentId(idBase + 9)]);
    expect(Object.fromEntries(holders)).toEqual({ [distinctResidentId(idBase + 2)]: `${prefix}-2` });
  });

  it("refuses a household's new ID number and an ID number another household holds, naming it", async () => {
    fresh();
    const store = make();
    await storeRosterPeriods(store, numbered([period(1, '2024-01-01'), period(2, '2024-01-01')]));
    const out = await storeRosterPeriods(
      store,
      numbered([
        period(1, '2026-01-01', 7), // household 1 with another ID number
        period(3, '2026-01-01', 2), // household 3 with household 2's ID number
        period(4, '2026-01-01'),
      ]),
    );
    expect(out.imported).toBe(1);
    expect(out.rejected).toEqual([
      {
        row: 2,
        reasons: [{ code: 'ID_DIFFERS_STORED', params: { field: 'idNumber', householdId: `${prefix}-1` } }],
      },
      {
        row: 3,
        reasons: [{ code: 'ID_HEADS_OTHER', params: { field: 'idNumber', householdId: `${prefix}-2` } }],
      },
    ]);
    expect(await store.periods(`${prefix}-3`)).toEqual([]);
    expect(await store.periods(`${prefix}-1`)).toHaveLength(1);
  });

  it('lets exactly one of many racing batches have an ID number, whole households only', async () => {
    fresh();
    const store = make();
    // Eight batches, each a different household claiming the same ID number, plus its own others.
    const batches = Array.from({ length: 8 }, (_, b) =>
      numbered(
        [
          period(100 + b, '2024-01-01', 1),
          period(100 + b, '2025-01-01', 1),
          ...Array.from({ length: 30 }, (_, k) => period(1000 + b * 100 + k, '2024-01-01')),
        ],
        2 + b * 32,
      ),
    );
    const outs = await Promise.all(batches.map((rows) => storeRosterPeriods(store, rows)));
    const winners = outs.filter((o) => o.rejected.length === 0);
    expect(winners).toHaveLength(1);
    expect(outs.reduce((sum, o) => sum + o.imported, 0)).toBe(8 * 30 + 2);
    const holder = (await store.holders([distinctResidentId(idBase + 1)])).get(
      distinctResidentId(idBase + 1),
    );
    for (const [b, out] of outs.entries()) {
      const household = `${prefix}-${100 + b}`;
      const stored = await store.periods(household);
      if (household === holder) expect(stored).toHaveLength(2);
      else {
        // Refused whole: neither of its periods, and each row names the holder.
        expect(stored).toEqual([]);
        expect(out.rejected.map((r) => r.reasons[0]?.params.householdId)).toEqual([holder, holder]);
      }
    }
  });

  it('stores a household with more periods than one transaction holds', async () => {
    fresh();
    const store = make();
    const periods = Array.from({ length: 130 }, (_, i) =>
      period(
        1,
        `20${String(10 + Math.floor(i / 12)).padStart(2, '0')}-${String((i % 12) + 1).padStart(2, '0')}-01`,
      ),
    );
    expect((await storeRosterPeriods(store, numbered(periods))).imported).toBe(130);
    expect(await store.periods(`${prefix}-1`)).toHaveLength(130);
  });

  it('stores the same batch again with the same effect', async () => {
    fresh();
    const store = make();
    const rows = numbered(Array.from({ length: 60 }, (_, i) => period(i, '2024-01-01')));
    await storeRosterPeriods(store, rows);
    const again = await storeRosterPeriods(store, rows);
    expect(again).toMatchObject({ imported: 60, rejected: [] });
    expect(again.households).toHaveLength(60);
    expect(await store.periods(`${prefix}-59`)).toHaveLength(1);
  });

  const member = (h: number, id: number, relation: MemberRelation = 'child', name = '张小明'): Member => ({
    householdId: `${prefix}-${h}`,
    idNumber: distinctResidentId(idBase + id),
    name,
    relation,
  });
  const numberedMembers = (members: Member[], firstRow = 2): NumberedMember[] =>
    members.map((m, i) => ({ row: firstRow + i, member: m }));
  const byId = (members: Member[]) => [...members].sort((a, b) => (a.idNumber < b.idNumber ? -1 : 1));

  it('stores members under households on the roster, and a member again with its new name and relation', async () => {
    fresh();
    const store = make();
    await storeRosterPeriods(store, numbered([period(1, '2024-01-01'), period(2, '2024-01-01')]));
    const first = await storeMembers(
      store,
      numberedMembers([
        member(1, 1, 'head', '张德胜'),
        member(1, 101, 'spouse'),
        member(1, 102),
        member(2, 201),
      ]),
    );
    expect(first).toEqual({ imported: 4, rejected: [] });
    const again = await storeMembers(store, numberedMembers([member(1, 102, 'other', '张小红')]));
    expect(again).toEqual({ imported: 1, rejected: [] });
    expect(byId(await store.members(`${prefix}-1`))).toEqual(
      byId([member(1, 1, 'head', '张德胜'), member(1, 101, 'spouse'), member(1, 102, 'other', '张小红')]),
    );
    expect(await store.members(`${prefix}-2`)).toEqual([member(2, 201)]);
    expect(Object.fromEntries(await store.holders([distinctResidentId(idBase + 101)]))).toEqual({
      [distinctResidentId(idBase + 101)]: `${prefix}-1`,
    });
  });

  it('refuses an ID number another household holds (as head or member), naming it, and rows the roster contradicts', async () => {
    fresh();
    const store = make();
    await storeRosterPeriods(store, numbered([period(1, '2024-01-01'), period(2, '2024-01-01')]));
    await storeMembers(store, numberedMembers([member(1, 101)]));
    const out = await storeMembers(
      store,
      numberedMembers([
        member(2, 1), // household 1's head
        member(2, 101), // household 1's member
        member(9, 901), // household 9 is not on the roster
        member(2, 7, 'head'), // not household 2's head
        member(2, 2, 'spouse'), // household 2's head, not marked head
        member(2, 202),
      ]),
    );
    const idNumber = { field: 'idNumber' };
    expect(out).toEqual({
      imported: 1,
      rejected: [
        {
          row: 2,
          reasons: [{ code: 'ID_IN_OTHER_HOUSEHOLD', params: { ...idNumber, householdId: `${prefix}-1` } }],
        },
        {
          row: 3,
          reasons: [{ code: 'ID_IN_OTHER_HOUSEHOLD', params: { ...idNumber, householdId: `${prefix}-1` } }],
        },
        {
          row: 4,
          reasons: [
            { code: 'HOUSEHOLD_NOT_ON_ROSTER', params: { field: 'householdId', householdId: `${prefix}-9` } },
          ],
        },
        {
          row: 5,
          reasons: [{ code: 'HEAD_ID_DIFFERS', params: { ...idNumber, householdId: `${prefix}-2` } }],
        },
        {
          row: 6,
          reasons: [{ code: 'HEAD_NOT_MARKED', params: { field: 'relation', householdId: `${prefix}-2` } }],
        },
      ],
    });
    expect(await store.members(`${prefix}-2`)).toEqual([member(2, 202)]);
    // The store itself refuses the claim too, whatever the caller read before.
    const direct = await store.storeMembers([member(2, 1), member(2, 101), member(2, 203)]);
    expect(Object.fromEntries(direct.conflicts)).toEqual({
      [distinctResidentId(idBase + 1)]: `${prefix}-1`,
      [distinctResidentId(idBase + 101)]: `${prefix}-1`,
    });
    expect(byId(await store.members(`${prefix}-2`))).toEqual(byId([member(2, 202), member(2, 203)]));
  });

  it('lets exactly one of many racing member batches have an ID number', async () => {
    fresh();
    const store = make();
    await storeRosterPeriods(
      store,
      numbered(Array.from({ length: 8 }, (_, b) => period(100 + b, '2024-01-01'))),
    );
    // Eight batches, each a different household claiming the same person, plus 60 people of its own.
    const batches = Array.from({ length: 8 }, (_, b) =>
      numberedMembers(
        [member(100 + b, 5000), ...Array.from({ length: 60 }, (_, k) => member(100 + b, 6000 + b * 100 + k))],
        2 + b * 61,
      ),
    );
    const outs = await Promise.all(batches.map((rows) => storeMembers(store, rows)));
    expect(outs.filter((o) => o.rejected.length === 0)).toHaveLength(1);
    expect(outs.reduce((sum, o) => sum + o.imported, 0)).toBe(8 * 60 + 1);
    const holder = (await store.holders([distinctResidentId(idBase + 5000)])).get(
      distinctResidentId(idBase + 5000),
    );
    for (const [b, out] of outs.entries()) {
      const household = `${prefix}-${100 + b}`;
      const ids = (await store.members(household)).map((m) => m.idNumber);
      expect(ids).toHaveLength(household === holder ? 61 : 60);
      expect(ids.includes(distinctResidentId(idBase + 5000))).toBe(household === holder);
      if (household !== holder)
        expect(out.rejected.map((r) => r.reasons[0]?.params.householdId)).toEqual([holder]);
    }
  });
});

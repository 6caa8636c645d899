// Claim listings and a grid worker's households against DynamoDB Local. The claim indexes
// project keys only, so a listing reads the page's keys from an index and the claims from the
// table: these tests pin what that must keep (order, filters on the claim as it is now, paging
// without gaps or repeats) and that the index items carry nothing but keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import type { ClaimRecord } from '#shared/claim.ts';
import type { ClaimFilter } from '#shared/ports.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { startLocalDynamo, type LocalDynamo } from '../../verify/lib/dynamo.ts';
import { claimRecord } from '#test/support/fixtures.ts';

let dynamo: LocalDynamo;
let db: DynamoDBClient;
let store: DynamoClaimStore;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  db = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
  });
  store = new DynamoClaimStore(db, 'claims');
}, 90_000);

afterAll(async () => {
  db?.destroy();
  await dynamo?.close();
});

function claim(n: number, over: Partial<ClaimRecord>): ClaimRecord {
  // createdAt one minute apart, so "newest first" has one answer.
  const at = new Date(Date.UTC(2026, 8, 1, 2, n)).toISOString();
  return claimRecord({ claimId: ulid(), createdAt: at, filedAt: at, updatedAt: at, ...over });
}

async function all(filter: Omit<ClaimFilter, 'limit' | 'cursor'>, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.list({ ...filter, limit, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((c) => c.claimId));
    cursor = page.cursor;
    pages += 1;
  } while (cursor && pages < 50);
  return ids;
}

describe('claim listings through keys-only indexes', () => {
  const hh = `HH-${ulid().slice(-10)}`;
  const worker = `gw${ulid().slice(-8).toLowerCase()}`;
  const mine: ClaimRecord[] = [];

  beforeAll(async () => {
    const specs: Partial<ClaimRecord>[] = [
      { category: 'education' },
      { category: 'medical' },
      { category: 'education' },
      { category: 'disaster' },
      { category: 'education' },
    ];
    for (const [n, over] of specs.entries()) {
      const c = claim(n, { householdId: hh, gridWorker: worker, submittedBy: worker, ...over });
      expect(await store.create(c, [{ at: c.createdAt, from: null, to: 'RECEIVED', actor: worker }])).toBe(
        true,
      );
      mine.push(c);
    }
    // One claim moves on: listings must show it as it is now.
    const first = mine[0]!;
    const moved = { ...first, state: 'APPROVED' as const, version: 2, updatedAt: '2026-09-02T00:00:00.000Z' };
    await store.update(moved, 1, { at: moved.updatedAt, from: 'RECEIVED', to: 'APPROVED', actor: 'system' });
    mine[0] = moved;
  });

  const newestFirst = () => [...mine].reverse().map((c) => c.claimId);

  it('lists a household newest first, whole claims read from the table', async () => {
    const page = await store.list({ householdId: hh, limit: 50 });
    expect(page.items.map((c) => c.claimId)).toEqual(newestFirst());
    expect(page.items[4]).toEqual(mine[0]);
    expect(page.cursor).toBeUndefined();
  });

  it('pages with a cursor, every claim once', async () => {
    expect(await all({ householdId: hh }, 2)).toEqual(newestFirst());
    expect(await all({ gridWorker: worker }, 3)).toEqual(newestFirst());
  });

  it('filters by state, category and filing date on the claim as it is now', async () => {
    const ids = (f: Omit<ClaimFilter, 'limit'>) => all(f, 50);
    expect(await ids({ gridWorker: worker, state: 'RECEIVED' })).toEqual(newestFirst().slice(0, 4));
    expect(await ids({ gridWorker: worker, state: 'APPROVED' })).toEqual([mine[0]!.claimId]);
    expect(await ids({ householdId: hh, category: 'education' })).toEqual(
      [mine[4]!, mine[2]!, mine[0]!].map((c) => c.claimId),
    );
    expect(await ids({ householdId: hh, category: 'medical', state: 'RECEIVED' })).toEqual([
      mine[1]!.claimId,
    ]);
    expect(await ids({ householdId: hh, from: '2026-09-01', to: '2026-09-01' })).toHaveLength(5);
    expect(await ids({ householdId: hh, from: '2026-09-02' })).toEqual([]);
    expect(await ids({ householdId: hh, to: '2026-08-31' })).toEqual([]);
  });

  it('the state index follows the claim: it leaves RECEIVED and appears under APPROVED', async () => {
    const validated = await all({ state: 'APPROVED' }, 100);
    expect(validated).toContain(mine[0]!.claimId);
    const received = await all({ state: 'RECEIVED' }, 100);
    expect(received).not.toContain(mine[0]!.claimId);
    expect(received).toEqual(expect.arrayContaining(mine.slice(1).map((c) => c.claimId)));
  });

  it('finds claims quiet in a state since before an instant (the sweeper), as a key range', async () => {
    const received = await all({ state: 'RECEIVED', updatedBefore: '2026-09-01T02:02:00.000Z' }, 2);
    expect(received).toEqual([mine[1]!.claimId]);
    expect(await all({ state: 'APPROVED', updatedBefore: '2026-09-02T00:00:00.000Z' }, 50)).not.toContain(
      mine[0]!.claimId,
    );
    expect(await all({ state: 'APPROVED', updatedBefore: '2026-09-02T00:00:00.001Z' }, 50)).toContain(
      mine[0]!.claimId,
    );
    // Off the state index the same bound is a filter.
    expect(await all({ householdId: hh, updatedBefore: '2026-09-01T02:03:00.000Z' }, 50)).toEqual(
      [mine[2]!, mine[1]!].map((c) => c.claimId),
    );
  });

  it('index items hold keys only, so a rewrite of the claim does not rewrite them', async () => {
    const out = await db.send(
      new QueryCommand({
        TableName: 'claims',
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `HH#${hh}` } },
      }),
    );
    expect(out.Items).toHaveLength(5);
    for (const item of out.Items ?? [])
      expect(Object.keys(item).sort()).toEqual(['gsi2pk', 'gsi2sk', 'pk', 'sk']);
  });
});

describe("a grid worker's households through the keys-only index", () => {
  const idNumber = (n: number) => {
    const first17 = `11010519900101${String(n).padStart(3, '0')}`;
    return first17 + residentIdCheckDigit(first17);
  };
  const period = (householdId: string, gridWorker: string, statusFrom: string, n: number): RosterPeriod => ({
    householdId,
    region: 'demo',
    village: '红星村',
    headName: '张三',
    idNumber: idNumber(n),
    members: 3,
    status: 'out_of_poverty',
    statusFrom,
    gridWorker,
    bankAccount: '6222020200112233445',
    annualIncomeFen: 1_200_000,
  });

  it('names each household once, and leaves out one handed to another worker later', async () => {
    const tag = ulid().slice(-6);
    const a = `gwa${tag}`.toLowerCase();
    const b = `gwb${tag}`.toLowerCase();
    await store.put([
      period(`HH-A1-${tag}`, a, '2025-01-01', 1),
      period(`HH-A1-${tag}`, a, '2026-01-01', 2),
      period(`HH-A2-${tag}`, a, '2025-01-01', 3),
      // HH-A2 moved to worker b this year.
      period(`HH-A2-${tag}`, b, '2026-03-01', 4),
    ]);
    const ofA = await store.householdsOf(a);
    expect(ofA.map((periods) => periods[0]?.householdId)).toEqual([`HH-A1-${tag}`]);
    expect(ofA[0]).toHaveLength(2);
    const ofB = await store.householdsOf(b);
    expect(ofB.map((periods) => periods.map((p) => p.statusFrom).sort())).toEqual([
      ['2025-01-01', '2026-03-01'],
    ]);
  });
});

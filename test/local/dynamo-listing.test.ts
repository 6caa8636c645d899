// Claim listings against DynamoDB Local, beside the roster, history, grant, evidence and ledger
// items of the same table. Every listing reads an index in filing-time order, newest first, and
// fills its pages (a page is short only when it is the last); the expected answer is computed
// here from the claims themselves, and the in-memory store must page exactly like DynamoDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { claimsTableSpec, toCreateTableInput } from '#infra/tables.ts';
import { ensureClaimsTable } from '#cli/local/claims-table.ts';
import { ulid } from 'ulid';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { ClaimState } from '#shared/claim-state.ts';
import { categories, type Category } from '#shared/vocabulary.ts';
import { matchesClaimFilter, type ClaimFilter, type ClaimStore } from '#shared/ports.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { listClaims } from '#shared/api/claims-api.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { claimItem, DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { startLocalDynamo, type LocalDynamo } from '../../verify/lib/dynamo.ts';
import { claimRecord } from '#test/support/fixtures.ts';

let dynamo: LocalDynamo;
let db: DynamoDBClient;
let store: DynamoClaimStore;
const memory = new MemoryStore();

/** The claims as they end up, by id: the expected answers are computed from these. */
const truth = new Map<string, ClaimRecord>();
const workers = ['gwa', 'gwb', 'gwc'] as const;
const villages = ['红星村', '和平村', '向阳村', '东风村'] as const;
const households = Array.from({ length: 8 }, (_, i) => `HH-L${i}`);

/** A small deterministic generator, so a failure names the same data every run. */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

function idNumber(n: number): string {
  const first17 = `11010519900101${String(n).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}

async function both(write: (s: ClaimStore & DynamoClaimStore) => Promise<unknown>): Promise<void> {
  await write(store as ClaimStore & DynamoClaimStore);
  await write(memory as unknown as ClaimStore & DynamoClaimStore);
}

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  db = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
  });
  store = new DynamoClaimStore(db, 'claims');
  const random = prng(7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

  // Roster periods (gsi3 `GWHH#...` items share the grid workers' index with their claims).
  const periods: RosterPeriod[] = households.map((householdId, i) => ({
    householdId,
    region: 'demo',
    village: villages[i % villages.length] ?? '',
    headName: '张三',
    idNumber: idNumber(i + 1),
    members: 3,
    status: 'out_of_poverty',
    statusFrom: '2025-01-01',
    gridWorker: workers[i % workers.length] ?? '',
    bankAccount: '6222020200112233445',
    annualIncomeFen: 1_200_000,
  }));
  await both((s) => s.put(periods));

  // 160 claims over three days, some filed in the same millisecond (the id breaks the tie),
  // a few with no household at all (a manifest that could not be read).
  const start = Date.UTC(2026, 8, 1, 0, 0);
  const made: ClaimRecord[] = [];
  for (let n = 0; n < 160; n++) {
    const at = new Date(start + Math.floor(n / 2) * 53 * 60_000).toISOString();
    const hh = n % 23 === 5 ? null : pick(households);
    const i = hh ? households.indexOf(hh) : 0;
    made.push(
      claimRecord({
        claimId: ulid(),
        householdId: hh,
        gridWorker: hh ? (workers[i % workers.length] ?? null) : null,
        submittedBy: hh ? (workers[i % workers.length] ?? null) : null,
        village: hh ? (villages[i % villages.length] ?? null) : null,
        region: hh ? 'demo' : null,
        category: hh ? pick(categories) : null,
        createdAt: at,
        filedAt: at,
        updatedAt: at,
      }),
    );
  }
  for (let i = 0; i < made.length; i += 16) {
    await Promise.all(
      made.slice(i, i + 16).map(async (c) => {
        const events = [{ at: c.createdAt, from: null, to: 'RECEIVED' as const, actor: 'system' }];
        await both(async (s) => expect(await s.create(c, events)).toBe(true));
        await both((s) =>
          s.putGrant({
            claimId: c.claimId,
            householdId: c.householdId ?? 'HH-NONE',
            filer: 'gwa',
            grantedAt: c.createdAt,
            expiresAt: c.createdAt,
          }),
        );
        if (c.householdId)
          await both((s) =>
            s.putEvidence(c.householdId ?? '', { claimId: c.claimId, facts: 'x', fingerprints: [] }),
          );
      }),
    );
  }
  // Most claims move on; the listings must follow each to its state as it is now.
  const moves: ClaimState[] = ['PENDING_REVIEW', 'APPROVED', 'REJECTED', 'ERROR', 'APPROVED', 'APPROVED'];
  for (const c of made) {
    const to = random() < 0.75 ? pick(moves) : undefined;
    let now = c;
    if (to) {
      const at = new Date(Date.parse(c.createdAt) + 3_600_000).toISOString();
      now = { ...c, state: to, version: 2, updatedAt: at };
      await both((s) => s.update(now, 1, { at, from: 'RECEIVED', to, actor: 'system' }));
      // Half of the approved ones are paid: claim, ledger entry and cap counter in one transaction.
      if (to === 'APPROVED' && random() < 0.5 && now.householdId && now.category) {
        const paidAt = new Date(Date.parse(at) + 60_000).toISOString();
        const paid: ClaimRecord = { ...now, state: 'PAID', version: 3, updatedAt: paidAt, payoutFen: 100 };
        const entry: LedgerEntry = {
          claimId: c.claimId,
          householdId: now.householdId,
          region: 'demo',
          village: now.village ?? '',
          category: now.category,
          gridWorker: now.gridWorker ?? '',
          payoutFen: 100,
          capYear: 2026,
          policyId: 'demo',
          policyVersion: 1,
          paidAt,
          paidDate: paidAt.slice(0, 10),
        };
        const event = { at: paidAt, from: 'APPROVED' as const, to: 'PAID' as const, actor: 'system' };
        await both(async (s) =>
          expect((await s.recordPayout(paid, 2, entry, { capFen: 1_000_000_000 }, event)).kind).toBe('paid'),
        );
        now = paid;
      }
    }
    truth.set(c.claimId, now);
  }
}, 240_000);

afterAll(async () => {
  db?.destroy();
  await dynamo?.close();
});

type Query = Omit<ClaimFilter, 'limit' | 'cursor'>;

/** What a listing must return: every matching claim, newest filed first, the id breaking ties. */
function expected(filter: Query): string[] {
  return [...truth.values()]
    .filter((c) => matchesClaimFilter(c, { ...filter, limit: 1 }))
    .sort((a, b) => (`${a.createdAt}#${a.claimId}` < `${b.createdAt}#${b.claimId}` ? 1 : -1))
    .map((c) => c.claimId);
}

/** Every page of a listing, as claim ids. */
async function pages(s: ClaimStore, filter: Query, limit: number): Promise<string[][]> {
  const out: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await s.list({ ...filter, limit, ...(cursor ? { cursor } : {}) });
    out.push(page.items.map((c) => c.claimId));
    cursor = page.cursor;
  } while (cursor && out.length < 200);
  return out;
}

const someState: ClaimState = 'APPROVED';
const someCategory: Category = 'education';
const filters: Query[] = [
  {},
  ...(['RECEIVED', 'PENDING_REVIEW', 'APPROVED', 'PAID', 'REJECTED', 'ERROR', 'DISBURSED'] as const).map(
    (state) => ({ state }),
  ),
  ...villages.map((village) => ({ village })),
  ...workers.map((gridWorker) => ({ gridWorker })),
  { householdId: 'HH-L1' },
  ...categories.map((category) => ({ category })),
  { from: '2026-09-02' },
  { to: '2026-09-01' },
  { from: '2026-09-02', to: '2026-09-02' },
  // Combinations: the most selective index is read and the rest filtered, pages still full.
  { state: someState, village: '红星村' },
  { state: 'PAID', gridWorker: 'gwb' },
  { state: someState, category: someCategory },
  { village: '和平村', category: 'medical' },
  { gridWorker: 'gwa', category: someCategory, from: '2026-09-02' },
  { householdId: 'HH-L2', state: 'REJECTED' },
  { state: 'ERROR', from: '2026-09-01', to: '2026-09-02' },
  { village: '向阳村', state: 'APPROVED', category: 'disaster', to: '2026-09-02' },
  { gridWorker: 'gwc', village: '东风村' },
  { gridWorker: 'gwc', village: '红星村' },
  ...(['RECEIVED', 'PENDING_REVIEW', 'ERROR', 'PAID'] as const).map((state) => ({
    village: '和平村',
    state,
  })),
  { category: 'industry', from: '2026-09-03', to: '2026-09-03' },
];

describe('claim listings on DynamoDB Local', () => {
  it('the data mixes item kinds and every state', () => {
    const states = new Set([...truth.values()].map((c) => c.state));
    expect([...states].sort()).toEqual([
      'APPROVED',
      'ERROR',
      'PAID',
      'PENDING_REVIEW',
      'RECEIVED',
      'REJECTED',
    ]);
    expect([...truth.values()].some((c) => c.householdId === null)).toBe(true);
  });

  it('page one of every claim is full, newest first (not a few claims among other items)', async () => {
    const page = await store.list({ limit: 50 });
    expect(page.items.map((c) => c.claimId)).toEqual(expected({}).slice(0, 50));
    expect(page.cursor).toBeDefined();
    const two = await store.list({ limit: 2 });
    expect(two.items).toHaveLength(2);
  });

  it.each(filters.map((f) => [JSON.stringify(f), f] as const))(
    '%s: full pages, newest first, every claim once, as the in-memory store pages it',
    async (_name, filter) => {
      const want = expected(filter);
      for (const limit of [7, 50]) {
        const got = await pages(store, filter, limit);
        expect(got.flat()).toEqual(want);
        // Every page but the last is full; a listing with more to come never ends on an empty page.
        for (const page of got.slice(0, -1)) expect(page).toHaveLength(limit);
        if (want.length > 0) expect(got.at(-1)?.length).toBeGreaterThan(0);
        expect(await pages(memory, filter, limit)).toEqual(got);
      }
    },
    60_000,
  );

  it('pages of one, across the roster and claim items of a grid worker', async () => {
    const want = expected({ gridWorker: 'gwa', state: 'PENDING_REVIEW' });
    const got = await pages(store, { gridWorker: 'gwa', state: 'PENDING_REVIEW' }, 1);
    expect(got.flat()).toEqual(want);
    expect(got.every((p) => p.length === 1)).toBe(true);
  });

  it('claims with no household, village or category are still in the lists that do not name one', async () => {
    const orphans = [...truth.values()].filter((c) => c.householdId === null).map((c) => c.claimId);
    const everything = (await pages(store, {}, 200)).flat();
    expect(everything).toEqual(expect.arrayContaining(orphans));
    expect(everything).toHaveLength(truth.size);
  });

  it('a state change moves the claim between state listings in the same write', async () => {
    const c = [...truth.values()].find((x) => x.state === 'RECEIVED' && x.village === '红星村');
    if (!c) throw new Error('fixture has no RECEIVED claim in 红星村');
    const at = '2026-09-05T00:00:00.000Z';
    const moved: ClaimRecord = { ...c, state: 'ERROR', version: c.version + 1, updatedAt: at };
    await both((s) => s.update(moved, c.version, { at, from: 'RECEIVED', to: 'ERROR', actor: 'system' }));
    truth.set(c.claimId, moved);
    const ids = async (f: Query) => (await pages(store, f, 200)).flat();
    expect(await ids({ state: 'RECEIVED' })).not.toContain(c.claimId);
    expect(await ids({ state: 'ERROR' })).toContain(c.claimId);
    expect(await ids({ village: '红星村', state: 'ERROR' })).toContain(c.claimId);
    expect(await ids({ village: '红星村', state: 'RECEIVED' })).not.toContain(c.claimId);
    // Its old village-and-state entry is gone in the same write.
    const stale = await db.send(
      new QueryCommand({
        TableName: 'claims',
        IndexName: 'gsi8',
        KeyConditionExpression: 'gsi8pk = :pk AND gsi8sk = :sk',
        ExpressionAttributeValues: {
          ':pk': { S: 'VILLAGE#红星村#STATE#RECEIVED' },
          ':sk': { S: `${c.createdAt}#${c.claimId}` },
        },
      }),
    );
    expect(stale.Items).toEqual([]);
    // The listing indexes carry the state they were written with: the new one.
    for (const [indexName, pk] of [
      ['gsi5', 'CLAIMS'],
      ['gsi6', 'STATE#ERROR'],
      ['gsi7', 'VILLAGE#红星村'],
      ['gsi8', 'VILLAGE#红星村#STATE#ERROR'],
    ] as const) {
      const out = await db.send(
        new QueryCommand({
          TableName: 'claims',
          IndexName: indexName,
          KeyConditionExpression: `${indexName}pk = :pk AND ${indexName}sk = :sk`,
          ExpressionAttributeValues: { ':pk': { S: pk }, ':sk': { S: `${c.createdAt}#${c.claimId}` } },
        }),
      );
      expect(out.Items?.map((item) => item.state?.S)).toEqual(['ERROR']);
    }
  });

  it('listing indexes hold keys and the filter fields only; the old ones keys only', async () => {
    const c = [...truth.values()].find((x) => x.householdId !== null) ?? [...truth.values()][0]!;
    const read = async (indexName: string, pk: string) =>
      (
        await db.send(
          new QueryCommand({
            TableName: 'claims',
            IndexName: indexName,
            KeyConditionExpression: `${indexName}pk = :pk AND ${indexName}sk = :sk`,
            ExpressionAttributeValues: { ':pk': { S: pk }, ':sk': { S: `${c.createdAt}#${c.claimId}` } },
          }),
        )
      ).Items?.[0] ?? {};
    expect(Object.keys(await read('gsi5', 'CLAIMS')).sort()).toEqual(
      ['category', 'gridWorker', 'gsi5pk', 'gsi5sk', 'householdId', 'pk', 'sk', 'state', 'village'].sort(),
    );
    expect(Object.keys(await read('gsi2', `HH#${c.householdId}`)).sort()).toEqual([
      'gsi2pk',
      'gsi2sk',
      'pk',
      'sk',
    ]);
  });

  it('the sweeper still finds claims quiet in a state since before an instant (last-change order)', async () => {
    const before = '2026-09-02T12:00:00.000Z';
    const want = [...truth.values()]
      .filter((c) => c.state === 'APPROVED' && c.updatedAt < before)
      .sort((a, b) => (`${a.updatedAt}#${a.claimId}` < `${b.updatedAt}#${b.claimId}` ? 1 : -1))
      .map((c) => c.claimId);
    expect(want.length).toBeGreaterThan(3);
    const got = await pages(store, { state: 'APPROVED', updatedBefore: before }, 3);
    expect(got.flat()).toEqual(want);
    expect(await pages(memory, { state: 'APPROVED', updatedBefore: before }, 3)).toEqual(got);
  });

  it('a cursor works only for the listing that made it', async () => {
    const ofB = await store.list({ gridWorker: 'gwb', limit: 2 });
    expect(ofB.cursor).toBeDefined();
    const cursor = ofB.cursor ?? '';
    await expect(store.list({ gridWorker: 'gwa', limit: 2, cursor })).rejects.toThrow(RangeError);
    await expect(store.list({ state: 'PAID', limit: 2, cursor })).rejects.toThrow(RangeError);
    await expect(memory.list({ gridWorker: 'gwa', limit: 2, cursor })).rejects.toThrow(RangeError);
    // Made-up or edited cursors never reach DynamoDB.
    const forged = Buffer.from(JSON.stringify({ i: 'gridWorker', p: 'GW#gwa', s: 'x' })).toString(
      'base64url',
    );
    await expect(store.list({ gridWorker: 'gwa', limit: 2, cursor: forged })).rejects.toThrow(RangeError);
    await expect(store.list({ limit: 2, cursor: 'not base64 !' })).rejects.toThrow(RangeError);
    // A cursor outside the listing's date range is refused rather than passed on.
    const all = await store.list({ limit: 2 });
    await expect(store.list({ limit: 2, to: '2026-09-01', cursor: all.cursor ?? '' })).rejects.toThrow(
      RangeError,
    );
    // The same listing with one more filter on the same index resumes where it was.
    const more = await store.list({ gridWorker: 'gwb', limit: 2, cursor });
    expect(more.items.map((c) => c.claimId)).toEqual(expected({ gridWorker: 'gwb' }).slice(2, 4));
  });
});

describe('a data dir from before the listing indexes', () => {
  it('gets the indexes it lacks at start-up, and its claims their keys', async () => {
    const table = 'claims-old';
    const spec = toCreateTableInput(claimsTableSpec, table);
    const old = spec.GlobalSecondaryIndexes?.filter((i) =>
      ['gsi1', 'gsi2', 'gsi3', 'gsi4'].includes(i.IndexName),
    );
    await db.send(
      new CreateTableCommand({
        ...spec,
        AttributeDefinitions: spec.AttributeDefinitions.filter((a) =>
          /^(pk|sk|gsi[1-4](pk|sk))$/.test(a.AttributeName),
        ),
        GlobalSecondaryIndexes: old,
      } as ConstructorParameters<typeof CreateTableCommand>[0]),
    );
    const c = claimRecord({ claimId: ulid(), village: '老村' });
    // The item as the store wrote it before: no listing keys.
    const item = Object.fromEntries(Object.entries(claimItem(c)).filter(([name]) => !/^gsi[5-9]/.test(name)));
    await db.send(new PutItemCommand({ TableName: table, Item: item }));
    expect((await ensureClaimsTable(db, table)).sort()).toEqual(['gsi5', 'gsi6', 'gsi7', 'gsi8']);
    const upgraded = new DynamoClaimStore(db, table);
    let ids: string[] = [];
    for (let i = 0; i < 50 && ids.length === 0; i++) {
      ids = (await upgraded.list({ village: '老村', limit: 5 })).items.map((x) => x.claimId);
      if (ids.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids).toEqual([c.claimId]);
    expect(await ensureClaimsTable(db, table)).toEqual([]);
  }, 60_000);
});

describe('GET /claims access over DynamoDB Local', () => {
  const deps = () => ({ claims: store, roster: store });
  const worker = { username: 'gwa', roles: ['gridWorker' as const] };
  const insurer = { username: 'insurer1', roles: ['insurer' as const] };

  it("a grid worker's listing holds their claims only, whatever filter they send", async () => {
    const mine = expected({ gridWorker: 'gwa' });
    const got = await listClaims(deps(), worker, { gridWorker: 'gwb', limit: '500' }).catch(() =>
      listClaims(deps(), worker, { gridWorker: 'gwb', limit: '200' }),
    );
    expect(got.items.map((c) => c.claimId)).toEqual(mine.slice(0, 200));
    expect(got.items.every((c) => c.gridWorker === 'gwa')).toBe(true);
    const byVillage = await listClaims(deps(), worker, { village: '和平村', limit: '200' });
    expect(byVillage.items.map((c) => c.claimId)).toEqual(expected({ gridWorker: 'gwa', village: '和平村' }));
  });

  it("another listing's cursor is a 400 BAD_CURSOR, never another worker's claims", async () => {
    const other = await listClaims(deps(), insurer, { gridWorker: 'gwb', limit: '2' });
    expect(other.cursor).toBeDefined();
    const refused = await listClaims(deps(), worker, { limit: '2', cursor: other.cursor }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as InvalidInputError).code).toBe('BAD_CURSOR');
    const all = await listClaims(deps(), insurer, { limit: '2' });
    expect(
      await listClaims(deps(), worker, { limit: '2', cursor: all.cursor }).catch((e: unknown) => e),
    ).toBeInstanceOf(InvalidInputError);
  });

  it('reviewers list all claims, by village, category and date range', async () => {
    const q = { village: '东风村', category: 'medical', from: '2026-09-01', to: '2026-09-03', limit: '5' };
    const first = await listClaims(deps(), insurer, q);
    const want = expected({ village: '东风村', category: 'medical', from: '2026-09-01', to: '2026-09-03' });
    expect(first.items.map((c) => c.claimId)).toEqual(want.slice(0, 5));
  });
});

// The DynamoDB adapter's money conditions against DynamoDB Local: claim creation and versioned
// updates, the payout transaction (claim APPROVED -> PAID, ledger entry put-if-absent, cap
// counter within the cap), its replays, the ledger listing by China date across months and
// years, and disbursement. Stryker (npm run verify, check 10) mutates exactly this code.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import { ConflictError } from '#shared/ports.ts';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { startLocalDynamo, type LocalDynamo } from '../../verify/lib/dynamo.ts';
import { claimRecord } from '#test/support/fixtures.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

let own: LocalDynamo | undefined;
let db: DynamoDBClient;
let store: DynamoClaimStore;

beforeAll(async () => {
  // Under Stryker one DynamoDB Local serves every run; under npm test this file starts its own.
  const shared = inject('dynamoEndpoint') as string | undefined;
  const endpoint = shared ?? (own = await startLocalDynamo()).endpoint;
  db = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: s3LocalCredentials });
  store = new DynamoClaimStore(db, 'claims');
}, 90_000);

afterAll(async () => {
  db?.destroy();
  await own?.close();
});

const at = '2026-09-05T02:00:00.000Z';
const CAP = 2_000_000;

function claim(over: Partial<ClaimRecord> = {}): ClaimRecord {
  return claimRecord({
    claimId: ulid(),
    householdId: `HH-${ulid()}`,
    state: 'APPROVED',
    createdAt: at,
    version: 2,
    payoutFen: 350_000,
    ...over,
  });
}

function entryFor(c: ClaimRecord, over: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    claimId: c.claimId,
    householdId: c.householdId ?? '',
    region: 'demo',
    village: '红星村',
    category: 'education',
    gridWorker: 'worker1',
    payoutFen: 350_000,
    capYear: 2026,
    policyId: 'demo-fangpin',
    policyVersion: 1,
    paidAt: at,
    paidDate: '2026-09-05',
    ...over,
  };
}

const paidEvent: HistoryEvent = { at, from: 'APPROVED', to: 'PAID', actor: 'system' };

async function approvedClaim(over: Partial<ClaimRecord> = {}) {
  const c = claim(over);
  expect(await store.create(c, [{ at, from: null, to: 'RECEIVED', actor: 'worker1' }])).toBe(true);
  return c;
}

const pay = (
  c: ClaimRecord,
  amount = 350_000,
  over: Partial<LedgerEntry> = {},
  expectedVersion = c.version,
) =>
  store.recordPayout(
    { ...c, state: 'PAID', version: expectedVersion + 1, payoutFen: amount },
    expectedVersion,
    entryFor(c, { payoutFen: amount, ...over }),
    { capFen: CAP },
    paidEvent,
  );

async function setCounter(c: ClaimRecord, used: number) {
  // An earlier claim of the same household paid `used`.
  const other = await approvedClaim({ householdId: c.householdId });
  expect((await pay(other, used)).kind).toBe('paid');
}

describe('claim records', () => {
  it('are created once, with their first history events', async () => {
    const c = claim({ state: 'RECEIVED', version: 0 });
    const events: HistoryEvent[] = [
      { at, from: null, to: 'RECEIVED', actor: 'worker1' },
      { at, from: 'RECEIVED', to: 'REJECTED', actor: 'system', reason: 'BELOW_THRESHOLD' },
    ];
    expect(await store.create(c, events)).toBe(true);
    expect(await store.create({ ...c, state: 'APPROVED' }, events)).toBe(false);
    expect((await store.get(c.claimId))?.state).toBe('RECEIVED');
    expect(await store.history(c.claimId)).toEqual(events);
  });

  it('are updated only from the version read, with the event in the same write', async () => {
    const c = await approvedClaim({ state: 'RECEIVED', version: 0 });
    const event: HistoryEvent = { at, from: 'RECEIVED', to: 'APPROVED', actor: 'system' };
    await store.update({ ...c, state: 'APPROVED', version: 1 }, 0, event);
    await expect(store.update({ ...c, state: 'REJECTED', version: 1 }, 0, event)).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(store.update({ ...c, state: 'REJECTED', version: 1 }, 0)).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await store.get(c.claimId)).toMatchObject({ state: 'APPROVED', version: 1 });
    // Without an event, the history stays as it was.
    await store.update({ ...c, state: 'APPROVED', version: 2, detail: 'token parked' }, 1);
    expect(await store.get(c.claimId)).toMatchObject({ version: 2, detail: 'token parked' });
    expect((await store.history(c.claimId)).map((h) => h.to)).toEqual(['RECEIVED', 'APPROVED']);
  });

  it('cannot be updated into existence', async () => {
    await expect(store.update(claim({ version: 1 }), 0)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('the payout transaction', () => {
  it('pays: claim PAID, one ledger entry, the counter raised, the event written', async () => {
    const c = await approvedClaim();
    expect(await store.capUsed(c.householdId ?? '', 2026, 'education')).toBe(0);
    const outcome = await pay(c);
    expect(outcome).toMatchObject({ kind: 'paid', claim: { state: 'PAID', version: 3 } });
    expect(await store.get(c.claimId)).toMatchObject({ state: 'PAID', version: 3, payoutFen: 350_000 });
    expect(await store.ledgerEntry(c.claimId)).toEqual(entryFor(c));
    expect(await store.capUsed(c.householdId ?? '', 2026, 'education')).toBe(350_000);
    expect(await store.capUsed(c.householdId ?? '', 2025, 'education')).toBe(0);
    expect(await store.capUsed(c.householdId ?? '', 2026, 'medical')).toBe(0);
    expect((await store.history(c.claimId)).at(-1)).toEqual(paidEvent);
    const counter = await db.send(
      new GetItemCommand({
        TableName: 'claims',
        Key: { pk: { S: `CAP#${c.householdId}#2026#education` }, sk: { S: 'CAP' } },
      }),
    );
    expect(counter.Item?.capFen?.N).toBe(String(CAP));
  });

  it('replayed, now or a day later, finds the payout and writes nothing', async () => {
    const c = await approvedClaim();
    await pay(c);
    const again = await pay(c);
    expect(again).toMatchObject({ kind: 'already-paid', claim: { state: 'PAID' } });
    const late = await pay(c, 350_000, { paidAt: '2026-09-06T02:00:00.000Z', paidDate: '2026-09-06' });
    expect(late.kind).toBe('already-paid');
    expect(await store.capUsed(c.householdId ?? '', 2026, 'education')).toBe(350_000);
    expect((await store.ledgerEntry(c.claimId))?.paidAt).toBe(at);
    expect((await store.history(c.claimId)).filter((h) => h.to === 'PAID')).toHaveLength(1);
  });

  it('after disbursement a replay is still "already paid"', async () => {
    const c = await approvedClaim();
    await pay(c);
    await store.update({ ...c, state: 'DISBURSED', version: 4 }, 3);
    expect((await pay(c)).kind).toBe('already-paid');
  });

  it('refuses to pass the cap, and says what the counter holds', async () => {
    const c = await approvedClaim();
    await setCounter(c, CAP - 349_999);
    expect(await pay(c)).toEqual({ kind: 'cap-conflict', capUsedFen: CAP - 349_999 });
    expect(await store.get(c.claimId)).toMatchObject({ state: 'APPROVED', version: 2 });
    expect(await store.ledgerEntry(c.claimId)).toBeUndefined();
    expect(await store.capUsed(c.householdId ?? '', 2026, 'education')).toBe(CAP - 349_999);
  });

  it('pays right up to the cap', async () => {
    const c = await approvedClaim();
    await setCounter(c, CAP - 350_000);
    expect((await pay(c)).kind).toBe('paid');
    expect(await store.capUsed(c.householdId ?? '', 2026, 'education')).toBe(CAP);
  });

  it('on a fresh counter, allows the whole cap and nothing more', async () => {
    const over = await approvedClaim();
    expect(await pay(over, CAP + 1)).toEqual({ kind: 'cap-conflict', capUsedFen: 0 });
    const exact = await approvedClaim();
    expect((await pay(exact, CAP)).kind).toBe('paid');
  });

  it('a claim that moved on (another version, or refused) is a conflict, not a payout', async () => {
    const moved = await approvedClaim();
    await store.update({ ...moved, version: 3 }, 2);
    await expect(pay(moved)).rejects.toBeInstanceOf(ConflictError);
    const refused = await approvedClaim();
    await store.update({ ...refused, state: 'REJECTED', reason: 'CAP_EXHAUSTED', version: 3 }, 2);
    await expect(pay(refused, 350_000, {}, 3)).rejects.toBeInstanceOf(ConflictError);
    for (const c of [moved, refused]) {
      expect(await store.ledgerEntry(c.claimId)).toBeUndefined();
      expect(await store.capUsed(c.householdId ?? '', 2026, 'education')).toBe(0);
    }
  });

  it('needs a household and a category', async () => {
    const c = claim();
    await expect(
      store.recordPayout({ ...c, householdId: null }, 2, entryFor(c), { capFen: CAP }, paidEvent),
    ).rejects.toThrow('a payout needs a household and a category');
    await expect(
      store.recordPayout({ ...c, category: null }, 2, entryFor(c), { capFen: CAP }, paidEvent),
    ).rejects.toThrow('a payout needs a household and a category');
  });

  it('has no ledger entry for a claim never paid', async () => {
    expect(await store.ledgerEntry(ulid())).toBeUndefined();
  });
});

describe('the ledger listing', () => {
  const region = `R${ulid().slice(-8)}`;
  // paidAt in UTC; the China date is eight hours ahead.
  const payments: [string, string, 'education' | 'medical'][] = [
    ['2026-12-31T15:59:59.000Z', '2026-12-31', 'education'],
    ['2026-12-31T16:00:00.000Z', '2027-01-01', 'medical'],
    ['2026-11-30T16:00:00.000Z', '2026-12-01', 'education'],
    ['2026-11-30T15:59:00.000Z', '2026-11-30', 'education'],
    ['2027-01-01T03:00:00.000Z', '2027-01-01', 'education'],
  ];
  const ids: string[] = [];

  beforeAll(async () => {
    for (const [paidAt, paidDate, category] of payments) {
      const c = await approvedClaim({ category });
      ids.push(c.claimId);
      expect((await pay(c, 100_000 + ids.length, { paidAt, paidDate, region, category })).kind).toBe('paid');
    }
  });

  const list = async (filter: { from: string; to: string; category?: 'education' | 'medical' }) => {
    const out: LedgerEntry[] = [];
    for await (const e of store.entries({ ...filter, region })) out.push(e);
    return out.map((e) => `${e.paidDate} ${e.category} ${e.payoutFen}`);
  };

  it('lists by China date across a month and a year boundary, in paidAt order', async () => {
    expect(await list({ from: '2026-11-30', to: '2027-01-01' })).toEqual([
      '2026-11-30 education 100004',
      '2026-12-01 education 100003',
      '2026-12-31 education 100001',
      '2027-01-01 medical 100002',
      '2027-01-01 education 100005',
    ]);
  });

  it('leaves out what was paid outside the dates, by the China calendar', async () => {
    expect(await list({ from: '2026-12-01', to: '2026-12-31' })).toEqual([
      '2026-12-01 education 100003',
      '2026-12-31 education 100001',
    ]);
    expect(await list({ from: '2027-01-01', to: '2027-01-01' })).toEqual([
      '2027-01-01 medical 100002',
      '2027-01-01 education 100005',
    ]);
    expect(await list({ from: '2026-10-01', to: '2026-11-29' })).toEqual([]);
  });

  it('filters by category and region', async () => {
    expect(await list({ from: '2026-11-01', to: '2027-01-31', category: 'medical' })).toEqual([
      '2027-01-01 medical 100002',
    ]);
    const others: LedgerEntry[] = [];
    for await (const e of store.entries({ from: '2026-11-30', to: '2027-01-01', region: `${region}x` }))
      others.push(e);
    expect(others).toEqual([]);
  });
});

describe('the ledger listing order', () => {
  const region = `S${ulid().slice(-8)}`;
  const paidAts = [
    '2027-02-20T01:00:00.000Z',
    '2027-02-03T01:00:00.000Z',
    '2027-02-14T09:30:00.000Z',
    '2027-02-14T09:30:00.000Z',
    '2027-02-01T00:00:00.000Z',
    '2027-02-27T23:00:00.000Z',
    '2027-02-10T12:00:00.000Z',
    '2027-02-14T09:30:00.000Z',
    '2027-03-02T04:00:00.000Z',
  ];
  const paid: { claimId: string; paidAt: string }[] = [];

  beforeAll(async () => {
    for (const paidAt of paidAts) {
      const c = await approvedClaim();
      const paidDate = new Date(Date.parse(paidAt) + 8 * 3_600_000).toISOString().slice(0, 10);
      expect((await pay(c, 200_000, { paidAt, paidDate, region })).kind).toBe('paid');
      paid.push({ claimId: c.claimId, paidAt });
    }
  });

  it('merges every shard of every month into paidAt order, ties by claimId', async () => {
    const out: string[] = [];
    // January (nothing), February, March: three months, whichever shards they landed in.
    for await (const e of store.entries({ from: '2027-01-15', to: '2027-03-31', region }))
      out.push(e.claimId);
    const expected = [...paid]
      .sort((a, b) => (a.paidAt < b.paidAt ? -1 : a.paidAt > b.paidAt ? 1 : a.claimId < b.claimId ? -1 : 1))
      .map((p) => p.claimId);
    expect(out).toEqual(expected);
  });
});

describe('disbursement', () => {
  const disburse = async (c: ClaimRecord, batchRef: string, by: string, when: string) => {
    const paid = await store.get(c.claimId);
    if (!paid) throw new Error('no claim');
    const next: ClaimRecord = {
      ...paid,
      state: 'DISBURSED',
      disbursement: { batchRef, at: when, by },
      version: paid.version + 1,
    };
    await store.recordDisbursement(next, paid.version, {
      at: when,
      from: 'PAID',
      to: 'DISBURSED',
      actor: by,
    });
  };

  it('marks the claim and its ledger entry with one batch, in one transaction', async () => {
    const c = await approvedClaim();
    await pay(c);
    await disburse(c, 'BATCH-1', 'finance1', '2026-09-07T01:00:00.000Z');
    expect(await store.ledgerEntry(c.claimId)).toMatchObject({
      batchRef: 'BATCH-1',
      disbursedAt: '2026-09-07T01:00:00.000Z',
      payoutFen: 350_000,
    });
    expect((await store.get(c.claimId))?.disbursement?.batchRef).toBe('BATCH-1');
    const raw = await db.send(
      new GetItemCommand({
        TableName: 'claims',
        Key: { pk: { S: `LEDGER#${c.claimId}` }, sk: { S: 'LEDGER' } },
      }),
    );
    expect(raw.Item?.disbursedBy?.S).toBe('finance1');
  });

  it('refuses a second batch: the claim and the entry keep the first', async () => {
    const c = await approvedClaim();
    await pay(c);
    await disburse(c, 'BATCH-1', 'finance1', '2026-09-07T01:00:00.000Z');
    const now = await store.get(c.claimId);
    if (!now) throw new Error('no claim');
    // Even a writer that skips the state check cannot move the ledger entry to another batch.
    const forged: ClaimRecord = {
      ...now,
      disbursement: { batchRef: 'BATCH-2', at, by: 'finance2' },
      version: now.version + 1,
    };
    await expect(
      store.recordDisbursement(forged, now.version, { at, from: 'PAID', to: 'DISBURSED', actor: 'finance2' }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await store.ledgerEntry(c.claimId))?.batchRef).toBe('BATCH-1');
    expect((await store.get(c.claimId))?.disbursement?.batchRef).toBe('BATCH-1');
  });

  it('never disburses a claim that was not paid, and writes nothing for it', async () => {
    const c = await approvedClaim();
    const next: ClaimRecord = {
      ...c,
      state: 'DISBURSED',
      disbursement: { batchRef: 'BATCH-3', at, by: 'finance1' },
      version: c.version + 1,
    };
    await expect(
      store.recordDisbursement(next, c.version, { at, from: 'PAID', to: 'DISBURSED', actor: 'finance1' }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await store.ledgerEntry(c.claimId)).toBeUndefined();
    expect((await store.get(c.claimId))?.state).toBe('APPROVED');
  });
});

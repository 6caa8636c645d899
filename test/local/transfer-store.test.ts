// The bank's answer in the store, on DynamoDB Local and in memory alike: a claim and its ledger
// entry change in one transaction (DISBURSED with the bank's reference, DISBURSEMENT_FAILED,
// reissued back to PAID), and nothing changes when the claim or the entry is not as expected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import { ConflictError, type ClaimStore, type TransferMark } from '#shared/ports.ts';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { claimRecord } from '#cli/local/world.ts';
import { startLocalDynamo, type LocalDynamo } from '../../verify/lib/dynamo.ts';

type Store = ClaimStore & {
  loadClaims(
    batch: readonly { claim: ClaimRecord; events: readonly HistoryEvent[]; ledger?: LedgerEntry }[],
  ): Promise<void>;
};

let own: LocalDynamo | undefined;
let db: DynamoDBClient | undefined;
const stores: Record<string, () => Store> = {
  memory: () => new MemoryStore(),
  dynamodb: () => {
    if (!db) throw new Error('DynamoDB Local is not up');
    return new DynamoClaimStore(db, 'claims');
  },
};

beforeAll(async () => {
  own = await startLocalDynamo();
  db = new DynamoDBClient({ endpoint: own.endpoint, region: 'us-east-1', credentials: s3LocalCredentials });
}, 90_000);

afterAll(async () => {
  db?.destroy();
  await own?.close();
});

const at = '2026-11-20T02:00:00.000Z';

async function paidClaim(store: Store): Promise<ClaimRecord> {
  const claim = claimRecord({
    claimId: ulid(),
    householdId: `HH-${ulid()}`,
    state: 'PAID',
    payoutFen: 350_000,
    version: 4,
  });
  const ledger: LedgerEntry = {
    claimId: claim.claimId,
    householdId: claim.householdId ?? '',
    region: 'demo',
    village: '红星村',
    category: 'education',
    gridWorker: 'worker1',
    payoutFen: 350_000,
    capYear: 2026,
    policyId: 'demo',
    policyVersion: 1,
    paidAt: '2026-11-02T02:00:00.000Z',
    paidDate: '2026-11-02',
  };
  await store.loadClaims([{ claim, events: [], ledger }]);
  return claim;
}

function moved(claim: ClaimRecord, state: ClaimRecord['state'], over: Partial<ClaimRecord> = {}) {
  const next: ClaimRecord = { ...claim, ...over, state, version: claim.version + 1, updatedAt: at };
  const event: HistoryEvent = { at, from: claim.state, to: state, actor: 'finance1' };
  return { next, event };
}

async function write(
  store: Store,
  claim: ClaimRecord,
  state: ClaimRecord['state'],
  mark: TransferMark,
  over = {},
) {
  const { next, event } = moved(claim, state, over);
  await store.recordTransfer(next, claim.version, event, mark);
  return next;
}

describe.each(Object.keys(stores))('transfers in the %s store', (name) => {
  const store = () => stores[name]!();

  it('marks a disbursed transfer on the claim and its ledger entry together', async () => {
    const s = store();
    const c = await paidClaim(s);
    await write(
      s,
      c,
      'DISBURSED',
      { kind: 'disbursed', at, bankRef: 'REF-1' },
      { bankTransfer: { bankRef: 'REF-1', at } },
    );
    expect(await s.get(c.claimId)).toMatchObject({ state: 'DISBURSED', bankTransfer: { bankRef: 'REF-1' } });
    expect(await s.ledgerEntry(c.claimId)).toMatchObject({
      disbursedAt: at,
      bankRef: 'REF-1',
      payoutFen: 350_000,
    });
    expect((await s.history(c.claimId)).at(-1)).toMatchObject({ from: 'PAID', to: 'DISBURSED' });
  });

  it('fails, reissues and then disburses one payout: one ledger entry throughout', async () => {
    const s = store();
    const c = await paidClaim(s);
    const failed = await write(s, c, 'DISBURSEMENT_FAILED', { kind: 'failed', at });
    expect(await s.ledgerEntry(c.claimId)).toMatchObject({ failedAt: at });
    const again = await write(s, failed, 'PAID', { kind: 'reissued' });
    const entry = await s.ledgerEntry(c.claimId);
    expect(entry?.failedAt).toBeUndefined();
    expect(entry?.reissues).toBe(1);
    const failedAgain = await write(s, again, 'DISBURSEMENT_FAILED', { kind: 'failed', at });
    const third = await write(s, failedAgain, 'PAID', { kind: 'reissued' });
    expect((await s.ledgerEntry(c.claimId))?.reissues).toBe(2);
    await write(s, third, 'DISBURSED', { kind: 'disbursed', at, bankRef: 'REF-3' });
    expect(await s.ledgerEntry(c.claimId)).toMatchObject({ bankRef: 'REF-3', disbursedAt: at, reissues: 2 });
    expect((await s.history(c.claimId)).map((e) => e.to)).toEqual([
      'DISBURSEMENT_FAILED',
      'PAID',
      'DISBURSEMENT_FAILED',
      'PAID',
      'DISBURSED',
    ]);
  });

  it('refuses a stale version, a claim not PAID and a reissue of an entry that did not fail', async () => {
    const s = store();
    const c = await paidClaim(s);
    const stale = { ...c, version: c.version - 1 };
    await expect(
      write(s, stale, 'DISBURSED', { kind: 'disbursed', at, bankRef: 'R' }),
    ).rejects.toBeInstanceOf(ConflictError);
    // A reissue of a PAID claim (no failure on record): the state check refuses it.
    const asIfFailed = { ...c, state: 'DISBURSEMENT_FAILED' as const };
    await expect(write(s, asIfFailed, 'PAID', { kind: 'reissued' })).rejects.toBeInstanceOf(ConflictError);
    expect(await s.get(c.claimId)).toMatchObject({ state: 'PAID', version: c.version });
    const entry = await s.ledgerEntry(c.claimId);
    expect(entry?.disbursedAt).toBeUndefined();
    expect(entry?.reissues).toBeUndefined();
    expect(await s.history(c.claimId)).toEqual([]);
  });

  it('never marks an entry the bank answered already, nor one that does not exist', async () => {
    const s = store();
    const c = await paidClaim(s);
    await write(s, c, 'DISBURSED', { kind: 'disbursed', at, bankRef: 'REF-1' });
    // A writer that skips the state check still cannot fail a disbursed entry.
    const now = (await s.get(c.claimId))!;
    const forged = { ...now, state: 'PAID' as const };
    await expect(
      s.recordTransfer(
        moved(forged, 'DISBURSEMENT_FAILED').next,
        now.version,
        moved(forged, 'DISBURSEMENT_FAILED').event,
        { kind: 'failed', at },
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await s.ledgerEntry(c.claimId))?.failedAt).toBeUndefined();

    const orphan = claimRecord({ claimId: ulid(), state: 'PAID', payoutFen: 1, version: 2 });
    await s.loadClaims([{ claim: orphan, events: [] }]);
    await expect(
      write(s, orphan, 'DISBURSED', { kind: 'disbursed', at, bankRef: 'R' }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await s.get(orphan.claimId))?.state).toBe('PAID');
  });
});

// What the DynamoDB adapter sends and how it reads the answers, with a scripted client: strongly
// consistent reads of counters and ledger entries, each cancellation reason mapped to the right
// outcome, unexpected errors passed on, and paginated ledger reads followed to the end. The
// conditions themselves run against DynamoDB Local in money-dynamo.test.ts.
import { describe, expect, it } from 'vitest';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  TransactionCanceledException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import { ConflictError } from '#shared/ports.ts';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { claimRecord } from '#test/support/fixtures.ts';

type Command = { input: Record<string, unknown>; constructor: { name: string } };

function scripted(answer: (command: Command) => unknown) {
  const sent: Command[] = [];
  const client = {
    send: async (command: Command) => {
      sent.push(command);
      const result = answer(command);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as DynamoDBClient;
  return { store: new DynamoClaimStore(client, 'claims'), sent };
}

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });

const at = '2026-09-05T02:00:00.000Z';
const claim: ClaimRecord = claimRecord({
  claimId: '01JC0000000000000000000009',
  state: 'PAID',
  version: 3,
  payoutFen: 350_000,
});
const entry: LedgerEntry = {
  claimId: claim.claimId,
  householdId: 'HH-0001',
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
};
const event = { at, from: 'APPROVED', to: 'PAID', actor: 'system' } as const;
const claimItem = { Item: { ...marshall(claim), pk: { S: `CLAIM#${claim.claimId}` }, sk: { S: 'CLAIM' } } };

describe('reads', () => {
  it('reads cap counters strongly consistent, by household, year and category', async () => {
    const { store, sent } = scripted(() => ({ Item: { used: { N: '123400' } } }));
    expect(await store.capUsed('HH-0001', 2026, 'medical')).toBe(123_400);
    expect(sent[0]?.constructor.name).toBe(GetItemCommand.name);
    expect(sent[0]?.input).toMatchObject({
      TableName: 'claims',
      Key: { pk: { S: 'CAP#HH-0001#2026#medical' }, sk: { S: 'CAP' } },
      ConsistentRead: true,
    });
  });

  it('a missing counter, or one without a total yet, is zero', async () => {
    expect(await scripted(() => ({})).store.capUsed('HH-0001', 2026, 'education')).toBe(0);
    expect(await scripted(() => ({ Item: {} })).store.capUsed('HH-0001', 2026, 'education')).toBe(0);
  });

  it('reads ledger entries strongly consistent', async () => {
    const { store, sent } = scripted(() => ({ Item: marshall(entry) }));
    expect(await store.ledgerEntry(claim.claimId)).toEqual(entry);
    expect(sent[0]?.input).toMatchObject({
      Key: { pk: { S: `LEDGER#${claim.claimId}` }, sk: { S: 'LEDGER' } },
      ConsistentRead: true,
    });
  });

  it('follows every page of a ledger shard, and reads empty pages as empty', async () => {
    const page = (claimId: string, paidAt: string) => ({ ...entry, claimId, paidAt });
    const { store, sent } = scripted((command) => {
      const input = command.input as {
        ExpressionAttributeValues: { ':pk': { S: string } };
        ExclusiveStartKey?: unknown;
      };
      if (command.constructor.name !== QueryCommand.name) throw new Error('unexpected command');
      if (input.ExpressionAttributeValues[':pk'].S !== 'PAID#2026-09#3') return {};
      return input.ExclusiveStartKey
        ? { Items: [marshall(page('B', '2026-09-05T01:00:00.000Z'))] }
        : { Items: [marshall(page('A', '2026-09-05T03:00:00.000Z'))], LastEvaluatedKey: { pk: { S: 'x' } } };
    });
    const out: string[] = [];
    for await (const e of store.entries({ from: '2026-09-05', to: '2026-09-05' })) out.push(e.claimId);
    expect(out).toEqual(['B', 'A']);
    expect(sent.length).toBe(11);
  });
});

describe('answers the payout transaction can get', () => {
  const pay = (store: DynamoClaimStore, e: LedgerEntry = entry) =>
    store.recordPayout({ ...claim, state: 'PAID' }, 2, e, { capFen: 2_000_000 }, event);

  it('ledger entry already there, claim paid: already paid', async () => {
    const { store } = scripted((c) =>
      c.constructor.name === GetItemCommand.name
        ? claimItem
        : cancelled('None', 'ConditionalCheckFailed', 'None', 'None'),
    );
    expect(await pay(store)).toMatchObject({ kind: 'already-paid' });
  });

  it('ledger entry already there but the claim not paid: a conflict, never a second payout', async () => {
    const approved = { Item: { ...claimItem.Item, ...marshall({ state: 'APPROVED' }) } };
    const { store } = scripted((c) =>
      c.constructor.name === GetItemCommand.name
        ? approved
        : cancelled('None', 'ConditionalCheckFailed', 'None', 'None'),
    );
    await expect(pay(store)).rejects.toThrow(
      new ConflictError(`claim ${claim.claimId} changed during payout`),
    );
  });

  it('claim moved on: a conflict naming it', async () => {
    const { store } = scripted((c) =>
      c.constructor.name === GetItemCommand.name
        ? {}
        : cancelled('ConditionalCheckFailed', 'None', 'None', 'None'),
    );
    await expect(pay(store)).rejects.toThrow(
      new ConflictError(`claim ${claim.claimId} changed during payout`),
    );
  });

  it('counter would pass the cap: a cap conflict with what the counter holds', async () => {
    const { store } = scripted((c) =>
      c.constructor.name === GetItemCommand.name
        ? { Item: { used: { N: '1900000' } } }
        : cancelled('None', 'None', 'ConditionalCheckFailed', 'None'),
    );
    expect(await pay(store)).toEqual({ kind: 'cap-conflict', capUsedFen: 1_900_000 });
  });

  it('another writer in the way: a retryable conflict that says why', async () => {
    const { store } = scripted(() => cancelled('None', 'TransactionConflict', 'None', 'None'));
    await expect(pay(store)).rejects.toThrow(
      new ConflictError('payout transaction cancelled (None,TransactionConflict,None,None)'),
    );
    const { store: bare } = scripted(() => new TransactionCanceledException({ message: 'x', $metadata: {} }));
    await expect(pay(bare)).rejects.toThrow(new ConflictError('payout transaction cancelled ()'));
  });

  it('anything else is passed on as it is', async () => {
    const { store } = scripted(() => new Error('socket hang up'));
    await expect(pay(store)).rejects.toThrow('socket hang up');
  });

  it('sends an entry whose optional fields are unset', async () => {
    const { store, sent } = scripted(() => ({}));
    await pay(store, { ...entry, disbursedAt: undefined, batchRef: undefined });
    const items = (sent[0]?.input as { TransactItems: { Put?: { Item: Record<string, unknown> } }[] })
      .TransactItems;
    expect(items[1]?.Put?.Item).not.toHaveProperty('disbursedAt');
    expect(items[1]?.Put?.Item).toMatchObject({ gsi4pk: { S: expect.stringMatching(/^PAID#2026-09#\d$/) } });
  });
});

describe('claim writes', () => {
  it('a create that lost to an existing claim is false; one cancelled otherwise is a conflict', async () => {
    expect(
      await scripted(() => cancelled('ConditionalCheckFailed', 'None')).store.create(claim, [event]),
    ).toBe(false);
    await expect(
      scripted(() => cancelled('None', 'TransactionConflict')).store.create(claim, [event]),
    ).rejects.toThrow(new ConflictError('claim creation raced; retry'));
    await expect(
      scripted(() => new TransactionCanceledException({ message: 'x', $metadata: {} })).store.create(claim, [
        event,
      ]),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(scripted(() => new Error('socket hang up')).store.create(claim, [event])).rejects.toThrow(
      'socket hang up',
    );
  });

  it('an update refused by its condition names the claim and version; other errors pass', async () => {
    await expect(scripted(() => conditionFailed()).store.update(claim, 2)).rejects.toThrow(
      new ConflictError(`claim ${claim.claimId} changed since version 2`),
    );
    await expect(
      scripted(() => cancelled('ConditionalCheckFailed', 'None')).store.update(claim, 2, event),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(scripted(() => new Error('socket hang up')).store.update(claim, 2)).rejects.toThrow(
      'socket hang up',
    );
  });

  it('disbursement turns a cancelled transaction into a conflict and passes on other errors', async () => {
    const next = {
      ...claim,
      state: 'DISBURSED' as const,
      disbursement: { batchRef: 'B-1', at, by: 'finance1' },
    };
    const event = { at, from: 'PAID' as const, to: 'DISBURSED' as const, actor: 'finance1' };
    await expect(
      scripted(() => cancelled('None', 'ConditionalCheckFailed', 'None')).store.recordDisbursement(
        next,
        2,
        event,
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      scripted(() => new Error('socket hang up')).store.recordDisbursement(next, 2, event),
    ).rejects.toThrow('socket hang up');
  });
});

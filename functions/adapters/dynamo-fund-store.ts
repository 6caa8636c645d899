// The relief funds on the claims table. One item per region holds the balance and its parts;
// top-ups are items beside it (one per reference, so a repeated top-up adds nothing), and the
// claims waiting for money are a queue ordered by when they started waiting. The payout and
// waiting writes themselves are transaction items built here and run by the claim store, so a
// claim's state, its ledger entry and the fund move together.
import {
  TransactionCanceledException,
  TransactWriteItemsCommand,
  GetItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { Fen } from '#shared/money.ts';
import type { FundAccount, FundStore, FundTopUp } from '#shared/ports.ts';
import { queryAll, send } from '#functions/adapters/dynamo-send.ts';

type Item = Record<string, AttributeValue>;

export const fundKey = (region: string) => ({ pk: { S: `FUND#${region}` }, sk: { S: 'FUND' } });
const topUpKey = (region: string, ref: string) => ({
  pk: { S: `FUND#${region}` },
  sk: { S: `TOPUP#${ref}` },
});
export const fundQueueKey = (region: string, since: string, claimId: string) => ({
  pk: { S: `FUNDQ#${region}` },
  sk: { S: `${since}#${claimId}` },
});

const n = (value: number): AttributeValue => ({ N: String(value) });

/** The fund's fields, each created with its starting value by the first write that touches it. */
const startingValues =
  'initialFen = if_not_exists(initialFen, :initial), toppedUpFen = if_not_exists(toppedUpFen, :zero)';

/**
 * The fund's part of a payout: the balance drops by `amount` only if it covers it; a claim from
 * the queue leaves it (waiting - 1), any other claim pays only while nobody waits.
 */
export function fundDrawItem(
  table: string,
  region: string,
  amount: Fen,
  initialFen: Fen,
  fromQueue: boolean,
): TransactWriteItem {
  return {
    Update: {
      TableName: table,
      Key: fundKey(region),
      UpdateExpression:
        `SET balanceFen = if_not_exists(balanceFen, :initial) - :amount, ` +
        `paidFen = if_not_exists(paidFen, :zero) + :amount, ` +
        `waiting = if_not_exists(waiting, :zero) ${fromQueue ? '- :one' : '+ :zero'}, ${startingValues}`,
      ConditionExpression:
        '((attribute_not_exists(balanceFen) AND :amount <= :initial) OR balanceFen >= :amount) AND ' +
        (fromQueue ? 'waiting >= :one' : '(attribute_not_exists(waiting) OR waiting = :zero)'),
      ExpressionAttributeValues: {
        ':amount': n(amount),
        ':initial': n(initialFen),
        ':zero': n(0),
        ...(fromQueue ? { ':one': n(1) } : {}),
      },
    },
  };
}

/** The queue entry a paid claim leaves, removed in the payout's transaction. */
export function fundDequeueItem(
  table: string,
  region: string,
  since: string,
  claimId: string,
): TransactWriteItem {
  return {
    Delete: {
      TableName: table,
      Key: fundQueueKey(region, since, claimId),
      ConditionExpression: 'attribute_exists(pk)',
    },
  };
}

/** A claim starting to wait: counted in the fund and queued by the time it started waiting. */
export function fundWaitItems(
  table: string,
  region: string,
  since: string,
  claimId: string,
  initialFen: Fen,
): TransactWriteItem[] {
  return [
    {
      Update: {
        TableName: table,
        Key: fundKey(region),
        UpdateExpression:
          `SET waiting = if_not_exists(waiting, :zero) + :one, balanceFen = if_not_exists(balanceFen, :initial), ` +
          `paidFen = if_not_exists(paidFen, :zero), ${startingValues}`,
        ExpressionAttributeValues: { ':one': n(1), ':zero': n(0), ':initial': n(initialFen) },
      },
    },
    {
      Put: {
        TableName: table,
        Item: { ...fundQueueKey(region, since, claimId), claimId: { S: claimId } },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

const fundItemSchema = z.object({
  initialFen: z.number().int(),
  toppedUpFen: z.number().int(),
  paidFen: z.number().int(),
  balanceFen: z.number().int(),
  waiting: z.number().int(),
});

const topUpItemSchema = z.object({
  region: z.string(),
  ref: z.string(),
  amountFen: z.number().int().positive(),
  by: z.string(),
  at: z.string(),
});

export class DynamoFundStore implements FundStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async fund(region: string, initialFen: Fen): Promise<FundAccount> {
    const out = await send(() =>
      this.db.send(new GetItemCommand({ TableName: this.table, Key: fundKey(region), ConsistentRead: true })),
    );
    if (!out.Item)
      return { region, initialFen, toppedUpFen: 0, paidFen: 0, balanceFen: initialFen, waiting: 0 };
    return { region, ...fundItemSchema.parse(unmarshall(out.Item)) };
  }

  async topUp(topUp: FundTopUp, initialFen: Fen): Promise<boolean> {
    const record: Item = {
      ...topUpKey(topUp.region, topUp.ref),
      region: { S: topUp.region },
      ref: { S: topUp.ref },
      amountFen: n(topUp.amountFen),
      by: { S: topUp.by },
      at: { S: topUp.at },
    };
    try {
      await send(() =>
        this.db.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Put: { TableName: this.table, Item: record, ConditionExpression: 'attribute_not_exists(pk)' },
              },
              {
                Update: {
                  TableName: this.table,
                  Key: fundKey(topUp.region),
                  UpdateExpression:
                    `SET balanceFen = if_not_exists(balanceFen, :initial) + :amount, ` +
                    `toppedUpFen = if_not_exists(toppedUpFen, :zero) + :amount, ` +
                    `initialFen = if_not_exists(initialFen, :initial), paidFen = if_not_exists(paidFen, :zero), ` +
                    `waiting = if_not_exists(waiting, :zero)`,
                  ExpressionAttributeValues: {
                    ':amount': n(topUp.amountFen),
                    ':initial': n(initialFen),
                    ':zero': n(0),
                  },
                },
              },
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
        if (codes[0] === 'ConditionalCheckFailed') return false;
      }
      throw error;
    }
  }

  async topUps(region: string): Promise<FundTopUp[]> {
    const items = await queryAll(this.db, this.table, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :topup)',
      ExpressionAttributeValues: { ':pk': { S: `FUND#${region}` }, ':topup': { S: 'TOPUP#' } },
      ConsistentRead: true,
    });
    return items
      .map((item) => topUpItemSchema.parse(unmarshall(item)))
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  async queue(region: string, limit: number): Promise<string[]> {
    // The queue is read a page at a time by the drain; a page is oldest first.
    const out = await send(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `FUNDQ#${region}` } },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map((item) => z.object({ claimId: z.string() }).parse(unmarshall(item)).claimId);
  }
}

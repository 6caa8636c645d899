// The departments' feed records on the claims table. Each record is two items written together:
// under its id (`FEED#<kind>#<recordId>` / `FEED`: the version conditions, reads by id) and a
// copy under its household (`HHFEED#<householdId>` / `<kind>#<recordId>`), so a household's
// records are one consistent Query and no index is needed. Two items a record is why one
// transaction takes at most FEED_RECORDS_PER_TRANSACTION records (DynamoDB: 100 items).
import {
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ClaimRecord } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import { feedRecordSchema, type FeedKind, type FeedRecord } from '#shared/feed-record.ts';
import {
  ConflictError,
  FEED_RECORDS_PER_TRANSACTION,
  type CountedExpense,
  type FeedRecordWrite,
  type FeedStore,
} from '#shared/ports.ts';
import { claimItem, countedUpdate, eventItem } from '#functions/adapters/dynamo-claim-store.ts';
import { batchGetAll, queryAll, send } from '#functions/adapters/dynamo-send.ts';

type Item = Record<string, AttributeValue>;

const TRANSACTION_ITEMS = 100;
/** A claim opened with its records: its first events beside them (see FeedStore.openClaim). */
const OPENING_EVENTS = 9;

const recordItemKey = (kind: FeedKind, recordId: string) => ({
  pk: { S: `FEED#${kind}#${recordId}` },
  sk: { S: 'FEED' },
});
const householdCopyKey = (householdId: string, kind: FeedKind, recordId: string) => ({
  pk: { S: `HHFEED#${householdId}` },
  sk: { S: `${kind}#${recordId}` },
});

const recordAttributes = (record: FeedRecord): Item =>
  marshall(feedRecordSchema.parse(record), { removeUndefinedValues: true });

const parseRecord = (item: Item): FeedRecord => feedRecordSchema.parse(unmarshall(item));

/** The records' previous households, for records a write moves to another household. */
type Moves = ReadonlyMap<string, string>;

const idOf = (record: FeedRecord) => `${record.kind}#${record.recordId}`;

export class DynamoFeedStore implements FeedStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async records(kind: FeedKind, recordIds: readonly string[]): Promise<Map<string, FeedRecord>> {
    const unique = [...new Set(recordIds)];
    const items = await batchGetAll(
      this.db,
      this.table,
      unique.map((id) => recordItemKey(kind, id)),
      true,
    );
    return new Map(items.map((item) => parseRecord(item)).map((record) => [record.recordId, record]));
  }

  async householdRecords(householdId: string): Promise<FeedRecord[]> {
    const items = await queryAll(this.db, this.table, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `HHFEED#${householdId}` } },
      ConsistentRead: true,
    });
    return items.map(parseRecord);
  }

  async writeRecords(writes: readonly FeedRecordWrite[], counted?: CountedExpense): Promise<boolean> {
    checkWrites(writes);
    const head: TransactWriteItem[] = counted
      ? [
          countedUpdate(this.table, counted.householdId, counted.year, counted.category, counted.before, {
            countedFen: counted.afterFen,
            usedFen: counted.before.usedFen,
          }),
        ]
      : [];
    return this.transact(head, writes, new Map());
  }

  async openClaim(
    claim: ClaimRecord,
    events: readonly HistoryEvent[],
    writes: readonly FeedRecordWrite[],
  ): Promise<boolean> {
    checkWrites(writes);
    if (events.length > OPENING_EVENTS)
      throw new Error(`a claim opens with at most ${OPENING_EVENTS} events beside its records`);
    const head: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.table,
          Item: claimItem(claim),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...events.map((e, i) => ({
        Put: { TableName: this.table, Item: eventItem(claim.claimId, claim.version, i, e) },
      })),
    ];
    return this.transact(head, writes, new Map());
  }

  /**
   * Runs `head` and the records' items as one transaction. A record that moved to another
   * household (its ID number now matched elsewhere) fails its condition the first time: when the
   * stored record is otherwise as expected, the transaction runs once more, removing the copy
   * under the old household.
   */
  private async transact(
    head: TransactWriteItem[],
    writes: readonly FeedRecordWrite[],
    moves: Moves,
  ): Promise<boolean> {
    const items = [...head, ...writes.flatMap((w) => this.recordItems(w, moves.get(idOf(w.record))))];
    if (items.length > TRANSACTION_ITEMS)
      throw new Error(`${items.length} items in one transaction: DynamoDB takes ${TRANSACTION_ITEMS}`);
    try {
      await send(() => this.db.send(new TransactWriteItemsCommand({ TransactItems: items })));
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      if (!codes.includes('ConditionalCheckFailed'))
        throw new ConflictError(`feed record transaction cancelled (${codes.join(',')})`);
      if (moves.size > 0 || codes.slice(0, head.length).includes('ConditionalCheckFailed')) return false;
      const found = await this.movedRecords(writes);
      return found.size > 0 ? this.transact(head, writes, found) : false;
    }
  }

  /** The id item (conditional) and the household copy; a moved record's old copy removed. */
  private recordItems({ record, expectedVersion }: FeedRecordWrite, movedFrom?: string): TransactWriteItem[] {
    const attributes = recordAttributes(record);
    const condition: Pick<
      NonNullable<TransactWriteItem['Put']>,
      'ConditionExpression' | 'ExpressionAttributeValues'
    > = expectedVersion === null
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          ConditionExpression: 'version = :v AND householdId = :h',
          ExpressionAttributeValues: {
            ':v': { N: String(expectedVersion) },
            ':h': { S: movedFrom ?? record.householdId },
          },
        };
    return [
      {
        Put: {
          TableName: this.table,
          Item: { ...attributes, ...recordItemKey(record.kind, record.recordId) },
          ...condition,
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...attributes, ...householdCopyKey(record.householdId, record.kind, record.recordId) },
        },
      },
      ...(movedFrom !== undefined
        ? [
            {
              Delete: {
                TableName: this.table,
                Key: householdCopyKey(movedFrom, record.kind, record.recordId),
              },
            },
          ]
        : []),
    ];
  }

  /** Records stored as expected but under another household than the write's. */
  private async movedRecords(writes: readonly FeedRecordWrite[]): Promise<Map<string, string>> {
    const updates = writes.filter((w) => w.expectedVersion !== null);
    if (updates.length === 0) return new Map();
    const stored = new Map(
      (
        await batchGetAll(
          this.db,
          this.table,
          updates.map((w) => recordItemKey(w.record.kind, w.record.recordId)),
          true,
        )
      )
        .map(parseRecord)
        .map((r) => [idOf(r), r]),
    );
    const moves = new Map<string, string>();
    for (const { record, expectedVersion } of updates) {
      const before = stored.get(idOf(record));
      if (before && before.version === expectedVersion && before.householdId !== record.householdId)
        moves.set(idOf(record), before.householdId);
    }
    return moves;
  }
}

function checkWrites(writes: readonly FeedRecordWrite[]) {
  if (writes.length > FEED_RECORDS_PER_TRANSACTION)
    throw new Error(`at most ${FEED_RECORDS_PER_TRANSACTION} feed records per transaction`);
  const ids = new Set(writes.map((w) => idOf(w.record)));
  if (ids.size !== writes.length) throw new Error('a feed record written twice in one transaction');
}

// DynamoDB implementation of the claim, ledger and roster ports on the single `claims` table
// (key design in docs/architecture.md). Every write that could race is conditional.
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  BatchGetItemCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  claimRecordSchema,
  historyEventSchema,
  ledgerEntrySchema,
  type ClaimRecord,
  type LedgerEntry,
} from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import { claimGrantSchema, type ClaimGrant } from '#shared/claim-grant.ts';
import type { Category } from '#shared/policy.ts';
import { type RosterPeriod } from '#shared/roster.ts';
import { addDays } from '#shared/dates.ts';
import { DynamoRosterStore } from '#functions/adapters/dynamo-roster-store.ts';
import { send } from '#functions/adapters/dynamo-send.ts';
import { payoutDateShards } from '#infra/tables.ts';
import {
  ConflictError,
  TransientError,
  type ClaimEvidence,
  type ClaimFilter,
  type ClaimStore,
  createdBounds,
  matchesClaimFilter,
  type LedgerFilter,
  type LedgerStore,
  type Page,
  type PayoutOutcome,
  type RosterStore,
} from '#shared/ports.ts';

/** Payouts per month are spread over this many partitions so a big export can read in parallel. */
export const LEDGER_SHARDS = payoutDateShards;

type Item = Record<string, AttributeValue>;

const claimKey = (claimId: string) => ({ pk: { S: `CLAIM#${claimId}` }, sk: { S: 'CLAIM' } });
const grantKey = (claimId: string) => ({ pk: { S: `GRANT#${claimId}` }, sk: { S: 'GRANT' } });
const ledgerKey = (claimId: string) => ({ pk: { S: `LEDGER#${claimId}` }, sk: { S: 'LEDGER' } });
const capKey = (householdId: string, year: number, category: string) => ({
  pk: { S: `CAP#${householdId}#${year}#${category}` },
  sk: { S: 'CAP' },
});

export function ledgerShard(claimId: string): number {
  let h = 0;
  for (let i = 0; i < claimId.length; i++) h = (h * 31 + claimId.charCodeAt(i)) >>> 0;
  return h % LEDGER_SHARDS;
}

function claimItem(claim: ClaimRecord): Item {
  const item: Item = {
    ...marshall(claim, { removeUndefinedValues: true, convertClassInstanceToMap: false }),
    ...claimKey(claim.claimId),
    gsi1pk: { S: `STATE#${claim.state}` },
    gsi1sk: { S: `${claim.updatedAt}#${claim.claimId}` },
  };
  if (claim.householdId) {
    item.gsi2pk = { S: `HH#${claim.householdId}` };
    item.gsi2sk = { S: `${claim.createdAt}#${claim.claimId}` };
  }
  if (claim.gridWorker) {
    item.gsi3pk = { S: `GW#${claim.gridWorker}` };
    item.gsi3sk = { S: `${claim.createdAt}#${claim.claimId}` };
  }
  return item;
}

function eventItem(claimId: string, version: number, index: number, event: HistoryEvent): Item {
  return {
    ...marshall(event, { removeUndefinedValues: true }),
    pk: { S: `CLAIM#${claimId}` },
    // Ordered by the claim version the event produced: monotonic, unlike clocks.
    sk: { S: `EVENT#${String(version).padStart(8, '0')}#${index}` },
  };
}

function ledgerItem(entry: LedgerEntry): Item {
  return {
    ...marshall(entry, { removeUndefinedValues: true }),
    ...ledgerKey(entry.claimId),
    // Month x shard partitions: a year is 120 queries, and a big month still fans out 10 ways.
    gsi4pk: { S: `PAID#${entry.paidDate.slice(0, 7)}#${ledgerShard(entry.claimId)}` },
    gsi4sk: { S: `${entry.paidAt}#${entry.claimId}` },
  };
}

export function parseClaimItem(item: Item): ClaimRecord {
  return claimRecordSchema.parse(unmarshall(item));
}

function encodeCursor(key: Item | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(unmarshall(key))).toString('base64url') : undefined;
}

/**
 * A cursor is a listing's own LastEvaluatedKey, handed back. Anything else (another listing's,
 * another item type's, or made up) is refused before DynamoDB sees it: a key of the wrong shape
 * would be a ValidationException there, and a key of another partition would page other items.
 */
function decodeCursor(cursor: string | undefined, index?: { pk: string; value: string }): Item | undefined {
  if (!cursor) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new RangeError('cursor is malformed');
  }
  const expected = ['pk', 'sk', ...(index ? [index.pk, index.pk.replace(/pk$/, 'sk')] : [])].sort();
  const fields =
    key && typeof key === 'object' && !Array.isArray(key) ? (key as Record<string, unknown>) : {};
  const names = Object.keys(fields).sort();
  const fits =
    names.length === expected.length &&
    names.every(
      (n, i) => n === expected[i] && typeof fields[n] === 'string' && (fields[n] as string).length <= 1024,
    ) &&
    typeof fields.pk === 'string' &&
    fields.pk.startsWith('CLAIM#') &&
    fields.sk === 'CLAIM' &&
    (!index || fields[index.pk] === index.value);
  if (!fits) throw new RangeError('cursor does not belong to this listing');
  return marshall(fields);
}

/** A transaction's Put of the claim, only if it is still at `expectedVersion` and in `state`. */
function claimPutIf(
  table: string,
  claim: ClaimRecord,
  expectedVersion: number,
  state: string,
): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: claimItem(claim),
      ConditionExpression: 'version = :v AND #state = :state',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':v': { N: String(expectedVersion) }, ':state': { S: state } },
    },
  };
}

export class DynamoClaimStore implements ClaimStore, LedgerStore, RosterStore {
  private readonly roster: DynamoRosterStore;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {
    this.roster = new DynamoRosterStore(db, table);
  }

  async get(claimId: string): Promise<ClaimRecord | undefined> {
    const out = await send(() =>
      this.db.send(
        new GetItemCommand({ TableName: this.table, Key: claimKey(claimId), ConsistentRead: true }),
      ),
    );
    return out.Item ? parseClaimItem(out.Item) : undefined;
  }

  async putGrant(grant: ClaimGrant): Promise<ClaimGrant> {
    // Grants are written once per claim: checked here too, so nothing malformed is ever on record.
    claimGrantSchema.parse(grant);
    try {
      await send(() =>
        this.db.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { ...marshall(grant), ...grantKey(grant.claimId) },
            ConditionExpression: 'attribute_not_exists(pk) OR (householdId = :h AND filer = :f)',
            ExpressionAttributeValues: { ':h': { S: grant.householdId }, ':f': { S: grant.filer } },
          }),
        ),
      );
      return grant;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { grant: existing } = await this.grantAndClaim(grant.claimId);
      if (!existing) throw new ConflictError('grant changed concurrently; retry');
      return existing;
    }
  }

  async grantAndClaim(claimId: string): Promise<{ grant?: ClaimGrant; claim?: ClaimRecord }> {
    const found: { grant?: ClaimGrant; claim?: ClaimRecord } = {};
    for (const item of await this.batchGet([grantKey(claimId), claimKey(claimId)], true)) {
      if (item.sk?.S === 'GRANT') found.grant = claimGrantSchema.parse(unmarshall(item));
      else if (item.sk?.S === 'CLAIM') found.claim = parseClaimItem(item);
    }
    return found;
  }

  /** Items by key (at most 100), retrying unprocessed keys with backoff. */
  private async batchGet(keys: readonly Item[], consistent: boolean): Promise<Item[]> {
    const items: Item[] = [];
    let pending: Item[] | undefined = [...keys];
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 8) throw new TransientError('reads kept being throttled');
      if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      const out = await send(() =>
        this.db.send(
          new BatchGetItemCommand({
            RequestItems: { [this.table]: { Keys: pending ?? [], ConsistentRead: consistent } },
          }),
        ),
      );
      items.push(...(out.Responses?.[this.table] ?? []));
      pending = out.UnprocessedKeys?.[this.table]?.Keys;
    }
    return items;
  }

  async create(claim: ClaimRecord, events: readonly HistoryEvent[]): Promise<boolean> {
    const items: TransactWriteItem[] = [
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
    try {
      await send(() => this.db.send(new TransactWriteItemsCommand({ TransactItems: items })));
      return true;
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      ) {
        return false;
      }
      if (error instanceof TransactionCanceledException)
        throw new ConflictError('claim creation raced; retry');
      throw error;
    }
  }

  async update(next: ClaimRecord, expectedVersion: number, event?: HistoryEvent): Promise<void> {
    const put = {
      TableName: this.table,
      Item: claimItem(next),
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } },
    };
    try {
      if (!event) {
        await send(() => this.db.send(new PutItemCommand(put)));
        return;
      }
      await send(() =>
        this.db.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: put },
              {
                Put: {
                  TableName: this.table,
                  Item: eventItem(next.claimId, next.version, 0, event),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        ),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException) {
        throw new ConflictError(`claim ${next.claimId} changed since version ${expectedVersion}`);
      }
      throw error;
    }
  }

  async history(claimId: string): Promise<HistoryEvent[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': { S: `CLAIM#${claimId}` }, ':e': { S: 'EVENT#' } },
      ConsistentRead: true,
    });
    return items.map((item) => historyEventSchema.parse(unmarshall(item)));
  }

  /** Every item a query matches, following LastEvaluatedKey page by page. */
  private async queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await send(() =>
        this.db.send(new QueryCommand({ ...input, TableName: this.table, ExclusiveStartKey: start })),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async list(filter: ClaimFilter): Promise<Page<ClaimRecord>> {
    let index: { name: string; pk: string; value: string } | undefined;
    if (filter.householdId) index = { name: 'gsi2', pk: 'gsi2pk', value: `HH#${filter.householdId}` };
    else if (filter.gridWorker) index = { name: 'gsi3', pk: 'gsi3pk', value: `GW#${filter.gridWorker}` };
    else if (filter.state) index = { name: 'gsi1', pk: 'gsi1pk', value: `STATE#${filter.state}` };
    const created = createdBounds(filter);
    const common = {
      TableName: this.table,
      Limit: filter.limit,
      ExclusiveStartKey: decodeCursor(filter.cursor, index),
    };
    let claims: ClaimRecord[];
    let last: Item | undefined;
    if (index) {
      // The claim indexes project keys only (a claim is rewritten at every step; projecting it
      // all tripled the write units). Read the page's keys, then the claims themselves; the
      // filters run on the claim as it is now, as a FilterExpression would after Limit.
      const out = await send(() =>
        this.db.send(
          new QueryCommand({
            ...common,
            IndexName: index.name,
            // On the state index the sort key starts with updatedAt: "quiet since" is a key range.
            ...(index.name === 'gsi1' && filter.updatedBefore
              ? {
                  KeyConditionExpression: '#ipk = :ipk AND gsi1sk < :before',
                  ExpressionAttributeValues: {
                    ':ipk': { S: index.value },
                    ':before': { S: filter.updatedBefore },
                  },
                }
              : {
                  KeyConditionExpression: '#ipk = :ipk',
                  ExpressionAttributeValues: { ':ipk': { S: index.value } },
                }),
            ExpressionAttributeNames: { '#ipk': index.pk },
            ScanIndexForward: false,
          }),
        ),
      );
      last = out.LastEvaluatedKey;
      const ids = (out.Items ?? []).flatMap((item) => {
        const pk = item.pk?.S;
        return pk?.startsWith('CLAIM#') ? [pk.slice('CLAIM#'.length)] : [];
      });
      claims = (await this.getMany(ids)).filter((c) => matchesClaimFilter(c, filter));
    } else {
      // Unfiltered listing (reviewers' "all claims") scans claim items only.
      const names: Record<string, string> = { '#sk': 'sk' };
      const values: Item = { ':claim': { S: 'CLAIM' } };
      const filters = ['#sk = :claim'];
      const add = (field: string, op: string, value: string) => {
        const n = `#f${filters.length}`;
        const v = `:f${filters.length}`;
        names[n] = field;
        values[v] = { S: value };
        filters.push(`${n} ${op} ${v}`);
      };
      if (filter.category) add('category', '=', filter.category);
      if (created.from) add('createdAt', '>=', created.from);
      if (created.before) add('createdAt', '<', created.before);
      if (filter.updatedBefore) add('updatedAt', '<', filter.updatedBefore);
      const out = await send(() =>
        this.db.send(
          new ScanCommand({
            ...common,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            FilterExpression: filters.join(' AND '),
          }),
        ),
      );
      last = out.LastEvaluatedKey;
      claims = (out.Items ?? []).map(parseClaimItem);
    }
    const cursor = encodeCursor(last);
    return cursor ? { items: claims, cursor } : { items: claims };
  }

  /** Claims by id, in the order given; ids with no claim item are left out. */
  private async getMany(claimIds: readonly string[]): Promise<ClaimRecord[]> {
    const found = new Map<string, ClaimRecord>();
    const unique = [...new Set(claimIds)];
    for (let i = 0; i < unique.length; i += 100) {
      for (const item of await this.batchGet(unique.slice(i, i + 100).map(claimKey), false)) {
        const claim = parseClaimItem(item);
        found.set(claim.claimId, claim);
      }
    }
    return claimIds.flatMap((id) => {
      const claim = found.get(id);
      return claim ? [claim] : [];
    });
  }

  async registerReceipt(sha256: string, claimId: string): Promise<string> {
    try {
      await send(() =>
        this.db.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { pk: { S: `RECEIPT#${sha256}` }, sk: { S: 'RECEIPT' }, claimId: { S: claimId } },
            ConditionExpression: 'attribute_not_exists(pk) OR claimId = :c',
            ExpressionAttributeValues: { ':c': { S: claimId } },
          }),
        ),
      );
      return claimId;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const out = await send(() =>
        this.db.send(
          new GetItemCommand({
            TableName: this.table,
            Key: { pk: { S: `RECEIPT#${sha256}` }, sk: { S: 'RECEIPT' } },
            ConsistentRead: true,
          }),
        ),
      );
      const owner = out.Item?.claimId?.S;
      if (!owner) throw new ConflictError('receipt owner vanished; retry');
      return owner;
    }
  }

  async transferReceipt(sha256: string, fromClaimId: string, toClaimId: string): Promise<boolean> {
    try {
      await send(() =>
        this.db.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: { S: `RECEIPT#${sha256}` }, sk: { S: 'RECEIPT' } },
            UpdateExpression: 'SET claimId = :to',
            ConditionExpression: 'claimId = :from',
            ExpressionAttributeValues: { ':to': { S: toClaimId }, ':from': { S: fromClaimId } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async putEvidence(householdId: string, evidence: ClaimEvidence): Promise<void> {
    await send(() =>
      this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: `HHEV#${householdId}` },
            sk: { S: evidence.claimId },
            claimId: { S: evidence.claimId },
            facts: { S: evidence.facts },
            fingerprints: { L: evidence.fingerprints.map((f) => ({ S: f })) },
          },
        }),
      ),
    );
  }

  async householdEvidence(householdId: string): Promise<ClaimEvidence[]> {
    // The household's partition: strongly consistent, so two claims written at once see each other.
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `HHEV#${householdId}` } },
      ConsistentRead: true,
    });
    return items.map((item) => ({
      claimId: item.claimId?.S ?? '',
      facts: item.facts?.S ?? '',
      fingerprints: (item.fingerprints?.L ?? []).flatMap((f) => (f.S ? [f.S] : [])),
    }));
  }

  async capUsed(householdId: string, year: number, category: Category): Promise<number> {
    const out = await send(() =>
      this.db.send(
        new GetItemCommand({
          TableName: this.table,
          Key: capKey(householdId, year, category),
          ConsistentRead: true,
        }),
      ),
    );
    const used = out.Item?.used?.N;
    return used === undefined ? 0 : Number(used);
  }

  async recordPayout(
    paid: ClaimRecord,
    expectedVersion: number,
    entry: LedgerEntry,
    capFen: number,
    event: HistoryEvent,
  ): Promise<PayoutOutcome> {
    if (!paid.householdId || !paid.category) throw new Error('a payout needs a household and a category');
    const amount = entry.payoutFen;
    const items: TransactWriteItem[] = [
      claimPutIf(this.table, paid, expectedVersion, 'APPROVED'),
      {
        Put: {
          TableName: this.table,
          Item: ledgerItem(entry),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: capKey(paid.householdId, entry.capYear, paid.category),
          UpdateExpression: 'SET used = if_not_exists(used, :zero) + :amount, capFen = :cap',
          // used + amount <= cap, written so no expression needs arithmetic on the stored side.
          ConditionExpression: '(attribute_not_exists(used) AND :amount <= :cap) OR used <= :room',
          ExpressionAttributeValues: {
            ':zero': { N: '0' },
            ':amount': { N: String(amount) },
            ':cap': { N: String(capFen) },
            ':room': { N: String(capFen - amount) },
          },
        },
      },
      { Put: { TableName: this.table, Item: eventItem(paid.claimId, paid.version, 0, event) } },
    ];
    try {
      await send(() => this.db.send(new TransactWriteItemsCommand({ TransactItems: items })));
      return { kind: 'paid', claim: paid };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      if (codes[1] === 'ConditionalCheckFailed' || codes[0] === 'ConditionalCheckFailed') {
        const now = await this.get(paid.claimId);
        if (now && (now.state === 'PAID' || now.state === 'DISBURSED'))
          return { kind: 'already-paid', claim: now };
        throw new ConflictError(`claim ${paid.claimId} changed during payout`);
      }
      if (codes[2] === 'ConditionalCheckFailed') {
        return {
          kind: 'cap-conflict',
          capUsedFen: await this.capUsed(paid.householdId, entry.capYear, paid.category),
        };
      }
      // TransactionConflict and friends: another writer touched the same items; retry.
      throw new ConflictError(`payout transaction cancelled (${codes.join(',')})`);
    }
  }

  async ledgerEntry(claimId: string): Promise<LedgerEntry | undefined> {
    const out = await send(() =>
      this.db.send(
        new GetItemCommand({ TableName: this.table, Key: ledgerKey(claimId), ConsistentRead: true }),
      ),
    );
    return out.Item ? ledgerEntrySchema.parse(unmarshall(out.Item)) : undefined;
  }

  async *entries(filter: LedgerFilter): AsyncIterable<LedgerEntry> {
    // paidDate is the China calendar date; the sort key holds paidAt in UTC.
    const lo = new Date(`${filter.from}T00:00:00+08:00`).toISOString();
    const hi = new Date(`${addDays(filter.to, 1)}T00:00:00+08:00`).toISOString();
    const months: string[] = [];
    for (let month = filter.from.slice(0, 7); month <= filter.to.slice(0, 7); month = nextMonth(month))
      months.push(month);
    // The next month is fetched while this one is read; each month's shards in parallel,
    // merged into paidAt order. Memory stays bounded by two months of one region's payouts.
    const fetchMonth = async (month: string) => {
      const shards = await Promise.all(
        Array.from({ length: LEDGER_SHARDS }, (_, shard) => this.ledgerShardItems(month, shard, lo, hi)),
      );
      return shards
        .flat()
        .sort((a, b) =>
          a.paidAt < b.paidAt ? -1 : a.paidAt > b.paidAt ? 1 : a.claimId < b.claimId ? -1 : 1,
        );
    };
    const prefetch = (month: string) => {
      const fetched = fetchMonth(month);
      // If the reader stops early, a prefetched month that fails must not crash the process.
      fetched.catch(() => undefined);
      return fetched;
    };
    let ahead = months[0] !== undefined ? prefetch(months[0]) : undefined;
    for (let i = 0; ahead; i++) {
      const merged = await ahead;
      const following = months[i + 1];
      ahead = following !== undefined ? prefetch(following) : undefined;
      for (const entry of merged) {
        if (entry.paidDate < filter.from || entry.paidDate > filter.to) continue;
        if (filter.region && entry.region !== filter.region) continue;
        if (filter.category && entry.category !== filter.category) continue;
        yield entry;
      }
    }
  }

  private async ledgerShardItems(
    month: string,
    shard: number,
    lo: string,
    hi: string,
  ): Promise<LedgerEntry[]> {
    const items = await this.queryAll({
      IndexName: 'gsi4',
      KeyConditionExpression: 'gsi4pk = :pk AND gsi4sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: {
        ':pk': { S: `PAID#${month}#${shard}` },
        ':lo': { S: lo },
        ':hi': { S: hi },
      },
    });
    return items.map((item) => ledgerEntrySchema.parse(unmarshall(item)));
  }

  async recordDisbursement(next: ClaimRecord, expectedVersion: number, event: HistoryEvent): Promise<void> {
    const batch = next.disbursement;
    if (!batch || next.state !== 'DISBURSED')
      throw new Error('a disbursement needs a DISBURSED claim with its batch');
    try {
      await send(() =>
        this.db.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              claimPutIf(this.table, next, expectedVersion, 'PAID'),
              {
                Update: {
                  TableName: this.table,
                  Key: ledgerKey(next.claimId),
                  UpdateExpression: 'SET disbursedAt = :at, batchRef = :ref, disbursedBy = :by',
                  ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(batchRef)',
                  ExpressionAttributeValues: {
                    ':at': { S: batch.at },
                    ':ref': { S: batch.batchRef },
                    ':by': { S: batch.by },
                  },
                },
              },
              {
                Put: {
                  TableName: this.table,
                  Item: eventItem(next.claimId, next.version, 0, event),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        ),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException)
        throw new ConflictError(`claim ${next.claimId} changed before its disbursement was recorded`);
      throw error;
    }
  }

  // The roster's items live in the same table; their adapter is its own (dynamo-roster-store.ts).
  periods(householdId: string): Promise<RosterPeriod[]> {
    return this.roster.periods(householdId);
  }

  put(periods: readonly RosterPeriod[]): Promise<void> {
    return this.roster.put(periods);
  }

  claimIdNumbers(pairs: readonly { idNumber: string; householdId: string }[]): Promise<Map<string, string>> {
    return this.roster.claimIdNumbers(pairs);
  }

  householdsOf(gridWorker: string): Promise<RosterPeriod[][]> {
    return this.roster.householdsOf(gridWorker);
  }
}

/** "2026-12" -> "2027-01". */
function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

// DynamoDB implementation of the claim, ledger and roster ports on the single `claims` table
// (key design in docs/architecture.md). Every write that could race is conditional.
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
  type Update,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  BatchGetItemCommand,
  BatchWriteItemCommand,
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
import type { Member } from '#shared/members.ts';
import { addDays } from '#shared/dates.ts';
import { DynamoRosterStore } from '#functions/adapters/dynamo-roster-store.ts';
import {
  DynamoFundStore,
  fundDequeueItem,
  fundDrawItem,
  fundWaitItems,
} from '#functions/adapters/dynamo-fund-store.ts';
import { queryAll, send } from '#functions/adapters/dynamo-send.ts';
import { claimsIndexes, payoutDateShards } from '#infra/tables.ts';
import {
  claimIdOfSortKey,
  claimListingKeys,
  claimListingPlan,
  decodeListingCursor,
  encodeListingCursor,
  type ClaimListingIndex,
} from '#shared/claim-listing.ts';
import {
  ConflictError,
  TransientError,
  type ClaimEvidence,
  type ClaimFilter,
  type ClaimStore,
  matchesClaimFilter,
  type LedgerFilter,
  type LedgerStore,
  type Page,
  type PayoutOutcome,
  type PayoutCharge,
  type TransferMark,
  type CapCounter,
  type CountedExpense,
  type FundAccount,
  type FundStore,
  type FundTopUp,
  type RosterStore,
  type HouseholdWrite,
  type RosterConflict,
} from '#shared/ports.ts';

/** A claim as a synthetic load writes it: the record, its history, and its ledger entry if paid. */
export interface SeededClaim {
  readonly claim: ClaimRecord;
  readonly events: readonly HistoryEvent[];
  readonly ledger?: LedgerEntry;
}

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

/** Where each listing lives in the table: its index and key attribute names. */
const listingIndexes: Record<
  ClaimListingIndex,
  { name: string; pk: string; sk: string; projected: boolean }
> = {
  quiet: indexAttrs(claimsIndexes.byState, false),
  household: indexAttrs(claimsIndexes.byHousehold, false),
  gridWorker: indexAttrs(claimsIndexes.byGridWorker, false),
  all: indexAttrs(claimsIndexes.claimsByTime, true),
  state: indexAttrs(claimsIndexes.byStateByTime, true),
  village: indexAttrs(claimsIndexes.byVillage, true),
  villageState: indexAttrs(claimsIndexes.byVillageState, true),
};

function indexAttrs(name: string, projected: boolean) {
  return { name, pk: `${name}pk`, sk: `${name}sk`, projected };
}

/**
 * The claim item with every listing's key attributes, derived from the claim itself: every write
 * of a claim (create, update, payout, disbursement) puts this whole item, so the indexes change
 * in the same write that changes the claim.
 */
export function claimItem(claim: ClaimRecord): Item {
  const item: Item = {
    ...marshall(claim, { removeUndefinedValues: true, convertClassInstanceToMap: false }),
    ...claimKey(claim.claimId),
  };
  const keys = claimListingKeys(claim);
  for (const [index, key] of Object.entries(keys) as [ClaimListingIndex, { pk: string; sk: string }][]) {
    const { pk, sk } = listingIndexes[index];
    item[pk] = { S: key.pk };
    item[sk] = { S: key.sk };
  }
  return item;
}

export function eventItem(claimId: string, version: number, index: number, event: HistoryEvent): Item {
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

/** A transaction's Put of the claim, only if it is still at the version it was read at. */
function claimPutIfVersion(table: string, claim: ClaimRecord, expectedVersion: number): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: claimItem(claim),
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } },
    },
  };
}

/**
 * The household's counter under annual accumulation, moved from what was read to what it becomes,
 * only if it still holds what was read: two claims of one household can't both price their
 * marginal amount against the same total.
 */
export function countedUpdate(
  table: string,
  householdId: string,
  year: number,
  category: string,
  before: CapCounter,
  after: { countedFen: number; usedFen: number; capFen?: number },
): TransactWriteItem {
  const holds = (attr: string, value: number, placeholder: string) =>
    value === 0 ? `(attribute_not_exists(${attr}) OR ${attr} = ${placeholder})` : `${attr} = ${placeholder}`;
  return {
    Update: {
      TableName: table,
      Key: capKey(householdId, year, category),
      UpdateExpression: `SET counted = :countedAfter, used = :usedAfter${after.capFen !== undefined ? ', capFen = :cap' : ''}`,
      ConditionExpression: `${holds('counted', before.countedFen, ':countedBefore')} AND ${holds('used', before.usedFen, ':usedBefore')}`,
      ExpressionAttributeValues: {
        ':countedBefore': { N: String(before.countedFen) },
        ':usedBefore': { N: String(before.usedFen) },
        ':countedAfter': { N: String(after.countedFen) },
        ':usedAfter': { N: String(after.usedFen) },
        ...(after.capFen !== undefined ? { ':cap': { N: String(after.capFen) } } : {}),
      },
    },
  };
}

export class DynamoClaimStore implements ClaimStore, LedgerStore, RosterStore, FundStore {
  private readonly roster: DynamoRosterStore;
  private readonly funds: DynamoFundStore;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {
    this.roster = new DynamoRosterStore(db, table);
    this.funds = new DynamoFundStore(db, table);
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
  private queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Item[]> {
    return queryAll(this.db, this.table, input);
  }

  /**
   * A page of claims, newest first, from the index the filter's plan names (shared/claim-listing.ts).
   * Index pages are read until `limit` claims match or the index ends, so a page is short only
   * when it is the last. On the listing indexes (gsi5..gsi8) the other equality filters run on
   * the index's projected fields, so only matching claims are read from the table; on the
   * keys-only ones (a household's or a grid worker's few hundred claims) the claims are read and
   * then filtered. Either way each claim is checked again as it is now (an index lags its table).
   */
  async list(filter: ClaimFilter): Promise<Page<ClaimRecord>> {
    const plan = claimListingPlan(filter);
    const index = listingIndexes[plan.index];
    const after = decodeListingCursor(filter.cursor, plan);
    const names: Record<string, string> = { '#ipk': index.pk };
    const values: Item = { ':ipk': { S: plan.partition } };
    let keyCondition = '#ipk = :ipk';
    if (plan.lo !== undefined || plan.hi !== undefined) names['#isk'] = index.sk;
    if (plan.lo !== undefined) values[':lo'] = { S: plan.lo };
    if (plan.hi !== undefined) values[':hi'] = { S: plan.hi };
    // A sort key is `<instant>#<claimId>`, never equal to a bare instant: BETWEEN leaves `hi` out.
    if (plan.lo !== undefined && plan.hi !== undefined) keyCondition += ' AND #isk BETWEEN :lo AND :hi';
    else if (plan.lo !== undefined) keyCondition += ' AND #isk >= :lo';
    else if (plan.hi !== undefined) keyCondition += ' AND #isk < :hi';
    const residual: string[] = [];
    if (index.projected) {
      const equal = {
        state: filter.state,
        category: filter.category,
        village: filter.village,
        gridWorker: filter.gridWorker,
        householdId: filter.householdId,
      };
      for (const [field, value] of Object.entries(equal)) {
        if (value === undefined || plan.index === field) continue;
        if (plan.index === 'villageState' && (field === 'village' || field === 'state')) continue;
        names[`#${field}`] = field;
        values[`:${field}`] = { S: value };
        residual.push(`#${field} = :${field}`);
      }
    }
    // Conditions the index cannot check: such claims are read before they are known to match.
    const unchecked = index.projected
      ? filter.updatedBefore !== undefined
      : Boolean(filter.category || filter.village || filter.updatedBefore) ||
        (filter.state !== undefined && plan.index !== 'quiet') ||
        (filter.gridWorker !== undefined && plan.index !== 'gridWorker');
    const filtered = residual.length > 0 || unchecked;
    // One claim more than the page: a cursor is given only when another claim follows.
    const want = filter.limit + 1;
    const found: { claim: ClaimRecord; sk: string }[] = [];
    let start: Item | undefined = after
      ? { ...claimKey(claimIdOfSortKey(after)), [index.pk]: { S: plan.partition }, [index.sk]: { S: after } }
      : undefined;
    do {
      const need = want - found.length;
      const out = await send(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: index.name,
            KeyConditionExpression: keyCondition,
            ...(residual.length > 0 ? { FilterExpression: residual.join(' AND ') } : {}),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            ExclusiveStartKey: start,
            // A filtered listing evaluates more index entries per call than it will show.
            Limit: filtered ? Math.min(1000, Math.max(100, need * 4)) : need,
          }),
        ),
      );
      const keys = (out.Items ?? []).filter((item) => item.pk?.S?.startsWith('CLAIM#'));
      for (let used = 0; used < keys.length && found.length < want;) {
        const chunk = keys.slice(used, used + (unchecked ? 100 : want - found.length));
        const ids = chunk.map((key) => (key.pk?.S ?? '').slice('CLAIM#'.length));
        const claims = new Map((await this.getMany(ids)).map((c) => [c.claimId, c]));
        for (const [n, key] of chunk.entries()) {
          used += 1;
          const claim = claims.get(ids[n] ?? '');
          if (claim && matchesClaimFilter(claim, filter)) found.push({ claim, sk: key[index.sk]?.S ?? '' });
          if (found.length === want) break;
        }
      }
      start = out.LastEvaluatedKey;
    } while (start && found.length < want);
    const page = found.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((f) => f.claim),
      ...(found.length > filter.limit && last ? { cursor: encodeListingCursor(plan, last.sk) } : {}),
    };
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
            ...(evidence.recordFacts
              ? { recordFacts: { L: evidence.recordFacts.map((f) => ({ S: f })) } }
              : {}),
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
      ...(item.recordFacts?.L ? { recordFacts: item.recordFacts.L.flatMap((f) => (f.S ? [f.S] : [])) } : {}),
    }));
  }

  async capUsed(householdId: string, year: number, category: Category): Promise<number> {
    return (await this.capCounter(householdId, year, category)).usedFen;
  }

  async capCounter(householdId: string, year: number, category: Category): Promise<CapCounter> {
    const out = await send(() =>
      this.db.send(
        new GetItemCommand({
          TableName: this.table,
          Key: capKey(householdId, year, category),
          ConsistentRead: true,
        }),
      ),
    );
    return {
      usedFen: Number(out.Item?.used?.N ?? 0),
      countedFen: Number(out.Item?.counted?.N ?? 0),
    };
  }

  async countExpense(
    next: ClaimRecord,
    expectedVersion: number,
    event: HistoryEvent,
    counted: CountedExpense,
  ): Promise<boolean> {
    const items: TransactWriteItem[] = [
      claimPutIfVersion(this.table, next, expectedVersion),
      countedUpdate(this.table, counted.householdId, counted.year, counted.category, counted.before, {
        countedFen: counted.afterFen,
        usedFen: counted.before.usedFen,
      }),
      { Put: { TableName: this.table, Item: eventItem(next.claimId, next.version, 0, event) } },
    ];
    try {
      await send(() => this.db.send(new TransactWriteItemsCommand({ TransactItems: items })));
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      if (codes[0] === 'ConditionalCheckFailed')
        throw new ConflictError(`claim ${next.claimId} changed while its expense was counted`);
      if (codes[1] === 'ConditionalCheckFailed') return false;
      throw new ConflictError(`expense transaction cancelled (${codes.join(',')})`);
    }
  }

  async awaitFunds(
    next: ClaimRecord,
    expectedVersion: number,
    event: HistoryEvent,
    initialFen: number,
  ): Promise<void> {
    const region = next.assessment?.region;
    const since = next.awaitingFundsSince;
    if (next.state !== 'AWAITING_FUNDS' || !region || !since)
      throw new Error('a claim waits for funds in AWAITING_FUNDS, with its region and since when');
    try {
      await send(() =>
        this.db.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              claimPutIfVersion(this.table, next, expectedVersion),
              ...fundWaitItems(this.table, region, since, next.claimId, initialFen),
              { Put: { TableName: this.table, Item: eventItem(next.claimId, next.version, 0, event) } },
            ],
          }),
        ),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException)
        throw new ConflictError(`claim ${next.claimId} changed before it could wait for funds`);
      throw error;
    }
  }

  async recordPayout(
    paid: ClaimRecord,
    expectedVersion: number,
    entry: LedgerEntry,
    charge: PayoutCharge,
    event: HistoryEvent,
  ): Promise<PayoutOutcome> {
    if (!paid.householdId || !paid.category) throw new Error('a payout needs a household and a category');
    const amount = entry.payoutFen;
    const { capFen, counted, fund } = charge;
    const capItem: TransactWriteItem = counted
      ? countedUpdate(this.table, paid.householdId, entry.capYear, paid.category, counted.before, {
          countedFen: counted.afterFen,
          usedFen: counted.before.usedFen + amount,
          capFen,
        })
      : {
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
        };
    if (counted && counted.before.usedFen + amount > capFen) throw new Error('a payout above the cap');
    // Version-checked, and (belt and braces) only from a state a payout may leave.
    const claimPut = claimPutIfVersion(this.table, paid, expectedVersion);
    if (claimPut.Put) {
      claimPut.Put.ConditionExpression = 'version = :v AND #state IN (:approved, :notice, :awaiting)';
      claimPut.Put.ExpressionAttributeNames = { '#state': 'state' };
      claimPut.Put.ExpressionAttributeValues = {
        ...claimPut.Put.ExpressionAttributeValues,
        ':approved': { S: 'APPROVED' },
        ':notice': { S: 'NOTICE' },
        ':awaiting': { S: 'AWAITING_FUNDS' },
      };
    }
    const items: TransactWriteItem[] = [
      claimPut,
      {
        Put: {
          TableName: this.table,
          Item: ledgerItem(entry),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      capItem,
      { Put: { TableName: this.table, Item: eventItem(paid.claimId, paid.version, 0, event) } },
    ];
    if (fund) {
      items.push(fundDrawItem(this.table, entry.region, amount, fund.initialFen, fund.fromQueue));
      if (fund.fromQueue) {
        const since = charge.queuedSince;
        if (!since) throw new Error('a payout from the queue names its place in it');
        items.push(fundDequeueItem(this.table, entry.region, since, paid.claimId));
      }
    }
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
      if (codes[4] === 'ConditionalCheckFailed') return { kind: 'fund-short' };
      // TransactionConflict and friends: another writer touched the same items; retry.
      throw new ConflictError(`payout transaction cancelled (${codes.join(',')})`);
    }
  }

  fund(region: string, initialFen: number): Promise<FundAccount> {
    return this.funds.fund(region, initialFen);
  }

  topUp(topUp: FundTopUp, initialFen: number): Promise<boolean> {
    return this.funds.topUp(topUp, initialFen);
  }

  topUps(region: string): Promise<FundTopUp[]> {
    return this.funds.topUps(region);
  }

  queue(region: string, limit: number): Promise<string[]> {
    return this.funds.queue(region, limit);
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

  async recordTransfer(
    next: ClaimRecord,
    expectedVersion: number,
    event: HistoryEvent,
    mark: TransferMark,
  ): Promise<void> {
    const expected = { disbursed: 'DISBURSED', failed: 'DISBURSEMENT_FAILED', reissued: 'PAID' }[mark.kind];
    if (next.state !== expected) throw new Error(`a ${mark.kind} transfer leaves the claim ${expected}`);
    const ledger = ((): Pick<
      Update,
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'
    > => {
      switch (mark.kind) {
        case 'disbursed':
          return {
            UpdateExpression: 'SET disbursedAt = :at, bankRef = :ref',
            ConditionExpression:
              'attribute_exists(pk) AND attribute_not_exists(disbursedAt) AND attribute_not_exists(failedAt)',
            ExpressionAttributeValues: { ':at': { S: mark.at }, ':ref': { S: mark.bankRef } },
          };
        case 'failed':
          return {
            UpdateExpression: 'SET failedAt = :at',
            ConditionExpression:
              'attribute_exists(pk) AND attribute_not_exists(disbursedAt) AND attribute_not_exists(failedAt)',
            ExpressionAttributeValues: { ':at': { S: mark.at } },
          };
        case 'reissued':
          return {
            UpdateExpression: 'REMOVE failedAt ADD reissues :one',
            ConditionExpression: 'attribute_exists(failedAt)',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          };
      }
    })();
    try {
      await send(() =>
        this.db.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              claimPutIf(
                this.table,
                next,
                expectedVersion,
                mark.kind === 'reissued' ? 'DISBURSEMENT_FAILED' : 'PAID',
              ),
              { Update: { TableName: this.table, Key: ledgerKey(next.claimId), ...ledger } },
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
        throw new ConflictError(`claim ${next.claimId} changed before its transfer was recorded`);
      throw error;
    }
  }

  /**
   * Loads claims already in their final shape, with their history and ledger entries, through
   * the same item builders as the real writes but unconditionally and 25 items per request: for
   * synthetic data (`claims seed`, the benchmark) only, never on a request path.
   */
  async loadClaims(batch: readonly SeededClaim[]): Promise<void> {
    const items = batch.flatMap(({ claim, events, ledger }) => [
      claimItem(claimRecordSchema.parse(claim)),
      ...events.map((e, i) => eventItem(claim.claimId, claim.version, i, e)),
      ...(ledger ? [ledgerItem(ledgerEntrySchema.parse(ledger))] : []),
    ]);
    const requests = items.map((Item) => ({ PutRequest: { Item } }));
    const next = { request: 0 };
    // Four requests at a time per call: callers run several calls side by side.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let n = next.request++; n * 25 < requests.length; n = next.request++) {
          await this.writeBatch(requests.slice(n * 25, n * 25 + 25));
        }
      }),
    );
  }

  private async writeBatch(requests: { PutRequest: { Item: Item } }[]): Promise<void> {
    let pending: typeof requests | undefined = requests;
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 8) throw new TransientError('seed writes kept being throttled');
      if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      const out = await send(() =>
        this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending ?? [] } })),
      );
      pending = out.UnprocessedItems?.[this.table] as typeof requests | undefined;
    }
  }

  // The roster's items live in the same table; their adapter is its own (dynamo-roster-store.ts).
  periods(householdId: string): Promise<RosterPeriod[]> {
    return this.roster.periods(householdId);
  }

  put(periods: readonly RosterPeriod[]): Promise<void> {
    return this.roster.put(periods);
  }

  identities(householdIds: readonly string[]): Promise<Map<string, string>> {
    return this.roster.identities(householdIds);
  }

  holders(idNumbers: readonly string[]): Promise<Map<string, string>> {
    return this.roster.holders(idNumbers);
  }

  storeHouseholds(
    households: readonly HouseholdWrite[],
  ): Promise<{ conflicts: Map<string, RosterConflict> }> {
    return this.roster.storeHouseholds(households);
  }

  householdsOf(gridWorker: string): Promise<RosterPeriod[][]> {
    return this.roster.householdsOf(gridWorker);
  }

  members(householdId: string): Promise<Member[]> {
    return this.roster.members(householdId);
  }

  storeMembers(members: readonly Member[]): Promise<{ conflicts: Map<string, string> }> {
    return this.roster.storeMembers(members);
  }
}

/** "2026-12" -> "2027-01". */
function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

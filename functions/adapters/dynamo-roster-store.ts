// DynamoDB implementation of the roster port, on the `claims` table beside the claims (key
// design in docs/architecture.md): under `HH#<householdId>` the household's status periods
// (`PERIOD#<statusFrom>`) and its identity (`HOUSEHOLD`: the ID number it was first stored with);
// under `IDNO#<sha256 of the ID number>` the household that ID number belongs to. The members
// import adds `MEMBER#<sha256 of the ID number>` items under `HH#<householdId>` (name, relation),
// each written in one transaction with its ID number's claim, so a person is in one household.
//
// A county loads a roster of hundreds of thousands of rows, so a batch of rows costs a handful of
// requests, not a few per row: identities and holders are read 100 keys per BatchGetItem, and a
// household is written in one TransactWriteItems with others (up to 100 items), which makes its
// identity, its ID number's claim and its periods land together or not at all. DynamoDB Local
// commits a transaction at once where it commits a BatchWriteItem item by item: measured on a
// 2-core machine, 100 items in one transaction went in about 3x faster than four batches of 25.
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  type AttributeValue,
  type DynamoDBClient,
  type KeysAndAttributes,
  type QueryCommandInput,
  type TransactWriteItem,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { rosterPeriodSchema, type RosterPeriod } from '#shared/roster.ts';
import { memberSchema, type Member } from '#shared/members.ts';
import { TransientError, type HouseholdWrite, type RosterConflict, type RosterStore } from '#shared/ports.ts';
import { queryAll, send } from '#functions/adapters/dynamo-send.ts';

type Item = Record<string, AttributeValue>;

/** TransactWriteItems' limit on items. */
const TRANSACTION_ITEMS = 100;
/** BatchGetItem's limit on keys. */
const BATCH_GET_KEYS = 100;

// The key is a hash: a table key turns up in more places (metrics, consoles) than an attribute.
const idNumberHash = (idNumber: string) => createHash('sha256').update(idNumber).digest('hex');
const idNumberKey = (idNumber: string) => ({
  pk: { S: `IDNO#${idNumberHash(idNumber)}` },
  sk: { S: 'IDNO' },
});
const identityKey = (householdId: string) => ({ pk: { S: `HH#${householdId}` }, sk: { S: 'HOUSEHOLD' } });

function periodItem(p: RosterPeriod): Item {
  return {
    ...marshall(p, { removeUndefinedValues: true }),
    pk: { S: `HH#${p.householdId}` },
    sk: { S: `PERIOD#${p.statusFrom}` },
    gsi3pk: { S: `GWHH#${p.gridWorker}` },
    gsi3sk: { S: `${p.householdId}#${p.statusFrom}` },
  };
}

function memberItem(m: Member): Item {
  return {
    ...marshall(m, { removeUndefinedValues: true }),
    pk: { S: `HH#${m.householdId}` },
    sk: { S: `MEMBER#${idNumberHash(m.idNumber)}` },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DynamoRosterStore implements RosterStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async periods(householdId: string): Promise<RosterPeriod[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': { S: `HH#${householdId}` }, ':p': { S: 'PERIOD#' } },
      ConsistentRead: true,
    });
    return items.map((item) => rosterPeriodSchema.parse(unmarshall(item)));
  }

  async put(periods: readonly RosterPeriod[]): Promise<void> {
    const requests: WriteRequest[] = [];
    const identities = new Map<string, string>();
    for (const p of periods) {
      requests.push({ PutRequest: { Item: periodItem(p) } });
      if (!identities.has(p.householdId)) identities.set(p.householdId, p.idNumber);
    }
    for (const [householdId, idNumber] of identities) {
      requests.push({ PutRequest: { Item: { ...identityKey(householdId), idNumber: { S: idNumber } } } });
      requests.push({ PutRequest: { Item: { ...idNumberKey(idNumber), householdId: { S: householdId } } } });
    }
    await this.batchWrite(requests);
  }

  async identities(householdIds: readonly string[]): Promise<Map<string, string>> {
    const items = await this.batchGet([...new Set(householdIds)].map(identityKey));
    const found = new Map<string, string>();
    for (const item of items) {
      const householdId = item.pk?.S?.slice('HH#'.length);
      const idNumber = item.idNumber?.S;
      if (householdId && idNumber) found.set(householdId, idNumber);
    }
    return found;
  }

  async holders(idNumbers: readonly string[]): Promise<Map<string, string>> {
    const byKey = new Map<string, string>();
    for (const idNumber of new Set(idNumbers)) byKey.set(idNumberKey(idNumber).pk.S, idNumber);
    const items = await this.batchGet([...byKey.values()].map(idNumberKey));
    const found = new Map<string, string>();
    for (const item of items) {
      const idNumber = byKey.get(item.pk?.S ?? '');
      const householdId = item.householdId?.S;
      if (idNumber && householdId) found.set(idNumber, householdId);
    }
    return found;
  }

  async storeHouseholds(
    households: readonly HouseholdWrite[],
  ): Promise<{ conflicts: Map<string, RosterConflict> }> {
    const conflicts = new Map<string, RosterConflict>();
    const retried = new Set<string>();
    let pending = [...households];
    while (pending.length > 0) {
      // Fill one transaction with whole households; an ID number at most once per transaction
      // (DynamoDB refuses two writes of one item in it): the second waits for the next round,
      // where the first's claim decides it.
      const group: HouseholdWrite[] = [];
      const later: HouseholdWrite[] = [];
      const idsInGroup = new Set<string>();
      let items = 0;
      for (const h of pending) {
        const size = 2 + h.periods.length;
        const fits = group.length === 0 || items + size <= TRANSACTION_ITEMS;
        if (fits && !idsInGroup.has(h.idNumber)) {
          group.push(h);
          idsInGroup.add(h.idNumber);
          items += size;
        } else later.push(h);
      }
      const refused = await this.writeGroup(group);
      if (refused.size > 0) {
        const refusedIds = [...refused].map((i) => group[i]).filter((h) => h !== undefined);
        const holders = await this.holders(refusedIds.map((h) => h.idNumber));
        const identities = await this.identities(refusedIds.map((h) => h.householdId));
        for (const h of refusedIds) {
          const holder = holders.get(h.idNumber);
          if (holder !== undefined && holder !== h.householdId)
            conflicts.set(h.householdId, { kind: 'id-number-taken', holder });
          else if (identities.has(h.householdId) && identities.get(h.householdId) !== h.idNumber)
            conflicts.set(h.householdId, { kind: 'identity-changed' });
          // Neither any more (the other write went away?): the next round tries it once more.
          else if (!retried.has(h.householdId)) {
            retried.add(h.householdId);
            later.push(h);
          } else throw new TransientError(`household ${h.householdId} kept being refused`);
        }
      }
      pending = later;
    }
    return { conflicts };
  }

  /**
   * Writes one group in a transaction, dropping households whose conditions fail until the rest
   * go in; returns the indexes (into `group`) of the households refused.
   */
  private async writeGroup(group: readonly HouseholdWrite[]): Promise<Set<number>> {
    const refused = new Set<number>();
    for (let attempt = 0; ; attempt++) {
      const owners: number[] = [];
      const items: TransactWriteItem[] = [];
      const overflow: WriteRequest[] = [];
      group.forEach((h, index) => {
        if (refused.has(index)) return;
        items.push(
          {
            Put: {
              TableName: this.table,
              Item: { ...idNumberKey(h.idNumber), householdId: { S: h.householdId } },
              ConditionExpression: 'attribute_not_exists(pk) OR householdId = :h',
              ExpressionAttributeValues: { ':h': { S: h.householdId } },
            },
          },
          {
            Put: {
              TableName: this.table,
              Item: { ...identityKey(h.householdId), idNumber: { S: h.idNumber } },
              ConditionExpression: 'attribute_not_exists(pk) OR idNumber = :i',
              ExpressionAttributeValues: { ':i': { S: h.idNumber } },
            },
          },
        );
        owners.push(index, index);
        // A household alone in its group with more periods than a transaction holds: its identity
        // and the first periods go together, the rest after (the identity is settled by then).
        for (const p of h.periods) {
          if (items.length < TRANSACTION_ITEMS) {
            items.push({ Put: { TableName: this.table, Item: periodItem(p) } });
            owners.push(index);
          } else overflow.push({ PutRequest: { Item: periodItem(p) } });
        }
      });
      if (items.length === 0) return refused;
      try {
        await send(() => this.db.send(new TransactWriteItemsCommand({ TransactItems: items })));
        await this.batchWrite(overflow);
        return refused;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        let failedConditions = 0;
        reasons.forEach((reason, i) => {
          const owner = owners[i];
          if (reason.Code === 'ConditionalCheckFailed' && owner !== undefined) {
            refused.add(owner);
            failedConditions += 1;
          }
        });
        // Otherwise another writer held an item (TransactionConflict) or the store was busy.
        if (failedConditions === 0) {
          if (attempt >= 8) throw new TransientError('roster write kept conflicting');
          await pause(25 * 2 ** attempt);
        }
      }
    }
  }

  async householdsOf(gridWorker: string): Promise<RosterPeriod[][]> {
    const items = await this.queryAll({
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `GWHH#${gridWorker}` } },
    });
    // Keys only in the index: the base key `HH#<householdId>` names the household.
    const ids = new Set(
      items.flatMap((item) => (item.pk?.S?.startsWith('HH#') ? [item.pk.S.slice('HH#'.length)] : [])),
    );
    const households = await Promise.all([...ids].sort().map((id) => this.periods(id)));
    // A household handed to another worker later is theirs now, not this worker's.
    return households.filter((periods) => {
      const latest = [...periods].sort((a, b) => (a.statusFrom < b.statusFrom ? 1 : -1))[0];
      return latest?.gridWorker === gridWorker;
    });
  }

  async members(householdId: string): Promise<Member[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
      ExpressionAttributeValues: { ':pk': { S: `HH#${householdId}` }, ':m': { S: 'MEMBER#' } },
      ConsistentRead: true,
    });
    return items.map((item) => memberSchema.parse(unmarshall(item)));
  }

  async storeMembers(members: readonly Member[]): Promise<{ conflicts: Map<string, string> }> {
    const conflicts = new Map<string, string>();
    const retried = new Set<string>();
    let pending = [...members];
    while (pending.length > 0) {
      // Two items a member (its claim, itself); an ID number once per transaction, as for households.
      const group: Member[] = [];
      const later: Member[] = [];
      const idsInGroup = new Set<string>();
      for (const m of pending) {
        if ((group.length + 1) * 2 <= TRANSACTION_ITEMS && !idsInGroup.has(m.idNumber)) {
          group.push(m);
          idsInGroup.add(m.idNumber);
        } else later.push(m);
      }
      const refused = await this.transactUnits(
        group.map((m) => [
          {
            Put: {
              TableName: this.table,
              Item: { ...idNumberKey(m.idNumber), householdId: { S: m.householdId } },
              ConditionExpression: 'attribute_not_exists(pk) OR householdId = :h',
              ExpressionAttributeValues: { ':h': { S: m.householdId } },
            },
          },
          { Put: { TableName: this.table, Item: memberItem(m) } },
        ]),
      );
      const refusedMembers = [...refused].map((i) => group[i]).filter((m) => m !== undefined);
      const holders = await this.holders(refusedMembers.map((m) => m.idNumber));
      for (const m of refusedMembers) {
        const holder = holders.get(m.idNumber);
        if (holder !== undefined && holder !== m.householdId) conflicts.set(m.idNumber, holder);
        // The claim went away meanwhile: the next round tries it once more.
        else if (!retried.has(m.idNumber)) {
          retried.add(m.idNumber);
          later.push(m);
        } else throw new TransientError('a member kept being refused');
      }
      pending = later;
    }
    return { conflicts };
  }

  /**
   * Writes units of items (each all or nothing) in one transaction, dropping units whose
   * conditions fail until the rest go in; returns the indexes of the units refused.
   */
  private async transactUnits(units: readonly TransactWriteItem[][]): Promise<Set<number>> {
    const refused = new Set<number>();
    for (let attempt = 0; ; attempt++) {
      const owners: number[] = [];
      const items: TransactWriteItem[] = [];
      units.forEach((unit, index) => {
        if (refused.has(index)) return;
        items.push(...unit);
        owners.push(...unit.map(() => index));
      });
      if (items.length === 0) return refused;
      try {
        await send(() => this.db.send(new TransactWriteItemsCommand({ TransactItems: items })));
        return refused;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        let failedConditions = 0;
        (error.CancellationReasons ?? []).forEach((reason, i) => {
          const owner = owners[i];
          if (reason.Code === 'ConditionalCheckFailed' && owner !== undefined) {
            refused.add(owner);
            failedConditions += 1;
          }
        });
        if (failedConditions === 0) {
          if (attempt >= 8) throw new TransientError('member write kept conflicting');
          await pause(25 * 2 ** attempt);
        }
      }
    }
  }

  /** Every item a query matches, following LastEvaluatedKey page by page. */
  private queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Item[]> {
    return queryAll(this.db, this.table, input);
  }

  /** Consistent reads of up to any number of keys, 100 per request, unprocessed keys retried. */
  private async batchGet(keys: readonly Item[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) {
      let request: KeysAndAttributes | undefined = {
        Keys: keys.slice(i, i + BATCH_GET_KEYS),
        ConsistentRead: true,
      };
      for (let attempt = 0; request?.Keys && request.Keys.length > 0; attempt++) {
        if (attempt > 8) throw new TransientError('roster reads kept being throttled');
        if (attempt > 0) await pause(25 * 2 ** attempt);
        const keysNow: KeysAndAttributes = request;
        const out = await send(() =>
          this.db.send(new BatchGetItemCommand({ RequestItems: { [this.table]: keysNow } })),
        );
        found.push(...(out.Responses?.[this.table] ?? []));
        request = out.UnprocessedKeys?.[this.table];
      }
    }
    return found;
  }

  /** BatchWriteItem, 25 at a time, unprocessed items retried with backoff. */
  private async batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let batch: WriteRequest[] | undefined = requests.slice(i, i + 25);
      for (let attempt = 0; batch && batch.length > 0; attempt++) {
        if (attempt > 8) throw new TransientError('roster write kept being throttled');
        if (attempt > 0) await pause(25 * 2 ** attempt);
        const batchNow: WriteRequest[] = batch;
        const out = await send(() =>
          this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: batchNow } })),
        );
        batch = out.UnprocessedItems?.[this.table];
      }
    }
  }
}

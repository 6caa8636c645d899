// DynamoDB implementation of the roster port, on the `claims` table beside the claims (key
// design in docs/architecture.md): a household's status periods under `HH#<householdId>`, and one
// `IDNO#<sha256>` item per resident ID naming the household it belongs to.
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { rosterPeriodSchema, type RosterPeriod } from '#shared/roster.ts';
import { TransientError, type RosterStore } from '#shared/ports.ts';
import { send } from '#functions/adapters/dynamo-send.ts';

type Item = Record<string, AttributeValue>;

export class DynamoRosterStore implements RosterStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

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

  async periods(householdId: string): Promise<RosterPeriod[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': { S: `HH#${householdId}` }, ':p': { S: 'PERIOD#' } },
      ConsistentRead: true,
    });
    return items.map((item) => rosterPeriodSchema.parse(unmarshall(item)));
  }

  async put(periods: readonly RosterPeriod[]): Promise<void> {
    const requests = periods.map((p) => ({
      PutRequest: {
        Item: {
          ...marshall(p, { removeUndefinedValues: true }),
          pk: { S: `HH#${p.householdId}` },
          sk: { S: `PERIOD#${p.statusFrom}` },
          gsi3pk: { S: `GWHH#${p.gridWorker}` },
          gsi3sk: { S: `${p.householdId}#${p.statusFrom}` },
        },
      },
    }));
    for (let i = 0; i < requests.length; i += 25) {
      let batch: typeof requests | undefined = requests.slice(i, i + 25);
      for (let attempt = 0; batch && batch.length > 0; attempt++) {
        if (attempt > 8) throw new TransientError('roster write kept being throttled');
        const out = await send(() =>
          this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: batch ?? [] } })),
        );
        batch = out.UnprocessedItems?.[this.table] as typeof requests | undefined;
        if (batch && batch.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  async claimIdNumbers(
    pairs: readonly { idNumber: string; householdId: string }[],
  ): Promise<Map<string, string>> {
    const holders = new Map<string, string>();
    // The key is a hash: a table key turns up in more places (metrics, consoles) than an attribute.
    const idKey = (idNumber: string) => ({
      pk: { S: `IDNO#${createHash('sha256').update(idNumber).digest('hex')}` },
      sk: { S: 'IDNO' },
    });
    const claimOne = async ({ idNumber, householdId }: { idNumber: string; householdId: string }) => {
      try {
        await send(() =>
          this.db.send(
            new PutItemCommand({
              TableName: this.table,
              Item: { ...idKey(idNumber), householdId: { S: householdId } },
              ConditionExpression: 'attribute_not_exists(pk) OR householdId = :h',
              ExpressionAttributeValues: { ':h': { S: householdId } },
            }),
          ),
        );
        holders.set(idNumber, householdId);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const out = await send(() =>
          this.db.send(
            new GetItemCommand({ TableName: this.table, Key: idKey(idNumber), ConsistentRead: true }),
          ),
        );
        holders.set(idNumber, out.Item?.householdId?.S ?? householdId);
      }
    };
    // A few at a time: a county's roster is tens of thousands of households.
    for (let i = 0; i < pairs.length; i += 16) await Promise.all(pairs.slice(i, i + 16).map(claimOne));
    return holders;
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
}

// Households' burdens (their counted self-paid costs of the last year) on the claims table. A
// county's households are spread over BURDEN_SHARDS partitions (`BURDEN#<region>#<shard>`, sort
// key the household id) so a feed file touching thousands of them at once writes to many
// partitions; reading a region is one query per shard.
import {
  DeleteItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { householdBurdenSchema, type HouseholdBurden } from '#shared/warnings.ts';
import type { WarningStore } from '#shared/ports.ts';
import { batchGetAll, queryAll, send } from '#functions/adapters/dynamo-send.ts';

type Item = Record<string, AttributeValue>;

export const BURDEN_SHARDS = 16;

/** A household's shard: a stable hash of its id, so every writer and reader finds it in one place. */
export function burdenShard(householdId: string): number {
  let h = 0;
  for (let i = 0; i < householdId.length; i++) h = (h * 31 + householdId.charCodeAt(i)) >>> 0;
  return h % BURDEN_SHARDS;
}

const burdenKey = (region: string, householdId: string) => ({
  pk: { S: `BURDEN#${region}#${burdenShard(householdId)}` },
  sk: { S: householdId },
});

const parseBurden = (item: Item): HouseholdBurden => householdBurdenSchema.parse(unmarshall(item));

export class DynamoWarningStore implements WarningStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async putBurden(burden: HouseholdBurden): Promise<void> {
    const key = burdenKey(burden.region, burden.householdId);
    if (burden.expenses.length === 0) {
      await send(() => this.db.send(new DeleteItemCommand({ TableName: this.table, Key: key })));
      return;
    }
    const item = {
      ...marshall(householdBurdenSchema.parse(burden), { removeUndefinedValues: true }),
      ...key,
    };
    await send(() => this.db.send(new PutItemCommand({ TableName: this.table, Item: item })));
  }

  async burdens(region: string): Promise<HouseholdBurden[]> {
    const shards = await Promise.all(
      Array.from({ length: BURDEN_SHARDS }, (_, shard) =>
        queryAll(this.db, this.table, {
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `BURDEN#${region}#${shard}` } },
          ConsistentRead: true,
        }),
      ),
    );
    return shards.flat().map(parseBurden);
  }

  async burdensOf(region: string, householdIds: readonly string[]): Promise<Map<string, HouseholdBurden>> {
    const keys = [...new Set(householdIds)].map((id) => burdenKey(region, id));
    const items = await batchGetAll(this.db, this.table, keys, true);
    return new Map(items.map(parseBurden).map((burden) => [burden.householdId, burden]));
  }
}

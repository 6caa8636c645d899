// The local claims table, made from the same spec CDK deploys, and brought up to it when a data
// dir was made by an older version: indexes the spec has and the table lacks are added, and claim
// items written before them get their index keys (rewritten with the store's own item builder).
// A start-up step on a local data dir, never a request path: it may scan the table.
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ScanCommand,
  UpdateTableCommand,
  BatchWriteItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { claimsTableSpec, toCreateTableInput } from '#infra/tables.ts';
import { claimItem, parseClaimItem } from '#functions/adapters/dynamo-claim-store.ts';

type CreateInput = ConstructorParameters<typeof CreateTableCommand>[0];

/** Creates the table, or adds the indexes it lacks; returns the names of the indexes added. */
export async function ensureClaimsTable(db: DynamoDBClient, table: string): Promise<string[]> {
  const input = toCreateTableInput(claimsTableSpec, table);
  try {
    await db.send(new CreateTableCommand(input as CreateInput));
    return [];
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const described = await db.send(new DescribeTableCommand({ TableName: table }));
  const present = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const missing = (input.GlobalSecondaryIndexes ?? []).filter((i) => !present.has(i.IndexName));
  for (const index of missing) {
    await db.send(
      new UpdateTableCommand({
        TableName: table,
        AttributeDefinitions: input.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: index as never }],
      }),
    );
  }
  if (missing.length > 0) await rewriteClaims(db, table);
  return missing.map((i) => i.IndexName);
}

/** Puts every claim item again as the store builds it now (new index keys included). */
async function rewriteClaims(db: DynamoDBClient, table: string): Promise<void> {
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await db.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'sk = :claim',
        ExpressionAttributeValues: { ':claim': { S: 'CLAIM' } },
        ExclusiveStartKey: start,
      }),
    );
    const items = (out.Items ?? []).map((item) => claimItem(parseClaimItem(item)));
    for (let i = 0; i < items.length; i += 25) {
      let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const written = await db.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        pending = (written.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
    start = out.LastEvaluatedKey;
  } while (start);
}

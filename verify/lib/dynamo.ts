// DynamoDB Local on its own, with the claims table as the stack defines it: for the checks that
// prove the DynamoDB adapter honours the same conditions as the in-memory store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { startDynamoDbLocal } from '#cli/local/dynamodb-local.ts';
import { findFreePort } from '#cli/local/net.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { claimsTableSpec, toCreateTableInput } from '#infra/tables.ts';

export interface LocalDynamo {
  readonly endpoint: string;
  readonly store: DynamoClaimStore;
  /** Sets a household's cap counter, as if earlier claims had used it. */
  seedCap(householdId: string, year: number, category: string, fen: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const dataDir = await mkdtemp(join(tmpdir(), 'verify-dynamo-'));
  const dynamo = await startDynamoDbLocal({ port: await findFreePort(), dataDir });
  const db = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
  });
  try {
    await db.send(
      new CreateTableCommand(
        toCreateTableInput(claimsTableSpec, 'claims') as ConstructorParameters<typeof CreateTableCommand>[0],
      ),
    );
  } catch (error) {
    db.destroy();
    await dynamo.stop();
    throw error;
  }
  return {
    endpoint: dynamo.endpoint,
    store: new DynamoClaimStore(db, 'claims'),
    async seedCap(householdId, year, category, fen) {
      await db.send(
        new UpdateItemCommand({
          TableName: 'claims',
          Key: { pk: { S: `CAP#${householdId}#${year}#${category}` }, sk: { S: 'CAP' } },
          UpdateExpression: 'SET used = :u',
          ExpressionAttributeValues: { ':u': { N: String(fen) } },
        }),
      );
    },
    async close() {
      db.destroy();
      await dynamo.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// DynamoDB implementation of the dashboard's store (shared/api/stats-api.ts), on the `claims`
// table: counts over the keys-only state index (gsi1, `STATE#<state>`) and claims' filing times
// by key. Queries and key reads only; nothing here scans the table.
import {
  BatchGetItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { envNames } from '#functions/catalog.ts';
import { requireEnv, type AdapterContext } from '#functions/adapters/handler-deps.ts';
import { dynamoClient } from '#functions/adapters/dynamo-ports.ts';
import { send } from '#functions/adapters/dynamo-send.ts';
import { TransientError } from '#shared/ports.ts';
import type { StatsStore } from '#shared/api/stats-api.ts';
import type { ClaimState } from '#shared/vocabulary.ts';

type Item = Record<string, AttributeValue>;

export class DynamoStatsStore implements StatsStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async countInState(state: ClaimState): Promise<number> {
    let count = 0;
    let start: Item | undefined;
    do {
      const out = await send(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: `STATE#${state}` } },
            Select: 'COUNT',
            ExclusiveStartKey: start,
          }),
        ),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async filedAt(claimIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const unique = [...new Set(claimIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let pending: Item[] | undefined = unique
        .slice(i, i + 100)
        .map((id) => ({ pk: { S: `CLAIM#${id}` }, sk: { S: 'CLAIM' } }));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 8) throw new TransientError('reads kept being throttled');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        const keys: Item[] = pending;
        const out = await send(() =>
          this.db.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.table]: {
                  Keys: keys,
                  ProjectionExpression: 'claimId, filedAt',
                },
              },
            }),
          ),
        );
        for (const item of out.Responses?.[this.table] ?? []) {
          const id = item.claimId?.S;
          const at = item.filedAt?.S;
          if (id && at) found.set(id, at);
        }
        pending = out.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return found;
  }
}

export const dynamoStats = (context: AdapterContext): StatsStore =>
  new DynamoStatsStore(dynamoClient(context), requireEnv(context.env, envNames.claimsTable));

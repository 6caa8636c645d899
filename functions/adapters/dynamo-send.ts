// One place that tells a DynamoDB fault worth retrying from one that is not.
import {
  BatchGetItemCommand,
  QueryCommand,
  type AttributeValue,
  type KeysAndAttributes,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { TransientError } from '#shared/ports.ts';

/** Maps the SDK's retryable faults to TransientError so workflows retry them with backoff. */
export async function send<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (
      name === 'ProvisionedThroughputExceededException' ||
      name === 'ThrottlingException' ||
      name === 'RequestLimitExceeded' ||
      name === 'InternalServerError' ||
      name === 'ServiceUnavailable' ||
      name === 'TimeoutError' ||
      (error instanceof Error &&
        'code' in error &&
        (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET'))
    ) {
      throw new TransientError(`DynamoDB: ${name}`);
    }
    throw error;
  }
}

/** Every item a query matches, following LastEvaluatedKey page by page. */
export async function queryAll(
  db: DynamoDBClient,
  table: string,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await send(() =>
      db.send(new QueryCommand({ ...input, TableName: table, ExclusiveStartKey: start })),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Items by key, any number (100 per request), unprocessed keys retried with backoff. */
export async function batchGetAll(
  db: DynamoDBClient,
  table: string,
  keys: readonly Record<string, AttributeValue>[],
  consistent: boolean,
): Promise<Record<string, AttributeValue>[]> {
  const found: Record<string, AttributeValue>[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let request: KeysAndAttributes | undefined = { Keys: keys.slice(i, i + 100), ConsistentRead: consistent };
    for (let attempt = 0; request?.Keys && request.Keys.length > 0; attempt++) {
      if (attempt > 8) throw new TransientError('DynamoDB reads kept being throttled');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      const keysNow: KeysAndAttributes = request;
      const out = await send(() => db.send(new BatchGetItemCommand({ RequestItems: { [table]: keysNow } })));
      found.push(...(out.Responses?.[table] ?? []));
      request = out.UnprocessedKeys?.[table];
    }
  }
  return found;
}

// Bulk jobs in the claims table:
//   JOB#<jobId> / JOB                   the job (status, counts, keys of its files)
//   JOB#<jobId> / BATCH#<firstRow>      one batch's result, written once
//   JOBS#<kind> / <createdAt>#<jobId>   the kind's job list, newest first
//   JOBFILE#<kind>#<sha256> / JOBFILE   which job imported these bytes
// A batch's result and the counts it adds to the job are one transaction, so a retried batch
// (the map's retry, a restarted local stack) adds nothing.
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  TransactionConflictException,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  batchResultSchema,
  bulkJobSchema,
  type BatchResult,
  type BulkJob,
  type JobKind,
  type JobStore,
} from '#shared/bulk-job.ts';
import { ConflictError, TransientError } from '#shared/ports.ts';

const COUNTS = new Set(['processed', 'imported', 'rejected']);
const jobKey = (jobId: string) => ({ pk: { S: `JOB#${jobId}` }, sk: { S: 'JOB' } });
const fileKey = (kind: JobKind, sha256: string) => ({
  pk: { S: `JOBFILE#${kind}#${sha256}` },
  sk: { S: 'JOBFILE' },
});

export class DynamoJobStore implements JobStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async create(job: BulkJob): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { ...jobKey(job.jobId), ...marshall(job, { removeUndefinedValues: true }) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: { S: `JOBS#${job.kind}` },
                  sk: { S: `${job.createdAt}#${job.jobId}` },
                  jobId: { S: job.jobId },
                },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  async get(jobId: string): Promise<BulkJob | undefined> {
    const out = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: jobKey(jobId), ConsistentRead: true }),
    );
    return out.Item ? readJob(out.Item) : undefined;
  }

  async update(next: BulkJob, expectedVersion: number): Promise<void> {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, AttributeValue> = { ':expected': { N: String(expectedVersion) } };
    const sets: string[] = [];
    for (const [field, value] of Object.entries(next)) {
      if (COUNTS.has(field) || value === undefined || field === 'jobId') continue;
      names[`#${field}`] = field;
      values[`:${field}`] = marshall({ v: value }).v as AttributeValue;
      sets.push(`#${field} = :${field}`);
    }
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: jobKey(next.jobId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConflictError(`job ${next.jobId} changed`);
      throw error;
    }
  }

  async recordBatch(result: BatchResult): Promise<boolean> {
    // Every batch adds to the one job item, so concurrent batches' transactions can conflict:
    // such a conflict is retried here, and past that reported as transient (the workflow retries).
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.tryRecordBatch(result);
      if (outcome !== 'conflict') return outcome === 'recorded';
      if (attempt >= 8)
        throw new TransientError(`batch from row ${result.firstRow} of job ${result.jobId} kept conflicting`);
      await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** attempt));
    }
  }

  private async tryRecordBatch(result: BatchResult): Promise<'recorded' | 'repeated' | 'conflict'> {
    try {
      await this.db.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: { S: `JOB#${result.jobId}` },
                  sk: { S: `BATCH#${String(result.firstRow).padStart(10, '0')}` },
                  ...marshall(result),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: jobKey(result.jobId),
                UpdateExpression: 'ADD #p :rows, #i :imported, #r :rejected',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeNames: { '#p': 'processed', '#i': 'imported', '#r': 'rejected' },
                ExpressionAttributeValues: {
                  ':rows': { N: String(result.rows) },
                  ':imported': { N: String(result.imported) },
                  ':rejected': { N: String(result.rejected.length) },
                },
              },
            },
          ],
        }),
      );
      return 'recorded';
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const [batch, job] = error.CancellationReasons ?? [];
        if (job?.Code === 'ConditionalCheckFailed') throw new Error(`job ${result.jobId} does not exist`);
        if (batch?.Code === 'ConditionalCheckFailed') return 'repeated';
        return 'conflict';
      }
      if (error instanceof TransactionConflictException) return 'conflict';
      throw error;
    }
  }

  async batches(jobId: string): Promise<BatchResult[]> {
    const results: BatchResult[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :batch)',
          ExpressionAttributeValues: { ':pk': { S: `JOB#${jobId}` }, ':batch': { S: 'BATCH#' } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, ...rest } = unmarshall(item);
        results.push(batchResultSchema.parse(rest));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return results;
  }

  async claimFile(kind: JobKind, sha256: string, jobId: string): Promise<string> {
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...fileKey(kind, sha256), jobId: { S: jobId } },
          ConditionExpression: 'attribute_not_exists(pk) OR jobId = :job',
          ExpressionAttributeValues: { ':job': { S: jobId } },
        }),
      );
      return jobId;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const out = await this.db.send(
        new GetItemCommand({ TableName: this.table, Key: fileKey(kind, sha256), ConsistentRead: true }),
      );
      return out.Item?.jobId?.S ?? jobId;
    }
  }

  async releaseFile(kind: JobKind, sha256: string, jobId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: fileKey(kind, sha256),
          ConditionExpression: 'jobId = :job',
          ExpressionAttributeValues: { ':job': { S: jobId } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recent(kind: JobKind, limit: number): Promise<BulkJob[]> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `JOBS#${kind}` } },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const jobs = await Promise.all((page.Items ?? []).map((item) => this.get(item.jobId?.S ?? '')));
    return jobs.filter((j): j is BulkJob => j !== undefined);
  }
}

function readJob(item: Record<string, AttributeValue>): BulkJob {
  const { pk: _pk, sk: _sk, ...rest } = unmarshall(item);
  return bulkJobSchema.parse(rest);
}

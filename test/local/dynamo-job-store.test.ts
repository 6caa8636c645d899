// The bulk-job store against DynamoDB Local and in memory: the same answers from both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import { DynamoJobStore } from '#functions/adapters/dynamo-job-store.ts';
import { MemoryJobs } from '#functions/adapters/memory/memory-jobs.ts';
import { newJob, type BulkJob, type JobStore } from '#shared/bulk-job.ts';
import { ConflictError } from '#shared/ports.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { startLocalDynamo, type LocalDynamo } from '../../verify/lib/dynamo.ts';

let dynamo: LocalDynamo;
let db: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  db = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
  });
}, 90_000);

afterAll(async () => {
  db?.destroy();
  await dynamo?.close();
});

function job(createdAt: string): BulkJob {
  return newJob('roster', ulid(), 'admin1', createdAt);
}

const stores: [string, () => JobStore][] = [
  ['DynamoDB', () => new DynamoJobStore(db, 'claims')],
  ['memory', () => new MemoryJobs()],
];

describe.each(stores)('job store (%s)', (_name, make) => {
  it('creates a job once and reads it back', async () => {
    const store = make();
    const j = job('2026-03-01T00:00:00.000Z');
    expect(await store.create(j)).toBe(true);
    expect(await store.create(j)).toBe(false);
    expect(await store.get(j.jobId)).toEqual(j);
    expect(await store.get(ulid())).toBeUndefined();
  });

  it('adds a batch once, and a status change neither loses nor repeats the counts', async () => {
    const store = make();
    const j = job('2026-03-01T00:00:00.000Z');
    await store.create(j);
    const batch = {
      jobId: j.jobId,
      firstRow: 2,
      rows: 3,
      imported: 2,
      rejected: [{ row: 4, reasons: [{ code: 'VALUE_MISSING', params: { field: 'region' } }] }],
    };
    const answers = await Promise.all([store.recordBatch(batch), store.recordBatch(batch)]);
    expect(answers.filter(Boolean)).toHaveLength(1);
    await store.recordBatch({ ...batch, firstRow: 5, rejected: [] });
    // A change written from a copy read before the batches: the counts stay the batches'.
    await store.update({ ...j, status: 'RUNNING', rows: 6, version: 1 }, 0);
    expect(await store.get(j.jobId)).toMatchObject({
      status: 'RUNNING',
      rows: 6,
      processed: 6,
      imported: 4,
      rejected: 1,
    });
    await expect(store.update({ ...j, status: 'FAILED', version: 1 }, 0)).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect((await store.batches(j.jobId)).map((b) => b.firstRow)).toEqual([2, 5]);
  });

  it('refuses a batch for a job that does not exist', async () => {
    const store = make();
    await expect(
      store.recordBatch({ jobId: ulid(), firstRow: 2, rows: 1, imported: 1, rejected: [] }),
    ).rejects.toThrow(/does not exist/);
  });

  it('keeps the first job to import a file until it lets go', async () => {
    const store = make();
    const sha = ulid().toLowerCase().padEnd(64, '0');
    const [a, b] = [ulid(), ulid()];
    expect(await store.claimFile('roster', sha, a)).toBe(a);
    expect(await store.claimFile('roster', sha, a)).toBe(a);
    expect(await store.claimFile('roster', sha, b)).toBe(a);
    await store.releaseFile('roster', sha, b);
    expect(await store.claimFile('roster', sha, b)).toBe(a);
    await store.releaseFile('roster', sha, a);
    expect(await store.claimFile('roster', sha, b)).toBe(b);
  });

  it('lists a kind’s jobs newest first', async () => {
    const store = make();
    const base = Date.UTC(2030, 0, 1) + Math.floor(Math.random() * 1e9);
    const jobs = [0, 2, 1].map((n) => job(new Date(base + n * 60_000).toISOString()));
    for (const j of jobs) await store.create(j);
    const recent = await store.recent('roster', 2);
    expect(recent.map((j) => j.jobId)).toEqual([jobs[1]?.jobId, jobs[2]?.jobId]);
  });
});

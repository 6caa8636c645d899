// In-memory bulk-job ports with the DynamoDB adapter's semantics: a batch result recorded once,
// counts added only with it, version-checked job updates that leave the counts alone.
import { createHash } from 'node:crypto';
import type { BatchResult, BulkJob, JobFileStream, JobFiles, JobKind, JobStore } from '#shared/bulk-job.ts';
import { hashingStream } from '#functions/adapters/hashing-stream.ts';
import { ConflictError } from '#shared/ports.ts';

export class MemoryJobs implements JobStore {
  readonly jobs = new Map<string, BulkJob>();
  readonly batchResults = new Map<string, BatchResult>();
  readonly files = new Map<string, string>();

  async create(job: BulkJob): Promise<boolean> {
    if (this.jobs.has(job.jobId)) return false;
    this.jobs.set(job.jobId, structuredClone(job));
    return true;
  }

  async get(jobId: string): Promise<BulkJob | undefined> {
    const job = this.jobs.get(jobId);
    return job ? structuredClone(job) : undefined;
  }

  async update(next: BulkJob, expectedVersion: number): Promise<void> {
    const stored = this.jobs.get(next.jobId);
    if (!stored || stored.version !== expectedVersion) throw new ConflictError(`job ${next.jobId} changed`);
    const { processed, imported, rejected } = stored;
    this.jobs.set(next.jobId, { ...structuredClone(next), processed, imported, rejected });
  }

  async recordBatch(result: BatchResult): Promise<boolean> {
    const key = `${result.jobId}/${result.firstRow}`;
    const job = this.jobs.get(result.jobId);
    if (!job) throw new Error(`job ${result.jobId} does not exist`);
    if (this.batchResults.has(key)) return false;
    this.batchResults.set(key, structuredClone(result));
    job.processed += result.rows;
    job.imported += result.imported;
    job.rejected += result.rejected.length;
    return true;
  }

  async batches(jobId: string): Promise<BatchResult[]> {
    return [...this.batchResults.values()]
      .filter((b) => b.jobId === jobId)
      .sort((a, b) => a.firstRow - b.firstRow)
      .map((b) => structuredClone(b));
  }

  async claimFile(kind: JobKind, sha256: string, jobId: string): Promise<string> {
    const key = `${kind}/${sha256}`;
    const owner = this.files.get(key);
    if (owner !== undefined) return owner;
    this.files.set(key, jobId);
    return jobId;
  }

  async releaseFile(kind: JobKind, sha256: string, jobId: string): Promise<void> {
    const key = `${kind}/${sha256}`;
    if (this.files.get(key) === jobId) this.files.delete(key);
  }

  async recent(kind: JobKind, limit: number): Promise<BulkJob[]> {
    return [...this.jobs.values()]
      .filter((j) => j.kind === kind)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
      .slice(0, limit)
      .map((j) => structuredClone(j));
  }
}

export class MemoryJobFiles implements JobFiles {
  readonly objects = new Map<string, { body: Uint8Array; contentType: string }>();
  /** How many times each key was streamed (a file check reads its file twice). */
  readonly streamed = new Map<string, number>();

  /** `pieceBytes`: how a stream cuts the bytes (small, odd sizes cut characters in two). */
  constructor(private readonly pieceBytes = 64 * 1024) {}

  async stream(key: string, maxBytes: number): Promise<JobFileStream | undefined> {
    const object = this.objects.get(key);
    if (!object) return undefined;
    this.streamed.set(key, (this.streamed.get(key) ?? 0) + 1);
    const { body } = object;
    const size = this.pieceBytes;
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size);
    }
    return hashingStream(pieces(), maxBytes);
  }

  async read(key: string): Promise<{ bytes: Uint8Array; sha256: string } | undefined> {
    const object = this.objects.get(key);
    if (!object) return undefined;
    return { bytes: object.body, sha256: createHash('sha256').update(object.body).digest('hex') };
  }

  async write(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
    this.objects.set(key, {
      body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
      contentType,
    });
  }

  async remove(key: string): Promise<void> {
    this.objects.delete(key);
  }

  /** The stored object as text, for tests that read what a job wrote. */
  text(key: string): string | undefined {
    const object = this.objects.get(key);
    return object ? new TextDecoder('utf-8', { ignoreBOM: true }).decode(object.body) : undefined;
  }
}

// Bulk files (a county's roster on day one, and later members, the bank's result files and the
// departments' data feeds) are jobs: the file is uploaded under its own prefix, a workflow fans
// its rows out in batches, and the job item counts what happened. Batches may run twice (a retry,
// a restarted local stack): each batch's result is recorded once, under its first row, so the
// counts never double.
import * as z from 'zod';
import { messageSchema } from '#shared/messages/schema.ts';
import { feedKindSchema, type FeedKind } from '#shared/feed-record.ts';
export { errorReportCsv } from '#shared/error-report.ts';

export const jobKinds = [
  'roster',
  'members',
  'bank-result',
  'ledger-export',
  'medical-feed',
  'education-feed',
] as const;
export const jobKindSchema = z.enum(jobKinds);
export type JobKind = z.infer<typeof jobKindSchema>;
/** The kinds that start from an uploaded file (the others write one: a ledger export). */
export const importKinds = [
  'roster',
  'members',
  'bank-result',
  'medical-feed',
  'education-feed',
] as const satisfies readonly JobKind[];
export const importKindSchema = z.enum(importKinds);
export type ImportKind = z.infer<typeof importKindSchema>;

/** The departments' data feeds, one job kind per feed. */
export const feedJobKinds = ['medical-feed', 'education-feed'] as const satisfies readonly ImportKind[];
export type FeedJobKind = (typeof feedJobKinds)[number];

/** The feed a job imports, or undefined for a job of another kind. */
export function feedOfJob(kind: JobKind): FeedKind | undefined {
  switch (kind) {
    case 'medical-feed':
      return 'medical';
    case 'education-feed':
      return 'education';
    default:
      return undefined;
  }
}

export function feedJobKind(feed: FeedKind): FeedJobKind {
  return `${feed}-feed`;
}

export const jobStatuses = [
  /** Granted an upload form; the file has not arrived. */
  'WAITING_FOR_FILE',
  'RUNNING',
  'SUCCEEDED',
  /** The file could not be read as a whole (no header, wrong columns): nothing was stored. */
  'FAILED',
  /** The same bytes were imported before by the job named in `duplicateOf`: nothing more happens. */
  'DUPLICATE_FILE',
] as const;
export const jobStatusSchema = z.enum(jobStatuses);
export type JobStatus = z.infer<typeof jobStatusSchema>;

export const jobIdSchema = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID');

/**
 * One rejected row: 1-based record number with the header as row 1, and why, as message codes.
 * Batches stored before reasons were codes hold `error` text: read as one LEGACY_TEXT reason.
 */
export const rowRejectionSchema = z.preprocess(
  (v) =>
    v && typeof v === 'object' && 'error' in v && !('reasons' in v)
      ? {
          row: (v as { row?: unknown }).row,
          reasons: [{ code: 'LEGACY_TEXT', params: { text: String(v.error) } }],
        }
      : v,
  z.object({ row: z.number().int().min(1), reasons: z.array(messageSchema).min(1) }),
);
export type RowRejection = z.infer<typeof rowRejectionSchema>;

export const bulkJobSchema = z.object({
  jobId: jobIdSchema,
  kind: jobKindSchema,
  createdBy: z.string(),
  createdAt: z.string(),
  /** Where the file is (or will be) stored. */
  fileKey: z.string(),
  status: jobStatusSchema,
  sha256: z.string().optional(),
  /** Data rows in the file, known once the file has been read. */
  rows: z.number().int().min(0).optional(),
  /** Rows dealt with so far (stored or rejected): progress is processed / rows. */
  processed: z.number().int().min(0).default(0),
  imported: z.number().int().min(0).default(0),
  rejected: z.number().int().min(0).default(0),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** The error report (CSV), written when the job finishes with rejected rows. */
  errorReportKey: z.string().optional(),
  duplicateOf: z.string().optional(),
  /** Why the whole file was refused or the job stopped (FAILED): a code. */
  failure: z.string().optional(),
  /** The file's refusal in full (its header's problems), as message codes. */
  failureReasons: z.array(messageSchema).optional(),
  /** The list of row chunks the workflow fans out over, once the file has been checked. */
  chunksKey: z.string().optional(),
  /** A feed job's chunk parts, by segment of the file and bucket of households (feedPartKey). */
  chunkGrid: z.object({ segments: z.number().int().min(1), buckets: z.number().int().min(1) }).optional(),
  /** A feed job whose first start was cut off while writing parts: its end removes the whole grid. */
  staleParts: z.boolean().optional(),
  /** An export's request (period, region, format, language), as the API took it. */
  exportQuery: z.record(z.string(), z.string()).optional(),
  /** An export's control total: the sum in fen of the payouts in its file. */
  totalFen: z.number().int().min(0).optional(),
  /** An export's file size. */
  bytes: z.number().int().min(0).optional(),
  /** A feed job: how many claims it opened, and where their list is (`openedClaimsKey`). */
  claimsOpened: z.number().int().min(0).optional(),
  openedKey: z.string().optional(),
  version: z.number().int().min(0).default(0),
});
export type BulkJob = z.infer<typeof bulkJobSchema>;

/** The outcome of one batch, recorded once under its first row. */
export const batchResultSchema = z.object({
  jobId: jobIdSchema,
  /** Row 1 holds what the file check itself refused (rows found bad before any batch ran). */
  firstRow: z.number().int().min(1),
  rows: z.number().int().min(0),
  imported: z.number().int().min(0),
  rejected: z.array(rowRejectionSchema),
  /** What the imported rows did, by kind of outcome (a bank result file: disbursed, failed). */
  outcomes: z.record(z.string(), z.number().int().min(0)).optional(),
  /**
   * A feed batch: the groups (`householdId|category|capYear`) it left records `pending` in (or
   * found on a claim of this job), for the job's last step to open their claims.
   */
  pendingGroups: z.array(z.string()).optional(),
  /**
   * A feed batch: the claims it opened itself (a household's records are all in one chunk, so
   * its batch can open its claim; what it could not open is left in pendingGroups).
   */
  opened: z
    .array(z.object({ claimId: z.string(), householdId: z.string(), category: feedKindSchema }))
    .optional(),
});
export type BatchResult = z.infer<typeof batchResultSchema>;

export const IMPORTS_PREFIX = 'imports/';
/**
 * What a job writes for its own use (checked row chunks, the map's result files): derived copies
 * of the file that hold the same personal data, so the bucket expires them after days.
 */
export const IMPORT_WORK_PREFIX = 'import-work/';

/** Where a job's file lives: the key names the kind and the job, never a person's file name. */
export function importFileKey(kind: JobKind, jobId: string): string {
  return `${IMPORTS_PREFIX}${kind}/${jobId}/file.csv`;
}

/** The job a stored file belongs to, or undefined for any other key (reports, results). */
export function parseImportFileKey(key: string): { kind: ImportKind; jobId: string } | undefined {
  const match = /^imports\/([a-z-]+)\/([0-9A-Z]{26})\/file\.csv$/.exec(key);
  if (!match) return undefined;
  const kind = importKindSchema.safeParse(match[1]);
  const jobId = jobIdSchema.safeParse(match[2]);
  return kind.success && jobId.success ? { kind: kind.data, jobId: jobId.data } : undefined;
}

/** A job just granted: its file not yet uploaded, nothing counted. */
export function newJob(kind: JobKind, jobId: string, createdBy: string, createdAt: string): BulkJob {
  return {
    jobId,
    kind,
    createdBy,
    createdAt,
    fileKey: importFileKey(kind, jobId),
    status: 'WAITING_FOR_FILE',
    processed: 0,
    imported: 0,
    rejected: 0,
    version: 0,
  };
}

export function errorReportKey(kind: JobKind, jobId: string): string {
  return `${IMPORTS_PREFIX}${kind}/${jobId}/errors.csv`;
}

/** The claims a feed job opened, one `{ claimId, householdId, category }` a line. */
export function openedClaimsKey(kind: JobKind, jobId: string): string {
  return `${IMPORTS_PREFIX}${kind}/${jobId}/opened.jsonl`;
}

/** Checked rows are written in chunks; the workflow's items are chunk keys, never the rows. */
export function chunkKey(kind: JobKind, jobId: string, index: number): string {
  return `${chunkPrefix(kind, jobId)}${String(index).padStart(6, '0')}.jsonl`;
}

/**
 * A feed's checked rows of one segment of the file whose households fall in one bucket: a
 * bucket's parts together make one chunk (see feed-chunks.ts).
 */
export function feedPartKey(kind: JobKind, jobId: string, segment: number, bucket: number): string {
  return `${chunkPrefix(kind, jobId)}s${String(segment).padStart(4, '0')}-b${String(bucket).padStart(6, '0')}.jsonl`;
}

export function chunkPrefix(kind: JobKind, jobId: string): string {
  return `${IMPORT_WORK_PREFIX}${kind}/${jobId}/chunks/`;
}

export function chunksListKey(kind: JobKind, jobId: string): string {
  return `${IMPORT_WORK_PREFIX}${kind}/${jobId}/chunks.jsonl`;
}

/** One item of the workflow's map: where a chunk of checked rows is, and which rows it holds. */
export const chunkRefSchema = z.object({
  key: z.string().startsWith(IMPORT_WORK_PREFIX),
  firstRow: z.number().int().min(2),
  rows: z.number().int().min(1),
  /** Further parts of the same chunk (a feed's bucket of households, part by segment). */
  more: z.array(z.string().startsWith(IMPORT_WORK_PREFIX)).max(1000).optional(),
});
export type ChunkRef = z.infer<typeof chunkRefSchema>;

/** Rows per chunk: a chunk is read, checked and written by one invocation in about a second. */
export const CHUNK_ROWS = 500;
/**
 * Rows of a feed chunk (about; one bucket of households). A feed row's household is read and
 * settled once for all its records in the chunk, about a store request a row.
 */
export const FEED_BUCKET_ROWS = 1000;
/**
 * Rows of the file a feed's start holds before writing them out by bucket: bounds its memory
 * (a few dozen MB) and the parts of a chunk (a province's 10,000,000 rows: 100).
 */
export const FEED_SEGMENT_ROWS = 100_000;

/** The sizes a feed is cut by (tests cut small files in many pieces). */
export interface FeedChunking {
  readonly segmentRows: number;
  readonly bucketRows: number;
}

/** How a feed of `rows` rows is cut: every part key is a function of the row count alone. */
export function feedChunkGrid(
  rows: number,
  chunking: FeedChunking = { segmentRows: FEED_SEGMENT_ROWS, bucketRows: FEED_BUCKET_ROWS },
): { segments: number; buckets: number } {
  return {
    segments: Math.max(1, Math.ceil(rows / chunking.segmentRows)),
    buckets: Math.max(1, Math.ceil(rows / chunking.bucketRows)),
  };
}

/** The job after one more batch: counts add up, the status stays what it is. */
export function withBatch(job: BulkJob, batch: BatchResult): BulkJob {
  return {
    ...job,
    processed: job.processed + batch.rows,
    imported: job.imported + batch.imported,
    rejected: job.rejected + batch.rejected.length,
  };
}

/** Share done, 0..1; unknown until the file has been read. */
export function jobProgress(job: Pick<BulkJob, 'rows' | 'processed' | 'status'>): number | undefined {
  if (job.status === 'SUCCEEDED' || job.status === 'DUPLICATE_FILE' || job.status === 'FAILED') return 1;
  if (job.rows === undefined) return undefined;
  return job.rows === 0 ? 1 : Math.min(1, job.processed / job.rows);
}

/** Jobs and their batch results. */
export interface JobStore {
  /** Stores a new job; false when the id is taken. */
  create(job: BulkJob): Promise<boolean>;
  get(jobId: string): Promise<BulkJob | undefined>;
  /**
   * Writes `next` if the stored job still has `expectedVersion`; throws ConflictError otherwise.
   * The counts (processed, imported, rejected) are left as stored: only recordBatch adds to them.
   */
  update(next: BulkJob, expectedVersion: number): Promise<void>;
  /**
   * Records a batch's result and adds its counts to the job, in one transaction, unless the
   * batch starting at that row was recorded before: false then, and nothing changes.
   */
  recordBatch(result: BatchResult): Promise<boolean>;
  /** Every batch result of a job. */
  batches(jobId: string): Promise<BatchResult[]>;
  /**
   * Remembers that a file (by kind and sha256) was imported by a job; returns the job on record
   * for those bytes afterwards (an earlier one, if any).
   */
  claimFile(kind: JobKind, sha256: string, jobId: string): Promise<string>;
  /** Forgets that a job imported a file (it failed), so the same file may be imported again. */
  releaseFile(kind: JobKind, sha256: string, jobId: string): Promise<void>;
  /** The latest jobs of a kind, newest first. */
  recent(kind: JobKind, limit: number): Promise<BulkJob[]>;
}

/** The bulk files themselves, and what the jobs write beside them. */
export interface JobFiles {
  /** The file's bytes and their sha256, undefined when missing; throws past maxBytes. */
  read(key: string, maxBytes: number): Promise<{ bytes: Uint8Array; sha256: string } | undefined>;
  /** The file piece by piece (a bulk file is never held whole), undefined when missing. */
  stream(key: string, maxBytes: number): Promise<JobFileStream | undefined>;
  write(key: string, body: string, contentType: string): Promise<void>;
  /** Removes a stored file; a missing one is no error. */
  remove(key: string): Promise<void>;
}

/** A file being read: its bytes in order (throwing past maxBytes), then their sha256. */
export interface JobFileStream {
  readonly chunks: AsyncIterable<Uint8Array>;
  /** The sha256 of the bytes, once `chunks` has been read to its end. */
  sha256(): string;
}

/** The largest bulk file accepted: about a million roster rows. */
export const MAX_JOB_FILE_BYTES = 200 * 1024 * 1024;

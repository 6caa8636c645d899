// The steps of a bulk import job. `startImport` checks the whole file (header, each row, rows
// that contradict each other within the file) and writes the good rows in chunks; the workflow's
// Distributed Map hands chunk references (never the rows: they hold names and ID numbers) to
// `importChunks` in batches; `finishImport` writes the error report and closes the job. Every
// step can run again with the same effect: a redelivered upload, a retried batch, a restarted
// local stack.
import * as z from 'zod';
import {
  CHUNK_ROWS,
  MAX_JOB_FILE_BYTES,
  chunkKey,
  chunkPrefix,
  chunkRefSchema,
  chunksListKey,
  errorReportCsv,
  errorReportKey,
  parseImportFileKey,
  importKindSchema,
  type BulkJob,
  type ChunkRef,
  type ImportKind,
  type JobFiles,
  type JobStore,
  type RowRejection,
} from '#shared/bulk-job.ts';
import { parseNumberedRosterCsv, rosterPeriodSchema } from '#shared/roster.ts';
import { storeRosterPeriods } from '#shared/roster-import.ts';
import { memberSchema, parseNumberedMembersCsv } from '#shared/members.ts';
import { storeMembers } from '#shared/members-import.ts';
import { ConflictError, type Clock, type RosterStore } from '#shared/ports.ts';

export interface ImportDeps {
  readonly jobs: JobStore;
  readonly files: JobFiles;
  readonly roster: RosterStore;
  readonly clock: Clock;
}

export type StartOutcome = 'run' | 'done' | 'ignored';

export interface StartImportResult {
  readonly jobId: string;
  readonly outcome: StartOutcome;
  /** The chunk list the map reads (run only). */
  readonly chunksKey?: string;
}

/** What differs between the kinds of file: how the whole file is checked, how checked rows are stored. */
interface KindSteps {
  /** The file's good rows (each with its row number) and the rows it refuses. */
  readonly parse: (text: string) => { numbered: readonly { row: number }[]; rejected: RowRejection[] };
  /** Stores a chunk's lines (as parse wrote them, read back from JSON). */
  readonly store: (
    roster: RosterStore,
    lines: readonly unknown[],
  ) => Promise<{ rows: number; imported: number; rejected: RowRejection[] }>;
}

function kindSteps<T extends { row: number }>(steps: {
  parse: (text: string) => { numbered: readonly T[]; rejected: RowRejection[] };
  rowSchema: z.ZodType<T>;
  store: (roster: RosterStore, rows: readonly T[]) => Promise<{ imported: number; rejected: RowRejection[] }>;
}): KindSteps {
  return {
    parse: steps.parse,
    store: async (roster, lines) => {
      // A chunk is data the job wrote, read back: checked again all the same.
      const rows = lines.map((line) => steps.rowSchema.parse(line));
      return { rows: rows.length, ...(await steps.store(roster, rows)) };
    },
  };
}

const importSteps: Readonly<Record<ImportKind, KindSteps>> = {
  roster: kindSteps({
    parse: parseNumberedRosterCsv,
    rowSchema: z.object({ row: z.number().int().min(2), period: rosterPeriodSchema }),
    store: storeRosterPeriods,
  }),
  members: kindSteps({
    parse: parseNumberedMembersCsv,
    rowSchema: z.object({ row: z.number().int().min(2), member: memberSchema }),
    store: storeMembers,
  }),
};

export async function startImport(
  deps: Pick<ImportDeps, 'jobs' | 'files' | 'clock'>,
  input: { key: string },
): Promise<StartImportResult> {
  const ref = parseImportFileKey(input.key);
  if (!ref) return { jobId: '', outcome: 'ignored' };
  const job = await deps.jobs.get(ref.jobId);
  // A file nobody was granted a form for (only possible locally, or by hand): left alone.
  if (!job || job.kind !== ref.kind || job.fileKey !== input.key)
    return { jobId: ref.jobId, outcome: 'ignored' };
  if (job.status === 'RUNNING' && job.chunksKey)
    return { jobId: job.jobId, outcome: 'run', chunksKey: job.chunksKey };
  if (job.status !== 'WAITING_FOR_FILE' && job.status !== 'RUNNING')
    return { jobId: job.jobId, outcome: 'done' };

  const file = await deps.files.read(job.fileKey, MAX_JOB_FILE_BYTES);
  const at = deps.clock.now().toISOString();
  if (!file) {
    await saveJob(deps, job, { status: 'FAILED', failure: 'FILE_MISSING', finishedAt: at });
    return { jobId: job.jobId, outcome: 'done' };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes);
  } catch {
    // Spreadsheets save "CSV" in the local code page unless told otherwise: the names would be garbage.
    await saveJob(deps, job, { status: 'FAILED', sha256: file.sha256, failure: 'NOT_UTF8', finishedAt: at });
    return { jobId: job.jobId, outcome: 'done' };
  }
  const owner = await deps.jobs.claimFile(job.kind, file.sha256, job.jobId);
  if (owner !== job.jobId) {
    await saveJob(deps, job, {
      status: 'DUPLICATE_FILE',
      sha256: file.sha256,
      duplicateOf: owner,
      finishedAt: at,
    });
    return { jobId: job.jobId, outcome: 'done' };
  }

  const parsed = importSteps[ref.kind].parse(text);
  const headerRefused = parsed.numbered.length === 0 && parsed.rejected.some((r) => r.row === 1);
  if (headerRefused) {
    await deps.jobs.releaseFile(job.kind, file.sha256, job.jobId);
    await saveJob(deps, job, {
      status: 'FAILED',
      sha256: file.sha256,
      failure: parsed.rejected[0]?.reasons[0]?.code ?? 'FILE_EMPTY',
      ...(parsed.rejected[0] ? { failureReasons: parsed.rejected[0].reasons } : {}),
      finishedAt: at,
    });
    return { jobId: job.jobId, outcome: 'done' };
  }

  const chunks: ChunkRef[] = [];
  for (let i = 0; i < parsed.numbered.length; i += CHUNK_ROWS) {
    const rows = parsed.numbered.slice(i, i + CHUNK_ROWS);
    const key = chunkKey(job.kind, job.jobId, chunks.length);
    await deps.files.write(key, rows.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson');
    chunks.push({ key, firstRow: rows[0]?.row ?? 2, rows: rows.length });
  }
  const listKey = chunksListKey(job.kind, job.jobId);
  await deps.files.write(listKey, chunks.map((c) => JSON.stringify(c)).join('\n'), 'application/x-ndjson');
  const running = await saveJob(deps, job, {
    status: 'RUNNING',
    sha256: file.sha256,
    rows: parsed.numbered.length + parsed.rejected.length,
    startedAt: at,
    chunksKey: listKey,
  });
  // The rows the file check refused count as the job's first batch, under row 1.
  if (parsed.rejected.length > 0)
    await deps.jobs.recordBatch({
      jobId: running.jobId,
      firstRow: 1,
      rows: parsed.rejected.length,
      imported: 0,
      rejected: parsed.rejected,
    });
  if (chunks.length > 0) return { jobId: job.jobId, outcome: 'run', chunksKey: listKey };
  // Every row refused by the file check: nothing for the map to do, the job ends here.
  await finishImport(deps, { jobId: job.jobId });
  return { jobId: job.jobId, outcome: 'done' };
}

/** A batch of the map: `{ Items: chunk refs, BatchInput: { jobId } }`, as ItemBatcher delivers it. */
export const importBatchInputSchema = z.object({
  Items: z.array(chunkRefSchema).min(1),
  BatchInput: z.object({ jobId: z.string() }),
});
export type ImportBatchInput = z.infer<typeof importBatchInputSchema>;

export async function importChunks(
  deps: ImportDeps,
  input: ImportBatchInput,
): Promise<{ jobId: string; chunks: number; rows: number }> {
  const { jobId } = input.BatchInput;
  const job = await deps.jobs.get(jobId);
  if (!job) throw new Error(`job ${jobId} does not exist`);
  const kind = importKindSchema.safeParse(job.kind);
  if (!kind.success) throw new Error(`job ${jobId} does not import a file`);
  let rows = 0;
  for (const chunk of input.Items) {
    // Only this job's own chunks: a batch input is data, and data can be wrong.
    if (!chunk.key.startsWith(chunkPrefix(job.kind, job.jobId)))
      throw new Error(`chunk ${chunk.firstRow} is not one of job ${jobId}'s`);
    const file = await deps.files.read(chunk.key, MAX_JOB_FILE_BYTES);
    if (!file) throw new Error(`chunk from row ${chunk.firstRow} of job ${jobId} is missing`);
    const lines = new TextDecoder()
      .decode(file.bytes)
      .split('\n')
      .filter((line) => line !== '')
      .map((line): unknown => JSON.parse(line));
    const stored = await importSteps[kind.data].store(deps.roster, lines);
    await deps.jobs.recordBatch({
      jobId,
      firstRow: chunk.firstRow,
      rows: stored.rows,
      imported: stored.imported,
      rejected: stored.rejected,
    });
    rows += stored.rows;
  }
  return { jobId, chunks: input.Items.length, rows };
}

/**
 * Closes the job: SUCCEEDED (with an error report when rows were refused) once every row is
 * recorded, or FAILED (the map gave up first: `error`) with what was stored so far counted, and
 * the file free to import again.
 */
export async function finishImport(
  deps: Pick<ImportDeps, 'jobs' | 'files' | 'clock'>,
  input: { jobId: string; error?: string },
): Promise<{ jobId: string; status: BulkJob['status'] }> {
  const job = await deps.jobs.get(input.jobId);
  if (!job) throw new Error(`job ${input.jobId} does not exist`);
  if (job.status !== 'RUNNING') return { jobId: job.jobId, status: job.status };
  const batches = await deps.jobs.batches(job.jobId);
  const rejected: RowRejection[] = batches.flatMap((b) => b.rejected);
  const reportKey = errorReportKey(job.kind, job.jobId);
  if (rejected.length > 0)
    await deps.files.write(reportKey, errorReportCsv(rejected), 'text/csv; charset=utf-8');
  const processed = batches.reduce((sum, b) => sum + b.rows, 0);
  // The job is what its batches recorded: a map that gave up after another run of the same job
  // (a restarted stack) stored every chunk still leaves a whole job.
  const complete = processed >= (job.rows ?? 0);
  if (!complete && job.sha256) await deps.jobs.releaseFile(job.kind, job.sha256, job.jobId);
  const done = await saveJob(deps, job, {
    status: complete ? 'SUCCEEDED' : 'FAILED',
    finishedAt: deps.clock.now().toISOString(),
    ...(rejected.length > 0 ? { errorReportKey: reportKey } : {}),
    ...(complete ? {} : { failure: input.error ?? 'INCOMPLETE' }),
  });
  return { jobId: done.jobId, status: done.status };
}

/** A version-checked change of the job's own fields (the counts are the batches'). */
export async function saveJob(
  deps: Pick<ImportDeps, 'jobs'>,
  job: BulkJob,
  patch: Partial<BulkJob>,
): Promise<BulkJob> {
  let current = job;
  for (let attempt = 0; attempt < 5; attempt++) {
    const next: BulkJob = { ...current, ...patch, version: current.version + 1 };
    try {
      await deps.jobs.update(next, current.version);
      return next;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const fresh = await deps.jobs.get(job.jobId);
      if (!fresh) throw error;
      current = fresh;
    }
  }
  throw new ConflictError(`job ${job.jobId} kept changing`);
}

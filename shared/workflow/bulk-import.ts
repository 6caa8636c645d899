// The steps of a bulk import job. `startImport` checks the whole file (header, each row, rows
// that contradict each other within the file) and writes the good rows in chunks, reading the
// file as a stream twice (first the encoding, the sha256 and which keys repeat, then the rows),
// so a file of a million rows is never held whole; a data feed's rows are chunked by household
// (feed-chunks.ts). The workflow's Distributed Map hands chunk references (never the rows: they
// hold names and ID numbers) to `importChunks` in batches; `finishImport` writes the error report and closes the job. Every
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
  feedOfJob,
  errorReportKey,
  parseImportFileKey,
  importKindSchema,
  type BulkJob,
  type ChunkRef,
  type FeedChunking,
  type ImportKind,
  type JobFiles,
  type JobStore,
  type RowRejection,
} from '#shared/bulk-job.ts';
import { rosterColumns, rosterPeriodSchema, rosterRecordCheck, rosterSurvey } from '#shared/roster.ts';
import { storeRosterPeriods } from '#shared/roster-import.ts';
import { memberColumns, memberSchema, membersRecordCheck, membersSurvey } from '#shared/members.ts';
import { storeMembers } from '#shared/members-import.ts';
import { CsvRecordStream, FileCheck, type RecordCheck } from '#shared/csv-stream.ts';
import type { CsvRecord } from '#shared/csv-table.ts';
import {
  ConflictError,
  TransientError,
  type ClaimStore,
  type ClaimWorkflows,
  type Clock,
  type FeedStore,
  type IdSource,
  type RosterStore,
  type WarningStore,
} from '#shared/ports.ts';
import type { Policy } from '#shared/policy.ts';
import { bankColumns, bankRecordCheck, numberedBankRowSchema } from '#shared/bank-result.ts';
import { storeBankResults } from '#shared/bank-import.ts';
import { refreshBurdensAfterRosterChange } from '#shared/warnings.ts';
import { feedColumns, feedRecordCheck, feedSurvey, numberedFeedLineSchema } from '#shared/feed.ts';
import type { FeedKind } from '#shared/feed-record.ts';
import { feedImportDeps, inFlight, storeFeedLines } from '#shared/feed-import.ts';
import {
  openFeedClaims,
  openFeedDeps,
  openFeedGroups,
  type OpenedFeedClaim,
} from '#shared/workflow/open-feed-claims.ts';
import { FeedChunkWriter, removeFeedParts } from '#shared/workflow/feed-chunks.ts';

export interface ImportDeps {
  readonly jobs: JobStore;
  readonly files: JobFiles;
  readonly roster: RosterStore;
  readonly clock: Clock;
  /** The claims a bank result file changes, and a feed's counters and claims. */
  readonly claims?: ClaimStore;
  /** A data feed's stored records (only the feed kinds need them, and what follows). */
  readonly feeds?: FeedStore;
  /** Starts the assessment of the claims a feed opens. */
  readonly workflows?: ClaimWorkflows;
  readonly ids?: IdSource;
  /** The policies records are priced and covered by; the built-in ones unless given. */
  readonly policies?: readonly Policy[];
  /** The households' warning burdens, refreshed after a feed's batch. */
  readonly warnings?: WarningStore;
  /** How a feed's rows are cut in chunks; the sizes in bulk-job.ts unless given (tests). */
  readonly feedChunking?: FeedChunking;
}

export type StartOutcome = 'run' | 'done' | 'ignored';

export interface StartImportResult {
  readonly jobId: string;
  readonly outcome: StartOutcome;
  /** The chunk list the map reads (run only). */
  readonly chunksKey?: string;
}

/** What a kind's store step made of a chunk's rows. */
interface StoredBatch {
  imported: number;
  rejected: RowRejection[];
  outcomes?: Record<string, number>;
  /** A feed's groups left with pending records (see batchResultSchema). */
  pendingGroups?: string[];
  /** A feed's claims the batch opened. */
  opened?: OpenedFeedClaim[];
}

/** What differs between the kinds of file: how a file is checked, how checked rows are stored. */
interface KindSteps {
  readonly columnList: string;
  /** The first read's checks: the header, each row alone, and which keys repeat. */
  readonly survey: () => { check: RecordCheck<unknown>; finish: () => unknown };
  /** The second read's checks, remembering the keys the survey found repeated. */
  readonly check: (watch: unknown) => RecordCheck<{ row: number }>;
  /** Stores a chunk's lines (as the check wrote them, read back from JSON). */
  readonly store: (
    deps: ImportDeps,
    lines: readonly unknown[],
    job: BulkJob,
  ) => Promise<StoredBatch & { rows: number }>;
}

function kindSteps<T extends { row: number }, W>(steps: {
  columns: readonly string[];
  survey: () => RecordCheck<unknown> & { finish(): W };
  check: (watch: W) => RecordCheck<T>;
  rowSchema: z.ZodType<T>;
  store: (deps: ImportDeps, rows: readonly T[], job: BulkJob) => Promise<StoredBatch>;
}): KindSteps {
  return {
    columnList: steps.columns.join(','),
    survey: () => {
      const survey = steps.survey();
      return { check: survey, finish: () => survey.finish() };
    },
    check: (watch) => steps.check(watch as W),
    store: async (deps, lines, job) => {
      // A chunk is data the job wrote, read back: checked again all the same.
      const rows = lines.map((line) => steps.rowSchema.parse(line));
      return { rows: rows.length, ...(await steps.store(deps, rows, job)) };
    },
  };
}

const importSteps: Readonly<Record<ImportKind, KindSteps>> = {
  roster: kindSteps({
    columns: rosterColumns,
    survey: rosterSurvey,
    check: rosterRecordCheck,
    rowSchema: z.object({ row: z.number().int().min(2), period: rosterPeriodSchema }),
    store: async (deps, rows) => {
      const stored = await storeRosterPeriods(deps.roster, rows);
      // A household moved, handed over or with a new income: its warning follows the roster.
      if (deps.warnings && deps.claims && deps.feeds)
        await refreshBurdensAfterRosterChange(
          { ...deps, claims: deps.claims, feeds: deps.feeds, warnings: deps.warnings },
          stored.households,
        );
      return stored;
    },
  }),
  members: kindSteps({
    columns: memberColumns,
    survey: membersSurvey,
    check: membersRecordCheck,
    rowSchema: z.object({ row: z.number().int().min(2), member: memberSchema }),
    store: (deps, rows) => storeMembers(deps.roster, rows),
  }),
  'bank-result': kindSteps({
    columns: bankColumns,
    // A bank's file is a county's transfers of a month, not a million rows: checked whole twice.
    survey: () => Object.assign(bankRecordCheck(), { finish: () => undefined }),
    check: () => bankRecordCheck(),
    rowSchema: numberedBankRowSchema,
    store: (deps, rows, job) => {
      if (!deps.claims) throw new Error(`job ${job.jobId} needs the claims to apply a bank result`);
      return storeBankResults({ claims: deps.claims, roster: deps.roster, clock: deps.clock }, rows, job);
    },
  }),
  'medical-feed': feedSteps('medical'),
  'education-feed': feedSteps('education'),
};

function feedSteps(kind: FeedKind): KindSteps {
  return kindSteps({
    columns: feedColumns(kind),
    survey: () => feedSurvey(kind),
    check: (watch) => feedRecordCheck(kind, watch),
    rowSchema: numberedFeedLineSchema,
    store: async (deps, rows, job) => {
      const stored = await storeFeedLines(feedImportDeps(deps, job), rows, job);
      // Every record of a household is in this chunk (chunks go by household): its claim is
      // opened here, spread over the map, not all in the job's last step. Without the workflows
      // (a step run on its own) the last step opens them.
      if (!deps.workflows || !deps.ids || stored.pendingGroups.length === 0) return stored;
      const opened = await openFeedGroups(openFeedDeps(deps, job.jobId), job, stored.pendingGroups);
      return { ...stored, pendingGroups: [], opened };
    },
  });
}

/**
 * Reads a job file as CSV records, piece by piece, handing each piece's records to `visit`;
 * undefined when the file is missing. Past the first byte that is not UTF-8 no record is read,
 * but the bytes still are, for their sha256.
 */
async function readRecords(
  files: JobFiles,
  key: string,
  visit: (records: readonly CsvRecord[]) => void | Promise<void>,
): Promise<{ sha256: string; utf8: boolean } | undefined> {
  const stream = await files.stream(key, MAX_JOB_FILE_BYTES);
  if (!stream) return undefined;
  // A byte-order mark is dropped here (and a second one by the record reader, as before).
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const csv = new CsvRecordStream();
  let utf8 = true;
  for await (const piece of stream.chunks) {
    if (!utf8) continue;
    let text: string;
    try {
      text = decoder.decode(piece, { stream: true });
    } catch {
      utf8 = false;
      continue;
    }
    await visit(csv.push(text));
  }
  if (utf8) {
    let rest: string | undefined;
    try {
      rest = decoder.decode();
    } catch {
      utf8 = false;
    }
    if (rest !== undefined) {
      await visit(csv.push(rest));
      await visit(csv.end());
    }
  }
  return { sha256: stream.sha256(), utf8 };
}

/** What the start needs: a feed's also reads whose each ID number is (its chunks go by household). */
export type StartDeps = Pick<ImportDeps, 'jobs' | 'files' | 'clock'> &
  Partial<Pick<ImportDeps, 'roster' | 'feedChunking'>>;

export async function startImport(deps: StartDeps, input: { key: string }): Promise<StartImportResult> {
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

  const steps = importSteps[ref.kind];
  // First read: the encoding, the sha256, the header, and which keys repeat (a few bytes a row).
  const survey = steps.survey();
  const surveyed = new FileCheck(survey.check, steps.columnList);
  let surveyedRows = 0;
  const file = await readRecords(deps.files, job.fileKey, (records) => {
    for (const record of records) if (surveyed.record(record)) surveyedRows++;
  });
  const at = deps.clock.now().toISOString();
  if (!file) {
    await saveJob(deps, job, { status: 'FAILED', failure: 'FILE_MISSING', finishedAt: at });
    return { jobId: job.jobId, outcome: 'done' };
  }
  if (!file.utf8) {
    // Spreadsheets save "CSV" in the local code page unless told otherwise: the names would be garbage.
    await saveJob(deps, job, { status: 'FAILED', sha256: file.sha256, failure: 'NOT_UTF8', finishedAt: at });
    await forgetFeedFile(deps.files, job);
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
    await forgetFeedFile(deps.files, job);
    return { jobId: job.jobId, outcome: 'done' };
  }

  const refusal = surveyed.refusal();
  if (refusal?.row === 1) {
    await deps.jobs.releaseFile(job.kind, file.sha256, job.jobId);
    await saveJob(deps, job, {
      status: 'FAILED',
      sha256: file.sha256,
      failure: refusal.reasons[0]?.code ?? 'FILE_EMPTY',
      failureReasons: refusal.reasons,
      finishedAt: at,
    });
    await forgetFeedFile(deps.files, job);
    return { jobId: job.jobId, outcome: 'done' };
  }

  // Second read: every row checked, the good ones written in chunks as they come, the refused
  // ones recorded in groups of bounded size as they come.
  const chunks: ChunkRef[] = [];
  let refused: RowRejection[] = refusal ? [refusal] : [];
  let refusedChars = 0;
  let refusedGroups = 0;
  const recordRefused = async () => {
    if (refused.length === 0) return;
    // The first group is the job's batch under row 1; later ones go under their first row, never
    // a chunk's (a chunk starts with a good row). The same file always makes the same groups.
    await deps.jobs.recordBatch({
      jobId: job.jobId,
      firstRow: refusedGroups === 0 ? 1 : (refused[0]?.row ?? 1),
      rows: refused.length,
      imported: 0,
      rejected: refused,
    });
    refusedGroups++;
    refused = [];
    refusedChars = 0;
  };
  let rows = refusal ? 1 : 0;
  let chunkGrid: BulkJob['chunkGrid'];
  let staleParts = false;
  if (!refusal) {
    const checked = new FileCheck(steps.check(survey.finish()), steps.columnList);
    const byHousehold = feedOfJob(job.kind) ? feedChunkWriter(deps, job, surveyedRows) : undefined;
    chunkGrid = byHousehold?.chunkGrid;
    // Noted before any part is written: a start that finds it noted was cut off while writing,
    // and what it wrote may lie outside the list this one writes (the job's end sweeps the grid).
    if (chunkGrid && job.chunkGrid) {
      staleParts = true;
      // A file replaced between the starts has another grid: the sweep covers both.
      const noted = job.chunkGrid;
      chunkGrid = {
        segments: Math.max(chunkGrid.segments, noted.segments),
        buckets: Math.max(chunkGrid.buckets, noted.buckets),
      };
      if (chunkGrid.segments !== noted.segments || chunkGrid.buckets !== noted.buckets)
        await saveJob(deps, job, { chunkGrid });
    } else if (chunkGrid) await saveJob(deps, job, { chunkGrid });
    let pending: { row: number }[] = [];
    const writeChunk = async () => {
      const key = chunkKey(job.kind, job.jobId, chunks.length);
      await deps.files.write(key, pending.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson');
      chunks.push({ key, firstRow: pending[0]?.row ?? 2, rows: pending.length });
      pending = [];
    };
    const again = await readRecords(deps.files, job.fileKey, async (records) => {
      for (const record of records) {
        const outcome = checked.record(record);
        if (!outcome) continue;
        rows++;
        if ('reasons' in outcome) {
          refused.push(outcome);
          // A batch result is one table item (400 KB at most).
          refusedChars += JSON.stringify(outcome).length;
          if (refused.length >= MAX_REFUSED_PER_BATCH || refusedChars >= 100_000) await recordRefused();
        } else if (byHousehold) {
          const value = outcome.value;
          await byHousehold.add(value.row, personOf(value), JSON.stringify(value));
        } else {
          pending.push(outcome.value);
          if (pending.length === CHUNK_ROWS) await writeChunk();
        }
      }
    });
    // Both reads must have seen the same bytes (a file replaced meanwhile is read again from the start).
    if (again?.sha256 !== file.sha256)
      throw new TransientError(`the file of job ${job.jobId} changed while read`);
    if (pending.length > 0) await writeChunk();
    if (byHousehold) chunks.push(...(await byHousehold.finish()));
  }
  const listKey = chunksListKey(job.kind, job.jobId);
  await deps.files.write(listKey, chunks.map((c) => JSON.stringify(c)).join('\n'), 'application/x-ndjson');
  await saveJob(deps, job, {
    status: 'RUNNING',
    sha256: file.sha256,
    rows,
    startedAt: at,
    chunksKey: listKey,
    ...(chunkGrid ? { chunkGrid } : {}),
    ...(staleParts ? { staleParts } : {}),
  });
  await recordRefused();
  if (chunks.length > 0) return { jobId: job.jobId, outcome: 'run', chunksKey: listKey };
  // Every row refused by the file check: nothing for the map to do, the job ends here.
  await finishImport(deps, { jobId: job.jobId });
  return { jobId: job.jobId, outcome: 'done' };
}

function feedChunkWriter(deps: StartDeps, job: BulkJob, rows: number): FeedChunkWriter {
  const { roster } = deps;
  if (!roster) throw new Error(`job ${job.jobId} needs the roster to cut its feed by household`);
  return new FeedChunkWriter(deps.files, (ids) => roster.holders(ids), job, rows, deps.feedChunking);
}

/** A feed row's person, as its check wrote the row. */
function personOf(value: { row: number }): string {
  const line = 'line' in value ? value.line : undefined;
  const idNumber = typeof line === 'object' && line && 'idNumber' in line ? line.idNumber : undefined;
  if (typeof idNumber !== 'string') throw new Error(`feed row ${value.row} has no ID number`);
  return idNumber;
}

/** Refused rows recorded together at most (their reasons, as codes, fit one table item). */
const MAX_REFUSED_PER_BATCH = 1000;

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
    const lines: unknown[] = [];
    const keys = [chunk.key, ...(chunk.more ?? [])];
    if (new Set(keys).size !== keys.length) throw new Error(`chunk ${chunk.firstRow} names a part twice`);
    for (const key of keys) {
      // Only this job's own chunks: a batch input is data, and data can be wrong.
      if (!key.startsWith(chunkPrefix(job.kind, job.jobId)))
        throw new Error(`chunk ${chunk.firstRow} is not one of job ${jobId}'s`);
      const file = await deps.files.read(key, MAX_JOB_FILE_BYTES);
      if (!file) throw new Error(`chunk from row ${chunk.firstRow} of job ${jobId} is missing`);
      for (const line of new TextDecoder().decode(file.bytes).split('\n'))
        if (line !== '') lines.push(JSON.parse(line));
    }
    const stored = await importSteps[kind.data].store(deps, lines, job);
    await deps.jobs.recordBatch({
      jobId,
      firstRow: chunk.firstRow,
      rows: stored.rows,
      imported: stored.imported,
      rejected: stored.rejected,
      ...(stored.outcomes ? { outcomes: stored.outcomes } : {}),
      ...(stored.pendingGroups ? { pendingGroups: stored.pendingGroups } : {}),
      ...(stored.opened ? { opened: stored.opened } : {}),
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
  deps: FinishDeps,
  input: { jobId: string; error?: string },
): Promise<{ jobId: string; status: BulkJob['status'] }> {
  const job = await deps.jobs.get(input.jobId);
  if (!job) throw new Error(`job ${input.jobId} does not exist`);
  if (job.status !== 'RUNNING') return { jobId: job.jobId, status: job.status };
  const batches = await deps.jobs.batches(job.jobId);
  // In row order: a feed's chunks hold rows by household, not by place in the file.
  const rejected: RowRejection[] = batches.flatMap((b) => b.rejected).sort((a, b) => a.row - b.row);
  const reportKey = errorReportKey(job.kind, job.jobId);
  if (rejected.length > 0)
    await deps.files.write(reportKey, errorReportCsv(rejected), 'text/csv; charset=utf-8');
  const processed = batches.reduce((sum, b) => sum + b.rows, 0);
  // The job is what its batches recorded: a map that gave up after another run of the same job
  // (a restarted stack) stored every chunk still leaves a whole job.
  const complete = processed >= (job.rows ?? 0);
  // A feed's records left pending become claims before the job closes, the job's list of them
  // kept. A job the map gave up on opens claims for what it stored all the same: those records
  // are stored, and the same file again would find them stored (repeated) and open nothing.
  const opened = !feedOfJob(job.kind)
    ? undefined
    : batches.some((b) => (b.pendingGroups ?? []).length > 0 || (b.opened ?? []).length > 0)
      ? await openFeedClaims(openFeedDeps(deps, job.jobId), job, batches)
      : { claimsOpened: 0 };
  if (!complete && job.sha256) await deps.jobs.releaseFile(job.kind, job.sha256, job.jobId);
  // Before the job closes, so a finish cut off here removes them when it runs again.
  await forgetFeedFile(deps.files, job);
  const done = await saveJob(deps, job, {
    ...(opened ?? {}),
    status: complete ? 'SUCCEEDED' : 'FAILED',
    finishedAt: deps.clock.now().toISOString(),
    ...(rejected.length > 0 ? { errorReportKey: reportKey } : {}),
    ...(complete ? {} : { failure: input.error ?? 'INCOMPLETE' }),
  });
  return { jobId: done.jobId, status: done.status };
}

/**
 * A department's file names and identifies people who are on no household: once its records are
 * stored (nothing personal in them), the file and its checked chunks are removed. Roster, member
 * and bank files stay: they are the county's own records of its households.
 */
async function forgetFeedFile(files: JobFiles, job: BulkJob): Promise<void> {
  if (!feedOfJob(job.kind)) return;
  if (job.chunksKey) {
    const list = await files.read(job.chunksKey, MAX_JOB_FILE_BYTES);
    const keys = list
      ? new TextDecoder()
          .decode(list.bytes)
          .split('\n')
          .filter((line) => line !== '')
          .flatMap((line) => {
            const chunk = chunkRefSchema.parse(JSON.parse(line));
            return [chunk.key, ...(chunk.more ?? [])];
          })
      : [];
    await inFlight(keys, 8, (key) => files.remove(key));
    // What an interrupted start wrote and the next one did not (the households it found moved).
    if (job.chunkGrid && job.staleParts) await removeFeedParts(files, job, job.chunkGrid);
    await files.remove(job.chunksKey);
  }
  await files.remove(job.fileKey);
}

/** What the last step needs: a feed job's also opens claims. */
export type FinishDeps = Pick<ImportDeps, 'jobs' | 'files' | 'clock'> &
  Partial<Pick<ImportDeps, 'roster' | 'feeds' | 'claims' | 'workflows' | 'ids'>>;

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

// Bulk file jobs through the API: ask for a job (and its upload form), then watch it. Which role
// may start which kind is data here; the job's file key is the API's, never a person's file name.
import * as z from 'zod';
import type { Principal, Role } from '#shared/access.ts';
import {
  MAX_JOB_FILE_BYTES,
  feedOfJob,
  newJob,
  jobIdSchema,
  importKindSchema,
  jobProgress,
  type BulkJob,
  type ImportKind,
  type JobFiles,
  type JobKind,
  type JobStore,
  type RowRejection,
} from '#shared/bulk-job.ts';
import { feedKindSchema } from '#shared/feed-record.ts';
import { ForbiddenError, InvalidInputError, NotFoundError } from '#shared/errors.ts';
import type { Clock, IdSource, UploadGrant, UploadSigner } from '#shared/ports.ts';

/** Who may start and watch each kind of job. */
export const jobRoles: Readonly<Record<JobKind, readonly Role[]>> = {
  roster: ['admin'],
  members: ['admin'],
  // The bank's answer to finance's transfers: it moves claims to DISBURSED or DISBURSEMENT_FAILED.
  'bank-result': ['finance', 'admin'],
  'ledger-export': ['finance'],
  // The departments' records (医保, 学费): matched to households, they may open claims.
  'medical-feed': ['admin', 'insurer'],
  'education-feed': ['admin', 'insurer'],
};

/** The upload form lives as long as a claim's: minutes. */
const JOB_UPLOAD_SECONDS = 10 * 60;
/** A finished job's error report link. */
const REPORT_LINK_SECONDS = 10 * 60;

export interface ImportApiDeps {
  readonly jobs: JobStore;
  readonly uploads: UploadSigner;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Reads what a finished feed job wrote (the claims it opened); absent, the list is left out. */
  readonly files?: JobFiles;
}

/** One claim a feed job opened, as the job's list of them holds it (one JSON object a line). */
export const openedClaimSchema = z.object({
  claimId: z.string(),
  householdId: z.string(),
  category: feedKindSchema,
});
export type OpenedClaim = z.infer<typeof openedClaimSchema>;

/** The list holds ids only; a county's feed opening many thousands of claims stays far below this. */
const OPENED_LIST_MAX_BYTES = 32 * 1024 * 1024;

export const createImportBodySchema = z.object({ kind: importKindSchema }).strict();

function mayRun(principal: Principal, kind: ImportKind): boolean {
  return principal.roles.some((r) => jobRoles[kind].includes(r));
}

export async function createImport(
  deps: ImportApiDeps,
  principal: Principal,
  body: unknown,
): Promise<{ job: JobView; upload: UploadGrant }> {
  const parsed = createImportBodySchema.safeParse(body);
  if (!parsed.success)
    throw new InvalidInputError('BAD_REQUEST', `kind must be one of ${importKindSchema.options.join(', ')}`);
  const { kind } = parsed.data;
  if (!mayRun(principal, kind))
    throw new ForbiddenError('FORBIDDEN', `a ${kind} file is imported by ${jobRoles[kind].join(' or ')}`);
  const job = newJob(kind, deps.ids.next(), principal.username, deps.clock.now().toISOString());
  await deps.jobs.create(job);
  const upload = await deps.uploads.grant(job.fileKey, 'text/csv', MAX_JOB_FILE_BYTES, JOB_UPLOAD_SECONDS);
  return { job: await jobView(deps, job), upload };
}

export async function getImport(deps: ImportApiDeps, principal: Principal, jobId: string): Promise<JobView> {
  const id = jobIdSchema.safeParse(jobId);
  const job = id.success ? await deps.jobs.get(id.data) : undefined;
  // Someone who may not run the kind learns nothing, not even that the job exists.
  const kind = importKindSchema.safeParse(job?.kind);
  if (!job || !kind.success || !mayRun(principal, kind.data))
    throw new NotFoundError('NOT_FOUND', 'no such job');
  const view = await jobView(deps, job);
  // A data feed's view adds its outcomes and the claims it opened.
  const feed = feedOfJob(job.kind) !== undefined;
  const withOutcomes = job.kind === 'bank-result' || feed;
  if (job.status !== 'SUCCEEDED' || (job.rejected === 0 && !withOutcomes)) return view;
  const batches = await deps.jobs.batches(job.jobId);
  const outcomes: Record<string, number> = {};
  for (const b of batches)
    for (const [name, n] of Object.entries(b.outcomes ?? {})) outcomes[name] = (outcomes[name] ?? 0) + n;
  const rejectedRows = batches
    .flatMap((b) => b.rejected)
    .sort((a, b) => a.row - b.row)
    .slice(0, JOB_VIEW_REJECTED_ROWS);
  return {
    ...view,
    ...(job.rejected > 0 ? { rejectedRows } : {}),
    ...(withOutcomes ? { outcomes } : {}),
    ...(feed ? { claimsOpened: await openedClaims(deps, job) } : {}),
  };
}

/**
 * The claims a finished feed job opened: the list it wrote (`openedKey`), read whole; none when
 * it opened none. A list that cannot be read fails the request: a shorter one would mislead.
 */
async function openedClaims(deps: ImportApiDeps, job: BulkJob): Promise<OpenedClaim[]> {
  if (!job.openedKey || job.claimsOpened === 0 || !deps.files) return [];
  const file = await deps.files.read(job.openedKey, OPENED_LIST_MAX_BYTES);
  if (!file) throw new Error(`job ${job.jobId}: its list of opened claims is missing`);
  return new TextDecoder()
    .decode(file.bytes)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => openedClaimSchema.parse(JSON.parse(line)));
}

export async function listImports(
  deps: ImportApiDeps,
  principal: Principal,
  kind: string | undefined,
): Promise<{ items: JobView[] }> {
  const parsed = importKindSchema.safeParse(kind);
  if (!parsed.success)
    throw new InvalidInputError('BAD_REQUEST', `kind must be one of ${importKindSchema.options.join(', ')}`);
  if (!mayRun(principal, parsed.data))
    throw new ForbiddenError(
      'FORBIDDEN',
      `a ${parsed.data} file is imported by ${jobRoles[parsed.data].join(' or ')}`,
    );
  const jobs = await deps.jobs.recent(parsed.data, 20);
  return { items: await Promise.all(jobs.map((j) => jobView(deps, j))) };
}

export interface JobView {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly status: BulkJob['status'];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly rows?: number;
  readonly processed: number;
  readonly imported: number;
  readonly rejected: number;
  /** 0..1; absent until the file has been read. */
  readonly progress?: number;
  /** Why the job FAILED, a code; `failureReasons` says it in full for a refused file. */
  readonly failure?: string;
  readonly failureReasons?: BulkJob['failureReasons'];
  readonly duplicateOf?: string;
  /** A short-lived link to the error report (CSV), once the job has finished with rejected rows. */
  readonly errorReportUrl?: string;
  /** The first refused rows (in row order) of a finished job, for a page to show; the report has all. */
  readonly rejectedRows?: readonly RowRejection[];
  /**
   * What a finished job's imported rows did, by outcome (a bank result file: disbursed, failed; a
   * data feed: records, matched, unmatched, notCovered, repeated, corrected, counted, pending).
   */
  readonly outcomes?: Readonly<Record<string, number>>;
  /** The claims a finished data-feed job opened, every one (ids only). */
  readonly claimsOpened?: readonly OpenedClaim[];
}

/** How many refused rows a job view carries; the error report holds every one. */
export const JOB_VIEW_REJECTED_ROWS = 1000;

export async function jobView(deps: Pick<ImportApiDeps, 'uploads'>, job: BulkJob): Promise<JobView> {
  const progress = jobProgress(job);
  return {
    jobId: job.jobId,
    kind: job.kind,
    status: job.status,
    createdBy: job.createdBy,
    createdAt: job.createdAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    ...(job.rows !== undefined ? { rows: job.rows } : {}),
    processed: job.processed,
    imported: job.imported,
    rejected: job.rejected,
    ...(progress !== undefined ? { progress } : {}),
    ...(job.failure ? { failure: job.failure } : {}),
    ...(job.failureReasons ? { failureReasons: job.failureReasons } : {}),
    ...(job.duplicateOf ? { duplicateOf: job.duplicateOf } : {}),
    ...(job.errorReportKey
      ? { errorReportUrl: await deps.uploads.viewUrl(job.errorReportKey, REPORT_LINK_SECONDS) }
      : {}),
  };
}

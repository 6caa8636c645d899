// Ledger exports of any size as jobs: ask for one (the period, region, format and language), get
// a job at once, follow its progress, and take the link when it is done. The file is written by
// the export-ledger workflow, never inside the request, so a province's year is as good as a
// village's month.
import type { Principal } from '#shared/access.ts';
import { jobIdSchema, type BulkJob, type JobStore } from '#shared/bulk-job.ts';
import { ForbiddenError, InvalidInputError, NotFoundError } from '#shared/errors.ts';
import type { Clock, ExportStore, IdSource } from '#shared/ports.ts';
import { EXPORT_LINK_SECONDS, exportContentTypes, exportOptionsSchema } from '#shared/api/ledger-export.ts';
import { ledgerQuerySchema } from '#shared/api/ledger-api.ts';
import { builtInPolicies, type Policy } from '#shared/policy.ts';

/** Where ledger exports are written in the receipts bucket (kept a day, then expired). */
export const EXPORTS_PREFIX = 'exports/';

/** Starts the workflow that writes an export job's file (once per job, however often asked). */
export interface ExportWorkflows {
  startExport(jobId: string): Promise<void>;
}

export interface ExportJobDeps {
  readonly jobs: JobStore;
  readonly exports: ExportStore;
  readonly exportRuns: ExportWorkflows;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** The policies that name regions; the built-in ones unless given. */
  readonly policies?: readonly Policy[];
}

export interface ExportJobView {
  readonly jobId: string;
  readonly status: BulkJob['status'];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly query: Readonly<Record<string, string>>;
  /** Rows written so far; the whole count once done. */
  readonly processed: number;
  readonly name: string;
  /** Once done: the payouts in the file and their sum in fen, the control total. */
  readonly count?: number;
  readonly totalFen?: number;
  readonly bytes?: number;
  /** Once done: a short-lived link to the file. */
  readonly url?: string;
  readonly expiresAt?: string;
  readonly failure?: string;
}

function mayExport(principal: Principal): boolean {
  return principal.roles.includes('finance');
}

function fileName(query: Readonly<Record<string, string>>): string {
  return `ledger-${query.from}-${query.to}.${query.format}`;
}

export async function createLedgerExport(
  deps: ExportJobDeps,
  principal: Principal,
  body: unknown,
): Promise<ExportJobView> {
  if (!mayExport(principal)) throw new ForbiddenError('FORBIDDEN', 'the ledger is exported by finance');
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const { format, lang, ...rest } = raw;
  const filter = ledgerQuerySchema.safeParse(rest);
  const options = exportOptionsSchema.safeParse({ format, lang });
  if (!filter.success || !options.success)
    throw new InvalidInputError(
      'BAD_REQUEST',
      'from and to (ISO dates, at most a year), format csv|xlsx, lang zh|en',
    );
  // Every payout was priced by a policy of its region: a region no policy names (a typo, a name
  // typed for the code) could only give an empty file that looks like a month without payouts.
  const region = filter.data.region;
  if (region && !(deps.policies ?? builtInPolicies).some((p) => p.region === region))
    throw new InvalidInputError('BAD_REQUEST', 'region: no policy names this region code', {
      params: { field: 'region' },
    });
  const query: Record<string, string> = {
    from: filter.data.from,
    to: filter.data.to,
    ...(filter.data.region ? { region: filter.data.region } : {}),
    ...(filter.data.category ? { category: filter.data.category } : {}),
    format: options.data.format,
    lang: options.data.lang,
  };
  const jobId = deps.ids.next();
  const now = deps.clock.now().toISOString();
  const job: BulkJob = {
    jobId,
    kind: 'ledger-export',
    createdBy: principal.username,
    createdAt: now,
    startedAt: now,
    fileKey: `${EXPORTS_PREFIX}jobs/${jobId}/${fileName(query)}`,
    status: 'RUNNING',
    exportQuery: query,
    processed: 0,
    imported: 0,
    rejected: 0,
    version: 0,
  };
  await deps.jobs.create(job);
  await deps.exportRuns.startExport(jobId);
  return view(deps, job);
}

export async function getLedgerExport(
  deps: Pick<ExportJobDeps, 'jobs' | 'exports'>,
  principal: Principal,
  jobId: string,
): Promise<ExportJobView> {
  const id = jobIdSchema.safeParse(jobId);
  const job = id.success && mayExport(principal) ? await deps.jobs.get(id.data) : undefined;
  if (!job || job.kind !== 'ledger-export' || !job.exportQuery)
    throw new NotFoundError('NOT_FOUND', 'no such export');
  return view(deps, job);
}

async function view(deps: Pick<ExportJobDeps, 'exports'>, job: BulkJob): Promise<ExportJobView> {
  const query = job.exportQuery ?? {};
  const name = fileName(query);
  const format = query.format === 'xlsx' ? 'xlsx' : 'csv';
  const link =
    job.status === 'SUCCEEDED'
      ? await deps.exports.link(
          job.fileKey,
          { name, contentType: exportContentTypes[format] },
          EXPORT_LINK_SECONDS,
        )
      : undefined;
  return {
    jobId: job.jobId,
    status: job.status,
    createdBy: job.createdBy,
    createdAt: job.createdAt,
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    query,
    processed: job.processed,
    name,
    ...(job.status === 'SUCCEEDED'
      ? { count: job.rows ?? 0, totalFen: job.totalFen ?? 0, bytes: job.bytes ?? 0 }
      : {}),
    ...(link ?? {}),
    ...(job.failure ? { failure: job.failure } : {}),
  };
}

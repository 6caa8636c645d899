// The ledger export as a job: the API records what was asked and starts the export-ledger
// workflow, whose one step writes the file as the ledger is read (any size: a county's year or a
// province's) and closes the job with the control total. Progress is recorded as the rows go by,
// each stretch of rows once, so a step run again (a retry) never counts a row twice.
import * as z from 'zod';
import { jobIdSchema, type BulkJob, type JobStore } from '#shared/bulk-job.ts';
import {
  EXPORT_PROGRESS_ROWS,
  exportLedger,
  type LedgerExportDeps,
  type XlsxWriter,
} from '#shared/api/ledger-export.ts';
import { saveJob } from '#shared/workflow/bulk-import.ts';
import type { Clock } from '#shared/ports.ts';

export interface WriteExportDeps extends LedgerExportDeps {
  readonly jobs: JobStore;
  readonly clock: Clock;
}

/** The workflow's input: the job, and after a failed write the error that ends it. */
export const writeExportInputSchema = z.object({
  jobId: jobIdSchema,
  error: z.string().max(200).optional(),
});
export type WriteExportInput = z.infer<typeof writeExportInputSchema>;

export async function writeExport(
  deps: WriteExportDeps,
  input: WriteExportInput,
  xlsx: XlsxWriter,
): Promise<{ jobId: string; status: BulkJob['status'] }> {
  const job = await deps.jobs.get(input.jobId);
  if (!job || job.kind !== 'ledger-export' || !job.exportQuery)
    throw new Error(`job ${input.jobId} is not a ledger export`);
  if (job.status !== 'RUNNING') return { jobId: job.jobId, status: job.status };
  if (input.error !== undefined) {
    const failed = await saveJob(deps, job, {
      status: 'FAILED',
      failure: 'EXPORT_FAILED',
      finishedAt: deps.clock.now().toISOString(),
    });
    return { jobId: failed.jobId, status: failed.status };
  }
  const progress = (count: number) =>
    deps.jobs
      .recordBatch({
        jobId: job.jobId,
        firstRow: count - EXPORT_PROGRESS_ROWS + 1,
        rows: EXPORT_PROGRESS_ROWS,
        imported: EXPORT_PROGRESS_ROWS,
        rejected: [],
      })
      .then(() => undefined);
  const result = await exportLedger(deps, job.exportQuery, xlsx, { key: job.fileKey, onProgress: progress });
  const rest = result.count % EXPORT_PROGRESS_ROWS;
  if (rest > 0)
    await deps.jobs.recordBatch({
      jobId: job.jobId,
      firstRow: result.count - rest + 1,
      rows: rest,
      imported: rest,
      rejected: [],
    });
  const done = await saveJob(deps, job, {
    status: 'SUCCEEDED',
    rows: result.count,
    totalFen: result.totalFen,
    bytes: result.bytes,
    finishedAt: deps.clock.now().toISOString(),
  });
  return { jobId: done.jobId, status: done.status };
}

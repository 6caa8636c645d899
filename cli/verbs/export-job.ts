// A ledger export from the CLI, whatever its size: ask the API for an export job, follow it (rows
// written so far on a terminal), then download the finished file and check it arrived whole.
import type { ApiClient } from '#cli/api-client.ts';
import { CliError, type CliIo } from '#cli/claims.ts';
import type { ExportJobView } from '#shared/api/export-jobs-api.ts';

const FINISHED = new Set(['SUCCEEDED', 'FAILED']);

export interface ExportOutcome {
  readonly job: ExportJobView;
  readonly bytes: Buffer;
}

export async function runExportJob(
  api: ApiClient,
  request: Readonly<Record<string, string>>,
  io: CliIo,
  options: { readonly progress: boolean; readonly pollMs?: number; readonly timeoutMs?: number },
): Promise<ExportOutcome> {
  let job = (await api.request('POST', '/ledger/exports', request)) as ExportJobView;
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60 * 1000);
  let shown = -1;
  while (!FINISHED.has(job.status)) {
    if (Date.now() > deadline)
      throw new CliError(`export ${job.jobId} is still running; follow it in the web app`);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 300));
    job = (await api.request('GET', `/ledger/exports/${job.jobId}`)) as ExportJobView;
    if (options.progress && job.processed !== shown) {
      shown = job.processed;
      process.stderr.write(`\r ${job.processed.toLocaleString('en-US')} rows written`);
    }
  }
  if (options.progress && shown >= 0) process.stderr.write('\n');
  if (job.status === 'FAILED' || !job.url)
    throw new CliError(`export ${job.jobId} failed: ${job.failure ?? 'unknown reason'}`);
  const file = await fetch(job.url);
  if (!file.ok) throw new CliError(`export download failed: HTTP ${file.status}`);
  const bytes = Buffer.from(await file.arrayBuffer());
  if (bytes.length !== job.bytes)
    throw new CliError(`export download was cut short: ${bytes.length} of ${job.bytes ?? 0} bytes`);
  io.err(`export ${job.jobId}: ${job.status}`);
  return { job, bytes };
}

// Bulk files from the CLI, whatever their size: ask the API for a job, upload the file with the
// job's form, follow the job (a progress bar on a terminal), then print what the job did. The
// rows refused come from the job's error report, so a file with 100,000 bad rows prints them all.
import { SingleBar } from 'cli-progress';
import type { ApiClient } from '#cli/api-client.ts';
import { CliError, type CliIo } from '#cli/claims.ts';
import { parseErrorReport, type ReportRow } from '#shared/error-report.ts';
import { renderMessages, type Message } from '#shared/messages/render.ts';
import type { Lang } from '#shared/vocabulary.ts';

interface UploadForm {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly maxBytes: number;
  readonly contentType: string;
}

export interface JobView {
  readonly jobId: string;
  readonly status: 'WAITING_FOR_FILE' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'DUPLICATE_FILE';
  readonly rows?: number;
  readonly processed: number;
  readonly imported: number;
  readonly rejected: number;
  readonly failure?: string;
  readonly failureReasons?: readonly Message[];
  readonly duplicateOf?: string;
  readonly errorReportUrl?: string;
}

export interface JobOutcome {
  readonly job: JobView;
  /** The refused rows as the error report has them: codes, and the reasons in zh and en. */
  readonly rejected: ReportRow[];
}

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'DUPLICATE_FILE']);

export interface RunJobOptions {
  /** Show a progress bar (stderr is a terminal and no --json). */
  readonly progress: boolean;
  readonly pollMs?: number;
  /** Give up waiting after this long (the job carries on; its id is printed). */
  readonly timeoutMs?: number;
  /** Told the rows done after every poll (the benchmark logs them). */
  readonly onProgress?: (processed: number, rows: number | undefined) => void;
  /** The language a refused file's reason is written in; Chinese unless told. */
  readonly lang?: Lang;
}

export async function runImportJob(
  api: ApiClient,
  kind: string,
  /** The file: its bytes, or a Blob (`fs.openAsBlob`, so a large file is never read into memory). */
  bytes: Uint8Array | Blob,
  io: CliIo,
  options: RunJobOptions,
): Promise<JobOutcome> {
  const created = (await api.request('POST', '/imports', { kind })) as { job: JobView; upload: UploadForm };
  if ((bytes instanceof Blob ? bytes.size : bytes.length) > created.upload.maxBytes)
    throw new CliError(`the file is larger than ${Math.floor(created.upload.maxBytes / 1024 / 1024)} MB`);
  const form = new FormData();
  for (const [k, v] of Object.entries(created.upload.fields)) form.append(k, v);
  form.append(
    'file',
    new Blob([bytes instanceof Blob ? bytes : (bytes as Uint8Array<ArrayBuffer>)], {
      type: created.upload.contentType,
    }),
    'file.csv',
  );
  let uploaded: Response;
  try {
    uploaded = await fetch(created.upload.url, { method: 'POST', body: form });
  } catch {
    throw new CliError(`cannot reach the file store at ${created.upload.url}`);
  }
  if (!uploaded.ok) throw new CliError(`upload of the file failed: HTTP ${uploaded.status}`);

  const bar = options.progress
    ? new SingleBar({
        format: ' {bar} {percentage}% | {value}/{total} rows | {status}',
        stream: process.stderr,
        hideCursor: true,
      })
    : undefined;
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60 * 1000);
  let job = created.job;
  let started = false;
  try {
    while (!FINISHED.has(job.status)) {
      if (Date.now() > deadline)
        throw new CliError(`job ${job.jobId} is still ${job.status}; follow it in the web app`);
      await new Promise((r) => setTimeout(r, options.pollMs ?? 300));
      job = await pollJob(api, job.jobId, options.pollMs ?? 300);
      options.onProgress?.(job.processed, job.rows);
      if (bar && job.rows !== undefined) {
        if (!started) bar.start(job.rows, 0, { status: job.status });
        started = true;
        bar.update(job.processed, { status: job.status });
      }
    }
  } finally {
    bar?.stop();
  }
  if (job.status === 'FAILED') {
    const why = job.failureReasons
      ? renderMessages(job.failureReasons, options.lang ?? 'zh')
      : (job.failure ?? 'UNKNOWN');
    throw new CliError(`job ${job.jobId} failed: ${why}`);
  }
  io.err(`job ${job.jobId}: ${job.status}`);
  return { job, rejected: job.errorReportUrl ? await readErrorReport(job.errorReportUrl) : [] };
}

/** The job as the API has it now; a lost connection (a busy machine) is tried again a few times. */
async function pollJob(api: ApiClient, jobId: string, pollMs: number): Promise<JobView> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await api.request('GET', `/imports/${jobId}`)) as JobView;
    } catch (error) {
      if (!(error instanceof CliError) || !error.message.startsWith('cannot reach') || attempt >= 5)
        throw error;
      await new Promise((r) => setTimeout(r, pollMs * attempt));
    }
  }
}

/** Reads the job's error report (`row,reason`, UTF-8 with BOM, CRLF) back into rows and reasons. */
export async function readErrorReport(url: string): Promise<ReportRow[]> {
  const response = await fetch(url);
  if (!response.ok) throw new CliError(`cannot read the error report: HTTP ${response.status}`);
  return parseErrorReport(await response.text());
}

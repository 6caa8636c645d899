// A bulk file run as a job, for every upload page (roster, members, the bank's result file): the
// file is posted to the job's upload form, the job followed until it ends (a progress bar), and a
// job that failed told in words. The page keeps its own words and its own result.
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { decodeCsv, saveBlob } from '../download.ts';
import { messageText, t } from '../i18n.ts';
import { isMessageCode } from '#shared/messages/render.ts';
import { errorReportCsv, type RowRejection } from '#shared/error-report.ts';
import type { JobView } from '../types.ts';
import { errorMessage } from '../components.tsx';
import { postToS3 } from '../upload.ts';

export type JobFileKind = Parameters<typeof api.createImport>[0];

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'DUPLICATE_FILE']);

class ImportFailed extends Error {}

/** Uploads `csv` as a job of `kind` and follows it to its end; the finished job, or ImportFailed. */
export async function runFileJob(
  kind: JobFileKind,
  csv: string,
  onJob: (job: JobView) => void,
): Promise<JobView> {
  const { job: created, upload } = await api.createImport(kind);
  onJob(created);
  await postToS3(upload, new Blob([csv], { type: upload.contentType }), `${kind}.csv`, () => undefined);
  let job = created;
  while (!FINISHED.has(job.status)) {
    await new Promise((r) => setTimeout(r, 500));
    job = await api.getImport(job.jobId);
    onJob(job);
  }
  if (job.status === 'FAILED') {
    const reason = job.failureReasons
      ? job.failureReasons.map((m) => messageText(m)).join('；')
      : // A job the workflow gave up on names the workflow's error: for people, it did not finish.
        messageText({
          code: isMessageCode(job.failure ?? '') ? (job.failure ?? '') : 'INCOMPLETE',
          params: {},
        });
    throw new ImportFailed(t('roster.failed', { reason }));
  }
  return job;
}

/** The state of an upload page: the file's text, the running job, its result or error. */
export function useFileJob<R>(kind: JobFileKind, toResult: (job: JobView) => R) {
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<R | undefined>();
  const [job, setJob] = useState<JobView | undefined>();
  const [error, setError] = useState<string | undefined>();

  const pick = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    setFileName(file.name);
    setCsv(decodeCsv(await file.arrayBuffer()));
    setResult(undefined);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!csv.trim()) return setError(t('roster.empty'));
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(toResult(await runFileJob(kind, csv, setJob)));
    } catch (err) {
      setError(err instanceof ImportFailed ? err.message : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return { csv, setCsv, fileName, setFileName, busy, result, job, error, pick, submit };
}

/** The running job's progress bar (rows known once the file was checked). */
export function JobProgress({ busy, job }: { readonly busy: boolean; readonly job: JobView | undefined }) {
  if (!busy || job?.rows === undefined) return null;
  return (
    <div role="status" class="job-progress">
      <progress max={Math.max(job.rows, 1)} value={job.processed} />
      <span>{t('roster.progress', { processed: job.processed, rows: job.rows })}</span>
    </div>
  );
}

/**
 * The rows a job refused, each with its reasons in words, and the same list as a report to
 * download (`<reportName>-errors-<file name>.csv`).
 */
export function RejectedRows({
  rejected,
  reportName,
  fileName,
}: {
  readonly rejected: readonly RowRejection[];
  readonly reportName: string;
  readonly fileName: string | undefined;
}) {
  return (
    <>
      <RowReasons rows={rejected} />
      <button
        type="button"
        class="secondary"
        onClick={() =>
          saveBlob(
            new Blob([errorReportCsv([...rejected])], { type: 'text/csv;charset=utf-8' }),
            `${reportName}-errors-${(fileName ?? 'import').replace(/\.csv$/i, '')}.csv`,
          )
        }
      >
        {t('roster.downloadReport')}
      </button>
    </>
  );
}

/** Refused rows, each with its row number and its reasons in words. */
export function RowReasons({ rows }: { readonly rows: readonly RowRejection[] }) {
  return (
    <table class="list">
      <thead>
        <tr>
          <th scope="col" class="num">
            {t('roster.row')}
          </th>
          <th scope="col">{t('roster.error')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.row}>
            <td class="num" data-label={t('roster.row')}>
              {r.row}
            </td>
            <td data-label={t('roster.error')}>{r.reasons.map((m) => messageText(m)).join('；')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

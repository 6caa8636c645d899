// Roster and household-member imports for admins: a CSV file (UTF-8, or the GBK that Excel in
// China saves by default) or pasted text, sent as a bulk job of any size (uploaded as UTF-8,
// followed with a progress bar); every bad row comes back with its reason, downloadable for fixing.
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { decodeCsv, saveBlob } from '../download.ts';
import { messageText, t } from '../i18n.ts';
import type { MessageKey } from '../messages.ts';
import { errorReportCsv, type RowRejection } from '#shared/error-report.ts';
import { isMessageCode } from '#shared/messages/render.ts';
import { memberColumns, rosterColumns, type JobView } from '../types.ts';
import { errorMessage, Page } from '../components.tsx';
import { postToS3 } from '../upload.ts';

interface ImportResult {
  readonly imported: number;
  /** Each refused row with its reasons as message codes (the page words them in its language). */
  readonly rejected: RowRejection[];
  readonly duplicateOf?: string;
  /** The whole error report (every refused row), a short-lived link. */
  readonly reportUrl?: string;
  /** Rows refused in all; the page lists the first ones. */
  readonly rejectedTotal: number;
}

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'DUPLICATE_FILE']);

/** A refused file, already in the reader's words. */
class ImportFailed extends Error {}

/** The kinds of file this page imports, and what tells them apart on the page. */
type FileKind = 'roster' | 'members';
const kinds: Readonly<Record<FileKind, { title: MessageKey; file: MessageKey; columns: string }>> = {
  roster: { title: 'roster.title', file: 'roster.file', columns: rosterColumns },
  members: { title: 'members.title', file: 'members.file', columns: memberColumns },
};

/** Uploads the text as a job of that kind and follows it until it ends. */
async function importAsJob(
  kind: FileKind,
  csv: string,
  onJob: (job: JobView) => void,
): Promise<ImportResult> {
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
  return {
    imported: job.imported,
    rejected: [...(job.rejectedRows ?? [])],
    rejectedTotal: job.rejected,
    ...(job.errorReportUrl ? { reportUrl: job.errorReportUrl } : {}),
    ...(job.duplicateOf ? { duplicateOf: job.duplicateOf } : {}),
  };
}

export function RosterImport() {
  return <BulkFileImport kind="roster" />;
}

export function MembersImport() {
  return <BulkFileImport kind="members" />;
}

function BulkFileImport({ kind }: { readonly kind: FileKind }) {
  const words = kinds[kind];
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult | undefined>();
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
      setResult(await importAsJob(kind, csv, setJob));
    } catch (err) {
      setError(err instanceof ImportFailed ? err.message : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title={t(words.title)}>
      <form class="card" onSubmit={submit}>
        <label for={`${kind}-file`}>{t(words.file)}</label>
        <input
          id={`${kind}-file`}
          type="file"
          accept=".csv,text/csv"
          aria-describedby={`${kind}-hint`}
          onChange={(e) => void pick(e.currentTarget)}
        />
        <p id={`${kind}-hint`} class="hint">
          {t('roster.fileHint', { columns: words.columns })}
        </p>
        <label for={`${kind}-text`}>{t('roster.paste')}</label>
        <textarea
          id={`${kind}-text`}
          rows={8}
          class="mono"
          spellcheck={false}
          value={csv}
          onInput={(e) => {
            setCsv(e.currentTarget.value);
            setFileName(undefined);
          }}
        />
        {fileName && <p class="hint">{fileName}</p>}
        {error && (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('roster.importing') : t('roster.import')}
        </button>
        {busy && job?.rows !== undefined && (
          <div role="status" class="job-progress">
            <progress max={Math.max(job.rows, 1)} value={job.processed} />
            <span>{t('roster.progress', { processed: job.processed, rows: job.rows })}</span>
          </div>
        )}
      </form>
      {result && (
        <section class="card" aria-labelledby={`${kind}-result`}>
          <div role="status">
            <h2 id={`${kind}-result`} data-testid={`${kind}-result`}>
              {result.duplicateOf
                ? t('roster.duplicate', { jobId: result.duplicateOf })
                : t('roster.result', { imported: result.imported, rejected: result.rejectedTotal })}
            </h2>
          </div>
          {result.rejected.length > 0 && (
            <>
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
                  {result.rejected.map((r) => (
                    <tr key={r.row}>
                      <td class="num" data-label={t('roster.row')}>
                        {r.row}
                      </td>
                      <td data-label={t('roster.error')}>
                        {r.reasons.map((m) => messageText(m)).join('；')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <button
                type="button"
                class="secondary"
                onClick={() =>
                  saveBlob(
                    new Blob([errorReportCsv(result.rejected)], { type: 'text/csv;charset=utf-8' }),
                    `${kind}-errors-${(fileName ?? 'import').replace(/\.csv$/i, '')}.csv`,
                  )
                }
              >
                {t('roster.downloadReport')}
              </button>
              {result.reportUrl && result.rejectedTotal > result.rejected.length && (
                <p class="hint">
                  <a href={result.reportUrl} download>
                    {t('roster.fullReport', { rejected: result.rejectedTotal })}
                  </a>
                </p>
              )}
            </>
          )}
        </section>
      )}
    </Page>
  );
}

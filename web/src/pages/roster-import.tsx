// Roster and household-member imports for admins: a CSV file (UTF-8, or the GBK that Excel in
// China saves by default) or pasted text, sent as a bulk job of any size (uploaded as UTF-8,
// followed with a progress bar); every bad row comes back with its reason, downloadable for fixing.
import { t } from '../i18n.ts';
import type { MessageKey } from '../messages.ts';
import type { RowRejection } from '#shared/error-report.ts';
import { memberColumns, rosterColumns, type JobView } from '../types.ts';
import { Page } from '../components.tsx';
import { JobProgress, RejectedRows, useFileJob } from './file-job.tsx';

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

/** A refused file, already in the reader's words. */

/** The kinds of file this page imports, and what tells them apart on the page. */
type FileKind = 'roster' | 'members';
const kinds: Readonly<Record<FileKind, { title: MessageKey; file: MessageKey; columns: string }>> = {
  roster: { title: 'roster.title', file: 'roster.file', columns: rosterColumns },
  members: { title: 'members.title', file: 'members.file', columns: memberColumns },
};

/** Uploads the text as a job of that kind and follows it until it ends. */
function toImportResult(job: JobView): ImportResult {
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
  const { csv, setCsv, fileName, setFileName, busy, result, job, error, pick, submit } = useFileJob(
    kind,
    toImportResult,
  );

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
        <JobProgress busy={busy} job={job} />
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
              <RejectedRows rejected={result.rejected} reportName={kind} fileName={fileName} />
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

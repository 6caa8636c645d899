// The bank's result file for finance: uploaded as a bulk job like the roster (any size, a progress
// bar), then what it did: transfers that arrived (DISBURSED), that failed (DISBURSEMENT_FAILED),
// rows that disagree with the claim or the roster account, and rows naming no payout waiting for
// its transfer, each with its reason, downloadable.
import { saveBlob } from '../download.ts';
import { t } from '../i18n.ts';
import { errorReportCsv, type RowRejection } from '#shared/error-report.ts';
import type { JobView } from '../types.ts';
import { Page } from '../components.tsx';
import { JobProgress, RowReasons, useFileJob } from './file-job.tsx';

/** The reasons of a row that names a payout but disagrees with it (bank-result.ts bankMismatchCodes). */
const MISMATCH = new Set(['BANK_ACCOUNT_MISMATCH', 'BANK_AMOUNT_MISMATCH']);
export const bankColumns = 'claimId,bankAccount,amount,status,bankRef,reason';

interface BankResult {
  readonly disbursed: number;
  readonly failed: number;
  readonly mismatched: RowRejection[];
  readonly unknown: RowRejection[];
  readonly rejectedTotal: number;
  readonly duplicateOf?: string;
  readonly reportUrl?: string;
}

function toBankResult(job: JobView): BankResult {
  const rows = [...(job.rejectedRows ?? [])];
  const mismatch = (r: RowRejection) => r.reasons.some((m) => MISMATCH.has(m.code));
  return {
    disbursed: job.outcomes?.disbursed ?? 0,
    failed: job.outcomes?.failed ?? 0,
    mismatched: rows.filter(mismatch),
    unknown: rows.filter((r) => !mismatch(r)),
    rejectedTotal: job.rejected,
    ...(job.errorReportUrl ? { reportUrl: job.errorReportUrl } : {}),
    ...(job.duplicateOf ? { duplicateOf: job.duplicateOf } : {}),
  };
}

function RowTable({ title, rows }: { title: string; rows: readonly RowRejection[] }) {
  if (rows.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <RowReasons rows={rows} />
    </>
  );
}

export function BankImport() {
  const { csv, fileName, busy, result, job, error, pick, submit } = useFileJob('bank-result', toBankResult);

  return (
    <Page title={t('bank.title')}>
      <form class="card" onSubmit={submit}>
        <label for="bank-file">{t('bank.file')}</label>
        <input
          id="bank-file"
          type="file"
          accept=".csv,text/csv"
          aria-describedby="bank-hint"
          onChange={(e) => void pick(e.currentTarget)}
        />
        <p id="bank-hint" class="hint">
          {t('bank.fileHint', { columns: bankColumns })}
        </p>
        {fileName && <p class="hint">{fileName}</p>}
        {error && (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !csv}>
          {busy ? t('roster.importing') : t('roster.import')}
        </button>
        <JobProgress busy={busy} job={job} />
      </form>
      {result && (
        <section class="card" aria-labelledby="bank-result">
          <div role="status">
            <h2 id="bank-result" data-testid="bank-result">
              {result.duplicateOf
                ? t('roster.duplicate', { jobId: result.duplicateOf })
                : t('bank.result', {
                    disbursed: result.disbursed,
                    failed: result.failed,
                    mismatched: result.mismatched.length,
                    unknown: result.unknown.length,
                  })}
            </h2>
          </div>
          <RowTable title={t('bank.mismatched')} rows={result.mismatched} />
          <RowTable title={t('bank.unknown')} rows={result.unknown} />
          {result.rejectedTotal > 0 && (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                saveBlob(
                  new Blob([errorReportCsv([...result.mismatched, ...result.unknown])], {
                    type: 'text/csv;charset=utf-8',
                  }),
                  `bank-result-errors-${(fileName ?? 'import').replace(/\.csv$/i, '')}.csv`,
                )
              }
            >
              {t('roster.downloadReport')}
            </button>
          )}
          {result.reportUrl && result.rejectedTotal > result.mismatched.length + result.unknown.length && (
            <p class="hint">
              <a href={result.reportUrl} download>
                {t('roster.fullReport', { rejected: result.rejectedTotal })}
              </a>
            </p>
          )}
        </section>
      )}
    </Page>
  );
}

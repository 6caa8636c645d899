// The bank's result file for finance: uploaded as a bulk job like the roster (any size, a progress
// bar), then what it did: transfers that arrived (DISBURSED), that failed (DISBURSEMENT_FAILED),
// rows that disagree with the claim or the roster account, and rows naming no payout waiting for
// its transfer, each with its reason, downloadable.
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { decodeCsv, saveBlob } from '../download.ts';
import { messageText, t } from '../i18n.ts';
import { errorReportCsv, type RowRejection } from '#shared/error-report.ts';
import { isMessageCode } from '#shared/messages/render.ts';
import type { JobView } from '../types.ts';
import { errorMessage, Page } from '../components.tsx';
import { postToS3 } from '../upload.ts';

/** The reasons of a row that names a payout but disagrees with it (bank-result.ts bankMismatchCodes). */
const MISMATCH = new Set(['BANK_ACCOUNT_MISMATCH', 'BANK_AMOUNT_MISMATCH']);
const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'DUPLICATE_FILE']);
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

class ImportFailed extends Error {}

async function importAsJob(csv: string, onJob: (job: JobView) => void): Promise<BankResult> {
  const { job: created, upload } = await api.createImport('bank-result');
  onJob(created);
  await postToS3(upload, new Blob([csv], { type: upload.contentType }), 'bank-result.csv', () => undefined);
  let job = created;
  while (!FINISHED.has(job.status)) {
    await new Promise((r) => setTimeout(r, 500));
    job = await api.getImport(job.jobId);
    onJob(job);
  }
  if (job.status === 'FAILED') {
    const reason = job.failureReasons
      ? job.failureReasons.map((m) => messageText(m)).join('；')
      : messageText({
          code: isMessageCode(job.failure ?? '') ? (job.failure ?? '') : 'INCOMPLETE',
          params: {},
        });
    throw new ImportFailed(t('roster.failed', { reason }));
  }
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
    </>
  );
}

export function BankImport() {
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<BankResult | undefined>();
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
      setResult(await importAsJob(csv, setJob));
    } catch (err) {
      setError(err instanceof ImportFailed ? err.message : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

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
        {busy && job?.rows !== undefined && (
          <div role="status" class="job-progress">
            <progress max={Math.max(job.rows, 1)} value={job.processed} />
            <span>{t('roster.progress', { processed: job.processed, rows: job.rows })}</span>
          </div>
        )}
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

// Roster import for admins: a CSV file (UTF-8, or the GBK that Excel in China saves by
// default) or pasted text; every bad row comes back with its reason, downloadable for fixing.
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { csvBlob, decodeCsv, saveBlob } from '../download.ts';
import { t } from '../i18n.ts';
import { rosterColumns, type RosterImportResult } from '../types.ts';
import { errorMessage, Page } from '../components.tsx';

export function RosterImport() {
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<RosterImportResult | undefined>();
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
      setResult(await api.importRoster(csv));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title={t('roster.title')}>
      <form class="card" onSubmit={submit}>
        <label for="roster-file">{t('roster.file')}</label>
        <input
          id="roster-file"
          type="file"
          accept=".csv,text/csv"
          aria-describedby="roster-hint"
          onChange={(e) => void pick(e.currentTarget)}
        />
        <p id="roster-hint" class="hint">
          {t('roster.fileHint', { columns: rosterColumns })}
        </p>
        <label for="roster-text">{t('roster.paste')}</label>
        <textarea
          id="roster-text"
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
      </form>
      {result && (
        <section class="card" aria-labelledby="roster-result">
          <div role="status">
            <h2 id="roster-result" data-testid="roster-result">
              {t('roster.result', { imported: result.imported, rejected: result.rejected.length })}
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
                    <tr key={`${r.row}-${r.error}`}>
                      <td class="num" data-label={t('roster.row')}>
                        {r.row}
                      </td>
                      <td data-label={t('roster.error')}>{r.error}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <button
                type="button"
                class="secondary"
                onClick={() =>
                  saveBlob(
                    csvBlob([['row', 'error'], ...result.rejected.map((r) => [r.row, r.error])]),
                    `roster-errors-${(fileName ?? 'import').replace(/\.csv$/i, '')}.csv`,
                  )
                }
              >
                {t('roster.downloadReport')}
              </button>
            </>
          )}
        </section>
      )}
    </Page>
  );
}

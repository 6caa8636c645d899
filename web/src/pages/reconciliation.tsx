// The ledger page's reconciliation for finance and admin: a period's payouts split by what the
// bank said (arrived, refused, no answer yet), adding up to the fen, and the same as a CSV file.
import { useEffect, useState } from 'preact/hooks';
import { api, type LedgerQuery } from '../api.ts';
import { saveBlob } from '../download.ts';
import { formatFen } from '../format.ts';
import { getLang, t } from '../i18n.ts';
import type { MessageKey } from '../messages.ts';
import type { Reconciliation as Figures } from '../types.ts';
import { ErrorBox, errorMessage } from '../components.tsx';

const lines = ['paid', 'disbursed', 'failed', 'outstanding'] as const;

export function Reconciliation({ query }: { query: LedgerQuery }) {
  const [figures, setFigures] = useState<Figures | undefined>();
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | undefined>();
  const period = { from: query.from, to: query.to, ...(query.region ? { region: query.region } : {}) };

  const load = () => {
    setError(undefined);
    api.reconciliation(period).then(setFigures, setError);
  };
  useEffect(load, [query.from, query.to, query.region]);

  const save = async () => {
    setSaving(true);
    setSaveError(undefined);
    try {
      const blob = await api.reconciliationCsv(period, getLang());
      saveBlob(blob, `reconciliation-${period.from}-${period.to}.csv`);
    } catch (e) {
      setSaveError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  if (error !== undefined) return <ErrorBox error={error} onRetry={load} />;
  if (!figures) return null;
  const fen = {
    paid: figures.paidFen,
    disbursed: figures.disbursedFen,
    failed: figures.failedFen,
    outstanding: figures.outstandingFen,
  };
  return (
    <section class="reconciliation" aria-labelledby="reconciliation-title">
      <h2 id="reconciliation-title">{t('recon.title')}</h2>
      <table class="list" data-testid="reconciliation">
        <thead>
          <tr>
            <th scope="col">{t('reconciliation.item')}</th>
            <th scope="col" class="num">
              {t('reconciliation.count')}
            </th>
            <th scope="col" class="num">
              {t('reconciliation.amountYuan')}
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={line}>
              <th scope="row">{t(`reconciliation.${line}` as MessageKey)}</th>
              <td class="num" data-label={t('reconciliation.count')}>
                {figures.counts[line]}
              </td>
              <td
                class="num"
                data-label={t('reconciliation.amountYuan')}
                data-testid={`reconciliation-${line}`}
              >
                {formatFen(fen[line])}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="hint">
        {t('recon.hint')}
        {figures.counts.reissued > 0 && ` ${t('recon.reissued', { n: figures.counts.reissued })}`}
      </p>
      <button type="button" class="secondary" disabled={saving} onClick={() => void save()}>
        {t('recon.exportCsv')}
      </button>
      {saveError && (
        <p class="notice error" role="alert">
          {saveError}
        </p>
      )}
    </section>
  );
}

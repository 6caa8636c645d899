// The payout ledger for finance: by period, region and category, with totals; exports for
// Excel; and confirming a bank batch (PAID -> DISBURSED) with the bank's reference.
import { useEffect, useState } from 'preact/hooks';
import { chinaDate, daysBetween, isIsoDate } from '#shared/dates.ts';
import { api, type LedgerQuery } from '../api.ts';
import { hasRole, useApp } from '../context.ts';
import { downloadLink } from '../download.ts';
import { formatDate, formatFen, shortId } from '../format.ts';
import { t, tCode } from '../i18n.ts';
import { href } from '../router.ts';
import { categories, type DisburseResult, type LedgerList } from '../types.ts';
import { ErrorBox, errorMessage, Loading, Page } from '../components.tsx';

const BATCH_REF = /^[A-Za-z0-9_.:-]{1,64}$/;

function subtotals(list: LedgerList, key: 'category' | 'region'): [string, number, number][] {
  const sums = new Map<string, [number, number]>();
  for (const e of list.items) {
    const [n, fen] = sums.get(e[key]) ?? [0, 0];
    sums.set(e[key], [n + 1, fen + e.payoutFen]);
  }
  return [...sums].map(([k, [n, fen]]) => [k, n, fen]);
}

export function Ledger() {
  const { principal } = useApp();
  const finance = hasRole(principal, 'finance');
  const today = chinaDate(new Date());
  // This month by default: finance pays in monthly batches, and every extra day of range is
  // more work for the ledger index (one query per day and shard).
  const [filter, setFilter] = useState<LedgerQuery>({
    from: `${today.slice(0, 7)}-01`,
    to: today,
    region: '',
    category: '',
  });
  const [shown, setShown] = useState<LedgerQuery | undefined>();
  const [list, setList] = useState<LedgerList | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [batchRef, setBatchRef] = useState('');
  const [exporting, setExporting] = useState<'csv' | 'xlsx' | undefined>();
  const [notice, setNotice] = useState<{
    kind: 'ok' | 'error';
    text: string;
    skipped?: DisburseResult['skipped'];
  }>();

  const rangeOk =
    isIsoDate(filter.from) &&
    isIsoDate(filter.to) &&
    filter.from <= filter.to &&
    daysBetween(filter.from, filter.to) <= 366;

  const load = async (q: LedgerQuery) => {
    setLoading(true);
    setError(undefined);
    try {
      setList(await api.ledger(q));
      setShown(q);
      setSelected(new Set());
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(filter);
  }, []);

  const exportAs = async (format: 'csv' | 'xlsx') => {
    if (!shown) return;
    setExporting(format);
    setNotice(undefined);
    try {
      const file = await api.ledgerExport(shown, format);
      downloadLink(file.url, file.name);
    } catch (e) {
      setNotice({ kind: 'error', text: errorMessage(e) });
    } finally {
      setExporting(undefined);
    }
  };

  const disburse = async (e: Event) => {
    e.preventDefault();
    if (selected.size === 0) return setNotice({ kind: 'error', text: t('ledger.noSelection') });
    if (!BATCH_REF.test(batchRef)) return setNotice({ kind: 'error', text: t('ledger.badBatchRef') });
    try {
      const result = await api.disburse({ claimIds: [...selected], batchRef });
      setNotice({
        kind: result.skipped.length ? 'error' : 'ok',
        text: t('ledger.marked', { n: result.disbursed.length }),
        skipped: result.skipped,
      });
      setBatchRef('');
      if (shown) await load(shown);
    } catch (err) {
      setNotice({ kind: 'error', text: errorMessage(err) });
    }
  };

  const open = list?.items.filter((i) => !i.batchRef) ?? [];
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <Page title={t('ledger.title')}>
      <form
        class="card filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (rangeOk) void load({ ...filter });
        }}
      >
        <label>
          {t('ledger.from')}
          <input
            type="date"
            value={filter.from}
            onInput={(e) => setFilter({ ...filter, from: e.currentTarget.value })}
          />
        </label>
        <label>
          {t('ledger.to')}
          <input
            type="date"
            value={filter.to}
            onInput={(e) => setFilter({ ...filter, to: e.currentTarget.value })}
          />
        </label>
        <label>
          {t('ledger.region')}
          <input
            value={filter.region}
            placeholder={t('ledger.anyRegion')}
            onInput={(e) => setFilter({ ...filter, region: e.currentTarget.value.trim() })}
          />
        </label>
        <label>
          {t('ledger.category')}
          <select
            value={filter.category}
            onChange={(e) => setFilter({ ...filter, category: e.currentTarget.value })}
          >
            <option value="">{t('claims.all')}</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {tCode('category', c)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary" disabled={!rangeOk}>
          {t('ledger.show')}
        </button>
        {!rangeOk && <p class="field-error">{t('ledger.badRange')}</p>}
      </form>

      {error !== undefined && <ErrorBox error={error} onRetry={() => shown && void load(shown)} />}
      {loading && <Loading />}
      {notice && (
        <div class={`notice ${notice.kind}`} role={notice.kind === 'ok' ? 'status' : 'alert'}>
          <p>{notice.text}</p>
          {notice.skipped && notice.skipped.length > 0 && (
            <>
              <p>{t('ledger.skipped', { n: notice.skipped.length })}</p>
              <ul>
                {notice.skipped.map((s) => (
                  <li key={s.claimId}>
                    <span class="mono">{shortId(s.claimId)}</span>: {s.why}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}

      {list && shown && (
        <>
          <div class="totals card">
            <dl class="big-numbers">
              <div>
                <dt>{t('ledger.count')}</dt>
                <dd data-testid="ledger-count">{list.count}</dd>
              </div>
              <div>
                <dt>{t('ledger.totalPaid')}</dt>
                <dd data-testid="ledger-total">{formatFen(list.totalFen)}</dd>
              </div>
            </dl>
            {list.truncated && (
              <p class="hint">{t('ledger.truncated', { n: list.items.length, count: list.count })}</p>
            )}
            <div class="two-col">
              <Subtotals
                title={t('ledger.byCategory')}
                rows={subtotals(list, 'category')}
                label={(k) => tCode('category', k)}
              />
              <Subtotals title={t('ledger.byRegion')} rows={subtotals(list, 'region')} label={(k) => k} />
            </div>
            {finance && (
              <div class="actions">
                <button
                  type="button"
                  class="secondary"
                  disabled={exporting !== undefined}
                  onClick={() => void exportAs('csv')}
                >
                  {exporting === 'csv' ? t('ledger.exporting') : t('ledger.exportCsv')}
                </button>
                <button
                  type="button"
                  class="secondary"
                  disabled={exporting !== undefined}
                  onClick={() => void exportAs('xlsx')}
                >
                  {exporting === 'xlsx' ? t('ledger.exporting') : t('ledger.exportXlsx')}
                </button>
              </div>
            )}
          </div>

          {list.items.length === 0 ? (
            <p class="muted">{t('ledger.empty')}</p>
          ) : (
            <div class="scroll">
              <table class="list">
                <thead>
                  <tr>
                    {finance && <th scope="col">{t('ledger.select')}</th>}
                    <th scope="col">{t('ledger.paidDate')}</th>
                    <th scope="col">{t('claims.claimId')}</th>
                    <th scope="col">{t('ledger.region')}</th>
                    <th scope="col">{t('ledger.household')}</th>
                    <th scope="col">{t('ledger.category')}</th>
                    <th scope="col" class="num">
                      {t('ledger.amount')}
                    </th>
                    <th scope="col">{t('ledger.disbursed')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.items.map((e) => (
                    <tr key={e.claimId}>
                      {finance && (
                        <td data-label={t('ledger.select')}>
                          {!e.batchRef && (
                            <input
                              type="checkbox"
                              checked={selected.has(e.claimId)}
                              onChange={() => toggle(e.claimId)}
                              aria-label={`${t('ledger.select')} ${e.claimId}`}
                            />
                          )}
                        </td>
                      )}
                      <td data-label={t('ledger.paidDate')}>{formatDate(e.paidDate)}</td>
                      <td data-label={t('claims.claimId')}>
                        <a class="mono" href={href(`/claims/${e.claimId}`)} title={e.claimId}>
                          {shortId(e.claimId)}
                        </a>
                      </td>
                      <td data-label={t('ledger.region')}>
                        {e.region} · {e.village}
                      </td>
                      <td data-label={t('ledger.household')}>{e.householdId}</td>
                      <td data-label={t('ledger.category')}>{tCode('category', e.category)}</td>
                      <td data-label={t('ledger.amount')} class="num">
                        {formatFen(e.payoutFen)}
                      </td>
                      <td data-label={t('ledger.disbursed')}>
                        {e.batchRef ? (
                          `${e.batchRef} · ${formatDate(e.disbursedAt)}`
                        ) : (
                          <span class="muted">{t('ledger.notDisbursed')}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}

          {finance && open.length > 0 && (
            <form class="card disburse" onSubmit={disburse}>
              <button
                type="button"
                class="link"
                onClick={() => setSelected(new Set(open.map((o) => o.claimId)))}
              >
                {t('ledger.selectAll')}
              </button>
              <label for="batch-ref">{t('ledger.batchRef')}</label>
              <input
                id="batch-ref"
                value={batchRef}
                maxLength={64}
                autocomplete="off"
                aria-describedby="batch-ref-hint"
                onInput={(e) => setBatchRef(e.currentTarget.value.trim())}
              />
              <p id="batch-ref-hint" class="hint">
                {t('ledger.batchRefHint')}
              </p>
              <button type="submit" class="primary" disabled={selected.size === 0}>
                {t('ledger.markDisbursed', { n: selected.size })}
              </button>
            </form>
          )}
        </>
      )}
    </Page>
  );
}

function Subtotals({
  title,
  rows,
  label,
}: {
  title: string;
  rows: [string, number, number][];
  label: (k: string) => string;
}) {
  return (
    <table class="list compact">
      <caption>{title}</caption>
      <tbody>
        {rows.map(([k, n, fen]) => (
          <tr key={k}>
            <th scope="row">{label(k)}</th>
            <td class="num">{n}</td>
            <td class="num">{formatFen(fen)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

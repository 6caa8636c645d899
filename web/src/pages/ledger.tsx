// The payout ledger for finance: by period, region and category, with totals; exports for
// Excel, WPS and LibreOffice in the page's language, written as background jobs the page follows
// (rows written so far, then the control total and the file); and confirming a bank batch
// (PAID -> DISBURSED) with the bank's reference, after a dialog that shows the count and total.
import { useEffect, useRef, useState } from 'preact/hooks';
import { chinaDate, daysBetween, isIsoDate } from '#shared/dates.ts';
import { api, NetworkError, type LedgerQuery } from '../api.ts';
import { hasRole, useApp } from '../context.ts';
import { downloadLink } from '../download.ts';
import { formatBytes, formatDate, formatDateTime, formatFen, shortId } from '../format.ts';
import { getLang, messageText, pick, t, tCode } from '../i18n.ts';
import { cached } from '../offline-cache.ts';
import { href } from '../router.ts';
import {
  categories,
  type DisburseResult,
  type ExportJobView,
  type LedgerList,
  type Policy,
} from '../types.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, errorMessage, Loading, Page } from '../components.tsx';
import { Reconciliation } from './reconciliation.tsx';

const BATCH_REF = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Export jobs the page keeps showing, newest first. */
const KEEP_EXPORTS = 5;
/** Quick polls first (a month of one county takes a second or two), then every few seconds. */
const pollDelay = (polls: number) => Math.min(500 + polls * 250, 3000);

interface ExportRun {
  readonly view: ExportJobView;
  /** Following the job broke off (no longer found, access lost), in the reader's words. */
  readonly error?: string;
}

function rowCount(n: number): string {
  return n.toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB');
}

function subtotals(list: LedgerList, key: 'category' | 'region'): [string, number, number][] {
  const sums = new Map<string, [number, number]>();
  for (const e of list.items) {
    const [n, fen] = sums.get(e[key]) ?? [0, 0];
    sums.set(e[key], [n + 1, fen + e.payoutFen]);
  }
  return [...sums].map(([k, [n, fen]]) => [k, n, fen]);
}

/** Regions by code with the name their policies give them (the newest policy's name wins). */
function regionNames(policies: readonly Policy[] | undefined): Map<string, Policy['regionName']> {
  const names = new Map<string, Policy['regionName']>();
  for (const p of [...(policies ?? [])].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom)))
    names.set(p.region, p.regionName ?? names.get(p.region));
  return names;
}

export function Ledger() {
  const { principal } = useApp();
  const finance = hasRole(principal, 'finance');
  const policies = useAsync(() => cached('policies', async () => (await api.policies()).items), []);
  const regions = regionNames(policies.data);
  const regionName = (code: string) => {
    const name = regions.get(code);
    return name ? pick(name) : code;
  };
  const dialog = useRef<HTMLDialogElement>(null);
  const [confirming, setConfirming] = useState(false);
  const [marking, setMarking] = useState(false);
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
  const [exports, setExports] = useState<ExportRun[]>([]);
  // Polling ends with the page: no timers or requests outlive it.
  const alive = useRef(true);
  const timers = useRef(new Set<number>());
  useEffect(
    () => () => {
      alive.current = false;
      for (const id of timers.current) clearTimeout(id);
    },
    [],
  );
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

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const id = window.setTimeout(() => {
        timers.current.delete(id);
        resolve();
      }, ms);
      timers.current.add(id);
    });

  const showExport = (view: ExportJobView, error?: string) =>
    setExports((runs) =>
      runs.map((run) => (run.view.jobId === view.jobId ? { view, ...(error ? { error } : {}) } : run)),
    );

  /** Follows one export job until it ends, then downloads its file. */
  const follow = async (started: ExportJobView) => {
    let job = started;
    for (let polls = 0; job.status === 'RUNNING'; polls++) {
      await wait(pollDelay(polls));
      if (!alive.current) return;
      try {
        job = await api.getExport(job.jobId);
      } catch (e) {
        // A dropped connection is retried at the next poll; anything else ends the following.
        if (e instanceof NetworkError) continue;
        if (alive.current) showExport(job, errorMessage(e));
        return;
      }
      if (!alive.current) return;
      showExport(job);
    }
    // The link on the page stays for a browser that blocks a download nobody clicked for.
    if (job.status === 'SUCCEEDED' && job.url) downloadLink(job.url, job.name);
  };

  const exportAs = async (format: 'csv' | 'xlsx') => {
    if (!shown) return;
    setExporting(format);
    setNotice(undefined);
    try {
      const job = await api.createExport(shown, format, getLang());
      if (!alive.current) return;
      setExports((runs) => [{ view: job }, ...runs].slice(0, KEEP_EXPORTS));
      void follow(job);
    } catch (e) {
      if (alive.current) setNotice({ kind: 'error', text: errorMessage(e) });
    } finally {
      if (alive.current) setExporting(undefined);
    }
  };

  // A payout the bank has answered (arrived or refused, from its result file) is not offered.
  const answered = (i: LedgerList['items'][number]) => Boolean(i.batchRef ?? i.disbursedAt ?? i.failedAt);
  const chosen = list?.items.filter((i) => selected.has(i.claimId) && !answered(i)) ?? [];
  const chosenFen = chosen.reduce((sum, i) => sum + i.payoutFen, 0);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (confirming && !d.open) d.showModal();
    if (!confirming && d.open) d.close();
  }, [confirming]);

  /** Checks the form, then asks to confirm in the dialog. */
  const askToConfirm = (e: Event) => {
    e.preventDefault();
    if (chosen.length === 0) return setNotice({ kind: 'error', text: t('ledger.noSelection') });
    if (!BATCH_REF.test(batchRef)) return setNotice({ kind: 'error', text: t('ledger.badBatchRef') });
    setNotice(undefined);
    setConfirming(true);
  };

  const disburse = async () => {
    setMarking(true);
    try {
      const result = await api.disburse({ claimIds: chosen.map((c) => c.claimId), batchRef });
      setConfirming(false);
      setNotice({
        kind: result.skipped.length ? 'error' : 'ok',
        text: t('ledger.marked', { n: result.disbursed.length }),
        skipped: result.skipped,
      });
      setBatchRef('');
      if (shown) await load(shown);
    } catch (err) {
      setNotice({ kind: 'error', text: errorMessage(err) });
    } finally {
      setMarking(false);
      setConfirming(false);
    }
  };

  const open = list?.items.filter((i) => !answered(i)) ?? [];
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
          {regions.size > 0 ? (
            <select
              value={filter.region}
              onChange={(e) => setFilter({ ...filter, region: e.currentTarget.value })}
            >
              <option value="">{t('ledger.anyRegion')}</option>
              {[...regions.keys()].map((code) => (
                <option key={code} value={code}>
                  {regionName(code)}
                </option>
              ))}
            </select>
          ) : (
            <input
              value={filter.region}
              placeholder={t('ledger.anyRegion')}
              onInput={(e) => setFilter({ ...filter, region: e.currentTarget.value.trim() })}
            />
          )}
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
                    <span class="mono">{shortId(s.claimId)}</span>: {messageText(s.reason)}
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
              <Subtotals title={t('ledger.byRegion')} rows={subtotals(list, 'region')} label={regionName} />
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
            {finance && exports.length > 0 && (
              <section class="export-jobs" aria-labelledby="export-jobs-title">
                <h2 id="export-jobs-title">{t('ledger.exportJobs')}</h2>
                <ul>
                  {exports.map((run) => (
                    <ExportJob key={run.view.jobId} run={run} />
                  ))}
                </ul>
              </section>
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
                          {!answered(e) && (
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
                        {regionName(e.region)} · {e.village}
                      </td>
                      <td data-label={t('ledger.household')}>{e.householdId}</td>
                      <td data-label={t('ledger.category')}>{tCode('category', e.category)}</td>
                      <td data-label={t('ledger.amount')} class="num">
                        {formatFen(e.payoutFen)}
                      </td>
                      <td data-label={t('ledger.disbursed')}>
                        {e.batchRef || e.bankRef ? (
                          `${e.batchRef ?? e.bankRef ?? ''} · ${formatDate(e.disbursedAt)}`
                        ) : e.failedAt ? (
                          <strong>{tCode('state', 'DISBURSEMENT_FAILED')}</strong>
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

          {hasRole(principal, 'finance', 'admin') && (
            <div class="card">
              <Reconciliation query={shown} />
            </div>
          )}

          {finance && open.length > 0 && (
            <form class="card disburse" onSubmit={askToConfirm}>
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
              <p class="selected-sum" aria-live="polite" data-testid="ledger-selected">
                {t('ledger.selected', { n: chosen.length, total: formatFen(chosenFen) })}
              </p>
              <button type="submit" class="primary" disabled={chosen.length === 0}>
                {t('ledger.markDisbursed', { n: chosen.length })}
              </button>
            </form>
          )}
          {finance && (
            // A native modal dialog: focus moves into it and stays there, Esc cancels, and
            // assistive technology announces it by its title and text.
            <dialog
              ref={dialog}
              class="confirm"
              aria-labelledby="confirm-title"
              aria-describedby="confirm-text"
              onClose={() => setConfirming(false)}
            >
              <h2 id="confirm-title">{t('ledger.confirmTitle')}</h2>
              <p id="confirm-text">{t('ledger.confirmText')}</p>
              <dl class="big-numbers">
                <div>
                  <dt>{t('ledger.confirmCount')}</dt>
                  <dd data-testid="confirm-count">{chosen.length}</dd>
                </div>
                <div>
                  <dt>{t('ledger.confirmTotal')}</dt>
                  <dd data-testid="confirm-total">{formatFen(chosenFen)}</dd>
                </div>
                <div>
                  <dt>{t('ledger.confirmBatch')}</dt>
                  <dd class="mono">{batchRef}</dd>
                </div>
              </dl>
              <div class="actions">
                <button type="button" class="primary" disabled={marking} onClick={() => void disburse()}>
                  {t('ledger.confirm')}
                </button>
                <button
                  type="button"
                  class="secondary"
                  disabled={marking}
                  onClick={() => setConfirming(false)}
                >
                  {t('ledger.cancel')}
                </button>
              </div>
            </dialog>
          )}
        </>
      )}
    </Page>
  );
}

/** One export job: progress while it runs, then the control total and the file's link. */
function ExportJob({ run }: { run: ExportRun }) {
  const { view, error } = run;
  const { name } = view;
  const done = view.status === 'SUCCEEDED';
  return (
    <li data-testid="export-job" data-status={view.status}>
      {view.status === 'RUNNING' && !error && (
        // The total is unknown until the job ends: an indeterminate bar and the rows so far.
        <div class="job-progress">
          <progress aria-label={t('ledger.exportProgress', { name })} />
        </div>
      )}
      {/* One live region per job from start to end, so every change is announced. */}
      <p role="status" aria-live="polite" data-testid="export-status">
        {view.status === 'RUNNING'
          ? t('ledger.exportRunning', { name, n: rowCount(view.processed) })
          : done
            ? t('ledger.exported', { n: view.count ?? 0, total: formatFen(view.totalFen ?? 0) })
            : ''}
      </p>
      {(view.status === 'FAILED' || error) && (
        <p class="notice error" role="alert">
          {error ?? t('ledger.exportFailed', { name })}
        </p>
      )}
      {done && (
        <>
          <dl class="big-numbers">
            <div>
              <dt>{t('ledger.exportCount')}</dt>
              <dd data-testid="export-count">{view.count ?? 0}</dd>
            </div>
            <div>
              <dt>{t('ledger.exportTotal')}</dt>
              <dd data-testid="export-total">{formatFen(view.totalFen ?? 0)}</dd>
            </div>
          </dl>
          {view.url && (
            <>
              <p>
                <a href={view.url} download={name} rel="noopener">
                  {t('ledger.download', { name, size: formatBytes(view.bytes ?? 0) })}
                </a>
              </p>
              <p class="hint">{t('ledger.downloadHint', { time: formatDateTime(view.expiresAt) })}</p>
            </>
          )}
        </>
      )}
    </li>
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

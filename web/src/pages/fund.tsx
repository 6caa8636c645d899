// The relief fund for finance: what it holds and owes (initial, top-ups, paid, committed,
// balance, claims waiting), the balance day by day this year as a line chart (chart.js, loaded
// only here and on the dashboard) with month-end figures as its table, the day it runs out at the
// last 30 days' rate, the top-ups on record, and topping it up: the dialog shows, before anything
// is sent, how many waiting claims the money pays and their total.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import type { FundHistory, FundView, TopUpAnswer } from '#shared/api/fund-api.ts';
import { wouldPay } from '#shared/fund.ts';
import { parseYuan } from '#shared/money.ts';
import { allClaims, apiJson, api } from '../api.ts';
import { hasRole, rolesAllowed, useApp } from '../context.ts';
import { formatDate, formatDateTime, formatFen } from '../format.ts';
import { getLang, pick, t } from '../i18n.ts';
import { formatMonth } from '../stats.ts';
import { cached } from '../offline-cache.ts';
import type { Policy } from '../types.ts';
import { useAsync } from '../use-async.ts';
import { useChart } from '../use-chart.ts';
import { ErrorBox, errorMessage, Loading, Page } from '../components.tsx';

/** Waiting claims read to preview a top-up; a fund with more says "at least". */
const PREVIEW_LIMIT = 2_000;

/** Regions whose policies have a fund, with their names (the newest policy's name wins). */
function fundRegions(policies: readonly Policy[] | undefined): [string, Policy['regionName']][] {
  const names = new Map<string, Policy['regionName']>();
  for (const p of [...(policies ?? [])].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom)))
    if (p.fund) names.set(p.region, p.regionName ?? names.get(p.region));
  return [...names];
}

const path = (region: string) => `/funds/${encodeURIComponent(region)}`;

export function Fund() {
  const { principal } = useApp();
  const mayTopUp = hasRole(principal, ...rolesAllowed('top-up-fund'));
  const policies = useAsync(() => cached('policies', async () => (await api.policies()).items), []);
  const regions = fundRegions(policies.data);
  const [chosen, setChosen] = useState<string | undefined>();
  const region = chosen ?? regions[0]?.[0];
  const fund = useAsync(
    () => (region ? apiJson<FundView>('GET', path(region)) : Promise.resolve(undefined)),
    [region],
  );
  const history = useAsync(
    () => (region ? apiJson<FundHistory>('GET', `${path(region)}/history`) : Promise.resolve(undefined)),
    [region],
  );
  const reload = () => {
    fund.reload();
    history.reload();
  };

  return (
    <Page
      title={t('fund.title')}
      actions={
        regions.length > 1 ? (
          <label class="inline">
            {t('fund.region')}
            <select value={region} onChange={(e) => setChosen(e.currentTarget.value)}>
              {regions.map(([code, name]) => (
                <option key={code} value={code}>
                  {name ? pick(name) : code}
                </option>
              ))}
            </select>
          </label>
        ) : undefined
      }
    >
      {policies.error !== undefined && <ErrorBox error={policies.error} onRetry={policies.reload} />}
      {policies.data && regions.length === 0 && <p class="muted">{t('fund.none')}</p>}
      {fund.error !== undefined && <ErrorBox error={fund.error} onRetry={fund.reload} />}
      {(policies.loading || fund.loading) && !fund.data && <Loading />}
      {fund.data && <Figures fund={fund.data} history={history.data} />}
      {history.error !== undefined && <ErrorBox error={history.error} onRetry={history.reload} />}
      {history.data && <BalanceChart history={history.data} />}
      {history.data && <TopUps history={history.data} />}
      {mayTopUp && region && fund.data && <TopUpForm region={region} fund={fund.data} onDone={reload} />}
    </Page>
  );
}

function Figures({ fund, history }: { fund: FundView; history: FundHistory | undefined }) {
  const runOut = history?.runOut;
  return (
    <div class="card">
      <dl class="big-numbers">
        <div>
          <dt>{t('fund.balance')}</dt>
          <dd data-testid="fund-balance">{formatFen(fund.balanceFen)}</dd>
        </div>
        <div>
          <dt>{t('fund.initial')}</dt>
          <dd>{formatFen(fund.initialFen)}</dd>
        </div>
        <div>
          <dt>{t('fund.toppedUp')}</dt>
          <dd data-testid="fund-topped-up">{formatFen(fund.toppedUpFen)}</dd>
        </div>
        <div>
          <dt>{t('fund.paid')}</dt>
          <dd data-testid="fund-paid">{formatFen(fund.paidFen)}</dd>
        </div>
        <div>
          <dt>{t('fund.committed')}</dt>
          <dd data-testid="fund-committed">{formatFen(fund.committedFen)}</dd>
        </div>
        <div>
          <dt>{t('fund.waiting')}</dt>
          <dd data-testid="fund-waiting">{t('fund.nClaims', { n: fund.waiting })}</dd>
        </div>
        {runOut && (
          <div>
            <dt>{t('fund.runOut')}</dt>
            <dd data-testid="fund-run-out">
              {runOut.date ? formatDate(runOut.date) : t('fund.runOutNever')}
            </dd>
          </div>
        )}
      </dl>
      <p class="hint">{t('fund.committedHint')}</p>
      {runOut && (
        <p class="hint">
          {runOut.dailyFen > 0
            ? t('fund.runOutRate', { amount: formatFen(runOut.dailyFen) })
            : t('fund.runOutNoRate')}
        </p>
      )}
    </div>
  );
}

const yuan = (fen: number) => fen / 100;

/** The balance each day of the year; the month-end table beside it has the figures. */
function BalanceChart({ history }: { history: FundHistory }) {
  const lang = getLang();
  const config = useMemo(
    (): ChartConfiguration<'line'> => ({
      type: 'line',
      data: {
        labels: history.points.map((p) => p.date.slice(5)),
        datasets: [
          {
            label: t('fund.balance'),
            data: history.points.map((p) => yuan(p.balanceFen)),
            borderColor: '#0b4f8a',
            backgroundColor: '#0b4f8a',
            pointRadius: 0,
            borderWidth: 2,
            stepped: true,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: { label: (ctx) => formatFen(Math.round((ctx.parsed.y ?? 0) * 100)) },
          },
        },
        scales: {
          x: { ticks: { maxTicksLimit: 6, autoSkip: true, maxRotation: 0 } },
          y: {
            beginAtZero: true,
            ticks: { callback: (v) => formatFen(Math.round(Number(v) * 100)).replace(/\.00$/, '') },
          },
        },
      },
    }),
    [history, lang],
  );
  const { canvas, failed } = useChart(config);
  const months = monthEnds(history);
  return (
    <section class="card" aria-labelledby="fund-chart-title">
      <h2 id="fund-chart-title">{t('fund.chartTitle')}</h2>
      {!failed && (
        <div class="chart-box">
          <canvas ref={canvas} role="img" aria-label={t('fund.chart', { year: history.year })} />
        </div>
      )}
      <div class="scroll" tabIndex={0} role="region" aria-label={t('fund.monthEnd')}>
        <table class="list compact fund-months">
          <caption>{t('fund.monthEnd')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('fund.month')}</th>
              <th scope="col" class="num">
                {t('fund.monthTopUps')}
              </th>
              <th scope="col" class="num">
                {t('fund.monthPaid')}
              </th>
              <th scope="col" class="num">
                {t('fund.balance')}
              </th>
            </tr>
          </thead>
          <tbody>
            {months.map((m) => (
              <tr key={m.month}>
                <th scope="row">{formatMonth(m.month, lang)}</th>
                <td class="num">{formatFen(m.toppedUpFen)}</td>
                <td class="num">{formatFen(m.paidFen)}</td>
                <td class="num">{formatFen(m.balanceFen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Per month of the history: its top-ups, its payouts and the balance at its last day. */
function monthEnds(history: FundHistory) {
  const months = new Map<
    string,
    { month: string; toppedUpFen: number; paidFen: number; balanceFen: number }
  >();
  for (const p of history.points) {
    const month = p.date.slice(0, 7);
    const m = months.get(month) ?? { month, toppedUpFen: 0, paidFen: 0, balanceFen: 0 };
    m.toppedUpFen += p.toppedUpFen;
    m.paidFen += p.paidFen;
    m.balanceFen = p.balanceFen;
    months.set(month, m);
  }
  return [...months.values()];
}

function TopUps({ history }: { history: FundHistory }) {
  return (
    <section class="card" aria-labelledby="fund-topups-title">
      <h2 id="fund-topups-title">{t('fund.topUps')}</h2>
      {history.topUps.length === 0 ? (
        <p class="muted">{t('fund.noTopUps')}</p>
      ) : (
        <div class="scroll">
          <table class="list" data-testid="fund-topups">
            <thead>
              <tr>
                <th scope="col">{t('fund.at')}</th>
                <th scope="col">{t('fund.ref')}</th>
                <th scope="col" class="num">
                  {t('fund.amount')}
                </th>
                <th scope="col">{t('fund.by')}</th>
              </tr>
            </thead>
            <tbody>
              {[...history.topUps].reverse().map((u) => (
                <tr key={u.ref}>
                  <td data-label={t('fund.at')}>{formatDateTime(u.at)}</td>
                  <td data-label={t('fund.ref')} class="mono">
                    {u.ref}
                  </td>
                  <td data-label={t('fund.amount')} class="num">
                    {formatFen(u.amountFen)}
                  </td>
                  <td data-label={t('fund.by')}>{u.by}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const validRef = (ref: string) =>
  ref.length >= 1 && ref.length <= 64 && ref.trim() === ref && !/\p{Cc}/u.test(ref);

interface Preview {
  readonly amountFen: number;
  readonly pays: { count: number; fen: number };
  readonly waiting: number;
  readonly partial: boolean;
}

function TopUpForm({ region, fund, onDone }: { region: string; fund: FundView; onDone: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [amount, setAmount] = useState('');
  const [ref, setRef] = useState('');
  const [problem, setProblem] = useState<string>();
  const [preview, setPreview] = useState<Preview>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'warn' | 'error'; lines: string[] }>();

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (preview && !d.open) d.showModal();
    if (!preview && d.open) d.close();
  }, [preview]);

  /** Checks the form, then works out what the money would pay, for the dialog. */
  const review = async (e: Event) => {
    e.preventDefault();
    const parsed = parseYuan(amount.trim());
    if (!parsed.ok || parsed.fen === 0) return setProblem(t('fund.badAmount'));
    if (!validRef(ref)) return setProblem(t('fund.badRef'));
    setProblem(undefined);
    setNotice(undefined);
    setBusy(true);
    try {
      const { items, partial } =
        fund.waiting > 0
          ? await allClaims({ state: 'AWAITING_FUNDS' }, PREVIEW_LIMIT)
          : { items: [], partial: false };
      const waiting = items
        .filter((c) => (c.region ?? c.assessment?.region) === region)
        .map((c) => ({ payoutFen: c.payoutFen ?? 0, since: c.awaitingFundsSince ?? c.updatedAt }));
      setPreview({
        amountFen: parsed.fen,
        pays: wouldPay(fund.balanceFen + parsed.fen, waiting),
        waiting: Math.max(fund.waiting, waiting.length),
        partial,
      });
    } catch (err) {
      setNotice({ kind: 'error', lines: [errorMessage(err)] });
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!preview) return;
    setBusy(true);
    try {
      const out = await apiJson<TopUpAnswer>('POST', `${path(region)}/topups`, {
        amount: amount.trim(),
        ref,
      });
      const lines = [
        out.applied
          ? t('fund.added', { amount: formatFen(out.topUp.amountFen), ref: out.topUp.ref })
          : t('fund.repeated', {
              ref: out.topUp.ref,
              time: formatDateTime(out.topUp.at),
              amount: formatFen(out.topUp.amountFen),
            }),
        t('fund.paidNow', { n: out.paidNow.count, total: formatFen(out.paidNow.fen) }),
        ...(out.more ? [t('fund.more')] : []),
      ];
      setNotice({ kind: out.applied ? 'ok' : 'warn', lines });
      if (out.applied) {
        setAmount('');
        setRef('');
      }
      onDone();
    } catch (err) {
      setNotice({ kind: 'error', lines: [errorMessage(err)] });
    } finally {
      setBusy(false);
      setPreview(undefined);
    }
  };

  return (
    <section class="card" aria-labelledby="fund-topup-title">
      <h2 id="fund-topup-title">{t('fund.topUpTitle')}</h2>
      {notice && (
        <div
          class={`notice ${notice.kind}`}
          role={notice.kind === 'error' ? 'alert' : 'status'}
          data-testid="fund-notice"
        >
          {notice.lines.map((line) => (
            <p key={line}>{line}</p>
          ))}
        </div>
      )}
      <form onSubmit={(e) => void review(e)} noValidate>
        <label for="fund-amount">{t('fund.amountLabel')}</label>
        <input
          id="fund-amount"
          inputMode="decimal"
          autocomplete="off"
          value={amount}
          aria-describedby="fund-amount-hint"
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
        <p id="fund-amount-hint" class="hint">
          {t('fund.amountHint')}
        </p>
        <label for="fund-ref">{t('fund.ref')}</label>
        <input
          id="fund-ref"
          maxLength={64}
          autocomplete="off"
          value={ref}
          aria-describedby="fund-ref-hint"
          onInput={(e) => setRef(e.currentTarget.value)}
        />
        <p id="fund-ref-hint" class="hint">
          {t('fund.refHint')}
        </p>
        {problem && (
          <p class="field-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {t('fund.review')}
        </button>
      </form>
      <dialog
        ref={dialog}
        class="confirm"
        aria-labelledby="fund-confirm-title"
        aria-describedby="fund-confirm-text"
        onClose={() => setPreview(undefined)}
      >
        <h2 id="fund-confirm-title">{t('fund.confirmTitle')}</h2>
        <p id="fund-confirm-text">{t('fund.confirmText')}</p>
        {preview && (
          <dl class="big-numbers">
            <div>
              <dt>{t('fund.confirmAmount')}</dt>
              <dd data-testid="confirm-amount">{formatFen(preview.amountFen)}</dd>
            </div>
            <div>
              <dt>{t('fund.confirmRef')}</dt>
              <dd class="mono">{ref}</dd>
            </div>
            <div>
              <dt>{t('fund.confirmBalance')}</dt>
              <dd>{formatFen(fund.balanceFen + preview.amountFen)}</dd>
            </div>
            <div>
              <dt>{t('fund.confirmPays')}</dt>
              <dd data-testid="confirm-pays">
                {preview.partial ? '≥ ' : ''}
                {t('fund.confirmPaysValue', { n: preview.pays.count, total: formatFen(preview.pays.fen) })}
              </dd>
            </div>
          </dl>
        )}
        {preview && preview.waiting > preview.pays.count && (
          <p class="hint">{t('fund.confirmStillWaiting', { n: preview.waiting - preview.pays.count })}</p>
        )}
        <div class="actions">
          <button type="button" class="primary" disabled={busy} onClick={() => void confirm()}>
            {t('fund.confirm')}
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => setPreview(undefined)}>
            {t('fund.cancel')}
          </button>
        </div>
      </dialog>
    </section>
  );
}

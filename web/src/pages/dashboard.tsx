// The dashboard: payouts by month and category (money and counts), the time from upload to
// payout as a distribution, the review backlog by gate and by how long claims have waited, and
// each village. Figures come from GET /stats (computed from the ledger and the claim indexes,
// never a table scan). Each chart is drawn by chart.js, loaded only when this page opens, and
// its figures are also in a table: the table is the chart's text alternative.
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import type { getStats } from '#shared/api/stats-api.ts';
import { api, apiJson } from '../api.ts';
import { formatFen } from '../format.ts';
import { getLang, t, tCode } from '../i18n.ts';
import { bucketLabels, formatDuration, formatMonth } from '../stats.ts';
import { gateLabel } from '../review-state.ts';
import { categories, claimStates, type Category, type Policy } from '../types.ts';
import { useAsync } from '../use-async.ts';
import { useChart } from '../use-chart.ts';
import { ErrorBox, Loading, Page } from '../components.tsx';

export type Stats = Awaited<ReturnType<typeof getStats>>;

export { formatDuration };

/** Category colours: distinct hues, each at least 3:1 against white (WCAG non-text contrast). */
const categoryColour: Record<Category, string> = {
  education: '#0b4f8a',
  medical: '#b45309',
  disaster: '#15803d',
  industry: '#7c3aed',
};
const ageColours = ['#0b4f8a', '#2f7fc1', '#b45309', '#b91c1c', '#7f1d1d'];

/** A chart.js canvas; `label` is its short accessible name, the table next to it has the figures. */
function ChartCanvas({ config, label }: { config: ChartConfiguration<'bar'>; label: string }) {
  const { canvas, failed } = useChart(config);
  if (failed) return null;
  return (
    <div class="chart-box">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

const yuan = (fen: number) => fen / 100;

function barOptions(stacked: boolean, money: boolean): ChartConfiguration<'bar'>['options'] {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: {
      legend: { position: 'bottom', labels: { boxWidth: 12 } },
      tooltip: money
        ? {
            callbacks: {
              label: (ctx) =>
                `${ctx.dataset.label ?? ''}: ${formatFen(Math.round((ctx.parsed.y ?? 0) * 100))}`,
            },
          }
        : {},
    },
    scales: {
      x: { stacked },
      y: {
        stacked,
        beginAtZero: true,
        ticks: money
          ? { callback: (v) => formatFen(Math.round(Number(v) * 100)).replace(/\.00$/, '') }
          : { precision: 0 },
      },
    },
  };
}

/** A table scroller a keyboard can reach (a region that scrolls must be focusable). */
function Scroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}

export function Dashboard() {
  const [months, setMonths] = useState(6);
  const stats = useAsync(() => apiJson<Stats>('GET', `/stats?months=${months}`), [months]);
  const policies = useAsync(async () => (await api.policies()).items, []);

  return (
    <Page
      title={t('dash.title')}
      actions={
        <>
          <label class="inline">
            {t('dash.period')}
            <select value={String(months)} onChange={(e) => setMonths(Number(e.currentTarget.value))}>
              {[3, 6, 12].map((n) => (
                <option key={n} value={String(n)}>
                  {t('dash.lastMonths', { n })}
                </option>
              ))}
            </select>
          </label>
          <button type="button" class="secondary" onClick={stats.reload}>
            {t('refresh')}
          </button>
        </>
      }
    >
      {stats.error !== undefined && <ErrorBox error={stats.error} onRetry={stats.reload} />}
      {stats.loading && <Loading />}
      {stats.data && <Figures s={stats.data} policies={policies.data} />}
    </Page>
  );
}

function Figures({ s, policies }: { s: Stats; policies: Policy[] | undefined }) {
  const lang = getLang();
  const monthLabels = s.months.map((m) => formatMonth(m, lang));
  const cell = (month: string, category: Category) =>
    s.payouts.cells.find((c) => c.month === month && c.category === category);
  const usedCategories = categories.filter((c) => s.payouts.cells.some((x) => x.category === c));
  const shownCategories = usedCategories.length > 0 ? usedCategories : categories;
  const payBucketLabels = bucketLabels(s.timeToPay.bucketBounds);
  const ageLabels = bucketLabels(s.backlog.ageBounds);
  const gateName = (gate: string) =>
    gate === 'unknown'
      ? t('dash.unknownGate')
      : gateLabel(
          policies?.find((p) => p.review.gates.some((g) => g.id === gate)),
          gate,
        );

  // Built once per answer (and language) so the charts are not redrawn on every render.
  const configs = useMemo(
    () => ({
      payouts: {
        type: 'bar',
        data: {
          labels: monthLabels,
          datasets: shownCategories.map((c) => ({
            label: tCode('category', c),
            data: s.months.map((m) => yuan(cell(m, c)?.fen ?? 0)),
            backgroundColor: categoryColour[c],
          })),
        },
        options: barOptions(true, true),
      } satisfies ChartConfiguration<'bar'>,
      payTime: {
        type: 'bar',
        data: {
          labels: payBucketLabels,
          datasets: [{ label: t('dash.count'), data: s.timeToPay.buckets, backgroundColor: '#0b4f8a' }],
        },
        options: { ...barOptions(false, false), plugins: { legend: { display: false } } },
      } satisfies ChartConfiguration<'bar'>,
      backlog: {
        type: 'bar',
        data: {
          labels: s.backlog.byGate.map((g) => gateName(g.gate)),
          datasets: ageLabels.map((label, i) => ({
            label,
            data: s.backlog.byGate.map((g) => g.ages[i] ?? 0),
            backgroundColor: ageColours[i] ?? '#505a64',
          })),
        },
        options: barOptions(true, false),
      } satisfies ChartConfiguration<'bar'>,
    }),
    [s, lang, policies],
  );

  const total = claimStates.reduce((sum, st) => sum + (s.states[st] ?? 0), 0);
  return (
    <>
      <dl class="card big-numbers">
        <div>
          <dt>{t('dash.paidInPeriod')}</dt>
          <dd data-testid="paid-total">{formatFen(s.payouts.fen)}</dd>
        </div>
        <div>
          <dt>{t('dash.paidCount')}</dt>
          <dd data-testid="paid-count">{s.payouts.count}</dd>
        </div>
        <div>
          <dt>{t('dash.inReview')}</dt>
          <dd data-testid="backlog-total">{s.backlog.total}</dd>
        </div>
      </dl>

      <div class="dash-grid">
        <section class="card" aria-labelledby="payouts-title">
          <h2 id="payouts-title">{t('dash.payouts')}</h2>
          {s.payouts.count === 0 ? (
            <p class="muted">{t('dash.noPaid')}</p>
          ) : (
            <ChartCanvas config={configs.payouts} label={t('dash.payoutsChart')} />
          )}
          <Scroll label={t('dash.payoutsTable')}>
            <table class="list matrix" data-testid="payouts-table">
              <caption class="sr-only">{t('dash.payoutsTable')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('dash.month')}</th>
                  {shownCategories.map((c) => (
                    <th key={c} scope="col" class="num">
                      {tCode('category', c)}
                    </th>
                  ))}
                  <th scope="col" class="num">
                    {t('total')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {s.months.map((m, i) => {
                  const row = s.payouts.cells.filter((c) => c.month === m);
                  const fen = row.reduce((sum, c) => sum + c.fen, 0);
                  const count = row.reduce((sum, c) => sum + c.count, 0);
                  return (
                    <tr key={m}>
                      <th scope="row">{monthLabels[i]}</th>
                      {shownCategories.map((c) => {
                        const x = cell(m, c);
                        return (
                          <td key={c} class="num">
                            {x ? (
                              <>
                                {formatFen(x.fen)}
                                <span class="muted"> · {t('dash.nClaims', { n: x.count })}</span>
                              </>
                            ) : (
                              '—'
                            )}
                          </td>
                        );
                      })}
                      <td class="num">
                        {formatFen(fen)}
                        <span class="muted"> · {t('dash.nClaims', { n: count })}</span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </Scroll>
        </section>

        <section class="card" aria-labelledby="time-to-pay">
          <h2 id="time-to-pay">{t('dash.timeToPay')}</h2>
          {s.timeToPay.n === 0 ? (
            <p class="muted">{t('dash.noPaid')}</p>
          ) : (
            <>
              <dl class="big-numbers">
                <div>
                  <dt>{t('dash.median')}</dt>
                  <dd data-testid="median">{formatDuration(s.timeToPay.p50Seconds ?? 0)}</dd>
                </div>
                <div>
                  <dt>{t('dash.p90')}</dt>
                  <dd data-testid="p90">{formatDuration(s.timeToPay.p90Seconds ?? 0)}</dd>
                </div>
                <div>
                  <dt>{t('dash.longest')}</dt>
                  <dd>{formatDuration(s.timeToPay.maxSeconds ?? 0)}</dd>
                </div>
              </dl>
              <p class="hint">
                {t('dash.basedOn', { n: s.timeToPay.n })}
                {s.timeToPay.sampled && ` · ${t('dash.sampled')}`}
              </p>
              <ChartCanvas config={configs.payTime} label={t('dash.payTimeChart')} />
              <table class="list compact" data-testid="pay-time-table">
                <caption class="sr-only">{t('dash.payTimeTable')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('dash.waited')}</th>
                    <th scope="col" class="num">
                      {t('dash.count')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {payBucketLabels.map((label, i) => (
                    <tr key={label}>
                      <th scope="row">{label}</th>
                      <td class="num">{s.timeToPay.buckets[i] ?? 0}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>

        <section class="card" aria-labelledby="backlog-title">
          <h2 id="backlog-title">{t('dash.backlog')}</h2>
          {s.backlog.total === 0 ? (
            <p class="muted">{t('dash.noBacklog')}</p>
          ) : (
            <>
              <p class="hint">
                {t('dash.backlogNote', { oldest: formatDuration(s.backlog.oldestSeconds) })}
                {s.backlog.partial && ` · ${t('dash.partial', { n: s.backlog.total })}`}
              </p>
              <ChartCanvas config={configs.backlog} label={t('dash.backlogChart')} />
              <Scroll label={t('dash.backlogTable')}>
                <table class="list matrix" data-testid="backlog-table">
                  <caption class="sr-only">{t('dash.backlogTable')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('dash.gate')}</th>
                      {ageLabels.map((label) => (
                        <th key={label} scope="col" class="num">
                          {label}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {s.backlog.byGate.map((g) => (
                      <tr key={g.gate}>
                        <th scope="row">{gateName(g.gate)}</th>
                        {ageLabels.map((label, i) => (
                          <td key={label} class="num">
                            {g.ages[i] ?? 0}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            </>
          )}
        </section>

        <section class="card" aria-labelledby="by-state">
          <h2 id="by-state">{t('dash.byState')}</h2>
          <table class="bars">
            <tbody>
              {claimStates.map((st) => {
                const n = s.states[st] ?? 0;
                const share = total ? (n / total) * 100 : 0;
                return (
                  <tr key={st}>
                    <th scope="row">{tCode('state', st)}</th>
                    <td class="num" data-testid={`count-${st}`}>
                      {n}
                    </td>
                    <td class="bar-cell" aria-hidden="true">
                      <span class="bar" style={{ width: `${share}%` }} />
                    </td>
                  </tr>
                );
              })}
              <tr class="total">
                <th scope="row">{t('total')}</th>
                <td class="num">{total}</td>
                <td />
              </tr>
            </tbody>
          </table>
        </section>
      </div>

      <section class="card" aria-labelledby="by-village">
        <h2 id="by-village">{t('dash.byVillage')}</h2>
        {s.villages.length === 0 ? (
          <p class="muted">{t('dash.noPaid')}</p>
        ) : (
          <table class="list" data-testid="village-table">
            <thead>
              <tr>
                <th scope="col">{t('households.village')}</th>
                <th scope="col" class="num">
                  {t('dash.paidCount')}
                </th>
                <th scope="col" class="num">
                  {t('dash.paidInPeriod')}
                </th>
                <th scope="col" class="num">
                  {t('dash.inReview')}
                </th>
              </tr>
            </thead>
            <tbody>
              {s.villages.map((v) => (
                <tr key={`${v.region}|${v.village}`}>
                  <td data-label={t('households.village')}>{v.village}</td>
                  <td class="num" data-label={t('dash.paidCount')}>
                    {v.paidCount}
                  </td>
                  <td class="num" data-label={t('dash.paidInPeriod')}>
                    {formatFen(v.paidFen)}
                  </td>
                  <td class="num" data-label={t('dash.inReview')}>
                    {v.pending}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

// Claims by state and category, and how long people wait from upload to payout (median and
// 90th percentile). Computed from GET /claims pages; a PAID claim's last change is its
// payout, a DISBURSED one needs its history for the PAID time.
import { allClaims, api } from '../api.ts';
import { t, tCode } from '../i18n.ts';
import { countBy, mapLimit, percentile } from '../stats.ts';
import { categories, claimStates } from '../types.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, Loading, Page } from '../components.tsx';

const MAX_CLAIMS = 5000;
const MAX_HISTORIES = 200;

export function formatDuration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 60) return t('dash.minutes', { n: Math.max(1, Math.round(minutes)) });
  const hours = minutes / 60;
  if (hours < 48) return t('dash.hours', { n: Math.round(hours * 10) / 10 });
  return t('dash.days', { n: Math.round((hours / 24) * 10) / 10 });
}

export function Dashboard() {
  const stats = useAsync(async () => {
    const { items, partial } = await allClaims({}, MAX_CLAIMS);
    const paid = items.filter((c) => c.state === 'PAID' || c.state === 'DISBURSED');
    const disbursed = paid.filter((c) => c.state === 'DISBURSED').slice(0, MAX_HISTORIES);
    const paidAt = new Map<string, string>();
    for (const c of paid) if (c.state === 'PAID') paidAt.set(c.claimId, c.updatedAt);
    await mapLimit(disbursed, 4, async (c) => {
      const detail = await api.claim(c.claimId).catch(() => undefined);
      const event = detail?.history.find((h) => h.to === 'PAID');
      if (event) paidAt.set(c.claimId, event.at);
    });
    const waits = paid.flatMap((c) => {
      const at = paidAt.get(c.claimId);
      return at ? [Date.parse(at) - Date.parse(c.filedAt)] : [];
    });
    return {
      total: items.length,
      partial,
      byState: countBy(items, (c) => c.state),
      byCell: countBy(items, (c) => `${c.category ?? '-'}|${c.state}`),
      waits,
    };
  }, []);

  return (
    <Page
      title={t('dash.title')}
      actions={
        <button type="button" class="secondary" onClick={stats.reload}>
          {t('refresh')}
        </button>
      }
    >
      {stats.error !== undefined && <ErrorBox error={stats.error} onRetry={stats.reload} />}
      {stats.loading && <Loading />}
      {stats.data && (
        <>
          {stats.data.partial && <p class="notice warn">{t('dash.partial', { n: stats.data.total })}</p>}
          <div class="two-col">
            <section class="card" aria-labelledby="by-state">
              <h2 id="by-state">{t('dash.byState')}</h2>
              <table class="bars">
                <tbody>
                  {claimStates.map((s) => {
                    const n = stats.data?.byState.get(s) ?? 0;
                    const share = stats.data?.total ? (n / stats.data.total) * 100 : 0;
                    return (
                      <tr key={s}>
                        <th scope="row">{tCode('state', s)}</th>
                        <td class="num" data-testid={`count-${s}`}>
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
                    <td class="num">{stats.data.total}</td>
                    <td />
                  </tr>
                </tbody>
              </table>
            </section>
            <section class="card" aria-labelledby="time-to-pay">
              <h2 id="time-to-pay">{t('dash.timeToPay')}</h2>
              {stats.data.waits.length === 0 ? (
                <p class="muted">{t('dash.noPaid')}</p>
              ) : (
                <dl class="big-numbers">
                  <div>
                    <dt>{t('dash.median')}</dt>
                    <dd data-testid="median">{formatDuration(percentile(stats.data.waits, 50) ?? 0)}</dd>
                  </div>
                  <div>
                    <dt>{t('dash.p90')}</dt>
                    <dd data-testid="p90">{formatDuration(percentile(stats.data.waits, 90) ?? 0)}</dd>
                  </div>
                  <p class="hint">{t('dash.basedOn', { n: stats.data.waits.length })}</p>
                </dl>
              )}
            </section>
          </div>
          <section class="card" aria-labelledby="by-category">
            <h2 id="by-category">{t('dash.byCategory')}</h2>
            <div class="scroll">
              <table class="list matrix">
                <thead>
                  <tr>
                    <th scope="col">{t('claim.category')}</th>
                    {claimStates.map((s) => (
                      <th key={s} scope="col" class="num">
                        {tCode('state', s)}
                      </th>
                    ))}
                    <th scope="col" class="num">
                      {t('total')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {categories.map((c) => (
                    <tr key={c}>
                      <th scope="row">{tCode('category', c)}</th>
                      {claimStates.map((s) => (
                        <td key={s} class="num">
                          {stats.data?.byCell.get(`${c}|${s}`) ?? 0}
                        </td>
                      ))}
                      <td class="num">
                        {claimStates.reduce((sum, s) => sum + (stats.data?.byCell.get(`${c}|${s}`) ?? 0), 0)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
    </Page>
  );
}

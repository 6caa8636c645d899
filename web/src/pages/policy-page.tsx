// The policies the server prices with (GET /policies), the one in force today first.
import { chinaDate } from '#shared/dates.ts';
import { api } from '../api.ts';
import { formatDate, formatFen, formatRate } from '../format.ts';
import { getLang, t, tCode } from '../i18n.ts';
import { cached } from '../offline-cache.ts';
import type { Policy } from '../types.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, Field, Loading, Page } from '../components.tsx';

function inForce(p: Policy, date: string): boolean {
  return p.effectiveFrom <= date && (p.effectiveTo === null || date < p.effectiveTo);
}

export function PolicyPage() {
  const policies = useAsync(() => cached('policies', async () => (await api.policies()).items), []);
  const today = chinaDate(new Date());
  const sorted = [...(policies.data ?? [])].sort(
    (a, b) => Number(inForce(b, today)) - Number(inForce(a, today)) || b.version - a.version,
  );
  return (
    <Page title={t('policy.title')}>
      {policies.error !== undefined && <ErrorBox error={policies.error} onRetry={policies.reload} />}
      {policies.loading && <Loading />}
      {sorted.map((p) => (
        <PolicyCard key={`${p.policyId}-${p.version}`} policy={p} current={inForce(p, today)} />
      ))}
    </Page>
  );
}

function PolicyCard({ policy: p, current }: { policy: Policy; current: boolean }) {
  return (
    <article class="card policy" aria-labelledby={`policy-${p.policyId}-${p.version}`}>
      <h2 id={`policy-${p.policyId}-${p.version}`}>
        {p.name[getLang()]} <span class="muted">v{p.version}</span>{' '}
        <span class={`badge ${current ? 'ok' : 'bad'}`}>
          {current ? t('policy.inForce') : t('policy.notInForce')}
        </span>
      </h2>
      <dl class="fields">
        <Field label={t('policy.region')}>{p.region}</Field>
        <Field label={t('policy.effective')}>
          {formatDate(p.effectiveFrom)}{' '}
          {p.effectiveTo ? t('policy.until', { date: formatDate(p.effectiveTo) }) : t('policy.untilReplaced')}
        </Field>
        <Field label={t('policy.deadline')}>{t('policy.deadlineDays', { n: p.filingDeadlineDays })}</Field>
        <Field label={t('policy.covered')}>
          {p.coveredStatuses.map((s) => tCode('status', s)).join('、')}
        </Field>
      </dl>
      <h3>{t('policy.categoryRules')}</h3>
      <div class="scroll">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{t('claim.category')}</th>
              <th scope="col">
                {t('policy.bands')} / {t('policy.grants')}
              </th>
              <th scope="col" class="num">
                {t('policy.cap')}
              </th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(p.categories).map(([category, rule]) =>
              rule ? (
                <tr key={category}>
                  <th scope="row">{tCode('category', category)}</th>
                  <td>
                    <ul class="plain">
                      {rule.kind === 'tiered'
                        ? rule.bands.map((b) => (
                            <li key={b.fromYuan}>
                              {formatFen(b.fromYuan)} – {b.toYuan === null ? '∞' : formatFen(b.toYuan)}:{' '}
                              {formatRate(b.rateBp)}
                            </li>
                          ))
                        : rule.grants.map((g) => (
                            <li key={g.minLossYuan}>
                              {t('policy.lossAtLeast', { amount: formatFen(g.minLossYuan) })}:{' '}
                              {formatFen(g.grantYuan)}
                            </li>
                          ))}
                    </ul>
                  </td>
                  <td class="num">{formatFen(rule.annualCapYuan)}</td>
                </tr>
              ) : null,
            )}
          </tbody>
        </table>
      </div>
      <h3>{t('policy.review')}</h3>
      <ul>
        <li>{t('policy.reviewAbove', { amount: formatFen(p.review.payoutAboveYuan) })}</li>
        <li>
          {t('policy.reviewAlways', {
            list: p.review.alwaysCategories.map((c) => tCode('category', c)).join('、'),
          })}
        </li>
        <li>{t('policy.anomalyCost', { amount: formatFen(p.review.anomaly.totalCostAboveYuan) })}</li>
        <li>{t('policy.anomalyStatus', { n: p.review.anomaly.statusChangedWithinDays })}</li>
        {p.review.anomaly.medicalWithoutReimbursement && <li>{t('policy.anomalyMedical')}</li>}
      </ul>
    </article>
  );
}

// The policies the server prices with (GET /policies), the one in force today first.
import { chinaDate } from '#shared/dates.ts';
import { api } from '../api.ts';
import { formatDate, formatFen, formatRate, reviewReasonText } from '../format.ts';
import { pick, t, tCode } from '../i18n.ts';
import { cached } from '../offline-cache.ts';
import { gateLabel } from '../review-state.ts';
import type { Category, Policy } from '../types.ts';
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
        {pick(p.name)} <span class="muted">v{p.version}</span>{' '}
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
                            <li key={b.fromFen}>
                              {formatFen(b.fromFen)} – {b.toFen === null ? '∞' : formatFen(b.toFen)}:{' '}
                              {formatRate(b.rateBp)}
                            </li>
                          ))
                        : rule.grants.map((g) => (
                            <li key={g.minLossFen}>
                              {t('policy.lossAtLeast', { amount: formatFen(g.minLossFen) })}:{' '}
                              {formatFen(g.grantFen)}
                            </li>
                          ))}
                    </ul>
                  </td>
                  <td class="num">{formatFen(rule.annualCapFen)}</td>
                </tr>
              ) : null,
            )}
          </tbody>
        </table>
      </div>
      <ReviewRules policy={p} />
    </article>
  );
}

const categoryList = (list: readonly Category[]) => list.map((c) => tCode('category', c)).join('、');

/** Which claims are reviewed at which gates: the policy's routes, in the words reviewers see. */
function ReviewRules({ policy: p }: { policy: Policy }) {
  const { gates, routes, anomaly } = p.review;
  const anomalies = [
    reviewReasonText({ code: 'TOTAL_COST_ABOVE', params: { limitFen: anomaly.totalCostAboveFen } }),
    reviewReasonText({ code: 'STATUS_CHANGED_RECENTLY', params: { days: anomaly.statusChangedWithinDays } }),
    ...(anomaly.withoutReimbursement.categories.length > 0
      ? [
          reviewReasonText({
            code: 'NOT_REIMBURSED',
            params: { category: categoryList(anomaly.withoutReimbursement.categories) },
          }),
        ]
      : []),
  ];
  return (
    <>
      <h3>{t('policy.gates')}</h3>
      <ol>
        {gates.map((g) => (
          <li key={g.id}>{t('policy.gateRole', { gate: pick(g.label), role: tCode('role', g.role) })}</li>
        ))}
      </ol>
      <h3>{t('policy.review')}</h3>
      <ul>
        {routes.map((route, i) => {
          const params: Record<string, string | number> = {};
          if (route.when.payoutAboveFen !== undefined) params.limitFen = route.when.payoutAboveFen;
          if (route.when.categories !== undefined) params.category = categoryList(route.when.categories);
          return (
            <li key={i}>
              {t('policy.route', {
                reason: reviewReasonText({ code: route.reason, params }),
                gates: route.gates.map((g) => gateLabel(p, g)).join(' → '),
              })}
              {route.when.anomaly && (
                <ul>
                  {anomalies.map((text) => (
                    <li key={text}>{text}</li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

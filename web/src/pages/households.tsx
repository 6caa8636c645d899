// A grid worker's households: only those assigned to them (the API filters), with the roster
// status today. Names and ID numbers arrive masked for this role.
import { api } from '../api.ts';
import { useApp } from '../context.ts';
import { t } from '../i18n.ts';
import { cached } from '../offline-cache.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, Loading, Page, StatusBadge } from '../components.tsx';
import { maskIdNumber } from '#shared/resident-id.ts';

export function Households() {
  const { principal } = useApp();
  const households = useAsync(
    () => cached(`households.${principal.username}`, api.households),
    [principal.username],
  );
  return (
    <Page title={t('households.title')}>
      {households.loading && !households.data && <Loading />}
      {households.error !== undefined && <ErrorBox error={households.error} onRetry={households.reload} />}
      {households.data && households.data.items.length === 0 && <p class="muted">{t('households.empty')}</p>}
      <ul class="cards" aria-label={t('households.title')}>
        {households.data?.items.map((h) => (
          <li key={h.householdId} class="card household">
            <div class="card-head">
              <strong>{h.householdId}</strong>
              <StatusBadge status={h.status} />
            </div>
            <dl class="compact">
              <div>
                <dt>{t('households.head')}</dt>
                <dd>{h.headName}</dd>
              </div>
              <div>
                <dt>{t('households.village')}</dt>
                <dd>
                  {h.village} · {t('households.members', { n: h.members })}
                </dd>
              </div>
              <div>
                <dt>{t('households.id')}</dt>
                {/* Already masked by the API for this role; masked again in case a role sees more. */}
                <dd class="mono">{maskIdNumber(h.idNumber)}</dd>
              </div>
            </dl>
            {h.status && h.status !== 'removed' && (
              <a class="button secondary" href={href('/new', { household: h.householdId })}>
                {t('households.newClaim')}
              </a>
            )}
          </li>
        ))}
      </ul>
    </Page>
  );
}

// A reviewer's queue: claims in review whose next gate is theirs, oldest first, leaving out
// claims they already decided another gate of (four-eyes: someone else must take those).
import { gateRoles } from '#shared/access.ts';
import { allClaims } from '../api.ts';
import { useApp } from '../context.ts';
import { formatDateTime } from '../format.ts';
import { t, tCode } from '../i18n.ts';
import { reviewGates } from '../types.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, Loading, Page } from '../components.tsx';
import { ClaimTable } from './claims-list.tsx';

export function ReviewQueue() {
  const { principal } = useApp();
  const mine = reviewGates.filter((g) => principal.roles.includes(gateRoles[g]));
  const queue = useAsync(async () => {
    const { items } = await allClaims({ state: 'PENDING_REVIEW' }, 2000);
    return items
      .filter((c) => c.nextGate !== null && mine.includes(c.nextGate))
      .filter((c) => !Object.values(c.gates).some((d) => d?.by === principal.username))
      .sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : 1));
  }, [principal.username]);

  if (mine.length === 0) return <Page title={t('nav.queue')}>{t('queue.notReviewer')}</Page>;
  return (
    <Page
      title={t('queue.title', { gate: mine.map((g) => tCode('gate', g)).join('、') })}
      actions={
        <button type="button" class="secondary" onClick={queue.reload}>
          {t('refresh')}
        </button>
      }
    >
      {queue.error !== undefined && <ErrorBox error={queue.error} onRetry={queue.reload} />}
      {queue.loading && <Loading />}
      {queue.data && queue.data.length === 0 && <p class="muted">{t('queue.empty')}</p>}
      {queue.data && queue.data.length > 0 && (
        <ClaimTable
          items={queue.data}
          extra={(c) => `${t('queue.waiting')} ${formatDateTime(c.updatedAt)}`}
        />
      )}
    </Page>
  );
}

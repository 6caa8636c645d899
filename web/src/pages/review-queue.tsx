// A reviewer's queue: claims in review whose next gate is theirs, oldest first, leaving out
// claims they already decided another gate of (four-eyes: someone else must take those). Which
// gates are theirs is policy data: the gates of the policies in use whose role they hold.
import { allClaims, api } from '../api.ts';
import { useApp } from '../context.ts';
import { formatDateTime } from '../format.ts';
import { t } from '../i18n.ts';
import { cached } from '../offline-cache.ts';
import { gateLabel, gatesFor } from '../review-state.ts';
import type { GateId, Policy, Principal } from '../types.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, Loading, Page } from '../components.tsx';
import { ClaimTable } from './claims-list.tsx';
import { decidersOf } from '#shared/review-routing.ts';

export function ReviewQueue() {
  const { principal } = useApp();
  const policies = useAsync(() => cached('policies', async () => (await api.policies()).items), []);
  const all = policies.data ?? [];
  const mine = myGates(all, principal.roles);
  const queue = useAsync(async () => {
    // Appeals wait at the same gates as first reviews and objections.
    const [pending, appealed] = await Promise.all([
      allClaims({ state: 'PENDING_REVIEW' }, 2000),
      allClaims({ state: 'APPEALED' }, 2000),
    ]);
    return [...pending.items, ...appealed.items]
      .filter((c) => !decidersOf(c).has(principal.username))
      .filter((c) => !(c.objections ?? []).some((o) => o.by === principal.username))
      .sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : 1));
  }, [principal.username]);
  const waiting = queue.data?.filter((c) => c.nextGate !== null && mine.includes(c.nextGate));

  if (policies.error !== undefined)
    return (
      <Page title={t('nav.queue')}>
        <ErrorBox error={policies.error} onRetry={policies.reload} />
      </Page>
    );
  if (!policies.data)
    return (
      <Page title={t('nav.queue')}>
        <Loading />
      </Page>
    );
  if (mine.length === 0) return <Page title={t('nav.queue')}>{t('queue.notReviewer')}</Page>;
  // Named as the newest policy that has the gate names it.
  const newestFirst = [...all].sort((x, y) => y.version - x.version);
  const label = (gate: GateId) =>
    gateLabel(
      newestFirst.find((p) => hasGate(p, gate)),
      gate,
    );
  return (
    <Page
      title={t('queue.title', { gate: mine.map(label).join('、') })}
      actions={
        <button type="button" class="secondary" onClick={queue.reload}>
          {t('refresh')}
        </button>
      }
    >
      {queue.error !== undefined && <ErrorBox error={queue.error} onRetry={queue.reload} />}
      {queue.loading && <Loading />}
      {waiting && waiting.length === 0 && <p class="muted">{t('queue.empty')}</p>}
      {waiting && waiting.length > 0 && (
        <ClaimTable items={waiting} extra={(c) => `${t('queue.waiting')} ${formatDateTime(c.updatedAt)}`} />
      )}
    </Page>
  );
}

function hasGate(policy: Policy, gate: GateId): boolean {
  return policy.review.gates.some((g) => g.id === gate);
}

/** The gate ids the person decides under any of the policies, each once, in policy order. */
function myGates(policies: readonly Policy[], roles: Principal['roles']): GateId[] {
  return [...new Set(policies.flatMap((p) => gatesFor(p, roles)))];
}

// Claims with their state and, when refused, the reason in plain words. Grid workers see
// their own households' claims (the API filters) plus those still on the device.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { hasRole, useApp } from '../context.ts';
import { formatDateTime, formatFen, shortId } from '../format.ts';
import { claimAmount } from '../amounts.ts';
import { t, tCode } from '../i18n.ts';
import { href, navigate } from '../router.ts';
import { categories, claimStates, type ClaimView } from '../types.ts';
import { ErrorBox, Loading, Page, StateBadge } from '../components.tsx';
import { DraftList } from './draft-list.tsx';

export function ClaimsList({ query }: { query: URLSearchParams }) {
  const { principal } = useApp();
  const worker = hasRole(principal, 'gridWorker');
  const state = query.get('state') ?? '';
  const category = query.get('category') ?? '';
  const [items, setItems] = useState<ClaimView[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();

  const load = async (after?: string) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await api.claims({
        ...(state ? { state } : {}),
        ...(category ? { category } : {}),
        limit: 50,
        ...(after ? { cursor: after } : {}),
      });
      setItems((old) => (after ? [...old, ...page.items] : page.items));
      setCursor(page.cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
  }, [state, category]);

  const sorted = [...items].sort((a, b) => (a.filedAt < b.filedAt ? 1 : -1));
  const filter = (key: 'state' | 'category', value: string) =>
    navigate('/claims', { state, category, [key]: value || undefined });

  return (
    <Page
      title={worker ? t('claims.mine') : t('claims.title')}
      actions={
        <button type="button" class="secondary" onClick={() => void load()}>
          {t('refresh')}
        </button>
      }
    >
      {worker && <DraftList username={principal.username} />}
      <div class="filters">
        <label>
          {t('claims.filterState')}
          <select value={state} onChange={(e) => filter('state', e.currentTarget.value)}>
            <option value="">{t('claims.all')}</option>
            {claimStates.map((s) => (
              <option key={s} value={s}>
                {tCode('state', s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('claims.filterCategory')}
          <select value={category} onChange={(e) => filter('category', e.currentTarget.value)}>
            <option value="">{t('claims.all')}</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {tCode('category', c)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error !== undefined && <ErrorBox error={error} onRetry={() => void load()} />}
      {!loading && !error && sorted.length === 0 && <p class="muted">{t('claims.empty')}</p>}
      {sorted.length > 0 && <ClaimTable items={sorted} />}
      {loading && <Loading />}
      {cursor && !loading && (
        <button type="button" class="secondary" onClick={() => void load(cursor)}>
          {t('loadMore')}
        </button>
      )}
    </Page>
  );
}

/** Paid: the amount; open: marked as an estimate; rejected or not priced: nothing payable. */
function AmountCell({ claim }: { claim: ClaimView }) {
  const amount = claimAmount(claim);
  if (amount.kind === 'paid') return <>{formatFen(amount.fen)}</>;
  if (amount.kind === 'estimate')
    return <span class="muted">{t('claims.estimate', { amount: formatFen(amount.fen) })}</span>;
  return <>—</>;
}

export function ClaimTable({ items, extra }: { items: ClaimView[]; extra?: (c: ClaimView) => string }) {
  return (
    <table class="list">
      <thead>
        <tr>
          <th scope="col">{t('claims.claimId')}</th>
          <th scope="col">{t('claims.filed')}</th>
          <th scope="col">{t('claim.household')}</th>
          <th scope="col">{t('claim.category')}</th>
          <th scope="col">{t('claim.state')}</th>
          <th scope="col" class="num">
            {t('claims.amount')}
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((c) => (
          <tr key={c.claimId}>
            <td data-label={t('claims.claimId')}>
              <a href={href(`/claims/${c.claimId}`)} class="mono" title={c.claimId}>
                {shortId(c.claimId)}
              </a>
              {c.source === 'data-feed' && (
                <>
                  {' '}
                  <span class="badge info" title={t('claims.foundInDataHint')} data-testid="found-in-data">
                    {t('claims.foundInData')}
                  </span>
                </>
              )}
            </td>
            <td data-label={t('claims.filed')}>{formatDateTime(c.filedAt)}</td>
            <td data-label={t('claim.household')}>
              {c.householdId ?? '—'}
              {c.village ? ` · ${c.village}` : ''}
            </td>
            <td data-label={t('claim.category')}>{tCode('category', c.category)}</td>
            <td data-label={t('claim.state')}>
              <StateBadge state={c.state} />
              {c.reason && <div class="reason">{tCode('reason', c.reason)}</div>}
              {extra && <div class="muted">{extra(c)}</div>}
            </td>
            <td data-label={t('claims.amount')} class="num">
              <AmountCell claim={c} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// A grid worker's households: only those assigned to them (the API filters), with the roster
// status today, this year's claims and how much of each category's annual cap is used. The
// API gives this worker the head's full name (they visit the family); ID numbers arrive masked.
// Search and filters run on the device, so they work without a signal too.
import { useMemo, useState } from 'preact/hooks';
import { chinaDate } from '#shared/dates.ts';
import { householdStatuses } from '#shared/vocabulary.ts';
import { openStates as openGroup, paidStates as paidGroup } from '#shared/claim-groups.ts';
import { allClaims, api } from '../api.ts';
import { useApp } from '../context.ts';
import { formatFen } from '../format.ts';
import { t, tCode } from '../i18n.ts';
import { cached } from '../offline-cache.ts';
import { policyInForce } from '../policy-in-force.ts';
import { href } from '../router.ts';
import type { Category, ClaimView, Household, Policy } from '../types.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, Loading, Page, StatusBadge } from '../components.tsx';
import { maskIdNumber } from '#shared/resident-id.ts';
import type { HouseholdWarning } from '#shared/api/warnings-api.ts';
import { fetchWarnings, WarningBadge, WarningExplanation } from './warnings.tsx';

/** States a claim is still moving through (not paid or refused), and those that paid. */
const openStates = new Set<ClaimView['state']>(openGroup);
const paidStates = new Set<ClaimView['state']>(paidGroup);

export interface HouseholdYear {
  /** Claims whose cap year (the expense date's year) is this year. */
  readonly claims: number;
  readonly open: number;
  /** Paid this cap year, by category: what the household's annual caps count. */
  readonly paidFen: Partial<Record<Category, number>>;
}

/** This year's claims of each household, from the worker's own claim list. */
export function householdYears(claims: readonly ClaimView[], year: string): Map<string, HouseholdYear> {
  const years = new Map<
    string,
    { claims: number; open: number; paidFen: Partial<Record<Category, number>> }
  >();
  for (const c of claims) {
    if (!c.householdId) continue;
    const open = openStates.has(c.state);
    const capYear = (c.expenseDate ?? c.filedAt).slice(0, 4);
    if (capYear !== year && !open) continue;
    const row = years.get(c.householdId) ?? { claims: 0, open: 0, paidFen: {} };
    if (capYear === year) row.claims += 1;
    if (open) row.open += 1;
    if (capYear === year && paidStates.has(c.state) && c.category && c.payoutFen)
      row.paidFen[c.category] = (row.paidFen[c.category] ?? 0) + c.payoutFen;
    years.set(c.householdId, row);
  }
  return years;
}

/** Whether a household matches the search words (head's name, household id or village). */
export function matchesSearch(
  h: Pick<Household, 'householdId' | 'headName' | 'village'>,
  query: string,
): boolean {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const text = `${h.householdId} ${h.headName} ${h.village}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

export function Households() {
  const { principal } = useApp();
  const year = chinaDate(new Date()).slice(0, 4);
  const households = useAsync(
    () => cached(`households.${principal.username}`, api.households),
    [principal.username],
  );
  const claims = useAsync(
    () => cached(`claims.${principal.username}`, async () => (await allClaims({}, 2000)).items),
    [principal.username],
  );
  const policies = useAsync(() => cached('policies', async () => (await api.policies()).items), []);
  // The households arrive red first, orange, blue, none; why each is at its level is read only
  // when one is.
  const warned = (households.data?.items ?? []).some((h) => h.warning);
  const warnings = useAsync(
    () =>
      warned ? cached(`warnings.${principal.username}`, () => fetchWarnings()) : Promise.resolve(undefined),
    [principal.username, warned],
  );
  const whyOf = useMemo(
    () => new Map((warnings.data?.households ?? []).map((w) => [w.householdId, w])),
    [warnings.data],
  );
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('');
  const [openOnly, setOpenOnly] = useState(false);

  const years = useMemo(() => householdYears(claims.data ?? [], year), [claims.data, year]);
  const all = households.data?.items ?? [];
  const shown = all.filter(
    (h) =>
      matchesSearch(h, query) &&
      (status === '' || (status === 'none' ? h.status === null : h.status === status)) &&
      (!openOnly || (years.get(h.householdId)?.open ?? 0) > 0),
  );

  return (
    <Page title={t('households.title')}>
      {households.loading && !households.data && <Loading />}
      {households.error !== undefined && <ErrorBox error={households.error} onRetry={households.reload} />}
      {households.data && all.length === 0 && <p class="muted">{t('households.empty')}</p>}
      {all.length > 0 && (
        <form class="card filters household-filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <label class="grow">
            {t('households.search')}
            <input
              type="search"
              value={query}
              placeholder={t('households.searchHint')}
              autocomplete="off"
              onInput={(e) => setQuery(e.currentTarget.value)}
            />
          </label>
          <label>
            {t('households.status')}
            <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">{t('households.anyStatus')}</option>
              {householdStatuses.map((s) => (
                <option key={s} value={s}>
                  {tCode('status', s)}
                </option>
              ))}
              <option value="none">{tCode('status', 'none')}</option>
            </select>
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={openOnly}
              onChange={(e) => setOpenOnly(e.currentTarget.checked)}
            />
            {t('households.openOnly')}
          </label>
        </form>
      )}
      {all.length > 0 && (
        <p class="muted" role="status" aria-live="polite" data-testid="households-shown">
          {t('households.shown', { shown: shown.length, total: all.length })}
        </p>
      )}
      <ul class="cards" aria-label={t('households.title')}>
        {shown.map((h) => (
          <HouseholdCard
            key={h.householdId}
            h={h}
            year={year}
            summary={
              claims.data ? (years.get(h.householdId) ?? { claims: 0, open: 0, paidFen: {} }) : undefined
            }
            policy={policies.data ? policyInForce(policies.data, h.region, chinaDate(new Date())) : undefined}
            why={whyOf.get(h.householdId)}
          />
        ))}
      </ul>
    </Page>
  );
}

function HouseholdCard({
  h,
  year,
  summary,
  policy,
  why,
}: {
  h: Household;
  year: string;
  summary: HouseholdYear | undefined;
  policy: Policy | undefined;
  why?: HouseholdWarning | undefined;
}) {
  const paid = Object.entries(summary?.paidFen ?? {}) as [Category, number][];
  return (
    <li class="card household">
      <div class="card-head">
        <strong>{h.householdId}</strong>
        <span class="badges">
          {h.warning && <WarningBadge level={h.warning.level} />}
          <StatusBadge status={h.status} />
        </span>
      </div>
      {why && (
        <details class="warning-details">
          <summary>{t('warnings.why')}</summary>
          <WarningExplanation h={why} />
        </details>
      )}
      <dl class="compact">
        <div>
          <dt>{t('households.head')}</dt>
          <dd data-testid="head-name">{h.headName}</dd>
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
        <div>
          <dt>{t('households.thisYear', { year })}</dt>
          <dd data-testid="year-claims">
            {summary
              ? t('households.claimCount', { n: summary.claims }) +
                (summary.open > 0 ? ` · ${t('households.openCount', { n: summary.open })}` : '')
              : '—'}
          </dd>
        </div>
        <div>
          <dt>{t('households.capUsed')}</dt>
          <dd data-testid="cap-used">
            {!summary ? (
              '—'
            ) : paid.length === 0 ? (
              t('households.nothingPaid')
            ) : (
              <ul class="plain">
                {paid.map(([category, fen]) => {
                  const cap = policy?.categories[category]?.annualCapFen;
                  return (
                    <li key={category}>
                      {tCode('category', category)} {formatFen(fen)}
                      {cap !== undefined && ` / ${formatFen(cap)}`}
                    </li>
                  );
                })}
              </ul>
            )}
          </dd>
        </div>
      </dl>
      {h.status && h.status !== 'removed' && (
        <a class="button secondary" href={href('/new', { household: h.householdId })}>
          {t('households.newClaim')}
        </a>
      )}
    </li>
  );
}

// Return-to-poverty warnings (返贫预警). The county view for admins and insurers: a region's
// villages as a grid coloured by their worst level with the counts per level, the households at a
// level (red first) each with why, and the list as a CSV. For grid workers: the badge on each of
// their household cards and the same explanation. Everything is computed by the API; this page
// only writes it in the reader's language.
import { useState } from 'preact/hooks';
import type { HouseholdWarning, VillageCounts, WarningsList } from '#shared/api/warnings-api.ts';
import type { WarningLevel } from '#shared/warnings.ts';
import { apiFetch, apiJson, errorFrom } from '../api.ts';
import { saveBlob } from '../download.ts';
import { formatDate, formatFen, formatRate } from '../format.ts';
import { getLang, pick, t, tCode } from '../i18n.ts';
import type { MessageKey } from '../messages.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, errorMessage, Loading, Page } from '../components.tsx';
import './warnings.css';

const levels: readonly WarningLevel[] = ['red', 'orange', 'blue'];

/** `/warnings` with the query given (empty values left out). */
export function warningsPath(q: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) params.set(k, v);
  const text = params.toString();
  return `/warnings${text ? `?${text}` : ''}`;
}

export const fetchWarnings = (q: Readonly<Record<string, string | undefined>> = {}) =>
  apiJson<WarningsList>('GET', warningsPath(q));

/** The level's badge: its colour and its name (never colour alone). */
export function WarningBadge({ level }: { level: WarningLevel }) {
  return (
    <span class={`badge warning-${level}`} data-testid="warning-badge" data-level={level}>
      {t(`warnings.level.${level}` as MessageKey)}
    </span>
  );
}

/** 近365天自付 ¥X，占家庭年收入 Y%，达到红色预警线（50%）, then the expenses that make it. */
export function WarningExplanation({ h }: { h: HouseholdWarning }) {
  const params = {
    selfPaid: formatFen(h.selfPaidFen),
    share: formatRate(h.burdenBp),
    levelLine: t(`warnings.line.${h.level}` as MessageKey),
    line: formatRate(h.lineBp),
  };
  return (
    <div class="warning-why" data-testid="warning-why">
      <p>{t(h.annualIncomeFen > 0 ? 'warnings.explain' : 'warnings.explainNoIncome', params)}</p>
      <table class="list warning-expenses">
        <caption>{t('warnings.expenses')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('warnings.expenseDate')}</th>
            <th scope="col">{t('warnings.expenseCategory')}</th>
            <th scope="col" class="num">
              {t('warnings.expenseSelfPaid')}
            </th>
            <th scope="col">{t('warnings.expenseSource')}</th>
          </tr>
        </thead>
        <tbody>
          {h.expenses.map((e) => (
            <tr key={e.ref}>
              <td data-label={t('warnings.expenseDate')}>{formatDate(e.date)}</td>
              <td data-label={t('warnings.expenseCategory')}>{tCode('category', e.category)}</td>
              <td class="num" data-label={t('warnings.expenseSelfPaid')}>
                {formatFen(e.selfPaidFen)}
              </td>
              <td data-label={t('warnings.expenseSource')}>
                {e.source === 'claim' ? t('warnings.source.claim') : tCode('warnings.source', e.category)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A village's worst level: its tile's colour. */
function worstLevel(v: VillageCounts): WarningLevel {
  return v.red > 0 ? 'red' : v.orange > 0 ? 'orange' : 'blue';
}

export function Warnings() {
  const [region, setRegion] = useState<string | undefined>();
  const [level, setLevel] = useState<WarningLevel | ''>('');
  const [village, setVillage] = useState<string | undefined>();
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | undefined>();
  const list = useAsync(() => fetchWarnings({ region, level }), [region, level]);
  const regions = list.data?.regions ?? [];
  const chosen = region ?? (regions.length === 1 ? regions[0]?.region : undefined);
  const lines = regions.find((r) => r.region === chosen)?.lines;
  const shown = (list.data?.households ?? []).filter((h) => !village || h.village === village);

  const download = async () => {
    setSaving(true);
    setSaveError(undefined);
    try {
      const response = await apiFetch(
        'GET',
        warningsPath({ region, level, village, format: 'csv', lang: getLang() }),
      );
      if (!response.ok) throw await errorFrom(response);
      saveBlob(await response.blob(), `warnings-${list.data?.asOf ?? 'today'}.csv`);
    } catch (e) {
      setSaveError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Page
      title={t('warnings.title')}
      actions={
        <button
          type="button"
          class="secondary"
          disabled={saving || !list.data}
          onClick={() => void download()}
        >
          {t('warnings.download')}
        </button>
      }
    >
      <form class="card filters" onSubmit={(e) => e.preventDefault()}>
        {regions.length > 1 && (
          <label>
            {t('warnings.region')}
            <select
              value={region ?? ''}
              onChange={(e) => {
                setRegion(e.currentTarget.value || undefined);
                setVillage(undefined);
              }}
            >
              <option value="">—</option>
              {regions.map((r) => (
                <option key={r.region} value={r.region}>
                  {r.name ? pick(r.name) : r.region}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          {t('warnings.level')}
          <select value={level} onChange={(e) => setLevel(e.currentTarget.value as WarningLevel | '')}>
            <option value="">{t('warnings.anyLevel')}</option>
            {levels.map((l) => (
              <option key={l} value={l}>
                {t(`warnings.level.${l}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
      </form>
      {saveError && (
        <p class="notice error" role="alert">
          {saveError}
        </p>
      )}
      {list.loading && !list.data && <Loading />}
      {list.error !== undefined && <ErrorBox error={list.error} onRetry={list.reload} />}
      {list.data && regions.length === 0 && <p class="muted">{t('warnings.noRegions')}</p>}
      {list.data && regions.length > 0 && (
        <>
          <p class="muted">
            {t('warnings.asOf', { date: formatDate(list.data.asOf) })}
            {lines &&
              ` · ${t('warnings.lines', { red: formatRate(lines.red), orange: formatRate(lines.orange), blue: formatRate(lines.blue) })}`}
          </p>
          <h2>{t('warnings.villages')}</h2>
          <ul class="village-grid" data-testid="village-grid">
            <li>
              <button
                type="button"
                class={`village-tile${village === undefined ? ' chosen' : ''}`}
                aria-pressed={village === undefined}
                onClick={() => setVillage(undefined)}
              >
                <strong>{t('warnings.allVillages')}</strong>
              </button>
            </li>
            {list.data.byVillage.map((v) => (
              <li key={`${v.region}/${v.village}`}>
                <button
                  type="button"
                  class={`village-tile warning-${worstLevel(v)}${village === v.village ? ' chosen' : ''}`}
                  aria-pressed={village === v.village}
                  onClick={() => setVillage(village === v.village ? undefined : v.village)}
                >
                  <strong>{v.village}</strong>
                  <span>{t('warnings.villageCounts', { red: v.red, orange: v.orange, blue: v.blue })}</span>
                </button>
              </li>
            ))}
          </ul>
          <h2>{t('warnings.households', { n: shown.length })}</h2>
          {shown.length === 0 ? (
            <p class="muted">{t('warnings.none')}</p>
          ) : (
            <ul class="cards" data-testid="warning-list">
              {shown.map((h) => (
                <li key={h.householdId} class="card warning-card" data-household={h.householdId}>
                  <div class="card-head">
                    <strong>{h.householdId}</strong>
                    <WarningBadge level={h.level} />
                  </div>
                  <p class="muted">
                    {h.village} · {tCode('role', 'gridWorker')} {h.gridWorker} · {t('warnings.burden')}{' '}
                    {formatRate(h.burdenBp)}
                  </p>
                  <details>
                    <summary>{t('warnings.why')}</summary>
                    <WarningExplanation h={h} />
                  </details>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Page>
  );
}

// The village notice board (村务公示): the claims of one village now on public notice, as the
// village posts them before they are paid: the fund's and the village's names, the period, one
// row per claim (head of household masked by the API, whoever asks), and how to object. It prints
// on one A4 sheet per page of rows (notice-board.css): no menu, black on white, the table the
// width of the paper. Every signed-in role may read it: it hangs on the village wall anyway.
import { useMemo, useState } from 'preact/hooks';
import { chinaDate } from '#shared/dates.ts';
import { noticePeriod } from '#shared/notice-board.ts';
import { noticeColumns } from '#shared/vocabulary.ts';
import type { NoticeBoard as Board } from '#shared/api/notice-api.ts';
import { api, apiJson } from '../api.ts';
import { hasRole, useApp } from '../context.ts';
import { formatDate, formatDateTime, formatFen } from '../format.ts';
import { pick, t, tCode } from '../i18n.ts';
import { cached } from '../offline-cache.ts';
import { navigate } from '../router.ts';
import type { Policy } from '../types.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, Loading, Page } from '../components.tsx';
import './notice-board.css';

/** One entry per region: its newest policy (the one whose name and notice days the board uses). */
function regionsOf(policies: readonly Policy[]): Policy[] {
  const newest = new Map<string, Policy>();
  for (const p of policies) {
    const had = newest.get(p.region);
    if (!had || p.version > had.version) newest.set(p.region, p);
  }
  return [...newest.values()].sort((a, b) => a.region.localeCompare(b.region));
}

export function NoticeBoard({ query }: { query: URLSearchParams }) {
  const { principal } = useApp();
  const region = query.get('region') ?? '';
  const village = query.get('village') ?? '';
  const policies = useAsync(() => cached('policies', async () => (await api.policies()).items), []);
  // A grid worker's villages, to pick from; others type the village's name.
  const households = useAsync(
    () =>
      hasRole(principal, 'gridWorker')
        ? cached(`households.${principal.username}`, api.households).then((h) => h.items)
        : Promise.resolve([]),
    [principal.username],
  );
  const regions = regionsOf(policies.data ?? []);
  const villages = useMemo(
    () => [...new Set((households.data ?? []).map((h) => h.village))].sort(),
    [households.data],
  );
  const [draftRegion, setDraftRegion] = useState(region);
  const [draftVillage, setDraftVillage] = useState(village);
  const chosenRegion = draftRegion || region || regions[0]?.region || '';

  const board = useAsync(
    () =>
      region && village
        ? apiJson<Board>('GET', `/notices?${new URLSearchParams({ region, village }).toString()}`)
        : Promise.resolve(undefined),
    [region, village],
  );
  const policy = regions.find((p) => p.region === region);

  return (
    <Page
      title={t('notice.pageTitle')}
      actions={
        board.data && (
          <button type="button" class="secondary" onClick={() => window.print()}>
            {t('notice.print')}
          </button>
        )
      }
    >
      <form
        class="filters notice-controls"
        onSubmit={(e) => {
          e.preventDefault();
          const v = draftVillage.trim();
          if (chosenRegion && v) navigate('/notice', { region: chosenRegion, village: v });
        }}
      >
        <label>
          {t('notice.region')}
          <select value={chosenRegion} onChange={(e) => setDraftRegion(e.currentTarget.value)}>
            {regions.map((p) => (
              <option key={p.region} value={p.region}>
                {p.regionName ? pick(p.regionName) : p.region}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('notice.village')}
          <input
            value={draftVillage}
            list="notice-villages"
            placeholder={t('notice.villageHint')}
            maxLength={100}
            required
            onInput={(e) => setDraftVillage(e.currentTarget.value)}
          />
          <datalist id="notice-villages">
            {villages.map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </label>
        <button type="submit" class="primary">
          {t('notice.show')}
        </button>
      </form>
      {policies.error !== undefined && <ErrorBox error={policies.error} onRetry={policies.reload} />}
      {!(region && village) && <p class="muted notice-controls">{t('notice.choose')}</p>}
      {board.error !== undefined && <ErrorBox error={board.error} onRetry={board.reload} />}
      {board.loading && region && village && <Loading />}
      {board.data && <Sheet board={board.data} region={region} village={village} policy={policy} />}
    </Page>
  );
}

/** The notice itself: what is printed. */
function Sheet({
  board,
  region,
  village,
  policy,
}: {
  board: Board;
  region: string;
  village: string;
  policy: Policy | undefined;
}) {
  const regionName = policy?.regionName ? pick(policy.regionName) : region;
  const period = noticePeriod(board.entries, policy?.noticeDays ?? 0);
  const totalFen = board.entries.reduce((sum, e) => sum + e.payoutFen, 0);
  return (
    <article class="notice-sheet" aria-labelledby="notice-heading" data-testid="notice-sheet">
      <h2 id="notice-heading">{t('notice.title', { region: regionName, village })}</h2>
      {period && (
        <p class="notice-period">
          {t('notice.period', { from: formatDate(period.from), to: formatDate(period.to) })}
        </p>
      )}
      {board.entries.length === 0 ? (
        <p class="muted">{t('notice.empty')}</p>
      ) : (
        <table class="notice-table">
          <thead>
            <tr>
              {noticeColumns.map((c) => (
                <th key={c} scope="col" class={c === 'payoutFen' ? 'num' : undefined}>
                  {tCode('noticeColumn', c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {board.entries.map((e) => (
              <tr key={e.claimId}>
                <td data-label={tCode('noticeColumn', 'headName')}>{e.headName}</td>
                <td data-label={tCode('noticeColumn', 'householdId')}>{e.householdId}</td>
                <td data-label={tCode('noticeColumn', 'category')}>{tCode('category', e.category)}</td>
                <td data-label={tCode('noticeColumn', 'payoutFen')} class="num">
                  {formatFen(e.payoutFen)}
                </td>
                <td data-label={tCode('noticeColumn', 'noticeEndsAt')}>{formatDateTime(e.noticeEndsAt)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <td colSpan={noticeColumns.length}>
                {t('notice.total', { n: board.entries.length, amount: formatFen(totalFen) })}
              </td>
            </tr>
          </tfoot>
        </table>
      )}
      <p class="notice-objection">{t('notice.objection')}</p>
      <p class="notice-issued">{t('notice.issued', { date: formatDate(chinaDate(new Date())) })}</p>
    </article>
  );
}

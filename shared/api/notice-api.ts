// The village's public notice board (村务公示): the claims of one village now in NOTICE, posted
// before they are paid so neighbours may object. The board is public in the village, so every
// signed-in role may read it, and the head's name is always masked (张**), whoever asks.
import * as z from 'zod';
import type { ClaimRecord } from '#shared/claim.ts';
import type { ClaimStore, RosterStore } from '#shared/ports.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { maskName } from '#shared/resident-id.ts';
import type { Category } from '#shared/vocabulary.ts';

export interface NoticeDeps {
  readonly claims: Pick<ClaimStore, 'list'>;
  readonly roster: Pick<RosterStore, 'periods'>;
}

// Shaped like the roster's region and village columns; anything longer names no village.
const place = z.string().trim().min(1).max(100);
export const noticeQuerySchema = z.object({ region: place, village: place });

export interface NoticeEntry {
  readonly claimId: string;
  readonly householdId: string;
  /** The head of household from the roster's latest period, masked. */
  readonly headName: string;
  readonly category: Category;
  /** What the claim will pay when the notice ends (integer fen). */
  readonly payoutFen: number;
  readonly noticeEndsAt: string;
}

/** Pages of the village's NOTICE partition read at most: 200 each, far above any village's board. */
const MAX_PAGES = 50;
/** Roster reads in flight at once. */
const LOOKUPS = 16;

/** The claims on notice in one village: read through the village-and-state index, never a scan. */
export async function listNotices(deps: NoticeDeps, query: unknown): Promise<{ entries: NoticeEntry[] }> {
  const { region, village } = noticeQuerySchema.parse(query ?? {});
  const onNotice: ClaimRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const result = await deps.claims.list({
      village,
      state: 'NOTICE',
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    // The index is by village name: a village of the same name in another region is not this one.
    onNotice.push(...result.items.filter((c) => c.state === 'NOTICE' && c.region === region));
    cursor = result.cursor;
    if (!cursor) break;
  }

  const households = [...new Set(onNotice.flatMap((c) => (c.householdId ? [c.householdId] : [])))];
  const heads = new Map<string, string>();
  for (let i = 0; i < households.length; i += LOOKUPS) {
    const batch = households.slice(i, i + LOOKUPS);
    const periods = await Promise.all(batch.map((id) => deps.roster.periods(id)));
    batch.forEach((id, n) => heads.set(id, maskName(latestPeriod(periods[n] ?? [])?.headName ?? '')));
  }

  const entries = onNotice.flatMap((c): NoticeEntry[] => {
    const payoutFen = c.payoutFen ?? c.assessment?.payoutFen;
    // A claim on notice was priced and has its household and end date; one that has not is not posted.
    if (!c.householdId || !c.category || payoutFen === undefined || !c.noticeEndsAt) return [];
    return [
      {
        claimId: c.claimId,
        householdId: c.householdId,
        headName: heads.get(c.householdId) ?? '',
        category: c.category,
        payoutFen,
        noticeEndsAt: c.noticeEndsAt,
      },
    ];
  });
  entries.sort(
    (a, b) =>
      cmp(a.noticeEndsAt, b.noticeEndsAt) || cmp(a.householdId, b.householdId) || cmp(a.claimId, b.claimId),
  );
  return { entries };
}

export type NoticeBoard = Awaited<ReturnType<typeof listNotices>>;

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function latestPeriod(periods: readonly RosterPeriod[]): RosterPeriod | undefined {
  return [...periods].sort((a, b) => cmp(b.statusFrom, a.statusFrom))[0];
}

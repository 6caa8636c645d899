// What the village notice board prints beside its table, computed the same way for the web page
// and the CLI: the period the board covers. Pure, no zod: the browser bundle imports it.

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The notice period of a board: from the earliest posting (an entry's end less the policy's
 * notice days) to the latest end, as ISO instants; undefined for an empty board.
 */
export function noticePeriod(
  entries: readonly { readonly noticeEndsAt: string }[],
  noticeDays: number,
): { readonly from: string; readonly to: string } | undefined {
  const ends = entries.map((e) => Date.parse(e.noticeEndsAt)).filter((ms) => !Number.isNaN(ms));
  if (ends.length === 0) return undefined;
  const first = Math.min(...ends);
  const last = Math.max(...ends);
  return {
    from: new Date(first - Math.max(0, noticeDays) * DAY_MS).toISOString(),
    to: new Date(last).toISOString(),
  };
}

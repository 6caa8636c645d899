// Storing parsed roster rows: the checks that need the store (a household's ID number never
// changes; one resident ID heads one household across every import) and the write. The same
// code serves a small file posted to the API and each batch of a bulk import job.
import type { RosterPeriod } from '#shared/roster.ts';
import type { RosterStore } from '#shared/ports.ts';
import type { RowRejection } from '#shared/bulk-job.ts';

export interface NumberedPeriod {
  /** The row the period came from in its file (header = row 1). */
  readonly row: number;
  readonly period: RosterPeriod;
}

export async function storeRosterPeriods(
  roster: RosterStore,
  rows: readonly NumberedPeriod[],
): Promise<{ imported: number; rejected: RowRejection[] }> {
  const rejected: RowRejection[] = [];
  const accepted: NumberedPeriod[] = [];
  const known = new Map<string, RosterPeriod[]>();
  for (const item of rows) {
    const { period } = item;
    let stored = known.get(period.householdId);
    if (!stored) {
      stored = await roster.periods(period.householdId);
      known.set(period.householdId, stored);
    }
    if (stored.some((p) => p.idNumber !== period.idNumber)) {
      rejected.push({
        row: item.row,
        error: `idNumber differs from the stored record of household ${period.householdId}`,
      });
      continue;
    }
    accepted.push(item);
  }
  // One resident ID heads one household, across files and imports: the store keeps the owner.
  const pairs = new Map<string, string>();
  for (const { period } of accepted) pairs.set(period.idNumber, period.householdId);
  const holders = await roster.claimIdNumbers(
    [...pairs].map(([idNumber, householdId]) => ({ idNumber, householdId })),
  );
  const stored: RosterPeriod[] = [];
  for (const { row, period } of accepted) {
    const holder = holders.get(period.idNumber);
    if (holder !== undefined && holder !== period.householdId) {
      rejected.push({ row, error: `idNumber: already the ID number of household ${holder}` });
    } else stored.push(period);
  }
  await roster.put(stored);
  rejected.sort((a, b) => a.row - b.row);
  return { imported: stored.length, rejected };
}

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
): Promise<{ imported: number; rejected: RowRejection[]; households: string[] }> {
  const rejected: RowRejection[] = [];
  const differs = (row: number, householdId: string) =>
    rejected.push({
      row,
      reasons: [{ code: 'ID_DIFFERS_STORED', params: { field: 'idNumber', householdId } }],
    });
  const taken = (row: number, holder: string) =>
    rejected.push({
      row,
      reasons: [{ code: 'ID_HEADS_OTHER', params: { field: 'idNumber', householdId: holder } }],
    });

  const byHousehold = new Map<string, NumberedPeriod[]>();
  // A period twice in one batch: DynamoDB refuses two writes of one item in a transaction, which
  // would fail the whole batch. The file check refuses it too; this holds for any other caller.
  const periodRows = new Map<string, number>();
  for (const item of rows) {
    const periodKey = `${item.period.householdId}\u0000${item.period.statusFrom}`;
    const earlierRow = periodRows.get(periodKey);
    if (earlierRow !== undefined) {
      rejected.push({
        row: item.row,
        reasons: [
          {
            code: 'PERIOD_TWICE',
            params: {
              field: 'statusFrom',
              householdId: item.period.householdId,
              statusFrom: item.period.statusFrom,
              earlierRow,
            },
          },
        ],
      });
      continue;
    }
    periodRows.set(periodKey, item.row);
    const group = byHousehold.get(item.period.householdId);
    if (group) group.push(item);
    else byHousehold.set(item.period.householdId, [item]);
  }
  // Two reads for the whole batch, whatever its size: what each household was stored as, and
  // whose each ID number is.
  const identities = await roster.identities([...byHousehold.keys()]);
  const holders = await roster.holders([...new Set(rows.map((r) => r.period.idNumber))]);

  const writes: { householdId: string; idNumber: string; rows: NumberedPeriod[] }[] = [];
  for (const [householdId, group] of byHousehold) {
    // A household's ID number never changes: the stored one, or else the batch's first row's.
    const idNumber = identities.get(householdId) ?? group[0]?.period.idNumber ?? '';
    const same = group.filter((item) => {
      if (item.period.idNumber === idNumber) return true;
      differs(item.row, householdId);
      return false;
    });
    if (same.length === 0) continue;
    const holder = holders.get(idNumber);
    if (holder !== undefined && holder !== householdId) {
      for (const item of same) taken(item.row, holder);
      continue;
    }
    writes.push({ householdId, idNumber, rows: same });
  }

  const { conflicts } = await roster.storeHouseholds(
    writes.map((w) => ({
      householdId: w.householdId,
      idNumber: w.idNumber,
      periods: w.rows.map((r) => r.period),
    })),
  );
  let imported = 0;
  const households: string[] = [];
  for (const write of writes) {
    const conflict = conflicts.get(write.householdId);
    if (!conflict) {
      imported += write.rows.length;
      households.push(write.householdId);
    } else if (conflict.kind === 'id-number-taken')
      for (const item of write.rows) taken(item.row, conflict.holder);
    else for (const item of write.rows) differs(item.row, write.householdId);
  }
  rejected.sort((a, b) => a.row - b.row);
  return { imported, rejected, households };
}

// Storing parsed member rows: the checks that need the store (the household is on the roster, a
// head row is the household's head, an ID number belongs to one household) and the write. Serves
// each batch of a members import job.
import type { Member } from '#shared/members.ts';
import type { RosterStore } from '#shared/ports.ts';
import type { RowRejection } from '#shared/bulk-job.ts';

export interface NumberedMember {
  /** The row the member came from in its file (header = row 1). */
  readonly row: number;
  readonly member: Member;
}

export async function storeMembers(
  roster: RosterStore,
  rows: readonly NumberedMember[],
): Promise<{ imported: number; rejected: RowRejection[] }> {
  const rejected: RowRejection[] = [];
  const reject = (row: number, code: string, field: string, householdId: string) =>
    rejected.push({ row, reasons: [{ code, params: { field, householdId } }] });

  // Two reads for the whole batch, whatever its size: each household's head, and whose each ID
  // number is.
  const heads = await roster.identities([...new Set(rows.map((r) => r.member.householdId))]);
  const holders = await roster.holders([...new Set(rows.map((r) => r.member.idNumber))]);

  const writes: NumberedMember[] = [];
  for (const item of rows) {
    const { householdId, idNumber, relation } = item.member;
    const head = heads.get(householdId);
    const holder = holders.get(idNumber);
    if (head === undefined) reject(item.row, 'HOUSEHOLD_NOT_ON_ROSTER', 'householdId', householdId);
    else if (relation === 'head' && idNumber !== head)
      reject(item.row, 'HEAD_ID_DIFFERS', 'idNumber', householdId);
    else if (relation !== 'head' && idNumber === head)
      reject(item.row, 'HEAD_NOT_MARKED', 'relation', householdId);
    else if (holder !== undefined && holder !== householdId)
      reject(item.row, 'ID_IN_OTHER_HOUSEHOLD', 'idNumber', holder);
    else writes.push(item);
  }

  // Another batch may have claimed an ID number since the read: the store's condition decides.
  const { conflicts } = await roster.storeMembers(writes.map((w) => w.member));
  let imported = 0;
  for (const item of writes) {
    const holder = conflicts.get(item.member.idNumber);
    // Keyed by ID number: a row of the household that won it is stored.
    if (holder === undefined || holder === item.member.householdId) imported += 1;
    else reject(item.row, 'ID_IN_OTHER_HOUSEHOLD', 'idNumber', holder);
  }
  rejected.sort((a, b) => a.row - b.row);
  return { imported, rejected };
}

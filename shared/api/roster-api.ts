// Roster import and household views.
import { parseRosterCsv, statusOn, type RosterPeriod } from '#shared/roster.ts';
import { maskIdNumber, maskName, maskBankAccount } from '#shared/resident-id.ts';
import { isLimitedToOwnHouseholds, seesPersonalData, type Principal } from '#shared/access.ts';
import { chinaDate } from '#shared/dates.ts';
import type { Clock, RosterStore } from '#shared/ports.ts';
import { HttpError } from '#shared/api/http-error.ts';

/** Stores every good row and reports every bad one; a household's ID number never changes. */
export async function importRoster(roster: RosterStore, csv: string) {
  const parsed = parseRosterCsv(csv);
  const rejected = [...parsed.rejected];
  const accepted: RosterPeriod[] = [];
  const known = new Map<string, RosterPeriod[]>();
  for (const [i, period] of parsed.periods.entries()) {
    let stored = known.get(period.householdId);
    if (!stored) {
      stored = await roster.periods(period.householdId);
      known.set(period.householdId, stored);
    }
    if (stored.some((p) => p.idNumber !== period.idNumber)) {
      rejected.push({
        row: rowOf(csv, period, i),
        error: `idNumber differs from the stored record of household ${period.householdId}`,
      });
      continue;
    }
    accepted.push(period);
  }
  // One resident ID heads one household, across files and imports: the store keeps the owner.
  const pairs = new Map<string, string>();
  for (const p of accepted) pairs.set(p.idNumber, p.householdId);
  const holders = await roster.claimIdNumbers(
    [...pairs].map(([idNumber, householdId]) => ({ idNumber, householdId })),
  );
  const stored: RosterPeriod[] = [];
  for (const [i, period] of accepted.entries()) {
    const holder = holders.get(period.idNumber);
    if (holder !== undefined && holder !== period.householdId) {
      rejected.push({
        row: rowOf(csv, period, i),
        error: `idNumber: already the ID number of household ${holder}`,
      });
    } else stored.push(period);
  }
  await roster.put(stored);
  rejected.sort((a, b) => a.row - b.row);
  return { imported: stored.length, rejected };
}

// Rows are reported by file line; parseRosterCsv keeps good rows in file order.
function rowOf(csv: string, period: RosterPeriod, fallback: number): number {
  const lines = csv.split(/\r\n|\n|\r/);
  const index = lines.findIndex(
    (l) => l.startsWith(`${period.householdId},`) && l.includes(period.statusFrom),
  );
  return index >= 0 ? index + 1 : fallback + 2;
}

export function householdView(periods: readonly RosterPeriod[], principal: Principal, today: string) {
  const sorted = [...periods].sort((a, b) => (a.statusFrom < b.statusFrom ? -1 : 1));
  const current = statusOn(sorted, today) ?? sorted[sorted.length - 1];
  if (!current) throw new Error('a household without periods');
  const full = seesPersonalData(principal);
  return {
    householdId: current.householdId,
    region: current.region,
    village: current.village,
    headName: full ? current.headName : maskName(current.headName),
    idNumber: full ? current.idNumber : maskIdNumber(current.idNumber),
    bankAccount: full ? current.bankAccount : maskBankAccount(current.bankAccount),
    members: current.members,
    gridWorker: current.gridWorker,
    status: statusOn(sorted, today)?.status ?? null,
    periods: sorted.map((p) => ({ status: p.status, statusFrom: p.statusFrom })),
  };
}

export async function listHouseholds(
  roster: RosterStore,
  clock: Clock,
  principal: Principal,
  gridWorker: string | undefined,
) {
  const worker = isLimitedToOwnHouseholds(principal) ? principal.username : gridWorker;
  if (!worker)
    throw new HttpError(400, 'GRID_WORKER_REQUIRED', 'say whose households: ?gridWorker=<username>');
  const today = chinaDate(clock.now());
  const households = await roster.householdsOf(worker);
  return { items: households.map((periods) => householdView(periods, principal, today)) };
}

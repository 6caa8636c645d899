// Roster import and household views.
import { parseNumberedRosterCsv, statusOn, type RosterPeriod } from '#shared/roster.ts';
import { maskIdNumber, maskName, maskBankAccount } from '#shared/resident-id.ts';
import { isLimitedToOwnHouseholds, seesHeadName, seesPersonalData, type Principal } from '#shared/access.ts';
import { chinaDate } from '#shared/dates.ts';
import { storeRosterPeriods } from '#shared/roster-import.ts';
import type { Clock, RosterStore, WarningStore } from '#shared/ports.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { policyInForce, type Policy } from '#shared/policy.ts';
import {
  assessBurden,
  refreshBurdensAfterRosterChange,
  warningRank,
  type RefreshBurdenDeps,
  type WarningLevel,
} from '#shared/warnings.ts';

/**
 * Stores every good row and reports every bad one; a household's ID number never changes. Given
 * `burdens`, the warnings of the households stored follow their new periods.
 */
export async function importRoster(roster: RosterStore, csv: string, burdens?: RefreshBurdenDeps) {
  const parsed = parseNumberedRosterCsv(csv);
  const stored = await storeRosterPeriods(roster, parsed.numbered);
  if (burdens) await refreshBurdensAfterRosterChange(burdens, stored.households);
  const rejected = [...parsed.rejected, ...stored.rejected].sort((a, b) => a.row - b.row);
  return { imported: stored.imported, rejected };
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
    // Assigned = named by the latest period, as householdsOf lists a worker's households.
    headName: seesHeadName(principal, sorted[sorted.length - 1] ?? current)
      ? current.headName
      : maskName(current.headName),
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
  warnings?: HouseholdWarningDeps,
) {
  const limited = isLimitedToOwnHouseholds(principal);
  const worker = limited ? principal.username : gridWorker;
  // A name asked for is shaped as the roster's usernames: anything else names nobody, and a huge
  // value would only reach the store to be refused there (an index key holds 2 KB) as a 500.
  if (!worker || (!limited && !/^[A-Za-z0-9_.-]{1,64}$/.test(worker)))
    throw new InvalidInputError('GRID_WORKER_REQUIRED', 'say whose households: ?gridWorker=<username>');
  const today = chinaDate(clock.now());
  const households = await roster.householdsOf(worker);
  const items = households.map((periods) => householdView(periods, principal, today));
  if (!warnings) return { items: items.map((h) => ({ ...h, warning: null })) };
  const levels = await householdWarnings(warnings, items, today);
  const withWarnings = items.map((h) => ({ ...h, warning: levels.get(h.householdId) ?? null }));
  // Red first, then orange, blue, none: the families to visit first come first (stable otherwise).
  return {
    items: withWarnings.sort((a, b) => warningRank(a.warning?.level) - warningRank(b.warning?.level)),
  };
}

/** Where the households' warning levels are read (absent: no levels shown). */
export interface HouseholdWarningDeps {
  readonly warnings: Pick<WarningStore, 'burdensOf'>;
  readonly policies?: readonly Policy[];
}

/** Each household's warning level today (households at no level: absent). */
async function householdWarnings(
  deps: HouseholdWarningDeps,
  households: readonly { householdId: string; region: string }[],
  today: string,
): Promise<Map<string, { level: WarningLevel; burdenBp: number }>> {
  const byRegion = new Map<string, string[]>();
  for (const h of households) byRegion.set(h.region, [...(byRegion.get(h.region) ?? []), h.householdId]);
  const out = new Map<string, { level: WarningLevel; burdenBp: number }>();
  await Promise.all(
    [...byRegion].map(async ([region, ids]) => {
      const lines = policyInForce(region, today, deps.policies)?.warning;
      if (!lines) return;
      for (const [id, burden] of await deps.warnings.burdensOf(region, ids)) {
        const { level, burdenBp } = assessBurden(burden, lines, today);
        if (level) out.set(id, { level, burdenBp });
      }
    }),
  );
  return out;
}

// The return-to-poverty warnings (返贫预警) as people read them: the households at a level with the
// expenses that put them there, counts per village, and the same as a spreadsheet-safe CSV.
// Admins and insurers see every household of a region; a grid worker only their own households.
import * as z from 'zod';
import type { Principal } from '#shared/access.ts';
import { chinaDate } from '#shared/dates.ts';
import { ForbiddenError, InvalidInputError } from '#shared/errors.ts';
import { fenToYuan } from '#shared/money.ts';
import { builtInPolicies, type Policy } from '#shared/policy.ts';
import type { Clock, RosterStore, WarningStore } from '#shared/ports.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { renderMessage } from '#shared/messages/render.ts';
import { csvText } from '#shared/api/ledger-api.ts';
import { roleLabels, type Lang } from '#shared/vocabulary.ts';
import {
  assessBurden,
  warningLevels,
  warningLevelSchema,
  warningRank,
  type BurdenExpense,
  type HouseholdBurden,
  warningRegions,
  type WarningLevel,
  type WarningRegion,
} from '#shared/warnings.ts';

export interface WarningsApiDeps {
  readonly warnings: WarningStore;
  readonly roster: Pick<RosterStore, 'householdsOf'>;
  readonly clock: Clock;
  readonly policies?: readonly Policy[];
}

const regionCode = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);

export const warningsQuerySchema = z.object({
  region: regionCode.optional(),
  level: warningLevelSchema.optional(),
  village: z.string().min(1).max(100).optional(),
  format: z.enum(['json', 'csv']).default('json'),
  /** The CSV's headers and words: Chinese unless `lang=en`. */
  lang: z.enum(['zh', 'en']).default('zh'),
});
export type WarningsQuery = z.infer<typeof warningsQuerySchema>;

/** One household at a level, with the expenses of the 365 days that make its burden. */
export interface HouseholdWarning {
  readonly householdId: string;
  readonly region: string;
  readonly village: string;
  readonly gridWorker: string;
  readonly level: WarningLevel;
  readonly burdenBp: number;
  /** The line its level starts at (basis points), for "达到红色预警线（50%）". */
  readonly lineBp: number;
  readonly selfPaidFen: number;
  readonly annualIncomeFen: number;
  readonly expenses: BurdenExpense[];
}

export interface VillageCounts {
  readonly region: string;
  readonly village: string;
  readonly red: number;
  readonly orange: number;
  readonly blue: number;
}

export interface WarningsList {
  /** The day the 365 days end on (China time). */
  readonly asOf: string;
  readonly regions: WarningRegion[];
  /** Red first, then orange, blue; within a level the heaviest burden first. */
  readonly households: HouseholdWarning[];
  /** Per village, households at each level (the level filter aside, so the grid stays whole). */
  readonly byVillage: VillageCounts[];
}

/** Whom the caller may see: everyone of the regions asked for, or only their own households. */
function mayList(principal: Principal): 'all' | 'own' {
  if (principal.roles.some((r) => r === 'admin' || r === 'insurer')) return 'all';
  // A grid worker with another role too (a village verifier) still sees only their own.
  if (principal.roles.includes('gridWorker')) return 'own';
  throw new ForbiddenError('FORBIDDEN', 'your role may not see warnings');
}

function latestPeriod(periods: readonly RosterPeriod[]): RosterPeriod | undefined {
  let latest: RosterPeriod | undefined;
  for (const p of periods) if (!latest || p.statusFrom > latest.statusFrom) latest = p;
  return latest;
}

/** The grid worker's own households' stored burdens, region by region. */
async function ownBurdens(
  deps: WarningsApiDeps,
  username: string,
  regions: ReadonlySet<string>,
): Promise<HouseholdBurden[]> {
  const byRegion = new Map<string, string[]>();
  for (const periods of await deps.roster.householdsOf(username)) {
    const latest = latestPeriod(periods);
    if (!latest || !regions.has(latest.region)) continue;
    const ids = byRegion.get(latest.region) ?? [];
    ids.push(latest.householdId);
    byRegion.set(latest.region, ids);
  }
  const found = await Promise.all(
    [...byRegion].map(async ([region, ids]) => [...(await deps.warnings.burdensOf(region, ids)).values()]),
  );
  // Assigned = named by the latest period: a burden stored before a reassignment still shows.
  return found.flat().map((b) => ({ ...b, gridWorker: username }));
}

export async function listWarnings(
  deps: WarningsApiDeps,
  principal: Principal,
  rawQuery: unknown,
): Promise<WarningsList> {
  const query = warningsQuerySchema.parse(rawQuery);
  const scope = mayList(principal);
  const today = chinaDate(deps.clock.now());
  const known = warningRegions(today, deps.policies ?? builtInPolicies);
  const regions = query.region ? known.filter((r) => r.region === query.region) : known;
  if (query.region && regions.length === 0)
    throw new InvalidInputError('NO_WARNING_POLICY', 'the region sets no warning lines', {
      params: { region: query.region },
    });
  const linesOf = new Map(regions.map((r) => [r.region, r.lines]));
  const burdens =
    scope === 'own'
      ? await ownBurdens(deps, principal.username, new Set(linesOf.keys()))
      : (await Promise.all(regions.map((r) => deps.warnings.burdens(r.region)))).flat();

  const all: HouseholdWarning[] = [];
  for (const burden of burdens) {
    const lines = linesOf.get(burden.region);
    if (!lines || (query.village && burden.village !== query.village)) continue;
    const assessed = assessBurden(burden, lines, today);
    if (!assessed.level) continue;
    all.push({
      householdId: burden.householdId,
      region: burden.region,
      village: burden.village,
      gridWorker: burden.gridWorker,
      level: assessed.level,
      burdenBp: assessed.burdenBp,
      lineBp: lines[assessed.level],
      selfPaidFen: assessed.selfPaidFen,
      annualIncomeFen: assessed.annualIncomeFen,
      expenses: assessed.expenses,
    });
  }
  all.sort(
    (a, b) =>
      warningRank(a.level) - warningRank(b.level) ||
      b.burdenBp - a.burdenBp ||
      a.householdId.localeCompare(b.householdId),
  );
  return {
    asOf: today,
    regions,
    households: query.level ? all.filter((h) => h.level === query.level) : all,
    byVillage: villageCounts(all),
  };
}

export function villageCounts(households: readonly Pick<HouseholdWarning, 'region' | 'village' | 'level'>[]) {
  const counts = new Map<
    string,
    { region: string; village: string; red: number; orange: number; blue: number }
  >();
  for (const h of households) {
    const key = `${h.region}\u0000${h.village}`;
    const row = counts.get(key) ?? { region: h.region, village: h.village, red: 0, orange: 0, blue: 0 };
    row[h.level] += 1;
    counts.set(key, row);
  }
  return [...counts.values()].sort(
    (a, b) =>
      b.red - a.red ||
      b.orange - a.orange ||
      b.blue - a.blue ||
      a.region.localeCompare(b.region) ||
      a.village.localeCompare(b.village),
  );
}

/** The CSV's columns, in order; their headers are the catalog's `warnings.csv.<column>` (the grid worker's: the role's name). */
export const warningCsvColumns = [
  'householdId',
  'region',
  'village',
  'gridWorker',
  'level',
  'burdenPercent',
  'selfPaidYuan',
  'annualIncomeYuan',
  'expenses',
] as const;

/** Burden in basis points as a percent with two decimals (5234 -> 52.34), a number a sheet sums. */
export function bpToPercent(bp: number): string {
  return `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0')}`;
}

/**
 * The list as CSV, written as the ledger export writes its files: UTF-8 with a BOM, CRLF, headers
 * in the reader's language, amounts as plain decimal yuan, ids as text a spreadsheet keeps whole,
 * words (levels) in the reader's language and no formula ever.
 */
export function warningsCsv(list: Pick<WarningsList, 'households' | 'regions'>, lang: Lang): string {
  const word = (code: string) => renderMessage({ code, params: {} }, lang);
  const names = new Map(list.regions.map((r) => [r.region, r.name?.[lang] ?? r.region]));
  const header = warningCsvColumns.map((c) =>
    csvText(c === 'gridWorker' ? roleLabels.gridWorker[lang] : word(`warnings.csv.${c}`)),
  );
  const lines = list.households.map((h) =>
    [
      csvText(h.householdId),
      csvText(names.get(h.region) ?? h.region),
      csvText(h.village),
      csvText(h.gridWorker),
      csvText(word(`warnings.level.${h.level}`)),
      bpToPercent(h.burdenBp),
      fenToYuan(h.selfPaidFen),
      fenToYuan(h.annualIncomeFen),
      String(h.expenses.length),
    ].join(','),
  );
  return `\uFEFF${[header.join(','), ...lines].join('\r\n')}\r\n`;
}

export { warningLevels };

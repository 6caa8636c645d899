// The return-to-poverty warning (返贫预警, red / orange / blue): a household whose counted self-paid
// costs of the last 365 days reach a share of its annual income is at risk. The shares are the
// policy's (`warning`, basis points of annualIncome). What is stored is the household's burden:
// the counted expenses themselves, with their dates, so a level is always computed for the day it
// is read (an expense older than 365 days drops out without anybody writing anything) and can be
// explained expense by expense.
import * as z from 'zod';
import { builtInPolicies, categorySchema, policyInForce, type Policy } from '#shared/policy.ts';
import { addDays, chinaDate } from '#shared/dates.ts';
import { feedRecordKey, type FeedRecord } from '#shared/feed-record.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import type { ClaimState } from '#shared/claim-state.ts';
import type { ClaimStore, Clock, FeedStore, RosterStore, WarningStore } from '#shared/ports.ts';
import type { RosterPeriod } from '#shared/roster.ts';

export const warningLevels = ['red', 'orange', 'blue'] as const;
export const warningLevelSchema = z.enum(warningLevels);
export type WarningLevel = z.infer<typeof warningLevelSchema>;

const fen = z.number().int().nonnegative();

/** One counted expense: a claim that counted (paid, or below the threshold) or a feed record. */
export const burdenExpenseSchema = z.object({
  source: z.enum(['claim', 'feed']),
  /** The claim id, or `<kind>:<recordId>` for a record counted without a claim. */
  ref: z.string(),
  category: categorySchema,
  /** The expense date (ISO, China time). */
  date: z.string(),
  selfPaidFen: fen,
});
export type BurdenExpense = z.infer<typeof burdenExpenseSchema>;

export const householdBurdenSchema = z.object({
  householdId: z.string(),
  region: z.string(),
  village: z.string(),
  gridWorker: z.string(),
  annualIncomeFen: fen,
  /** Counted expenses of the 365 days before `computedAt` (older ones are not kept). */
  expenses: z.array(burdenExpenseSchema),
  computedAt: z.string(),
});
export type HouseholdBurden = z.infer<typeof householdBurdenSchema>;

/** A policy's warning lines, basis points of the household's annual income. */
export type WarningThresholds = Readonly<Record<WarningLevel, number>>;

/** Days an expense counts towards the burden: those dated after `today - 365 days`. */
export const burdenWindowDays = 365;

/**
 * What a burden is written as when the household has no income: above every line a policy may set
 * (policy lines are at most 1 000 000 bp), so any self-paid cost with no income is red. Larger
 * burdens are written as this too, which keeps the number an ordinary integer.
 */
export const burdenBpCap = 1_000_000;

/**
 * Self-paid / annual income in whole basis points, rounded down (49.99% is 4999 bp, not red at
 * 5000). Nothing self-paid: 0, which no line reaches; no income with something self-paid: the cap.
 */
export function burdenBp(selfPaidFen: number, annualIncomeFen: number): number {
  if (selfPaidFen <= 0) return 0;
  if (annualIncomeFen <= 0) return burdenBpCap;
  // BigInt: self-paid fen times 10 000 may pass 2^53 on a large bill.
  const bp = Number((BigInt(selfPaidFen) * 10_000n) / BigInt(annualIncomeFen));
  return Math.min(bp, burdenBpCap);
}

/** The highest level whose line the burden reaches (lines are inclusive), or null. */
export function warningLevelOf(bp: number, thresholds: WarningThresholds): WarningLevel | null {
  if (bp <= 0) return null;
  for (const level of warningLevels) if (bp >= thresholds[level]) return level;
  return null;
}

/** Ranks for sorting: red first, then orange, blue, none. */
export function warningRank(level: WarningLevel | null | undefined): number {
  return level ? warningLevels.indexOf(level) : warningLevels.length;
}

/** The first day of the 365 days ending `today` (inclusive): today - 364 days. */
export function burdenWindowStart(today: string): string {
  return addDays(today, 1 - burdenWindowDays);
}

/** Whether an expense dated `date` counts on `today`: dated after today - 365 days. */
export function inBurdenWindow(date: string, today: string): boolean {
  return date >= burdenWindowStart(today);
}

export interface BurdenAssessment {
  readonly level: WarningLevel | null;
  readonly burdenBp: number;
  readonly selfPaidFen: number;
  readonly annualIncomeFen: number;
  /** The expenses that make the burden, latest first. */
  readonly expenses: BurdenExpense[];
}

/** A stored burden as it stands on `today`: expenses of the 365 days ending today only. */
export function assessBurden(
  burden: Pick<HouseholdBurden, 'annualIncomeFen' | 'expenses'>,
  thresholds: WarningThresholds,
  today: string,
): BurdenAssessment {
  const expenses = burden.expenses
    .filter((e) => inBurdenWindow(e.date, today))
    .sort((a, b) => (a.date === b.date ? a.ref.localeCompare(b.ref) : a.date < b.date ? 1 : -1));
  const selfPaidFen = expenses.reduce((sum, e) => sum + e.selfPaidFen, 0);
  const bp = burdenBp(selfPaidFen, burden.annualIncomeFen);
  return {
    level: warningLevelOf(bp, thresholds),
    burdenBp: bp,
    selfPaidFen,
    annualIncomeFen: burden.annualIncomeFen,
    expenses,
  };
}

/** Claim states in which the claim's self-paid cost stays counted in the household's total. */
const countedStates: readonly ClaimState[] = ['PAID', 'DISBURSED', 'DISBURSEMENT_FAILED'];

/** The claim's counted self-paid cost as a burden expense, if it counted. */
export function claimExpense(claim: ClaimRecord): BurdenExpense | undefined {
  const a = claim.accumulated;
  if (!a || !claim.category || !claim.expenseDate) return undefined;
  const counted =
    countedStates.includes(claim.state) || (claim.state === 'REJECTED' && claim.reason === 'BELOW_THRESHOLD');
  if (!counted) return undefined;
  return {
    source: 'claim',
    ref: claim.claimId,
    category: claim.category,
    date: claim.expenseDate,
    selfPaidFen: Math.max(0, a.afterFen - a.beforeFen),
  };
}

/** A feed record counted on its own (a `claimed` one counts through its claim, never twice). */
export function feedExpense(record: FeedRecord): BurdenExpense | undefined {
  if (record.state !== 'counted') return undefined;
  return {
    source: 'feed',
    ref: feedRecordKey(record.kind, record.recordId),
    category: record.kind,
    date: record.expenseDate,
    selfPaidFen: record.selfPaidFen,
  };
}

export interface RefreshBurdenDeps {
  readonly roster: Pick<RosterStore, 'periods'>;
  readonly claims: Pick<ClaimStore, 'list'>;
  readonly feeds: Pick<FeedStore, 'householdRecords'>;
  readonly warnings: WarningStore;
  readonly clock: Clock;
  readonly policies?: readonly Policy[];
}

/** The policy lines in force today for a region, if its policy warns at all. */
export function warningThresholdsOf(
  region: string,
  today: string,
  policies?: readonly Policy[],
): WarningThresholds | undefined {
  return policyInForce(region, today, policies)?.warning;
}

/** A region whose policy in force sets warning lines: the picker's choices and their lines. */
export interface WarningRegion {
  readonly region: string;
  readonly name?: { readonly zh: string; readonly en: string };
  readonly lines: WarningThresholds;
}

/** Regions whose policy in force today warns, in code order. */
export function warningRegions(
  today: string,
  policies: readonly Policy[] = builtInPolicies,
): WarningRegion[] {
  const regions = [...new Set(policies.map((p) => p.region))].sort();
  const out: WarningRegion[] = [];
  for (const region of regions) {
    const policy = policyInForce(region, today, policies);
    if (policy?.warning)
      out.push({ region, ...(policy.regionName ? { name: policy.regionName } : {}), lines: policy.warning });
  }
  return out;
}

const claimPage = 100;
const refreshConcurrency = 8;

/**
 * Recomputes and stores the burden of each household from what counted: its claims that counted
 * and its feed records counted without a claim, those of the last 365 days. Households on no
 * roster, or of a region whose policy sets no warning lines, are left alone. Reads everything
 * again each time, so calling it twice, or late, gives the same answer. Answers each household's
 * region now (by its latest period; absent for a household on no roster).
 */
export async function refreshBurdens(
  deps: RefreshBurdenDeps,
  householdIds: Iterable<string>,
  /**
   * Claims as the caller just wrote them: they replace what the listing reads (its index and
   * reads may lag the write by a moment), and are added when it misses them.
   */
  known: readonly ClaimRecord[] = [],
): Promise<Map<string, string>> {
  const ids = [...new Set(householdIds)];
  const regions = new Map<string, string>();
  const now = deps.clock.now();
  const today = chinaDate(now);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const region = await refreshOne(deps, id, today, now.toISOString(), known);
      if (region !== undefined) regions.set(id, region);
    }
  };
  await Promise.all(Array.from({ length: Math.min(refreshConcurrency, ids.length) }, worker));
  return regions;
}

function latestPeriod(periods: readonly RosterPeriod[]): RosterPeriod | undefined {
  let latest: RosterPeriod | undefined;
  for (const p of periods) if (!latest || p.statusFrom > latest.statusFrom) latest = p;
  return latest;
}

async function refreshOne(
  deps: RefreshBurdenDeps,
  householdId: string,
  today: string,
  at: string,
  known: readonly ClaimRecord[],
): Promise<string | undefined> {
  const period = latestPeriod(await deps.roster.periods(householdId));
  if (!period || !warningThresholdsOf(period.region, today, deps.policies)) return period?.region;
  const claims = new Map<string, ClaimRecord>();
  let cursor: string | undefined;
  do {
    const page = await deps.claims.list({ householdId, limit: claimPage, ...(cursor ? { cursor } : {}) });
    for (const claim of page.items) claims.set(claim.claimId, claim);
    cursor = page.cursor;
  } while (cursor);
  for (const claim of known) claims.set(claim.claimId, claim);
  const expenses: BurdenExpense[] = [];
  for (const claim of claims.values()) {
    const e = claim.householdId === householdId ? claimExpense(claim) : undefined;
    if (e) expenses.push(e);
  }
  for (const record of await deps.feeds.householdRecords(householdId)) {
    const e = feedExpense(record);
    if (e) expenses.push(e);
  }
  await deps.warnings.putBurden({
    householdId,
    region: period.region,
    village: period.village,
    gridWorker: period.gridWorker,
    annualIncomeFen: period.annualIncomeFen,
    expenses: expenses
      .filter((e) => e.selfPaidFen > 0 && inBurdenWindow(e.date, today))
      .sort((a, b) => (a.date === b.date ? a.ref.localeCompare(b.ref) : a.date < b.date ? 1 : -1)),
    computedAt: at,
  });
  return period.region;
}

/**
 * After households' roster periods changed (a roster import): a burden follows the household's
 * period in force, so the region, village, grid worker and income it was stored with are read
 * again, and one stored under a region the household has left is removed. Only households with a
 * burden stored in some warning region are read again: a county's first roster reads no more
 * than one batch of keys per 100 households and region.
 */
export async function refreshBurdensAfterRosterChange(
  deps: RefreshBurdenDeps,
  householdIds: readonly string[],
): Promise<void> {
  const regions = warningRegions(chinaDate(deps.clock.now()), deps.policies).map((r) => r.region);
  const ids = [...new Set(householdIds)];
  const stored = new Map<string, HouseholdBurden[]>();
  for (const region of regions)
    for (let i = 0; i < ids.length; i += 100)
      for (const burden of (await deps.warnings.burdensOf(region, ids.slice(i, i + 100))).values())
        stored.set(burden.householdId, [...(stored.get(burden.householdId) ?? []), burden]);
  if (stored.size === 0) return;
  const now = await refreshBurdens(deps, [...stored.keys()]);
  for (const [householdId, burdens] of stored)
    for (const burden of burdens)
      if (burden.region !== now.get(householdId)) await deps.warnings.putBurden({ ...burden, expenses: [] });
}

/** What a step that counts an expense may be given to keep the household's burden current. */
export interface BurdenRefreshDeps {
  readonly roster?: Pick<RosterStore, 'periods'>;
  readonly claims: Pick<ClaimStore, 'list'>;
  readonly feeds?: Pick<FeedStore, 'householdRecords'>;
  readonly warnings?: WarningStore;
  readonly clock: Clock;
  readonly policies?: readonly Policy[];
  /** Where a failure the caller carries on past is told: a code, never personal data. */
  readonly report?: (code: string) => void;
}

/**
 * Refreshes the household's burden after the claim's expense counted (a payout, a rejection below the
 * threshold). Never throws: the expense is counted already and must stay so; a failed refresh is
 * reported by code and the next feed or payout of the household recomputes it from scratch.
 * Without a warning store (or the stores it reads), nothing is done.
 */
export async function refreshBurdenAfterCounting(deps: BurdenRefreshDeps, claim: ClaimRecord): Promise<void> {
  const { roster, feeds, warnings } = deps;
  if (!roster || !feeds || !warnings || !claim.householdId) return;
  try {
    await refreshBurdens(
      {
        roster,
        claims: deps.claims,
        feeds,
        warnings,
        clock: deps.clock,
        ...(deps.policies ? { policies: deps.policies } : {}),
      },
      [claim.householdId],
      [claim],
    );
  } catch {
    deps.report?.('WARNING_REFRESH_FAILED');
  }
}

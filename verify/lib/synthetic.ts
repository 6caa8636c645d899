// Synthetic people and claims for the checks: households with valid (but invented) resident ID
// numbers and bank accounts, and claim plans whose outcome the reference pricer predicts.
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { chinaDate, addDays } from '#shared/dates.ts';
import type { Random } from '#verify/lib/random.ts';
import {
  referenceCapFen,
  referenceGrossFen,
  referenceNeedsReview,
  yuanStringToFen,
} from '#verify/lib/reference-pricing.ts';

export interface SyntheticHousehold {
  readonly householdId: string;
  readonly village: string;
  readonly headName: string;
  readonly idNumber: string;
  readonly bankAccount: string;
  readonly gridWorker: string;
}

const surnames = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '胡', '朱'];
const given = [
  '秀英',
  '桂兰',
  '建国',
  '志强',
  '海燕',
  '春梅',
  '德明',
  '玉兰',
  '国平',
  '红霞',
  '永福',
  '金凤',
];
const villages = ['红星村', '和平村', '向阳村', '东风村', '前进村'];

/** An 18-character ID whose GB 11643 check digit verifies; the birth date makes it unique per n. */
function syntheticIdNumber(n: number): string {
  const birth = new Date(Date.UTC(1950, 0, 1) + (n % 18_000) * 86_400_000);
  const ymd = birth.toISOString().slice(0, 10).replaceAll('-', '');
  const first17 = `439901${ymd}${String(Math.floor(n / 18_000) % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}

export function syntheticHouseholds(
  prefix: string,
  count: number,
  random: Random,
  gridWorkers: readonly string[] = ['worker1', 'worker2'],
): SyntheticHousehold[] {
  return Array.from({ length: count }, (_, i) => ({
    householdId: `${prefix}-${String(i + 1).padStart(5, '0')}`,
    village: random.pick(villages),
    // Names are unique per household so a leak is attributable; the scan looks for each one.
    headName: `${random.pick(surnames)}${random.pick(given)}${String.fromCodePoint(0x4e00 + ((i * 7919) % 20_000))}`,
    idNumber: syntheticIdNumber(hashOf(prefix) * 7 + i),
    bankAccount: `62309${String(hashOf(prefix) % 1000).padStart(3, '0')}${String(i + 1).padStart(11, '0')}`,
    gridWorker: gridWorkers[i % gridWorkers.length] ?? 'worker1',
  }));
}

function hashOf(text: string): number {
  let h = 0;
  for (const ch of text) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 9973;
  return h;
}

export const rosterHeader =
  'householdId,region,village,headName,idNumber,members,status,statusFrom,gridWorker,bankAccount,annualIncome';

/** Roster CSV: each household on the roster since 2024 (no recent-status anomaly). */
export function rosterCsv(households: readonly SyntheticHousehold[]): string {
  const rows = households.map(
    (h, i) =>
      `${h.householdId},demo,${h.village},${h.headName},${h.idNumber},${1 + (i % 6)},${
        ['out_of_poverty', 'unstable', 'marginal', 'sudden_hardship'][i % 4]
      },2024-01-01,${h.gridWorker},${h.bankAccount},${8000 + (i % 50) * 100}.00`,
  );
  return `${[rosterHeader, ...rows].join('\n')}\n`;
}

export type PlannedOutcome =
  | { readonly state: 'PAID'; readonly payoutFen: number }
  | { readonly state: 'PENDING_REVIEW' }
  | { readonly state: 'REJECTED'; readonly reason: string };

export interface PlannedClaim {
  readonly householdId: string;
  readonly category: 'education' | 'medical';
  readonly expenseDate: string;
  readonly totalCost: string;
  readonly reimbursed: string;
  readonly expected: PlannedOutcome;
}

/** Today in China, as the workflow will file a claim uploaded now. */
export function todayInChina(): string {
  return chinaDate(new Date());
}

/**
 * `count` claims over the households: ~80% paid automatically, ~10% below the threshold, ~10%
 * large enough for review. No household-category gets more than four claims, and automatic
 * payouts stay at or under 5,000 yuan, so the cap never binds and the expected ledger does not
 * depend on the order claims are processed in (check 4 is the one about caps).
 */
export function planClaims(
  households: readonly SyntheticHousehold[],
  count: number,
  random: Random,
): PlannedClaim[] {
  const today = todayInChina();
  const used = new Map<string, number>();
  const plans: PlannedClaim[] = [];
  for (let i = 0; i < count; i++) {
    const category = random.chance(0.5) ? 'education' : 'medical';
    let household: SyntheticHousehold | undefined;
    for (let tries = 0; tries < 50 && !household; tries++) {
      const h = random.pick(households);
      if ((used.get(`${h.householdId}#${category}`) ?? 0) < 4) household = h;
    }
    if (!household) throw new Error('not enough households for the planned claims');
    const slot = `${household.householdId}#${category}`;
    used.set(slot, (used.get(slot) ?? 0) + 1);
    // Expense dates stay inside the current calendar year, so every claim of a slot shares a cap.
    const candidate = addDays(today, -random.int(1, 60));
    const expenseDate =
      candidate.slice(0, 4) === today.slice(0, 4) ? candidate : `${today.slice(0, 4)}-01-01`;
    const kind = random.next();
    const threshold = category === 'education' ? 8_000 : 10_000;
    // Self-paid cost in fen: below the threshold, in the automatic range, or above it (review).
    const autoTop = category === 'education' ? 17_500 : 20_000;
    const selfPaidFen =
      kind < 0.1
        ? random.int(100_000, threshold * 100)
        : kind < 0.2
          ? random.int((autoTop + 500) * 100, 40_000 * 100)
          : random.int(threshold * 100 + 1, autoTop * 100);
    const reimbursedFen =
      category === 'medical' ? random.int(1, 300_000) : random.chance(0.3) ? random.int(1, 200_000) : 0;
    const totalFen = selfPaidFen + reimbursedFen;
    const totalCost = fenToYuanText(totalFen, random);
    const reimbursed = fenToYuanText(reimbursedFen, random);
    const self = yuanStringToFen(totalCost) - yuanStringToFen(reimbursed);
    const gross = referenceGrossFen(category, self);
    const cap = referenceCapFen(category);
    const payout = gross < cap ? gross : cap;
    let expected: PlannedOutcome;
    if (gross === 0n) expected = { state: 'REJECTED', reason: 'BELOW_THRESHOLD' };
    else if (
      referenceNeedsReview({
        category,
        totalFen: yuanStringToFen(totalCost),
        reimbursedFen: yuanStringToFen(reimbursed),
        payoutFen: payout,
      })
    )
      expected = { state: 'PENDING_REVIEW' };
    else expected = { state: 'PAID', payoutFen: Number(payout) };
    plans.push({
      householdId: household.householdId,
      category,
      expenseDate,
      totalCost,
      reimbursed,
      expected,
    });
  }
  return plans;
}

/** Fen as a yuan string, written the several ways people may write them ("15000", "15000.5", "15000.50"). */
function fenToYuanText(fen: number, random: Random): string {
  const whole = Math.floor(fen / 100);
  const cents = fen % 100;
  if (cents === 0) return random.chance(0.5) ? String(whole) : `${whole}.00`;
  if (cents % 10 === 0 && random.chance(0.5)) return `${whole}.${cents / 10}`;
  return `${whole}.${String(cents).padStart(2, '0')}`;
}

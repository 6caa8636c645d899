// Eligibility and pricing for a claim, with every rejection reason that needs no storage.
// Storage-bound facts (the household's roster periods, the cap already used) come in as data.
import type { Fen } from '#shared/money.ts';
import { formatFen } from '#shared/money.ts';
import { compensate, type Compensation } from '#shared/compensation.ts';
import { policyInForce, type Category, type Policy } from '#shared/policy.ts';
import { statusOn, type RosterPeriod } from '#shared/roster.ts';
import { daysBetween } from '#shared/dates.ts';
import type { RejectionReason } from '#shared/claim-state.ts';
import { routeForReview, type ReviewReason, type ReviewRouting } from '#shared/review-routing.ts';

export interface ClaimToAssess {
  readonly householdId: string;
  readonly category: Category;
  readonly expenseDate: string;
  readonly totalCostFen: Fen;
  readonly reimbursedFen: Fen;
}

export interface AssessmentInput {
  readonly claim: ClaimToAssess;
  /** Calendar date (China) the claim was filed: the manifest's arrival. */
  readonly filedDate: string;
  /** Every roster period of this household (any order). */
  readonly periods: readonly RosterPeriod[];
  /** Returns what this household has already been paid in a category and cap year. */
  readonly capUsedFen: (year: number) => Fen;
  readonly policies?: readonly Policy[];
  /** Found outside the claim (a possible duplicate): reviewed like anomalies, never paid automatically. */
  readonly extraAnomalies?: readonly ReviewReason[];
}

export type Assessment =
  | {
      readonly ok: false;
      readonly reason: RejectionReason;
      readonly detail: string;
      readonly policy?: Policy;
    }
  | {
      readonly ok: true;
      readonly policy: Policy;
      readonly period: RosterPeriod;
      readonly capYear: number;
      readonly compensation: Compensation;
      readonly routing: ReviewRouting;
    };

const statusWords: Record<string, string> = {
  removed: 'removed from monitoring (风险已消除)',
};

export function assessClaim(input: AssessmentInput): Assessment {
  const { claim, filedDate, periods } = input;
  if (claim.expenseDate > filedDate) {
    return {
      ok: false,
      reason: 'EXPENSE_IN_FUTURE',
      detail: `expense date ${claim.expenseDate} is after the filing date ${filedDate}`,
    };
  }
  if (periods.length === 0) {
    return {
      ok: false,
      reason: 'NOT_ON_ROSTER',
      detail: `household ${claim.householdId} is not on the monitored roster`,
    };
  }
  const period = statusOn(periods, claim.expenseDate);
  if (!period) {
    return {
      ok: false,
      reason: 'NOT_ON_ROSTER',
      detail: `household ${claim.householdId} was not yet on the roster on ${claim.expenseDate}`,
    };
  }
  const policy = policyInForce(period.region, claim.expenseDate, input.policies);
  if (!policy) {
    return {
      ok: false,
      reason: 'OUTSIDE_POLICY_PERIOD',
      detail: `no policy for region ${period.region} was in force on ${claim.expenseDate}`,
    };
  }
  if (!policy.coveredStatuses.some((s) => s === period.status)) {
    return {
      ok: false,
      reason: 'NOT_COVERED',
      policy,
      detail: `household status on ${claim.expenseDate} is ${statusWords[period.status] ?? period.status}, which the policy does not cover`,
    };
  }
  const late = daysBetween(claim.expenseDate, filedDate);
  if (late > policy.filingDeadlineDays) {
    return {
      ok: false,
      reason: 'FILED_TOO_LATE',
      policy,
      detail: `filed ${late} days after the expense; the limit is ${policy.filingDeadlineDays} days`,
    };
  }
  const rule = policy.categories[claim.category];
  if (!rule) {
    return {
      ok: false,
      reason: 'NOT_COVERED',
      policy,
      detail: `policy ${policy.policyId} does not cover ${claim.category}`,
    };
  }
  const capYear = Number(claim.expenseDate.slice(0, 4));
  const compensation = compensate({
    rule,
    totalCostFen: claim.totalCostFen,
    reimbursedFen: claim.reimbursedFen,
    capUsedFen: input.capUsedFen(capYear),
  });
  if (compensation.grossFen === 0) {
    return {
      ok: false,
      reason: 'BELOW_THRESHOLD',
      policy,
      detail: `self-paid cost ${formatFen(compensation.selfPaidFen)} does not exceed the threshold ${formatFen(compensation.thresholdFen)}`,
    };
  }
  if (compensation.payoutFen === 0) {
    return {
      ok: false,
      reason: 'CAP_EXHAUSTED',
      policy,
      detail: `the household's ${capYear} ${claim.category} cap of ${formatFen(compensation.capFen)} is used up`,
    };
  }
  const routing = routeForReview({
    policy,
    claim,
    period,
    payoutFen: compensation.payoutFen,
    ...(input.extraAnomalies ? { extraAnomalies: input.extraAnomalies } : {}),
  });
  return { ok: true, policy, period, capYear, compensation, routing };
}

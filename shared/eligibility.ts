// Eligibility and pricing for a claim, with every rejection reason that needs no storage.
// Storage-bound facts (the household's roster periods, the cap already used) come in as data.
import type { Fen } from '#shared/money.ts';
import type { Message } from '#shared/messages/render.ts';
import { compensate, type Compensation } from '#shared/compensation.ts';
import { accumulates, policyInForce, type Category, type Policy } from '#shared/policy.ts';

export { accumulates };
import { statusOn, type RosterPeriod } from '#shared/roster.ts';
import { daysBetween } from '#shared/dates.ts';
import type { RejectionReason } from '#shared/claim-state.ts';
import {
  routeForReview,
  type ClaimSource,
  type ReviewReason,
  type ReviewRouting,
} from '#shared/review-routing.ts';

export interface ClaimToAssess {
  readonly householdId: string;
  readonly category: Category;
  readonly expenseDate: string;
  readonly totalCostFen: Fen;
  readonly reimbursedFen: Fen;
  /**
   * A data-feed claim is judged as a receipt claim (roster status on the expense date, policy,
   * category, filing deadline from the expense date); only its review route differs.
   */
  readonly source?: ClaimSource | undefined;
}

export interface AssessmentInput {
  readonly claim: ClaimToAssess;
  /** Calendar date (China) the claim was filed: the manifest's arrival. */
  readonly filedDate: string;
  /** Every roster period of this household (any order). */
  readonly periods: readonly RosterPeriod[];
  /** Returns what this household has already been paid in a category and cap year. */
  readonly capUsedFen: (year: number) => Fen;
  /**
   * Returns the household's self-paid total counted so far in the category and year, for
   * policies with annual accumulation (0 when nothing is counted yet).
   */
  readonly countedFen?: (year: number) => Fen;
  readonly policies?: readonly Policy[];
  /** Found outside the claim (a possible duplicate): reviewed like anomalies, never paid automatically. */
  readonly extraAnomalies?: readonly ReviewReason[];
}

export type Assessment =
  | {
      readonly ok: false;
      readonly reason: RejectionReason;
      /** The facts behind the reason, as a message code (people read it in their language). */
      readonly detail: Message;
      readonly policy?: Policy;
      /**
       * Under annual accumulation, a claim below the threshold still counts its self-paid cost:
       * the household's total before and after it, to record with the rejection.
       */
      readonly counts?: Counted;
    }
  | {
      readonly ok: true;
      readonly policy: Policy;
      readonly period: RosterPeriod;
      readonly capYear: number;
      readonly compensation: Compensation;
      readonly routing: ReviewRouting;
      /** Under annual accumulation: the counted total the estimate was priced from and to. */
      readonly counts?: Counted;
    };

export interface Counted {
  readonly year: number;
  readonly beforeFen: Fen;
  readonly afterFen: Fen;
}

export function assessClaim(input: AssessmentInput): Assessment {
  const { claim, filedDate, periods } = input;
  if (claim.expenseDate > filedDate) {
    return {
      ok: false,
      reason: 'EXPENSE_IN_FUTURE',
      detail: { code: 'EXPENSE_AFTER_FILING', params: { expenseDate: claim.expenseDate, filedDate } },
    };
  }
  if (periods.length === 0) {
    return {
      ok: false,
      reason: 'NOT_ON_ROSTER',
      detail: { code: 'NOT_ON_ROSTER_AT_ALL', params: { householdId: claim.householdId } },
    };
  }
  const period = statusOn(periods, claim.expenseDate);
  if (!period) {
    return {
      ok: false,
      reason: 'NOT_ON_ROSTER',
      detail: {
        code: 'NOT_YET_ON_ROSTER',
        params: { householdId: claim.householdId, expenseDate: claim.expenseDate },
      },
    };
  }
  const policy = policyInForce(period.region, claim.expenseDate, input.policies);
  if (!policy) {
    return {
      ok: false,
      reason: 'OUTSIDE_POLICY_PERIOD',
      detail: {
        code: 'NO_POLICY_IN_FORCE',
        params: { region: period.region, expenseDate: claim.expenseDate },
      },
    };
  }
  if (!policy.coveredStatuses.some((s) => s === period.status)) {
    return {
      ok: false,
      reason: 'NOT_COVERED',
      policy,
      detail: {
        code: 'STATUS_NOT_COVERED',
        params: { expenseDate: claim.expenseDate, status: period.status },
      },
    };
  }
  const late = daysBetween(claim.expenseDate, filedDate);
  if (late > policy.filingDeadlineDays) {
    return {
      ok: false,
      reason: 'FILED_TOO_LATE',
      policy,
      detail: { code: 'FILED_LATE', params: { days: late, limitDays: policy.filingDeadlineDays } },
    };
  }
  const rule = policy.categories[claim.category];
  if (!rule) {
    return {
      ok: false,
      reason: 'NOT_COVERED',
      policy,
      detail: {
        code: 'CATEGORY_NOT_COVERED',
        params: { policyId: policy.policyId, category: claim.category },
      },
    };
  }
  const capYear = Number(claim.expenseDate.slice(0, 4));
  const countedBeforeFen = accumulates(policy, claim.category)
    ? (input.countedFen?.(capYear) ?? 0)
    : undefined;
  const compensation = compensate({
    rule,
    totalCostFen: claim.totalCostFen,
    reimbursedFen: claim.reimbursedFen,
    capUsedFen: input.capUsedFen(capYear),
    ...(countedBeforeFen !== undefined ? { countedBeforeFen } : {}),
  });
  const counts: Counted | undefined =
    countedBeforeFen !== undefined
      ? { year: capYear, beforeFen: countedBeforeFen, afterFen: countedBeforeFen + compensation.selfPaidFen }
      : undefined;
  if (compensation.grossFen === 0) {
    // A bill that may repeat another claim's or a department record's (which counted already) is
    // not counted a second time: below the threshold there is nothing for people to decide.
    const repeats =
      counts !== undefined && (input.extraAnomalies ?? []).some((a) => a.code === 'POSSIBLE_DUPLICATE');
    const params = { selfPaidFen: compensation.selfPaidFen, thresholdFen: compensation.thresholdFen };
    return {
      ok: false,
      reason: 'BELOW_THRESHOLD',
      policy,
      detail: repeats
        ? { code: 'BELOW_THRESHOLD_NOT_COUNTED_REPEAT', params }
        : counts
          ? { code: 'ANNUAL_TOTAL_BELOW_THRESHOLD', params: { ...params, totalFen: counts.afterFen } }
          : { code: 'SELF_PAID_BELOW_THRESHOLD', params },
      ...(counts && !repeats ? { counts } : {}),
    };
  }
  if (compensation.payoutFen === 0) {
    return {
      ok: false,
      reason: 'CAP_EXHAUSTED',
      policy,
      detail: {
        code: 'CAP_USED_UP',
        params: { capYear, category: claim.category, capFen: compensation.capFen },
      },
    };
  }
  const routing = routeForReview({
    policy,
    claim,
    period,
    payoutFen: compensation.payoutFen,
    ...(input.extraAnomalies ? { extraAnomalies: input.extraAnomalies } : {}),
  });
  return { ok: true, policy, period, capYear, compensation, routing, ...(counts ? { counts } : {}) };
}

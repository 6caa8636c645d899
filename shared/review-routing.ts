// Which claims need the three-gate review (三关), and why. Reasons are kept so reviewers see
// what flagged the claim.
import type { Fen } from '#shared/money.ts';
import { formatFen } from '#shared/money.ts';
import type { Category, Policy, ReviewGate } from '#shared/policy.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import { daysBetween } from '#shared/dates.ts';

export interface ReviewRouting {
  readonly review: boolean;
  /** Human-readable reasons, empty when the claim is approved automatically. */
  readonly reasons: readonly string[];
  readonly anomalies: readonly string[];
}

export interface RoutingInput {
  readonly policy: Policy;
  readonly claim: {
    readonly category: Category;
    readonly expenseDate: string;
    readonly totalCostFen: Fen;
    readonly reimbursedFen: Fen;
  };
  readonly period: RosterPeriod;
  readonly payoutFen: Fen;
}

export function detectAnomalies({ policy, claim, period }: RoutingInput): string[] {
  const rules = policy.review.anomaly;
  const found: string[] = [];
  if (claim.totalCostFen > rules.totalCostAboveYuan) {
    found.push(`total cost is above ${formatFen(rules.totalCostAboveYuan)}`);
  }
  const sinceStatus = daysBetween(period.statusFrom, claim.expenseDate);
  if (sinceStatus < rules.statusChangedWithinDays) {
    found.push(`roster status changed ${sinceStatus} days before the expense`);
  }
  if (rules.medicalWithoutReimbursement && claim.category === 'medical' && claim.reimbursedFen === 0) {
    found.push('medical claim with no insurance reimbursement recorded');
  }
  return found;
}

export function routeForReview(input: RoutingInput): ReviewRouting {
  const { policy, claim, payoutFen } = input;
  const reasons: string[] = [];
  if (payoutFen > policy.review.payoutAboveYuan) {
    reasons.push(`payout is above ${formatFen(policy.review.payoutAboveYuan)}`);
  }
  if (policy.review.alwaysCategories.includes(claim.category)) {
    reasons.push(`every ${claim.category} claim is reviewed`);
  }
  const anomalies = detectAnomalies(input);
  reasons.push(...anomalies);
  return { review: reasons.length > 0, reasons, anomalies };
}

/** The gate that decides next, given the gates already approved; undefined once all passed. */
export function nextGate(policy: Policy, approved: readonly ReviewGate[]): ReviewGate | undefined {
  return policy.review.gates.find((g) => !approved.includes(g));
}

export type GateCheck =
  | { ok: true }
  /** `involved`: the person filed the claim or looks after the household (separation of duties). */
  | { ok: false; error: string; involved?: true };

/**
 * Four-eyes: a gate may be decided only in order, only once, and never by someone who decided
 * another gate of the same claim.
 */
export function checkGateDecision(
  policy: Policy,
  decided: readonly { gate: ReviewGate; by: string }[],
  gate: ReviewGate,
  user: string,
  /** Who filed the claim and who looks after the household: they check no gate of it. */
  involved: { readonly filer?: string | null; readonly gridWorkers?: readonly (string | null)[] } = {},
): GateCheck {
  if (involved.filer === user)
    return {
      ok: false,
      involved: true,
      error: 'you filed this claim; people who did not file it decide its gates',
    };
  if (involved.gridWorkers?.includes(user))
    return {
      ok: false,
      involved: true,
      error: "you are the household's grid worker; people who do not look after it decide its gates",
    };
  if (decided.some((d) => d.gate === gate))
    return { ok: false, error: `the ${gate} gate is already decided` };
  const expected = nextGate(
    policy,
    decided.map((d) => d.gate),
  );
  if (expected !== gate) {
    return {
      ok: false,
      error: expected ? `the ${expected} gate must be decided first` : 'all gates are decided',
    };
  }
  const earlier = decided.find((d) => d.by === user);
  if (earlier)
    return {
      ok: false,
      error: `you decided the ${earlier.gate} gate of this claim; another person must decide ${gate}`,
    };
  return { ok: true };
}

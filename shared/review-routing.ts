// Which claims need review, at which gates, and why. Gates and routes are policy data: a claim
// needs the union of the gates of every route it matches, in the policy's gate order. Reasons
// are codes with parameters, kept so reviewers see what flagged the claim in their language.
import type { Fen } from '#shared/money.ts';
import type { Role } from '#shared/access.ts';
import type { Category, claimSources, GateId, Policy, ReviewRoute } from '#shared/policy.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import type { ReviewReason } from '#shared/claim.ts';

export type { ReviewReason };
/** Where a claim came from: a grid worker's receipt, or a department's data feed. */
export type ClaimSource = (typeof claimSources)[number];
import { daysBetween } from '#shared/dates.ts';

export interface ReviewRouting {
  readonly review: boolean;
  /** Gate ids in the policy's order; empty when the claim is approved automatically. */
  readonly requiredGates: readonly GateId[];
  /** Empty when the claim is approved automatically. */
  readonly reasons: readonly ReviewReason[];
  readonly anomalies: readonly ReviewReason[];
}

export interface RoutingInput {
  readonly policy: Policy;
  readonly claim: {
    readonly category: Category;
    readonly expenseDate: string;
    readonly totalCostFen: Fen;
    readonly reimbursedFen: Fen;
    /** Where the claim came from; absent (older records): a receipt. */
    readonly source?: ClaimSource | undefined;
  };
  /** Only when the household's roster status last changed is read. */
  readonly period: Pick<RosterPeriod, 'statusFrom'>;
  readonly payoutFen: Fen;
  /** Facts found outside the claim itself (a possible duplicate), reviewed like anomalies. */
  readonly extraAnomalies?: readonly ReviewReason[];
}

export function detectAnomalies({ policy, claim, period }: RoutingInput): ReviewReason[] {
  const rules = policy.review.anomaly;
  const found: ReviewReason[] = [];
  if (claim.totalCostFen > rules.totalCostAboveFen) {
    found.push({ code: 'TOTAL_COST_ABOVE', params: { limitFen: rules.totalCostAboveFen } });
  }
  const sinceStatus = daysBetween(period.statusFrom, claim.expenseDate);
  if (sinceStatus < rules.statusChangedWithinDays) {
    found.push({ code: 'STATUS_CHANGED_RECENTLY', params: { days: sinceStatus } });
  }
  if (rules.withoutReimbursement.categories.includes(claim.category) && claim.reimbursedFen === 0) {
    found.push({ code: 'NOT_REIMBURSED', params: { category: claim.category } });
  }
  return found;
}

/**
 * Which review a claim is in: its first (after assessment), or one more after an objection during
 * its public notice or after an appeal against a rejection.
 */
export type ReviewRound = 'first' | 'objection' | 'appeal';

/** The facts a route's conditions are checked against. */
interface RouteFacts {
  readonly source: ClaimSource;
  readonly category: Category;
  readonly payoutFen: Fen;
  readonly anomalous: boolean;
  readonly round: ReviewRound;
}

/**
 * Whether every condition of a route holds. Appeal and objection routes apply to their own round
 * only, and only they apply to it.
 */
function routeMatches(route: ReviewRoute, facts: RouteFacts): boolean {
  const { when } = route;
  if (when.source !== undefined && when.source !== facts.source) return false;
  if ((when.appeal === true) !== (facts.round === 'appeal')) return false;
  if ((when.objection === true) !== (facts.round === 'objection')) return false;
  if (when.payoutAboveFen !== undefined && !(facts.payoutFen > when.payoutAboveFen)) return false;
  if (when.categories !== undefined && !when.categories.includes(facts.category)) return false;
  if (when.anomaly && !facts.anomalous) return false;
  return true;
}

/** The reasons a matched route gives: the anomalies themselves for an anomaly route. */
function routeReasons(route: ReviewRoute, facts: RouteFacts, anomalies: readonly ReviewReason[]) {
  if (route.when.anomaly) return anomalies;
  const params: Record<string, string | number> = {};
  if (route.when.payoutAboveFen !== undefined) params.limitFen = route.when.payoutAboveFen;
  if (route.when.categories !== undefined) params.category = facts.category;
  return [{ code: route.reason, params }];
}

/** The policy's gates (in its order) that appear in `wanted`. */
export function gatesInOrder(policy: Policy, wanted: Iterable<GateId>): GateId[] {
  const set = new Set(wanted);
  return policy.review.gates.map((g) => g.id).filter((id) => set.has(id));
}

export function routeForReview(input: RoutingInput): ReviewRouting {
  const { policy, claim, payoutFen } = input;
  const anomalies = [...detectAnomalies(input), ...(input.extraAnomalies ?? [])];
  const facts: RouteFacts = {
    source: claim.source ?? 'receipt',
    category: claim.category,
    payoutFen,
    anomalous: anomalies.length > 0,
    round: 'first',
  };
  const matched = policy.review.routes.filter((route) => routeMatches(route, facts));
  const gates = new Set(matched.flatMap((route) => route.gates));
  // An anomaly no route covers still stops the automatic payout: every gate decides it.
  if (anomalies.length > 0 && !matched.some((route) => route.when.anomaly)) {
    for (const gate of policy.review.gates) gates.add(gate.id);
  }
  const reasons: ReviewReason[] = [];
  const seen = new Set<string>();
  const add = (reason: ReviewReason) => {
    const key = JSON.stringify([reason.code, reason.params]);
    if (!seen.has(key)) {
      seen.add(key);
      reasons.push(reason);
    }
  };
  for (const route of matched) routeReasons(route, facts, anomalies).forEach(add);
  anomalies.forEach(add);
  const requiredGates = gatesInOrder(policy, gates);
  return { review: requiredGates.length > 0, requiredGates, reasons, anomalies };
}

/**
 * The gates and reasons of a review round after an objection or an appeal: the union of the
 * gates of the routes for that round (a policy with none: every gate), and the round's reason.
 */
export function routeForRound(input: {
  readonly policy: Policy;
  readonly round: Exclude<ReviewRound, 'first'>;
  readonly category: Category;
  readonly payoutFen: Fen;
  readonly source?: ClaimSource | undefined;
}): { readonly requiredGates: readonly GateId[]; readonly reasons: readonly ReviewReason[] } {
  const { policy, round } = input;
  const facts: RouteFacts = {
    source: input.source ?? 'receipt',
    category: input.category,
    payoutFen: input.payoutFen,
    anomalous: false,
    round,
  };
  const matched = policy.review.routes.filter((route) => routeMatches(route, facts));
  const gates = matched.length > 0 ? matched.flatMap((r) => r.gates) : policy.review.gates.map((g) => g.id);
  const codes =
    matched.length > 0
      ? [...new Set(matched.map((r) => r.reason))]
      : [round === 'appeal' ? ('APPEAL' as const) : ('OBJECTION' as const)];
  return { requiredGates: gatesInOrder(policy, gates), reasons: codes.map((code) => ({ code, params: {} })) };
}

/**
 * The first-round routes a payout of this size matches by itself (no anomaly): for a claim whose
 * amount grew after it was approved automatically (annual accumulation prices it when paid).
 */
export function routeForPayout(
  policy: Policy,
  category: Category,
  payoutFen: Fen,
  source: ClaimSource = 'receipt',
): { readonly requiredGates: readonly GateId[]; readonly reasons: readonly ReviewReason[] } {
  const facts: RouteFacts = { source, category, payoutFen, anomalous: false, round: 'first' };
  const matched = policy.review.routes.filter((route) => !route.when.anomaly && routeMatches(route, facts));
  return {
    requiredGates: gatesInOrder(
      policy,
      matched.flatMap((r) => r.gates),
    ),
    reasons: matched.flatMap((route) => routeReasons(route, facts, [])),
  };
}

/**
 * Whether a claim of this category and payout goes to review by the routes that need no look at
 * the household (anomalies may add review on top): what a quote can tell in advance.
 */
export function reviewExpected(policy: Policy, category: Category, payoutFen: Fen): boolean {
  // A quote is for a grid worker's receipt.
  const facts: RouteFacts = { source: 'receipt', category, payoutFen, anomalous: false, round: 'first' };
  return policy.review.routes.some((route) => routeMatches(route, facts));
}

/** The role that decides a gate under a policy; undefined for a gate the policy does not have. */
export function gateRole(policy: Policy, gate: GateId): Role | undefined {
  return policy.review.gates.find((g) => g.id === gate)?.role;
}

/** The gates a claim needs: as stored when it was routed, or (older records) all of the policy's. */
export function requiredGatesOf(
  policy: Policy,
  claim: { readonly requiredGates?: readonly GateId[] | undefined },
): readonly GateId[] {
  return claim.requiredGates ?? policy.review.gates.map((g) => g.id);
}

/** The gate that decides next: the first required gate without a decision; undefined once all are. */
export function nextGate(
  policy: Policy,
  claim: {
    readonly requiredGates?: readonly GateId[] | undefined;
    readonly gates: Readonly<Partial<Record<GateId, unknown>>>;
  },
): GateId | undefined {
  return requiredGatesOf(policy, claim).find((gate) => claim.gates[gate] === undefined);
}

/** Why a person may not decide a gate: an API error code each. */
export type GateRefusal =
  /** The person filed the claim or looks after the household (separation of duties). */
  | 'NOT_INDEPENDENT'
  /** The person decided a gate of an earlier review round of the claim. */
  | 'DECIDED_EARLIER_ROUND'
  /** The person raised an objection to the claim: others judge it. */
  | 'OBJECTED'
  /** The gate is not the one waiting, or the person decided another gate of this round. */
  | 'GATE_REFUSED';

export type GateCheck =
  | { ok: true }
  /** `involved`: the person filed the claim or looks after the household (separation of duties). */
  | { ok: false; code: GateRefusal; error: string; involved?: true };

type Decisions = Readonly<Partial<Record<GateId, { readonly by: string } | undefined>>>;

/**
 * Four-eyes: a gate may be decided only if the claim needs it, only in order, only once, and never
 * by someone who decided another gate of the same claim, in this round or an earlier one, or who
 * objected to it.
 */
export function checkGateDecision(
  policy: Policy,
  claim: {
    readonly requiredGates?: readonly GateId[] | undefined;
    readonly gates: Decisions;
    /** Decisions of earlier rounds (before an objection or an appeal). */
    readonly earlierGates?: readonly Decisions[] | undefined;
    readonly objections?: readonly { readonly by: string }[] | undefined;
  },
  gate: GateId,
  user: string,
  /** Who filed the claim and who looks after the household: they check no gate of it. */
  involved: { readonly filer?: string | null; readonly gridWorkers?: readonly (string | null)[] } = {},
): GateCheck {
  const decided = Object.entries(claim.gates).flatMap(([g, d]) => (d ? [{ gate: g, by: d.by }] : []));
  if (involved.filer === user)
    return {
      ok: false,
      code: 'NOT_INDEPENDENT',
      involved: true,
      error: 'you filed this claim; people who did not file it decide its gates',
    };
  if (involved.gridWorkers?.includes(user))
    return {
      ok: false,
      code: 'NOT_INDEPENDENT',
      involved: true,
      error: "you are the household's grid worker; people who do not look after it decide its gates",
    };
  if (claim.objections?.some((o) => o.by === user))
    return {
      ok: false,
      code: 'OBJECTED',
      error: 'you objected to this claim; people who did not object decide its gates',
    };
  if (claim.earlierGates?.some((round) => Object.values(round).some((d) => d?.by === user)))
    return {
      ok: false,
      code: 'DECIDED_EARLIER_ROUND',
      error: 'you decided a gate of an earlier review of this claim; other people decide this one',
    };
  const required = requiredGatesOf(policy, claim);
  if (!required.includes(gate))
    return {
      ok: false,
      code: 'GATE_REFUSED',
      error: `this claim has no ${gate} gate`,
    };
  if (decided.some((d) => d.gate === gate))
    return { ok: false, code: 'GATE_REFUSED', error: `the ${gate} gate is already decided` };
  const expected = required.find((g) => !decided.some((d) => d.gate === g));
  if (expected !== gate) {
    return expected
      ? {
          ok: false,
          code: 'GATE_REFUSED',
          error: `the ${expected} gate must be decided first`,
        }
      : { ok: false, code: 'GATE_REFUSED', error: 'all gates are decided' };
  }
  const earlier = decided.find((d) => d.by === user);
  if (earlier)
    return {
      ok: false,
      code: 'GATE_REFUSED',
      error: `you decided the ${earlier.gate} gate of this claim; another person must decide ${gate}`,
    };
  return { ok: true };
}

/** Every person who decided a gate of the claim, in any round. */
export function decidersOf(claim: {
  readonly gates: Decisions;
  readonly earlierGates?: readonly Decisions[] | undefined;
}): Set<string> {
  const rounds = [claim.gates, ...(claim.earlierGates ?? [])];
  return new Set(rounds.flatMap((round) => Object.values(round).flatMap((d) => (d ? [d.by] : []))));
}

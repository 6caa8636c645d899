// Tiered compensation: each band of the self-paid cost above the threshold is paid at its own
// rate, rounded half-up per band; fixed-grant categories pay the highest tier reached. The
// household's remaining annual cap then limits the sum.
import { applyRateBp, assertFen, type Fen } from '#shared/money.ts';
import type { CategoryRule, Policy, Category, TieredRule } from '#shared/policy.ts';

export interface BandPayout {
  readonly fromFen: Fen;
  /** null for the open-ended top band (or the top grant tier). */
  readonly toFen: Fen | null;
  /** null for a fixed grant. */
  readonly rateBp: number | null;
  /** The part of the self-paid cost that falls in this band (the whole loss for a grant). */
  readonly baseFen: Fen;
  readonly payoutFen: Fen;
}

export interface Compensation {
  readonly selfPaidFen: Fen;
  readonly bands: readonly BandPayout[];
  /** Sum over bands, before the cap. */
  readonly grossFen: Fen;
  readonly capFen: Fen;
  readonly capUsedFen: Fen;
  readonly capRemainingFen: Fen;
  /** What the claim pays: min(gross, remaining cap). */
  readonly payoutFen: Fen;
  readonly capLimited: boolean;
  /** The lowest self-paid amount that pays anything (a band's start, or the smallest loss tier). */
  readonly thresholdFen: Fen;
}

/** Gross payout per band for a self-paid cost, ignoring the cap. */
export function bandPayouts(rule: CategoryRule, selfPaidFen: Fen): BandPayout[] {
  assertFen(selfPaidFen, 'self-paid cost');
  if (rule.kind === 'fixed') {
    let reached: BandPayout | undefined;
    rule.grants.forEach((grant, i) => {
      if (selfPaidFen >= grant.minLossFen) {
        const next = rule.grants[i + 1];
        reached = {
          fromFen: grant.minLossFen,
          toFen: next ? next.minLossFen : null,
          rateBp: null,
          baseFen: selfPaidFen,
          payoutFen: grant.grantFen,
        };
      }
    });
    return reached ? [reached] : [];
  }
  const bands: BandPayout[] = [];
  for (const band of rule.bands) {
    if (selfPaidFen <= band.fromFen) break;
    const top = band.toFen === null ? selfPaidFen : Math.min(selfPaidFen, band.toFen);
    const baseFen = top - band.fromFen;
    bands.push({
      fromFen: band.fromFen,
      toFen: band.toFen,
      rateBp: band.rateBp,
      baseFen,
      payoutFen: applyRateBp(baseFen, band.rateBp),
    });
  }
  return bands;
}

/** What a self-paid total pays under a rule, before any cap: the sum over its bands. */
export function priceOf(rule: CategoryRule, selfPaidFen: Fen): Fen {
  return bandPayouts(rule, selfPaidFen).reduce((sum, b) => sum + b.payoutFen, 0);
}

/**
 * Annual accumulation: what the household's counted total moving from `beforeFen` to `afterFen`
 * adds, band by band. Each band pays its rounded amount at the new total less its rounded amount
 * at the old one, so the claims of a year add up to exactly price(year's total).
 */
export function marginalBands(rule: TieredRule, beforeFen: Fen, afterFen: Fen): BandPayout[] {
  assertFen(beforeFen, 'counted total before');
  assertFen(afterFen, 'counted total after');
  if (afterFen < beforeFen) throw new RangeError('a counted total only grows');
  const before = new Map(bandPayouts(rule, beforeFen).map((b) => [b.fromFen, b]));
  return bandPayouts(rule, afterFen)
    .map((band) => {
      const was = before.get(band.fromFen);
      return {
        ...band,
        baseFen: band.baseFen - (was?.baseFen ?? 0),
        payoutFen: band.payoutFen - (was?.payoutFen ?? 0),
      };
    })
    .filter((band) => band.baseFen > 0);
}

export function thresholdOf(rule: CategoryRule): Fen {
  return rule.kind === 'fixed' ? (rule.grants[0]?.minLossFen ?? 0) : (rule.bands[0]?.fromFen ?? 0);
}

export interface CompensationInput {
  readonly rule: CategoryRule;
  readonly totalCostFen: Fen;
  readonly reimbursedFen: Fen;
  /** Already paid to this household in this category and cap period. */
  readonly capUsedFen: Fen;
  /**
   * Under annual accumulation (tiered rules only): the household's self-paid total counted so far
   * this year. The claim is then priced at the margin: price(counted + self-paid) - price(counted).
   */
  readonly countedBeforeFen?: Fen;
}

export function compensate(input: CompensationInput): Compensation {
  const { rule, totalCostFen, reimbursedFen, capUsedFen } = input;
  assertFen(totalCostFen, 'total cost');
  assertFen(reimbursedFen, 'reimbursed amount');
  assertFen(capUsedFen, 'cap used');
  if (reimbursedFen > totalCostFen) throw new RangeError('reimbursed amount exceeds the total cost');
  const selfPaidFen = totalCostFen - reimbursedFen;
  const counted = input.countedBeforeFen;
  const bands =
    counted !== undefined && rule.kind === 'tiered'
      ? marginalBands(rule, counted, counted + selfPaidFen)
      : bandPayouts(rule, selfPaidFen);
  const grossFen = bands.reduce((sum, b) => sum + b.payoutFen, 0);
  const capFen = rule.annualCapFen;
  const capRemainingFen = Math.max(0, capFen - capUsedFen);
  const payoutFen = Math.min(grossFen, capRemainingFen);
  return {
    selfPaidFen,
    bands,
    grossFen,
    capFen,
    capUsedFen,
    capRemainingFen,
    payoutFen,
    capLimited: payoutFen < grossFen,
    thresholdFen: thresholdOf(rule),
  };
}

export interface Quote extends Compensation {
  /** Under annual accumulation: the household's counted self-paid total the quote started from. */
  readonly countedBeforeFen?: Fen;
  readonly policyId: string;
  readonly policyVersion: number;
  readonly category: Category;
}

export type QuoteResult = { ok: true; quote: Quote } | { ok: false; error: string };

/** A quote for a category under a policy, as the CLI and the web form show it. */
export function quote(
  policy: Policy,
  category: Category,
  totalCostFen: Fen,
  reimbursedFen: Fen,
  capUsedFen: Fen = 0,
  /** The household's counted self-paid total of the year, for a policy with annual accumulation. */
  countedFen: Fen = 0,
): QuoteResult {
  const rule = policy.categories[category];
  if (!rule)
    return { ok: false, error: `policy ${policy.policyId} v${policy.version} does not cover ${category}` };
  if (reimbursedFen > totalCostFen)
    return { ok: false, error: 'reimbursed amount is more than the total cost' };
  // Annual accumulation (written out, not policy.ts's accumulates(): the web app's quote imports
  // this module and must not bundle the policy schemas).
  const accumulating = policy.accumulation === 'calendar_year' && rule.kind === 'tiered';
  const result = compensate({
    rule,
    totalCostFen,
    reimbursedFen,
    capUsedFen,
    ...(accumulating ? { countedBeforeFen: countedFen } : {}),
  });
  return {
    ok: true,
    quote: {
      ...result,
      ...(accumulating ? { countedBeforeFen: countedFen } : {}),
      policyId: policy.policyId,
      policyVersion: policy.version,
      category,
    },
  };
}

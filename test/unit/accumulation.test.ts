// Annual accumulation: a household's claims of a year, split and ordered any way, are paid at the
// margin of its counted total, so together they pay price(total) exactly; with the annual cap,
// min(cap, price(total)). The expectation is the independent reference pricer, not the engine.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { marginalBands, priceOf } from '#shared/compensation.ts';
import { policyInForce, type TieredRule } from '#shared/policy.ts';
import { referenceGrossFen, referenceYearPayoutFen } from '#verify/lib/reference-pricing.ts';

const policy = policyInForce('demo-fund', '2026-09-01');
if (!policy) throw new Error('demo-fund policy missing');
const tiered = (category: 'education' | 'medical'): TieredRule => {
  const rule = policy.categories[category];
  if (rule?.kind !== 'tiered') throw new Error(`${category} is not tiered`);
  return rule;
};

const category = fc.constantFrom('education' as const, 'medical' as const);
/** Self-paid parts in fen: cents to a few tens of thousands of yuan, small ones common. */
const parts = fc.array(fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 4_000_000 })), {
  minLength: 1,
  maxLength: 40,
});

/** Pays each part in turn at the margin of the running total; the cap limits what is left. */
function payInTurn(rule: TieredRule, amounts: readonly number[], capFen: number) {
  let counted = 0;
  let used = 0;
  const payouts: number[] = [];
  for (const amount of amounts) {
    const gross = marginalBands(rule, counted, counted + amount).reduce((s, b) => s + b.payoutFen, 0);
    const payout = Math.min(gross, capFen - used);
    payouts.push(payout);
    used += payout;
    counted += amount;
  }
  return { payouts, counted, used };
}

describe('annual accumulation', () => {
  it('priceOf agrees with the reference pricer for any total', () => {
    fc.assert(
      fc.property(category, fc.integer({ min: 0, max: 50_000_000 }), (c, total) => {
        expect(BigInt(priceOf(tiered(c), total))).toBe(referenceGrossFen(c, BigInt(total)));
      }),
      { numRuns: 500 },
    );
  });

  it('the marginal payouts of any split, in any order, add up to price(total)', () => {
    fc.assert(
      fc.property(category, parts, fc.infiniteStream(fc.nat()), (c, amounts, order) => {
        const shuffled = [...amounts];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = order.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
        }
        const { payouts, counted } = payInTurn(tiered(c), shuffled, Number.MAX_SAFE_INTEGER);
        const total = amounts.reduce((s, a) => s + a, 0);
        expect(counted).toBe(total);
        expect(payouts.every((p) => p >= 0)).toBe(true);
        expect(BigInt(payouts.reduce((s, p) => s + p, 0))).toBe(referenceGrossFen(c, BigInt(total)));
      }),
      { numRuns: 500 },
    );
  });

  it('with the annual cap they add up to min(cap, price(total))', () => {
    fc.assert(
      fc.property(category, parts, (c, amounts) => {
        const rule = tiered(c);
        const { payouts, counted } = payInTurn(rule, amounts, rule.annualCapFen);
        expect(BigInt(payouts.reduce((s, p) => s + p, 0))).toBe(referenceYearPayoutFen(c, BigInt(counted)));
      }),
      { numRuns: 500 },
    );
  });

  it('each band of a margin is its rounded amount after less its rounded amount before', () => {
    fc.assert(
      fc.property(
        category,
        fc.integer({ min: 0, max: 8_000_000 }),
        fc.integer({ min: 0, max: 8_000_000 }),
        (c, before, extra) => {
          const rule = tiered(c);
          const bands = marginalBands(rule, before, before + extra);
          expect(bands.every((b) => b.baseFen > 0 && b.payoutFen >= 0)).toBe(true);
          expect(bands.reduce((s, b) => s + b.baseFen, 0)).toBe(
            Math.max(0, before + extra - Math.max(before, rule.bands[0]?.fromFen ?? 0)),
          );
          expect(bands.reduce((s, b) => s + b.payoutFen, 0)).toBe(
            priceOf(rule, before + extra) - priceOf(rule, before),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a counted total never shrinks', () => {
    expect(() => marginalBands(tiered('medical'), 2_000_000, 1_000_000)).toThrow(RangeError);
  });
});

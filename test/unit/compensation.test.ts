import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bandPayouts, compensate, quote } from '#shared/compensation.ts';
import { builtInPolicies, policyInForce, type CategoryRule } from '#shared/policy.ts';
import { yuanToFen, MAX_YUAN_FEN } from '#shared/money.ts';

const demo = policyInForce('demo', '2026-09-01');
if (!demo) throw new Error('demo policy missing');
const rule = (category: 'education' | 'medical' | 'disaster' | 'industry'): CategoryRule => {
  const r = demo.categories[category];
  if (!r) throw new Error(`no ${category} rule`);
  return r;
};
const pay = (
  category: 'education' | 'medical' | 'disaster' | 'industry',
  cost: string,
  reimbursed = '0',
  used = '0',
) =>
  compensate({
    rule: rule(category),
    totalCostFen: yuanToFen(cost),
    reimbursedFen: yuanToFen(reimbursed),
    capUsedFen: yuanToFen(used),
  });

describe('the documented worked examples', () => {
  it('university tuition: total 22,700, reimbursed 0 -> 3,500 + 4,620 = 8,120.00', () => {
    const result = pay('education', '22700');
    expect(result.bands.map((b) => b.payoutFen)).toEqual([350_000, 462_000]);
    expect(result.payoutFen).toBe(812_000);
  });

  it('fish-pond loss of 20,000 -> 3,000.00', () => {
    expect(pay('industry', '20000').payoutFen).toBe(300_000);
    expect(pay('disaster', '20000').payoutFen).toBe(300_000);
  });

  it('quote carries policy id and version', () => {
    const q = quote(demo, 'education', yuanToFen('22700'), 0);
    expect(q.ok && q.quote).toMatchObject({ payoutFen: 812_000, policyId: 'demo-fangpin', policyVersion: 1 });
  });
});

describe('education band edges', () => {
  it.each([
    ['8000', 0],
    ['8000.00', 0],
    ['8000.01', 1], // 1 fen at 50% = 0.5 -> rounds half up to 1
    ['8000.02', 1],
    ['8000.03', 2],
    ['15000', 350_000],
    ['15000.01', 350_001], // 1 fen at 60% = 0.6 -> 1
    ['25000', 350_000 + 600_000],
    ['25000.01', 950_001], // 0.7 -> 1
    ['30000', 950_000 + 350_000],
    ['31000', 950_000 + 420_000], // gross 13,700 under the 20,000 cap
    ['40000', 2_000_000], // gross 20,000 exactly at the cap
    ['50000', 2_000_000], // gross 27,000 limited by the cap
  ])('self-paid %s -> %i fen', (cost, fen) => {
    expect(pay('education', cost).payoutFen).toBe(fen);
  });

  it('self-paid is total minus reimbursed', () => {
    const r = pay('education', '30000', '7300');
    expect(r.selfPaidFen).toBe(2_270_000);
    expect(r.payoutFen).toBe(812_000);
  });
});

describe('medical bands', () => {
  it.each([
    ['10000', 0],
    ['10000.01', 1],
    ['30000', 1_000_000],
    ['50000', 1_000_000 + 1_200_000],
    ['60000', 2_200_000 + 700_000],
    ['200000', 5_000_000], // capped at 50,000
  ])('self-paid %s -> %i fen', (cost, fen) => {
    expect(pay('medical', cost).payoutFen).toBe(fen);
  });
});

describe('fixed grants (disaster, industry)', () => {
  it.each([
    ['9999.99', 0],
    ['10000', 300_000],
    ['29999.99', 300_000],
    ['30000', 500_000],
    ['1000000', 500_000],
  ])('loss %s -> %i fen', (loss, fen) => {
    const r = pay('disaster', loss);
    expect(r.payoutFen).toBe(fen);
    if (fen > 0) expect(r.bands).toHaveLength(1);
    if (fen > 0) expect(r.bands[0]?.rateBp).toBeNull();
  });

  it('a second grant in the year is limited by the 5,000 cap', () => {
    expect(pay('disaster', '20000', '0', '3000').payoutFen).toBe(200_000);
    expect(pay('disaster', '20000', '0', '5000').payoutFen).toBe(0);
  });
});

describe('cap', () => {
  it('remaining cap limits the payout and says so', () => {
    const r = pay('education', '22700', '0', '15000');
    expect(r.payoutFen).toBe(500_000);
    expect(r.capLimited).toBe(true);
    expect(r.grossFen).toBe(812_000);
  });

  it('over-used cap leaves nothing, never negative', () => {
    expect(pay('education', '22700', '0', '25000').payoutFen).toBe(0);
  });
});

describe('properties', () => {
  const categories = ['education', 'medical', 'disaster', 'industry'] as const;
  const fen = fc.integer({ min: 0, max: MAX_YUAN_FEN });

  it('payout never exceeds self-paid cost, and the cap always holds', () => {
    fc.assert(
      fc.property(fc.constantFrom(...categories), fen, fen, fen, (category, a, b, used) => {
        const [reimbursedFen, totalCostFen] = a <= b ? [a, b] : [b, a];
        const r = compensate({ rule: rule(category), totalCostFen, reimbursedFen, capUsedFen: used });
        expect(Number.isSafeInteger(r.payoutFen)).toBe(true);
        expect(r.payoutFen).toBeGreaterThanOrEqual(0);
        expect(r.payoutFen).toBeLessThanOrEqual(r.selfPaidFen);
        expect(r.payoutFen).toBeLessThanOrEqual(Math.max(0, r.capFen - used));
      }),
    );
  });

  it('payout never decreases as cost rises', () => {
    fc.assert(
      fc.property(fc.constantFrom(...categories), fen, fen, (category, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const at = (cost: number) =>
          compensate({ rule: rule(category), totalCostFen: cost, reimbursedFen: 0, capUsedFen: 0 });
        expect(at(high).payoutFen).toBeGreaterThanOrEqual(at(low).payoutFen);
        expect(at(high).grossFen).toBeGreaterThanOrEqual(at(low).grossFen);
      }),
    );
  });

  it('bands sum to the gross, and band bases sum to the self-paid cost above the threshold', () => {
    fc.assert(
      fc.property(fc.constantFrom('education', 'medical'), fen, (category, cost) => {
        const r = rule(category);
        const bands = bandPayouts(r, cost);
        const result = compensate({ rule: r, totalCostFen: cost, reimbursedFen: 0, capUsedFen: 0 });
        expect(bands.reduce((s, b) => s + b.payoutFen, 0)).toBe(result.grossFen);
        expect(bands.reduce((s, b) => s + b.baseFen, 0)).toBe(Math.max(0, cost - result.thresholdFen));
      }),
    );
  });

  it('every built-in policy validates', () => {
    expect(builtInPolicies.length).toBeGreaterThan(0);
  });
});

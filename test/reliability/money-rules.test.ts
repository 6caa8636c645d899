// Edges of the money rules that the unit tests leave open: amount parsing limits and messages,
// rate validation, band boundaries, fixed grants, the cap flag, quotes, and eligibility's
// boundary days. Stryker (npm run verify, check 10) runs these with test/unit.
import { renderMessage } from '#shared/messages/render.ts';
import { describe, expect, it } from 'vitest';
import { applyRateBp, assertFen, parseYuan, yuanToFen } from '#shared/money.ts';
import { bandPayouts, compensate, quote, thresholdOf } from '#shared/compensation.ts';
import { assessClaim, type AssessmentInput } from '#shared/eligibility.ts';
import { builtInPolicies, type Policy } from '#shared/policy.ts';
import type { RosterPeriod } from '#shared/roster.ts';

const policy = builtInPolicies[0] as Policy;
const rule = (c: 'education' | 'medical' | 'disaster' | 'industry') => {
  const r = policy.categories[c];
  if (!r) throw new Error(`demo policy lacks ${c}`);
  return r;
};

describe('parseYuan limits and messages', () => {
  it('names the kind of a non-string amount, never its value', () => {
    const message = (v: unknown) => {
      const r = parseYuan(v);
      return r.ok ? 'ok' : r.error;
    };
    expect(message(15000)).toBe('amount must be a string of yuan such as "22700.50", not a number');
    expect(message(null)).toBe('amount must be a string of yuan such as "22700.50", not null');
    expect(message(['1'])).toBe('amount must be a string of yuan such as "22700.50", not a list');
    expect(message({ yuan: '1' })).toBe('amount must be a string of yuan such as "22700.50", not an object');
    expect(message(true)).toBe('amount must be a string of yuan such as "22700.50", not a boolean');
    expect(message(undefined)).toBe('amount must be a string of yuan such as "22700.50", not undefined');
  });

  it('twenty characters is long but parsed; twenty-one is too long', () => {
    expect(parseYuan('12345678901234567890')).toEqual({
      ok: false,
      code: 'AMOUNT_TOO_LARGE',
      error: 'amount is above 10,000,000 yuan',
    });
    expect(parseYuan('123456789012345678901')).toMatchObject({ ok: false, error: 'amount is too long' });
    expect(parseYuan('10000000.00')).toEqual({ ok: true, fen: 1_000_000_000 });
  });

  it('calls only a plain number with three or more decimals "more than two decimals"', () => {
    expect(parseYuan('1.234')).toEqual({
      ok: false,
      code: 'AMOUNT_DECIMALS',
      error: 'amount has more than two decimals (fen is the smallest unit)',
    });
    for (const text of [' 1.234', 'x1.234', '1.234x', '1.234 '])
      expect(parseYuan(text)).toMatchObject({
        ok: false,
        error: 'amount is not a yuan amount such as "22700" or "22700.50"',
      });
  });

  it('yuanToFen throws on what parseYuan refuses', () => {
    expect(yuanToFen('22700.5')).toBe(2_270_050);
    expect(() => yuanToFen('1e5')).toThrow(new RangeError('amount uses an exponent; write it out in yuan'));
  });

  it('assertFen names what it checked', () => {
    expect(() => assertFen(-1)).toThrow(
      new RangeError('amount must be a non-negative integer number of fen'),
    );
    expect(() => assertFen(1.5, 'total cost')).toThrow(
      new RangeError('total cost must be a non-negative integer number of fen'),
    );
    expect(() => assertFen(0)).not.toThrow();
  });

  it('rates are whole basis points from 0 to 10000', () => {
    expect(applyRateBp(100_001, 10_000)).toBe(100_001);
    expect(applyRateBp(100_001, 0)).toBe(0);
    for (const bp of [-1, 10_001, 1.5, Number.NaN])
      expect(() => applyRateBp(100, bp)).toThrow(new RangeError('rate must be 0..10000 bp'));
  });
});

describe('bands and grants', () => {
  it('a self-paid cost exactly at a band start does not open that band', () => {
    expect(bandPayouts(rule('education'), 1_500_000)).toEqual([
      { fromFen: 800_000, toFen: 1_500_000, rateBp: 5000, baseFen: 700_000, payoutFen: 350_000 },
    ]);
    expect(bandPayouts(rule('education'), 800_000)).toEqual([]);
  });

  it('a fixed grant band runs to the next grant tier, the top one is open-ended', () => {
    expect(bandPayouts(rule('disaster'), 2_000_000)).toEqual([
      { fromFen: 1_000_000, toFen: 3_000_000, rateBp: null, baseFen: 2_000_000, payoutFen: 300_000 },
    ]);
    expect(bandPayouts(rule('disaster'), 3_000_000)).toEqual([
      { fromFen: 3_000_000, toFen: null, rateBp: null, baseFen: 3_000_000, payoutFen: 500_000 },
    ]);
  });

  it('the threshold is the first band start or the smallest loss, and 0 for an empty rule', () => {
    expect(thresholdOf(rule('education'))).toBe(800_000);
    expect(thresholdOf(rule('industry'))).toBe(1_000_000);
    expect(thresholdOf({ ...rule('disaster'), grants: [] } as never)).toBe(0);
    expect(thresholdOf({ ...rule('medical'), bands: [] } as never)).toBe(0);
  });

  it('names the amount that is wrong', () => {
    const base = { rule: rule('education'), totalCostFen: 1, reimbursedFen: 0, capUsedFen: 0 };
    expect(() => compensate({ ...base, totalCostFen: -1 })).toThrow('total cost must be');
    expect(() => compensate({ ...base, reimbursedFen: -1 })).toThrow('reimbursed amount must be');
    expect(() => compensate({ ...base, capUsedFen: -1 })).toThrow('cap used must be');
    expect(() => bandPayouts(rule('education'), -1)).toThrow('self-paid cost must be');
    expect(() => compensate({ ...base, totalCostFen: 100, reimbursedFen: 101 })).toThrow(
      new RangeError('reimbursed amount exceeds the total cost'),
    );
    expect(compensate({ ...base, totalCostFen: 100, reimbursedFen: 100 }).selfPaidFen).toBe(0);
  });

  it('is cap-limited only when the cap cuts the payout', () => {
    const at = (capUsedFen: number) =>
      compensate({ rule: rule('education'), totalCostFen: 1_500_000, reimbursedFen: 0, capUsedFen });
    expect(at(1_650_000)).toMatchObject({ payoutFen: 350_000, capLimited: false });
    expect(at(1_650_001)).toMatchObject({ payoutFen: 349_999, capLimited: true });
  });

  it('quotes refuse what the policy does not cover and impossible reimbursements', () => {
    const partial = { ...policy, categories: { education: policy.categories.education } } as Policy;
    expect(quote(partial, 'industry', 2_000_000, 0)).toEqual({
      ok: false,
      error: 'policy demo-fangpin v1 does not cover industry',
    });
    expect(quote(policy, 'education', 100, 101)).toEqual({
      ok: false,
      error: 'reimbursed amount is more than the total cost',
    });
    const ok = quote(policy, 'education', 100, 100);
    expect(ok.ok).toBe(true);
  });
});

describe('eligibility boundaries', () => {
  const period = (over: Partial<RosterPeriod> = {}): RosterPeriod =>
    ({
      householdId: 'HH-1',
      region: 'demo',
      village: '红星村',
      headName: '测试',
      idNumber: '430381196007101077',
      members: 3,
      status: 'unstable',
      statusFrom: '2024-01-01',
      gridWorker: 'worker1',
      bankAccount: '6230900000000000001',
      annualIncomeFen: 800_000,
      ...over,
    }) as RosterPeriod;
  const input = (over: Partial<AssessmentInput> & { expenseDate?: string } = {}): AssessmentInput => ({
    claim: {
      householdId: 'HH-1',
      category: 'education',
      expenseDate: over.expenseDate ?? '2026-09-01',
      totalCostFen: 1_500_000,
      reimbursedFen: 0,
    },
    filedDate: '2026-09-05',
    periods: [period()],
    capUsedFen: () => 0,
    ...over,
  });

  it('an expense on the filing day is not in the future', () => {
    expect(assessClaim(input({ expenseDate: '2026-09-05' })).ok).toBe(true);
    expect(assessClaim(input({ expenseDate: '2026-09-06' }))).toMatchObject({
      ok: false,
      reason: 'EXPENSE_IN_FUTURE',
    });
  });

  it('says whether the household was never on the roster or not yet', () => {
    expect(assessClaim(input({ periods: [] }))).toEqual({
      ok: false,
      reason: 'NOT_ON_ROSTER',
      detail: { code: 'NOT_ON_ROSTER_AT_ALL', params: { householdId: 'HH-1' } },
    });
    expect(assessClaim(input({ periods: [period({ statusFrom: '2026-09-02' })] }))).toEqual({
      ok: false,
      reason: 'NOT_ON_ROSTER',
      detail: { code: 'NOT_YET_ON_ROSTER', params: { householdId: 'HH-1', expenseDate: '2026-09-01' } },
    });
  });

  it('explains a removed status by its code, which people read in their language', () => {
    const r = assessClaim(input({ periods: [period({ status: 'removed' })] }));
    expect(r).toMatchObject({ ok: false, reason: 'NOT_COVERED' });
    if (!r.ok) {
      expect(r.detail).toEqual({
        code: 'STATUS_NOT_COVERED',
        params: { expenseDate: '2026-09-01', status: 'removed' },
      });
      expect(renderMessage(r.detail, 'zh')).toBe(
        '2026-09-01 时该户状态为“风险已消除（不在保障范围）”，政策不保障',
      );
    }
  });

  it('a bill below the threshold that may repeat another is rejected and not counted again', () => {
    const fund = builtInPolicies.find((p) => p.policyId === 'demo-fund')!;
    const below = (extra: AssessmentInput['extraAnomalies']) =>
      assessClaim({
        ...input({ periods: [period({ region: 'demo-fund' })] }),
        claim: {
          householdId: 'HH-1',
          category: 'medical',
          expenseDate: '2026-09-01',
          totalCostFen: 300_000,
          reimbursedFen: 0,
        },
        countedFen: () => 300_000,
        policies: [fund],
        ...(extra ? { extraAnomalies: extra } : {}),
      });
    // Counted as any expense below the threshold...
    expect(below(undefined)).toMatchObject({ reason: 'BELOW_THRESHOLD', counts: { afterFen: 600_000 } });
    // ...but never a second time when it may be the same bill as another claim or record.
    const repeat = below([{ code: 'POSSIBLE_DUPLICATE', params: { by: 'feed', recordKey: 'medical:M1' } }]);
    expect(repeat).toMatchObject({
      ok: false,
      reason: 'BELOW_THRESHOLD',
      detail: { code: 'BELOW_THRESHOLD_NOT_COUNTED_REPEAT' },
    });
    expect(repeat).not.toHaveProperty('counts');
  });

  it('day 180 is in time, day 181 is too late', () => {
    const filed = (d: string) => assessClaim({ ...input({ expenseDate: '2026-03-01' }), filedDate: d });
    expect(filed('2026-08-28').ok).toBe(true);
    expect(filed('2026-08-29')).toEqual(
      expect.objectContaining({
        ok: false,
        reason: 'FILED_TOO_LATE',
        detail: { code: 'FILED_LATE', params: { days: 181, limitDays: 180 } },
      }),
    );
  });

  it('a category the policy in force does not cover is NOT_COVERED', () => {
    const partial = { ...policy, categories: { medical: policy.categories.medical } } as Policy;
    expect(assessClaim(input({ policies: [partial] }))).toEqual(
      expect.objectContaining({
        ok: false,
        reason: 'NOT_COVERED',
        detail: { code: 'CATEGORY_NOT_COVERED', params: { policyId: 'demo-fangpin', category: 'education' } },
      }),
    );
  });

  it('a used-up cap is CAP_EXHAUSTED, with the cap named', () => {
    expect(assessClaim(input({ capUsedFen: () => 2_000_000 }))).toEqual(
      expect.objectContaining({
        ok: false,
        reason: 'CAP_EXHAUSTED',
        detail: { code: 'CAP_USED_UP', params: { capYear: 2026, category: 'education', capFen: 2_000_000 } },
      }),
    );
  });
});

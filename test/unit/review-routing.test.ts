import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { categories } from '#shared/vocabulary.ts';
import { parsePolicy, type Category, type Policy, type PolicyDocument } from '#shared/policy.ts';
import {
  checkGateDecision,
  gateRole,
  nextGate,
  reviewExpected,
  routeForReview,
  type RoutingInput,
} from '#shared/review-routing.ts';
import demo from '#shared/data/policies/demo-v1.json' with { type: 'json' };

const demoPolicy = parsePolicy(demo);
const all = ['village', 'department', 'audit'];

function input(
  claim: Partial<RoutingInput['claim']>,
  payoutFen: number,
  policy: Policy = demoPolicy,
  statusFrom = '2024-01-01',
): RoutingInput {
  return {
    policy,
    claim: {
      category: 'education',
      expenseDate: '2026-09-01',
      totalCostFen: 1_500_000,
      reimbursedFen: 0,
      ...claim,
    },
    period: { statusFrom },
    payoutFen,
  };
}

describe('routing under the demo policy', () => {
  const cases: [string, RoutingInput, string[], string[]][] = [
    ['a small education payout is automatic', input({}, 350_000), [], []],
    ['exactly 5,000 yuan is still automatic', input({}, 500_000), [], []],
    ['5,000.01 yuan goes to the three gates', input({}, 500_001), all, ['PAYOUT_ABOVE']],
    ['every disaster claim is reviewed', input({ category: 'disaster' }, 300_000), all, ['CATEGORY_ALWAYS']],
    [
      'a medical claim with nothing reimbursed is an anomaly',
      input({ category: 'medical', totalCostFen: 2_000_000 }, 500_000),
      all,
      ['NOT_REIMBURSED'],
    ],
    [
      'a medical claim with something reimbursed is not',
      input({ category: 'medical', totalCostFen: 2_000_000, reimbursedFen: 100 }, 499_950),
      [],
      [],
    ],
    [
      'a total cost above 200,000 yuan is an anomaly',
      input({ totalCostFen: 20_000_001 }, 500_000),
      all,
      ['TOTAL_COST_ABOVE'],
    ],
    [
      'a roster status changed 10 days before the expense is an anomaly',
      input({}, 350_000, demoPolicy, '2026-08-22'),
      all,
      ['STATUS_CHANGED_RECENTLY'],
    ],
    [
      'several routes: one set of gates, every reason',
      input({ category: 'industry', totalCostFen: 20_000_001 }, 500_001),
      all,
      ['PAYOUT_ABOVE', 'CATEGORY_ALWAYS', 'TOTAL_COST_ABOVE'],
    ],
  ];
  it.each(cases)('%s', (_, routingInput, gates, codes) => {
    const routing = routeForReview(routingInput);
    expect(routing.requiredGates).toEqual(gates);
    expect(routing.review).toBe(gates.length > 0);
    expect(routing.reasons.map((r) => r.code)).toEqual(codes);
  });

  it('reasons carry parameters, never sentences', () => {
    const routing = routeForReview(input({ category: 'disaster', totalCostFen: 20_000_001 }, 500_001));
    expect(routing.reasons).toEqual([
      { code: 'PAYOUT_ABOVE', params: { limitFen: 500_000 } },
      { code: 'CATEGORY_ALWAYS', params: { category: 'disaster' } },
      { code: 'TOTAL_COST_ABOVE', params: { limitFen: 20_000_000 } },
    ]);
    expect(routeForReview(input({}, 1, demoPolicy, '2026-08-22')).anomalies).toEqual([
      { code: 'STATUS_CHANGED_RECENTLY', params: { days: 10 } },
    ]);
  });

  it('an anomaly found outside the claim (a possible duplicate) is reviewed at every gate', () => {
    const routing = routeForReview({
      ...input({}, 350_000),
      extraAnomalies: [{ code: 'POSSIBLE_DUPLICATE', params: { claimId: 'C-1', by: 'image' } }],
    });
    expect(routing.requiredGates).toEqual(all);
    expect(routing.reasons).toEqual([
      { code: 'POSSIBLE_DUPLICATE', params: { claimId: 'C-1', by: 'image' } },
    ]);
  });

  it('a quote says review for the routes it can know in advance', () => {
    expect(reviewExpected(demoPolicy, 'education', 500_001)).toBe(true);
    expect(reviewExpected(demoPolicy, 'education', 500_000)).toBe(false);
    expect(reviewExpected(demoPolicy, 'industry', 1)).toBe(true);
  });

  it('routes for later workflows (data feeds, appeals, objections) do not match a filed receipt', () => {
    const doc = structuredClone(demo) as PolicyDocument;
    doc.review.routes = [
      { reason: 'DATA_FEED', when: { source: 'data-feed' }, gates: ['village'] },
      { reason: 'APPEAL', when: { appeal: true }, gates: ['audit'] },
      { reason: 'OBJECTION', when: { objection: true }, gates: ['department'] },
      { reason: 'PAYOUT_ABOVE', when: { payoutAboveYuan: '0', source: 'receipt' }, gates: ['audit'] },
    ];
    const routing = routeForReview(input({}, 1, parsePolicy(doc)));
    expect(routing.requiredGates).toEqual(['audit']);
    expect(routing.reasons).toEqual([{ code: 'PAYOUT_ABOVE', params: { limitFen: 0 } }]);
  });
});

describe('routing under any policy (property)', () => {
  const pool = ['a', 'b', 'c', 'd', 'e', 'f'];
  type RouteSpec = { above: number | null; cats: Category[] | null; gates: string[] };
  const arbPolicy = fc.shuffledSubarray(pool, { minLength: 1 }).chain((gates) =>
    fc.record({
      gates: fc.constant(gates),
      routes: fc.array(
        fc
          .record({
            above: fc.option(fc.integer({ min: 0, max: 50_000 }), { nil: null }),
            cats: fc.option(fc.subarray([...categories], { minLength: 1 }), { nil: null }),
            gates: fc.subarray(gates, { minLength: 1 }),
          })
          .filter((r) => r.above !== null || r.cats !== null),
        { maxLength: 5 },
      ),
    }),
  );

  function policyOf(gates: string[], routes: RouteSpec[]): Policy {
    const doc = structuredClone(demo) as PolicyDocument;
    doc.review = {
      gates: gates.map((id, i) => ({
        id,
        role: i % 2 === 0 ? 'insurer' : 'auditor',
        label: { zh: id, en: id },
      })),
      routes: routes.map((r) => ({
        reason: r.above !== null ? 'PAYOUT_ABOVE' : 'CATEGORY_ALWAYS',
        when: {
          ...(r.above !== null ? { payoutAboveYuan: String(r.above) } : {}),
          ...(r.cats !== null ? { categories: r.cats } : {}),
        },
        gates: r.gates,
      })),
      // Nothing anomalous: the property is about routes.
      anomaly: {
        totalCostAboveYuan: '10000000',
        statusChangedWithinDays: 0,
        withoutReimbursement: { categories: [] },
      },
    };
    return parsePolicy(doc);
  }

  it('needs the union of the matching routes’ gates, in the policy’s order, and nothing else', () => {
    fc.assert(
      fc.property(
        arbPolicy,
        fc.constantFrom(...categories),
        fc.integer({ min: 0, max: 6_000_000 }),
        ({ gates, routes }, category, payoutFen) => {
          const policy = policyOf(gates, routes);
          const routing = routeForReview(input({ category }, payoutFen, policy));
          const matching = routes.filter(
            (r) =>
              (r.above === null || payoutFen > r.above * 100) &&
              (r.cats === null || r.cats.includes(category)),
          );
          const union = new Set(matching.flatMap((r) => r.gates));
          expect(routing.requiredGates).toEqual(gates.filter((g) => union.has(g)));
          expect(routing.review).toBe(matching.length > 0);
          expect(routing.reasons.length > 0).toBe(matching.length > 0);
          // The claim's review then walks exactly those gates, in that order.
          const walked: string[] = [];
          const claim = { requiredGates: routing.requiredGates, gates: {} as Record<string, { by: string }> };
          for (let g = nextGate(policy, claim); g !== undefined; g = nextGate(policy, claim)) {
            walked.push(g);
            claim.gates[g] = { by: `person-${walked.length}` };
          }
          expect(walked).toEqual(routing.requiredGates);
        },
      ),
    );
  });
});

describe('gates of a claim', () => {
  const fourth = (() => {
    const doc = structuredClone(demo) as PolicyDocument;
    doc.review.gates.push({ id: 'extra', role: 'insurer', label: { zh: '加一关', en: 'Extra' } });
    return parsePolicy(doc);
  })();

  it('the role of a gate comes from the policy', () => {
    expect(gateRole(demoPolicy, 'village')).toBe('villageVerifier');
    expect(gateRole(fourth, 'extra')).toBe('insurer');
    expect(gateRole(demoPolicy, 'extra')).toBeUndefined();
  });

  it('next is the first required gate without a decision; records without required gates need them all', () => {
    expect(nextGate(fourth, { requiredGates: ['village', 'audit'], gates: {} })).toBe('village');
    expect(nextGate(fourth, { requiredGates: ['village', 'audit'], gates: { village: {} } })).toBe('audit');
    expect(nextGate(fourth, { requiredGates: ['village', 'audit'], gates: { village: {}, audit: {} } })).toBe(
      undefined,
    );
    expect(nextGate(fourth, { gates: { village: {}, department: {}, audit: {} } })).toBe('extra');
  });

  const claim = (gates: Record<string, { by: string }>, requiredGates?: string[]) => ({
    gates,
    ...(requiredGates ? { requiredGates } : {}),
  });
  const table: [string, ReturnType<typeof claim>, string, string, boolean | RegExp][] = [
    ['the first gate', claim({}), 'village', 'village1', true],
    ['out of order', claim({}), 'department', 'insurer1', /village gate must be decided first/],
    ['twice', claim({ village: { by: 'village1' } }), 'village', 'village2', /already decided/],
    [
      'by someone who decided another gate',
      claim({ village: { by: 'x' } }),
      'department',
      'x',
      /another person/,
    ],
    ['a gate this claim does not need', claim({}, ['village']), 'audit', 'auditor1', /no audit gate/],
    [
      'all decided',
      claim({ village: { by: 'a' }, department: { by: 'b' }, audit: { by: 'c' } }),
      'audit',
      'd',
      /already decided/,
    ],
    ['by the filer', claim({}), 'village', 'worker1', /filed this claim/],
    ['by the grid worker', claim({}), 'village', 'worker2', /grid worker/],
  ];
  it.each(table)('a decision %s', (_, c, gate, user, expected) => {
    const check = checkGateDecision(demoPolicy, c, gate, user, {
      filer: 'worker1',
      gridWorkers: ['worker2'],
    });
    if (expected === true) expect(check).toEqual({ ok: true });
    else expect(check.ok ? 'ok' : check.error).toMatch(expected as RegExp);
  });
});

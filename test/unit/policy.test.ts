import { describe, expect, it } from 'vitest';
import { parsePolicy, policyInForce, findPolicy, type PolicyDocument } from '#shared/policy.ts';
import demo from '#shared/data/policies/demo-v1.json' with { type: 'json' };

const clone = (): PolicyDocument => structuredClone(demo) as PolicyDocument;

describe('demo policy', () => {
  it('loads with amounts in fen', () => {
    const p = parsePolicy(demo);
    expect(p.categories.education).toMatchObject({
      kind: 'tiered',
      annualCapFen: 2_000_000,
      bands: [
        { fromFen: 800_000, toFen: 1_500_000, rateBp: 5000 },
        { fromFen: 1_500_000, toFen: 2_500_000, rateBp: 6000 },
        { fromFen: 2_500_000, toFen: null, rateBp: 7000 },
      ],
    });
    expect(p.categories.disaster).toMatchObject({
      kind: 'fixed',
      annualCapFen: 500_000,
      grants: [
        { minLossFen: 1_000_000, grantFen: 300_000 },
        { minLossFen: 3_000_000, grantFen: 500_000 },
      ],
    });
    expect(p.review.routes[0]).toEqual({
      reason: 'PAYOUT_ABOVE',
      when: { payoutAboveFen: 500_000 },
      gates: ['village', 'department', 'audit'],
    });
    expect(p.review.anomaly).toEqual({
      totalCostAboveFen: 20_000_000,
      statusChangedWithinDays: 30,
      withoutReimbursement: { categories: ['medical'] },
    });
    expect(p.filingDeadlineDays).toBe(180);
  });

  it('has the three gates, each with its role and labels, in order', () => {
    const p = parsePolicy(demo);
    expect(p.review.gates.map((g) => [g.id, g.role])).toEqual([
      ['village', 'villageVerifier'],
      ['department', 'insurer'],
      ['audit', 'auditor'],
    ]);
    for (const gate of p.review.gates) expect(gate.label.zh.length).toBeGreaterThan(0);
  });

  it('is in force from 2026-01-01 and not before', () => {
    expect(policyInForce('demo', '2025-12-31')).toBeUndefined();
    expect(policyInForce('demo', '2026-01-01')?.version).toBe(1);
    expect(policyInForce('demo', '2030-06-30')?.version).toBe(1);
    expect(policyInForce('elsewhere', '2026-06-30')).toBeUndefined();
    expect(findPolicy('demo-fangpin', 1)?.region).toBe('demo');
  });

  it('a newer version replaces the old one from its start date', () => {
    const v1 = parsePolicy({ ...clone(), effectiveTo: '2027-01-01' });
    const v2 = parsePolicy({ ...clone(), version: 2, effectiveFrom: '2027-01-01' });
    expect(policyInForce('demo', '2026-12-31', [v1, v2])?.version).toBe(1);
    expect(policyInForce('demo', '2027-01-01', [v1, v2])?.version).toBe(2);
  });
});

describe('policy validation', () => {
  const broken: [string, (doc: PolicyDocument & Record<string, unknown>) => void, RegExp][] = [
    ['unknown top-level field', (d) => (d.extra = 1), /unrecognized|Unrecognized/],
    [
      'three-decimal amount',
      (d) => {
        if (d.review.routes[0]) d.review.routes[0].when.payoutAboveYuan = '5000.001';
      },
      /two decimals/,
    ],
    [
      'a gate listed twice',
      (d) => {
        const first = d.review.gates[0];
        if (first) d.review.gates.push({ ...first });
      },
      /listed twice/,
    ],
    [
      'a route naming a gate the policy lacks',
      (d) => {
        if (d.review.routes[0]) d.review.routes[0].gates.push('no-such-gate');
      },
      /does not define/,
    ],
    [
      'a gate decided by no known role',
      (d) => {
        if (d.review.gates[0]) (d.review.gates[0] as { role: string }).role = 'mayor';
      },
      /./,
    ],
    [
      'a gate id that is not a slug',
      (d) => {
        if (d.review.gates[0]) d.review.gates[0].id = 'Village Gate';
      },
      /gate id/,
    ],
    [
      'a route without conditions',
      (d) => {
        if (d.review.routes[0]) d.review.routes[0].when = {};
      },
      /at least one condition/,
    ],
    [
      'a route with an unknown reason',
      (d) => {
        if (d.review.routes[0]) (d.review.routes[0] as { reason: string }).reason = 'BECAUSE';
      },
      /./,
    ],
    [
      'gap between bands',
      (d) => {
        const edu = d.categories.education;
        if (edu?.kind === 'tiered' && edu.bands[1]) edu.bands[1].fromYuan = '16000';
      },
      /contiguous/,
    ],
    [
      'closed top band',
      (d) => {
        const edu = d.categories.education;
        if (edu?.kind === 'tiered' && edu.bands[2]) edu.bands[2].toYuan = '90000';
      },
      /open-ended/,
    ],
    [
      'rate above 100%',
      (d) => {
        const edu = d.categories.education;
        if (edu?.kind === 'tiered' && edu.bands[0]) edu.bands[0].rateBp = 10_001;
      },
      /./,
    ],
    [
      'grant tiers falling',
      (d) => {
        const dis = d.categories.disaster;
        if (dis?.kind === 'fixed' && dis.grants[1]) dis.grants[1].grantYuan = '1000';
      },
      /rise/,
    ],
    ['impossible date', (d) => (d.effectiveFrom = '2026-02-30'), /real date/],
    ['end before start', (d) => (d.effectiveTo = '2025-01-01'), /after effectiveFrom/],
  ];
  it.each(broken)('rejects %s', (_, mutate, message) => {
    const doc = clone() as PolicyDocument & Record<string, unknown>;
    mutate(doc);
    expect(() => parsePolicy(doc)).toThrow(message);
  });
});

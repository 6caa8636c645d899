// Review gates are policy data: the local stack, started with a policy that adds a fourth gate
// for large payouts, runs it end to end with no code change (the gate's id appears in no
// production file, only in the fixture).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, uploadClaim, settled, type TestStack } from '#cli/local/scratch-stack.ts';
import { parsePolicy } from '#shared/policy.ts';
import fourGates from '#test/fixtures/policies/four-gates.json' with { type: 'json' };

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack({ policies: [parsePolicy(fourGates)] });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

async function until(claimId: string, state: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const claim = await stack.deps.claims.get(claimId);
    if (claim?.state === state || Date.now() > deadline) return claim;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function decide(user: string, claimId: string, gate: string) {
  const api = await stack.as(user);
  return api('POST', `/claims/${claimId}/reviews`, { gate, decision: 'approve' });
}

describe('a policy with a fourth gate', () => {
  it('a 30,400-yuan payout passes village, department, audit and county, by four people, and is PAID', async () => {
    // Medical, self-paid 62,000: 10,000 + 12,000 + 8,400 = 30,400 yuan.
    const { claimId } = await uploadClaim(stack, {
      category: 'medical',
      totalCost: '63000',
      reimbursed: '1000',
      householdId: 'HH-0002',
    });
    const routed = await settled(stack, claimId);
    expect(routed).toMatchObject({
      state: 'PENDING_REVIEW',
      payoutFen: 3_040_000,
      requiredGates: ['village', 'department', 'audit', 'county'],
    });
    expect(routed.reviewReasons).toEqual(
      expect.arrayContaining([
        { code: 'PAYOUT_ABOVE', params: { limitFen: 500_000 } },
        { code: 'PAYOUT_ABOVE', params: { limitFen: 2_000_000 } },
      ]),
    );
    const admin = await stack.as('admin1');
    const view = await admin('GET', `/claims/${claimId}`);
    expect(view.body).toMatchObject({
      requiredGates: ['village', 'department', 'audit', 'county'],
      nextGate: 'village',
    });

    expect((await decide('village1', claimId, 'village')).status).toBe(200);
    expect((await decide('insurer1', claimId, 'department')).status).toBe(200);
    expect((await decide('auditor1', claimId, 'audit')).status).toBe(200);
    // Four-eyes: the county gate is an insurer's, but not the insurer who decided department.
    const twice = await decide('insurer1', claimId, 'county');
    expect([twice.status, twice.body.error.code]).toEqual([409, 'GATE_REFUSED']);
    expect((await admin('GET', `/claims/${claimId}`)).body.nextGate).toBe('county');
    expect((await decide('auditor2', claimId, 'county')).status).toBe(403);
    expect((await decide('insurer2', claimId, 'county')).status).toBe(200);

    expect(await until(claimId, 'PAID')).toMatchObject({ state: 'PAID', payoutFen: 3_040_000 });
    expect((await stack.deps.claims.ledgerEntry(claimId))?.payoutFen).toBe(3_040_000);
    const history = await stack.deps.claims.history(claimId);
    expect(history.map((h) => `${h.from ?? '-'}>${h.to}`)).toEqual([
      '->RECEIVED',
      'RECEIVED>PENDING_REVIEW',
      'PENDING_REVIEW>PENDING_REVIEW',
      'PENDING_REVIEW>PENDING_REVIEW',
      'PENDING_REVIEW>PENDING_REVIEW',
      'PENDING_REVIEW>APPROVED',
      'APPROVED>PAID',
    ]);
  }, 60_000);

  it('a 6,000-yuan payout needs only the usual three gates', async () => {
    // Medical, self-paid 22,000: 50% of the 12,000 above 10,000.
    const { claimId } = await uploadClaim(stack, {
      category: 'medical',
      totalCost: '23000',
      reimbursed: '1000',
      householdId: 'HH-0003',
    });
    expect(await settled(stack, claimId)).toMatchObject({
      state: 'PENDING_REVIEW',
      payoutFen: 600_000,
      requiredGates: ['village', 'department', 'audit'],
    });
    expect((await decide('village1', claimId, 'village')).status).toBe(200);
    expect((await decide('insurer1', claimId, 'department')).status).toBe(200);
    // A gate the policy has but this claim does not need is refused, clearly.
    const county = await decide('insurer2', claimId, 'county');
    expect([county.status, county.body.error.code]).toEqual([400, 'UNKNOWN_GATE']);
    expect((await decide('auditor1', claimId, 'audit')).status).toBe(200);
    expect(await until(claimId, 'PAID')).toMatchObject({ state: 'PAID', payoutFen: 600_000 });
  }, 60_000);
});

// A relief fund's year on the local stack, policy demo-fund: annual accumulation (two medical
// bills of one household cross the threshold together), the public notice run on the local clock,
// and the fund drawn by each payout, with a claim that waits when the fund runs short.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, uploadClaim, recentDate, type TestStack } from '#cli/local/scratch-stack.ts';
import { builtInPolicies, parsePolicy } from '#shared/policy.ts';
import demoFund from '#shared/data/policies/demo-fund-v1.json' with { type: 'json' };

let stack: TestStack & { stop(): Promise<void> };

// The demo-fund policy with a fund of 4,000 yuan: one 3,000 payout fits, a second one waits.
const smallFund = parsePolicy({ ...demoFund, fund: { initialYuan: '4000' } });
const demo = builtInPolicies.filter((p) => p.region === 'demo');

beforeAll(async () => {
  stack = await startLocalStack({ policies: [...demo, smallFund] });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

async function until(claimId: string, states: readonly string[], timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const claim = await stack.deps.claims.get(claimId);
    if ((claim && states.includes(claim.state)) || Date.now() > deadline) return claim;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function advanceDays(days: number) {
  const response = await fetch(`${stack.apiUrl}/local/clock/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ days }),
  });
  expect(response.status).toBe(200);
}

const medical = (householdId: string, totalCost: string, submittedBy = 'worker1') =>
  uploadClaim(stack, {
    householdId,
    submittedBy,
    category: 'medical',
    totalCost,
    // Insurance paid 3,000 of each bill: a medical claim with nothing reimbursed goes to review.
    reimbursed: '3000',
    expenseDate: recentDate(10),
  });

describe('demo-fund: accumulation, notice and the fund', () => {
  it('9,000 then 7,000 self-paid: the first pays 0 and counts, the second pays 3,000.00 after its notice', async () => {
    const first = await medical('HH-F001', '12000');
    const refused = await until(first.claimId, ['REJECTED', 'NOTICE', 'PENDING_REVIEW']);
    expect(refused).toMatchObject({
      state: 'REJECTED',
      reason: 'BELOW_THRESHOLD',
      accumulated: { beforeFen: 0, afterFen: 900_000 },
    });
    expect(refused?.detail).toMatchObject({ code: 'ANNUAL_TOTAL_BELOW_THRESHOLD' });

    const second = await medical('HH-F001', '10000');
    const posted = await until(second.claimId, ['NOTICE', 'REJECTED', 'PAID', 'PENDING_REVIEW']);
    expect(posted).toMatchObject({ state: 'NOTICE', payoutFen: 300_000 });
    const endsIn = Date.parse(posted?.noticeEndsAt ?? '') - stack.clock.now().getTime();
    expect(endsIn).toBeGreaterThan(4.9 * 86_400_000);
    expect(endsIn).toBeLessThanOrEqual(5 * 86_400_000);
    const funds = stack.deps.funds;
    expect((await funds.fund('demo-fund', 400_000)).balanceFen).toBe(400_000);

    // Nothing is paid before the notice ends; six days later it is.
    await new Promise((r) => setTimeout(r, 300));
    expect((await stack.deps.claims.get(second.claimId))?.state).toBe('NOTICE');
    await advanceDays(6);
    const paid = await until(second.claimId, ['PAID']);
    expect(paid).toMatchObject({
      state: 'PAID',
      payoutFen: 300_000,
      accumulated: { beforeFen: 900_000, afterFen: 1_600_000 },
    });
    expect(paid?.noticeEndsAt).toBeUndefined();
    expect(await stack.deps.claims.ledgerEntry(second.claimId)).toMatchObject({ payoutFen: 300_000 });
    const fund = await funds.fund('demo-fund', 400_000);
    expect(fund).toMatchObject({ balanceFen: 100_000, paidFen: 300_000, waiting: 0 });
    const history = await stack.deps.claims.history(second.claimId);
    expect(history.map((e) => e.to)).toEqual(['RECEIVED', 'APPROVED', 'NOTICE', 'PAID']);
  }, 120_000);

  it('a payout the fund cannot cover waits in AWAITING_FUNDS; a top-up pays it, once', async () => {
    // HH-F005 (worker2): self-paid 16,000 in one bill -> 3,000.00, more than the 1,000 left.
    const claim = await medical('HH-F005', '19000', 'worker2');
    expect((await until(claim.claimId, ['NOTICE']))?.state).toBe('NOTICE');
    await advanceDays(6);
    const waiting = await until(claim.claimId, ['AWAITING_FUNDS', 'PAID']);
    expect(waiting).toMatchObject({ state: 'AWAITING_FUNDS', payoutFen: 300_000 });
    expect(await stack.deps.claims.ledgerEntry(claim.claimId)).toBeUndefined();
    expect(await stack.deps.funds.queue('demo-fund', 10)).toEqual([claim.claimId]);
    expect((await stack.deps.funds.fund('demo-fund', 400_000)).waiting).toBe(1);

    const finance = await stack.as('finance1');
    const topUp = await finance('POST', '/funds/demo-fund/topups', { amount: '5000', ref: 'TOPUP-E2E-1' });
    expect(topUp.status).toBe(200);
    expect((await until(claim.claimId, ['PAID']))?.state).toBe('PAID');
    const again = await finance('POST', '/funds/demo-fund/topups', { amount: '5000', ref: 'TOPUP-E2E-1' });
    expect(again.status).toBeLessThan(500);
    const fund = await stack.deps.funds.fund('demo-fund', 400_000);
    // 4,000 + 5,000 (once) - 3,000 - 3,000.
    expect(fund).toMatchObject({ toppedUpFen: 500_000, paidFen: 600_000, balanceFen: 300_000, waiting: 0 });
    expect(await stack.deps.funds.queue('demo-fund', 10)).toEqual([]);
    const history = await stack.deps.claims.history(claim.claimId);
    expect(history.filter((e) => e.to === 'PAID')).toHaveLength(1);
  }, 120_000);
});

// A relief fund end to end on the local stack: a 1,000-yuan fund pays the first claim, the next
// ones wait in AWAITING_FUNDS (a small one behind a large one too), and top-ups pay them oldest
// first, each once; a repeated reference adds nothing. The figures, the history and the CLI read
// the same fund.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, uploadClaim, settled, type TestStack } from '#cli/local/scratch-stack.ts';
import { parsePolicy, type PolicyDocument } from '#shared/policy.ts';
import demoFund from '#shared/data/policies/demo-fund-v1.json' with { type: 'json' };
import { main } from '#cli/claims.ts';

/** The demo fund with 1,000 yuan, paying at once (no notice period) so the test sees the fund alone. */
const smallFund = parsePolicy({
  ...(demoFund as PolicyDocument),
  noticeDays: 0,
  appealDays: 0,
  fund: { initialYuan: '1000' },
});

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack({ policies: [smallFund] });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

/** Education, self-paid cost minus 8,000 at 50%: 9,600 pays 800 yuan. */
async function file(householdId: string, totalCost: string) {
  const { claimId } = await uploadClaim(stack, { householdId, totalCost, category: 'education' });
  return settled(stack, claimId);
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...args, '--api', stack.apiUrl], {
    out: (text) => (out += `${text}\n`),
    err: (text) => (err += `${text}\n`),
  });
  return { code, out, err };
}

describe('a relief fund that runs short', () => {
  it('waiting claims are paid by top-ups, oldest first, each once', async () => {
    const first = await file('HH-F001', '9600'); // 800 yuan: paid, 200 left
    expect(first).toMatchObject({ state: 'PAID', payoutFen: 80_000 });
    const big = await file('HH-F002', '9000'); // 500 yuan: more than the 200 left
    expect(big).toMatchObject({ state: 'AWAITING_FUNDS', payoutFen: 50_000 });
    const small = await file('HH-F003', '8200'); // 100 yuan: the fund could, but it waits behind
    expect(small).toMatchObject({ state: 'AWAITING_FUNDS', payoutFen: 10_000 });

    const finance = await stack.as('finance1');
    const before = await finance('GET', '/funds/demo-fund');
    expect(before).toEqual({
      status: 200,
      body: {
        region: 'demo-fund',
        initialFen: 100_000,
        toppedUpFen: 0,
        paidFen: 80_000,
        balanceFen: 20_000,
        committedFen: 0,
        waiting: 2,
      },
    });

    // 300 yuan: 500 in the fund pays the older, larger claim; the small one still waits behind
    // nothing, but 0 is left.
    const topUp = await finance('POST', '/funds/demo-fund/topups', { amount: '300', ref: '拨款-001' });
    expect(topUp.status).toBe(200);
    expect(topUp.body).toMatchObject({
      applied: true,
      paidNow: { count: 1, fen: 50_000 },
      balanceFen: 0,
      toppedUpFen: 30_000,
      paidFen: 130_000,
      waiting: 1,
    });
    expect(await stack.deps.claims.get(big.claimId)).toMatchObject({ state: 'PAID' });
    expect(await stack.deps.claims.get(small.claimId)).toMatchObject({ state: 'AWAITING_FUNDS' });

    // The same reference again: nothing added, nothing paid, and the answer says so.
    const again = await finance('POST', '/funds/demo-fund/topups', { amount: '300', ref: '拨款-001' });
    expect(again.body).toMatchObject({
      applied: false,
      paidNow: { count: 0, fen: 0 },
      toppedUpFen: 30_000,
      balanceFen: 0,
      topUp: { ref: '拨款-001', amountFen: 30_000, by: 'finance1' },
    });

    // Through the CLI: 100 yuan pays the last waiting claim.
    const cliTopUp = await cli([
      'fund',
      'topup',
      '--region',
      'demo-fund',
      '--amount',
      '100',
      '--ref',
      '拨款-002',
      '--as',
      'finance1',
      '--json',
    ]);
    expect(cliTopUp.err).toBe('');
    expect(JSON.parse(cliTopUp.out)).toMatchObject({ applied: true, paidNow: { count: 1, fen: 10_000 } });
    expect(await stack.deps.claims.get(small.claimId)).toMatchObject({ state: 'PAID' });

    // Paid once each: one ledger entry, one AWAITING_FUNDS -> PAID line, and the fund adds up.
    for (const claim of [big, small]) {
      const history = await stack.deps.claims.history(claim.claimId);
      expect(history.filter((h) => h.to === 'PAID').map((h) => h.from)).toEqual(['AWAITING_FUNDS']);
      expect((await stack.deps.claims.ledgerEntry(claim.claimId))?.payoutFen).toBe(claim.payoutFen);
    }
    const after = await cli(['fund', '--region', 'demo-fund', '--json']);
    expect(JSON.parse(after.out)).toEqual({
      region: 'demo-fund',
      initialFen: 100_000,
      toppedUpFen: 40_000,
      paidFen: 140_000,
      balanceFen: 0,
      committedFen: 0,
      waiting: 0,
    });

    // The history ends at the balance now; paid today at a 0 balance: it has run out today.
    const history = await finance('GET', '/funds/demo-fund/history');
    expect(history.status).toBe(200);
    const today = history.body.today as string;
    expect(history.body.points.at(-1)).toEqual({
      date: today,
      balanceFen: 0,
      paidFen: 140_000,
      toppedUpFen: 40_000,
    });
    expect(history.body.topUps.map((t: { ref: string }) => t.ref)).toEqual(['拨款-001', '拨款-002']);
    expect(history.body.runOut).toEqual({ dailyFen: Math.floor(140_000 / 30), date: today });

    // The sweeper finds nothing left to pay.
    const swept = (await stack.runSchedules()) as Record<string, { drained?: unknown[] }>;
    expect(swept['sweep-claims']?.drained ?? []).toEqual([]);
  }, 90_000);

  it('a region without a fund is a 404, and the grid worker may not look', async () => {
    const finance = await stack.as('finance1');
    const none = await finance('GET', '/funds/demo');
    expect([none.status, none.body.error.code]).toEqual([404, 'NO_FUND']);
    const worker = await stack.as('worker1');
    expect((await worker('GET', '/funds/demo-fund')).status).toBe(403);
  });
});

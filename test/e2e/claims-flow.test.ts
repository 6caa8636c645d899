// End to end against the local stack: the real ASL in the local Step Functions service, the real
// handlers, DynamoDB Local and the S3 emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startLocalStack,
  uploadClaim,
  settled,
  recentDate,
  jpeg,
  type TestStack,
} from '#cli/local/scratch-stack.ts';
import { manifestEvent, assessArn, lambdaContext } from '#cli/local/world.ts';
import { makeHandler as makeRecordPayout } from '#functions/handlers/record-payout.ts';
import { markError } from '#shared/workflow/mark-error.ts';
import { ulid } from 'ulid';

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function ledgerFor(claimId: string) {
  return stack.deps.claims.ledgerEntry(claimId);
}

describe('a receipt goes in, a payout comes out', () => {
  it('automatic approval: 15,000 tuition is PAID 3,500.00 with its history', async () => {
    const { claimId } = await uploadClaim(stack, { totalCost: '15000' });
    const claim = await settled(stack, claimId);
    expect(claim).toMatchObject({ state: 'PAID', payoutFen: 350_000 });
    expect((await ledgerFor(claimId))?.payoutFen).toBe(350_000);
    const history = await stack.deps.claims.history(claimId);
    expect(history.map((h) => `${h.from ?? '-'}>${h.to}`)).toEqual([
      '->RECEIVED',
      'RECEIVED>APPROVED',
      'APPROVED>PAID',
    ]);
  });

  it('the tuition example goes to review and pays 8,120.00 after three gates by three people', async () => {
    const { claimId } = await uploadClaim(stack, { totalCost: '22700', householdId: 'HH-0004' });
    expect((await settled(stack, claimId)).state).toBe('PENDING_REVIEW');
    const village = await stack.as('village1');
    const insurer = await stack.as('insurer1');
    const auditor = await stack.as('auditor1');
    expect(
      (await village('POST', `/claims/${claimId}/reviews`, { gate: 'village', decision: 'approve' })).status,
    ).toBe(200);
    // Four-eyes: the village verifier cannot also decide the department gate.
    const twice = await village('POST', `/claims/${claimId}/reviews`, {
      gate: 'department',
      decision: 'approve',
    });
    expect(twice.status).toBe(403);
    expect(
      (await insurer('POST', `/claims/${claimId}/reviews`, { gate: 'department', decision: 'approve' }))
        .status,
    ).toBe(200);
    const last = await auditor('POST', `/claims/${claimId}/reviews`, {
      gate: 'audit',
      decision: 'approve',
      comment: '核实无误',
    });
    expect(last.status).toBe(200);
    const deadline = Date.now() + 10_000;
    let state = '';
    while (Date.now() < deadline && state !== 'PAID') {
      state = (await stack.deps.claims.get(claimId))?.state ?? '';
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await stack.deps.claims.get(claimId)).toMatchObject({ state: 'PAID', payoutFen: 812_000 });
    expect((await ledgerFor(claimId))?.payoutFen).toBe(812_000);
  });

  it('a review reject ends REVIEW_REJECTED and nothing is paid', async () => {
    const { claimId } = await uploadClaim(stack, {
      category: 'industry',
      totalCost: '20000',
      householdId: 'HH-0006',
    });
    expect((await settled(stack, claimId)).state).toBe('PENDING_REVIEW');
    const village = await stack.as('village1');
    const r = await village('POST', `/claims/${claimId}/reviews`, {
      gate: 'village',
      decision: 'reject',
      comment: '鱼塘未投苗',
    });
    expect(r.status).toBe(200);
    expect(await stack.deps.claims.get(claimId)).toMatchObject({
      state: 'REJECTED',
      reason: 'REVIEW_REJECTED',
    });
    const again = await village('POST', `/claims/${claimId}/reviews`, {
      gate: 'village',
      decision: 'approve',
    });
    expect(again.status).toBe(409);
    expect(await ledgerFor(claimId)).toBeUndefined();
  });
});

describe('each rejection reason', () => {
  const cases: [string, Parameters<typeof uploadClaim>[1], string][] = [
    ['not on the roster', { householdId: 'HH-9999' }, 'NOT_ON_ROSTER'],
    [
      'joined the roster after the expense',
      { householdId: 'HH-0030', expenseDate: '2026-09-01' },
      'NOT_ON_ROSTER',
    ],
    ['status removed on the expense date', { householdId: 'HH-0029' }, 'NOT_COVERED'],
    ['before the policy began', { expenseDate: '2025-12-20' }, 'OUTSIDE_POLICY_PERIOD'],
    ['filed more than 180 days late', { expenseDate: '2026-01-15' }, 'FILED_TOO_LATE'],
    ['expense in the future', { expenseDate: recentDate(-3) }, 'EXPENSE_IN_FUTURE'],
    ['below the threshold', { totalCost: '8000' }, 'BELOW_THRESHOLD'],
    ['exponent amount', { totalCost: '1e5' }, 'INVALID_MANIFEST'],
    ['truncated manifest', { rawManifest: '{"schemaVersion":1,"claimId":' }, 'INVALID_MANIFEST'],
    ['invalid UTF-8', { rawManifest: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }, 'INVALID_MANIFEST'],
    ['not an image', { receipt: new TextEncoder().encode('GIF89a not really') }, 'INVALID_RECEIPT'],
  ];
  it.each(cases)('%s -> %s', async (_, spec, reason) => {
    const { claimId, key } = await uploadClaim(stack, {
      ...spec,
      householdId: spec?.householdId ?? 'HH-0007',
    });
    const claim = await settled(stack, claimId);
    expect(claim).toMatchObject({ state: 'REJECTED', reason });
    expect(claim.detail).toBeTruthy();
    // Nothing the household sent is ever deleted.
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    await expect(
      stack.s3.send(new HeadObjectCommand({ Bucket: 'receipts', Key: key })),
    ).resolves.toBeTruthy();
  });

  it('a claim in ERROR is retried by an admin through the API and runs on to PAID', async () => {
    // The fault struck before the claim record was written: mark-error left a blank one in ERROR,
    // so the manifest's own run stops there.
    const claimId = ulid();
    await markError(stack.deps, { claimId, error: { Error: 'Runtime.ExitError' } });
    await uploadClaim(stack, { claimId, householdId: 'HH-0006', totalCost: '15000' });
    await stack.idle();
    expect((await stack.deps.claims.get(claimId))?.state).toBe('ERROR');
    // The sweeper counts it and leaves it: an ERROR waits for a person.
    const swept = (await stack.runSchedules())['sweep-claims'] as { resumed: number; inError: number };
    expect(swept.inError).toBeGreaterThanOrEqual(1);
    expect((await stack.deps.claims.get(claimId))?.state).toBe('ERROR');
    const worker = await stack.as('worker1');
    expect((await worker('POST', `/claims/${claimId}/retry`)).status).toBe(403);
    const admin = await stack.as('admin1');
    const retried = await admin('POST', `/claims/${claimId}/retry`);
    expect(retried).toMatchObject({
      status: 200,
      body: { claimId, state: 'RECEIVED', retried: true, resumed: 'assessment' },
    });
    // The run is started through the Step Functions API, with the event EventBridge would send.
    expect(await settled(stack, claimId)).toMatchObject({ state: 'PAID', payoutFen: 350_000 });
    expect((await stack.deps.claims.history(claimId)).map((h) => `${h.from ?? '-'}>${h.to}`)).toEqual([
      '->RECEIVED',
      'RECEIVED>ERROR',
      'ERROR>RECEIVED',
      'RECEIVED>APPROVED',
      'APPROVED>PAID',
    ]);
  });

  it('duplicate receipt -> DUPLICATE_RECEIPT naming the earlier claim', async () => {
    const receipt = jpeg('the same tuition receipt');
    const first = await uploadClaim(stack, { receipt, householdId: 'HH-0008' });
    expect((await settled(stack, first.claimId)).state).toBe('PAID');
    const second = await uploadClaim(stack, { receipt, householdId: 'HH-0008' });
    const claim = await settled(stack, second.claimId);
    expect(claim).toMatchObject({ state: 'REJECTED', reason: 'DUPLICATE_RECEIPT' });
    expect(claim.detail).toMatchObject({
      code: 'RECEIPT_ON_OTHER_CLAIM',
      params: { claimId: first.claimId },
    });
  });

  it('cap exhausted -> CAP_EXHAUSTED', async () => {
    // Education cap is 20,000: a 40,000 self-paid claim uses it all (through review).
    const big = await uploadClaim(stack, { householdId: 'HH-0009', totalCost: '40000' });
    expect((await settled(stack, big.claimId)).state).toBe('PENDING_REVIEW');
    for (const [user, gate] of [
      ['village1', 'village'],
      ['insurer1', 'department'],
      ['auditor1', 'audit'],
    ] as const) {
      await (
        await stack.as(user)
      )('POST', `/claims/${big.claimId}/reviews`, { gate, decision: 'approve' });
    }
    await stack.idle();
    await waitFor(async () => (await stack.deps.claims.get(big.claimId))?.state === 'PAID');
    const next = await uploadClaim(stack, { householdId: 'HH-0009', totalCost: '15000' });
    expect(await settled(stack, next.claimId)).toMatchObject({ state: 'REJECTED', reason: 'CAP_EXHAUSTED' });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('at-least-once delivery', () => {
  it('the same manifest event delivered three times gives one payout', async () => {
    const { claimId, key } = await uploadClaim(stack, { householdId: 'HH-0011' });
    const event = manifestEvent(key, 100, new Date());
    for (let i = 0; i < 3; i++)
      stack.stepFunctions.startExecution({ stateMachineArn: assessArn, input: JSON.stringify(event) });
    await stack.idle();
    expect((await settled(stack, claimId)).state).toBe('PAID');
    const history = await stack.deps.claims.history(claimId);
    expect(history.filter((h) => h.to === 'PAID')).toHaveLength(1);
    const used = await stack.deps.claims.capUsed('HH-0011', Number(recentDate().slice(0, 4)), 'education');
    expect(used).toBe(350_000);
  });

  it('the payout step run twice writes one ledger entry', async () => {
    const { claimId } = await uploadClaim(stack, { householdId: 'HH-0012' });
    await settled(stack, claimId);
    const recordPayout = makeRecordPayout(() => stack.deps);
    const ctx = lambdaContext('record-payout', 'test');
    expect(await recordPayout({ claimId }, ctx)).toEqual({ claimId, outcome: 'paid' });
    expect(await recordPayout({ claimId }, ctx)).toEqual({ claimId, outcome: 'paid' });
    const used = await stack.deps.claims.capUsed('HH-0012', Number(recentDate().slice(0, 4)), 'education');
    expect(used).toBe(350_000);
  });

  it('two claims racing for the last of a cap: the total stays within the cap', async () => {
    // Household HH-0013, disaster: cap 5,000, each claim's grant 3,000 (through review).
    const a = await uploadClaim(stack, { householdId: 'HH-0013', category: 'disaster', totalCost: '20000' });
    const b = await uploadClaim(stack, { householdId: 'HH-0013', category: 'disaster', totalCost: '20000' });
    await settled(stack, a.claimId);
    await settled(stack, b.claimId);
    for (const [user, gate] of [
      ['village1', 'village'],
      ['insurer1', 'department'],
      ['auditor1', 'audit'],
    ] as const) {
      const call = await stack.as(user);
      await Promise.all(
        [a, b].map((c) => call('POST', `/claims/${c.claimId}/reviews`, { gate, decision: 'approve' })),
      );
    }
    await waitFor(async () => {
      const states = await Promise.all(
        [a, b].map(async (c) => (await stack.deps.claims.get(c.claimId))?.state),
      );
      return states.every((s) => s === 'PAID' || s === 'REJECTED');
    });
    const paid = (await Promise.all([a, b].map((c) => ledgerFor(c.claimId)))).reduce(
      (s, e) => s + (e?.payoutFen ?? 0),
      0,
    );
    expect(paid).toBe(500_000);
    const used = await stack.deps.claims.capUsed('HH-0013', Number(recentDate().slice(0, 4)), 'disaster');
    expect(used).toBe(500_000);
  });
});

describe('the ledger', () => {
  it('lists a whole year with totals that match the payouts, in paidAt order', async () => {
    const finance = await stack.as('finance1');
    const year = recentDate().slice(0, 4);
    const started = Date.now();
    const r = await finance('GET', `/ledger?from=${year}-01-01&to=${year}-12-31`);
    const elapsed = Date.now() - started;
    expect(r.status).toBe(200);
    const items = r.body.items as { payoutFen: number; paidAt: string }[];
    expect(r.body.count).toBe(items.length);
    expect(r.body.totalFen).toBe(items.reduce((s, e) => s + e.payoutFen, 0));
    expect(items.length).toBeGreaterThan(3);
    expect(items.map((e) => e.paidAt)).toEqual([...items.map((e) => e.paidAt)].sort());
    // Not a timing assertion: printed so a slow index shows up in the log.
    console.info(`ledger year listing: ${items.length} entries in ${elapsed} ms`);
  });
});

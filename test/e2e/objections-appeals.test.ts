// Appeals and objections end to end on the local stack, under the relief fund's policy (30 days
// to appeal, a 5-day public notice, every gate again for either): from the CLI, each runs the
// review workflow again under its own run name, refuses the first round's reviewers and is
// approved by three new people.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, uploadClaim, settled, type TestStack } from '#cli/local/scratch-stack.ts';
import { main } from '#cli/claims.ts';
import type { ClaimRecord } from '#shared/claim.ts';

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

async function until(claimId: string, done: (c: ClaimRecord) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const claim = await stack.deps.claims.get(claimId);
    if (claim && done(claim)) return claim;
    if (Date.now() > deadline) throw new Error(`claim ${claimId} is ${claim?.state ?? 'missing'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function decide(user: string, claimId: string, gate: string, decision: 'approve' | 'reject') {
  // The review run parks its token on the gate before anyone decides it: the run is alive.
  await until(claimId, (c) => c.gateTokens[gate] !== undefined && c.gates[gate] === undefined);
  return (await stack.as(user))('POST', `/claims/${claimId}/reviews`, { gate, decision });
}

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args, '--api', stack.apiUrl, '--json'], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('appeals and objections on the relief fund', () => {
  it('rejected in review, appealed by worker1, approved by the second set of reviewers', async () => {
    // Education, 22,700 yuan: 3,500 + 4,620 = 8,120 yuan, above the 5,000 review line.
    const { claimId } = await uploadClaim(stack, { householdId: 'HH-F001', totalCost: '22700' });
    expect(await settled(stack, claimId)).toMatchObject({
      state: 'PENDING_REVIEW',
      requiredGates: ['village', 'department', 'audit'],
    });
    expect((await decide('village1', claimId, 'village', 'reject')).status).toBe(200);
    await until(claimId, (c) => c.state === 'REJECTED');

    const worker1 = await stack.as('worker1');
    const view = await worker1('GET', `/claims/${claimId}`);
    expect(view.body).toMatchObject({ state: 'REJECTED', reason: 'REVIEW_REJECTED' });
    expect(view.body.appealUntil).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    // Another worker's household: refused, in words from the catalog.
    const foreign = await cli('appeal', claimId, '--text', '请求复核', '--as', 'worker2');
    expect([foreign.code, foreign.err]).toEqual([
      1,
      'claims appeal: NOT_YOUR_HOUSEHOLD: 这户不是分配给您的农户',
    ]);
    const appealed = await cli('appeal', claimId, '--text', '孩子学费确实困难，请求复核', '--as', 'worker1');
    expect(appealed.code).toBe(0);
    expect(JSON.parse(appealed.out)).toEqual({
      claimId,
      state: 'APPEALED',
      nextGate: 'village',
      reviewStarted: true,
    });

    // The first round's reviewer decides nothing of the appeal.
    const again = await decide('village1', claimId, 'village', 'approve');
    expect([again.status, again.body.error.code]).toEqual([403, 'DECIDED_EARLIER_ROUND']);
    expect((await decide('village2', claimId, 'village', 'approve')).status).toBe(200);
    expect((await decide('insurer2', claimId, 'department', 'approve')).status).toBe(200);
    expect((await decide('auditor2', claimId, 'audit', 'approve')).status).toBe(200);

    const done = await until(claimId, (c) => c.state !== 'APPEALED');
    const history = await stack.deps.claims.history(claimId);
    expect(history.map((h) => `${h.from ?? '-'}>${h.to}`)).toEqual(
      expect.arrayContaining(['PENDING_REVIEW>REJECTED', 'REJECTED>APPEALED', 'APPEALED>APPROVED']),
    );
    expect(done.earlierGates).toEqual([
      { village: expect.objectContaining({ by: 'village1', decision: 'reject' }) },
    ]);
    expect(done.appeal).toMatchObject({ by: 'worker1', text: '孩子学费确实困难，请求复核' });
    // A claim is appealed once.
    const twice = await cli('appeal', claimId, '--text', '再次复核', '--as', 'worker1');
    expect(twice.err).toMatch(/^claims appeal: (ALREADY_APPEALED|NOT_APPEALABLE):/);
  }, 60_000);

  it('an objection during the notice sends the claim through every gate again, decided by new people', async () => {
    const { claimId } = await uploadClaim(stack, { householdId: 'HH-F002', totalCost: '22700' });
    expect((await settled(stack, claimId)).state).toBe('PENDING_REVIEW');
    expect((await decide('village1', claimId, 'village', 'approve')).status).toBe(200);
    expect((await decide('insurer1', claimId, 'department', 'approve')).status).toBe(200);
    expect((await decide('auditor1', claimId, 'audit', 'approve')).status).toBe(200);
    const posted = await until(claimId, (c) => c.state === 'NOTICE');
    expect(posted.noticeEndsAt).toBeDefined();

    // A grid worker may not object; an admin may.
    const refused = await cli('object', claimId, '--text', '有异议', '--as', 'worker1');
    expect(refused.err).toMatch(/^claims object: FORBIDDEN:/);
    const objected = await cli(
      'object',
      claimId,
      '--text',
      '该户近期有大额收入，与公示不符',
      '--as',
      'admin1',
    );
    expect(objected.code).toBe(0);
    expect(JSON.parse(objected.out)).toMatchObject({ claimId, state: 'PENDING_REVIEW', nextGate: 'village' });
    const reopened = await until(claimId, (c) => c.state === 'PENDING_REVIEW');
    expect(reopened).toMatchObject({
      gates: {},
      reviewReasons: [{ code: 'OBJECTION', params: {} }],
      objections: [{ by: 'admin1', text: '该户近期有大额收入，与公示不符' }],
    });
    expect(reopened.noticeEndsAt).toBeUndefined();

    const again = await decide('village1', claimId, 'village', 'approve');
    expect([again.status, again.body.error.code]).toEqual([403, 'DECIDED_EARLIER_ROUND']);
    expect((await decide('village2', claimId, 'village', 'approve')).status).toBe(200);
    expect((await decide('insurer2', claimId, 'department', 'approve')).status).toBe(200);
    expect((await decide('auditor2', claimId, 'audit', 'approve')).status).toBe(200);
    // Approved again, then a new notice: the claim is not paid on the first notice's time.
    const reposted = await until(claimId, (c) => c.state === 'NOTICE');
    expect(reposted.noticeEndsAt! > posted.noticeEndsAt!).toBe(true);
    expect(reposted.earlierGates).toHaveLength(1);
    const history = await stack.deps.claims.history(claimId);
    expect(history.map((h) => `${h.from ?? '-'}>${h.to}`)).toEqual(
      expect.arrayContaining(['NOTICE>PENDING_REVIEW', 'PENDING_REVIEW>APPROVED', 'APPROVED>NOTICE']),
    );
    expect(await stack.deps.claims.ledgerEntry(claimId)).toBeUndefined();
  }, 60_000);
});

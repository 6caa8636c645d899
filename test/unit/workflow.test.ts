import { describe, expect, it } from 'vitest';
import { claimOf, makeWorld, upload } from '#test/support/fixtures.ts';
import { runAssessSteps } from '#cli/local/world.ts';
import { fakeJpeg } from '#cli/local/demo-data.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import { decideReview } from '#shared/api/claims-api.ts';
import { nextReviewGate, requestReview } from '#shared/workflow/review-gates.ts';
import { parsePolicy, type PolicyDocument } from '#shared/policy.ts';
import demoPolicy from '#shared/data/policies/demo-v1.json' with { type: 'json' };
import { markError } from '#shared/workflow/mark-error.ts';
import type { Principal } from '#shared/access.ts';

const user = (username: string, role: Principal['roles'][number]): Principal => ({ username, roles: [role] });
const village1 = user('village1', 'villageVerifier');
const insurer1 = user('insurer1', 'insurer');
const auditor1 = user('auditor1', 'auditor');

describe('automatic path', () => {
  it('tuition of 15,000 is approved and paid 3,500.00 with one ledger entry', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '15000' });
    expect(await runAssessSteps(world, key)).toBe('paid');
    const claim = await claimOf(world, claimId);
    expect(claim).toMatchObject({ state: 'PAID', payoutFen: 350_000, gridWorker: 'worker1', region: 'demo' });
    expect(world.store.ledger.get(claimId)?.payoutFen).toBe(350_000);
    const history = await world.store.history(claimId);
    expect(history.map((h) => h.to)).toEqual(['RECEIVED', 'APPROVED', 'PAID']);
  });

  it('the same manifest event three times gives one payout', async () => {
    const world = await makeWorld();
    const { key } = upload(world, { totalCost: '15000' });
    await Promise.all([runAssessSteps(world, key), runAssessSteps(world, key), runAssessSteps(world, key)]);
    await runAssessSteps(world, key);
    expect(world.store.ledger.size).toBe(1);
  });

  it('the payout step run twice writes one ledger entry', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '15000' });
    await runAssessSteps(world, key);
    expect(await recordPayout(world, { claimId })).toEqual({ claimId, outcome: 'paid' });
    expect(world.store.ledger.size).toBe(1);
    expect((await world.store.history(claimId)).filter((h) => h.to === 'PAID')).toHaveLength(1);
  });
});

describe('review path (三关)', () => {
  it('the tuition example goes to review, passes three gates by three people and pays 8,120.00', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '22700' });
    expect(await runAssessSteps(world, key)).toBe('review');
    expect(world.reviewsLog.started).toEqual([claimId]);
    expect((await claimOf(world, claimId)).state).toBe('PENDING_REVIEW');

    await requestReview(world, { claimId, gate: 'village', taskToken: 't-village' });
    await decideReview(world, village1, claimId, { gate: 'village', decision: 'approve' });
    expect(world.reviewsLog.resumed.at(-1)?.token).toBe('t-village');
    await expect(
      decideReview(world, village1, claimId, { gate: 'department', decision: 'approve' }),
    ).rejects.toThrow(/decided by the insurer role/);
    await decideReview(world, insurer1, claimId, { gate: 'department', decision: 'approve' });
    const last = await decideReview(world, auditor1, claimId, { gate: 'audit', decision: 'approve' });
    expect(last.claim.state).toBe('APPROVED');
    expect(await recordPayout(world, { claimId })).toEqual({ claimId, outcome: 'paid' });
    expect((await claimOf(world, claimId)).payoutFen).toBe(812_000);
  });

  it('nobody decides two gates of one claim, even holding two roles', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '22700' });
    await runAssessSteps(world, key);
    const both: Principal = { username: 'multi', roles: ['villageVerifier', 'insurer'] };
    await decideReview(world, both, claimId, { gate: 'village', decision: 'approve' });
    await expect(
      decideReview(world, both, claimId, { gate: 'department', decision: 'approve' }),
    ).rejects.toThrow(/another person/);
  });

  it('a reject ends the claim REVIEW_REJECTED and a replayed gate wait resumes at once', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { category: 'industry', totalCost: '20000' });
    expect(await runAssessSteps(world, key)).toBe('review');
    await decideReview(world, village1, claimId, {
      gate: 'village',
      decision: 'reject',
      comment: 'pond was not stocked',
    });
    expect(await claimOf(world, claimId)).toMatchObject({ state: 'REJECTED', reason: 'REVIEW_REJECTED' });
    const r = await requestReview(world, { claimId, gate: 'department', taskToken: 't2' });
    expect(r.waiting).toBe(false);
    expect(world.reviewsLog.resumed.at(-1)?.output).toMatchObject({ decision: 'reject' });
    await expect(
      decideReview(world, insurer1, claimId, { gate: 'department', decision: 'approve' }),
    ).rejects.toThrow(/not waiting for review/);
  });
});

describe('review gates from the policy', () => {
  it('the claim stores the gates and reasons its routes gave; the loop asks for them in order', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '22700' });
    expect(await runAssessSteps(world, key)).toBe('review');
    expect(await claimOf(world, claimId)).toMatchObject({
      requiredGates: ['village', 'department', 'audit'],
      reviewReasons: [{ code: 'PAYOUT_ABOVE', params: { limitFen: 500_000 } }],
    });
    expect(await nextReviewGate(world, { claimId })).toEqual({ claimId, gate: 'village' });
    await decideReview(world, village1, claimId, { gate: 'village', decision: 'approve' });
    expect(await nextReviewGate(world, { claimId })).toEqual({ claimId, gate: 'department' });
    await decideReview(world, insurer1, claimId, { gate: 'department', decision: 'approve' });
    await decideReview(world, auditor1, claimId, { gate: 'audit', decision: 'approve' });
    expect(await nextReviewGate(world, { claimId })).toEqual({ claimId, gate: null });
  });

  it('a claim in review keeps its gates when the policy gains one; a record without them needs them all', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '22700' });
    await runAssessSteps(world, key);
    const doc = structuredClone(demoPolicy) as PolicyDocument;
    doc.review.gates.push({ id: 'extra', role: 'insurer', label: { zh: '加一关', en: 'Extra' } });
    const changed = { ...world, policies: [parsePolicy(doc)] };
    for (const [user, gate] of [
      [village1, 'village'],
      [insurer1, 'department'],
    ] as const) {
      await decideReview(changed, user, claimId, { gate, decision: 'approve' });
    }
    const last = await decideReview(changed, auditor1, claimId, { gate: 'audit', decision: 'approve' });
    expect(last.claim).toMatchObject({
      state: 'APPROVED',
      requiredGates: ['village', 'department', 'audit'],
    });

    const legacy = upload(world, { totalCost: '22800', householdId: 'HH-0002' });
    await runAssessSteps(world, legacy.key);
    const stored = await claimOf(world, legacy.claimId);
    const { requiredGates: _gates, ...before } = stored;
    await world.store.update({ ...before, version: stored.version + 1 }, stored.version);
    for (const [user, gate] of [
      [village1, 'village'],
      [insurer1, 'department'],
      [auditor1, 'audit'],
    ] as const) {
      await decideReview(changed, user, legacy.claimId, { gate, decision: 'approve' });
    }
    expect(await nextReviewGate(changed, { claimId: legacy.claimId })).toEqual({
      claimId: legacy.claimId,
      gate: 'extra',
    });
    await expect(
      decideReview(changed, insurer1, legacy.claimId, { gate: 'extra', decision: 'approve' }),
    ).rejects.toThrow(/another person/);
  });

  it('a gate the claim does not have is refused with the gates it has', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { totalCost: '22700' });
    await runAssessSteps(world, key);
    await expect(
      decideReview(world, insurer1, claimId, { gate: 'nowhere', decision: 'approve' }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_GATE', params: { gate: 'nowhere' } });
    await expect(
      decideReview(world, insurer1, claimId, { gate: 'Not A Gate', decision: 'approve' }),
    ).rejects.toThrow();
  });
});

describe('rejections, each with its reason', () => {
  const cases: [string, Parameters<typeof upload>[1], string][] = [
    ['NOT_ON_ROSTER (unknown household)', { householdId: 'HH-9999' }, 'NOT_ON_ROSTER'],
    [
      'NOT_ON_ROSTER (joined after the expense)',
      { householdId: 'HH-0030', expenseDate: '2026-09-01' },
      'NOT_ON_ROSTER',
    ],
    ['NOT_COVERED (removed)', { householdId: 'HH-0028', expenseDate: '2026-08-01' }, 'NOT_COVERED'],
    ['OUTSIDE_POLICY_PERIOD', { expenseDate: '2025-12-31' }, 'OUTSIDE_POLICY_PERIOD'],
    ['EXPENSE_IN_FUTURE', { expenseDate: '2026-09-06' }, 'EXPENSE_IN_FUTURE'],
    ['BELOW_THRESHOLD', { totalCost: '8000' }, 'BELOW_THRESHOLD'],
    ['INVALID_MANIFEST (three decimals)', { totalCost: '15000.001' }, 'INVALID_MANIFEST'],
    ['INVALID_MANIFEST (impossible date)', { expenseDate: '2026-02-30' }, 'INVALID_MANIFEST'],
  ];
  it.each(cases)('%s', async (_, spec, reason) => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, spec);
    expect(await runAssessSteps(world, key)).toBe('rejected');
    const claim = await claimOf(world, claimId);
    expect(claim).toMatchObject({ state: 'REJECTED', reason });
    expect(claim.detail).toBeTruthy();
    expect(world.bucket.objects.has(key)).toBe(true);
  });

  it('FILED_TOO_LATE after 180 days', async () => {
    const world = await makeWorld();
    world.clockControl.current = new Date('2027-03-15T00:00:00Z');
    const { claimId, key } = upload(world, { expenseDate: '2026-09-01' });
    await runAssessSteps(world, key);
    expect(await claimOf(world, claimId)).toMatchObject({ reason: 'FILED_TOO_LATE' });
  });

  it('DUPLICATE_RECEIPT names the earlier claim', async () => {
    const world = await makeWorld();
    const receipt = fakeJpeg('same paper');
    const first = upload(world, { receipt });
    const second = upload(world, { receipt });
    await runAssessSteps(world, first.key);
    await runAssessSteps(world, second.key);
    const claim = await claimOf(world, second.claimId);
    expect(claim).toMatchObject({ state: 'REJECTED', reason: 'DUPLICATE_RECEIPT' });
    expect(claim.detail).toMatchObject({
      code: 'RECEIPT_ON_OTHER_CLAIM',
      params: { claimId: first.claimId },
    });
  });

  it('a receipt of a rejected claim may be filed again', async () => {
    const world = await makeWorld();
    const receipt = fakeJpeg('resubmitted');
    const first = upload(world, { receipt, totalCost: '8000' });
    expect(await runAssessSteps(world, first.key)).toBe('rejected');
    const second = upload(world, { receipt, totalCost: '15000' });
    expect(await runAssessSteps(world, second.key)).toBe('paid');
  });

  it('INVALID_RECEIPT for wrong magic bytes, sha mismatch, missing and empty files', async () => {
    const world = await makeWorld();
    const bad = upload(world, { receipt: new TextEncoder().encode('not an image at all') });
    await runAssessSteps(world, bad.key);
    expect(await claimOf(world, bad.claimId)).toMatchObject({
      reason: 'INVALID_RECEIPT',
      detail: { code: 'RECEIPT_UNKNOWN_TYPE', params: { n: 1 } },
    });

    const mismatch = upload(world);
    world.bucket.put(`claims/${mismatch.claimId}/receipt-1.jpg`, fakeJpeg('swapped'));
    await runAssessSteps(world, mismatch.key);
    expect((await claimOf(world, mismatch.claimId)).detail).toEqual({
      code: 'RECEIPT_SHA256_DIFFERS',
      params: { n: 1 },
    });

    const missing = upload(world);
    world.bucket.objects.delete(`claims/${missing.claimId}/receipt-1.jpg`);
    await runAssessSteps(world, missing.key);
    expect((await claimOf(world, missing.claimId)).detail).toEqual({
      code: 'RECEIPT_NOT_UPLOADED',
      params: { n: 1 },
    });

    const empty = upload(world, { receipt: new Uint8Array() });
    await runAssessSteps(world, empty.key);
    expect((await claimOf(world, empty.claimId)).detail).toEqual({ code: 'RECEIPT_EMPTY', params: { n: 1 } });
  });

  it('an unreadable manifest still yields a claim under its key, REJECTED INVALID_MANIFEST', async () => {
    const world = await makeWorld();
    const claimId = '01JCZZZZZZZZZZZZZZZZZZZZZZ';
    const key = `claims/${claimId}/manifest.json`;
    world.bucket.put(key, new Uint8Array([0x7b, 0x22, 0xff, 0xfe]));
    await runAssessSteps(world, key);
    expect(await claimOf(world, claimId)).toMatchObject({
      state: 'REJECTED',
      reason: 'INVALID_MANIFEST',
      detail: { code: 'MANIFEST_NOT_UTF8', params: {} },
    });
  });

  it('a manifest whose claimId differs from its key is rejected under the key', async () => {
    const world = await makeWorld();
    const { key } = upload(world, { claimId: '01JCAAAAAAAAAAAAAAAAAAAAAA' });
    const otherKey = 'claims/01JCBBBBBBBBBBBBBBBBBBBBBB/manifest.json';
    world.bucket.put(otherKey, world.bucket.objects.get(key) ?? new Uint8Array());
    await runAssessSteps(world, otherKey);
    expect(await claimOf(world, '01JCBBBBBBBBBBBBBBBBBBBBBB')).toMatchObject({ reason: 'INVALID_MANIFEST' });
  });
});

describe('caps', () => {
  it('two claims racing for the last of a cap: total within cap, loser re-priced', async () => {
    const world = await makeWorld();
    // Disaster cap is 5,000: the first 3,000 grant leaves 2,000 for the second.
    const a = upload(world, { category: 'disaster', totalCost: '20000', householdId: 'HH-0002' });
    const b = upload(world, { category: 'disaster', totalCost: '20000', householdId: 'HH-0002' });
    await Promise.all([runAssessSteps(world, a.key), runAssessSteps(world, b.key)]);
    for (const [principalA, gate] of [
      [village1, 'village'],
      [insurer1, 'department'],
      [auditor1, 'audit'],
    ] as const) {
      await decideReview(world, principalA, a.claimId, { gate, decision: 'approve' });
      await decideReview(world, principalA, b.claimId, { gate, decision: 'approve' });
    }
    await Promise.all([
      recordPayout(world, { claimId: a.claimId }),
      recordPayout(world, { claimId: b.claimId }),
    ]);
    const paid = [...world.store.ledger.values()].reduce((s, e) => s + e.payoutFen, 0);
    expect(paid).toBe(500_000);
    const third = upload(world, { category: 'disaster', totalCost: '20000', householdId: 'HH-0002' });
    await runAssessSteps(world, third.key);
    expect(await claimOf(world, third.claimId)).toMatchObject({ state: 'REJECTED', reason: 'CAP_EXHAUSTED' });
  });
});

describe('errors', () => {
  it('mark-error records ERROR with the cause and creates a claim that never got written', async () => {
    const world = await makeWorld();
    const r = await markError(world, {
      key: 'claims/01JCCCCCCCCCCCCCCCCCCCCCCC/manifest.json',
      error: { Error: 'Lambda.Unknown', Cause: JSON.stringify({ errorMessage: 'boom\nstack' }) },
    });
    expect(r.outcome).toBe('error');
    expect(await claimOf(world, '01JCCCCCCCCCCCCCCCCCCCCCCC')).toMatchObject({
      state: 'ERROR',
      detail: { code: 'FAULT', params: { error: 'Lambda.Unknown', cause: 'boom' } },
    });
  });
});

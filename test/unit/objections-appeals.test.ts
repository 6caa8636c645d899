// Objections during the public notice and appeals against review rejections, over in-memory
// ports: which routes a round takes, four-eyes across rounds, the appeal window in China calendar
// days, the refusals, and a round whose run failed to start being picked up by the sweeper.
import { describe, expect, it } from 'vitest';
import { claimOf, claimRecord, makeWorld, type World } from '#test/support/fixtures.ts';
import { parsePolicy } from '#shared/policy.ts';
import { checkGateDecision, reviewExpected, routeForReview, routeForRound } from '#shared/review-routing.ts';
import { appealClaim, objectToClaim } from '#shared/api/appeals-api.ts';
import { decideReview } from '#shared/api/claims-api.ts';
import { nextReviewGate } from '#shared/workflow/review-gates.ts';
import { sweepStuckClaims } from '#shared/workflow/sweep-claims.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import type { HistoryEvent } from '#shared/claim-state.ts';
import type { Principal } from '#shared/access.ts';
import { DomainError } from '#shared/errors.ts';
import fund from '#shared/data/policies/demo-fund-v1.json' with { type: 'json' };
import { reviewOption } from '../../web/src/review-state.ts';

const fundPolicy = parsePolicy(fund);
const all = ['village', 'department', 'audit'];
const as = (username: string, ...roles: Principal['roles']): Principal => ({ username, roles });
const worker1 = as('worker1', 'gridWorker');

/** A demo-fund claim of HH-F001 (worker1's) in `state`, priced, with the history line that put it there. */
async function storedClaim(
  world: World,
  over: Partial<ClaimRecord>,
  history: Omit<HistoryEvent, 'from' | 'actor'>[] = [],
): Promise<string> {
  const c = claimRecord({
    householdId: 'HH-F001',
    region: 'demo-fund',
    village: '东山村',
    payoutFen: 812_000,
    requiredGates: all,
    assessment: {
      policyId: 'demo-fund',
      policyVersion: 1,
      region: 'demo-fund',
      capYear: 2026,
      selfPaidFen: 2_270_000,
      grossFen: 812_000,
      capFen: 2_000_000,
      capRemainingFen: 2_000_000,
      payoutFen: 812_000,
      bands: [],
      rosterStatus: 'out_of_poverty',
    },
    ...over,
  });
  await world.store.create(
    c,
    history.map((e) => ({ from: 'PENDING_REVIEW' as const, actor: 'village1', ...e })),
  );
  return c.claimId;
}

const firstRound = {
  village: { decision: 'approve' as const, by: 'village1', at: '2026-09-05T03:00:00.000Z' },
  department: { decision: 'approve' as const, by: 'insurer1', at: '2026-09-05T04:00:00.000Z' },
  audit: { decision: 'reject' as const, by: 'auditor1', at: '2026-09-05T05:00:00.000Z' },
};

/** Rejected at its audit gate at `at`. */
function rejectedAt(world: World, at: string) {
  return storedClaim(
    world,
    {
      state: 'REJECTED',
      reason: 'REVIEW_REJECTED',
      gates: { ...firstRound, audit: { ...firstRound.audit, at } },
    },
    [{ at, to: 'REJECTED', reason: 'REVIEW_REJECTED' }],
  );
}

async function refusal(work: Promise<unknown>): Promise<{ code: string; params?: Record<string, unknown> }> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError)
      return { code: error.code, ...(error.params ? { params: error.params } : {}) };
    if (error instanceof Error && error.name === 'ZodError') return { code: 'INVALID' };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('routes of a review round', () => {
  it('appeal and objection routes never send a first review to its gates', () => {
    const first = routeForReview({
      policy: fundPolicy,
      claim: { category: 'education', expenseDate: '2026-09-01', totalCostFen: 1_500_000, reimbursedFen: 0 },
      period: { statusFrom: '2024-01-01' },
      payoutFen: 350_000,
    });
    expect(first).toMatchObject({ review: false, requiredGates: [], reasons: [] });
    expect(reviewExpected(fundPolicy, 'education', 350_000)).toBe(false);
  });

  it('a round takes only its own route, with its reason', () => {
    const round = (r: 'appeal' | 'objection') =>
      routeForRound({ policy: fundPolicy, round: r, category: 'education', payoutFen: 350_000 });
    expect(round('appeal')).toEqual({ requiredGates: all, reasons: [{ code: 'APPEAL', params: {} }] });
    expect(round('objection')).toEqual({ requiredGates: all, reasons: [{ code: 'OBJECTION', params: {} }] });
    // An objection route naming one gate sends the round to that gate alone.
    const villageOnly = parsePolicy({
      ...fund,
      review: {
        ...fund.review,
        routes: [
          ...fund.review.routes.filter((r) => !r.when.objection),
          { reason: 'OBJECTION', when: { objection: true }, gates: ['village'] },
        ],
      },
    });
    expect(
      routeForRound({ policy: villageOnly, round: 'objection', category: 'education', payoutFen: 1 })
        .requiredGates,
    ).toEqual(['village']);
    // A policy without a route for the round: every gate decides it.
    const none = parsePolicy({
      ...fund,
      review: { ...fund.review, routes: fund.review.routes.filter((r) => !r.when.appeal) },
    });
    expect(routeForRound({ policy: none, round: 'appeal', category: 'education', payoutFen: 1 })).toEqual({
      requiredGates: all,
      reasons: [{ code: 'APPEAL', params: {} }],
    });
  });
});

describe('four-eyes across rounds', () => {
  const claim = {
    requiredGates: all,
    gates: {},
    earlierGates: [firstRound],
    objections: [{ by: 'village2', at: '2026-09-10T00:00:00.000Z', text: '异议' }],
  };
  it.each([
    ['village1', 'village', 'DECIDED_EARLIER_ROUND'],
    ['auditor1', 'village', 'DECIDED_EARLIER_ROUND'],
    ['village2', 'village', 'OBJECTED'],
    ['village3', 'village', 'ok'],
    ['village3', 'department', 'GATE_REFUSED'],
  ])('%s at the %s gate: %s', (user, gate, expected) => {
    const check = checkGateDecision(fundPolicy, claim, gate, user, {
      filer: 'worker1',
      gridWorkers: ['worker1'],
    });
    expect(check.ok ? 'ok' : check.code).toBe(expected);
  });
});

describe('what the claim page offers a reviewer in a later round', () => {
  const appealed = {
    state: 'APPEALED' as const,
    nextGate: 'village',
    gates: {},
    requiredGates: all,
    submittedBy: 'worker1',
    gridWorker: 'worker1',
    earlierGates: [{ village: firstRound.village }],
    objections: [{ by: 'village3', at: '2026-09-10T00:00:00.000Z', text: '异议' }],
  };
  it.each([
    ['village1', { kind: 'earlierRound', why: 'DECIDED_EARLIER_ROUND' }],
    ['village3', { kind: 'earlierRound', why: 'OBJECTED' }],
    ['village2', { kind: 'decide', gate: 'village' }],
  ])('%s', (username, expected) => {
    expect(reviewOption(appealed, { username, roles: ['villageVerifier'] }, fundPolicy)).toEqual(expected);
  });
});

describe('appeals', () => {
  // Rejected at 23:30 in China (15:30Z): that China day is day 0 of the window.
  const rejected = '2026-09-05T15:30:00.000Z';
  const chinaMidday = (day: string) => new Date(`${day}T04:00:00.000Z`);

  it('the 30th China calendar day after the rejection is the last day to appeal', async () => {
    const world = await makeWorld();
    const onTime = await rejectedAt(world, rejected);
    world.clockControl.current = new Date('2026-10-05T15:59:59.000Z'); // 23:59:59 in China on day 30
    const { claim, reviewStarted } = await appealClaim(world, worker1, onTime, { text: '  家庭确有困难  ' });
    expect(claim).toMatchObject({
      state: 'APPEALED',
      appeal: { by: 'worker1', text: '家庭确有困难' },
      gates: {},
      requiredGates: all,
      reviewReasons: [{ code: 'APPEAL', params: {} }],
      earlierGates: [{ ...firstRound, audit: { ...firstRound.audit, at: rejected } }],
      nextGate: 'village',
    });
    expect(claim.reason).toBeUndefined();
    expect(reviewStarted).toBe(true);
    expect(world.reviewsLog.started).toEqual([`${onTime}-appeal`]);

    const late = await rejectedAt(world, rejected);
    world.clockControl.current = new Date('2026-10-05T16:00:00.000Z'); // 00:00 in China on day 31
    expect(await refusal(appealClaim(world, worker1, late, { text: '请求复核' }))).toEqual({
      code: 'APPEAL_TOO_LATE',
      params: { deadline: '2026-10-05', days: 30 },
    });
    expect((await claimOf(world, late)).state).toBe('REJECTED');
  });

  it('refuses, each with its own code: another worker, the wrong state or reason, a second appeal, no appeal days, bad text', async () => {
    const world = await makeWorld();
    world.clockControl.current = chinaMidday('2026-09-10');
    const claimId = await rejectedAt(world, rejected);
    expect(
      (await refusal(appealClaim(world, as('worker2', 'gridWorker'), claimId, { text: '复核' }))).code,
    ).toBe('NOT_YOUR_HOUSEHOLD');
    for (const text of ['', '   ', 'x'.repeat(501)])
      expect((await refusal(appealClaim(world, worker1, claimId, { text }))).code).toBe('INVALID');
    // The household handed to worker2 since: worker1 filed the claim but no longer speaks for it.
    const handedOver = await makeWorld();
    handedOver.clockControl.current = chinaMidday('2026-09-10');
    const moved = await rejectedAt(handedOver, rejected);
    const [period] = await handedOver.store.periods('HH-F001');
    if (!period) throw new Error('HH-F001 is not on the demo roster');
    await handedOver.store.put([{ ...period, statusFrom: '2026-09-01', gridWorker: 'worker2' }]);
    expect((await refusal(appealClaim(handedOver, worker1, moved, { text: '复核' }))).code).toBe(
      'NOT_YOUR_HOUSEHOLD',
    );
    // A handover dated ahead takes effect on its day, not before.
    await handedOver.store.put([{ ...period, statusFrom: '2026-12-01', gridWorker: 'worker3' }]);
    const worker3 = as('worker3', 'gridWorker');
    expect((await refusal(appealClaim(handedOver, worker3, moved, { text: '复核' }))).code).toBe(
      'NOT_YOUR_HOUSEHOLD',
    );
    const worker2 = as('worker2', 'gridWorker');
    expect((await appealClaim(handedOver, worker2, moved, { text: '复核' })).claim.state).toBe('APPEALED');
    // Its answer lost and sent again after the household moved on: answered as before.
    await handedOver.store.put([{ ...period, statusFrom: '2026-09-09', gridWorker: 'worker4' }]);
    expect((await appealClaim(handedOver, worker2, moved, { text: '复核' })).claim.state).toBe('APPEALED');
    await appealClaim(world, worker1, claimId, { text: 'x'.repeat(500) });
    // The same appeal sent again answers as before; another is refused.
    expect((await appealClaim(world, worker1, claimId, { text: 'x'.repeat(500) })).claim.state).toBe(
      'APPEALED',
    );
    expect((await refusal(appealClaim(world, worker1, claimId, { text: '再次复核' }))).code).toBe(
      'ALREADY_APPEALED',
    );

    const capped = await storedClaim(world, { state: 'REJECTED', reason: 'CAP_EXHAUSTED' }, [
      { at: rejected, to: 'REJECTED', reason: 'CAP_EXHAUSTED' },
    ]);
    expect(await refusal(appealClaim(world, worker1, capped, { text: '复核' }))).toEqual({
      code: 'NOT_APPEALABLE',
      params: { state: 'REJECTED', reason: 'CAP_EXHAUSTED' },
    });
    const paid = await storedClaim(world, { state: 'PAID' });
    expect((await refusal(appealClaim(world, worker1, paid, { text: '复核' }))).code).toBe('NOT_APPEALABLE');

    const noAppeals = parsePolicy({ ...fund, appealDays: 0 });
    const other = await rejectedAt(world, rejected);
    expect(
      (await refusal(appealClaim({ ...world, policies: [noAppeals] }, worker1, other, { text: '复核' })))
        .code,
    ).toBe('NO_APPEALS');
  });

  it('an appeal is decided by new people: a reject is final, APPEAL_REJECTED', async () => {
    const world = await makeWorld();
    world.clockControl.current = chinaMidday('2026-09-10');
    const claimId = await rejectedAt(world, rejected);
    await appealClaim(world, worker1, claimId, { text: '复核' });
    expect(await nextReviewGate(world, { claimId })).toEqual({ claimId, gate: 'village' });
    const decide = (user: Principal, gate: string, decision: 'approve' | 'reject') =>
      decideReview(world, user, claimId, { gate, decision });
    expect((await refusal(decide(as('village1', 'villageVerifier'), 'village', 'approve'))).code).toBe(
      'DECIDED_EARLIER_ROUND',
    );
    await decide(as('village2', 'villageVerifier'), 'village', 'approve');
    expect((await refusal(decide(as('insurer1', 'insurer'), 'department', 'approve'))).code).toBe(
      'DECIDED_EARLIER_ROUND',
    );
    const { claim } = await decide(as('insurer2', 'insurer'), 'department', 'reject');
    expect(claim).toMatchObject({ state: 'REJECTED', reason: 'APPEAL_REJECTED' });
    expect((await refusal(appealClaim(world, worker1, claimId, { text: '复核' }))).code).toBe(
      'ALREADY_APPEALED',
    );
  });

  it('a round whose run did not start is started by the sweeper, once it has been quiet', async () => {
    const world = await makeWorld();
    world.clockControl.current = chinaMidday('2026-09-10');
    const claimId = await rejectedAt(world, rejected);
    const failing = {
      start: () => Promise.reject(new Error('throttled')),
      succeed: async () => {},
      fail: async () => {},
    };
    const answer = await appealClaim({ ...world, reviews: failing }, worker1, claimId, { text: '复核' });
    expect([answer.claim.state, answer.reviewStarted]).toEqual(['APPEALED', false]);
    expect((await sweepStuckClaims(world)).resumed).toEqual([]);
    world.clockControl.advance(16 * 60_000);
    expect((await sweepStuckClaims(world)).resumed).toEqual([claimId]);
    expect(world.reviewsLog.started).toEqual([`${claimId}-appeal`]);
    // A round whose run waits on a gate is left alone.
    const c = await claimOf(world, claimId);
    await world.store.update({ ...c, gateTokens: { village: 'token-1' }, version: c.version + 1 }, c.version);
    world.clockControl.advance(16 * 60_000);
    expect((await sweepStuckClaims(world)).resumed).toEqual([]);
  });
});

describe('objections', () => {
  const onNotice = (world: World) =>
    storedClaim(world, {
      state: 'NOTICE',
      noticeEndsAt: '2026-09-10T16:00:00.000Z',
      gates: { ...firstRound, audit: { ...firstRound.audit, decision: 'approve' } },
    });

  it('sends a claim on notice back to every gate of the objection route, for people new to it', async () => {
    const world = await makeWorld();
    const claimId = await onNotice(world);
    const village2 = as('village2', 'villageVerifier');
    const { claim } = await objectToClaim(world, village2, claimId, { text: '该户已有人外出务工，收入不符' });
    expect(claim).toMatchObject({
      state: 'PENDING_REVIEW',
      gates: {},
      requiredGates: all,
      reviewReasons: [{ code: 'OBJECTION', params: {} }],
      objections: [{ by: 'village2', text: '该户已有人外出务工，收入不符' }],
      earlierGates: [
        { village: { by: 'village1' }, department: { by: 'insurer1' }, audit: { by: 'auditor1' } },
      ],
      nextGate: 'village',
    });
    expect(claim.noticeEndsAt).toBeUndefined();
    expect(world.reviewsLog.started).toEqual([`${claimId}-objection-1`]);
    // Sent twice (a lost answer): the same claim, no second objection.
    expect(
      (await objectToClaim(world, village2, claimId, { text: '该户已有人外出务工，收入不符' })).claim
        .objections,
    ).toHaveLength(1);
    // The objector and the first round's reviewers decide nothing of it.
    for (const user of [village2, as('village1', 'villageVerifier')])
      expect(
        (await refusal(decideReview(world, user, claimId, { gate: 'village', decision: 'approve' }))).code,
      ).toMatch(/^(OBJECTED|DECIDED_EARLIER_ROUND)$/);
    await decideReview(world, as('village3', 'villageVerifier'), claimId, {
      gate: 'village',
      decision: 'approve',
    });
    await decideReview(world, as('insurer2', 'insurer'), claimId, {
      gate: 'department',
      decision: 'approve',
    });
    const done = await decideReview(world, as('auditor2', 'auditor'), claimId, {
      gate: 'audit',
      decision: 'approve',
    });
    expect(done.claim.state).toBe('APPROVED');
    const history = await world.store.history(claimId);
    expect(
      history.map((e) => e.detail).filter((d) => typeof d === 'object' && d.code === 'OBJECTION_RAISED'),
    ).toEqual([{ code: 'OBJECTION_RAISED', params: { n: 1 } }]);
    // Nobody's words go into the history line.
    expect(JSON.stringify(history)).not.toContain('外出务工');
  });

  it('only a claim on notice can be objected to', async () => {
    const world = await makeWorld();
    const paid = await storedClaim(world, { state: 'PAID' });
    expect(await refusal(objectToClaim(world, as('admin1', 'admin'), paid, { text: '异议' }))).toEqual({
      code: 'NOT_ON_NOTICE',
      params: { state: 'PAID' },
    });
  });
});

// The objection and appeal handlers with API Gateway v2 events over in-memory ports: who gets
// in, the status and code of each refusal, the text checked, nothing of the text in an error, and
// the answer when the round's run could not be started.
import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { claimRecord, makeWorld, type World } from '#test/support/fixtures.ts';
import { makeHandler as makeObject } from '#functions/handlers/object-claim.ts';
import { makeHandler as makeAppeal } from '#functions/handlers/appeal-claim.ts';
import { makeHandler as makeGetClaim } from '#functions/handlers/get-claim.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import { renderApiError } from '#shared/messages/render.ts';

const context = { awsRequestId: 'req-1', functionName: 'test' } as Context;

function event(user: { name: string; groups: string }, claimId: string, body: unknown) {
  return {
    version: '2.0',
    routeKey: 'POST /x',
    rawPath: '/x',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: { claimId },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '0',
      apiId: 'api',
      domainName: 'x',
      domainPrefix: 'x',
      http: { method: 'POST', path: '/x', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: 'POST /x',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: { sub: 's', 'cognito:username': user.name, 'cognito:groups': user.groups },
          scopes: null,
        },
      },
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const user = (name: string, group: string) => ({ name, groups: `[${group}]` });
const json = (result: unknown) => {
  const r = result as { statusCode: number; body: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are inspected ad hoc
  return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, any> };
};

async function stored(world: World, over: Partial<ClaimRecord>, rejectedAt?: string) {
  const c = claimRecord({
    householdId: 'HH-F001',
    region: 'demo-fund',
    payoutFen: 812_000,
    requiredGates: ['village', 'department', 'audit'],
    gates: { village: { decision: 'reject', by: 'village1', at: '2026-09-05T03:00:00.000Z' } },
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
    rejectedAt
      ? [
          {
            at: rejectedAt,
            from: 'PENDING_REVIEW',
            to: 'REJECTED',
            actor: 'village1',
            reason: 'REVIEW_REJECTED',
          },
        ]
      : [],
  );
  return c.claimId;
}

describe('POST /claims/{claimId}/appeal', () => {
  it('the grid worker appeals within the window; the claim page shows the last day', async () => {
    const world = await makeWorld(); // 2026-09-05 10:00 in China
    const claimId = await stored(
      world,
      { state: 'REJECTED', reason: 'REVIEW_REJECTED' },
      '2026-09-05T03:00:00.000Z',
    );
    const page = json(
      await makeGetClaim(() => world)(
        { ...event(user('worker1', 'gridWorker'), claimId, {}), body: undefined } as never,
        context,
      ),
    );
    expect(page.body.appealUntil).toBe('2026-10-05');
    const appeal = makeAppeal(() => world);
    const ok = json(
      await appeal(event(user('worker1', 'gridWorker'), claimId, { text: '请求复核' }), context),
    );
    expect([ok.status, ok.body.claim.state, ok.body.reviewStarted]).toEqual([200, 'APPEALED', true]);
    expect(ok.body.claim.gateTokens).toBeUndefined();
    const after = json(
      await makeGetClaim(() => world)(
        { ...event(user('worker1', 'gridWorker'), claimId, {}), body: undefined } as never,
        context,
      ),
    );
    expect(after.body.appealUntil).toBeNull();
  });

  it.each([
    ['another grid worker', user('worker2', 'gridWorker'), { text: '复核' }, 403, 'NOT_YOUR_HOUSEHOLD'],
    ['an admin', user('admin1', 'admin'), { text: '复核' }, 403, 'FORBIDDEN'],
    ['a reviewer', user('village1', 'villageVerifier'), { text: '复核' }, 403, 'FORBIDDEN'],
    ['no text', user('worker1', 'gridWorker'), { text: '  ' }, 400, 'INVALID_REQUEST'],
    ['too much text', user('worker1', 'gridWorker'), { text: '字'.repeat(501) }, 400, 'INVALID_REQUEST'],
    ['another field', user('worker1', 'gridWorker'), { text: '复核', idNumber: '1' }, 400, 'INVALID_REQUEST'],
  ])('%s: %i %s', async (_, who, body, status, code) => {
    const world = await makeWorld();
    const claimId = await stored(
      world,
      { state: 'REJECTED', reason: 'REVIEW_REJECTED' },
      '2026-09-05T03:00:00.000Z',
    );
    const r = json(await makeAppeal(() => world)(event(who, claimId, body), context));
    expect([r.status, r.body.error.code]).toEqual([status, code]);
    expect(JSON.stringify(r.body)).not.toContain('字字');
  });

  it('refusals of state and time are 409 with their params, in the catalog words', async () => {
    const world = await makeWorld();
    const appeal = makeAppeal(() => world);
    const worker1 = user('worker1', 'gridWorker');
    const late = await stored(
      world,
      { state: 'REJECTED', reason: 'REVIEW_REJECTED' },
      '2026-08-05T03:00:00.000Z',
    );
    const tooLate = json(await appeal(event(worker1, late, { text: '复核' }), context));
    expect([tooLate.status, tooLate.body.error.code, tooLate.body.error.params]).toEqual([
      409,
      'APPEAL_TOO_LATE',
      { deadline: '2026-09-04', days: 30 },
    ]);
    expect(renderApiError('APPEAL_TOO_LATE', tooLate.body.error.params, 'zh')).toBe(
      '复核申请期限（30 天）已于 2026-09-04 结束',
    );
    const paid = await stored(world, { state: 'PAID' });
    expect(json(await appeal(event(worker1, paid, { text: '复核' }), context)).body.error).toMatchObject({
      code: 'NOT_APPEALABLE',
      params: { state: 'PAID' },
    });
  });

  it('a run that cannot be started leaves the claim appealed and says so', async () => {
    const world = await makeWorld();
    const claimId = await stored(
      world,
      { state: 'REJECTED', reason: 'REVIEW_REJECTED' },
      '2026-09-05T03:00:00.000Z',
    );
    const reviews = {
      start: () => Promise.reject(new Error('throttled')),
      succeed: async () => {},
      fail: async () => {},
    };
    const r = json(
      await makeAppeal(() => ({ ...world, reviews }))(
        event(user('worker1', 'gridWorker'), claimId, { text: '复核' }),
        context,
      ),
    );
    expect([r.status, r.body.claim.state, r.body.reviewStarted]).toEqual([200, 'APPEALED', false]);
  });
});

describe('POST /claims/{claimId}/objections', () => {
  it('a village verifier objects to a claim on notice; a grid worker or finance may not', async () => {
    const world = await makeWorld();
    const onNotice = () =>
      stored(world, {
        state: 'NOTICE',
        noticeEndsAt: '2026-09-10T16:00:00.000Z',
        gates: {},
      });
    const object = makeObject(() => world);
    for (const [who, code] of [
      [user('worker1', 'gridWorker'), 'FORBIDDEN'],
      [user('finance1', 'finance'), 'FORBIDDEN'],
    ] as const) {
      const r = json(await object(event(who, await onNotice(), { text: '有异议' }), context));
      expect([r.status, r.body.error.code]).toEqual([403, code]);
    }
    const claimId = await onNotice();
    const r = json(
      await object(event(user('village2', 'villageVerifier'), claimId, { text: '有异议' }), context),
    );
    expect(r.status).toBe(200);
    expect(r.body.claim).toMatchObject({
      state: 'PENDING_REVIEW',
      nextGate: 'village',
      objections: [{ by: 'village2' }],
    });
    expect(world.reviewsLog.started).toContain(`${claimId}-objection-1`);
    const admin = json(await object(event(user('admin1', 'admin'), claimId, { text: '又有异议' }), context));
    expect([admin.status, admin.body.error.code, admin.body.error.params]).toEqual([
      409,
      'NOT_ON_NOTICE',
      { state: 'PENDING_REVIEW' },
    ]);
  });
});

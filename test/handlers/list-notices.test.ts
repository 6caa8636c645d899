// GET /notices through its handler over in-memory ports: the claims of one village now on public
// notice, read through the village-and-state index, the head of household masked for every role
// (the board hangs on the village wall), nothing of another region's village of the same name, of
// another state, or of the roster's personal data.
import { describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { claimRecord, makeWorld, type World } from '#test/support/fixtures.ts';
import { makeHandler } from '#functions/handlers/list-notices.ts';
import { claimListingPlan } from '#shared/claim-listing.ts';
import type { ClaimFilter } from '#shared/ports.ts';
import type { ClaimRecord } from '#shared/claim.ts';

const context = { awsRequestId: 'req-1', functionName: 'test' } as Context;

function event(user: { name: string; groups: string } | null, query: Record<string, string>) {
  const rawQueryString = new URLSearchParams(query).toString();
  return {
    version: '2.0',
    routeKey: 'GET /notices',
    rawPath: '/notices',
    rawQueryString,
    queryStringParameters: query,
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '0',
      apiId: 'api',
      domainName: 'x',
      domainPrefix: 'x',
      http: {
        method: 'GET',
        path: '/notices',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      },
      requestId: 'r',
      routeKey: 'GET /notices',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: user ? { sub: 's', 'cognito:username': user.name, 'cognito:groups': user.groups } : {},
          scopes: null,
        },
      },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const users = [
  { name: 'worker1', groups: '[gridWorker]' },
  { name: 'worker2', groups: '[gridWorker]' },
  { name: 'village1', groups: '[villageVerifier]' },
  { name: 'insurer1', groups: '[insurer]' },
  { name: 'auditor1', groups: '[auditor]' },
  { name: 'finance1', groups: '[finance]' },
  { name: 'admin1', groups: '[admin]' },
];

const json = (result: unknown) => {
  const r = result as { statusCode: number; body: string };
  return { status: r.statusCode, text: r.body, body: JSON.parse(r.body) as Record<string, unknown> };
};

const assessed = (payoutFen: number): ClaimRecord['assessment'] => ({
  policyId: 'demo-fund',
  policyVersion: 1,
  region: 'demo-fund',
  capYear: 2026,
  selfPaidFen: 2_000_000,
  grossFen: payoutFen,
  capFen: 2_000_000,
  capRemainingFen: 2_000_000,
  payoutFen,
  bands: [],
  rosterStatus: 'out_of_poverty',
});

/** Claims written straight into the store in the states the board must tell apart. */
async function seed(world: World) {
  const put = async (over: Partial<ClaimRecord>) => {
    const claim = claimRecord(over);
    expect(await world.store.create(claim, [])).toBe(true);
    return claim.claimId;
  };
  const dongshan = { region: 'demo-fund', village: '东山村', state: 'NOTICE' as const };
  const later = await put({
    ...dongshan,
    householdId: 'HH-F001',
    gridWorker: 'worker1',
    assessment: assessed(350_000),
    noticeEndsAt: '2026-12-11T16:00:00.000Z',
  });
  const sooner = await put({
    ...dongshan,
    householdId: 'HH-F007',
    gridWorker: 'worker2',
    category: 'medical',
    assessment: assessed(812_000),
    noticeEndsAt: '2026-12-10T16:00:00.000Z',
  });
  // Paid already, and a village of the same name in another region: not on this board.
  await put({
    ...dongshan,
    householdId: 'HH-F002',
    state: 'PAID',
    assessment: assessed(100_000),
    payoutFen: 100_000,
  });
  await put({
    ...dongshan,
    region: 'demo',
    householdId: 'HH-0001',
    assessment: assessed(200_000),
    noticeEndsAt: '2026-12-10T16:00:00.000Z',
  });
  return { later, sooner };
}

describe('GET /notices', () => {
  it('lists the village claims on notice, soonest end first, heads masked, for every role', async () => {
    const world = await makeWorld();
    const { later, sooner } = await seed(world);
    const list = vi.spyOn(world.store, 'list');
    const get = makeHandler(() => world);
    const expected = {
      entries: [
        {
          claimId: sooner,
          householdId: 'HH-F007',
          headName: '郑**',
          category: 'medical',
          payoutFen: 812_000,
          noticeEndsAt: '2026-12-10T16:00:00.000Z',
        },
        {
          claimId: later,
          householdId: 'HH-F001',
          headName: '陈**',
          category: 'education',
          payoutFen: 350_000,
          noticeEndsAt: '2026-12-11T16:00:00.000Z',
        },
      ],
    };
    for (const user of users) {
      const answer = json(await get(event(user, { region: 'demo-fund', village: '东山村' }), context));
      expect(answer.status, user.name).toBe(200);
      expect(answer.body, user.name).toEqual(expected);
      // A public board: no full name, ID number or bank account, whoever asks.
      for (const secret of ['陈国强', '郑海波', '430381196403125118', '6230900000000001001'])
        expect(answer.text).not.toContain(secret);
    }
    // Every read went through the village-and-state index.
    const filters = list.mock.calls.map(([f]) => f as ClaimFilter);
    expect(filters.length).toBeGreaterThan(0);
    expect(filters.map((f) => claimListingPlan(f).index)).toEqual(filters.map(() => 'villageState'));
  });

  it('an empty village is an empty board; a missing or oversized place is a 400', async () => {
    const world = await makeWorld();
    await seed(world);
    const get = makeHandler(() => world);
    const village1 = users[2]!;
    expect(
      json(await get(event(village1, { region: 'demo-fund', village: '西河村' }), context)).body,
    ).toEqual({
      entries: [],
    });
    expect(json(await get(event(village1, { region: 'demo-fund' }), context)).status).toBe(400);
    expect(
      json(await get(event(village1, { region: 'demo-fund', village: '村'.repeat(101) }), context)).status,
    ).toBe(400);
  });
});

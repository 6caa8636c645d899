// The fund handlers with API Gateway v2 events over in-memory ports: who may read and top up,
// the figures (committed from approved claims of the region only), a top-up applied once per
// reference, amounts parsed once and refused with a code, a region without a fund as a 404, and
// the history ending at the balance held now.
import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { claimRecord, makeWorld, type World } from '#test/support/fixtures.ts';
import { makeHandler as makeGetFund } from '#functions/handlers/get-fund.ts';
import { makeHandler as makeTopUp } from '#functions/handlers/top-up-fund.ts';
import { makeHandler as makeHistory } from '#functions/handlers/get-fund-history.ts';
import type { FundAccount, FundStore, FundTopUp } from '#shared/ports.ts';
import type { LedgerEntry } from '#shared/claim.ts';
import { renderApiError } from '#shared/messages/render.ts';

const context = { awsRequestId: 'req-1', functionName: 'test' } as Context;

function event(
  user: { name: string; groups: string } | null,
  init: { body?: unknown; params?: Record<string, string> } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: '2.0',
    routeKey: 'ANY /x',
    rawPath: '/x',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    ...(init.params ? { pathParameters: init.params } : {}),
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '0',
      apiId: 'api',
      domainName: 'x',
      domainPrefix: 'x',
      http: { method: 'GET', path: '/x', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: 'ANY /x',
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
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const finance1 = { name: 'finance1', groups: '[finance]' };
const auditor1 = { name: 'auditor1', groups: '[auditor]' };
const insurer1 = { name: 'insurer1', groups: '[insurer]' };
const worker1 = { name: 'worker1', groups: '[gridWorker]' };

interface Point {
  date: string;
  balanceFen: number;
  paidFen: number;
  toppedUpFen: number;
}
/** What the routes answer, loosely: a test reads the fields it checks. */
type Body = Record<string, unknown> & {
  error: { code: string };
  points: Point[];
  topUps: unknown[];
  runOut: unknown;
  today: string;
};

const json = (result: unknown) => {
  const r = result as { statusCode: number; body: string };
  return { status: r.statusCode, body: JSON.parse(r.body) as Body };
};

/** A fund kept in memory with the port's rules: one top-up per reference, a queue oldest first. */
class FakeFunds implements FundStore {
  readonly accounts = new Map<string, Omit<FundAccount, 'region'>>();
  readonly refs = new Map<string, FundTopUp>();
  async fund(region: string, initialFen: number): Promise<FundAccount> {
    const a = this.accounts.get(region);
    return a
      ? { region, ...a }
      : { region, initialFen, toppedUpFen: 0, paidFen: 0, balanceFen: initialFen, waiting: 0 };
  }
  async topUp(topUp: FundTopUp, initialFen: number) {
    const key = `${topUp.region}#${topUp.ref}`;
    if (this.refs.has(key)) return false;
    this.refs.set(key, topUp);
    const a = await this.fund(topUp.region, initialFen);
    this.accounts.set(topUp.region, {
      initialFen: a.initialFen,
      toppedUpFen: a.toppedUpFen + topUp.amountFen,
      paidFen: a.paidFen,
      balanceFen: a.balanceFen + topUp.amountFen,
      waiting: a.waiting,
    });
    return true;
  }
  async topUps(region: string) {
    return [...this.refs.values()]
      .filter((t) => t.region === region)
      .sort((a, b) => a.at.localeCompare(b.at));
  }
  async queue() {
    return [];
  }
}

async function setUp() {
  const world = await makeWorld();
  const funds = new FakeFunds();
  const deps = { ...world, funds };
  return {
    world,
    funds,
    getFund: makeGetFund(() => deps),
    topUp: makeTopUp(() => deps),
    history: makeHistory(() => deps),
  };
}

const INITIAL = 500_000_000; // the demo-fund policy's 5,000,000 yuan

async function put(world: World, over: Parameters<typeof claimRecord>[0]) {
  const c = claimRecord(over);
  await world.store.create(c, [{ at: c.createdAt, from: null, to: c.state, actor: 'system' }]);
}

describe('GET /funds/{region}', () => {
  it('shows the fund with what approved claims of the region still draw, to finance and the auditor', async () => {
    const { world, getFund } = await setUp();
    await put(world, { state: 'APPROVED', region: 'demo-fund', payoutFen: 300_000 });
    await put(world, { state: 'NOTICE', region: 'demo-fund', payoutFen: 20_000 });
    // Not committed: another region, already paid, still in review.
    await put(world, { state: 'APPROVED', region: 'demo', payoutFen: 1 });
    await put(world, { state: 'PAID', region: 'demo-fund', payoutFen: 2 });
    await put(world, { state: 'PENDING_REVIEW', region: 'demo-fund', payoutFen: 4 });
    for (const user of [finance1, auditor1]) {
      const got = json(await getFund(event(user, { params: { region: 'demo-fund' } }), context));
      expect(got).toEqual({
        status: 200,
        body: {
          region: 'demo-fund',
          initialFen: INITIAL,
          toppedUpFen: 0,
          paidFen: 0,
          balanceFen: INITIAL,
          committedFen: 320_000,
          waiting: 0,
        },
      });
    }
  });

  it('is a 404 NO_FUND for a region whose policy has no fund, or no region at all', async () => {
    const { getFund } = await setUp();
    for (const region of ['demo', 'nowhere', 'BAD REGION', '']) {
      const got = json(await getFund(event(finance1, { params: { region } }), context));
      expect(got.status, region).toBe(404);
      expect(got.body.error.code).toBe('NO_FUND');
    }
  });

  it('refuses the roles that have no business with the fund', async () => {
    const { getFund } = await setUp();
    for (const user of [insurer1, worker1]) {
      const got = json(await getFund(event(user, { params: { region: 'demo-fund' } }), context));
      expect(got.status).toBe(403);
    }
    expect(json(await getFund(event(null, { params: { region: 'demo-fund' } }), context)).status).toBe(401);
  });
});

describe('POST /funds/{region}/topups', () => {
  it('adds the money once per reference and says so when the reference comes again', async () => {
    const { topUp, funds } = await setUp();
    const send = (body: unknown, user = finance1) =>
      topUp(event(user, { params: { region: 'demo-fund' }, body }), context).then(json);
    const first = await send({ amount: '200000.50', ref: '财政拨款-2026-11' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      applied: true,
      toppedUpFen: 20_000_050,
      balanceFen: INITIAL + 20_000_050,
      paidNow: { count: 0, fen: 0 },
      topUp: { ref: '财政拨款-2026-11', amountFen: 20_000_050, by: 'finance1' },
    });
    // The same reference again, even with another amount: nothing added, the first one named.
    const again = await send({ amount: '1', ref: '财政拨款-2026-11' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      applied: false,
      toppedUpFen: 20_000_050,
      topUp: { amountFen: 20_000_050 },
    });
    expect(await funds.topUps('demo-fund')).toHaveLength(1);
  });

  it('refuses amounts that are not a positive yuan amount, with the field named', async () => {
    const { topUp, funds } = await setUp();
    for (const amount of ['0', '-5', '1e5', '1.005', '10000000.01', 'abc', 5]) {
      const got = json(
        await topUp(
          event(finance1, { params: { region: 'demo-fund' }, body: { amount, ref: 'R1' } }),
          context,
        ),
      );
      expect(got.status, String(amount)).toBe(400);
      expect(got.body.error.code, String(amount)).toBe(
        typeof amount === 'number' ? 'INVALID_REQUEST' : 'BAD_AMOUNT',
      );
    }
    // Which rule, in the reader's words: not a generic "not an amount" for a zero or a third decimal.
    const problem = async (amount: string) => {
      const got = json(
        await topUp(
          event(finance1, { params: { region: 'demo-fund' }, body: { amount, ref: 'R1' } }),
          context,
        ),
      );
      const { code, params } = got.body.error as { code: string; params: Record<string, string> };
      return [params.problem, renderApiError(code, params, 'zh')];
    };
    expect(await problem('0.00')).toEqual(['AMOUNT_ZERO', '金额：金额须大于 0']);
    expect(await problem('1.005')).toEqual(['AMOUNT_DECIMALS', '金额：金额最多两位小数（分为最小单位）']);
    expect(await problem('10000000.01')).toEqual(['AMOUNT_TOO_LARGE', '金额：金额超过一千万元']);
    expect(await problem('-5')).toEqual(['AMOUNT_NEGATIVE', '金额：金额不能为负数']);
    expect(funds.refs.size).toBe(0);
  });

  it('refuses a reference that is empty, too long, padded or holds control characters', async () => {
    const { topUp, funds } = await setUp();
    for (const ref of ['', 'x'.repeat(65), ' R1', 'R1\n', undefined]) {
      const got = json(
        await topUp(
          event(finance1, { params: { region: 'demo-fund' }, body: { amount: '1', ref } }),
          context,
        ),
      );
      expect(got.status, JSON.stringify(ref)).toBe(400);
      expect(got.body.error.code).toBe('INVALID_REQUEST');
    }
    const ok = json(
      await topUp(
        event(finance1, { params: { region: 'demo-fund' }, body: { amount: '1', ref: 'x'.repeat(64) } }),
        context,
      ),
    );
    expect(ok.status).toBe(200);
    expect(funds.refs.size).toBe(1);
  });

  it('only finance and admin add money; the auditor reads but may not', async () => {
    const { topUp, funds } = await setUp();
    for (const user of [auditor1, insurer1, worker1]) {
      const got = json(
        await topUp(
          event(user, { params: { region: 'demo-fund' }, body: { amount: '1', ref: 'R' } }),
          context,
        ),
      );
      expect(got.status).toBe(403);
    }
    const admin = json(
      await topUp(
        event(
          { name: 'admin1', groups: '[admin]' },
          { params: { region: 'demo-fund' }, body: { amount: '1', ref: 'R' } },
        ),
        context,
      ),
    );
    expect(admin.status).toBe(200);
    expect(funds.refs.size).toBe(1);
  });

  it('is a 404 for a region without a fund, before anything is stored', async () => {
    const { topUp, funds } = await setUp();
    const got = json(
      await topUp(event(finance1, { params: { region: 'demo' }, body: { amount: '1', ref: 'R' } }), context),
    );
    expect(got.status).toBe(404);
    expect(got.body.error.code).toBe('NO_FUND');
    expect(funds.refs.size).toBe(0);
  });
});

describe('GET /funds/{region}/history', () => {
  it('has a point per day of the year ending at the balance now, the top-ups and the run-out date', async () => {
    const { world, funds, history } = await setUp();
    // The fake clock stands at 2026-09-05 10:00 in China.
    const entry = (
      claimId: string,
      paidDate: string,
      payoutFen: number,
      region = 'demo-fund',
    ): LedgerEntry => ({
      claimId,
      householdId: 'HH-0001',
      region,
      village: '红星村',
      category: 'education',
      gridWorker: 'worker1',
      payoutFen,
      capYear: 2026,
      policyId: 'demo-fund',
      policyVersion: 1,
      paidAt: `${paidDate}T02:00:00.000Z`,
      paidDate,
    });
    for (const e of [
      entry('P1', '2026-08-20', 600_000),
      entry('P2', '2026-09-05', 300_000),
      entry('P3', '2026-09-05', 7, 'demo'), // another region
    ])
      world.store.ledger.set(e.claimId, e);
    // The fund as the payouts and a top-up left it.
    funds.accounts.set('demo-fund', {
      initialFen: INITIAL,
      toppedUpFen: 1_000_000,
      paidFen: 900_000,
      balanceFen: INITIAL + 100_000,
      waiting: 0,
    });
    funds.refs.set('demo-fund#T1', {
      region: 'demo-fund',
      ref: 'T1',
      amountFen: 1_000_000,
      by: 'finance1',
      at: '2026-09-01T01:00:00.000Z',
    });
    const got = json(await history(event(auditor1, { params: { region: 'demo-fund' } }), context));
    expect(got.status).toBe(200);
    const points = got.body.points as {
      date: string;
      balanceFen: number;
      paidFen: number;
      toppedUpFen: number;
    }[];
    expect(points[0]).toEqual({ date: '2026-01-01', balanceFen: INITIAL, paidFen: 0, toppedUpFen: 0 });
    expect(points.at(-1)).toEqual({
      date: '2026-09-05',
      balanceFen: INITIAL + 100_000,
      paidFen: 300_000,
      toppedUpFen: 0,
    });
    expect(points.find((p) => p.date === '2026-09-01')).toMatchObject({ toppedUpFen: 1_000_000 });
    expect(points).toHaveLength(248);
    expect(got.body.topUps).toEqual([expect.objectContaining({ ref: 'T1', by: 'finance1' })]);
    // 9,000 yuan over 30 days: 300 a day; 5,001,000 yuan last 16,670 days.
    expect(got.body.runOut).toEqual({ dailyFen: 30_000, date: '2072-04-26' });
    expect(got.body.today).toBe('2026-09-05');
  });
});

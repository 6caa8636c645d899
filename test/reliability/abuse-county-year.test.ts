// A hostile or careless caller against objections and appeals, the relief funds, the bank's result
// file, reissue, reconciliation and the notice board: every route through its real handler over
// the in-memory world, each refusal a specific 4xx code, nothing changed that should not be, and
// every answer and log line searched for the personal data the test world holds.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { lambdaContext } from '#cli/local/world.ts';
import { claimRecord, demoRosterCsv, makeWorld, type World } from '#test/support/fixtures.ts';
import { makeHandler as makeObject } from '#functions/handlers/object-claim.ts';
import { makeHandler as makeAppeal } from '#functions/handlers/appeal-claim.ts';
import { makeHandler as makeDecide } from '#functions/handlers/decide-review.ts';
import { makeHandler as makeTopUp } from '#functions/handlers/top-up-fund.ts';
import { makeHandler as makeGetFund } from '#functions/handlers/get-fund.ts';
import { makeHandler as makeHistory } from '#functions/handlers/get-fund-history.ts';
import { makeHandler as makeReissue } from '#functions/handlers/reissue-claim.ts';
import { makeHandler as makeReconciliation } from '#functions/handlers/get-reconciliation.ts';
import { makeHandler as makeNotices } from '#functions/handlers/list-notices.ts';
import { accountSha256, parseNumberedBankCsv } from '#shared/bank-result.ts';
import { storeBankResults } from '#shared/bank-import.ts';
import type { ClaimRecord, LedgerEntry } from '#shared/claim.ts';
import { parseRosterCsv } from '#shared/roster.ts';

const roster = parseRosterCsv(demoRosterCsv).periods;
/** Every name, ID number and bank account of the test world's roster. */
const secrets = [...new Set(roster.flatMap((p) => [p.headName, p.idNumber, p.bankAccount]))];
const leaked = (text: string) => secrets.filter((s) => text.includes(s));
const F001 = roster.find((p) => p.householdId === 'HH-F001')!;

type User = { name: string; groups: string };
const as = (name: string, ...roles: string[]): User => ({ name, groups: `[${roles.join(' ')}]` });
const users = {
  worker1: as('worker1', 'gridWorker'),
  worker2: as('worker2', 'gridWorker'),
  village1: as('village1', 'villageVerifier'),
  village2: as('village2', 'villageVerifier'),
  insurer1: as('insurer1', 'insurer'),
  auditor1: as('auditor1', 'auditor'),
  finance1: as('finance1', 'finance'),
  admin1: as('admin1', 'admin'),
};

interface Call {
  user: User | null;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

function event({ user, params = {}, query, body }: Call) {
  return {
    version: '2.0',
    routeKey: 'ANY /x',
    rawPath: '/x',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: params,
    ...(query ? { queryStringParameters: query } : {}),
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '0',
      apiId: 'api',
      domainName: 'x',
      domainPrefix: 'x',
      http: { method: 'POST', path: '/x', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
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
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

type Route = (e: APIGatewayProxyEventV2WithJWTAuthorizer, c: ReturnType<typeof lambdaContext>) => unknown;

async function call(route: Route, c: Call) {
  const r = (await route(event(c), lambdaContext('test'))) as { statusCode: number; body: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are inspected ad hoc
  let body: any;
  try {
    body = JSON.parse(r.body);
  } catch {
    body = undefined;
  }
  return { status: r.statusCode, text: r.body, body };
}

/** Everything the handlers write to stdout/stderr (the Powertools logger) while `run` runs. */
async function captureLogs(run: () => Promise<void>): Promise<string> {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  }
  return lines.join('');
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const assessment = {
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
  rosterStatus: 'out_of_poverty' as const,
};

/** A claim of HH-F001 (worker1's household, region demo-fund) stored as `over` says. */
async function stored(
  world: World,
  over: Partial<ClaimRecord>,
  rejectedAt?: string,
  reason?: 'REVIEW_REJECTED' | 'CAP_EXHAUSTED',
) {
  const c = claimRecord({
    householdId: 'HH-F001',
    region: 'demo-fund',
    village: '东山村',
    payoutFen: 812_000,
    requiredGates: ['village', 'department', 'audit'],
    gates: { village: { decision: 'reject', by: 'village1', at: '2026-09-05T01:00:00.000Z' } },
    assessment,
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
            reason: reason ?? 'REVIEW_REJECTED',
          },
        ]
      : [],
  );
  return c.claimId;
}

const rejected = (world: World) =>
  stored(world, { state: 'REJECTED', reason: 'REVIEW_REJECTED' }, '2026-09-05T01:00:00.000Z');

describe('objections and appeals', () => {
  it('another worker, a reviewer, junk path ids: refused with specific codes, claim untouched', async () => {
    const world = await makeWorld();
    const appeal = makeAppeal(() => world) as Route;
    const claimId = await rejected(world);
    const before = await world.store.get(claimId);
    const cases: [Call, number, string][] = [
      [{ user: users.worker2, params: { claimId }, body: { text: '复核' } }, 403, 'NOT_YOUR_HOUSEHOLD'],
      [{ user: users.village1, params: { claimId }, body: { text: '复核' } }, 403, 'FORBIDDEN'],
      [{ user: null, params: { claimId }, body: { text: '复核' } }, 401, 'UNAUTHENTICATED'],
      [
        { user: users.worker1, params: { claimId: `${claimId}%2F..` }, body: { text: '复核' } },
        400,
        'BAD_CLAIM_ID',
      ],
      [{ user: users.worker1, params: { claimId: '../../x' }, body: { text: '复核' } }, 400, 'BAD_CLAIM_ID'],
      [
        { user: users.worker1, params: { claimId: 'x'.repeat(65) }, body: { text: '复核' } },
        400,
        'BAD_CLAIM_ID',
      ],
      [{ user: users.worker1, params: { claimId: '01UNKNOWN' }, body: { text: '复核' } }, 404, 'NOT_FOUND'],
    ];
    for (const [c, status, code] of cases) {
      const r = await call(appeal, c);
      expect([r.status, r.body.error.code], JSON.stringify(c.params)).toEqual([status, code]);
      expect(r.text).not.toContain('..');
    }
    expect(await world.store.get(claimId)).toEqual(before);
    expect(world.reviewsLog.started).toEqual([]);
  });

  it('two different appeals at once: one wins, the other is ALREADY_APPEALED; one round starts', async () => {
    const world = await makeWorld();
    const appeal = makeAppeal(() => world) as Route;
    const claimId = await rejected(world);
    const [a, b] = await Promise.all([
      call(appeal, { user: users.worker1, params: { claimId }, body: { text: '复核一' } }),
      call(appeal, { user: users.worker1, params: { claimId }, body: { text: '复核二' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.status === 409)!.body.error.code).toBe('ALREADY_APPEALED');
    const history = await world.store.history(claimId);
    expect(history.filter((e) => e.to === 'APPEALED')).toHaveLength(1);
    expect(new Set(world.reviewsLog.started).size).toBe(1);
  });

  it('the same appeal twice at once (a lost answer): both 200, one history line', async () => {
    const world = await makeWorld();
    const appeal = makeAppeal(() => world) as Route;
    const claimId = await rejected(world);
    const both = await Promise.all(
      [1, 2].map(() => call(appeal, { user: users.worker1, params: { claimId }, body: { text: '复核' } })),
    );
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect((await world.store.history(claimId)).filter((e) => e.to === 'APPEALED')).toHaveLength(1);
  });

  it('a cap-exhausted rejection, a late appeal, a second appeal after the round: 409 with params', async () => {
    const world = await makeWorld();
    const appeal = makeAppeal(() => world) as Route;
    const cap = await stored(
      world,
      { state: 'REJECTED', reason: 'CAP_EXHAUSTED', gates: {} },
      '2026-09-05T01:00:00.000Z',
      'CAP_EXHAUSTED',
    );
    const r = await call(appeal, { user: users.worker1, params: { claimId: cap }, body: { text: '复核' } });
    expect([r.status, r.body.error.code, r.body.error.params]).toEqual([
      409,
      'NOT_APPEALABLE',
      { state: 'REJECTED', reason: 'CAP_EXHAUSTED' },
    ]);
    const late = await stored(
      world,
      { state: 'REJECTED', reason: 'REVIEW_REJECTED' },
      '2026-07-01T01:00:00.000Z',
    );
    const tooLate = await call(appeal, {
      user: users.worker1,
      params: { claimId: late },
      body: { text: '复核' },
    });
    expect([tooLate.status, tooLate.body.error.code]).toEqual([409, 'APPEAL_TOO_LATE']);
    // Rejected again after its appeal round: the one appeal is spent.
    const again = await stored(
      world,
      {
        state: 'REJECTED',
        reason: 'REVIEW_REJECTED',
        appeal: { by: 'worker1', at: '2026-09-04T01:00:00.000Z', text: '复核' },
      },
      '2026-09-05T01:00:00.000Z',
    );
    const twice = await call(appeal, {
      user: users.worker1,
      params: { claimId: again },
      body: { text: '复核' },
    });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'ALREADY_APPEALED']);
    for (const id of [cap, late, again]) expect((await world.store.get(id))?.state).toBe('REJECTED');
    expect(world.reviewsLog.started).toEqual([]);
  });

  it('objection text of 10,000 chars, only whitespace or holding an ID number never comes back', async () => {
    const world = await makeWorld();
    const object = makeObject(() => world) as Route;
    const onNotice = () =>
      stored(world, { state: 'NOTICE', noticeEndsAt: '2026-09-10T16:00:00.000Z', gates: {} });
    const claimId = await onNotice();
    const bodies: unknown[] = [
      { text: `${F001.idNumber}${'字'.repeat(10_000)}` },
      { text: ' \t\n\u3000 ' },
      { text: '' },
      { text: F001.idNumber, idNumber: F001.idNumber },
      { text: 42 },
      `{"text":"${F001.idNumber}"`,
      '[]',
    ];
    let answers = '';
    const logs = await captureLogs(async () => {
      for (const body of bodies) {
        const r = await call(object, { user: users.village2, params: { claimId }, body });
        expect(r.status, JSON.stringify(body).slice(0, 40)).toBe(400);
        expect(['INVALID_REQUEST', 'BAD_JSON', 'INVALID_JSON']).toContain(r.body.error.code);
        answers += r.text;
      }
    });
    expect(leaked(answers + logs)).toEqual([]);
    expect(answers + logs).not.toContain('字字字');
    expect((await world.store.get(claimId))?.state).toBe('NOTICE');
    // A grid worker may not object at all; a claim not on notice is NOT_ON_NOTICE.
    const worker = await call(object, { user: users.worker1, params: { claimId }, body: { text: '异议' } });
    expect([worker.status, worker.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const paid = await stored(world, { state: 'PAID', gates: {} });
    const notOn = await call(object, {
      user: users.village2,
      params: { claimId: paid },
      body: { text: '异议' },
    });
    expect([notOn.status, notOn.body.error.code]).toEqual([409, 'NOT_ON_NOTICE']);
    expect(world.reviewsLog.started).toEqual([]);
  });

  it('a valid objection naming an ID number: the log holds no trace of it, the claim keeps it masked', async () => {
    const world = await makeWorld();
    const object = makeObject(() => world) as Route;
    const claimId = await stored(world, {
      state: 'NOTICE',
      noticeEndsAt: '2026-09-10T16:00:00.000Z',
      gates: {},
    });
    const logs = await captureLogs(async () => {
      const r = await call(object, {
        user: users.village2,
        params: { claimId },
        body: { text: `户主身份证 ${F001.idNumber} 有误` },
      });
      expect(r.status).toBe(200);
    });
    expect(leaked(logs)).toEqual([]);
    const kept = (await world.store.get(claimId))?.objections?.at(-1)?.text ?? '';
    expect(kept).not.toContain(F001.idNumber);
    expect(kept).toContain(`****${F001.idNumber.slice(-4)}`);
  });

  it('the objector may not decide a gate; a reviewer of round one may not decide the appeal round', async () => {
    const world = await makeWorld();
    const object = makeObject(() => world) as Route;
    const appeal = makeAppeal(() => world) as Route;
    const decide = makeDecide(() => world) as Route;
    const onNotice = await stored(world, {
      state: 'NOTICE',
      noticeEndsAt: '2026-09-10T16:00:00.000Z',
      gates: {},
    });
    expect(
      (await call(object, { user: users.village2, params: { claimId: onNotice }, body: { text: '异议' } }))
        .status,
    ).toBe(200);
    const byObjector = await call(decide, {
      user: users.village2,
      params: { claimId: onNotice },
      body: { gate: 'village', decision: 'approve' },
    });
    expect([byObjector.status, byObjector.body.error.code]).toEqual([403, 'OBJECTED']);

    const claimId = await rejected(world);
    expect(
      (await call(appeal, { user: users.worker1, params: { claimId }, body: { text: '复核' } })).status,
    ).toBe(200);
    const byRoundOne = await call(decide, {
      user: users.village1,
      params: { claimId },
      body: { gate: 'village', decision: 'reject' },
    });
    expect([byRoundOne.status, byRoundOne.body.error.code]).toEqual([403, 'DECIDED_EARLIER_ROUND']);
    const after = await world.store.get(claimId);
    expect([after?.state, after?.gates]).toEqual(['APPEALED', {}]);
  });
});

describe('fund top-ups', () => {
  async function fundWorld() {
    const world = await makeWorld();
    const deps = { ...world, funds: world.store };
    return {
      world,
      topUp: makeTopUp(() => deps) as Route,
      getFund: makeGetFund(() => deps) as Route,
      history: makeHistory(() => deps) as Route,
    };
  }

  it.each([
    ['-1', 'BAD_AMOUNT'],
    ['0', 'BAD_AMOUNT'],
    ['0.00', 'BAD_AMOUNT'],
    ['1e3', 'BAD_AMOUNT'],
    ['0.001', 'BAD_AMOUNT'],
    ['10000001', 'BAD_AMOUNT'],
    [' 100', 'BAD_AMOUNT'],
    ['１００', 'BAD_AMOUNT'],
    ['100 ', 'BAD_AMOUNT'],
    ['1,000', 'BAD_AMOUNT'],
    ['NaN', 'BAD_AMOUNT'],
    ['0x10', 'BAD_AMOUNT'],
  ])('amount %j: 400 %s, the fund unchanged', async (amount, code) => {
    const { world, topUp } = await fundWorld();
    const r = await call(topUp, {
      user: users.finance1,
      params: { region: 'demo-fund' },
      body: { amount, ref: 'R1' },
    });
    expect([r.status, r.body.error.code]).toEqual([400, code]);
    expect(await world.store.topUps('demo-fund')).toEqual([]);
  });

  it('a number, not a string, and bad refs: 400, nothing recorded', async () => {
    const { world, topUp } = await fundWorld();
    const bodies: unknown[] = [
      { amount: 100, ref: 'R1' },
      { amount: '100', ref: 'x'.repeat(65) },
      { amount: '100', ref: 'R\u0000' },
      { amount: '100', ref: 'R\u202e1' },
      { amount: '100', ref: 'R\u200b1' },
      { amount: '100', ref: 'R\u20281' },
      { amount: '100', ref: '\u3000R1' },
      { amount: '100', ref: 'R1', region: 'demo' },
      { amount: '100' },
    ];
    const statuses: number[] = [];
    for (const body of bodies) {
      const r = await call(topUp, { user: users.finance1, params: { region: 'demo-fund' }, body });
      statuses.push(r.status);
    }
    expect(statuses).toEqual(bodies.map(() => 400));
    expect(await world.store.topUps('demo-fund')).toEqual([]);
  });

  it('the same ref with another amount adds nothing and says so', async () => {
    const { world, topUp } = await fundWorld();
    const first = await call(topUp, {
      user: users.finance1,
      params: { region: 'demo-fund' },
      body: { amount: '100', ref: 'R1' },
    });
    expect([first.status, first.body.applied, first.body.topUp.amountFen]).toEqual([200, true, 10_000]);
    const again = await call(topUp, {
      user: users.admin1,
      params: { region: 'demo-fund' },
      body: { amount: '9999999', ref: 'R1' },
    });
    expect([again.status, again.body.applied, again.body.topUp.amountFen, again.body.topUp.by]).toEqual([
      200,
      false,
      10_000,
      'finance1',
    ]);
    expect(again.body.toppedUpFen).toBe(10_000);
    expect((await world.store.topUps('demo-fund')).map((t) => t.amountFen)).toEqual([10_000]);
  });

  it('the same ref twice at once adds the money once', async () => {
    const { world, topUp } = await fundWorld();
    const both = await Promise.all(
      ['100', '200'].map((amount) =>
        call(topUp, { user: users.finance1, params: { region: 'demo-fund' }, body: { amount, ref: 'R1' } }),
      ),
    );
    expect(both.map((r) => r.body.applied).sort()).toEqual([false, true]);
    expect(await world.store.topUps('demo-fund')).toHaveLength(1);
    const fund = await world.store.fund('demo-fund', 0);
    expect(fund.toppedUpFen).toBe((await world.store.topUps('demo-fund'))[0]!.amountFen);
  });

  it('insurer, grid worker, auditor may not top up; unknown or fundless regions are 404', async () => {
    const { world, topUp, getFund, history } = await fundWorld();
    for (const user of [users.insurer1, users.worker1, users.auditor1, users.village1]) {
      const r = await call(topUp, { user, params: { region: 'demo-fund' }, body: { amount: '1', ref: 'R' } });
      expect([r.status, r.body.error.code]).toEqual([403, 'FORBIDDEN']);
    }
    for (const region of [
      'demo',
      'nowhere',
      'DEMO-FUND',
      'demo-fund%2F..',
      '../demo-fund',
      'x'.repeat(1000),
      '',
    ]) {
      for (const route of [topUp, getFund, history]) {
        const r = await call(route, {
          user: users.finance1,
          params: { region },
          body: { amount: '1', ref: 'R' },
        });
        expect([r.status, r.body.error.code], region.slice(0, 20)).toEqual([404, 'NO_FUND']);
        expect(r.text).not.toContain('xxxx');
      }
    }
    const missing = await call(topUp, { user: users.finance1, body: { amount: '1', ref: 'R' } });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NO_FUND']);
    expect(await world.store.topUps('demo')).toEqual([]);
    expect(await world.store.topUps('demo-fund')).toEqual([]);
  });
});

const ledgerEntry = (c: ClaimRecord): LedgerEntry => ({
  claimId: c.claimId,
  householdId: c.householdId!,
  region: 'demo-fund',
  village: '东山村',
  category: 'education',
  gridWorker: 'worker1',
  payoutFen: c.payoutFen ?? 0,
  capYear: 2026,
  policyId: 'demo-fund',
  policyVersion: 1,
  paidAt: '2026-09-05T02:00:00.000Z',
  paidDate: '2026-09-05',
});

async function paidClaim(world: World, over: Partial<ClaimRecord> = {}) {
  const claim = claimRecord({
    householdId: 'HH-F001',
    region: 'demo-fund',
    village: '东山村',
    state: 'PAID',
    payoutFen: 100_000,
    assessment,
    ...over,
  });
  await world.store.loadClaims([{ claim, events: [], ledger: ledgerEntry(claim) }]);
  return claim.claimId;
}

describe('reissue', () => {
  it('a PAID claim, an unchanged account, a grid worker, junk ids: refused, nothing moves', async () => {
    const world = await makeWorld();
    const reissue = makeReissue(() => world) as Route;
    const paid = await paidClaim(world);
    const failed = await paidClaim(world, { state: 'DISBURSEMENT_FAILED' });
    const c = (await world.store.get(failed))!;
    const withFailure = {
      ...c,
      bankFailure: { reason: 'x', at: 't', accountSha256: await accountSha256(failed, F001.bankAccount) },
    };
    await world.store.loadClaims([{ claim: withFailure, events: [], ledger: ledgerEntry(withFailure) }]);
    let answers = '';
    const logs = await captureLogs(async () => {
      const cases: [User, string, number, string][] = [
        [users.finance1, paid, 409, 'NOT_DISBURSEMENT_FAILED'],
        [users.finance1, failed, 409, 'ACCOUNT_UNCHANGED'],
        [users.worker1, failed, 403, 'FORBIDDEN'],
        [users.auditor1, failed, 403, 'FORBIDDEN'],
        [users.finance1, `${failed}%2F..`, 400, 'BAD_CLAIM_ID'],
        [users.finance1, `${failed}/x`, 400, 'BAD_CLAIM_ID'],
      ];
      for (const [user, claimId, status, code] of cases) {
        const r = await call(reissue, { user, params: { claimId } });
        expect([r.status, r.body.error.code], `${user.name} ${claimId}`).toEqual([status, code]);
        answers += r.text;
      }
    });
    expect(leaked(answers + logs)).toEqual([]);
    expect((await world.store.get(paid))?.state).toBe('PAID');
    expect((await world.store.get(failed))?.state).toBe('DISBURSEMENT_FAILED');
    expect(world.store.ledger.get(failed)?.reissues).toBeUndefined();
  });
});

describe('the bank result file', () => {
  const HEADER = 'claimId,bankAccount,amount,status,bankRef,reason';

  it('3 decimals, unknown status words, a huge reason: refused or cut, no account echoed', async () => {
    const acct = F001.bankAccount;
    const csv = [
      HEADER,
      `C1,${acct},1000.001,success,R1,`,
      `C2,${acct},1000,ok,R2,`,
      `C3,${acct},1000,SUCCESS,R3,`,
      `C4,${acct},1000,failed,,${`账户 ${acct} 冻结 `.repeat(500)}`,
      `C5,${acct},-1,success,R5,`,
      `C6,${acct},１０００,success,R6,`,
      `C7/../x,${acct},1000,success,R7,`,
    ].join('\r\n');
    const { numbered, rejected } = parseNumberedBankCsv(csv);
    expect(rejected.map((r) => [r.row, r.reasons[0]?.code])).toEqual([
      [2, 'AMOUNT_DECIMALS'],
      [3, 'BANK_STATUS_UNKNOWN'],
      [6, 'AMOUNT_NEGATIVE'],
      [7, 'AMOUNT_INVALID'],
      [8, 'BANK_BAD_CLAIM_ID'],
    ]);
    expect(numbered.map((n) => [n.row, n.line.status])).toEqual([
      [4, 'success'],
      [5, 'failed'],
    ]);
    const reason = numbered[1]!.line.reason!;
    expect(Array.from(reason).length).toBeLessThanOrEqual(200);
    expect(leaked(JSON.stringify({ rejected, reason }))).toEqual([]);
  });

  it('a claim named twice in one file (success, then failed): the second row is refused', async () => {
    const world = await makeWorld();
    const claimId = await paidClaim(world);
    const acct = F001.bankAccount;
    const csv = [HEADER, `${claimId},${acct},1000,success,R1,`, `${claimId},${acct},1000,failed,,退回`].join(
      '\n',
    );
    const { numbered, rejected } = parseNumberedBankCsv(csv);
    expect(rejected).toEqual([
      { row: 3, reasons: [{ code: 'BANK_CLAIM_TWICE', params: { field: 'claimId', earlierRow: 2 } }] },
    ]);
    const deps = { claims: world.store, roster: world.store, clock: world.clock };
    const job = { jobId: '01JOB0000000000000000000AA', createdBy: 'finance1' };
    const result = await storeBankResults(deps, numbered, job);
    expect(result.outcomes).toEqual({ disbursed: 1, failed: 0 });
    // The failed row alone, in a later file: the claim is no longer PAID, so it applies to nothing.
    const later = parseNumberedBankCsv([HEADER, `${claimId},${acct},1000,failed,,退回`].join('\n'));
    const second = await storeBankResults(deps, later.numbered, {
      ...job,
      jobId: '01JOB0000000000000000000BB',
    });
    expect(second.outcomes).toEqual({ disbursed: 0, failed: 0 });
    expect(second.rejected.map((r) => r.reasons[0]?.code)).toEqual(['BANK_CLAIM_NOT_PAID']);
    expect((await world.store.get(claimId))?.state).toBe('DISBURSED');
    expect(world.store.ledger.get(claimId)?.failedAt).toBeUndefined();
  });

  it("a row of another region's claim with that household's account but a wrong amount: mismatched", async () => {
    const world = await makeWorld();
    const other = await paidClaim(world, {
      householdId: 'HH-0001',
      region: 'demo',
      village: '红星村',
      assessment: { ...assessment, policyId: 'demo', region: 'demo' },
    });
    const hh1 = roster.find((p) => p.householdId === 'HH-0001')!;
    const { numbered } = parseNumberedBankCsv(
      [HEADER, `${other},${hh1.bankAccount},1000.01,success,R1,`].join('\n'),
    );
    const result = await storeBankResults(
      { claims: world.store, roster: world.store, clock: world.clock },
      numbered,
      { jobId: '01JOB0000000000000000000AA', createdBy: 'finance1' },
    );
    expect(result.rejected.map((r) => r.reasons[0]?.code)).toEqual(['BANK_AMOUNT_MISMATCH']);
    expect((await world.store.get(other))?.state).toBe('PAID');
  });
});

describe('reconciliation and the notice board', () => {
  it('from after to, ten years, junk dates: 400; a good month answers', async () => {
    const world = await makeWorld();
    const rec = makeReconciliation(() => world) as Route;
    for (const query of <Record<string, string>[]>[
      { from: '2026-09-30', to: '2026-09-01' },
      { from: '2016-01-01', to: '2026-01-01' },
      { from: '2026-02-30', to: '2026-03-01' },
      { from: '2026-9-1', to: '2026-09-30' },
      { from: '2026-09-01' },
      { from: '2026-09-01', to: '2026-09-30', region: 'x'.repeat(1000) },
      { from: '2026-09-01', to: '2026-09-30', category: "' OR 1=1 --" },
    ]) {
      const r = await call(rec, { user: users.finance1, query });
      expect([r.status, r.body.error.code], JSON.stringify(query).slice(0, 60)).toEqual([
        400,
        'INVALID_REQUEST',
      ]);
      expect(r.text).not.toContain('xxxx');
    }
    const ok = await call(rec, { user: users.finance1, query: { from: '2026-09-01', to: '2026-09-30' } });
    expect([ok.status, ok.body.paidFen]).toEqual([200, 0]);
    const worker = await call(rec, { user: users.worker1, query: { from: '2026-09-01', to: '2026-09-30' } });
    expect([worker.status, worker.body.error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('region or village of 1,000 chars: 400; SQL or JSON junk: an empty board, never an error', async () => {
    const world = await makeWorld();
    await stored(world, { state: 'NOTICE', noticeEndsAt: '2026-09-10T16:00:00.000Z', gates: {} });
    const notices = makeNotices(() => world) as Route;
    for (const query of <Record<string, string>[]>[
      { region: 'x'.repeat(1000), village: '东山村' },
      { region: 'demo-fund', village: '村'.repeat(1000) },
      { region: 'demo-fund' },
      { region: '   ', village: '东山村' },
    ]) {
      const r = await call(notices, { user: users.worker2, query });
      expect([r.status, r.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      expect(r.text).not.toContain('xxxx');
      expect(r.text).not.toContain('村村');
    }
    for (const query of [
      { region: "demo-fund' OR '1'='1", village: '东山村' },
      { region: 'demo-fund', village: '{"$ne":null}' },
      { region: 'demo-fund', village: '东山村%2F..' },
      { region: 'demo-fund', village: '*' },
    ]) {
      const r = await call(notices, { user: users.worker2, query });
      expect([r.status, r.body.entries], JSON.stringify(query)).toEqual([200, []]);
    }
    const good = await call(notices, {
      user: users.worker2,
      query: { region: 'demo-fund', village: '东山村' },
    });
    expect(good.status).toBe(200);
    expect(good.body.entries).toHaveLength(1);
    expect(leaked(good.text)).toEqual([]);
  });
});

describe('races and leftovers', () => {
  it('two verifiers object at once: one round, the other NOT_ON_NOTICE', async () => {
    const world = await makeWorld();
    const object = makeObject(() => world) as Route;
    const claimId = await stored(world, {
      state: 'NOTICE',
      noticeEndsAt: '2026-09-10T16:00:00.000Z',
      gates: {},
    });
    const both = await Promise.all(
      [users.village2, users.admin1].map((user) =>
        call(object, { user, params: { claimId }, body: { text: '异议' } }),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.body.error.code).toBe('NOT_ON_NOTICE');
    expect((await world.store.get(claimId))?.objections).toHaveLength(1);
    expect(world.reviewsLog.started).toEqual([`${claimId}-objection-1`]);
  });

  it('an objection after the notice end but before the payout ran: taken (one of the two wins)', async () => {
    const world = await makeWorld(); // 2026-09-05 10:00 in China
    const object = makeObject(() => world) as Route;
    const claimId = await stored(world, {
      state: 'NOTICE',
      noticeEndsAt: '2026-09-04T16:00:00.000Z',
      gates: {},
    });
    const r = await call(object, { user: users.village2, params: { claimId }, body: { text: '异议' } });
    expect([r.status, r.body.claim.state]).toEqual([200, 'PENDING_REVIEW']);
  });

  it('two reissues at once after the account was corrected: one sends, the other 409', async () => {
    const world = await makeWorld();
    const reissue = makeReissue(() => world) as Route;
    const failed = await paidClaim(world, { state: 'DISBURSEMENT_FAILED' });
    const c = (await world.store.get(failed))!;
    const withFailure = {
      ...c,
      bankFailure: {
        reason: 'x',
        at: 't',
        accountSha256: await accountSha256(failed, '6230900000000009999'),
      },
    };
    await world.store.loadClaims([
      { claim: withFailure, events: [], ledger: { ...ledgerEntry(withFailure), failedAt: 't' } },
    ]);
    const both = await Promise.all(
      [1, 2].map(() => call(reissue, { user: users.finance1, params: { claimId: failed } })),
    );
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.body.error.code).toBe('NOT_DISBURSEMENT_FAILED');
    expect(world.store.ledger.get(failed)?.reissues).toBe(1);
  });

  it('reconciliation CSV: a region typed as a formula is not written as one', async () => {
    const world = await makeWorld();
    const rec = makeReconciliation(() => world) as Route;
    for (const region of ['=1+1', '+SUM(A1)', '@cmd', '-1+1']) {
      const r = await call(rec, {
        user: users.finance1,
        query: { from: '2026-09-01', to: '2026-09-30', region, format: 'csv' },
      });
      expect(
        r.status === 400 || !/(^|,|\n)"?[=+@-]/.test(r.text.replace(/^\uFEFF/, '')),
        `${region}: ${r.text}`,
      ).toBe(true);
    }
  });
});

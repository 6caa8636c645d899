// GET /claims/{claimId}/review-context through its handler over in-memory ports: who may read
// it, what the household looks like to a reviewer (head's name in full, ID number masked, no bank
// account), the household's other claims of the year and category, the cap, and logs that hold
// none of the personal data.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { makeWorld, upload, type World } from '#test/support/fixtures.ts';
import { runAssessSteps } from '#cli/local/world.ts';
import { makeHandler } from '#functions/handlers/get-review-context.ts';
import { reviewContext } from '#shared/api/review-context.ts';
import { parseRosterCsv } from '#shared/roster.ts';
import { demoRosterCsv } from '#test/support/fixtures.ts';

const context = { awsRequestId: 'req-1', functionName: 'test' } as Context;

function event(user: { name: string; groups: string } | null, claimId: string) {
  return {
    version: '2.0',
    routeKey: 'GET /claims/{claimId}/review-context',
    rawPath: `/claims/${claimId}/review-context`,
    rawQueryString: '',
    headers: {},
    pathParameters: { claimId },
    isBase64Encoded: false,
    requestContext: {
      accountId: '0',
      apiId: 'api',
      domainName: 'x',
      domainPrefix: 'x',
      http: { method: 'GET', path: '/x', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: 'GET /claims/{claimId}/review-context',
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

const users = {
  worker1: { name: 'worker1', groups: '[gridWorker]' },
  worker2: { name: 'worker2', groups: '[gridWorker]' },
  finance1: { name: 'finance1', groups: '[finance]' },
  village1: { name: 'village1', groups: '[villageVerifier]' },
  insurer1: { name: 'insurer1', groups: '[insurer]' },
  auditor1: { name: 'auditor1', groups: '[auditor]' },
  admin1: { name: 'admin1', groups: '[admin]' },
};

// HH-0005 has two roster periods: out_of_poverty from 2024-01-01, sudden_hardship from 2025-03-15.
const hh5 = parseRosterCsv(demoRosterCsv).periods.filter((p) => p.householdId === 'HH-0005');
const head = hh5[0]!.headName;
const idNumber = hh5[0]!.idNumber;
const bankAccount = hh5[0]!.bankAccount;

/** A household year: one claim paid, one of another category, one of last year, one in review. */
async function householdYear(world: World) {
  const paid = upload(world, { householdId: 'HH-0005', totalCost: '15000', expenseDate: '2026-08-01' });
  expect(await runAssessSteps(world, paid.key)).toBe('paid');
  const medical = upload(world, {
    householdId: 'HH-0005',
    category: 'medical',
    totalCost: '30000',
    reimbursed: '12000',
    expenseDate: '2026-08-02',
  });
  await runAssessSteps(world, medical.key);
  const lastYear = upload(world, { householdId: 'HH-0005', totalCost: '16000', expenseDate: '2025-12-01' });
  await runAssessSteps(world, lastYear.key);
  const review = upload(world, { householdId: 'HH-0005', totalCost: '22700', expenseDate: '2026-09-01' });
  expect(await runAssessSteps(world, review.key)).toBe('review');
  return { paid: paid.claimId, review: review.claimId };
}

const json = (result: unknown) => {
  const r = result as { statusCode: number; body: string };
  return { status: r.statusCode, text: r.body, body: JSON.parse(r.body) as Record<string, unknown> };
};

describe('GET /claims/{claimId}/review-context', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('shows reviewers the household, its year in this category and the cap; never the ID number', async () => {
    const world = await makeWorld();
    const { paid, review } = await householdYear(world);
    const get = makeHandler(() => world);
    // The members file's people for the household: the head and a child.
    const childId = '430381201003010016';
    await world.roster.storeMembers([
      { householdId: 'HH-0005', idNumber, name: head, relation: 'head' },
      { householdId: 'HH-0005', idNumber: childId, name: '李小明', relation: 'child' },
    ]);

    const answer = json(await get(event(users.village1, review), context));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      claimId: review,
      category: 'education',
      capYear: 2026,
      household: {
        householdId: 'HH-0005',
        region: 'demo',
        village: hh5[0]!.village,
        headName: head,
        idNumber: `${idNumber.slice(0, 6)}********${idNumber.slice(-4)}`,
        memberCount: hh5[0]!.members,
        members: [
          { name: head, relation: 'head', idNumber: `${idNumber.slice(0, 6)}********${idNumber.slice(-4)}` },
          { name: '李小明', relation: 'child', idNumber: '430381********0016' },
        ],
        gridWorker: 'worker1',
        periods: [
          { status: 'out_of_poverty', from: '2024-01-01', until: '2025-03-15', coversExpense: false },
          { status: 'sudden_hardship', from: '2025-03-15', until: null, coversExpense: true },
        ],
      },
      // The paid claim only: not the medical one, not last year's, not the claim itself.
      otherClaims: [
        {
          claimId: paid,
          state: 'PAID',
          source: 'receipt',
          expenseDate: '2026-08-01',
          totalCostFen: 1_500_000,
          paidFen: 350_000,
          estimateFen: null,
          filedAt: expect.any(String) as string,
        },
      ],
      cap: {
        year: 2026,
        capFen: 2_000_000,
        usedFen: 350_000,
        remainingFen: 1_650_000,
        thisClaimFen: 812_000,
      },
    });
    expect(answer.text).not.toContain(idNumber);
    expect(answer.text).not.toContain(bankAccount);

    for (const user of [users.insurer1, users.auditor1, users.admin1]) {
      const other = json(await get(event(user, review), context));
      expect(other.status).toBe(200);
      expect((other.body.household as { headName: string }).headName).toBe(head);
      // Even admin, who keeps the roster: verifying needs no ID number.
      expect(other.text).not.toContain(idNumber);
    }
  });

  it('refuses a grid worker (even the household’s own) and finance with 403, saying nothing about the household', async () => {
    const world = await makeWorld();
    const { review } = await householdYear(world);
    const get = makeHandler(() => world);
    for (const user of [users.worker1, users.worker2, users.finance1]) {
      const refused = json(await get(event(user, review), context));
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
      expect(refused.text).not.toContain(head);
      expect(refused.text).not.toContain('HH-0005');
    }
    expect(json(await get(event(null, review), context)).status).toBe(401);
    // The rule lives in the shared function too, not only in the route table.
    await expect(
      reviewContext(world, { username: 'finance1', roles: ['finance'] }, review),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('answers 409 for a claim that never went to review and 404 for none, echoing neither id', async () => {
    const world = await makeWorld();
    const { paid } = await householdYear(world);
    const get = makeHandler(() => world);
    expect(json(await get(event(users.auditor1, paid), context))).toMatchObject({
      status: 409,
      body: { error: { code: 'NOT_IN_REVIEW' } },
    });
    const typo = json(await get(event(users.auditor1, idNumber), context));
    expect([400, 404]).toContain(typo.status);
    expect(typo.text).not.toContain(idNumber);
  });

  it('writes no head name, ID number or bank account to the logs, even at DEBUG', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    const world = await makeWorld();
    const { review, paid } = await householdYear(world);
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const get = makeHandler(() => world);
    expect(json(await get(event(users.village1, review), context)).status).toBe(200);
    // A store fault half-way (the household already read): the unexpected-error path logs.
    const faulty = makeHandler(() => ({
      ...world,
      claims: Object.assign(Object.create(world.claims) as typeof world.claims, {
        capUsed: () => Promise.reject(new Error('ProvisionedThroughputExceededException')),
      }),
    }));
    const failed = json(await faulty(event(users.village1, review), context));
    expect(failed.status).toBe(500);
    expect(failed.text).not.toContain(head);
    await get(event(users.finance1, review), context);
    await get(event(users.auditor1, paid), context);
    await get(event(users.auditor1, idNumber), context);
    vi.restoreAllMocks();
    const logs = lines.join('');
    // The fault is logged: the scan reads real lines.
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [head, idNumber, bankAccount]) expect(logs).not.toContain(secret);
  });
});

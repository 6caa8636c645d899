// The API handlers with API Gateway v2 event fixtures over in-memory ports: authorization from
// the JWT authorizer's claims, parsing, error mapping and masking.
import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { makeWorld, upload } from '#test/support/fixtures.ts';
import { runAssessSteps } from '#cli/local/world.ts';
import { makeHandler as makeGetClaim } from '#functions/handlers/get-claim.ts';
import { makeHandler as makeCreateClaim } from '#functions/handlers/create-claim.ts';
import { makeHandler as makeListHouseholds } from '#functions/handlers/list-households.ts';
import { makeHandler as makeImportRoster } from '#functions/handlers/import-roster.ts';
import { makeHandler as makeExport } from '#functions/handlers/export-ledger.ts';
import { makeHandler as makeQuote } from '#functions/handlers/quote-claim.ts';
import { makeHandler as makeHealth } from '#functions/handlers/get-health.ts';
import { makeHandler as makeRetry } from '#functions/handlers/retry-claim.ts';
import { markError } from '#shared/workflow/mark-error.ts';
import { principalOf } from '#functions/middleware.ts';
import { fenToYuan, yuanToFen } from '#shared/money.ts';
import { parseRosterCsv } from '#shared/roster.ts';
import { demoRosterCsv } from '#cli/local/demo-data.ts';

const context = { awsRequestId: 'req-1', functionName: 'test' } as Context;

/** An HTTP API event as API Gateway sends it after the JWT authorizer: groups as "[a b]". */
function event(
  user: { name: string; groups: string } | null,
  init: {
    body?: unknown;
    query?: Record<string, string>;
    params?: Record<string, string>;
    contentType?: string;
  } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === 'string'
        ? init.body
        : JSON.stringify(init.body);
  return {
    version: '2.0',
    routeKey: 'ANY /x',
    rawPath: '/x',
    rawQueryString: '',
    headers: { 'content-type': init.contentType ?? 'application/json' },
    ...(init.query ? { queryStringParameters: init.query } : {}),
    ...(init.params ? { pathParameters: init.params } : {}),
    ...(body !== undefined ? { body } : {}),
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

const worker1 = { name: 'worker1', groups: '[gridWorker]' };
const worker2 = { name: 'worker2', groups: '[gridWorker]' };
const admin1 = { name: 'admin1', groups: '[admin]' };
const finance1 = { name: 'finance1', groups: '[finance]' };
const insurer1 = { name: 'insurer1', groups: '[insurer]' };

const json = (result: unknown) => {
  const r = result as { statusCode: number; body: string };
  return {
    status: r.statusCode,
    body: JSON.parse(r.body) as Record<string, unknown> & { error?: { code: string; message: string } },
  };
};

describe('principalOf', () => {
  it.each([
    ['[finance admin]', ['finance', 'admin']],
    ['[gridWorker]', ['gridWorker']],
    ['finance', ['finance']],
    ['[]', []],
    ['[root]', []],
  ])('reads cognito:groups %j', (groups, roles) => {
    expect(principalOf(event({ name: 'u', groups }))?.roles).toEqual(roles);
  });

  it('has no principal without claims', () => {
    expect(principalOf(event(null))).toBeUndefined();
  });
});

describe('API handlers', () => {
  it('health needs no token; everything else does', async () => {
    const world = await makeWorld();
    expect(json(await makeHealth(() => world)(event(null), context)).status).toBe(200);
    expect(
      json(await makeGetClaim(() => world)(event(null, { params: { claimId: 'x' } }), context)).status,
    ).toBe(401);
  });

  it('a grid worker sees their own claim and gets 404 for another worker’s', async () => {
    const world = await makeWorld();
    const { claimId, key } = upload(world, { householdId: 'HH-0001' });
    await runAssessSteps(world, key);
    const getClaim = makeGetClaim(() => world);
    const own = json(await getClaim(event(worker1, { params: { claimId } }), context));
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ claimId, state: 'PAID', payoutFen: 350_000 });
    expect(own.body).not.toHaveProperty('gateTokens');
    expect(json(await getClaim(event(worker2, { params: { claimId } }), context)).status).toBe(404);
    expect(json(await getClaim(event(insurer1, { params: { claimId } }), context)).status).toBe(200);
  });

  it('creating a claim: own household gets scoped upload grants; another’s is refused', async () => {
    const world = await makeWorld();
    const create = makeCreateClaim(() => world);
    const body = {
      householdId: 'HH-0001',
      category: 'education',
      expenseDate: '2026-09-01',
      totalCost: '15000',
      receipts: [{ contentType: 'image/jpeg' }],
    };
    const ok = json(await create(event(worker1, { body }), context));
    expect(ok.status).toBe(201);
    const claimId = String(ok.body.claimId);
    expect((ok.body.receipts as { key: string }[])[0]?.key).toBe(`claims/${claimId}/receipt-1.jpg`);
    expect((ok.body.manifest as { key: string }).key).toBe(`claims/${claimId}/manifest.json`);
    const theirs = json(await create(event(worker2, { body }), context));
    expect(theirs).toMatchObject({ status: 403, body: { error: { code: 'NOT_YOUR_HOUSEHOLD' } } });
    const admin = json(await create(event(admin1, { body }), context));
    expect(admin.status).toBe(403);
  });

  it('bad bodies get a specific 400', async () => {
    const world = await makeWorld();
    const create = makeCreateClaim(() => world);
    const bad = json(
      await create(
        event(worker1, {
          body: {
            householdId: 'HH-0001',
            category: 'education',
            expenseDate: '2026-02-30',
            totalCost: '1e5',
            receipts: [],
          },
        }),
        context,
      ),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/expenseDate/);
    expect(bad.body.error?.message).toMatch(/exponent/);
    expect(json(await create(event(worker1, { body: '{not json' }), context)).body.error?.code).toBe(
      'BAD_JSON',
    );
  });

  it('households are masked for grid workers and whole for admin', async () => {
    const world = await makeWorld();
    const list = makeListHouseholds(() => world);
    const mine = json(await list(event(worker1), context));
    const first = (mine.body.items as { idNumber: string; headName: string; bankAccount: string }[])[0];
    expect(first?.idNumber).toMatch(/^\d{6}\*{8}\d{3}[\dX]$/);
    expect(first?.bankAccount).toMatch(/^\*{4} /);
    // 30 in demo, 4 in demo-fund.
    expect((mine.body.items as unknown[]).length).toBe(34);
    const admin = json(await list(event(admin1, { query: { gridWorker: 'worker1' } }), context));
    expect((admin.body.items as { idNumber: string }[])[0]?.idNumber).toMatch(/^\d{17}[\dX]$/);
  });

  it('a grid worker sees the full head names of their own households only; ID numbers stay masked', async () => {
    const world = await makeWorld();
    const list = makeListHouseholds(() => world);
    const roster = parseRosterCsv(demoRosterCsv()).periods;
    const headOf = new Map(roster.map((p) => [p.householdId, p.headName]));
    const idOf = new Map(roster.map((p) => [p.householdId, p.idNumber]));
    type Row = { householdId: string; headName: string; idNumber: string; gridWorker: string };
    const mine = json(await list(event(worker1), context)).body.items as Row[];
    expect(mine.length).toBeGreaterThan(0);
    for (const h of mine) {
      expect(h.gridWorker).toBe('worker1');
      expect(h.headName).toBe(headOf.get(h.householdId));
      expect(h.headName).not.toContain('*');
      expect(h.idNumber).not.toBe(idOf.get(h.householdId));
      expect(h.idNumber).toMatch(/^\d{6}\*{8}\d{3}[\dX]$/);
    }
    // Asking for another worker's households still answers with one's own (names in full).
    const asked = json(await list(event(worker2, { query: { gridWorker: 'worker1' } }), context)).body
      .items as Row[];
    expect(asked.every((h) => h.gridWorker === 'worker2' && !h.headName.includes('*'))).toBe(true);
    expect(asked.some((h) => mine.some((m) => m.householdId === h.householdId))).toBe(false);
    // A reviewer's view of worker1's households: names masked as before.
    const reviewer = json(await list(event(insurer1, { query: { gridWorker: 'worker1' } }), context)).body
      .items as Row[];
    expect(reviewer.length).toBe(mine.length);
    for (const h of reviewer) expect(h.headName).toMatch(/^.\*+$/u);
    // A user holding the grid worker role and a reviewer role sees names in full only where assigned.
    const both = { name: 'worker1', groups: '[gridWorker insurer]' };
    const mixed = json(await list(event(both, { query: { gridWorker: 'worker2' } }), context)).body
      .items as Row[];
    expect(mixed.length).toBeGreaterThan(0);
    for (const h of mixed) expect(h.headName).toMatch(/^.\*+$/u);
  });

  it('roster import reports each bad row and stores the good ones', async () => {
    const world = await makeWorld();
    const csv = [
      'householdId,region,village,headName,idNumber,members,status,statusFrom,gridWorker,bankAccount,annualIncome',
      'HH-0200,demo,红星村,李四,430381199001011234,3,marginal,2025-01-01,worker2,6230900000000000200,9000',
      'HH-0201,demo,红星村,王五,430381199001011235,3,marginal,2025-01-01,worker2,6230900000000000201,9000',
    ].join('\n');
    const r = json(
      await makeImportRoster(() => world)(event(admin1, { body: csv, contentType: 'text/csv' }), context),
    );
    expect(r.body).toMatchObject({ imported: 1, rejected: [{ row: 3 }] });
    expect(JSON.stringify(r.body)).not.toContain('430381199001011235');
    expect(
      json(
        await makeImportRoster(() => world)(event(worker1, { body: csv, contentType: 'text/csv' }), context),
      ).status,
    ).toBe(403);
  });

  it('the ledger export reconciles to the fen and is finance-only', async () => {
    const world = await makeWorld();
    for (const cost of ['15000', '15000.01', '14999.99'])
      await runAssessSteps(world, upload(world, { totalCost: cost, householdId: 'HH-0003' }).key);
    const exportLedger = makeExport(() => world);
    const query = { from: '2026-09-01', to: '2026-09-30' };
    const r = json(await exportLedger(event(finance1, { query }), context));
    expect(r.status).toBe(200);
    const saved = r.body as {
      name: string;
      format: string;
      url: string;
      bytes: number;
      expiresAt: string;
      totalFen: number;
    };
    expect(saved).toMatchObject({
      name: 'ledger-2026-09-01-2026-09-30.csv',
      format: 'csv',
      lang: 'zh',
      count: 3,
    });
    // The link works for 15 minutes from now (the world's clock).
    expect(Date.parse(saved.expiresAt) - world.clock.now().getTime()).toBe(15 * 60 * 1000);
    const file = world.exportFiles.files.get(saved.url);
    expect(file?.contentType).toBe('text/csv; charset=utf-8');
    expect(file?.bytes.length).toBe(saved.bytes);
    const lines = (file?.bytes.toString('utf8') ?? '').split('\r\n').filter(Boolean);
    expect(lines[0]?.startsWith('\uFEFF理赔编号,')).toBe(true);
    // One line per payout and no total line; the answer carries the control total.
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(3);
    const fens = rows.map((cells) => yuanToFen(cells[8] ?? ''));
    expect(rows.map((cells) => cells[8])).toEqual(fens.map(fenToYuan));
    const sum = fens.reduce((s, f) => s + f, 0);
    expect(saved.totalFen).toBe(sum);
    // 7,000.01 and 6,999.99 in the 50% band: 350,000.5 and 349,999.5 fen, each rounded half up.
    expect(sum).toBe(350_000 + 350_001 + 350_000);
    const english = json(await exportLedger(event(finance1, { query: { ...query, lang: 'en' } }), context));
    const enFile = world.exportFiles.files.get((english.body as { url: string }).url);
    expect(enFile?.bytes.toString('utf8').startsWith('\uFEFFClaim ID,')).toBe(true);
    expect(json(await exportLedger(event(insurer1, { query }), context)).status).toBe(403);
    expect(world.exportFiles.files.size).toBe(2);
    const xlsx = json(await exportLedger(event(finance1, { query: { ...query, format: 'xlsx' } }), context));
    const book = world.exportFiles.files.get((xlsx.body as { url: string }).url);
    expect(book?.name).toBe('ledger-2026-09-01-2026-09-30.xlsx');
    expect(book?.bytes.subarray(0, 2).toString()).toBe('PK');
    const bad = json(await exportLedger(event(finance1, { query: { ...query, format: 'pdf' } }), context));
    expect(bad.status).toBe(400);
    expect(
      json(await exportLedger(event(finance1, { query: { ...query, lang: 'fr' } }), context)).status,
    ).toBe(400);
    expect(world.exportFiles.files.size).toBe(3);
  });

  it('an admin retries a claim in ERROR: it goes back where it stopped and its workflow runs again', async () => {
    const world = await makeWorld();
    const retry = makeRetry(() => world);
    const post = (who: typeof admin1, claimId: string) =>
      retry(event(who, { params: { claimId } }), context).then(json);

    // The automatic path: validate-claim died, mark-error recorded ERROR from RECEIVED.
    const auto = upload(world, { householdId: 'HH-0002', totalCost: '15000' });
    await markError(world, { key: auto.key, error: { Error: 'Runtime.ExitError' } });
    expect((await post(worker1, auto.claimId)).status).toBe(403);
    expect((await world.store.get(auto.claimId))?.state).toBe('ERROR');
    const first = await post(admin1, auto.claimId);
    expect(first).toMatchObject({
      status: 200,
      body: { claimId: auto.claimId, state: 'RECEIVED', retried: true, resumed: 'assessment' },
    });
    const last = (await world.store.history(auto.claimId)).at(-1);
    expect(last).toMatchObject({ from: 'ERROR', to: 'RECEIVED', actor: 'admin1' });
    // Asked again (the first start was lost, say): re-driven again, nothing else changes.
    expect((await post(admin1, auto.claimId)).body).toMatchObject({ retried: false, resumed: 'assessment' });
    expect(await runAssessSteps(world, auto.key)).toBe('paid');
    // A paid claim: nothing to retry, nothing started.
    expect((await post(admin1, auto.claimId)).body).toEqual({
      claimId: auto.claimId,
      state: 'PAID',
      retried: false,
      resumed: null,
    });

    // The review path: a claim waiting on its gates is never given a second review run...
    const review = upload(world, { householdId: 'HH-0003', totalCost: '22700' });
    expect(await runAssessSteps(world, review.key)).toBe('review');
    expect((await post(admin1, review.claimId)).body).toMatchObject({
      state: 'PENDING_REVIEW',
      resumed: null,
    });
    // ...but one whose review run failed gets a new one, named for the attempt.
    await markError(world, { claimId: review.claimId, error: { Error: 'States.Timeout' } });
    expect((await post(admin1, review.claimId)).body).toMatchObject({
      state: 'PENDING_REVIEW',
      retried: true,
      resumed: 'review',
    });
    expect((await post(admin1, review.claimId)).body).toMatchObject({ retried: false, resumed: 'review' });
    expect(world.workflowsLog.started).toEqual([
      `assessment ${auto.claimId}`,
      `assessment ${auto.claimId}`,
      `review ${review.claimId} #1`,
      `review ${review.claimId} #1`,
    ]);
    expect((await post(admin1, '01JC0000000000000000000000')).status).toBe(404);
  });

  it('quote uses the household’s remaining cap', async () => {
    const world = await makeWorld();
    await runAssessSteps(world, upload(world, { householdId: 'HH-0005', totalCost: '15000' }).key);
    const q = json(
      await makeQuote(() => world)(
        event(worker1, {
          body: {
            category: 'education',
            totalCost: '50000',
            expenseDate: '2026-09-02',
            householdId: 'HH-0005',
          },
        }),
        context,
      ),
    );
    expect(q.body).toMatchObject({ grossFen: 2_700_000, capRemainingFen: 1_650_000, payoutFen: 1_650_000 });
  });
});

// A hostile or careless caller against the export jobs, import jobs, dashboard figures, review
// context, grid workers' household list and the roster store: every route through its real
// handler over in-memory ports (the roster store also against DynamoDB Local), every answer and
// every log line searched for the personal data the test world holds.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { lambdaContext, runAssessSteps, upload } from '#cli/local/world.ts';
import { makeWorld, demoRosterCsv, type World } from '#test/support/fixtures.ts';
import { MemoryJobs } from '#functions/adapters/memory/memory-jobs.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';
import { DynamoRosterStore } from '#functions/adapters/dynamo-roster-store.ts';
import { makeHandler as createExportHandler } from '#functions/handlers/create-export.ts';
import { makeHandler as getExportHandler } from '#functions/handlers/get-export.ts';
import { makeHandler as writeExportHandler } from '#functions/handlers/write-export.ts';
import { makeHandler as createImportHandler } from '#functions/handlers/create-import.ts';
import { makeHandler as getImportHandler } from '#functions/handlers/get-import.ts';
import { makeHandler as listImportsHandler } from '#functions/handlers/list-imports.ts';
import { makeHandler as statsHandler } from '#functions/handlers/get-stats.ts';
import { makeHandler as reviewContextHandler } from '#functions/handlers/get-review-context.ts';
import { makeHandler as householdsHandler } from '#functions/handlers/list-households.ts';
import { reviewContext } from '#shared/api/review-context.ts';
import { importRoster } from '#shared/api/roster-api.ts';
import { storeRosterPeriods, type NumberedPeriod } from '#shared/roster-import.ts';
import { parseRosterCsv, type RosterPeriod } from '#shared/roster.ts';
import type { RosterStore } from '#shared/ports.ts';
import type { ExportJobDeps } from '#shared/api/export-jobs-api.ts';
import { distinctResidentId } from '#bench/roster-import.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { startLocalDynamo, type LocalDynamo } from '#verify/lib/dynamo.ts';

const roster = parseRosterCsv(demoRosterCsv).periods;
/** Every name, ID number and bank account of the test world's roster. */
const secrets = [...new Set(roster.flatMap((p) => [p.headName, p.idNumber, p.bankAccount]))];
const leaked = (text: string) => secrets.filter((s) => text.includes(s));

type User = { name: string; groups: string };
const as = (name: string, ...roles: string[]): User => ({ name, groups: `[${roles.join(' ')}]` });
const users = {
  worker1: as('worker1', 'gridWorker'),
  worker2: as('worker2', 'gridWorker'),
  village1: as('village1', 'villageVerifier'),
  insurer1: as('insurer1', 'insurer'),
  auditor1: as('auditor1', 'auditor'),
  finance1: as('finance1', 'finance'),
  finance2: as('finance2', 'finance'),
  admin1: as('admin1', 'admin'),
  financeAdmin: as('fa1', 'finance', 'admin'),
  workerVerifier: as('wv1', 'gridWorker', 'villageVerifier'),
  workerFinance: as('wf1', 'gridWorker', 'finance'),
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
    headers: {},
    pathParameters: params,
    ...(query ? { queryStringParameters: query } : {}),
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
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
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

type Route = (e: APIGatewayProxyEventV2WithJWTAuthorizer, c: ReturnType<typeof lambdaContext>) => unknown;

/** Calls a route; the answer with its body parsed, and its text for searching. */
async function call(route: Route, c: Call) {
  const r = (await route(event(c), lambdaContext('test'))) as { statusCode: number; body: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are inspected ad hoc
  return { status: r.statusCode, text: r.body, body: JSON.parse(r.body) as any };
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

/** Payouts on the fake clock's day (2026-09-05 in China) for worker1's households. */
async function paidWorld(): Promise<World & { paid: string[] }> {
  const world = await makeWorld();
  const paid: string[] = [];
  for (const [householdId, cost] of [
    ['HH-0001', '15000'],
    ['HH-0002', '16000'],
    ['HH-0004', '17000'],
  ] as const) {
    const { claimId, key } = upload(world, { householdId, totalCost: cost, expenseDate: '2026-08-01' });
    expect(await runAssessSteps(world, key)).toBe('paid');
    paid.push(claimId);
  }
  return { ...world, paid };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('ledger export jobs (POST /ledger/exports, GET /ledger/exports/{jobId})', () => {
  async function exportsOver(world: World) {
    const jobs = new MemoryJobs();
    const started: unknown[] = [];
    const deps: ExportJobDeps = {
      jobs,
      exports: world.exports,
      exportRuns: {
        startExport: async (...args: unknown[]) => {
          started.push(args);
        },
      },
      clock: world.clock,
      ids: world.ids,
    };
    const write = writeExportHandler(() => ({
      jobs,
      ledger: world.ledger,
      roster: world.roster,
      exports: world.exports,
      clock: world.clock,
    }));
    return {
      jobs,
      started,
      create: createExportHandler(() => deps) as Route,
      get: getExportHandler(() => deps) as Route,
      write: (input: unknown) => write(input, lambdaContext('write-export')),
    };
  }
  const month = { from: '2026-09-01', to: '2026-09-30' };

  it('is refused to every role but finance, mixed roles by their finance role only', async () => {
    const world = await makeWorld();
    const x = await exportsOver(world);
    for (const user of [users.admin1, users.worker1, users.auditor1, users.insurer1, users.workerVerifier])
      expect((await call(x.create, { user, body: month })).status).toBe(403);
    expect((await call(x.create, { user: null, body: month })).status).toBe(401);
    const made = await call(x.create, { user: users.financeAdmin, body: month });
    expect(made.status).toBe(202);
    expect((await call(x.create, { user: users.workerFinance, body: month })).status).toBe(202);
    for (const user of [users.admin1, users.worker1, users.auditor1])
      expect((await call(x.get, { user, params: { jobId: made.body.jobId } })).status).toBe(403);
    // Same-team visibility: another finance user follows the job (finance is one team).
    expect((await call(x.get, { user: users.finance2, params: { jobId: made.body.jobId } })).status).toBe(
      200,
    );
    expect(x.jobs.jobs.size).toBe(2);
  });

  it('refuses malformed bodies with 400, echoing nothing typed, and starts no job for them', async () => {
    const world = await makeWorld();
    const x = await exportsOver(world);
    const idNumber = roster[0]!.idNumber;
    const bad: unknown[] = [
      '[]',
      'null',
      '"2026-09-01"',
      '42',
      '{"from":',
      // Nested past any parser's recursion: still a 400, not a 500.
      `{"from":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)},"to":"2026-09-30"}`,
      '['.repeat(200_000) + ']'.repeat(200_000),
      [month.from, month.to],
      {},
      { from: 20260901, to: 20260930 },
      { from: null, to: null },
      { ...month, format: null },
      { ...month, format: 'pdf' },
      { ...month, format: ['csv'] },
      { ...month, lang: 'fr' },
      { ...month, lang: { zh: true } },
      { from: '2026-09-30', to: '2026-09-01' },
      { from: '2026-02-30', to: '2026-03-01' },
      { from: '0000-01-01', to: '0000-01-02' },
      { from: '+10000-01-01', to: '+10000-01-02' },
      { from: '2026-9-1', to: '2026-9-30' },
      { from: '2026-09-01T00:00:00Z', to: '2026-09-30' },
      // More than a year in one file.
      { from: '2025-01-01', to: '2026-01-03' },
      { from: '2000-01-01', to: '2026-12-31' },
      { ...month, region: 'r'.repeat(33) },
      { ...month, region: 7 },
      { ...month, category: 'lottery' },
      // A region no policy names (a typo, the name typed for the code) would give an empty file.
      { ...month, region: 'nowhere' },
      { ...month, region: '示范县' },
      { ...month, region: 'DEMO' },
      { from: idNumber, to: idNumber },
      { ...month, region: `${idNumber}${'x'.repeat(20)}` },
      { __proto__: { from: month.from, to: month.to } },
    ];
    for (const body of bad) {
      const refused = await call(x.create, {
        user: users.finance1,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(leaked(refused.text)).toEqual([]);
    }
    // A prototype key is only a key: nothing in the process grew a `from`.
    expect(({} as Record<string, unknown>).from).toBeUndefined();
    expect(x.jobs.jobs.size).toBe(0);
    expect(x.started).toEqual([]);
  });

  it('keeps only what it knows of a body: extra fields (names, ID numbers) are not stored', async () => {
    const world = await makeWorld();
    const x = await exportsOver(world);
    const p = roster[0]!;
    const made = await call(x.create, {
      user: users.finance1,
      body: {
        ...month,
        format: 'xlsx',
        headName: p.headName,
        idNumber: p.idNumber,
        bankAccount: p.bankAccount,
        constructor: { prototype: { polluted: true } },
        createdBy: 'someone-else',
        status: 'SUCCEEDED',
        jobId: '01J00000000000000000000000',
      },
    });
    expect(made.status).toBe(202);
    expect(made.body).toMatchObject({ status: 'RUNNING', createdBy: 'finance1' });
    expect(made.body.query).toEqual({ ...month, format: 'xlsx', lang: 'zh' });
    const stored = JSON.stringify([...x.jobs.jobs.values()]);
    expect(leaked(stored)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A region some policy names is taken.
    const regional = await call(x.create, { user: users.finance1, body: { ...month, region: 'demo' } });
    expect(regional.status).toBe(202);
    expect(regional.body.query).toMatchObject({ region: 'demo' });
    // An empty region (a form's blank field) is no region: the whole ledger.
    const blank = await call(x.create, { user: users.finance1, body: { ...month, region: '' } });
    expect(blank.status).toBe(202);
    expect(blank.body.query).toEqual({ ...month, format: 'csv', lang: 'zh' });
  });

  it('finds no export by an import job id, a malformed, path-like or huge id', async () => {
    const world = await makeWorld();
    const x = await exportsOver(world);
    const importDeps = { jobs: x.jobs, uploads: world.uploads, clock: world.clock, ids: world.ids };
    const imported = await call(createImportHandler(() => importDeps) as Route, {
      user: users.financeAdmin,
      body: { kind: 'roster' },
    });
    expect(imported.status).toBe(201);
    const ids = [
      imported.body.job.jobId,
      'not-a-job',
      '../../imports/roster',
      '..%2F..%2Fexports',
      String(imported.body.job.jobId).toLowerCase(),
      'A'.repeat(100_000),
      roster[0]!.idNumber,
      '',
    ];
    for (const jobId of ids) {
      const none = await call(x.get, { user: users.financeAdmin, params: { jobId } });
      expect(none.status).toBe(404);
      expect(none.text).not.toContain(roster[0]!.idNumber);
    }
  });

  it('counts each job once however often it is asked for and its step is run; the workflow gets {jobId}', async () => {
    const world = await paidWorld();
    const x = await exportsOver(world);
    const first = await call(x.create, { user: users.finance1, body: month });
    const second = await call(x.create, { user: users.finance1, body: month });
    expect(first.body.jobId).not.toBe(second.body.jobId);
    // The workflow is started with the job id and nothing else.
    expect(x.started).toEqual([[first.body.jobId], [second.body.jobId]]);
    const asl = JSON.parse(
      readFileSync(new URL('../../infra/workflows/export-ledger.asl.json', import.meta.url), 'utf8'),
    ) as { States: Record<string, { Parameters?: { Payload?: Record<string, unknown> } }> };
    expect(Object.keys(asl.States.WriteExport?.Parameters?.Payload ?? {})).toEqual(['jobId.$']);

    for (const job of [first, second]) {
      // A retried step and a repeated delivery: the rows are counted once.
      for (let i = 0; i < 3; i++)
        expect(await x.write({ jobId: job.body.jobId, headName: 'x' })).toMatchObject({
          status: 'SUCCEEDED',
        });
      const done = await call(x.get, { user: users.finance1, params: { jobId: job.body.jobId } });
      expect(done.body).toMatchObject({ status: 'SUCCEEDED', count: 3, processed: 3 });
      expect(done.body.totalFen).toBeGreaterThan(0);
      // The file's name says the period and nothing about anyone.
      expect(done.body.name).toBe('ledger-2026-09-01-2026-09-30.csv');
      expect(leaked(`${done.body.name} ${done.body.url}`)).toEqual([]);
    }
  });

  it('writes no name, ID number or bank account to the logs, also when a write fails', async () => {
    const world = await paidWorld();
    const logs = await captureLogs(async () => {
      // Made inside: a handler's logger takes its level when it is made.
      const x = await exportsOver(world);
      const made = await call(x.create, { user: users.finance1, body: month });
      await x.write({ jobId: made.body.jobId });
      await call(x.get, { user: users.finance1, params: { jobId: made.body.jobId } });
      await call(x.create, {
        user: users.finance1,
        body: { from: roster[0]!.idNumber, to: roster[0]!.headName },
      });
      // A step that fails half-way through the rows.
      const broken = writeExportHandler(() => ({
        jobs: x.jobs,
        ledger: world.ledger,
        roster: {
          periods: (id: string) =>
            id === 'HH-0004'
              ? Promise.reject(new Error(`bad period ${roster[3]!.headName} ${roster[3]!.idNumber}`))
              : world.roster.periods(id),
        },
        exports: world.exports,
        clock: world.clock,
      }));
      const again = await call(x.create, { user: users.finance1, body: month });
      await expect(broken({ jobId: again.body.jobId }, lambdaContext('write-export'))).rejects.toThrow();
      // The workflow's catch closes the job with the error's name only.
      expect(await x.write({ jobId: again.body.jobId, error: 'Error' })).toMatchObject({ status: 'FAILED' });
    });
    // The scan reads real lines: the steps' results were logged.
    expect(logs).toContain('step done');
    // The step's own thrown error is the Lambda runtime's to report; the logger writes none of it.
    expect(leaked(logs)).toEqual([]);
  });
});

describe('bulk import jobs (POST /imports, GET /imports/{jobId}, GET /imports?kind=)', () => {
  async function importsOver() {
    const world = await makeWorld();
    const jobs = new MemoryJobs();
    const deps = { jobs, uploads: world.uploads, clock: world.clock, ids: world.ids };
    return {
      world,
      jobs,
      create: createImportHandler(() => deps) as Route,
      get: getImportHandler(() => deps) as Route,
      list: listImportsHandler(() => deps) as Route,
    };
  }

  it('is for admin only; a finance-and-admin user runs roster jobs, never export ones', async () => {
    const x = await importsOver();
    for (const user of [users.finance1, users.worker1, users.auditor1, users.workerFinance])
      expect((await call(x.create, { user, body: { kind: 'roster' } })).status).toBe(403);
    const made = await call(x.create, { user: users.financeAdmin, body: { kind: 'roster' } });
    expect(made.status).toBe(201);
    expect(made.body.upload).toBeDefined();
    // Finance reads its own kind of job (bank result files); of a roster job it learns nothing.
    expect((await call(x.get, { user: users.finance1, params: { jobId: made.body.job.jobId } })).status).toBe(
      404,
    );
    expect((await call(x.list, { user: users.finance1, query: { kind: 'roster' } })).status).toBe(403);
    expect((await call(x.create, { user: users.financeAdmin, body: { kind: 'ledger-export' } })).status).toBe(
      400,
    );
    expect((await call(x.list, { user: users.financeAdmin, query: { kind: 'ledger-export' } })).status).toBe(
      400,
    );
  });

  it('refuses malformed bodies and queries with 400, echoing nothing typed', async () => {
    const x = await importsOver();
    const idNumber = roster[0]!.idNumber;
    for (const body of [
      '[]',
      'null',
      '"roster"',
      '{"kind":',
      `{"kind":"roster","x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
      {},
      { kind: null },
      { kind: ['roster'] },
      { kind: 'Roster' },
      { kind: 'roster', fileKey: 'imports/roster/x/file.csv' },
      { kind: 'roster', name: idNumber },
      JSON.parse('{"kind":"roster","__proto__":{"admin":true}}') as unknown,
      JSON.parse('{"__proto__":{"kind":"roster"}}') as unknown,
      { kind: idNumber },
    ]) {
      const refused = await call(x.create, {
        user: users.admin1,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(leaked(refused.text)).toEqual([]);
    }
    const queries: Record<string, string>[] = [
      {},
      { kind: '' },
      { kind: 'roster,roster' },
      { kind: '../roster' },
      { kind: idNumber },
    ];
    for (const query of queries) {
      const refused = await call(x.list, { user: users.admin1, query });
      expect(refused.status, JSON.stringify(query)).toBe(400);
      expect(leaked(refused.text)).toEqual([]);
    }
    expect(x.jobs.jobs.size).toBe(0);
  });

  it('finds no import by an export job id, a malformed, path-like or huge id', async () => {
    const x = await importsOver();
    const exportDeps: ExportJobDeps = {
      jobs: x.jobs,
      exports: x.world.exports,
      exportRuns: { startExport: async () => undefined },
      clock: x.world.clock,
      ids: x.world.ids,
    };
    const made = await call(createExportHandler(() => exportDeps) as Route, {
      user: users.financeAdmin,
      body: { from: '2026-09-01', to: '2026-09-30' },
    });
    expect(made.status).toBe(202);
    for (const jobId of [made.body.jobId, 'x', '../exports/jobs', 'Z'.repeat(100_000), '%00', ''])
      expect((await call(x.get, { user: users.financeAdmin, params: { jobId } })).status).toBe(404);
    // Nor does it show up among roster jobs.
    const listed = await call(x.list, { user: users.financeAdmin, query: { kind: 'roster' } });
    expect(listed.body.items).toEqual([]);
  });
});

describe('dashboard figures (GET /stats)', () => {
  it('refuses grid workers and checks ?months; no household, name, ID or account in any answer', async () => {
    const world = await paidWorld();
    const review = upload(world, { householdId: 'HH-0005', totalCost: '22700', expenseDate: '2026-09-01' });
    expect(await runAssessSteps(world, review.key)).toBe('review');
    const stats = statsHandler(() => world) as Route;
    expect((await call(stats, { user: users.worker1 })).status).toBe(403);
    expect((await call(stats, { user: null })).status).toBe(401);
    for (const months of ['0', '13', '-1', '1.5', 'abc', '__proto__', '1e400', '9'.repeat(400), ''])
      expect((await call(stats, { user: users.auditor1, query: { months } })).status, months).toBe(400);
    for (const user of [users.village1, users.insurer1, users.auditor1, users.finance1, users.admin1]) {
      const answer = await call(stats, { user, query: { months: '12', extra: 'x' } });
      expect(answer.status).toBe(200);
      expect(answer.body.payouts.count).toBe(3);
      expect(answer.body.backlog.total).toBe(1);
      expect(leaked(answer.text)).toEqual([]);
      // Counts per village, never a household or a claim.
      expect(answer.text).not.toMatch(/HH-\d{4}/);
      for (const claimId of [...world.paid, review.claimId]) expect(answer.text).not.toContain(claimId);
    }
  });
});

describe('review context (GET /claims/{claimId}/review-context)', () => {
  it('refuses the wrong roles before looking for the claim: no 404-or-403 oracle', async () => {
    const world = await paidWorld();
    const route = reviewContextHandler(() => world) as Route;
    for (const user of [users.worker1, users.finance1, users.workerFinance])
      for (const claimId of [world.paid[0]!, '01J0000000000000000000NONE'])
        expect((await call(route, { user, params: { claimId } })).status).toBe(403);
    // The shared function keeps the same order when called from elsewhere.
    for (const claimId of [world.paid[0]!, '01J0000000000000000000NONE'])
      await expect(
        reviewContext(world, { username: 'finance1', roles: ['finance'] }, claimId),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('answers 409 for a paid claim, 400/404 for bad or unknown ids, echoing nothing typed', async () => {
    const world = await paidWorld();
    const route = reviewContextHandler(() => world) as Route;
    const paid = await call(route, { user: users.village1, params: { claimId: world.paid[0]! } });
    expect(paid.status).toBe(409);
    expect(leaked(paid.text)).toEqual([]);
    for (const claimId of ['../../roster', 'x'.repeat(100_000), roster[0]!.headName, '', '%2e%2e'])
      expect([400, 404]).toContain((await call(route, { user: users.auditor1, params: { claimId } })).status);
    const typed = await call(route, { user: users.auditor1, params: { claimId: roster[0]!.idNumber } });
    expect([400, 404]).toContain(typed.status);
    expect(leaked(typed.text)).toEqual([]);
  });
});

describe("grid workers' household list (GET /households)", () => {
  it("names the head in full for the worker's own households only; ID and account stay masked", async () => {
    const world = await makeWorld();
    const route = householdsHandler(() => world) as Route;
    const own = await call(route, { user: users.worker1, query: { gridWorker: 'worker2' } });
    expect(own.status).toBe(200);
    // Asking for another worker's households gets one's own.
    expect(new Set(own.body.items.map((h: { gridWorker: string }) => h.gridWorker))).toEqual(
      new Set(['worker1']),
    );
    const mine = roster.filter((p) => p.gridWorker === 'worker1');
    expect(own.text).toContain(mine[0]!.headName);
    for (const p of mine) {
      expect(own.text).not.toContain(p.idNumber);
      expect(own.text).not.toContain(p.bankAccount);
    }
    // A worker who also verifies may list any worker's households, but names stay masked.
    const other = await call(route, { user: users.workerVerifier, query: { gridWorker: 'worker2' } });
    expect(other.status).toBe(200);
    expect(other.body.items.length).toBeGreaterThan(0);
    expect(leaked(other.text)).toEqual([]);
    // A grid worker without a gridWorker query and a bad query.
    expect((await call(route, { user: users.auditor1 })).status).toBe(400);
    // A name no roster row can hold is refused before the store sees it (DynamoDB in AWS refuses
    // a key over 2 KB, a 500; DynamoDB Local lets it by). A grid worker's own query is ignored.
    for (const gridWorker of ['../worker1', 'x'.repeat(5000), 'worker1 ', '', roster[0]!.idNumber + '#']) {
      const weird = await call(route, { user: users.auditor1, query: { gridWorker } });
      expect(weird.status, gridWorker.slice(0, 20)).toBe(400);
      expect(leaked(weird.text)).toEqual([]);
    }
    expect((await call(route, { user: users.worker1, query: { gridWorker: 'x'.repeat(5000) } })).status).toBe(
      200,
    );
  });

  it('masks the head again once the household is handed to another worker', async () => {
    const world = await makeWorld();
    const p = roster.find((r) => r.householdId === 'HH-0001')!;
    await world.roster.put([{ ...p, statusFrom: '2026-01-01', gridWorker: 'worker2' }]);
    const route = householdsHandler(() => world) as Route;
    const before = await call(route, { user: users.worker1 });
    expect(before.body.items.map((h: { householdId: string }) => h.householdId)).not.toContain('HH-0001');
    expect(before.text).not.toContain(p.headName);
    const after = await call(route, { user: users.worker2 });
    expect(after.text).toContain(p.headName);
  });
});

describe('roster store: one transaction per group of households', () => {
  let dynamo: LocalDynamo;
  let db: DynamoDBClient;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    db = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: s3LocalCredentials,
    });
  }, 90_000);
  afterAll(async () => {
    db?.destroy();
    await dynamo?.close();
  });

  let run = 0;
  const stores: [string, () => RosterStore][] = [
    ['DynamoDB', () => new DynamoRosterStore(db, 'claims')],
    ['memory', () => new MemoryStore()],
  ];
  const period = (prefix: string, h: number, statusFrom: string, id: number): RosterPeriod => ({
    householdId: `${prefix}-${h}`,
    region: 'demo',
    village: '红星村',
    headName: '张德胜',
    idNumber: distinctResidentId(id),
    members: 3,
    status: 'unstable',
    statusFrom,
    gridWorker: 'worker1',
    bankAccount: '6230000000000000001',
    annualIncomeFen: 860_000,
  });
  const numbered = (periods: RosterPeriod[]): NumberedPeriod[] =>
    periods.map((p, i) => ({ row: 2 + i, period: p }));
  const monthly = (i: number) =>
    `20${String(10 + Math.floor(i / 12)).padStart(2, '0')}-${String((i % 12) + 1).padStart(2, '0')}-01`;

  it.each(stores)(
    '(%s) the same ID number in two households of one batch: the first wins, the second is refused',
    async (_n, make) => {
      run += 1;
      const prefix = `AB${run}`;
      const base = 500_000 + run * 1000;
      const store = make();
      const out = await storeRosterPeriods(
        store,
        numbered([period(prefix, 1, '2024-01-01', base), period(prefix, 2, '2024-01-01', base)]),
      );
      expect(out.imported).toBe(1);
      expect(out.rejected).toEqual([
        {
          row: 3,
          reasons: [{ code: 'ID_HEADS_OTHER', params: { field: 'idNumber', householdId: `${prefix}-1` } }],
        },
      ]);
      expect(await store.periods(`${prefix}-2`)).toEqual([]);
    },
  );

  it.each(stores)(
    '(%s) a period repeated in one batch is stored once, not a failed batch',
    async (_n, make) => {
      run += 1;
      const prefix = `AB${run}`;
      const base = 500_000 + run * 1000;
      const store = make();
      const twice = period(prefix, 1, '2024-01-01', base);
      const out = await storeRosterPeriods(
        store,
        numbered([twice, twice, period(prefix, 2, '2024-01-01', base + 1)]),
      );
      expect(out.imported).toBe(2);
      expect(out.rejected.map((r) => [r.row, r.reasons[0]?.code, r.reasons[0]?.params.earlierRow])).toEqual([
        [3, 'PERIOD_TWICE', 2],
      ]);
      expect(await store.periods(`${prefix}-1`)).toHaveLength(1);
      expect(await store.periods(`${prefix}-2`)).toHaveLength(1);
    },
  );

  it.each(stores)('(%s) a household of 150 periods between others in one batch', async (_n, make) => {
    run += 1;
    const prefix = `AB${run}`;
    const base = 500_000 + run * 1000;
    const store = make();
    const rows = [
      ...Array.from({ length: 40 }, (_, k) => period(prefix, 100 + k, '2024-01-01', base + 100 + k)),
      ...Array.from({ length: 150 }, (_, i) => period(prefix, 1, monthly(i), base)),
      ...Array.from({ length: 40 }, (_, k) => period(prefix, 200 + k, '2024-01-01', base + 200 + k)),
    ];
    const stored = await storeRosterPeriods(store, numbered(rows));
    expect(stored).toMatchObject({ imported: 230, rejected: [] });
    expect(stored.households).toHaveLength(81);
    expect(await store.periods(`${prefix}-1`)).toHaveLength(150);
    expect(await store.periods(`${prefix}-239`)).toHaveLength(1);
  });

  it('a roster file with repeated rows and one ID in two households: each bad row refused by row', async () => {
    const store = new MemoryStore();
    const lines = demoRosterCsv.trim().split(/\r?\n/);
    const header = lines[0]!;
    const row1 = lines[1]!;
    // HH-0002's row again, and a new household with HH-0001's ID number.
    const copy = row1.replace('HH-0001', 'HH-9999');
    const csv = [header, row1, lines[2]!, lines[2]!, copy].join('\n');
    const out = await importRoster(store, csv);
    expect(out.imported).toBe(2);
    expect(out.rejected.map((r) => [r.row, r.reasons[0]?.code])).toEqual([
      [4, 'PERIOD_TWICE'],
      [5, 'ID_HEADS_OTHER_IN_FILE'],
    ]);
    expect(leaked(JSON.stringify(out.rejected))).toEqual([]);
  });
});

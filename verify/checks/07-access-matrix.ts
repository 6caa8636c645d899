// 7. Access matrix. Every API route x every caller (each demo role, a user holding two reviewer
// roles, anonymous, expired, forged and foreign tokens) over real HTTP against the local stack,
// each cell compared with what the policy table in shared/access.ts says; then the row-level
// rules (verify/lib/access-rules.ts): grid workers see only their households, gates go in
// order to their own role, and nobody decides two gates of one claim.
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiRoutes, type ApiHandlerName } from '#functions/catalog.ts';
import { issueToken, localClientId, localIssuer } from '#cli/local/auth.ts';
import { routeAccess, type Role } from '#shared/access.ts';
import { addDays } from '#shared/dates.ts';
import { demoRosterCsv } from '#cli/local/demo-data.ts';
import { recentDate, settled, uploadClaim } from '#cli/local/scratch-stack.ts';
import { rowRules } from '#verify/lib/access-rules.ts';
import { secondsSince, withStack, type VerifyStack } from '#verify/lib/stack.ts';
import { todayInChina } from '#verify/lib/synthetic.ts';
import type { CheckOptions, CheckResult } from '#verify/types.ts';

interface Caller {
  readonly name: string;
  readonly token?: string;
  /** Roles the API should see; none for callers it must turn away (401). */
  readonly roles: readonly Role[];
  readonly authentic: boolean;
  readonly username?: string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** HS256 over any claims with the stack's own secret: how a two-group Cognito user looks locally. */
function sign(claims: Record<string, unknown>, secret: Buffer): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

async function callers(stack: VerifyStack): Promise<Caller[]> {
  const secret = Buffer.from(await readFile(join(stack.dataDir, 'local-token-secret'), 'utf8'), 'base64');
  const demo: [string, Role][] = [
    ['worker1', 'gridWorker'],
    ['worker2', 'gridWorker'],
    ['village1', 'villageVerifier'],
    ['insurer1', 'insurer'],
    ['auditor1', 'auditor'],
    ['finance1', 'finance'],
    ['admin1', 'admin'],
  ];
  const now = Math.floor(Date.now() / 1000);
  const adminClaims = {
    sub: 'x',
    'cognito:username': 'admin1',
    'cognito:groups': ['admin'],
    iss: localIssuer,
    aud: localClientId,
    token_use: 'id',
    iat: now,
    exp: now + 3600,
  };
  const [head, , sig] = (await issueToken('worker1', secret)).split('.');
  return [
    { name: 'anonymous', roles: [], authentic: false },
    {
      name: 'expired',
      token: await issueToken('admin1', secret, new Date(Date.now() - 9 * 3_600_000)),
      roles: [],
      authentic: false,
    },
    { name: 'wrong-secret', token: await issueToken('admin1', randomBytes(32)), roles: [], authentic: false },
    {
      name: 'alg-none',
      token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(adminClaims)}.`,
      roles: [],
      authentic: false,
    },
    // worker1's real header and signature over a payload that says admin.
    {
      name: 'tampered',
      token: `${head}.${b64({ ...adminClaims, 'cognito:username': 'worker1' })}.${sig}`,
      roles: [],
      authentic: false,
    },
    {
      name: 'foreign-issuer',
      token: await issueToken('admin1', secret, new Date(), {
        issuer: 'https://cognito-idp.example.com/other',
      }),
      roles: [],
      authentic: false,
    },
    { name: 'garbage', token: 'not.a.token', roles: [], authentic: false },
    ...(await Promise.all(
      demo.map(async ([username, role]) => ({
        name: username,
        username,
        token: await issueToken(username, secret),
        roles: [role],
        authentic: true,
      })),
    )),
    {
      name: 'twoRoles',
      username: 'reviewer9',
      token: sign(
        {
          ...adminClaims,
          sub: 'reviewer9-sub',
          'cognito:username': 'reviewer9',
          'cognito:groups': ['villageVerifier', 'insurer'],
        },
        secret,
      ),
      roles: ['villageVerifier', 'insurer'],
      authentic: true,
    },
  ];
}

async function call(stack: VerifyStack, caller: Caller, method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: {
      ...(caller.token ? { authorization: `Bearer ${caller.token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // CSV and other non-JSON bodies stay text
  }
  return {
    status: response.status,
    body: parsed as { error?: { code?: string }; message?: string; items?: { gridWorker?: string }[] },
  };
}

/** What the policy table says a caller gets from a route, before any row-level rule (200: allowed). */
export function expectedStatus(handler: ApiHandlerName, caller: Pick<Caller, 'roles' | 'authentic'>): number {
  const access = routeAccess[handler];
  if (access === 'public') return 200;
  if (!caller.authentic) return 401;
  return access !== undefined && caller.roles.some((r) => access.includes(r)) ? 200 : 403;
}

interface Fixture {
  w1Claim: string;
  w2Claim: string;
  village: string;
  department: string;
  audit: string;
  twoRolesClaim: string;
  freshReviewClaim: string;
  /** Rejected in review under the relief fund's policy (which takes appeals): worker1's, worker2's. */
  w1Rejected: string;
  w2Rejected: string;
  importJob: string;
  /** A bank result job (finance's kind of file; finance cannot see roster jobs). */
  bankJob: string;
  /** A medical feed job (an insurer's kind of file). */
  feedJob: string;
  exportJob: string;
}

async function fixtures(stack: VerifyStack): Promise<Fixture> {
  const pendingReview = async (householdId: string) => {
    const { claimId } = await uploadClaim(stack, { householdId, totalCost: '22700' });
    await settled(stack, claimId);
    return claimId;
  };
  const rejectedInReview = async (householdId: string, submittedBy: string) => {
    const { claimId } = await uploadClaim(stack, { householdId, totalCost: '22700', submittedBy });
    await settled(stack, claimId);
    const village1 = await stack.as('village1');
    await village1('POST', `/claims/${claimId}/reviews`, { gate: 'village', decision: 'reject' });
    return claimId;
  };
  const w1 = await uploadClaim(stack, { householdId: 'HH-0001', totalCost: '15000' });
  const w2 = await uploadClaim(stack, { householdId: 'HH-0031', totalCost: '15000', submittedBy: 'worker2' });
  await settled(stack, w1.claimId);
  await settled(stack, w2.claimId);
  const f: Fixture = {
    w1Claim: w1.claimId,
    w2Claim: w2.claimId,
    village: await pendingReview('HH-0002'),
    department: await pendingReview('HH-0003'),
    audit: await pendingReview('HH-0004'),
    twoRolesClaim: await pendingReview('HH-0006'),
    freshReviewClaim: await pendingReview('HH-0007'),
    w1Rejected: await rejectedInReview('HH-F001', 'worker1'),
    w2Rejected: await rejectedInReview('HH-F005', 'worker2'),
    importJob: (
      (await (await stack.as('admin1'))('POST', '/imports', { kind: 'roster' })).body as {
        job: { jobId: string };
      }
    ).job.jobId,
    bankJob: (
      (await (await stack.as('finance1'))('POST', '/imports', { kind: 'bank-result' })).body as {
        job: { jobId: string };
      }
    ).job.jobId,
    feedJob: (
      (await (await stack.as('insurer1'))('POST', '/imports', { kind: 'medical-feed' })).body as {
        job: { jobId: string };
      }
    ).job.jobId,
    exportJob: (
      (await (
        await stack.as('finance1')
      )('POST', '/ledger/exports', {
        from: todayInChina(),
        to: todayInChina(),
      })) as { body: { jobId: string } }
    ).body.jobId,
  };
  const village1 = await stack.as('village1');
  const insurer1 = await stack.as('insurer1');
  await village1('POST', `/claims/${f.department}/reviews`, { gate: 'village', decision: 'approve' });
  await village1('POST', `/claims/${f.audit}/reviews`, { gate: 'village', decision: 'approve' });
  await insurer1('POST', `/claims/${f.audit}/reviews`, { gate: 'department', decision: 'approve' });
  return f;
}

/** A well-formed request to each route, as this caller would make it. */
function requestFor(handler: ApiHandlerName, caller: Caller, f: Fixture) {
  const today = todayInChina();
  const gridWorker = caller.roles.includes('gridWorker');
  const ownClaim = caller.name === 'worker2' ? f.w2Claim : f.w1Claim;
  const range = `from=${addDays(today, -1)}&to=${addDays(today, 1)}`;
  const hh001 = demoRosterCsv().split('\n').slice(0, 2).join('\n');
  // Each caller the kind of file its role imports: admin the roster, finance the bank's results,
  // an insurer the departments' feeds.
  const importKind = caller.roles.includes('admin')
    ? 'roster'
    : caller.roles.includes('finance')
      ? 'bank-result'
      : caller.roles.includes('insurer')
        ? 'medical-feed'
        : 'roster';
  const importJob = { roster: f.importJob, 'bank-result': f.bankJob, 'medical-feed': f.feedJob }[importKind];
  switch (handler) {
    case 'get-health':
      return { method: 'GET', path: '/health' };
    case 'get-me':
      return { method: 'GET', path: '/me' };
    case 'list-households':
      return { method: 'GET', path: gridWorker ? '/households' : '/households?gridWorker=worker1' };
    case 'create-claim':
      return {
        method: 'POST',
        path: '/claims',
        body: {
          householdId: caller.name === 'worker2' ? 'HH-0031' : 'HH-0001',
          category: 'education',
          expenseDate: recentDate(),
          totalCost: '15000',
          receipts: [{ contentType: 'image/jpeg' }],
        },
      };
    case 'list-claims':
      return { method: 'GET', path: '/claims' };
    case 'get-claim':
      return { method: 'GET', path: `/claims/${ownClaim}` };
    case 'get-receipt':
      return { method: 'GET', path: `/claims/${ownClaim}/receipts/1` };
    case 'get-review-context':
      // A claim waiting at its first gate: every reviewer (and admin) may see who the household is.
      return { method: 'GET', path: `/claims/${f.village}/review-context` };
    case 'decide-review': {
      const [claimId, gate] =
        caller.name === 'insurer1'
          ? [f.department, 'department']
          : caller.name === 'auditor1'
            ? [f.audit, 'audit']
            : caller.name === 'twoRoles'
              ? [f.twoRolesClaim, 'village']
              : [f.village, 'village'];
      return { method: 'POST', path: `/claims/${claimId}/reviews`, body: { gate, decision: 'approve' } };
    }
    case 'object-claim':
      // No claim is on notice here: an allowed caller passes the role check and meets the state's.
      return {
        method: 'POST',
        path: `/claims/${ownClaim}/objections`,
        body: { text: '该户情况与公示不符' },
        allowedAs: { status: 409, code: 'NOT_ON_NOTICE' },
      };
    case 'appeal-claim':
      return {
        method: 'POST',
        path: `/claims/${caller.name === 'worker2' ? f.w2Rejected : f.w1Rejected}/appeal`,
        body: { text: '家庭确有困难，请求复核' },
      };
    case 'retry-claim':
      // A paid claim: an allowed retry answers 200 and changes nothing.
      return { method: 'POST', path: `/claims/${ownClaim}/retry` };
    case 'import-roster':
      return { method: 'POST', path: '/roster/imports', body: { csv: hh001 } };
    case 'create-import':
      return { method: 'POST', path: '/imports', body: { kind: importKind } };
    case 'get-import':
      return { method: 'GET', path: `/imports/${importJob}` };
    case 'list-imports':
      return { method: 'GET', path: `/imports?kind=${importKind}` };
    case 'reissue-claim':
      // A paid claim whose transfer has not failed: an allowed caller meets the state's refusal.
      return {
        method: 'POST',
        path: `/claims/${ownClaim}/reissue`,
        allowedAs: { status: 409, code: 'NOT_DISBURSEMENT_FAILED' },
      };
    case 'get-reconciliation':
      return { method: 'GET', path: `/ledger/reconciliation?${range}` };
    case 'list-policies':
      return { method: 'GET', path: '/policies' };
    case 'list-ledger':
      return { method: 'GET', path: `/ledger?${range}` };
    case 'export-ledger':
      return { method: 'GET', path: `/ledger/export?${range}` };
    case 'create-export':
      return {
        method: 'POST',
        path: '/ledger/exports',
        body: { from: addDays(today, -1), to: addDays(today, 1) },
      };
    case 'get-export':
      return { method: 'GET', path: `/ledger/exports/${f.exportJob}` };
    case 'mark-disbursed':
      return {
        method: 'POST',
        path: '/ledger/disbursements',
        body: { claimIds: [f.w2Claim], batchRef: 'B-ACCESS-1' },
      };
    case 'quote-claim':
      return { method: 'POST', path: '/quotes', body: { category: 'education', totalCost: '22700' } };
    case 'get-stats':
      return { method: 'GET', path: '/stats?months=2' };
    case 'get-fund':
      return { method: 'GET', path: '/funds/demo-fund' };
    case 'get-fund-history':
      return { method: 'GET', path: '/funds/demo-fund/history' };
    case 'top-up-fund':
      // Each caller its own reference: every allowed one adds ¥1 once.
      return {
        method: 'POST',
        path: '/funds/demo-fund/topups',
        body: { amount: '1', ref: `ACCESS-${caller.name}` },
      };
    case 'list-notices':
      return { method: 'GET', path: `/notices?region=demo&village=${encodeURIComponent('红星村')}` };
    case 'list-warnings':
      return { method: 'GET', path: '/warnings?region=demo-fund' };
  }
}

export async function run({ log = () => undefined }: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  return withStack({ demo: true }, async (stack) => {
    const f = await fixtures(stack);
    const all = await callers(stack);
    let cells = 0;
    let asExpected = 0;
    const failures: string[] = [];
    const grid: string[] = [`| route | ${all.map((c) => c.name).join(' | ')} |`];
    for (const route of apiRoutes) {
      const row: string[] = [];
      for (const caller of all) {
        const req = requestFor(route.handler, caller, f);
        const got = await call(stack, caller, req.method, req.path, 'body' in req ? req.body : undefined);
        const want = expectedStatus(route.handler, caller);
        // The refusal must also be the right one: API Gateway's 401, the API's FORBIDDEN.
        const shapeOk =
          want === 401
            ? got.body?.message === 'Unauthorized'
            : want === 403
              ? got.body?.error?.code === 'FORBIDDEN'
              : true;
        cells += 1;
        // "Allowed" is any 2xx (creating a claim answers 201), or the domain refusal the request
        // was made to meet once past the role check.
        const allowedAs = 'allowedAs' in req ? req.allowedAs : undefined;
        const statusOk =
          want === 200
            ? allowedAs
              ? got.status === allowedAs.status && got.body?.error?.code === allowedAs.code
              : got.status >= 200 && got.status < 300
            : got.status === want;
        if (statusOk && shapeOk) asExpected += 1;
        else
          failures.push(
            `${route.method} ${route.path} as ${caller.name}: ${got.status} ${JSON.stringify(got.body).slice(0, 100)}, policy says ${want}`,
          );
        row.push(String(got.status));
      }
      grid.push(`| ${route.handler} | ${row.join(' | ')} |`);
    }
    log(grid.join('\n'));
    let rowCells = 0;
    let rowAsExpected = 0;
    for (const rule of rowRules) {
      const caller = all.find((c) => c.name === rule.caller);
      if (!caller) throw new Error(`no caller ${rule.caller}`);
      const path = rule.path.replace(/\{(\w+)\}/g, (_m, k: string) => String(f[k as keyof Fixture]));
      const body =
        rule.body === undefined
          ? undefined
          : JSON.parse(JSON.stringify(rule.body).replace('{recent}', recentDate()));
      const got = await call(stack, caller, rule.method, path, body);
      const foreign = rule.noItemsOf
        ? (got.body?.items ?? []).filter((i) => i.gridWorker === rule.noItemsOf).length
        : 0;
      rowCells += 1;
      if (
        got.status === rule.status &&
        (rule.code === undefined || got.body?.error?.code === rule.code) &&
        foreign === 0
      )
        rowAsExpected += 1;
      else
        failures.push(
          `${rule.rule}: ${got.status} ${got.body?.error?.code ?? ''} (${foreign} foreign items), expected ${rule.status} ${rule.code ?? ''}`,
        );
    }
    return {
      label: 'access matrix',
      figures: {
        routes: apiRoutes.length,
        callers: all.length,
        cells,
        asPolicy: asExpected,
        rowRules: rowCells,
        rowAsPolicy: rowAsExpected,
        match: `${Math.round(((asExpected + rowAsExpected) / (cells + rowCells)) * 1000) / 10}%`,
        seconds: secondsSince(started),
      },
      ok: asExpected === cells && rowAsExpected === rowCells,
      failures: failures.slice(0, 12),
    };
  });
}

// The whole system on one machine: DynamoDB Local, an S3 emulator, a local Step Functions
// service running the deployed ASL, and the HTTP API, all wired to the same handler modules the
// AWS stack deploys. Nothing here exists in the deployed stack.
import { isInReview, reviewRoundOf, reviewRunName } from '#shared/review-rounds.ts';
import { isUnjudgedPlaceholder } from '#shared/claim.ts';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  apiRoutes,
  envNames,
  eventHandlers,
  scheduledHandlers,
  workflowHandlers,
  type ApiRoute,
} from '#functions/catalog.ts';
import { awsDeps, type AppDeps } from '#functions/adapters/aws-deps.ts';
import type { ClientOverrides } from '#functions/adapters/handler-deps.ts';
import { noMetrics, type Metrics } from '#functions/metrics.ts';
import { ensureClaimsTable } from '#cli/local/claims-table.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '#cli/local/dynamodb-local.ts';
import {
  isManifestKey,
  startS3Local,
  s3LocalCredentials,
  type S3Local,
  type S3ObjectCreatedEvent,
} from '#cli/local/s3-local.ts';
import {
  serveStepFunctionsApi,
  type ExecutionEvent,
  type LocalStepFunctions,
  type StepFunctionsApi,
} from '#cli/local/step-functions.ts';
import {
  CLAIMS_TABLE,
  LOCAL_REGION,
  RECEIPTS_BUCKET,
  assessArn,
  importArn,
  exportArn,
  lambdaContext,
  loadHandlers,
  localWorkflows,
  manifestEvent,
  noSuchFunction,
  reviewArn,
} from '#cli/local/world.ts';
import { bearerToken, findDemoUser, issueToken, jwtAuthorizerContext, verifyToken } from '#cli/local/auth.ts';
import {
  matchRoute,
  notFound,
  payloadTooLarge,
  readRequestBody,
  RequestTooLargeError,
  splitUrl,
  toApiGatewayEvent,
  unauthorized,
  writeHttpResponse,
  writeLambdaResult,
} from '#cli/local/http-event.ts';
import { listen } from '#cli/local/net.ts';
import { serveStatic } from '#cli/local/static-files.ts';
import { importRoster } from '#shared/api/roster-api.ts';
import { claimIdFromManifestKey } from '#shared/manifest.ts';
import { IMPORTS_PREFIX, parseImportFileKey } from '#shared/bulk-job.ts';
import { s3ObjectStore } from '#cli/local/step-functions/distributed-map-s3.ts';
import { demoRosterCsv } from '#cli/local/demo-data.ts';
import { clockAdvanceSchema, LocalClock, MAX_ADVANCE_DAYS } from '#cli/local/local-clock.ts';
import type { Policy } from '#shared/policy.ts';

export interface LocalStackOptions {
  readonly port: number;
  readonly s3Port: number;
  readonly dynamodbPort: number;
  readonly dataDir: string;
  readonly demo: boolean;
  readonly host?: string;
  /** Retry backoff multiplier for the workflows (tests use a small one). */
  readonly retryIntervalScale?: number;
  readonly log?: (line: string) => void;
  /** Sees every workflow event (transitions, retries): the benchmark counts and times them. */
  readonly onStepFunctionsEvent?: (event: ExecutionEvent) => void;
  /** Told of every local Lambda invocation (workflow steps and API routes), with its duration. */
  readonly onLambdaInvoke?: (name: string, durationMs: number, ok: boolean) => void;
  /** Where the handlers' business metrics go (CloudWatch's part on AWS); dropped by default. */
  readonly metrics?: Metrics;
  /** The policies every handler prices, routes and reviews by, instead of the built-in ones. */
  readonly policies?: readonly Policy[];
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly s3Url: string;
  readonly dynamodbUrl: string;
  readonly sfnUrl: string;
  readonly deps: AppDeps;
  readonly stepFunctions: LocalStepFunctions;
  /** The clock every handler and workflow wait runs on: real time plus the days it was moved ahead. */
  readonly clock: LocalClock;
  /** How many in-flight claims were picked up again at start. */
  readonly resumedAtStart: number;
  /** Runs each scheduled handler (the sweeper) now, as its timer would; resolves with their results. */
  runSchedules(): Promise<Record<string, unknown>>;
  /** Resolves when every workflow started so far has settled (finished or is waiting on people). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

async function tokenSecret(dataDir: string): Promise<Buffer> {
  // Kept in the data dir so sign-ins survive a restart on the same data.
  const file = join(dataDir, 'local-token-secret');
  try {
    return Buffer.from(await readFile(file, 'utf8'), 'base64');
  } catch {
    const secret = randomBytes(32);
    await writeFile(file, secret.toString('base64'), { mode: 0o600 });
    return secret;
  }
}

async function createTables(endpoint: string, log: (line: string) => void): Promise<void> {
  const db = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: s3LocalCredentials });
  try {
    // A data dir from an older version gets the indexes it lacks (and its claims their keys).
    const added = await ensureClaimsTable(db, CLAIMS_TABLE);
    if (added.length > 0) log(`claims table: added indexes ${added.join(', ')}`);
  } finally {
    db.destroy();
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  await mkdir(options.dataDir, { recursive: true });
  const secret = await tokenSecret(options.dataDir);
  const clock = await LocalClock.open(options.dataDir);
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const dynamo: DynamoDbLocal = await startDynamoDbLocal({
      port: options.dynamodbPort,
      dataDir: options.dataDir,
    });
    cleanups.push(() => dynamo.stop());
    await createTables(dynamo.endpoint, log);

    // The Step Functions API endpoint comes up first so handlers can reach it; the service
    // behind it is attached once the handlers exist.
    const ref: { service?: LocalStepFunctions } = {};
    const pending = new Set<Promise<unknown>>();
    const track = (p: Promise<unknown>) => {
      pending.add(p);
      void p.finally(() => pending.delete(p)).catch(() => undefined);
    };

    const sfnApi: StepFunctionsApi = await serveStepFunctionsApi({
      port: 0,
      service: new Proxy({} as LocalStepFunctions, {
        get: (_t, prop: keyof LocalStepFunctions) => {
          const service = ref.service;
          if (!service) throw new Error('step functions not ready');
          const value = service[prop];
          return typeof value === 'function' ? value.bind(service) : value;
        },
      }),
    });
    cleanups.push(() => sfnApi.close());

    let onUpload: (event: S3ObjectCreatedEvent) => void = () => undefined;
    let onRefused: (key: string) => Promise<void> = async () => undefined;
    let judged: (key: string) => Promise<string | undefined> = async () => undefined;
    const s3: S3Local = await startS3Local({
      port: options.s3Port,
      dataDir: options.dataDir,
      bucket: RECEIPTS_BUCKET,
      corsOrigins: [`http://${host}:${options.port}`, `http://localhost:${options.port}`],
      region: LOCAL_REGION,
      // The stand-in for the EventBridge rules: every upload under claims/ reaches note-upload,
      // a manifest's creation also starts assess-claim, and a bulk file starts its import job.
      matchKey: (key) => key.startsWith('claims/') || parseImportFileKey(key) !== undefined,
      // Stamped on the local clock, as the handlers read it (S3 itself checks forms in real time).
      onObjectCreated: (event) => onUpload({ ...event, time: eventTime(clock.now()) }),
      // The deployed bucket keeps every version and claims pin the one they were judged on; the
      // emulator keeps one, so it refuses to replace a file under a claim already on record.
      refuseOverwrite: (key) => judged(key),
      onWriteRefused: (key) => onRefused(key),
      // Start-up reports (unreadable files skipped) and server errors, without keys.
      onLog: log,
    });
    cleanups.push(() => s3.stop());

    const overrides: ClientOverrides = {
      region: LOCAL_REGION,
      credentials: { ...s3LocalCredentials },
      // The handlers run in this process: they talk to the JVM on its loopback port, skipping the
      // signature-checking proxy that guards the printed endpoint (it costs ~20% of throughput).
      endpoints: { dynamodb: `http://127.0.0.1:${dynamo.jvmPort}`, s3: s3.endpoint, sfn: sfnApi.endpoint },
      // ...but wait with the proxy's requests while the database's log is checkpointed.
      dynamodbGate: dynamo.gate,
    };
    const deps: AppDeps & { readonly policies?: readonly Policy[] } = {
      ...awsDeps({
        env: {
          [envNames.claimsTable]: CLAIMS_TABLE,
          [envNames.receiptsBucket]: RECEIPTS_BUCKET,
          [envNames.reviewStateMachineArn]: reviewArn,
          [envNames.assessStateMachineArn]: assessArn,
          [envNames.exportStateMachineArn]: exportArn,
        },
        overrides,
        metrics: options.metrics ?? noMetrics,
        clock,
      }),
      ...(options.policies ? { policies: options.policies } : {}),
    };

    const stepHandlers = await loadHandlers(workflowHandlers, deps);
    const sfn = localWorkflows({
      objectStore: s3ObjectStore(deps.s3),
      invoke: async (name, payload) => {
        const handler = stepHandlers.get(name);
        if (!handler) throw noSuchFunction(name);
        const observe = options.onLambdaInvoke;
        const started = performance.now();
        try {
          const result = await handler(payload, lambdaContext(name));
          observe?.(name, performance.now() - started, true);
          return result;
        } catch (error) {
          observe?.(name, performance.now() - started, false);
          // As Lambda's own logs would show a failed invocation: the step and the error's name
          // only (messages can carry what a person typed).
          log(`step ${name} failed: ${error instanceof Error ? error.name : 'error'}`);
          throw error;
        }
      },
      ...(options.retryIntervalScale !== undefined ? { retryIntervalScale: options.retryIntervalScale } : {}),
      ...(options.onStepFunctionsEvent ? { onEvent: options.onStepFunctionsEvent } : {}),
      // Executions survive a restart: waiting review gates resume where they were.
      stateFile: join(options.dataDir, 'stepfunctions', 'executions.json'),
      // Wait states and review-gate timeouts fall due on the local clock.
      clock,
    });
    ref.service = sfn;
    cleanups.push(() => sfn.close());

    const startAssess = (event: S3ObjectCreatedEvent) => {
      const { executionArn } = sfn.startExecution({
        stateMachineArn: assessArn,
        input: JSON.stringify(event),
      });
      track(sfn.waitForExecution(executionArn));
    };
    const startImport = (event: S3ObjectCreatedEvent) => {
      const { executionArn } = sfn.startExecution({
        stateMachineArn: importArn,
        input: JSON.stringify(event),
      });
      track(sfn.waitForExecution(executionArn));
    };
    const uploadHandlers = await loadHandlers(
      eventHandlers.map((e) => e.handler),
      deps,
    );
    const noteUpload = async (event: unknown) => {
      const handler = uploadHandlers.get('note-upload');
      if (handler) await handler(event, lambdaContext('note-upload'));
    };
    onUpload = (event) => {
      if (parseImportFileKey(event.detail.object.key)) {
        startImport(event);
        return;
      }
      if (isManifestKey(event.detail.object.key)) startAssess(event);
      // As an EventBridge target: retried on failure, never in the way of the upload itself.
      track(
        noteUpload(event).catch((error: unknown) =>
          log(`note-upload failed: ${error instanceof Error ? error.name : 'error'}`),
        ),
      );
    };
    onRefused = async (key) => {
      await noteUpload({ ...manifestEvent(key, 0, clock.now()), refused: true }).catch((error: unknown) =>
        log(`note-upload failed: ${error instanceof Error ? error.name : 'error'}`),
      );
    };
    judged = async (key) => {
      const claimId = /^claims\/([A-Za-z0-9_-]{1,64})\//.exec(key)?.[1];
      if (!claimId) return undefined;
      const claim = await deps.claims.get(claimId);
      return claim && !isUnjudgedPlaceholder(claim)
        ? 'This claim is already on record: its files cannot be replaced.'
        : undefined;
    };

    const apiHandlers = await loadHandlers(
      apiRoutes.map((r) => r.handler),
      deps,
    );
    // Set once the scheduled handlers are loaded; a clock advance before that runs none.
    let runSchedules: () => Promise<Record<string, unknown>> = async () => ({});
    const server = createServer((req, res) => {
      void handleRequest(req, res).catch((error: unknown) => {
        log(`request failed: ${error instanceof Error ? error.name : 'error'}`);
        if (!res.headersSent)
          writeHttpResponse(res, { statusCode: 500, headers: {}, cookies: [], body: Buffer.from('') });
      });
    });
    const webRoot = new URL('../../web/dist/', import.meta.url);

    async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const { rawPath } = splitUrl(req.url ?? '/');
      const method = (req.method ?? 'GET').toUpperCase();
      if (rawPath === '/local/sign-in' && method === 'POST') return signIn(req, res);
      if (rawPath === '/local/clock' && method === 'GET') return writeJson(res, 200, clock.view());
      if (rawPath === '/local/clock/advance' && method === 'POST') return advanceClock(req, res);
      if (rawPath === '/config.json' && method === 'GET') {
        return writeJson(res, 200, {
          auth: 'local',
          apiBase: '',
          demoUsers: ['worker1', 'worker2', 'village1', 'insurer1', 'auditor1', 'finance1', 'admin1'],
        });
      }
      const match = matchRoute<ApiRoute>(apiRoutes, method, rawPath);
      if (!match) {
        if (method === 'GET' && (await serveStatic(webRoot, rawPath, res))) return;
        return writeHttpResponse(res, notFound);
      }
      let body: Buffer;
      try {
        body = await readRequestBody(req);
      } catch (error) {
        if (error instanceof RequestTooLargeError) return writeHttpResponse(res, payloadTooLarge);
        throw error;
      }
      let event;
      if (match.route.auth) {
        // As API Gateway's JWT authorizer: a missing or bad token never reaches the handler.
        const token = bearerToken(req.headers.authorization);
        if (!token) return writeHttpResponse(res, unauthorized);
        let claims;
        try {
          claims = await verifyToken(token, secret);
        } catch {
          return writeHttpResponse(res, unauthorized);
        }
        event = toApiGatewayEvent({ req, body, match, authorizer: jwtAuthorizerContext({ ...claims }) });
      } else {
        event = toApiGatewayEvent({ req, body, match });
      }
      const handler = apiHandlers.get(match.route.handler);
      if (!handler) return writeHttpResponse(res, notFound);
      const started = performance.now();
      const result = await handler(event, lambdaContext(match.route.handler));
      options.onLambdaInvoke?.(match.route.handler, performance.now() - started, true);
      const invalid = writeLambdaResult(res, result, event.requestContext.requestId);
      if (invalid) log(`handler ${match.route.handler} returned an invalid response`);
    }

    async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
      let username: unknown;
      try {
        username = (JSON.parse((await readRequestBody(req, 4096)).toString('utf8')) as { username?: unknown })
          .username;
      } catch {
        return writeJson(res, 400, { error: { code: 'BAD_JSON', message: 'send {"username": "..."}' } });
      }
      if (typeof username !== 'string' || !findDemoUser(username)) {
        return writeJson(res, 401, { error: { code: 'UNKNOWN_USER', message: 'not a demo user' } });
      }
      return writeJson(res, 200, { token: await issueToken(username, secret) });
    }

    /** Moves the local clock ahead (only here: the deployed stack has no such route). */
    async function advanceClock(req: IncomingMessage, res: ServerResponse): Promise<void> {
      let body: unknown;
      try {
        body = JSON.parse((await readRequestBody(req, 4096)).toString('utf8'));
      } catch {
        return writeJson(res, 400, { error: { code: 'BAD_JSON', message: 'send {"days": N}', params: {} } });
      }
      const parsed = clockAdvanceSchema.safeParse(body);
      if (!parsed.success) {
        return writeJson(res, 400, {
          error: {
            code: 'BAD_DAYS',
            message: `days must be a whole number from 1 to ${MAX_ADVANCE_DAYS}`,
            params: { max: MAX_ADVANCE_DAYS },
          },
        });
      }
      const view = await clock.advance(parsed.data.days);
      // The sweeps see the new day at once, as their next timer would.
      await runSchedules().catch((error: unknown) =>
        log(
          `scheduled handlers after a clock advance failed: ${error instanceof Error ? error.name : 'error'}`,
        ),
      );
      return writeJson(res, 200, view);
    }

    const port = await listen(server, options.port, host);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );

    if (options.demo) await loadDemoData(deps, log);
    const resumedAtStart = await resumeInFlight(deps, startAssess, sfn, log);
    await resumeImports(deps, startImport, sfn.runningInputs(importArn), log);

    // The scheduled handlers (the sweeper) on timers at their catalog rates, as EventBridge runs them.
    const scheduled = await loadHandlers(
      scheduledHandlers.map((s) => s.handler),
      deps,
    );
    const runSchedule = async (name: string): Promise<unknown> => {
      const handler = scheduled.get(name);
      if (!handler) throw new Error(`no scheduled handler ${name}`);
      return handler(
        { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
        lambdaContext(name),
      );
    };
    runSchedules = async () => {
      const results: Record<string, unknown> = {};
      for (const { handler } of scheduledHandlers) results[handler] = await runSchedule(handler);
      return results;
    };
    for (const { handler, everyMinutes } of scheduledHandlers) {
      const timer = setInterval(() => {
        track(runSchedule(handler).catch((error: unknown) => log(`${handler} failed: ${String(error)}`)));
      }, everyMinutes * 60_000);
      timer.unref();
      cleanups.push(async () => clearInterval(timer));
    }

    return {
      apiUrl: `http://${host}:${port}`,
      s3Url: s3.endpoint,
      dynamodbUrl: dynamo.endpoint,
      sfnUrl: sfnApi.endpoint,
      deps,
      stepFunctions: sfn,
      clock,
      resumedAtStart,
      runSchedules,
      async idle() {
        while (pending.size > 0) await Promise.allSettled([...pending]);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** EventBridge's event time: seconds, no fraction. */
const eventTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  writeHttpResponse(res, {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    cookies: [],
    body: Buffer.from(JSON.stringify(body)),
  });
}

async function loadDemoData(deps: AppDeps, log: (line: string) => void): Promise<void> {
  const existing = await deps.roster.periods('HH-0001');
  if (existing.length > 0) return;
  const result = await importRoster(deps.roster, demoRosterCsv());
  log(`demo roster loaded: ${result.imported} periods`);
}

/**
 * After a stop (even kill -9) every bulk-file job that had its file but had not finished starts
 * its workflow again: the file check hands back the same chunks and a batch already recorded
 * adds nothing, so the job finishes with every row counted once.
 */
async function resumeImports(
  deps: AppDeps,
  startImport: (event: S3ObjectCreatedEvent) => void,
  runningInputs: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  let resumed = 0;
  // A job whose run survived the restart carries on in it; a second run would only double the
  // load (each batch's result is recorded once either way).
  const running = new Set(
    runningInputs.flatMap((input) => {
      try {
        const key = (JSON.parse(input) as { detail?: { object?: { key?: unknown } } }).detail?.object?.key;
        return typeof key === 'string' ? [key] : [];
      } catch {
        return [];
      }
    }),
  );
  let token: string | undefined;
  try {
    do {
      const page = await deps.s3.send(
        new ListObjectsV2Command({
          Bucket: RECEIPTS_BUCKET,
          Prefix: IMPORTS_PREFIX,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const ref = parseImportFileKey(object.Key ?? '');
        if (!ref) continue;
        const job = await deps.jobs.get(ref.jobId);
        if (job?.status !== 'RUNNING' && job?.status !== 'WAITING_FOR_FILE') continue;
        if (running.has(object.Key ?? '')) continue;
        startImport(manifestEvent(object.Key ?? '', object.Size ?? 0, object.LastModified ?? new Date()));
        resumed += 1;
      }
      token = page.NextContinuationToken;
    } while (token);
  } catch (error) {
    log(`could not resume bulk-file jobs (${error instanceof Error ? error.name : 'error'}); started anyway`);
  }
  if (resumed > 0) log(`resumed ${resumed} bulk-file job(s) that were in flight`);
}

/**
 * After a stop (even kill -9) every claim that was mid-flight is driven on to its proper end:
 * manifests that never got a claim record, claims stopped before a decision or before payout,
 * and reviews whose workflow was waiting. Every step is idempotent, so running one again is safe.
 */
async function resumeInFlight(
  deps: AppDeps,
  startAssess: (event: S3ObjectCreatedEvent) => void,
  sfn: LocalStepFunctions,
  log: (line: string) => void,
): Promise<number> {
  let resumed = 0;
  // One bad manifest (or a listing page that fails) must not keep the stack from starting: it is
  // counted and reported in one line, and the rest is resumed.
  let failed = 0;
  let problem: string | undefined;
  const fail = (error: unknown) => {
    failed += 1;
    problem ??= error instanceof Error ? error.name : String(error);
  };
  let token: string | undefined;
  do {
    let page;
    try {
      page = await deps.s3.send(
        new ListObjectsV2Command({ Bucket: RECEIPTS_BUCKET, Prefix: 'claims/', ContinuationToken: token }),
      );
    } catch (error) {
      fail(error);
      break;
    }
    for (const object of page.Contents ?? []) {
      const key = object.Key ?? '';
      const claimId = claimIdFromManifestKey(key);
      if (!claimId) continue;
      let claim;
      try {
        claim = await deps.claims.get(claimId);
      } catch (error) {
        fail(error);
        continue;
      }
      if (claim && claim.state !== 'RECEIVED' && claim.state !== 'APPROVED') {
        if (isInReview(claim.state)) {
          try {
            sfn.startExecution({
              stateMachineArn: reviewArn,
              // A round after an objection or an appeal runs under its own name.
              name: reviewRunName(claimId, reviewRoundOf(claim)),
              input: JSON.stringify({ claimId }),
            });
            resumed += 1;
          } catch {
            // Already running in this process.
          }
        }
        continue;
      }
      startAssess(manifestEvent(key, object.Size ?? 0, object.LastModified ?? new Date()));
      resumed += 1;
    }
    token = page.NextContinuationToken;
  } while (token);
  if (resumed > 0) log(`resumed ${resumed} claims that were in flight`);
  if (failed > 0)
    log(`could not resume ${failed} in-flight claim(s) or listing page(s) (${problem}); started anyway`);
  return resumed;
}

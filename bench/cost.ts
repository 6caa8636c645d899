// Figure group 5: US$ per 1,000 claims. What one claim uses is counted on a measured run of the
// local stack (instrument.ts: the web app's path, POST /claims then the uploads, then the
// workflows; the review path adds the three gate decisions); what a unit costs is the dated price
// table (prices.json); memory sizes, workflow types and logging come from the synthesized stack.
// The notice path is an automatic claim of a policy with a public notice (demo-fund): the Express
// run hands over to the Standard review workflow, which waits the notice out on the local clock.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createClaimsApp } from '#infra/claims-app.ts';
import { DAY_MS } from '#cli/local/local-clock.ts';
import type { ExecutionEvent } from '#cli/local/step-functions.ts';
import { importRoster } from '#shared/api/roster-api.ts';
import { chinaDate } from '#shared/dates.ts';
import { LAMBDA_PLATFORM_LOG_BYTES, Meter, type Counts, type WorkflowLogBytes } from '#bench/instrument.ts';
import { startBenchStack, type BenchStack } from '#bench/end-to-end.ts';
import { round } from '#bench/stats.ts';
import { chinaDaysAgo, householdId, receiptJpeg, syntheticRosterCsv } from '#bench/synthetic.ts';

export interface Prices {
  readonly source: string;
  readonly asOf: string;
  readonly stepFunctions: {
    standardPerStateTransition: number;
    expressPerRequest: number;
    expressPerGbSecond: number;
    expressMemoryIncrementMb: number;
  };
  readonly lambda: { arm64PerGbSecond: number; perRequest: number };
  readonly dynamodb: { onDemandPerWriteRequestUnit: number; onDemandPerReadRequestUnit: number };
  readonly s3: {
    standardPutCopyPostListPerRequest: number;
    standardGetSelectAndOtherPerRequest: number;
    standardStoragePerGbMonth: number;
  };
  readonly eventBridge: { awsServiceEventOnDefaultBus: number };
  readonly apiGateway: { httpApiPerRequest: number };
  readonly cloudWatchLogs: { standardIngestionPerGb: number };
  readonly xRay: { perTraceRecorded: number };
}

export const loadPrices = (): Prices =>
  JSON.parse(readFileSync(new URL('./prices.json', import.meta.url), 'utf8')) as Prices;

/** What the deployed stack is configured with, read from the synthesized template. */
export interface StackFacts {
  readonly lambdaMemoryMb: Record<string, number>;
  readonly lambdaArchitectures: readonly string[];
  readonly workflows: Record<
    string,
    { type: string; logLevel: string; includeExecutionData: boolean; tracing: boolean }
  >;
  readonly lambdaTracing: boolean;
  /** Share of workflow executions traced: the stack's Step Functions sampling rule, else 1. */
  readonly workflowTraceRate: number;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** synthStackFacts() in a child process (stack-facts.ts), to overlap with other waiting. */
export async function synthStackFactsInChild(): Promise<StackFacts> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./stack-facts.ts', import.meta.url).pathname],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`stack synthesis failed (${String(code)})`);
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as StackFacts;
}

/** Synthesizes the stack in process (bundling skipped, cdk.json's context) and reads its facts. */
export function synthStackFacts(): StackFacts {
  const context = (
    JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
      context?: Record<string, unknown>;
    }
  ).context;
  const { app, stack } = createClaimsApp({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, Resource>;
  };
  const resources = Object.entries(template.Resources);
  const lambdaMemoryMb: Record<string, number> = {};
  const architectures = new Set<string>();
  let lambdaTracing = true;
  for (const [, r] of resources) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const name = /^claims (.+)$/.exec(String(r.Properties?.Description ?? ''))?.[1];
    if (!name) continue; // CDK's own helpers (the web deployment)
    lambdaMemoryMb[name] = Number(r.Properties?.MemorySize ?? 128);
    for (const a of (r.Properties?.Architectures as string[] | undefined) ?? ['x86_64']) architectures.add(a);
    if ((r.Properties?.TracingConfig as { Mode?: string } | undefined)?.Mode !== 'Active')
      lambdaTracing = false;
  }
  const workflows: StackFacts['workflows'] = {};
  for (const [id, r] of resources) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const logging = r.Properties?.LoggingConfiguration as
      { Level?: string; IncludeExecutionData?: boolean } | undefined;
    const name = /Assess/.test(id) ? 'assess-claim' : /Review/.test(id) ? 'review-claim' : id;
    workflows[name] = {
      type: String(r.Properties?.StateMachineType ?? 'STANDARD'),
      logLevel: logging?.Level ?? 'OFF',
      includeExecutionData: logging?.IncludeExecutionData ?? false,
      tracing: (r.Properties?.TracingConfiguration as { Enabled?: boolean } | undefined)?.Enabled === true,
    };
  }
  // Without a rule, X-Ray's default (1 per second, then 5%) records every claim at a county's rate.
  let workflowTraceRate = 1;
  for (const [, r] of resources) {
    if (r.Type !== 'AWS::XRay::SamplingRule') continue;
    const rule = r.Properties?.SamplingRule as
      { ServiceType?: string; FixedRate?: number; ReservoirSize?: number } | undefined;
    // A reservoir would record its first N per second at any rate: only a rule without one counts.
    if (rule?.ServiceType === 'AWS::StepFunctions::StateMachine' && rule.ReservoirSize === 0)
      workflowTraceRate = Number(rule.FixedRate ?? 1);
  }
  return {
    lambdaMemoryMb,
    lambdaArchitectures: [...architectures],
    workflows,
    lambdaTracing,
    workflowTraceRate,
  };
}

type ApiCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

async function signIn(bench: BenchStack, username: string, meter: Meter): Promise<ApiCall> {
  const response = await fetch(`${bench.stack.apiUrl}/local/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  const { token } = (await response.json()) as { token: string };
  return async (method, path, body) => {
    meter.onApiRequest();
    const res = await fetch(`${bench.stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() };
  };
}

interface Grant {
  claimId: string;
  receipts: { key: string }[];
  manifest: { key: string };
  manifestTemplate: Record<string, unknown>;
}

/** The web app's path: POST /claims, the receipt and the manifest to S3; resolves at the claim's outcome. */
async function fileClaim(
  bench: BenchStack,
  api: ApiCall,
  household: string,
  totalCost: string,
  expenseDate = chinaDaysAgo(3),
): Promise<{ claimId: string; outcome: string }> {
  const created = await api('POST', '/claims', {
    householdId: household,
    category: 'education',
    expenseDate,
    totalCost,
    reimbursed: '0',
    receipts: [{ contentType: 'image/jpeg' }],
  });
  if (created.status !== 201)
    throw new Error(`POST /claims: ${created.status} ${JSON.stringify(created.body)}`);
  const grant = created.body as Grant;
  const receipt = receiptJpeg(grant.claimId);
  const receiptKey = grant.receipts[0]?.key ?? '';
  const done = bench.finished(grant.claimId);
  await bench.s3.send(
    new PutObjectCommand({ Bucket: 'receipts', Key: receiptKey, Body: receipt, ContentType: 'image/jpeg' }),
  );
  const manifest = {
    ...grant.manifestTemplate,
    receipts: [
      {
        key: receiptKey,
        sha256: createHash('sha256').update(receipt).digest('hex'),
        contentType: 'image/jpeg',
      },
    ],
  };
  await bench.s3.send(
    new PutObjectCommand({
      Bucket: 'receipts',
      Key: grant.manifest.key,
      Body: JSON.stringify(manifest),
      ContentType: 'application/json',
    }),
  );
  const description = await done;
  const outcome = (JSON.parse(description.output ?? '{}') as { outcome?: string }).outcome;
  return { claimId: grant.claimId, outcome: outcome ?? description.status };
}

const reviewExecutionArn = (claimId: string) =>
  `arn:aws:states:us-east-1:000000000000:execution:review-claim:${claimId}`;

/**
 * Resolves, per claim, with the notice's end once its review-claim run enters the NoticePeriod
 * Wait (StartNotice has put the claim on NOTICE): seen on the workflow's events, so following a
 * claim reads nothing the meter would count.
 */
function noticeWatch() {
  const posted = new Map<string, { promise: Promise<string>; resolve: (endsAt: string) => void }>();
  const entry = (claimId: string) => {
    let found = posted.get(claimId);
    if (!found) {
      let resolve: (endsAt: string) => void = () => undefined;
      const promise = new Promise<string>((r) => (resolve = r));
      found = { promise, resolve };
      posted.set(claimId, found);
    }
    return found;
  };
  return {
    onEvent({ executionArn, event }: ExecutionEvent): void {
      if (event.type !== 'StateEntered' || event.state.name !== 'NoticePeriod') return;
      const claimId = /:review-claim:(.+)$/.exec(executionArn)?.[1];
      const endsAt = (event.state.input as { notice?: { noticeEndsAt?: string } } | null)?.notice
        ?.noticeEndsAt;
      if (claimId && endsAt) entry(claimId).resolve(endsAt);
    },
    posted: (claimId: string): Promise<string> => entry(claimId).promise,
  };
}

/** Notice-path claims filed and paid before the measured ones (the Standard path's first calls). */
const NOTICE_WARMUP = 2;

export interface PathUse {
  readonly claims: number;
  readonly outcomes: Record<string, number>;
  readonly counts: Counts;
}

/**
 * Files `automatic` claims, `review` claims (decided at all three gates) and `notice` claims
 * (automatic, region demo-fund: posted, the clock moved past each notice, paid), counting what
 * each path uses.
 */
export async function measureCostRun(options: {
  readonly automatic: number;
  readonly review: number;
  readonly notice: number;
  readonly log: (line: string) => void;
  /** Awaited once the stack is up, before any claim is filed (work that may overlap the start). */
  readonly beforeClaims?: () => Promise<unknown>;
}): Promise<{ automatic: PathUse; review: PathUse; notice: PathUse }> {
  const meter = new Meter();
  const notices = noticeWatch();
  const households = options.automatic + options.review + 10;
  const bench = await startBenchStack(households, {
    onLambdaInvoke: meter.onLambda,
    onStepFunctionsEvent: (event) => {
      meter.onWorkflowEvent(event);
      notices.onEvent(event);
    },
  });
  // demo-fund's households number on from the demo ones (a notice warm-up of NOTICE_WARMUP first).
  const fundRoster = await importRoster(
    bench.stack.deps.roster,
    syntheticRosterCsv(options.notice + NOTICE_WARMUP, { region: 'demo-fund', first: households + 1 }),
  );
  if (fundRoster.rejected.length > 0)
    throw new Error(`synthetic demo-fund roster rejected: ${JSON.stringify(fundRoster.rejected[0])}`);
  await options.beforeClaims?.();
  // Handler logs are what Lambda would ship to CloudWatch: count them, keep them off the console.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    meter.onHandlerLog(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
    return true;
  }) as typeof process.stdout.write;
  try {
    meter.meterDynamo(bench.stack.deps.db);
    meter.meterS3(bench.stack.deps.s3);
    meter.meterS3(bench.s3);
    const workers = {
      worker1: await signIn(bench, 'worker1', meter),
      worker2: await signIn(bench, 'worker2', meter),
    };
    const gates = [
      ['village', await signIn(bench, 'village1', meter)],
      ['department', await signIn(bench, 'insurer1', meter)],
      ['audit', await signIn(bench, 'auditor1', meter)],
    ] as const;
    // The synthetic roster gives even households to worker1, odd ones to worker2.
    const workerFor = (i: number) => (i % 2 === 0 ? workers.worker1 : workers.worker2);
    let next = 1;
    const run = async (claims: number, path: 'automatic' | 'review'): Promise<PathUse> => {
      const outcomes: Record<string, number> = {};
      for (let n = 0; n < claims; n++) {
        const i = next++;
        const api = workerFor(i);
        const household = householdId(i);
        if (path === 'automatic') {
          const { outcome } = await fileClaim(bench, api, household, '15000.00');
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          continue;
        }
        const { outcome: assessed } = await fileClaim(bench, api, household, '30000.00');
        if (assessed !== 'review') throw new Error(`review-path claim ended ${assessed}`);
        const claims = (await api('GET', `/claims?householdId=${household}`)).body as {
          items: { claimId: string }[];
        };
        const claimId = claims.items[0]?.claimId ?? '';
        for (const [gate, reviewer] of gates) {
          const decided = await reviewer('POST', `/claims/${claimId}/reviews`, { gate, decision: 'approve' });
          if (decided.status !== 200)
            throw new Error(`${gate}: ${decided.status} ${JSON.stringify(decided.body)}`);
        }
        const review = await bench.stack.stepFunctions.waitForExecution(reviewExecutionArn(claimId));
        const state = (await bench.stack.deps.claims.get(claimId))?.state ?? review.status;
        outcomes[state] = (outcomes[state] ?? 0) + 1;
      }
      // Let the event log of the last execution reach the meter before reading it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { claims, outcomes, counts: structuredClone(meter.counts) };
    };
    // Education 15,000.00 pays 3,500.00 in demo-fund too, under its 5,000 review line. Each claim
    // is posted (NOTICE), the clock moved past its notice, and its review-claim run pays it, one
    // claim at a time as on the other paths (a batch's payouts would all fall due at once).
    let nextFund = households + 1;
    const runNotice = async (claims: number): Promise<PathUse> => {
      const filed: string[] = [];
      for (let n = 0; n < claims; n++) {
        const i = nextFund++;
        const clock = bench.stack.clock;
        // Three days before the local clock's today: each advance moves it five days on.
        const expenseDate = chinaDate(new Date(clock.now().getTime() - 3 * DAY_MS));
        const { claimId, outcome } = await fileClaim(
          bench,
          workerFor(i),
          householdId(i),
          '15000.00',
          expenseDate,
        );
        if (outcome !== 'notice') throw new Error(`notice-path claim ended ${outcome}`);
        // The Express run has started review-claim; it must reach the notice, not end before it.
        const ended = bench.stack.stepFunctions.waitForExecution(reviewExecutionArn(claimId));
        const reached = await Promise.race([
          notices.posted(claimId).then((endsAt) => ({ endsAt })),
          ended.then((d) => ({ ended: d.status })),
        ]);
        if (!('endsAt' in reached))
          throw new Error(`notice-path review-claim ${reached.ended} before a notice`);
        const days = Math.ceil((Date.parse(reached.endsAt) - clock.now().getTime()) / DAY_MS);
        if (days > 0) await clock.advance(days);
        const review = await ended;
        if (review.status !== 'SUCCEEDED') throw new Error(`notice-path review-claim ${review.status}`);
        filed.push(claimId);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      const counts = structuredClone(meter.counts);
      // Read once counted: the states each claim went through (the bench's reads, not the path's).
      const outcomes: Record<string, number> = {};
      for (const claimId of filed) {
        const states = (await bench.stack.deps.claims.history(claimId)).map((e) => e.to).join('>');
        if (!states.endsWith('NOTICE>PAID')) throw new Error(`notice-path claim went ${states}`);
        outcomes[states] = (outcomes[states] ?? 0) + 1;
      }
      return { claims, outcomes, counts };
    };
    await run(5, 'automatic'); // warm-up, not counted
    meter.reset();
    const automatic = await run(options.automatic, 'automatic');
    meter.reset();
    const review = await run(options.review, 'review');
    // Last: its clock advances would age any claim filed after it. Warmed up, as automatic is.
    await runNotice(NOTICE_WARMUP);
    meter.reset();
    const notice = await runNotice(options.notice);
    options.log(
      `  measured ${automatic.claims} automatic (${JSON.stringify(automatic.outcomes)}), ${review.claims} review-path (${JSON.stringify(review.outcomes)}) and ${notice.claims} notice-path claims (${JSON.stringify(notice.outcomes)})`,
    );
    return { automatic, review, notice };
  } finally {
    process.stdout.write = write;
    await bench.stop();
  }
}

/**
 * DynamoDB Local reports 4 write units per KB for a transactional write (measured); DynamoDB
 * charges 2 ("two underlying writes, prepare and commit"), so Local's transactional units are halved.
 */
const LOCAL_TRANSACT_WRITE_FACTOR = 2;

export interface PerClaimUse {
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
  readonly lambdaMeanMs: Record<string, number>;
  readonly expressRequests: number;
  readonly expressGbSeconds: number;
  readonly standardTransitions: number;
  readonly expressTransitions: number;
  readonly dynamoReadUnits: number;
  readonly dynamoWriteUnits: number;
  /** Of dynamoWriteUnits, those spent keeping each global secondary index up to date. */
  readonly dynamoIndexWriteUnits: Record<string, number>;
  readonly dynamoRequests: number;
  readonly s3PutRequests: number;
  readonly s3GetRequests: number;
  readonly apiRequests: number;
  readonly eventBridgeEvents: number;
  readonly logBytes: number;
  /** logBytes by source: handler output, Lambda's START/END/REPORT lines, workflow execution logs. */
  readonly logParts: { readonly handlers: number; readonly platform: number; readonly workflows: number };
  readonly traces: number;
}

const putClass = new Set([
  'PutObjectCommand',
  'CopyObjectCommand',
  'ListObjectsV2Command',
  'CreateMultipartUploadCommand',
]);

export function perClaimUse(use: PathUse, facts: StackFacts, prices: Prices): PerClaimUse {
  const c = use.counts;
  const n = Math.max(1, use.claims);
  let invocations = 0;
  let gbSeconds = 0;
  const meanMs: Record<string, number> = {};
  for (const [name, l] of Object.entries(c.lambda)) {
    invocations += l.invocations;
    gbSeconds += (l.billedMs / 1000) * ((facts.lambdaMemoryMb[name] ?? 512) / 1024);
    meanMs[name] = round(l.totalMs / l.invocations, 1);
  }
  // Local counts transactional writes at twice DynamoDB's rate; only those are scaled back.
  const writeUnits =
    c.dynamo.writeUnits -
    (c.dynamo.transactWriteUnits * (LOCAL_TRANSACT_WRITE_FACTOR - 1)) / LOCAL_TRANSACT_WRITE_FACTOR;
  const s3Put = Object.entries(c.s3).reduce((sum, [k, v]) => sum + (putClass.has(k) ? v : 0), 0);
  const s3Get = Object.entries(c.s3).reduce((sum, [k, v]) => sum + (putClass.has(k) ? 0 : v), 0);
  const logParts = {
    handlers: Math.round(c.handlerLogBytes / n),
    platform: Math.round((invocations * LAMBDA_PLATFORM_LOG_BYTES) / n),
    workflows: Math.round(
      (workflowLogBytes(c.express.log, facts.workflows['assess-claim']) +
        workflowLogBytes(c.standard.log, facts.workflows['review-claim'])) /
        n,
    ),
  };
  const logBytes = logParts.handlers + logParts.platform + logParts.workflows;
  const executions = c.express.executions + c.standard.executions;
  const workflowsTraced = Object.values(facts.workflows).some((w) => w.tracing);
  const expressGb = prices.stepFunctions.expressMemoryIncrementMb / 1024;
  return {
    lambdaInvocations: round(invocations / n, 2),
    lambdaGbSeconds: gbSeconds / n,
    lambdaMeanMs: meanMs,
    expressRequests: round(c.express.executions / n, 2),
    expressGbSeconds: ((c.express.billedMs / 1000) * expressGb) / n,
    standardTransitions: round(c.standard.transitions / n, 2),
    expressTransitions: round(c.express.transitions / n, 2),
    dynamoReadUnits: round(c.dynamo.readUnits / n, 2),
    dynamoWriteUnits: round(writeUnits / n, 2),
    dynamoIndexWriteUnits: Object.fromEntries(
      Object.entries(c.dynamo.indexWriteUnits).map(([index, units]) => [index, round(units / n, 2)]),
    ),
    dynamoRequests: round(Object.values(c.dynamo.requests).reduce((a, b) => a + b, 0) / n, 2),
    s3PutRequests: round(s3Put / n, 2),
    s3GetRequests: round(s3Get / n, 2),
    apiRequests: round(c.apiRequests / n, 2),
    eventBridgeEvents: round(c.express.executions / n, 2),
    logBytes,
    logParts,
    // An API call is one trace when its Lambda traces actively: Lambda samples those itself (the
    // first each second, then 5%), so at claim rates every one is recorded (an upper bound). A
    // workflow execution is recorded at the stack's sampling rate.
    traces: round(
      ((facts.lambdaTracing ? c.apiRequests : 0) +
        (workflowsTraced ? executions * facts.workflowTraceRate : 0)) /
        n,
      3,
    ),
  };
}

/** The bytes a workflow's log group ingests at its configured level. */
function workflowLogBytes(
  log: WorkflowLogBytes,
  config: { logLevel: string; includeExecutionData: boolean } | undefined,
): number {
  if (!config || config.logLevel === 'OFF') return 0;
  const all = config.logLevel === 'ALL';
  const envelope = all ? log.envelope : log.errorEnvelope;
  const data = all ? log.data : log.errorData;
  return envelope + (config.includeExecutionData ? data : 0);
}

export interface CostLine {
  readonly service: string;
  readonly perClaim: string;
  readonly usdPer1000: number;
}

export function costPer1000(
  use: PerClaimUse,
  prices: Prices,
): { lines: CostLine[]; totalUsdPer1000: number } {
  const k = 1000;
  const lines: CostLine[] = [
    {
      service: 'Step Functions Standard transitions',
      perClaim: `${use.standardTransitions} transitions`,
      usdPer1000: use.standardTransitions * prices.stepFunctions.standardPerStateTransition * k,
    },
    {
      service: 'Step Functions Express requests + duration',
      perClaim: `${use.expressRequests} req, ${round(use.expressGbSeconds, 5)} GB-s`,
      usdPer1000:
        (use.expressRequests * prices.stepFunctions.expressPerRequest +
          use.expressGbSeconds * prices.stepFunctions.expressPerGbSecond) *
        k,
    },
    {
      service: 'Lambda requests + duration (arm64)',
      perClaim: `${use.lambdaInvocations} inv, ${round(use.lambdaGbSeconds, 4)} GB-s`,
      usdPer1000:
        (use.lambdaInvocations * prices.lambda.perRequest +
          use.lambdaGbSeconds * prices.lambda.arm64PerGbSecond) *
        k,
    },
    {
      service: 'DynamoDB on-demand read + write units',
      perClaim: `${use.dynamoReadUnits} RRU, ${use.dynamoWriteUnits} WRU (${use.dynamoRequests} requests)`,
      usdPer1000:
        (use.dynamoReadUnits * prices.dynamodb.onDemandPerReadRequestUnit +
          use.dynamoWriteUnits * prices.dynamodb.onDemandPerWriteRequestUnit) *
        k,
    },
    {
      service: 'S3 requests',
      perClaim: `${use.s3PutRequests} PUT, ${use.s3GetRequests} GET`,
      usdPer1000:
        (use.s3PutRequests * prices.s3.standardPutCopyPostListPerRequest +
          use.s3GetRequests * prices.s3.standardGetSelectAndOtherPerRequest) *
        k,
    },
    {
      service: 'API Gateway HTTP API requests',
      perClaim: `${use.apiRequests} req`,
      usdPer1000: use.apiRequests * prices.apiGateway.httpApiPerRequest * k,
    },
    {
      service: 'EventBridge (S3 service events: free)',
      perClaim: `${use.eventBridgeEvents} events`,
      usdPer1000: use.eventBridgeEvents * prices.eventBridge.awsServiceEventOnDefaultBus * k,
    },
    {
      service: 'CloudWatch Logs ingestion (estimate)',
      perClaim: `${round(use.logBytes / 1024, 1)} KiB (handlers ${round(use.logParts.handlers / 1024, 1)}, platform ${round(use.logParts.platform / 1024, 1)}, workflows ${round(use.logParts.workflows / 1024, 1)})`,
      usdPer1000: (use.logBytes / 1024 ** 3) * prices.cloudWatchLogs.standardIngestionPerGb * k,
    },
    {
      service: 'X-Ray traces (API calls all, workflows sampled)',
      perClaim: `${use.traces} traces`,
      usdPer1000: use.traces * prices.xRay.perTraceRecorded * k,
    },
  ];
  const rounded = lines.map((l) => ({ ...l, usdPer1000: round(l.usdPer1000, 5) }));
  return {
    lines: rounded,
    totalUsdPer1000: round(
      lines.reduce((sum, l) => sum + l.usdPer1000, 0),
      4,
    ),
  };
}

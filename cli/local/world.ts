// The local world: how the handler modules, their ports and the deployed workflow definitions are
// put together off AWS. The local runtime, the tests, the benchmark and the verification checks
// all build it here, so a handler is loaded, given its dependencies and invoked the same way in each.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { S3ObjectCreatedEvent } from '#cli/local/s3-local.ts';
import {
  createLocalStepFunctions,
  type ExecutionEvent,
  type LocalStepFunctions,
} from '#cli/local/step-functions.ts';
import type { ObjectStore } from '#cli/local/step-functions/distributed-map.ts';
import type { AlarmClock } from '#cli/local/local-clock.ts';
import { apiRoutes, functionTimeoutSeconds, workflowHandlers } from '#functions/catalog.ts';
import { MeteredClaimStore } from '#functions/metrics.ts';
import {
  MemoryExports,
  MemoryReceipts,
  MemoryStore,
  RecordingMetrics,
  RecordingReviews,
  RecordingWorkflows,
  memoryUploads,
} from '#functions/adapters/memory/memory-ports.ts';
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { memoryStats } from '#functions/adapters/memory/memory-stats.ts';
import type { StatsStore } from '#shared/api/stats-api.ts';
import { fakeJpeg, sha256 } from '#cli/local/demo-data.ts';
import {
  functionArnPlaceholder,
  renderDefinition,
  importsBucketPlaceholder,
  reviewStateMachinePlaceholder,
} from '#infra/workflows/definitions.ts';
import { CLAIM_GRANT_SECONDS, type ClaimGrant } from '#shared/claim-grant.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import type { Clock, IdSource } from '#shared/ports.ts';
import { parseRosterCsv } from '#shared/roster.ts';
import { assessClaimStep } from '#shared/workflow/assess-claim.ts';
import { checkDuplicates } from '#shared/workflow/check-duplicates.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { validateClaim } from '#shared/workflow/validate-claim.ts';

export const LOCAL_REGION = 'us-east-1';
const LOCAL_ACCOUNT = '000000000000';
export const RECEIPTS_BUCKET = 'receipts';
export const CLAIMS_TABLE = 'claims';
export const assessArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:assess-claim`;
export const reviewArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:review-claim`;
export const importArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:import-file`;
export const exportArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:export-ledger`;
const localFunctionArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;

/** The ASL substitutions that point both workflows at the local functions and review machine. */
function localWorkflowSubstitutions(): Record<string, string> {
  const substitutions: Record<string, string> = {
    [reviewStateMachinePlaceholder]: reviewArn,
    [importsBucketPlaceholder]: RECEIPTS_BUCKET,
  };
  for (const name of workflowHandlers) substitutions[functionArnPlaceholder(name)] = localFunctionArn(name);
  return substitutions;
}

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** What every handler module exports besides `handler`: its factory over its dependencies. */
export interface HandlerModule<D = never> {
  makeHandler(deps: () => D): LambdaHandler;
}

/** The Lambda context a local invocation gets; `stream` tells the runs apart in logs. */
export function lambdaContext(name: string, stream = 'local'): Context {
  const started = Date.now();
  // Workflow steps get their deployed timeout; API routes 30 s (a laptop is slower than Lambda,
  // and API Gateway's own limit is 29 s).
  const isRoute = apiRoutes.some((r) => r.handler === name);
  const timeoutMs = (isRoute ? 30 : functionTimeoutSeconds(name)) * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(name),
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: stream,
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const modules = new Map<string, Promise<unknown>>();

/** Imports catalog handler modules (once per process). */
export async function handlerModules<D>(names: readonly string[]): Promise<Map<string, HandlerModule<D>>> {
  const loaded = new Map<string, HandlerModule<D>>();
  for (const name of names) {
    let module = modules.get(name);
    if (!module) {
      module = import(`../../functions/handlers/${name}.ts`);
      modules.set(name, module);
    }
    loaded.set(name, (await module) as HandlerModule<D>);
  }
  return loaded;
}

/** Builds each named handler over the same dependencies, as the local runtime serves them. */
export async function loadHandlers<D>(
  names: readonly string[],
  deps: D,
): Promise<Map<string, LambdaHandler>> {
  const handlers = new Map<string, LambdaHandler>();
  for (const [name, module] of await handlerModules<D>(names))
    handlers.set(
      name,
      module.makeHandler(() => deps),
    );
  return handlers;
}

/** The deployed review definition with only its gates' TimeoutSeconds changed. */
function withGateTimeout(definition: string, seconds: number | undefined): string {
  if (seconds === undefined) return definition;
  const asl = JSON.parse(definition) as {
    States: Record<string, { Resource?: string; TimeoutSeconds?: number }>;
  };
  for (const state of Object.values(asl.States)) {
    if (state.Resource?.endsWith('.waitForTaskToken')) state.TimeoutSeconds = seconds;
  }
  return JSON.stringify(asl);
}

export interface LocalWorkflowOptions {
  /** Runs a workflow step: the function's catalog name and its payload. */
  readonly invoke: (name: string, payload: unknown) => Promise<unknown>;
  /** Retry backoff multiplier (tests and checks use a small one). */
  readonly retryIntervalScale?: number;
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** Where executions are kept across restarts; in memory only without it. */
  readonly stateFile?: string;
  /** Shortens the review gates' wait (seconds), to exercise the timeout path. */
  readonly gateTimeoutSeconds?: number;
  /** Where a Distributed Map reads its items and writes its results (the local S3 store). */
  readonly objectStore?: ObjectStore;
  /** What Wait states and review-gate timeouts count on (the local clock); real time without it. */
  readonly clock?: AlarmClock;
}

/** The deployed workflow definitions on the local Step Functions engine. */
export function localWorkflows(options: LocalWorkflowOptions): LocalStepFunctions {
  const substitutions = localWorkflowSubstitutions();
  return createLocalStepFunctions({
    definitions: {
      [assessArn]: { definition: renderDefinition('assess-claim', substitutions), type: 'EXPRESS' },
      [reviewArn]: {
        definition: withGateTimeout(
          renderDefinition('review-claim', substitutions),
          options.gateTimeoutSeconds,
        ),
        type: 'STANDARD',
      },
      [importArn]: { definition: renderDefinition('import-file', substitutions), type: 'STANDARD' },
      [exportArn]: { definition: renderDefinition('export-ledger', substitutions), type: 'STANDARD' },
    },
    ...(options.objectStore ? { objectStore: options.objectStore } : {}),
    invokeLambda: (fn, payload) => options.invoke(fn.split(':').pop() ?? fn, payload),
    ...(options.retryIntervalScale !== undefined ? { retryIntervalScale: options.retryIntervalScale } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.stateFile ? { stateFile: options.stateFile } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

/** The error Lambda's Invoke gives for a function that does not exist (the ASL may catch it). */
export function noSuchFunction(name: string): Error {
  const error = new Error(`no local function ${name}`);
  error.name = 'Lambda.ResourceNotFoundException';
  return error;
}

/** The EventBridge "Object Created" event for a stored manifest, as S3 would have sent it. */
export function manifestEvent(key: string, size: number, time: Date): S3ObjectCreatedEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: LOCAL_ACCOUNT,
    time: time.toISOString(),
    region: LOCAL_REGION,
    resources: [`arn:aws:s3:::${RECEIPTS_BUCKET}`],
    detail: {
      version: '0',
      bucket: { name: RECEIPTS_BUCKET },
      object: { key, size, etag: '', sequencer: '0' },
      'request-id': randomUUID(),
      requester: LOCAL_ACCOUNT,
      'source-ip-address': '127.0.0.1',
      reason: 'PutObject',
    },
  } as S3ObjectCreatedEvent;
}

/** A clock that stands still until told to move. */
export class FakeClock {
  constructor(public current = new Date('2026-09-05T02:00:00.000Z')) {}
  now = () => new Date(this.current);
  advance(ms: number) {
    this.current = new Date(this.current.getTime() + ms);
  }
}

let counter = 0;
/** Valid ULIDs, unique within a process. */
export function nextUlid(): string {
  counter += 1;
  return `01JC${String(counter).padStart(22, '0')}`;
}

/** A grant as the API stores it, valid for ten minutes from `at`. */
export function claimGrant(claimId: string, householdId: string, filer: string, at: Date): ClaimGrant {
  return {
    claimId,
    householdId,
    filer,
    grantedAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + CLAIM_GRANT_SECONDS * 1000).toISOString(),
  };
}

/** A stored claim with every field set (an education claim of HH-0001 filed by worker1). */
export function claimRecord(over: Partial<ClaimRecord> = {}): ClaimRecord {
  const at = over.createdAt ?? '2026-09-05T02:00:00.000Z';
  return {
    claimId: nextUlid(),
    householdId: 'HH-0001',
    category: 'education',
    expenseDate: '2026-09-01',
    totalCostFen: 1_500_000,
    reimbursedFen: 0,
    receipts: [],
    submittedBy: 'worker1',
    gridWorker: 'worker1',
    region: 'demo',
    village: '红星村',
    state: 'RECEIVED',
    gates: {},
    gateTokens: {},
    manifestSha256: null,
    filedAt: at,
    createdAt: at,
    updatedAt: at,
    version: 1,
    ...over,
  };
}

export interface ClaimSpec {
  householdId?: string;
  category?: string;
  expenseDate?: string;
  totalCost?: string;
  reimbursed?: string;
  receipt?: Uint8Array;
  /** The receipt's type (default image/jpeg). */
  contentType?: 'image/jpeg' | 'image/png' | 'application/pdf';
  submittedBy?: string;
  claimId?: string;
  /** The grant on record: by default the manifest's household and filer; `null` for none. */
  grant?: { householdId: string; filer: string } | null;
}

/** Puts a receipt and a manifest in the memory bucket the way a phone would; returns the manifest key. */
export function upload(
  world: { readonly bucket: MemoryReceipts; readonly store?: MemoryStore; readonly clock?: Clock },
  spec: ClaimSpec = {},
): { claimId: string; key: string } {
  const claimId = spec.claimId ?? nextUlid();
  const receipt = spec.receipt ?? fakeJpeg(claimId);
  const contentType = spec.contentType ?? 'image/jpeg';
  const receiptKey = `claims/${claimId}/receipt-1.${{ 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' }[contentType]}`;
  world.bucket.put(receiptKey, receipt);
  const manifest = {
    schemaVersion: 1,
    claimId,
    householdId: spec.householdId ?? 'HH-0001',
    category: spec.category ?? 'education',
    expenseDate: spec.expenseDate ?? '2026-09-01',
    totalCost: spec.totalCost ?? '15000',
    reimbursed: spec.reimbursed ?? '0',
    receipts: [{ key: receiptKey, sha256: sha256(receipt), contentType }],
    submittedBy: spec.submittedBy ?? 'worker1',
  };
  const granted =
    spec.grant === undefined
      ? { householdId: manifest.householdId, filer: manifest.submittedBy }
      : spec.grant;
  if (granted) {
    if (!world.store || !world.clock) throw new Error('a grant needs a store and a clock');
    world.store.grants.set(
      claimId,
      claimGrant(claimId, granted.householdId, granted.filer, world.clock.now()),
    );
  }
  const key = `claims/${claimId}/manifest.json`;
  world.bucket.put(key, JSON.stringify(manifest));
  return { claimId, key };
}

/** Every port in memory, with the recording ends exposed for looking at what happened. */
export interface MemoryWorld {
  readonly store: MemoryStore;
  readonly bucket: MemoryReceipts;
  readonly reviewsLog: RecordingReviews;
  readonly workflowsLog: RecordingWorkflows;
  readonly exportFiles: MemoryExports;
  readonly metricsLog: RecordingMetrics;
  readonly claims: MeteredClaimStore;
  readonly roster: MemoryStore;
  /** The departments' records (the same store, as in DynamoDB: one table). */
  readonly feeds: MemoryStore;
  readonly ledger: MemoryStore;
  readonly receipts: MemoryReceipts;
  readonly reviews: RecordingReviews;
  readonly workflows: RecordingWorkflows;
  readonly exports: MemoryExports;
  readonly uploads: ReturnType<typeof memoryUploads>;
  readonly fingerprints: ReturnType<typeof sharpFingerprinter>;
  readonly metrics: RecordingMetrics;
  readonly stats: StatsStore;
  readonly clock: Clock;
  readonly ids: IdSource;
}

export async function memoryWorld(
  options: { clock?: Clock; ids?: IdSource; rosterCsv?: string } = {},
): Promise<MemoryWorld> {
  const store = new MemoryStore();
  if (options.rosterCsv) await store.put(parseRosterCsv(options.rosterCsv).periods);
  const clock = options.clock ?? { now: () => new Date() };
  const bucket = new MemoryReceipts();
  const reviewsLog = new RecordingReviews();
  const workflowsLog = new RecordingWorkflows();
  const exportFiles = new MemoryExports(() => clock.now());
  const metricsLog = new RecordingMetrics();
  return {
    store,
    bucket,
    reviewsLog,
    workflowsLog,
    exportFiles,
    metricsLog,
    claims: new MeteredClaimStore(store, metricsLog),
    roster: store,
    feeds: store,
    ledger: store,
    receipts: bucket,
    reviews: reviewsLog,
    workflows: workflowsLog,
    exports: exportFiles,
    uploads: memoryUploads(),
    fingerprints: sharpFingerprinter(),
    metrics: metricsLog,
    stats: memoryStats(store),
    clock,
    ids: options.ids ?? { next: nextUlid },
  };
}

/**
 * The assess-claim steps called directly in the definition's order: no engine, no middleware.
 * For fast runs of the domain path; the real definition runs in localWorkflows().
 */
export async function runAssessSteps(deps: StepDeps, key: string): Promise<string> {
  let r: { claimId: string | null; outcome: string } = await validateClaim(deps, {
    bucket: RECEIPTS_BUCKET,
    key,
  });
  if (r.claimId === null) return r.outcome;
  const claimId = r.claimId;
  if (r.outcome === 'continue') r = await checkDuplicates(deps, { claimId });
  if (r.outcome === 'continue') r = await assessClaimStep(deps, { claimId });
  if (r.outcome === 'review') await deps.reviews.start(claimId);
  if (r.outcome === 'approved') r = await recordPayout(deps, { claimId });
  return r.outcome;
}

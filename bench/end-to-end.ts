// Figure group 1 (disk-backed): claims uploaded straight to the S3 emulator of a freshly started
// local stack (DynamoDB Local on disk, s3rver on disk, the deployed ASL on the local Step
// Functions service, the real handler modules), timed from the manifest PutObject resolving to
// the claim's assess-claim execution ending PAID.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ulid } from 'ulid';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '#cli/local/runtime.ts';
import { findFreePort } from '#cli/local/net.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import type { ExecutionDescription } from '#cli/local/step-functions.ts';
import { importRoster } from '#shared/api/roster-api.ts';
import { powertoolsMetrics } from '#functions/metrics.ts';
import { metricsNamespace, powertoolsServiceName } from '#functions/catalog.ts';
import { claimIdFromManifestKey } from '#shared/manifest.ts';
import { cpuMeter, dynamoDbLocalPid } from '#bench/process-cpu.ts';
import { percentile, round, runPool } from '#bench/stats.ts';
import {
  claimUpload,
  householdId,
  syntheticRosterCsv,
  type ClaimUpload,
  type PathKind,
} from '#bench/synthetic.ts';

export interface LatencyRun {
  readonly concurrency: number;
  readonly claims: number;
  /** Claims that ended PAID (every one should). */
  readonly paid: number;
  readonly claimsPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly wallMs: number;
}

export function summarise(
  concurrency: number,
  latencies: readonly number[],
  paid: number,
  wallMs: number,
): LatencyRun {
  return {
    concurrency,
    claims: latencies.length,
    paid,
    claimsPerSecond: round((latencies.length / wallMs) * 1000, 1),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    p99Ms: round(percentile(latencies, 99)),
    wallMs: Math.round(wallMs),
  };
}

export interface BenchStack {
  readonly stack: LocalStack;
  readonly s3: S3Client;
  /** Resolves with the execution's description once the claim's assess-claim run has ended. */
  finished(claimId: string): Promise<ExecutionDescription>;
  /** Uploads the claim's receipt, as a phone does before the manifest. */
  uploadReceipt(claim: ClaimUpload): Promise<void>;
  /** Uploads the manifest, which starts the workflow; resolves when the PutObject has. */
  uploadManifest(claim: ClaimUpload): Promise<void>;
  /** Receipt then manifest. */
  upload(claimId: string, household: string, path?: PathKind): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A local stack on a fresh temp data dir with `households` synthetic households on the roster.
 * Completion is hooked on the stack's own waitForExecution (the runtime awaits every execution it
 * starts), so nothing polls the store while the clock runs.
 */
export async function startBenchStack(
  households: number,
  hooks: Pick<LocalStackOptions, 'onStepFunctionsEvent' | 'onLambdaInvoke'> = {},
): Promise<BenchStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'claims-bench-'));
  const stack = await startLocalStack({
    port: await findFreePort(),
    s3Port: await findFreePort(),
    dynamodbPort: await findFreePort(),
    dataDir,
    demo: false,
    // As on Lambda: business metrics are log lines (EMF), written and counted with the rest.
    metrics: powertoolsMetrics({ namespace: metricsNamespace, serviceName: powertoolsServiceName }),
    ...hooks,
  });
  const roster = await importRoster(stack.deps.roster, syntheticRosterCsv(households));
  if (roster.rejected.length > 0)
    throw new Error(`synthetic roster rejected: ${JSON.stringify(roster.rejected[0])}`);

  const waiting = new Map<string, (d: ExecutionDescription) => void>();
  const early = new Map<string, ExecutionDescription>();
  const sfn = stack.stepFunctions;
  const waitForExecution = sfn.waitForExecution.bind(sfn);
  sfn.waitForExecution = async (arn: string) => {
    const description = await waitForExecution(arn);
    if (description.stateMachineArn.endsWith(':assess-claim')) {
      const key = (JSON.parse(description.input) as { detail?: { object?: { key?: string } } }).detail?.object
        ?.key;
      const claimId = key ? claimIdFromManifestKey(key) : undefined;
      if (claimId) {
        const resolve = waiting.get(claimId);
        if (resolve) {
          waiting.delete(claimId);
          resolve(description);
        } else early.set(claimId, description);
      }
    }
    return description;
  };

  const s3 = new S3Client({
    endpoint: stack.s3Url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { ...s3LocalCredentials },
  });
  const bench: BenchStack = {
    stack,
    s3,
    finished(claimId) {
      const done = early.get(claimId);
      if (done) {
        early.delete(claimId);
        return Promise.resolve(done);
      }
      return new Promise((resolve) => waiting.set(claimId, resolve));
    },
    async uploadReceipt(claim) {
      // The grant first, as the phone asks for it before uploading (untimed, like the receipt).
      await stack.deps.claims.putGrant(claim.grant);
      await s3.send(
        new PutObjectCommand({
          Bucket: 'receipts',
          Key: claim.receiptKey,
          Body: claim.receipt,
          ContentType: 'image/jpeg',
        }),
      );
    },
    async uploadManifest(claim) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'receipts',
          Key: claim.manifestKey,
          Body: claim.manifest,
          ContentType: 'application/json',
        }),
      );
    },
    async upload(claimId, household, path = 'automatic') {
      const claim = claimUpload(claimId, household, path);
      await bench.uploadReceipt(claim);
      await bench.uploadManifest(claim);
    },
    async stop() {
      s3.destroy();
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return bench;
}

/** Output of assess-claim's last Task: { claimId, outcome }. */
function outcomeOf(d: ExecutionDescription): string | undefined {
  try {
    return (JSON.parse(d.output ?? 'null') as { outcome?: string } | null)?.outcome;
  } catch {
    return undefined;
  }
}

/** `claims` claims at `concurrency`, households `firstHousehold`.. so no household is reused within a run. */
async function measureStack(
  bench: BenchStack,
  claims: number,
  concurrency: number,
  firstHousehold: number,
  households: number,
): Promise<LatencyRun> {
  const items = Array.from({ length: claims }, (_, i) =>
    claimUpload(ulid(), householdId(1 + ((firstHousehold + i) % households))),
  );
  // Receipts go up first, untimed: a phone uploads them before the manifest, and the figure is
  // manifest upload -> PAID.
  await runPool(items, 8, (claim) => bench.uploadReceipt(claim));
  const latencies: number[] = [];
  let paid = 0;
  const started = performance.now();
  await runPool(items, concurrency, async (claim) => {
    const done = bench.finished(claim.claimId);
    await bench.uploadManifest(claim);
    const t0 = performance.now();
    const description = await done;
    latencies.push(performance.now() - t0);
    if (description.status === 'SUCCEEDED' && outcomeOf(description) === 'paid') paid += 1;
  });
  return summarise(concurrency, latencies, paid, performance.now() - started);
}

export interface EndToEndOptions {
  readonly claims: number;
  readonly concurrencies: readonly number[];
  readonly warmup: number;
  readonly log: (line: string) => void;
}

export interface DiskRun extends LatencyRun {
  /** CPU time per claim of this process (handlers, SDK clients, S3 emulator, workflows). */
  readonly nodeCpuMsPerClaim: number;
  /** CPU time per claim of the DynamoDB Local JVM. */
  readonly jvmCpuMsPerClaim: number;
}

export interface EndToEndResult {
  readonly runs: readonly DiskRun[];
  /** Median duration of each workflow Lambda in the concurrency-1 run: where a claim's time goes. */
  readonly stepP50Ms: Record<string, number>;
}

export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndResult> {
  const households = Math.max(options.claims, 100);
  let steps: Map<string, number[]> | undefined;
  const bench = await startBenchStack(households, {
    onLambdaInvoke: (name, ms) => {
      if (!steps) return;
      const list = steps.get(name) ?? [];
      list.push(ms);
      steps.set(name, list);
    },
  });
  try {
    const jvm = dynamoDbLocalPid(new URL(bench.stack.dynamodbUrl).port);
    // Warm-up: JIT, connection pools, DynamoDB Local's JVM; not reported.
    await measureStack(bench, options.warmup, 4, households - options.warmup, households);
    const runs: DiskRun[] = [];
    const stepP50Ms: Record<string, number> = {};
    for (const concurrency of options.concurrencies) {
      if (concurrency === 1) steps = new Map();
      const cpu = cpuMeter(jvm);
      const run = await measureStack(bench, options.claims, concurrency, 0, households);
      const used = cpu();
      if (steps) for (const [name, list] of steps) stepP50Ms[name] = round(percentile(list, 50));
      steps = undefined;
      const disk: DiskRun = {
        ...run,
        nodeCpuMsPerClaim: round(used.nodeMs / run.claims),
        jvmCpuMsPerClaim: round(used.jvmMs / run.claims),
      };
      options.log(
        `  disk c=${concurrency}: ${run.claimsPerSecond} claims/s, p50 ${run.p50Ms} ms, p95 ${run.p95Ms} ms, p99 ${run.p99Ms} ms (${run.paid}/${run.claims} PAID), CPU/claim node ${disk.nodeCpuMsPerClaim} ms + JVM ${disk.jvmCpuMsPerClaim} ms`,
      );
      runs.push(disk);
    }
    await bench.stack.idle();
    return { runs, stepP50Ms };
  } finally {
    await bench.stop();
  }
}

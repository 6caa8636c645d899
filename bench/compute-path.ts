// Figure group 1 (compute only): the same assess-claim ASL on the local Step Functions engine and
// the same handler modules (middy, Powertools, zod parsing), but storage stubbed by the in-memory
// ports the unit tests use. Subtracting this from the disk-backed run shows what the emulated
// storage costs; the "steps only" run drops the engine and middleware too.
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { ulid } from 'ulid';
import { workflowHandlers } from '#functions/catalog.ts';
import { createLocalStepFunctions } from '#cli/local/step-functions.ts';
import {
  assessArn,
  localFunctionArn,
  localWorkflowSubstitutions,
  manifestEvent,
  reviewArn,
} from '#cli/local/runtime.ts';
import { renderDefinition } from '#infra/workflows/definitions.ts';
import { parseRosterCsv } from '#shared/roster.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { validateClaim } from '#shared/workflow/validate-claim.ts';
import { checkDuplicates } from '#shared/workflow/check-duplicates.ts';
import { assessClaimStep } from '#shared/workflow/assess-claim.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
// The unit tests' in-memory ports, reused as they are (same conditional semantics as DynamoDB).
import { MemoryReceipts, MemoryStore, RecordingReviews } from '#test/support/memory-store.ts';
import { summarise, type LatencyRun } from './end-to-end.ts';
import { runPool } from './stats.ts';
import { claimUpload, householdId, syntheticRosterCsv } from './synthetic.ts';

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

function context(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(name),
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function memoryWorld(households: number) {
  const store = new MemoryStore();
  await store.put(parseRosterCsv(syntheticRosterCsv(households)).periods);
  const bucket = new MemoryReceipts();
  const deps: StepDeps = {
    claims: store,
    roster: store,
    receipts: bucket,
    reviews: new RecordingReviews(),
    clock: { now: () => new Date() },
    fingerprints: sharpFingerprinter(),
  };
  return { store, bucket, deps };
}

/** Handlers and ASL on the local engine, storage in memory. */
export async function measureComputePath(claims: number, concurrency: number): Promise<LatencyRun> {
  const world = await memoryWorld(claims);
  const handlers = new Map<string, LambdaHandler>();
  for (const name of workflowHandlers) {
    const mod = (await import(`../functions/handlers/${name}.ts`)) as {
      makeHandler(deps: () => StepDeps): LambdaHandler;
    };
    handlers.set(
      name,
      mod.makeHandler(() => world.deps),
    );
  }
  const substitutions = localWorkflowSubstitutions();
  const sfn = createLocalStepFunctions({
    definitions: {
      [assessArn]: { definition: renderDefinition('assess-claim', substitutions), type: 'EXPRESS' },
      [reviewArn]: { definition: renderDefinition('review-claim', substitutions), type: 'STANDARD' },
    },
    invokeLambda: async (fn, payload) => {
      const name = fn.split(':').pop() ?? fn;
      const handler = handlers.get(name);
      if (!handler) throw new Error(`no function ${name}`);
      return handler(payload, context(name));
    },
  });
  try {
    const run = async (count: number, c: number) => {
      const latencies: number[] = [];
      let paid = 0;
      const started = performance.now();
      await runPool(
        Array.from({ length: count }, (_, i) => householdId(1 + i)),
        c,
        async (household) => {
          const claim = claimUpload(ulid(), household);
          await world.store.putGrant(claim.grant);
          world.bucket.put(claim.receiptKey, claim.receipt);
          world.bucket.put(claim.manifestKey, claim.manifest);
          const t0 = performance.now();
          const { executionArn } = sfn.startExecution({
            stateMachineArn: assessArn,
            input: JSON.stringify(manifestEvent(claim.manifestKey, claim.manifest.length, new Date())),
          });
          const done = await sfn.waitForExecution(executionArn);
          latencies.push(performance.now() - t0);
          if (done.status === 'SUCCEEDED' && (await world.store.get(claim.claimId))?.state === 'PAID')
            paid += 1;
        },
      );
      return summarise(c, latencies, paid, performance.now() - started);
    };
    await run(Math.min(100, claims), concurrency); // warm-up on the same households: caps allow it
    return await run(claims, concurrency);
  } finally {
    await sfn.close();
  }
}

/** The four steps called directly in the ASL's order: no engine, no middleware, storage in memory. */
export async function measureStepsOnly(claims: number, concurrency: number): Promise<LatencyRun> {
  const world = await memoryWorld(claims);
  const run = async (count: number, c: number) => {
    const latencies: number[] = [];
    let paid = 0;
    const started = performance.now();
    await runPool(
      Array.from({ length: count }, (_, i) => householdId(1 + i)),
      c,
      async (household) => {
        const claim = claimUpload(ulid(), household);
        await world.store.putGrant(claim.grant);
        world.bucket.put(claim.receiptKey, claim.receipt);
        world.bucket.put(claim.manifestKey, claim.manifest);
        const t0 = performance.now();
        let r: { claimId: string | null; outcome: string } = await validateClaim(world.deps, {
          bucket: 'receipts',
          key: claim.manifestKey,
        });
        const claimId = r.claimId ?? '';
        if (r.outcome === 'continue') r = await checkDuplicates(world.deps, { claimId });
        if (r.outcome === 'continue') r = await assessClaimStep(world.deps, { claimId });
        if (r.outcome === 'approved') r = await recordPayout(world.deps, { claimId });
        latencies.push(performance.now() - t0);
        if (r.outcome === 'paid') paid += 1;
      },
    );
    return summarise(c, latencies, paid, performance.now() - started);
  };
  await run(Math.min(100, claims), concurrency);
  return run(claims, concurrency);
}

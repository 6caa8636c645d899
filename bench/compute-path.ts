// Figure group 1 (compute only): the same assess-claim ASL on the local Step Functions engine and
// the same handler modules (middy, Powertools, zod parsing), but storage stubbed by the in-memory
// ports the unit tests use. Subtracting this from the disk-backed run shows what the emulated
// storage costs; the "steps only" run drops the engine and middleware too.
import { ulid } from 'ulid';
import { workflowHandlers } from '#functions/catalog.ts';
import {
  assessArn,
  lambdaContext,
  loadHandlers,
  localWorkflows,
  manifestEvent,
  memoryWorld,
  noSuchFunction,
  runAssessSteps,
} from '#cli/local/world.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { summarise, type LatencyRun } from '#bench/end-to-end.ts';
import { runPool } from '#bench/stats.ts';
import { claimUpload, householdId, syntheticRosterCsv } from '#bench/synthetic.ts';

// The in-memory ports the unit tests use (same conditional semantics as DynamoDB); the claim
// port still counts its metrics, as the deployed one does.
const world = (households: number) => memoryWorld({ rosterCsv: syntheticRosterCsv(households) });

/** Handlers and ASL on the local engine, storage in memory. */
export async function measureComputePath(claims: number, concurrency: number): Promise<LatencyRun> {
  const deps = await world(claims);
  const handlers = await loadHandlers<StepDeps>(workflowHandlers, deps);
  const sfn = localWorkflows({
    invoke: async (name, payload) => {
      const handler = handlers.get(name);
      if (!handler) throw noSuchFunction(name);
      return handler(payload, lambdaContext(name, 'bench'));
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
          await deps.store.putGrant(claim.grant);
          deps.bucket.put(claim.receiptKey, claim.receipt);
          deps.bucket.put(claim.manifestKey, claim.manifest);
          const t0 = performance.now();
          const { executionArn } = sfn.startExecution({
            stateMachineArn: assessArn,
            input: JSON.stringify(manifestEvent(claim.manifestKey, claim.manifest.length, new Date())),
          });
          const done = await sfn.waitForExecution(executionArn);
          latencies.push(performance.now() - t0);
          if (done.status === 'SUCCEEDED' && (await deps.store.get(claim.claimId))?.state === 'PAID')
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
  const deps = await world(claims);
  const run = async (count: number, c: number) => {
    const latencies: number[] = [];
    let paid = 0;
    const started = performance.now();
    await runPool(
      Array.from({ length: count }, (_, i) => householdId(1 + i)),
      c,
      async (household) => {
        const claim = claimUpload(ulid(), household);
        await deps.store.putGrant(claim.grant);
        deps.bucket.put(claim.receiptKey, claim.receipt);
        deps.bucket.put(claim.manifestKey, claim.manifest);
        const t0 = performance.now();
        const outcome = await runAssessSteps(deps, claim.manifestKey);
        latencies.push(performance.now() - t0);
        if (outcome === 'paid') paid += 1;
      },
    );
    return summarise(c, latencies, paid, performance.now() - started);
  };
  await run(Math.min(100, claims), concurrency);
  return run(claims, concurrency);
}

// Runs one figure group in its own process (run.ts starts one per group, so JIT state, memory and
// handler logs of one group never reach another): `group.ts <name> <quick|full> <result.json>`.
// Progress goes to stderr; stdout carries the handlers' own logs, which run.ts discards.
import { writeFile } from 'node:fs/promises';
import { measureComputePath, measureStepsOnly } from '#bench/compute-path.ts';
import { runColdStart } from '#bench/cold-start.ts';
import { costPer1000, loadPrices, measureCostRun, perClaimUse, synthStackFactsInChild } from '#bench/cost.ts';
import { runEndToEnd } from '#bench/end-to-end.ts';
import { runLedgerExport } from '#bench/ledger-export.ts';
import { runClaimListing } from '#bench/claim-listing.ts';
import { runRosterImport } from '#bench/roster-import.ts';
import { runFeedImport } from '#bench/feed-import.ts';
import { fullPlan, groupNames, quickPlan, type GroupName } from '#bench/plan.ts';
import { runUploadWeight } from '#bench/upload-weight.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function run(name: GroupName, quick: boolean): Promise<unknown> {
  const plan = quick ? quickPlan : fullPlan;
  switch (name) {
    case 'end-to-end': {
      const disk = await runEndToEnd({ ...plan.endToEnd, log });
      const compute = [];
      const stepsOnly = [];
      for (const c of plan.computePath.concurrencies) {
        const r = await measureComputePath(plan.computePath.claims, c);
        log(`  compute c=${c}: ${r.claimsPerSecond} claims/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
        compute.push(r);
        stepsOnly.push(await measureStepsOnly(plan.computePath.claims, c));
      }
      return { disk, compute, stepsOnly };
    }
    case 'cold-start':
      return runColdStart({ ...plan.coldStart, log });
    case 'ledger-export':
      return runLedgerExport({ ...plan.ledgerExport, log });
    case 'upload-weight':
      return runUploadWeight();
    case 'roster-import':
      return runRosterImport({ ...plan.rosterImport, log });
    case 'feed-import':
      return runFeedImport({ ...plan.feedImport, log });
    case 'claim-listing':
      return runClaimListing({ ...plan.claimListing, log });
    case 'cost': {
      // The synthesis runs in another process while the local stack starts; claims wait for both.
      const synthesizing = synthStackFactsInChild();
      synthesizing.catch(() => undefined);
      const measured = await measureCostRun({ ...plan.cost, log, beforeClaims: () => synthesizing });
      const facts = await synthesizing;
      log(
        `  synthesized: ${Object.keys(facts.lambdaMemoryMb).length} functions, ${facts.lambdaArchitectures.join('/')}`,
      );
      const prices = loadPrices();
      const paths = Object.fromEntries(
        (['automatic', 'review', 'notice'] as const).map((path) => {
          const use = perClaimUse(measured[path], facts, prices);
          return [
            path,
            {
              claims: measured[path].claims,
              outcomes: measured[path].outcomes,
              use,
              ...costPer1000(use, prices),
            },
          ];
        }),
      );
      return { prices: { source: prices.source, asOf: prices.asOf }, facts, paths };
    }
  }
}

const [name, mode, out] = process.argv.slice(2);
if (!groupNames.includes(name as GroupName) || (mode !== 'quick' && mode !== 'full') || !out) {
  throw new Error(`usage: group.ts <${groupNames.join('|')}> <quick|full> <result.json>`);
}
const result = await run(name as GroupName, mode === 'quick');
await writeFile(out, JSON.stringify(result));
// Handles left by SDK clients or the browser must not keep a finished group alive.
process.exit(0);

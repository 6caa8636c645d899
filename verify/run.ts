// npm run verify: runs every reliability check and prints one line of figures per check.
//   npx tsx verify/run.ts [--quick] [--only 1,4] [--seed N]
// Exits non-zero when any check fails; a failing check prints a few examples under its line.
import { cpus, totalmem } from 'node:os';
import { DEFAULT_SEED, type Check, type Scale } from '#verify/types.ts';

const checks: { n: number; name: string; load: () => Promise<{ run: Check }> }[] = [
  { n: 1, name: 'duplicate-delivery', load: () => import('./checks/01-duplicate-delivery.ts') },
  { n: 2, name: 'crash-matrix', load: () => import('./checks/02-crash-matrix.ts') },
  { n: 3, name: 'late-retries', load: () => import('./checks/03-late-retries.ts') },
  { n: 4, name: 'cap-races', load: () => import('./checks/04-cap-races.ts') },
  { n: 5, name: 'bad-input', load: () => import('./checks/05-bad-input.ts') },
  { n: 6, name: 'process-kill', load: () => import('./checks/06-process-kill.ts') },
  { n: 7, name: 'access-matrix', load: () => import('./checks/07-access-matrix.ts') },
  { n: 8, name: 'personal-data', load: () => import('./checks/08-personal-data.ts') },
  { n: 9, name: 'review-abuse', load: () => import('./checks/09-review-abuse.ts') },
  { n: 10, name: 'mutation', load: () => import('./checks/10-mutation.ts') },
  { n: 11, name: 'abuse', load: () => import('./checks/11-abuse.ts') },
  { n: 12, name: 'bulk-kill', load: () => import('./checks/12-bulk-kill.ts') },
  { n: 13, name: 'accumulation', load: () => import('./checks/13-accumulation.ts') },
  { n: 14, name: 'fund', load: () => import('./checks/14-fund.ts') },
  { n: 15, name: 'objection-race', load: () => import('./checks/15-objection-race.ts') },
  { n: 16, name: 'bank-twice', load: () => import('./checks/16-bank-twice.ts') },
];

function parseArgs(argv: readonly string[]) {
  let scale: Scale = 'full';
  let only: Set<number> | undefined;
  let seed = DEFAULT_SEED;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') scale = 'quick';
    else if (arg === '--only') only = new Set((argv[++i] ?? '').split(',').map(Number));
    else if (arg === '--seed') seed = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg}; use --quick, --only 1,2 or --seed N`);
  }
  if (!Number.isSafeInteger(seed)) throw new Error('--seed takes an integer');
  return { scale, only, seed };
}

function formatFigures(figures: Record<string, number | string>): string {
  return Object.entries(figures)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

async function main() {
  const { scale, only, seed } = parseArgs(process.argv.slice(2));
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = performance.now();
  console.log(
    `verify (${scale}, seed ${seed}) on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`,
  );
  let failed = 0;
  for (const check of checks) {
    if (only && !only.has(check.n)) continue;
    const { run } = await check.load();
    const log = (line: string) => process.stderr.write(`${line}\n`);
    try {
      const result = await run({ scale, seed, log });
      console.log(
        `${String(check.n).padStart(2)}. ${result.label.padEnd(20)} ${result.ok ? 'OK  ' : 'FAIL'} ${formatFigures(result.figures)}`,
      );
      if (!result.ok) {
        failed += 1;
        for (const line of result.failures ?? []) console.log(`      ${line}`);
      }
    } catch (error) {
      failed += 1;
      console.log(
        `${String(check.n).padStart(2)}. ${check.name.padEnd(20)} FAIL threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  console.log(
    `${failed === 0 ? 'all checks passed' : `${failed} check(s) failed`} in ${seconds} s; replay: npx tsx verify/run.ts${scale === 'quick' ? ' --quick' : ''} --seed ${seed}`,
  );
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();

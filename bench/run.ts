// `npm run bench` (tsx bench/run.ts [--quick] [--only=group,group] [--rows=100000,1000000]
// [--feed-records=1000000 --feed-households=100000]): runs each figure group in
// its own process, one after another (they would skew each other on a 2-core machine), prints a
// human table, then one JSON line, and writes the JSON to reports/bench.json.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, tmpdir, release } from 'node:os';
import { join } from 'node:path';
import { groupNames, type GroupName } from '#bench/plan.ts';
import { humanReport, verdicts, type GroupResults } from '#bench/report.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
/** `--name=value` or `--name value`. */
const option = (name: string): string | undefined => {
  const at = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  const arg = args[at] ?? '';
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[at + 1];
};
const only = option('only')?.split(',').filter(Boolean);
// --rows=100000,1000000: the roster-import sizes, in rows (households of three status periods).
const rosterRows = option('rows');
if (rosterRows !== undefined && !/^\d+(,\d+)*$/.test(rosterRows))
  throw new Error(`--rows takes row counts separated by commas, not ${rosterRows}`);
// --feed-records=1000000 --feed-households=100000: the medical feed's size (default 20,000 vs 2,000).
const feedRecords = option('feed-records');
const feedHouseholds = option('feed-households');
for (const [name, value] of [
  ['feed-records', feedRecords],
  ['feed-households', feedHouseholds],
] as const)
  if (value !== undefined && !/^[1-9]\d*$/.test(value))
    throw new Error(`--${name} takes a whole number, not ${value}`);
const unknown = (only ?? []).filter((g) => !groupNames.includes(g as GroupName));
if (unknown.length > 0)
  throw new Error(`unknown group ${unknown.join(', ')}; groups: ${groupNames.join(', ')}`);
const groups = groupNames.filter((g) => !only || only.includes(g));

const log = (line: string) => process.stderr.write(`${line}\n`);

// Groups whose figures are the local stack's memory run with the V8 flags `claims start` has
// (cli/bin.mjs); the others keep Node's defaults, like the Lambda code they time.
const stackMemoryGroups: readonly GroupName[] = ['roster-import', 'feed-import', 'claim-listing'];
const stackV8Flags = ['--heap-growing-percent=20'];

function runGroup(name: GroupName, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(stackMemoryGroups.includes(name) ? stackV8Flags : []),
        '--import',
        'tsx',
        new URL('./group.ts', import.meta.url).pathname,
        name,
        quick ? 'quick' : 'full',
        out,
      ],
      {
        // stdout carries the handlers' Powertools logs (kept, as on Lambda, but not shown).
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...(rosterRows !== undefined ? { BENCH_ROSTER_ROWS: rosterRows } : {}),
          ...(feedRecords !== undefined ? { BENCH_FEED_RECORDS: feedRecords } : {}),
          ...(feedHouseholds !== undefined ? { BENCH_FEED_HOUSEHOLDS: feedHouseholds } : {}),
        },
      },
    );
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`group ${name} failed (${signal ?? String(code)})`)),
    );
  });
}

const started = performance.now();
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  kernel: release(),
  loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
};
const dir = await mkdtemp(join(tmpdir(), 'claims-bench-results-'));
const results: GroupResults = {};
const timings: Record<string, number> = {};
const failures: Record<string, string> = {};
try {
  for (const name of groups) {
    log(`${name}...`);
    const t0 = performance.now();
    const out = join(dir, `${name}.json`);
    try {
      await runGroup(name, out);
      (results as Record<string, unknown>)[name] = JSON.parse(await readFile(out, 'utf8'));
    } catch (error) {
      // One group failing (say, no Chromium) must not hide the others' figures.
      failures[name] = error instanceof Error ? error.message : String(error);
      log(`  ${failures[name]}`);
    }
    timings[name] = Math.round((performance.now() - t0) / 100) / 10;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const wallSeconds = Math.round((performance.now() - started) / 100) / 10;
const report = {
  mode: quick ? 'quick' : 'full',
  startedAt: new Date(Date.now() - wallSeconds * 1000).toISOString(),
  wallSeconds,
  groupSeconds: timings,
  machine: { ...machine, loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
  note: 'Figures are single runs (latency percentiles over every claim, init times medians of fresh processes) on a shared machine; other work was running.',
  ...results,
  goals: verdicts(results),
  ...(Object.keys(failures).length > 0 ? { failures } : {}),
};

const header =
  `npm run bench${quick ? ' -- --quick' : ''}: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; ` +
  `${wallSeconds} s; load average ${machine.loadAverageAtStart.join(' ')} at start`;
process.stdout.write(`${humanReport(results, header)}\n\n`);
if (Object.keys(failures).length > 0) process.stdout.write(`FAILED: ${JSON.stringify(failures)}\n\n`);
process.stdout.write(`${JSON.stringify(report)}\n`);
const reports = new URL('../reports/', import.meta.url);
await mkdir(reports, { recursive: true });
await writeFile(new URL('bench.json', reports), `${JSON.stringify(report, null, 2)}\n`);
if (Object.keys(failures).length > 0) process.exitCode = 1;

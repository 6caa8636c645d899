// 10. Mutation testing. Stryker mutates the money, cap and ledger code (verify/stryker.config.mjs)
// and runs the fast tests against every mutant; the score is killed / (killed + survived + not
// covered), and the check fails below 80 (Stryker's own break threshold says the same).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { secondsSince } from '#verify/lib/stack.ts';
import type { CheckOptions, CheckResult } from '#verify/types.ts';

const root = new URL('../../', import.meta.url).pathname;
const report = new URL('../../reports/mutation/mutation.json', import.meta.url);

interface Report {
  files: Record<
    string,
    { mutants: { status: string; location: { start: { line: number } }; mutatorName: string }[] }
  >;
}

export function score(mutants: readonly { status: string }[]) {
  const count = (s: string) => mutants.filter((m) => m.status === s).length;
  const killed = count('Killed') + count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const valid = killed + survived + noCoverage;
  return {
    killed,
    survived,
    noCoverage,
    valid,
    score: valid === 0 ? 0 : Math.round((killed / valid) * 1000) / 10,
  };
}

export async function run({ scale, log = () => undefined }: CheckOptions): Promise<CheckResult> {
  if (scale !== 'full') {
    return { label: 'mutation testing', figures: { skipped: 'runs in full mode only (minutes)' }, ok: true };
  }
  const started = performance.now();
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [`${root}node_modules/@stryker-mutator/core/bin/stryker.js`, 'run', 'verify/stryker.config.mjs'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      },
    );
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      const progress = /Mutation testing \d+%[^\n]*/.exec(chunk.toString());
      if (progress) log(`  ${progress[0]}`);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) log(tail);
      resolve(code ?? 1);
    });
  });
  const data = JSON.parse(await readFile(report, 'utf8')) as Report;
  const all = Object.values(data.files).flatMap((f) => f.mutants);
  const total = score(all);
  const adapter = score(
    Object.entries(data.files)
      .filter(([f]) => f.startsWith('functions/'))
      .flatMap(([, f]) => f.mutants),
  );
  const domain = score(
    Object.entries(data.files)
      .filter(([f]) => f.startsWith('shared/'))
      .flatMap(([, f]) => f.mutants),
  );
  const survivors = Object.entries(data.files).flatMap(([file, f]) =>
    f.mutants
      .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
      .map((m) => `${file}:${m.location.start.line} ${m.mutatorName} ${m.status}`),
  );
  return {
    label: 'mutation testing',
    figures: {
      mutants: total.valid,
      killed: total.killed,
      survived: total.survived,
      noCoverage: total.noCoverage,
      score: total.score,
      domainScore: domain.score,
      adapterScore: adapter.score,
      threshold: 80,
      seconds: secondsSince(started),
    },
    ok: exitCode === 0 && total.score >= 80,
    failures: survivors.slice(0, 10),
  };
}

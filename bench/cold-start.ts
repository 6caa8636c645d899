// Figure group 2: cold-start weight per Lambda. Each handler is bundled the way CDK deploys it
// (lambda-bundle.ts); size is the .mjs bytes from the esbuild metafile, init time the median wall
// time of fresh `node` processes importing the bundle, minus the median of bare `node` processes.
// Node runs with --enable-source-maps, as the construct sets NODE_OPTIONS on Lambda.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build, type Metafile } from 'esbuild';
import { apiRoutes, scheduledHandlers, workflowHandlers } from '#functions/catalog.ts';
import { constructDrift, lambdaEsbuildOptions } from '#bench/lambda-bundle.ts';
import { median, round } from '#bench/stats.ts';

export interface BundleFigure {
  readonly handler: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly usesSdk: boolean;
  /** Median process wall time importing the bundle, minus the bare-process median. */
  readonly initMs: number;
  /** Median time of the import() itself, measured inside the process (a cross-check). */
  readonly importMs: number;
  /** Median CPU time (user + system) the import took: steadier than wall time on a busy machine. */
  readonly importCpuMs: number;
  /** The three packages (or source folders) contributing the most bytes. */
  readonly heaviest: readonly { readonly name: string; readonly bytes: number }[];
}

export interface ColdStartResult {
  readonly baselineMs: number;
  readonly samples: number;
  readonly drift: readonly string[];
  readonly bundles: readonly BundleFigure[];
}

const allHandlers: readonly string[] = [
  ...workflowHandlers,
  ...apiRoutes.map((r) => r.handler),
  ...scheduledHandlers.map((s) => s.handler),
];

function weightBySource(metafile: Metafile, outfile: string): { name: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(outfile))?.[1];
  const by = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const name = pkg ?? path.split('/').slice(0, 2).join('/');
    by.set(name, (by.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...by].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

const nodeArgs = ['--enable-source-maps', '--input-type=module', '-e'];
// Env as on Lambda, minus credentials: importing must not need any (clients are built lazily).
const lambdaEnv = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  POWERTOOLS_SERVICE_NAME: 'claims',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** One fresh process: wall ms seen from here, and the import's own wall and CPU ms from the child. */
function timeProcess(script: string): { wallMs: number; importMs: number; importCpuMs: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [...nodeArgs, script], { env: lambdaEnv, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`node exited ${String(result.status)}: ${result.stderr.slice(0, 500)}`);
  const [importMs, importCpuMs] = (result.stdout.trim() || 'NaN NaN').split(' ').map(Number);
  return { wallMs, importMs: importMs ?? Number.NaN, importCpuMs: importCpuMs ?? Number.NaN };
}

const importScript = (file: string) =>
  `const c = process.cpuUsage(); const t = performance.now(); ` +
  `await import(${JSON.stringify(pathToFileURL(file).href)}); ` +
  `const u = process.cpuUsage(c); process.stdout.write((performance.now() - t) + ' ' + (u.user + u.system) / 1000);`;

export async function runColdStart(options: {
  readonly samples: number;
  readonly handlers?: readonly string[];
  readonly log: (line: string) => void;
}): Promise<ColdStartResult> {
  const dir = await mkdtemp(join(tmpdir(), 'claims-bundles-'));
  try {
    const handlers = options.handlers ?? allHandlers;
    const baseline: number[] = [];
    // Half the samples before the bundles and half after, so drifting load hits both sides alike.
    const sampleBaseline = () => {
      for (let i = 0; i < Math.ceil(options.samples / 2); i++) baseline.push(timeProcess('').wallMs);
    };
    sampleBaseline();
    const measured: (Omit<BundleFigure, 'initMs'> & { wall: number })[] = [];
    for (const handler of handlers) {
      const outfile = join(dir, handler, 'index.mjs');
      const result = await build({
        ...lambdaEsbuildOptions,
        entryPoints: [new URL(`../functions/handlers/${handler}.ts`, import.meta.url).pathname],
        outfile,
      });
      const code = readFileSync(outfile);
      const weights = weightBySource(result.metafile, `${handler}/index.mjs`);
      const runs = Array.from({ length: options.samples }, () => timeProcess(importScript(outfile)));
      const figure = {
        handler,
        bytes: code.length,
        gzipBytes: gzipSync(code).length,
        usesSdk: weights.some((w) => w.name.startsWith('@aws-sdk/')),
        importMs: round(median(runs.map((r) => r.importMs))),
        importCpuMs: round(median(runs.map((r) => r.importCpuMs))),
        heaviest: weights.slice(0, 3),
        wall: median(runs.map((r) => r.wallMs)),
      };
      measured.push(figure);
      options.log(`  ${handler}: ${(figure.bytes / 1024).toFixed(0)} KB, import ${figure.importMs} ms`);
    }
    sampleBaseline();
    const baselineMs = median(baseline);
    return {
      baselineMs: round(baselineMs),
      samples: options.samples,
      drift: constructDrift(),
      bundles: measured.map(({ wall, ...figure }) => ({
        ...figure,
        initMs: round(Math.max(0, wall - baselineMs)),
      })),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Figure group 3: the finance export at scale. Synthetic ledger entries (no storage) go through
// the same ledgerRows/ledgerCsv and writeLedgerXlsx the export handler uses, into a counting
// sink, each size in a fresh process bundled first (no TypeScript loader in the measurement) so
// peak RSS (VmHWM) belongs to that export alone.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { requireBanner } from '#bench/lambda-bundle.ts';
import { round } from '#bench/stats.ts';

export interface ExportFigure {
  readonly format: 'csv' | 'xlsx';
  readonly rows: number;
  readonly rowsPerSecond: number;
  /** Rows per second of CPU time (user + system, all threads): steadier on a shared machine. */
  readonly rowsPerCpuSecond: number;
  readonly seconds: number;
  readonly outputMiB: number;
  readonly peakRssMiB: number;
}

export interface ExportResult {
  readonly figures: readonly ExportFigure[];
  /**
   * The largest size again with V8's heap capped (old space 48 MiB, semi-space 4 MiB): it only
   * completes if what the export keeps alive is flat, and shows the RSS it needs then.
   */
  readonly cappedHeap: readonly ExportFigure[];
  /**
   * The largest size again with the heap flags Lambda's Node.js runtime passes on its command line
   * for the export function's memory (they override NODE_OPTIONS): what production runs with.
   */
  readonly lambdaHeap: readonly ExportFigure[];
  /** Peak RSS at the largest size over peak RSS at the smallest, per format (goal: <= 1.2). */
  readonly rssGrowth: { readonly csv: number; readonly xlsx: number };
}

const mib = (bytes: number) => round(bytes / 1024 / 1024, 1);

/** The export Lambda's memory (a heavy route in infra/constructs/handler-functions.ts). */
const EXPORT_LAMBDA_MEMORY_MB = 1769;

/** What the Lambda runtime's bootstrap passes: a tenth of memory is new space, in two semi-spaces. */
function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

async function measure(
  child: string,
  format: 'csv' | 'xlsx',
  rows: number,
  nodeFlags: readonly string[],
): Promise<ExportFigure> {
  const proc = spawn(process.execPath, [...nodeFlags, child, format, String(rows)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  proc.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const [code] = (await once(proc, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`export child failed: ${stderr.slice(0, 800)}`);
  const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    ms: number;
    cpuMs: number;
    bytes: number;
    peakRssBytes: number;
  };
  return {
    format,
    rows,
    rowsPerSecond: Math.round((rows / out.ms) * 1000),
    rowsPerCpuSecond: Math.round((rows / out.cpuMs) * 1000),
    seconds: round(out.ms / 1000, 2),
    outputMiB: mib(out.bytes),
    peakRssMiB: mib(out.peakRssBytes),
  };
}

export async function runLedgerExport(options: {
  readonly sizes: readonly number[];
  readonly log: (line: string) => void;
}): Promise<ExportResult> {
  const dir = await mkdtemp(join(tmpdir(), 'claims-export-'));
  try {
    const child = join(dir, 'child.mjs');
    await build({
      entryPoints: [new URL('./ledger-export-child.ts', import.meta.url).pathname],
      outfile: child,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      banner: { js: requireBanner },
      logLevel: 'error',
    });
    const figures: ExportFigure[] = [];
    for (const format of ['csv', 'xlsx'] as const) {
      for (const rows of options.sizes) {
        const figure = await measure(child, format, rows, []);
        options.log(
          `  ${format} ${rows} rows: ${figure.rowsPerSecond} rows/s (${figure.rowsPerCpuSecond} per CPU-s), peak RSS ${figure.peakRssMiB} MiB, ${figure.outputMiB} MiB out`,
        );
        figures.push(figure);
      }
    }
    const largest = options.sizes[options.sizes.length - 1] ?? 0;
    // A memory check, not a speed one: both formats at once.
    const cappedHeap = await Promise.all(
      (['csv', 'xlsx'] as const).map(async (format) => {
        const figure = await measure(child, format, largest, [
          '--max-old-space-size=48',
          '--max-semi-space-size=4',
        ]);
        options.log(`  ${format} ${largest} rows, heap capped at 48 MiB: peak RSS ${figure.peakRssMiB} MiB`);
        return figure;
      }),
    );
    const lambdaHeap: ExportFigure[] = [];
    for (const format of ['csv', 'xlsx'] as const) {
      const flags = lambdaHeapFlags(EXPORT_LAMBDA_MEMORY_MB);
      const figure = await measure(child, format, largest, flags);
      options.log(
        `  ${format} ${largest} rows with Lambda's heap flags (${flags.join(' ')}): ${figure.rowsPerCpuSecond} rows per CPU-s, peak RSS ${figure.peakRssMiB} MiB`,
      );
      lambdaHeap.push(figure);
    }
    const growth = (format: 'csv' | 'xlsx') => {
      const of = figures.filter((f) => f.format === format);
      const first = of[0];
      const last = of[of.length - 1];
      return first && last ? round(last.peakRssMiB / first.peakRssMiB, 2) : Number.NaN;
    };
    return { figures, cappedHeap, lambdaHeap, rssGrowth: { csv: growth('csv'), xlsx: growth('xlsx') } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Figure group: a county's roster file as a bulk job on the local stack. A generated file of
// households x status periods goes through `runImportJob` (what `claims roster import` runs: the
// API grants the job, the upload starts the import workflow, its Distributed Map writes the rows),
// and the same run measures DynamoDB Local's own BatchWriteItem rate with items of the same size,
// so the import's rate reads as a share of what the store can take on this machine. Peak RSS is
// the whole stack's: this process (API, workflow engine, S3 emulator, handlers) plus the JVM, over
// the whole run and again from the end of the upload (the local S3 emulator buffers a POST form
// whole, as S3 itself never would on AWS). The file is written to disk and uploaded from there,
// so this process never holds it.
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { startLocalStack } from '#cli/local/scratch-stack.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { connect } from '#cli/api-client.ts';
import { runImportJob } from '#cli/verbs/import-job.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { rosterColumns } from '#shared/roster.ts';
import { round } from '#bench/stats.ts';
import { loadPrices } from '#bench/cost.ts';
import { rosterImportCost, type BulkCostLine } from '#bench/bulk-cost.ts';

export interface RosterImportFigure {
  readonly households: number;
  readonly rows: number;
  readonly fileMiB: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly imported: number;
  readonly rejected: number;
  readonly status: string;
  /** DynamoDB Local's BatchWriteItem rate in the same run, items per second. */
  readonly storeItemsPerSecond: number;
  /** rowsPerSecond over storeItemsPerSecond (goal >= 0.5). */
  readonly shareOfStoreRate: number;
  /** Peak RSS of the stack: this process, the DynamoDB Local JVM, every 250 ms. */
  readonly peakRssMiB: number;
  readonly peakNodeRssMiB: number;
  readonly peakJvmRssMiB: number;
  /** The same peaks from the end of the upload on: the file check and the Distributed Map. */
  readonly importPeakRssMiB: number;
  readonly importPeakNodeRssMiB: number;
}

export interface RosterImportResult {
  readonly figures: readonly RosterImportFigure[];
  /** Peak stack RSS at the largest size over the smallest (goal <= 1.2). */
  readonly rssGrowth: number;
  /** The same for this process alone, over the whole run and from the end of the upload on. */
  readonly nodeRssGrowth: number;
  readonly importNodeRssGrowth: number;
  /** On AWS, per 100,000 roster rows, with the Lambda time per row measured at the largest size. */
  readonly cost: BulkCostLine;
}

const villages = ['红星村', '和平村', '向阳村', '东风村', '新华村', '光明村', '团结村', '胜利村'];
const surnames = ['张', '王', '李', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const givenNames = ['德胜', '振华', '建华', '玉珍', '秀英', '国强', '桂兰', '志明', '春梅', '海涛'];
const statuses = ['out_of_poverty', 'unstable', 'marginal', 'sudden_hardship'];

/** A resident ID distinct for every i below 10,000,000 (a birth day per thousand, then a sequence). */
export function distinctResidentId(i: number): string {
  const day = new Date(Date.UTC(1940, 0, 1) + Math.floor(i / 1000) * 86_400_000);
  const birth = day.toISOString().slice(0, 10).replaceAll('-', '');
  const first17 = `431081${birth}${String(i % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckDigit(first17);
}

/** The lines of a county roster (the header first): `households` x `periods`, cut at `rows` rows. */
function* countyRosterLines(households: number, periods: number, rows = Infinity): Generator<string> {
  yield rosterColumns.join(',');
  let written = 0;
  for (let h = 1; h <= households; h++) {
    const id = `ZX-${String(h).padStart(7, '0')}`;
    const village = villages[h % villages.length] ?? '红星村';
    const name = `${surnames[h % surnames.length]}${givenNames[Math.floor(h / 10) % givenNames.length]}`;
    const worker = `gw-${String(Math.floor(h / 30)).padStart(5, '0')}`;
    for (let p = 0; p < periods; p++) {
      if (written++ >= rows) return;
      yield [
        id,
        'demo',
        village,
        name,
        distinctResidentId(h),
        String(1 + (h % 6)),
        statuses[(h + p) % statuses.length],
        `${2021 + p}-0${1 + (h % 9)}-01`,
        worker,
        `6230${String(h).padStart(15, '0')}`,
        `${8000 + (h % 40) * 250}.00`,
      ].join(',');
    }
  }
}

/** A county roster: `households` x `periods` status periods, one line per period, as a county exports it. */
export function countyRosterCsv(households: number, periods: number): string {
  return `${[...countyRosterLines(households, periods)].join('\r\n')}\r\n`;
}

/** countyRosterCsv written to `path` a thousand lines at a time; resolves to its size in bytes. */
export async function writeCountyRoster(
  path: string,
  size: { households: number; periods: number; rows?: number },
): Promise<number> {
  const out = createWriteStream(path);
  let batch: string[] = [];
  const flush = async () => {
    if (!out.write(`${batch.join('\r\n')}\r\n`)) await once(out, 'drain');
    batch = [];
  };
  for (const line of countyRosterLines(size.households, size.periods, size.rows)) {
    batch.push(line);
    if (batch.length === 1000) await flush();
  }
  if (batch.length > 0) await flush();
  out.end();
  await once(out, 'finish');
  return out.bytesWritten;
}

export async function rssOf(pid: number | 'self'): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The processes serving this data dir besides this one: the DynamoDB Local JVM. */
export async function helperPids(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(dataDir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** A roster period's item as the roster store writes it, numbered `i`. */
const rosterItem = (i: number): WriteRequest => ({
  PutRequest: {
    Item: marshall({
      pk: `BENCHRAW#${i}`,
      sk: 'PERIOD#2024-01-01',
      householdId: `ZX-${i}`,
      region: 'demo',
      village: '红星村',
      headName: '张德胜',
      idNumber: distinctResidentId(i),
      members: 4,
      status: 'unstable',
      statusFrom: '2024-01-01',
      gridWorker: 'gw-00001',
      bankAccount: '6230000000000000001',
      annualIncomeFen: 860_000,
      gsi3pk: 'GWHH#gw-00001',
      gsi3sk: `ZX-${i}#2024-01-01`,
    }),
  },
});

/**
 * BatchWriteItem of `count` items (roster-sized unless `item` says otherwise), four writers at
 * once (the map's concurrency): DynamoDB Local's own write rate, items per second.
 */
export async function storeRate(
  endpoint: string,
  count: number,
  item: (i: number) => WriteRequest = rosterItem,
): Promise<number> {
  const db = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { ...s3LocalCredentials } });
  let next = 0;
  const started = performance.now();
  const writer = async () => {
    for (;;) {
      const first = next;
      next += 25;
      if (first >= count) return;
      let batch: WriteRequest[] | undefined = Array.from({ length: Math.min(25, count - first) }, (_, k) =>
        item(first + k),
      );
      while (batch && batch.length > 0) {
        const out: { UnprocessedItems?: Record<string, WriteRequest[]> } = await db.send(
          new BatchWriteItemCommand({ RequestItems: { claims: batch } }),
        );
        batch = out.UnprocessedItems?.claims;
      }
    }
  };
  await Promise.all([writer(), writer(), writer(), writer()]);
  const seconds = (performance.now() - started) / 1000;
  db.destroy();
  return count / seconds;
}

export async function runRosterImport(opts: {
  readonly sizes: readonly { households: number; periods: number; rows?: number }[];
  readonly log: (line: string) => void;
}): Promise<RosterImportResult> {
  const figures: RosterImportFigure[] = [];
  for (const size of opts.sizes) {
    const rows = Math.min(size.rows ?? Infinity, size.households * size.periods);
    const dir = await mkdtemp(join(tmpdir(), 'claims-bench-roster-'));
    const stack = await startLocalStack({ demo: false, dataDir: dir });
    try {
      const path = join(dir, 'county.csv');
      const fileBytes = await writeCountyRoster(path, size);
      const csv = await openAsBlob(path, { type: 'text/csv' });
      const helpers = await helperPids(dir);
      let peakNode = 0;
      let peakJvm = 0;
      let peakBoth = 0;
      let importPeakNode = 0;
      let importPeakBoth = 0;
      let uploaded = false;
      const sample = async () => {
        const node = await rssOf('self');
        let java = 0;
        for (const pid of helpers) java += await rssOf(pid);
        peakNode = Math.max(peakNode, node);
        peakJvm = Math.max(peakJvm, java);
        peakBoth = Math.max(peakBoth, node + java);
        if (uploaded) {
          importPeakNode = Math.max(importPeakNode, node);
          importPeakBoth = Math.max(importPeakBoth, node + java);
        }
      };
      const sampler = setInterval(() => void sample(), 250);
      // A sample of the store's rate: 10,000 items is minutes on a loaded machine, and steady.
      const storeItemsPerSecond = await storeRate(stack.dynamodbUrl, Math.min(rows, 10_000));
      opts.log(`  store: ${Math.round(storeItemsPerSecond)} items/s (BatchWriteItem, 4 writers)`);
      const api = await connect(stack.apiUrl, 'admin1');
      const started = performance.now();
      let lastLog = started;
      const outcome = await runImportJob(
        api,
        'roster',
        csv,
        {
          out: () => undefined,
          err: () => undefined,
        },
        {
          progress: false,
          pollMs: 500,
          onProgress: (processed: number) => {
            // The first poll comes after the upload: from here on the peaks are the import's.
            uploaded = true;
            if (performance.now() - lastLog > 10_000) {
              lastLog = performance.now();
              opts.log(
                `  ${processed}/${rows} rows after ${Math.round((lastLog - started) / 1000)} s; peak RSS so far ` +
                  `${Math.round(peakBoth / 1048576)} MiB (node ${Math.round(peakNode / 1048576)}, ` +
                  `after the upload ${Math.round(importPeakNode / 1048576)})`,
              );
            }
          },
        },
      );
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      await sample();
      const rowsPerSecond = rows / seconds;
      const figure: RosterImportFigure = {
        households: size.households,
        rows,
        fileMiB: round(fileBytes / 1024 / 1024, 1),
        seconds: round(seconds, 1),
        rowsPerSecond: Math.round(rowsPerSecond),
        imported: outcome.job.imported,
        rejected: outcome.job.rejected,
        status: outcome.job.status,
        storeItemsPerSecond: Math.round(storeItemsPerSecond),
        shareOfStoreRate: round(rowsPerSecond / storeItemsPerSecond, 2),
        peakRssMiB: round(peakBoth / 1024 / 1024, 0),
        peakNodeRssMiB: round(peakNode / 1024 / 1024, 0),
        peakJvmRssMiB: round(peakJvm / 1024 / 1024, 0),
        importPeakRssMiB: round(importPeakBoth / 1024 / 1024, 0),
        importPeakNodeRssMiB: round(importPeakNode / 1024 / 1024, 0),
      };
      opts.log(
        `  ${rows} rows: ${figure.status} in ${figure.seconds} s, ${figure.rowsPerSecond} rows/s ` +
          `(${Math.round(figure.shareOfStoreRate * 100)}% of the store's rate), peak RSS ${figure.peakRssMiB} MiB ` +
          `(node ${figure.peakNodeRssMiB}, JVM ${figure.peakJvmRssMiB}); after the upload ` +
          `${figure.importPeakRssMiB} MiB (node ${figure.importPeakNodeRssMiB}; goal node <= 300 MB: ` +
          `${figure.importPeakNodeRssMiB * 1.048576 <= 300 ? 'met' : 'missed'})`,
      );
      figures.push(figure);
    } finally {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const first = figures[0];
  const last = figures.at(-1);
  const secondsPerRow = last ? last.seconds / last.rows : 0;
  const growth = (of: (f: RosterImportFigure) => number) =>
    first && last && of(first) > 0 ? round(of(last) / of(first), 2) : 0;
  const result = {
    rssGrowth: growth((f) => f.peakRssMiB),
    nodeRssGrowth: growth((f) => f.peakNodeRssMiB),
    importNodeRssGrowth: growth((f) => f.importPeakNodeRssMiB),
  };
  if (first && last && first !== last)
    opts.log(
      `  RSS ${last.rows}/${first.rows} rows (goal <= 1.2): stack ${result.rssGrowth}x, node ${result.nodeRssGrowth}x, ` +
        `node after the upload ${result.importNodeRssGrowth}x`,
    );
  return {
    figures,
    ...result,
    cost: rosterImportCost(loadPrices(), 100_000, secondsPerRow),
  };
}

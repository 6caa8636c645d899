// Figure group: a 医保 (medical settlement) feed as a bulk job on the local stack, mirroring the
// roster-import group. A synthetic county of `demo-fund` households (its policy takes medical
// feeds) and their people is written straight through the roster store (the roster and members
// imports are measured elsewhere), in a child process so this process's memory is the stack's
// alone. The child also writes the feed file to disk: ~10% of its people on no household, a few
// record ids repeated, and a few hospital stays large enough to take their household over the
// threshold. The file goes through `runImportJob` (what `claims feed import` runs) and the clock
// stops when the job has SUCCEEDED, its claims opened. The same run measures DynamoDB Local's own
// BatchWriteItem rate with items of a feed record's size, and samples the whole stack's RSS (this
// process and the DynamoDB Local JVM) every 250 ms.
import { spawn } from 'node:child_process';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { startLocalStack } from '#cli/local/runtime.ts';
import { findFreePort } from '#cli/local/net.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { CLAIMS_TABLE } from '#cli/local/world.ts';
import {
  seededRandom,
  syntheticHouseholdMembers,
  syntheticIdNumber,
  syntheticRoster,
} from '#cli/local/synthetic-county.ts';
import { connect } from '#cli/api-client.ts';
import { runImportJob, type JobView } from '#cli/verbs/import-job.ts';
import { DynamoRosterStore } from '#functions/adapters/dynamo-roster-store.ts';
import { medicalColumns } from '#shared/feed.ts';
import type { Member } from '#shared/members.ts';
import { FEED_BUCKET_ROWS, FEED_SEGMENT_ROWS } from '#shared/bulk-job.ts';
import { Meter } from '#bench/instrument.ts';
import { helperPids, rssOf, storeRate } from '#bench/roster-import.ts';
import { round } from '#bench/stats.ts';
import { loadPrices } from '#bench/cost.ts';
import { feedImportCost, type BulkCostLine } from '#bench/bulk-cost.ts';

/** The region whose policy (demo-fund) lists `medical` in `dataFeeds`. */
const FEED_REGION = 'demo-fund';
const SEED = 20_261_206;
/** The feed job's own workflow steps (the claims it opens run their own workflows after). */
const JOB_HANDLERS = ['start-import', 'import-chunks', 'finish-import'] as const;

export interface FeedSize {
  readonly records: number;
  readonly households: number;
}

/** What the child wrote: the county in DynamoDB Local, the file on disk. */
export interface FeedSeed {
  readonly households: number;
  readonly people: number;
  readonly seedSeconds: number;
  readonly fileBytes: number;
  readonly rows: number;
  /** Rows whose person the generator took from no household. */
  readonly unmatchedRows: number;
  /** Rows repeating the row before (same record id): the file check refuses them. */
  readonly repeatedRows: number;
  /** Rows of a stay large enough to take a household over the threshold on its own. */
  readonly largeStays: number;
}

export interface FeedImportFigure extends FeedSeed {
  readonly status: string;
  readonly failure?: string;
  /** Upload start -> job SUCCEEDED (its claims opened). */
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly imported: number;
  readonly rejected: number;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly claimsOpened: number;
  /** DynamoDB Local's BatchWriteItem rate in the same run, items of a feed record's size. */
  readonly storeItemsPerSecond: number;
  readonly shareOfStoreRate: number;
  /** Peak RSS of the stack (this process + the DynamoDB Local JVM) while the job ran. */
  readonly peakRssMiB: number;
  readonly peakNodeRssMiB: number;
  readonly peakJvmRssMiB: number;
  /** The same over the whole run, seeding included (the JVM grows with the county). */
  readonly runPeakRssMiB: number;
  /** What the job's run used, as counted on the local stack (see Meter). */
  readonly measured: {
    /** Invocations of each step, those that failed (and were retried), and their time. */
    readonly lambdaMsByHandler: Readonly<
      Record<string, { invocations: number; failed: number; totalMs: number }>
    >;
    readonly lambdaSecondsPerRecord: number;
    readonly parentTransitions: number;
    /** Map children run (ImportChunks invocations, retries included). */
    readonly childExecutions: number;
    readonly dynamoRequests: Readonly<Record<string, number>>;
    readonly dynamoReadUnitsPerRecord: number;
    /** As DynamoDB Local reports them (transactional writes at 4 units per KB; DynamoDB bills 2). */
    readonly dynamoWriteUnitsPerRecord: number;
    readonly s3Requests: Readonly<Record<string, number>>;
  };
}

export interface FeedImportResult {
  readonly figure: FeedImportFigure;
  /** On AWS per 1,000,000 feed records, with the Lambda time per record measured. */
  readonly cost: BulkCostLine;
}

const hospitals = [
  '示范县人民医院',
  '示范县中医医院',
  '示范县妇幼保健院',
  '市第一人民医院',
  '市中心医院',
  '省人民医院',
  '红星镇卫生院',
  '和平乡卫生院',
];
const surnames = '张王李刘陈杨赵黄周吴'.split('');
const givenNames = ['德胜', '振华', '建华', '玉珍', '秀英', '国强', '桂兰', '志明', '春梅', '海涛'];

const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const DAY = 86_400_000;

/**
 * The lines of a 医保 settlement file (header first) for the county of `size.households`: one
 * row in ten names a person on no household; every 5,000th row repeats the row before it; one
 * stay in 330 is a large one (80,000 to 150,000 yuan, a quarter self-paid), enough to take a
 * household of ten records a year over the 10,000-yuan threshold (about 3% of households);
 * the other stays cost 100 to 4,100 yuan, a third self-paid, and keep a household below it.
 */
export function* medicalFeedLines(
  size: FeedSize,
  tally: { unmatched: number; repeated: number; large: number } = { unmatched: 0, repeated: 0, large: 0 },
): Generator<string> {
  const county = syntheticRoster({ households: size.households, seed: SEED, region: FEED_REGION });
  const random = seededRandom(SEED ^ 0xfeed);
  const yearStart = Date.UTC(2026, 0, 5);
  const yearDays = 329; // settlements from 5 January to 30 November 2026
  yield medicalColumns.join(',');
  let previous = '';
  for (let i = 0; i < size.records; i++) {
    if (i % 5_000 === 4_999 && previous !== '') {
      tally.repeated += 1;
      yield previous;
      continue;
    }
    let idNumber: string;
    let name: string;
    if (random() < 0.1) {
      tally.unmatched += 1;
      idNumber = syntheticIdNumber('430399', 1950, i % 7_300_000);
      name = `${surnames[i % surnames.length]}${givenNames[Math.floor(random() * givenNames.length)]}`;
    } else {
      const people = syntheticHouseholdMembers(county, Math.floor(random() * size.households), SEED);
      const person = people[Math.floor(random() * people.length)] ?? people[0]!;
      idNumber = person.idNumber;
      name = person.name;
    }
    const large = random() < 1 / 330;
    if (large) tally.large += 1;
    const u = random();
    const totalFen = large
      ? 8_000_000 + Math.floor(random() * 7_000_000)
      : 10_000 + Math.floor(u * u * 400_000) + Math.floor(random() * 100);
    const basic = Math.floor(totalFen * (large ? 0.55 : 0.5 + random() * 0.1));
    const serious = large ? Math.floor(totalFen * 0.15) : 0;
    const assistance = Math.floor(totalFen * (large ? 0.05 : random() * 0.05));
    const other = Math.floor(totalFen * random() * 0.02);
    const settlement = yearStart + Math.floor(random() * yearDays) * DAY;
    const discharge = settlement - Math.floor(random() * 3) * DAY;
    const admission = discharge - Math.floor(random() * (large ? 30 : 8)) * DAY;
    previous = [
      `YB2026${String(i + 1).padStart(9, '0')}`,
      idNumber,
      name,
      hospitals[Math.floor(random() * hospitals.length)],
      isoDay(admission),
      isoDay(discharge),
      isoDay(settlement),
      yuan(totalFen),
      yuan(basic),
      yuan(serious),
      yuan(assistance),
      yuan(other),
    ].join(',');
    yield previous;
  }
}

/** medicalFeedLines written to `path` a thousand lines at a time. */
export async function writeMedicalFeed(
  path: string,
  size: FeedSize,
): Promise<{ bytes: number; unmatched: number; repeated: number; large: number }> {
  const tally = { unmatched: 0, repeated: 0, large: 0 };
  const out = createWriteStream(path);
  let batch: string[] = [];
  const flush = async () => {
    if (!out.write(`${batch.join('\r\n')}\r\n`)) await once(out, 'drain');
    batch = [];
  };
  for (const line of medicalFeedLines(size, tally)) {
    batch.push(line);
    if (batch.length === 1000) await flush();
  }
  if (batch.length > 0) await flush();
  out.end();
  await once(out, 'finish');
  return { bytes: out.bytesWritten, ...tally };
}

/**
 * The county's households and people written through the roster store (storeHouseholds, then
 * storeMembers: heads and members, each with its ID number's claim), four writers at once.
 */
export async function seedFeedCounty(
  dynamodbUrl: string,
  households: number,
  log: (line: string) => void,
): Promise<{ households: number; people: number }> {
  const db = new DynamoDBClient({
    endpoint: dynamodbUrl,
    region: 'us-east-1',
    credentials: { ...s3LocalCredentials },
  });
  const roster = new DynamoRosterStore(db, CLAIMS_TABLE);
  const county = syntheticRoster({ households, seed: SEED, region: FEED_REGION });
  const slice = 200;
  let next = 0;
  let people = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const from = next;
      next += slice;
      if (from >= households) return;
      const to = Math.min(households, from + slice);
      const writes = county.households.slice(from, to).map((periods) => ({
        householdId: periods[0]!.householdId,
        idNumber: periods[0]!.idNumber,
        periods,
      }));
      const stored = await roster.storeHouseholds(writes);
      if (stored.conflicts.size > 0) throw new Error(`${stored.conflicts.size} households refused`);
      const members: Member[] = [];
      for (let h = from; h < to; h++) members.push(...syntheticHouseholdMembers(county, h, SEED));
      const kept = await roster.storeMembers(members);
      if (kept.conflicts.size > 0) throw new Error(`${kept.conflicts.size} people refused`);
      people += members.length;
      done += to - from;
      if (done % 10_000 < slice)
        log(
          `  seeded ${done}/${households} households in ${Math.round((performance.now() - started) / 1000)} s`,
        );
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  db.destroy();
  return { households, people };
}

/** Seeds the county and writes the file in a child process (the county is not this process's). */
async function seedInChild(dynamodbUrl: string, size: FeedSize, path: string): Promise<FeedSeed> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL('./feed-import-child.ts', import.meta.url).pathname,
      dynamodbUrl,
      String(size.households),
      String(size.records),
      path,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`feed seeding failed (exit ${String(code)})`);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as FeedSeed;
}

/** A feed record's two items are each about this size (the id item; its household copy alike). */
const feedRecordItem = (i: number): WriteRequest => ({
  PutRequest: {
    Item: marshall({
      pk: `BENCHRAW#medical#YB2026${String(i).padStart(9, '0')}`,
      sk: 'FEED',
      kind: 'medical',
      recordId: `YB2026${String(i).padStart(9, '0')}`,
      householdId: `SH-${String(i % 100_000).padStart(7, '0')}`,
      relation: 'spouse',
      capYear: 2026,
      expenseDate: '2026-06-18',
      totalCostFen: 186_432,
      reimbursedFen: 120_183,
      selfPaidFen: 66_249,
      place: '示范县人民医院',
      admissionDate: '2026-06-10',
      dischargeDate: '2026-06-16',
      state: 'counted',
      firstJobId: '01KBZ7Q3S7N6W2X0E5J9H4C8MD',
      jobId: '01KBZ7Q3S7N6W2X0E5J9H4C8MD',
      corrections: 0,
      updatedAt: '2026-12-06T11:30:00.000Z',
      version: 0,
    }),
  },
});

export async function runFeedImport(opts: {
  readonly size: FeedSize;
  readonly log: (line: string) => void;
}): Promise<FeedImportResult> {
  const { size, log } = opts;
  const dir = await mkdtemp(join(tmpdir(), 'claims-bench-feed-'));
  const meter = new Meter();
  let parentTransitions = 0;
  let failedInvocations: Record<string, number> = {};
  const stack = await startLocalStack({
    port: await findFreePort(),
    s3Port: await findFreePort(),
    dynamodbPort: await findFreePort(),
    dataDir: dir,
    demo: false,
    retryIntervalScale: 0.01,
    onLambdaInvoke: (name, ms, ok) => {
      meter.onLambda(name, ms);
      // A step that failed (timed out, most likely, on a loaded machine) is retried by the workflow.
      if (!ok) failedInvocations[name] = (failedInvocations[name] ?? 0) + 1;
    },
    // The parent's transitions; the map's children report no events here, and each is one
    // ImportChunks invocation (counted with the Lambda time).
    onStepFunctionsEvent: ({ executionArn, event }) => {
      if (event.type === 'StateEntered' && executionArn.includes(':import-file:')) parentTransitions += 1;
    },
  });
  try {
    const helpers = await helperPids(dir);
    let peakNode = 0;
    let peakJvm = 0;
    let peakBoth = 0;
    let jobPeakNode = 0;
    let jobPeakJvm = 0;
    let jobPeakBoth = 0;
    let running = false;
    const sample = async () => {
      const node = await rssOf('self');
      let java = 0;
      for (const pid of helpers) java += await rssOf(pid);
      peakNode = Math.max(peakNode, node);
      peakJvm = Math.max(peakJvm, java);
      peakBoth = Math.max(peakBoth, node + java);
      if (running) {
        jobPeakNode = Math.max(jobPeakNode, node);
        jobPeakJvm = Math.max(jobPeakJvm, java);
        jobPeakBoth = Math.max(jobPeakBoth, node + java);
      }
    };
    const sampler = setInterval(() => void sample(), 250);
    try {
      const path = join(dir, 'medical-feed.csv');
      const seedStarted = performance.now();
      log(`  seeding ${size.households} households of ${FEED_REGION} and writing ${size.records} records`);
      const seed = await seedInChild(stack.dynamodbUrl, size, path);
      log(
        `  seeded ${seed.households} households, ${seed.people} people in ${seed.seedSeconds} s; ` +
          `file ${round(seed.fileBytes / 1048576, 1)} MiB (${Math.round((performance.now() - seedStarted) / 1000)} s in all)`,
      );
      const storeItemsPerSecond = await storeRate(
        stack.dynamodbUrl,
        Math.min(size.records, 10_000),
        feedRecordItem,
      );
      log(`  store: ${Math.round(storeItemsPerSecond)} items/s (BatchWriteItem, 4 writers)`);

      const csv = await openAsBlob(path, { type: 'text/csv' });
      const api = await connect(stack.apiUrl, 'admin1');
      meter.reset();
      meter.meterDynamo(stack.deps.db);
      meter.meterS3(stack.deps.s3);
      parentTransitions = 0;
      failedInvocations = {};
      running = true;
      const started = performance.now();
      let lastLog = started;
      let job: (JobView & { outcomes?: Record<string, number>; claimsOpened?: unknown[] }) | undefined;
      let failure: string | undefined;
      try {
        const outcome = await runImportJob(
          api,
          'medical-feed',
          csv,
          { out: () => undefined, err: () => undefined },
          {
            progress: false,
            pollMs: 500,
            timeoutMs: 6 * 60 * 60 * 1000,
            onProgress: (processed: number) => {
              if (performance.now() - lastLog > 15_000) {
                lastLog = performance.now();
                log(
                  `  ${processed}/${seed.rows} records after ${Math.round((lastLog - started) / 1000)} s; ` +
                    `stack peak RSS ${Math.round(jobPeakBoth / 1048576)} MiB (node ${Math.round(jobPeakNode / 1048576)}, ` +
                    `JVM ${Math.round(jobPeakJvm / 1048576)})`,
                );
              }
            },
          },
        );
        job = outcome.job;
      } catch (error) {
        // A FAILED job throws: its status and failure code are the figure.
        failure = error instanceof Error ? error.message : String(error);
      }
      const seconds = (performance.now() - started) / 1000;
      running = false;
      await sample();
      // The CLI names the failed job in its message; the job itself says where it stopped.
      const failedId = failure === undefined ? undefined : /job ([0-9A-Z]{26})/.exec(failure)?.[1];
      if (!job && failedId)
        job = (await api.request('GET', `/imports/${failedId}`).catch(() => undefined)) as typeof job;
      const lambda = Object.fromEntries(
        JOB_HANDLERS.map((h) => {
          const used = meter.counts.lambda[h];
          return [
            h,
            {
              invocations: used?.invocations ?? 0,
              failed: failedInvocations[h] ?? 0,
              totalMs: Math.round(used?.totalMs ?? 0),
            },
          ];
        }),
      );
      const lambdaMs = Object.values(lambda).reduce((sum, l) => sum + l.totalMs, 0);
      const dynamo = meter.counts.dynamo;
      const figure: FeedImportFigure = {
        ...seed,
        status: job?.status ?? 'UNKNOWN',
        ...(failure !== undefined ? { failure } : job?.failure ? { failure: job.failure } : {}),
        seconds: round(seconds, 1),
        recordsPerSecond: Math.round(seed.rows / seconds),
        imported: job?.imported ?? 0,
        rejected: job?.rejected ?? 0,
        outcomes: job?.outcomes ?? {},
        claimsOpened: job?.claimsOpened?.length ?? 0,
        storeItemsPerSecond: Math.round(storeItemsPerSecond),
        shareOfStoreRate: round(seed.rows / seconds / storeItemsPerSecond, 2),
        peakRssMiB: round(jobPeakBoth / 1048576, 0),
        peakNodeRssMiB: round(jobPeakNode / 1048576, 0),
        peakJvmRssMiB: round(jobPeakJvm / 1048576, 0),
        runPeakRssMiB: round(peakBoth / 1048576, 0),
        measured: {
          lambdaMsByHandler: lambda,
          lambdaSecondsPerRecord: lambdaMs / 1000 / seed.rows,
          parentTransitions,
          childExecutions: lambda['import-chunks']?.invocations ?? 0,
          dynamoRequests: { ...dynamo.requests },
          dynamoReadUnitsPerRecord: round(dynamo.readUnits / seed.rows, 2),
          dynamoWriteUnitsPerRecord: round(dynamo.writeUnits / seed.rows, 2),
          s3Requests: { ...meter.counts.s3 },
        },
      };
      void peakNode;
      void peakJvm;
      log(
        `  ${figure.rows} records vs ${figure.households} households: ${figure.status}` +
          `${figure.failure ? ` (${figure.failure})` : ''} in ${figure.seconds} s, ${figure.recordsPerSecond} records/s ` +
          `(${Math.round(figure.shareOfStoreRate * 100)}% of the store's rate); matched ${figure.outcomes.matched ?? 0}, ` +
          `unmatched ${figure.outcomes.unmatched ?? 0}, claims opened ${figure.claimsOpened}; peak RSS ` +
          `${figure.peakRssMiB} MiB (node ${figure.peakNodeRssMiB}, JVM ${figure.peakJvmRssMiB})`,
      );
      return {
        figure,
        cost: feedImportCost(loadPrices(), 1_000_000, {
          recordsPerHousehold: figure.households > 0 ? figure.rows / figure.households : 10,
          matchedShare: figure.rows > 0 ? (figure.outcomes.matched ?? 0) / figure.rows : 0.9,
          claimsPerRecord: figure.rows > 0 ? figure.claimsOpened / figure.rows : 0,
          lambdaSecondsPerRecord: figure.measured.lambdaSecondsPerRecord,
          bucketRows: FEED_BUCKET_ROWS,
          segmentRows: FEED_SEGMENT_ROWS,
        }),
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

// The AWS cost of the county-scale jobs, from the price list (bench/prices.json) and what each
// job does per row, as the code does it:
// - roster import: per household (3 status periods, a county's usual history) one transaction of
//   its identity, its ID number's claim and its periods (a transactional write costs 2 write units
//   per item), two strongly consistent reads (identity, ID holder); chunks of 500 rows written and
//   read once in S3; one Distributed Map child (Express) per batch of 4 chunks; the Lambda time
//   measured locally (an upper bound: DynamoDB answers faster than DynamoDB Local).
// - ledger export: the ledger read by Query (eventually consistent, 0.5 unit per 4 KB of items),
//   one consistent roster read per payee, the file written in 8 MiB parts, the writer's Lambda at
//   1,769 MB for the CPU time the export benchmark measured.
// - medical feed: the start reads the ID numbers' holders once (BatchGetItem, strongly
//   consistent) to cut the rows in chunks by household (about 1,000 records, one part per segment
//   of 100,000 rows); per chunk the holders again, each matched household's periods and members
//   (a Query each), then per household group (one per household and category: all its records
//   are in one chunk) its stored records by id, its counter and its records (a Query; all three
//   twice), one transaction of each record's two items (by id, under the household) and the
//   counter, and the household's warning burden refreshed (periods, claims, records read; the burden put). The
//   claims the file opens: one transaction each (claim, first events, its records claimed); what
//   a claim costs after that is the cost group's review path, not counted here.
import type { Prices } from '#bench/cost.ts';
import { round } from '#bench/stats.ts';

export interface BulkCostLine {
  readonly job: string;
  readonly per: string;
  readonly usd: number;
  readonly parts: Readonly<Record<string, number>>;
  /** What the model counts per unit of work (request units, requests, GB-s), where it says. */
  readonly use?: Readonly<Record<string, number>>;
}

const PERIODS_PER_HOUSEHOLD = 3;
const CHUNK_ROWS = 500;
const CHUNKS_PER_BATCH = 2;
const LEDGER_ITEM_BYTES = 420;

export function rosterImportCost(
  prices: Prices,
  rows: number,
  lambdaSecondsPerRow: number,
  lambdaMemoryMb = 512,
): BulkCostLine {
  const households = rows / PERIODS_PER_HOUSEHOLD;
  const itemsWritten = households * (2 + PERIODS_PER_HOUSEHOLD);
  const chunks = Math.ceil(rows / CHUNK_ROWS);
  const batches = Math.ceil(chunks / CHUNKS_PER_BATCH);
  const dynamoWrites = itemsWritten * 2 * prices.dynamodb.onDemandPerWriteRequestUnit;
  // Identity and ID holder per household, plus the job's batch records (a transaction each).
  const dynamoReads = households * 2 * prices.dynamodb.onDemandPerReadRequestUnit;
  const batchRecords = chunks * 2 * 2 * prices.dynamodb.onDemandPerWriteRequestUnit;
  const s3 =
    (chunks + 2) * prices.s3.standardPutCopyPostListPerRequest +
    (chunks + 2) * prices.s3.standardGetSelectAndOtherPerRequest;
  const lambdaGbSeconds = rows * lambdaSecondsPerRow * (lambdaMemoryMb / 1024);
  const lambda = lambdaGbSeconds * prices.lambda.arm64PerGbSecond + (batches + 3) * prices.lambda.perRequest;
  // Parent: a handful of transitions plus one per child; children are Express (per request and
  // duration, the batch's Lambda time at the map's 64 MB increment floor).
  const stepFunctions =
    (8 + batches) * prices.stepFunctions.standardPerStateTransition +
    batches * prices.stepFunctions.expressPerRequest +
    rows *
      lambdaSecondsPerRow *
      (prices.stepFunctions.expressMemoryIncrementMb / 1024) *
      prices.stepFunctions.expressPerGbSecond;
  const parts = { dynamoWrites, dynamoReads: dynamoReads + batchRecords, s3, lambda, stepFunctions };
  return line('roster import', `${rows.toLocaleString('en-US')} rows`, parts);
}

/** A stored feed record's item (by id, and its copy under the household) is about this size. */
const FEED_RECORD_ITEM_BYTES = 480;
/** A household's warning burden: its fields and one entry per counted expense. */
const BURDEN_BASE_BYTES = 300;
const BURDEN_EXPENSE_BYTES = 110;
/** A data-feed claim opened: the claim item, its first two events, ~3 records claimed. */
const OPENED_CLAIM_ITEMS_KB = 2 + 1 + 1;
const RECORDS_PER_OPENED_CLAIM = 3;

export interface FeedRun {
  /** Records per household of the county (as in the run; their spread sets the groups per batch). */
  readonly recordsPerHousehold: number;
  /** Records whose person is on a household. */
  readonly matchedShare: number;
  /** Claims the feed opened per record. */
  readonly claimsPerRecord: number;
  /** Lambda time of the job's steps per record, measured on the local stack (an upper bound). */
  readonly lambdaSecondsPerRecord: number;
  /** Records per chunk (a bucket of households) and per part of a chunk (a segment's share). */
  readonly bucketRows: number;
  readonly segmentRows: number;
}

export function feedImportCost(
  prices: Prices,
  records: number,
  run: FeedRun,
  lambdaMemoryMb = 512,
): BulkCostLine {
  const chunks = Math.ceil(records / run.bucketRows);
  const segments = Math.ceil(records / run.segmentRows);
  // A chunk has a part in each segment that holds any of its rows (at most one a row).
  const chunkParts = chunks * Math.min(segments, run.bucketRows);
  const batches = Math.ceil(chunks / CHUNKS_PER_BATCH);
  const households = records / run.recordsPerHousehold;
  const matched = records * run.matchedShare;
  // Distinct households the matched records fall on: each is one group (one category), settled
  // once in its chunk.
  const groups = households * (1 - (1 - 1 / households) ** matched);
  // A household's records, on average while the file goes through: half its year's.
  const householdRecordsKb = Math.max(1, ((matched / households / 2) * FEED_RECORD_ITEM_BYTES) / 1024);
  const householdRecordsRru = Math.ceil(householdRecordsKb / 4);
  const itemKb = Math.ceil(FEED_RECORD_ITEM_BYTES / 1024);
  const burdenKb = Math.ceil((BURDEN_BASE_BYTES + (matched / households) * BURDEN_EXPENSE_BYTES) / 1024);
  const claims = records * run.claimsPerRecord;
  // A group reads its records, counter and household records twice: before its write, and once
  // more after it (the write settles the group only when a second look finds nothing to do).
  const rru = {
    // Read by the start and again by the chunk.
    holders: records * 2,
    household: groups * 2,
    recordsById: matched * 2,
    counters: groups * 2,
    householdRecords: groups * 2 * householdRecordsRru,
    burdenReads: groups * (2 + householdRecordsRru),
    openedClaims: claims * 5,
    jobBatches: chunks * 2,
  };
  const wru = {
    records: matched * 2 * itemKb * 2,
    counters: groups * 2,
    burdens: groups * burdenKb,
    openedClaims: claims * 2 * (OPENED_CLAIM_ITEMS_KB + RECORDS_PER_OPENED_CLAIM * 2 * itemKb),
    jobBatches: chunks * 2 * 2,
  };
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  const readUnits = sum(rru);
  const writeUnits = sum(wru);
  // The file once in, read twice by the check; the chunks written and read once; the map's
  // item reader and result files; the error report and the list of claims opened.
  const s3Puts = 1 + chunkParts + 1 + 2 + 2;
  const s3Gets = 2 + chunkParts + 1;
  const s3 =
    s3Puts * prices.s3.standardPutCopyPostListPerRequest +
    s3Gets * prices.s3.standardGetSelectAndOtherPerRequest;
  const lambdaGbSeconds = records * run.lambdaSecondsPerRecord * (lambdaMemoryMb / 1024);
  const lambda = lambdaGbSeconds * prices.lambda.arm64PerGbSecond + (batches + 3) * prices.lambda.perRequest;
  const standardTransitions = 8 + batches;
  const expressGbSeconds =
    records * run.lambdaSecondsPerRecord * (prices.stepFunctions.expressMemoryIncrementMb / 1024);
  const stepFunctions =
    standardTransitions * prices.stepFunctions.standardPerStateTransition +
    batches * prices.stepFunctions.expressPerRequest +
    expressGbSeconds * prices.stepFunctions.expressPerGbSecond;
  const parts = {
    dynamoReads: readUnits * prices.dynamodb.onDemandPerReadRequestUnit,
    dynamoWrites: writeUnits * prices.dynamodb.onDemandPerWriteRequestUnit,
    s3,
    lambda,
    stepFunctions,
  };
  const perRecord = (n: number) => round(n / records, 3);
  return {
    ...line('medical feed', `${records.toLocaleString('en-US')} records`, parts),
    use: {
      readUnitsPerRecord: perRecord(readUnits),
      writeUnitsPerRecord: perRecord(writeUnits),
      holdersReadUnitsPerRecord: perRecord(rru.holders),
      recordReadUnitsPerRecord: perRecord(rru.recordsById + rru.householdRecords),
      transactionWriteUnitsPerRecord: perRecord(wru.records + wru.counters),
      groupsPerRecord: perRecord(groups),
      claimsOpened: Math.round(claims),
      lambdaGbSeconds: round(lambdaGbSeconds, 1),
      childExecutions: batches,
      standardTransitions,
      s3Requests: s3Puts + s3Gets,
    },
  };
}

export function ledgerExportCost(prices: Prices, rows: number, writerCpuSecondsPerRow: number): BulkCostLine {
  const dynamoLedger = ((rows * LEDGER_ITEM_BYTES) / 4096) * 0.5 * prices.dynamodb.onDemandPerReadRequestUnit;
  const dynamoRoster = rows * prices.dynamodb.onDemandPerReadRequestUnit;
  const fileBytes = rows * 200;
  const s3 = (Math.ceil(fileBytes / (8 * 1024 * 1024)) + 2) * prices.s3.standardPutCopyPostListPerRequest;
  const lambda =
    rows * writerCpuSecondsPerRow * (1769 / 1024) * prices.lambda.arm64PerGbSecond + prices.lambda.perRequest;
  const stepFunctions = 4 * prices.stepFunctions.standardPerStateTransition;
  return line('ledger export', `${rows.toLocaleString('en-US')} rows`, {
    dynamoReads: dynamoLedger + dynamoRoster,
    s3,
    lambda,
    stepFunctions,
  });
}

function line(job: string, per: string, parts: Record<string, number>): BulkCostLine {
  const usd = Object.values(parts).reduce((a, b) => a + b, 0);
  return {
    job,
    per,
    usd: round(usd, 4),
    parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, round(v, 5)])),
  };
}

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
import type { Prices } from '#bench/cost.ts';
import { round } from '#bench/stats.ts';

export interface BulkCostLine {
  readonly job: string;
  readonly per: string;
  readonly usd: number;
  readonly parts: Readonly<Record<string, number>>;
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

// Every port at once, for the local runtime (which serves all handlers from one process) and
// tools. Deployed handlers use handlerDeps() with only the ports they need.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  contextMetrics,
  handlerDeps,
  type AdapterContext,
  type BuiltDeps,
  type DepsSettings,
} from '#functions/adapters/handler-deps.ts';
import {
  dynamoClaims,
  dynamoClient,
  dynamoFeeds,
  dynamoFunds,
  dynamoLedger,
  dynamoRoster,
  dynamoWarnings,
} from '#functions/adapters/dynamo-ports.ts';
import { receiptsBucket, s3Client, s3Exports, s3Receipts, s3Uploads } from '#functions/adapters/s3-ports.ts';
import { sfnReviews } from '#functions/adapters/sfn-review-tasks.ts';
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { sfnWorkflows } from '#functions/adapters/sfn-claim-workflows.ts';
import { sfnExportWorkflows } from '#functions/adapters/sfn-export-workflows.ts';
import { dynamoJobs, s3JobFiles } from '#functions/adapters/job-ports.ts';
import { dynamoStats } from '#functions/adapters/dynamo-stats-store.ts';

const allPorts = {
  claims: dynamoClaims,
  roster: dynamoRoster,
  ledger: dynamoLedger,
  funds: dynamoFunds,
  feeds: dynamoFeeds,
  warnings: dynamoWarnings,
  receipts: s3Receipts,
  fingerprints: sharpFingerprinter,
  uploads: s3Uploads,
  exports: s3Exports,
  reviews: sfnReviews,
  workflows: sfnWorkflows,
  exportRuns: sfnExportWorkflows,
  metrics: contextMetrics,
  jobs: dynamoJobs,
  files: s3JobFiles,
  stats: dynamoStats,
};

export interface AppDeps extends BuiltDeps<typeof allPorts> {
  readonly db: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
}

export function awsDeps(settings: DepsSettings = {}): AppDeps {
  // The clients are cached per adapter context: capture it to expose the same ones.
  let context: AdapterContext | undefined;
  const deps = handlerDeps(
    { ...allPorts, claims: (c: AdapterContext) => dynamoClaims((context = c)) },
    settings,
  );
  if (!context) throw new Error('unreachable: the claims port is always built');
  return { ...deps, db: dynamoClient(context), s3: s3Client(context), bucket: receiptsBucket(context) };
}

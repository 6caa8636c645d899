// The bulk-job ports, for the handlers that name them (see handler-deps.ts).
import type { AdapterContext } from '#functions/adapters/handler-deps.ts';
import { dynamoClient } from '#functions/adapters/dynamo-ports.ts';
import { receiptsBucket, s3Client } from '#functions/adapters/s3-ports.ts';
import { DynamoJobStore } from '#functions/adapters/dynamo-job-store.ts';
import { S3JobFiles } from '#functions/adapters/s3-job-files.ts';
import { requireEnv } from '#functions/adapters/handler-deps.ts';
import { envNames } from '#functions/catalog.ts';
import type { JobFiles, JobStore } from '#shared/bulk-job.ts';

export const dynamoJobs = (context: AdapterContext): JobStore =>
  new DynamoJobStore(dynamoClient(context), requireEnv(context.env, envNames.claimsTable));

export const s3JobFiles = (context: AdapterContext): JobFiles =>
  new S3JobFiles(s3Client(context), receiptsBucket(context));

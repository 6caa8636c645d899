// Builds the production dependencies from the environment. Clients are created here, once per
// container, and handed to makeHandler(); tests hand in their own.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { envNames } from '#functions/catalog.ts';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { S3ReceiptStore } from '#functions/adapters/s3-receipt-store.ts';
import { SfnReviewTasks } from '#functions/adapters/sfn-review-tasks.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import type { ApiDeps } from '#shared/api/claims-api.ts';
import { S3UploadSigner } from '#functions/adapters/s3-upload-signer.ts';
import { monotonicFactory } from 'ulid';

export interface AppDeps extends StepDeps, ApiDeps {
  readonly store: DynamoClaimStore;
  readonly s3: S3Client;
  readonly bucket: string;
}

function requireEnv(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** Where the local runtime points the SDK clients; on AWS nothing is overridden. */
export interface ClientOverrides {
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly endpoints?: { readonly dynamodb?: string; readonly s3?: string; readonly sfn?: string };
}

export function awsDeps(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: ClientOverrides = {},
): AppDeps {
  const base = {
    ...(overrides.region ? { region: overrides.region } : {}),
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
  };
  const endpoints = overrides.endpoints ?? {};
  // Without overrides the SDK reads AWS_ENDPOINT_URL_* and the Lambda role itself.
  const s3 = new S3Client({
    ...base,
    ...(endpoints.s3 ? { endpoint: endpoints.s3 } : {}),
    forcePathStyle: endpoints.s3 !== undefined || env.AWS_S3_FORCE_PATH_STYLE === 'true',
  });
  const db = new DynamoDBClient({ ...base, ...(endpoints.dynamodb ? { endpoint: endpoints.dynamodb } : {}) });
  const sfn = new SFNClient({ ...base, ...(endpoints.sfn ? { endpoint: endpoints.sfn } : {}) });
  const store = new DynamoClaimStore(db, requireEnv(env, envNames.claimsTable));
  const bucket = requireEnv(env, envNames.receiptsBucket);
  const clock = { now: () => new Date() };
  const ulid = monotonicFactory();
  return {
    store,
    claims: store,
    roster: store,
    ledger: store,
    uploads: new S3UploadSigner(s3, bucket, clock),
    ids: { next: () => ulid() },
    s3,
    bucket,
    receipts: new S3ReceiptStore(s3, bucket),
    reviews: new SfnReviewTasks(sfn, env[envNames.reviewStateMachineArn] ?? ''),
    clock,
  };
}

/** Dependencies built on first use, so importing a handler module does no work. */
export function lazyDeps<T>(build: () => T): () => T {
  let deps: T | undefined;
  return () => (deps ??= build());
}

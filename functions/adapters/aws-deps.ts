// Every port at once, for the local runtime (which serves all handlers from one process) and
// tools. Deployed handlers use handlerDeps() with only the ports they need.
import type { S3Client } from '@aws-sdk/client-s3';
import {
  handlerDeps,
  type AdapterContext,
  type ClientOverrides,
  type Env,
  type HandlerDeps,
} from '#functions/adapters/handler-deps.ts';
import { receiptsBucket, s3Client, s3Exports, s3Receipts, s3Uploads } from '#functions/adapters/s3-ports.ts';
import { sfnReviews } from '#functions/adapters/sfn-review-tasks.ts';
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { sfnWorkflows } from '#functions/adapters/sfn-claim-workflows.ts';

export type { ClientOverrides } from '#functions/adapters/handler-deps.ts';
export { lazyDeps } from '#functions/adapters/handler-deps.ts';

export interface AppDeps extends HandlerDeps {
  readonly s3: S3Client;
  readonly bucket: string;
}

export function awsDeps(env: Env = process.env, overrides: ClientOverrides = {}): AppDeps {
  // The S3 factories share a client per context: capture it to expose the same one.
  let context: AdapterContext | undefined;
  const deps = handlerDeps(
    {
      receipts: (c) => s3Receipts((context = c)),
      fingerprints: sharpFingerprinter,
      uploads: s3Uploads,
      exports: s3Exports,
      reviews: sfnReviews,
      workflows: sfnWorkflows,
    },
    env,
    overrides,
  );
  if (!context) throw new Error('unreachable: the receipts port is always built');
  return { ...deps, s3: s3Client(context), bucket: receiptsBucket(context) };
}

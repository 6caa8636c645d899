// The S3-backed ports, for the handlers that name them (see handler-deps.ts). The receipt store
// and the upload signer share one client per container.
import { S3Client } from '@aws-sdk/client-s3';
import { envNames } from '#functions/catalog.ts';
import {
  baseClientConfig,
  requireEnv,
  withoutSdkLogger,
  type AdapterContext,
} from '#functions/adapters/handler-deps.ts';
import { S3ReceiptStore } from '#functions/adapters/s3-receipt-store.ts';
import { S3UploadSigner } from '#functions/adapters/s3-upload-signer.ts';
import { S3ExportStore } from '#functions/adapters/s3-export-store.ts';
import type { ExportStore, ReceiptStore, UploadSigner } from '#shared/ports.ts';

const clients = new WeakMap<AdapterContext, S3Client>();

export function s3Client(context: AdapterContext): S3Client {
  let client = clients.get(context);
  if (!client) {
    const endpoint = context.overrides.endpoints?.s3;
    client = withoutSdkLogger(
      new S3Client({
        ...baseClientConfig(context.overrides),
        ...(endpoint ? { endpoint } : {}),
        forcePathStyle: endpoint !== undefined || context.env.AWS_S3_FORCE_PATH_STYLE === 'true',
      }),
    );
    clients.set(context, client);
  }
  return client;
}

export const receiptsBucket = (context: AdapterContext): string =>
  requireEnv(context.env, envNames.receiptsBucket);

export const s3Receipts = (context: AdapterContext): ReceiptStore =>
  new S3ReceiptStore(s3Client(context), receiptsBucket(context));

export const s3Uploads = (context: AdapterContext): UploadSigner =>
  new S3UploadSigner(s3Client(context), receiptsBucket(context), context.clock);

export const s3Exports = (context: AdapterContext): ExportStore =>
  new S3ExportStore(s3Client(context), receiptsBucket(context), context.clock, context.ids);

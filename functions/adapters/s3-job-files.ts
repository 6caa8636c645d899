// Bulk files and what their jobs write beside them (checked row chunks, error reports), in the
// receipts bucket under imports/. Reads go through the receipt store's size-capped reader.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ReceiptStore } from '#functions/adapters/s3-receipt-store.ts';
import type { JobFiles } from '#shared/bulk-job.ts';
import { sha256Hex } from '#shared/hash.ts';

export class S3JobFiles implements JobFiles {
  private readonly reader: S3ReceiptStore;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {
    this.reader = new S3ReceiptStore(s3, bucket);
  }

  async read(key: string, maxBytes: number): Promise<{ bytes: Uint8Array; sha256: string } | undefined> {
    const bytes = await this.reader.read(key, maxBytes);
    if (!bytes) return undefined;
    return { bytes, sha256: await sha256Hex(bytes) };
  }

  async write(key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }
}

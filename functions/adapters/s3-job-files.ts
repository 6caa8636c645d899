// Bulk files and what their jobs write beside them (checked row chunks, error reports), in the
// receipts bucket under imports/. Reads go through the receipt store's size-capped reader; a bulk
// file itself is streamed and hashed as it goes, never held whole.
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ReceiptStore, TooLargeError } from '#functions/adapters/s3-receipt-store.ts';
import type { JobFileStream, JobFiles } from '#shared/bulk-job.ts';
import { sha256Hex } from '#shared/hash.ts';
import { hashingStream } from '#functions/adapters/hashing-stream.ts';

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

  async stream(key: string, maxBytes: number): Promise<JobFileStream | undefined> {
    let out;
    try {
      out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
        return undefined;
      throw error;
    }
    const body = out.Body?.transformToWebStream();
    if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
      await body?.cancel().catch(() => undefined);
      throw new TooLargeError(`object is larger than ${maxBytes} bytes`);
    }
    return hashingStream(body ? pieces(body) : pieces(new ReadableStream()), maxBytes);
  }

  async write(key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async remove(key: string): Promise<void> {
    // The bucket keeps versions: this leaves a delete marker, and the lifecycle rules for these
    // prefixes expire the version it hides within a day.
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

async function* pieces(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // A reader that stops early (a file past the limit) lets the connection go.
    await reader.cancel().catch(() => undefined);
  }
}

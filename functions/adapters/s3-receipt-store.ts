// S3 implementation of the receipt port. Objects are streamed and hashed, never buffered whole
// beyond the limit; nothing here can delete an object.
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectInspection, ReceiptStore } from '#shared/ports.ts';

export class TooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TooLargeError';
  }
}

const HEAD_BYTES = 16;

function isMissing(error: unknown): boolean {
  return (
    error instanceof NoSuchKey ||
    error instanceof NotFound ||
    (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
  );
}

export class S3ReceiptStore implements ReceiptStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async read(key: string, maxBytes: number): Promise<Uint8Array | undefined> {
    let out;
    try {
      out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
      out.Body?.transformToWebStream()
        .cancel()
        .catch(() => undefined);
      throw new TooLargeError(`object is larger than ${maxBytes} bytes`);
    }
    const bytes = await out.Body?.transformToByteArray();
    if (bytes && bytes.length > maxBytes) throw new TooLargeError(`object is larger than ${maxBytes} bytes`);
    return bytes ?? new Uint8Array();
  }

  async inspect(key: string, maxBytes: number): Promise<ObjectInspection | undefined> {
    let size: number;
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      size = head.ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if (size === 0) return { size, head: new Uint8Array() };
    if (size > maxBytes) {
      // Too big to accept: read only the leading bytes so the rejection can still say what it is.
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${HEAD_BYTES - 1}` }),
      );
      return { size, head: (await out.Body?.transformToByteArray()) ?? new Uint8Array() };
    }
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const hash = createHash('sha256');
    const head = new Uint8Array(HEAD_BYTES);
    let filled = 0;
    let total = 0;
    const stream = out.Body?.transformToWebStream();
    if (stream) {
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > maxBytes) {
          await reader.cancel();
          return { size: total, head };
        }
        hash.update(value);
        if (filled < HEAD_BYTES) {
          const take = value.subarray(0, HEAD_BYTES - filled);
          head.set(take, filled);
          filled += take.length;
        }
      }
    }
    return { size: total, sha256: hash.digest('hex'), head: head.subarray(0, filled) };
  }
}

// S3 implementation of the receipt port. Objects are streamed and hashed, never buffered whole
// beyond the limit; nothing here can delete an object.
import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, NotFound, type S3Client } from '@aws-sdk/client-s3';
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
    // One GET, not HEAD then GET: the response's length says whether to hash the body or only
    // look at its first bytes, and every claim's receipts pass here.
    let out;
    try {
      out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const declared = out.ContentLength;
    const stream = out.Body?.transformToWebStream();
    if (declared === 0 || !stream) {
      await stream?.cancel().catch(() => undefined);
      return { size: declared ?? 0, head: new Uint8Array() };
    }
    const reader = stream.getReader();
    const head = new Uint8Array(HEAD_BYTES);
    let filled = 0;
    const keepHead = (value: Uint8Array) => {
      if (filled >= HEAD_BYTES) return;
      const take = value.subarray(0, HEAD_BYTES - filled);
      head.set(take, filled);
      filled += take.length;
    };
    if (declared !== undefined && declared > maxBytes) {
      // Too big to accept: the leading bytes are enough to say what it is.
      while (filled < HEAD_BYTES) {
        const { done, value } = await reader.read();
        if (done) break;
        keepHead(value);
      }
      await reader.cancel().catch(() => undefined);
      return { size: declared, head: head.subarray(0, filled) };
    }
    const hash = createHash('sha256');
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        return { size: total, head: head.subarray(0, filled) };
      }
      hash.update(value);
      keepHead(value);
    }
    if (total === 0) return { size: 0, head: new Uint8Array() };
    return { size: total, sha256: hash.digest('hex'), head: head.subarray(0, filled) };
  }
}

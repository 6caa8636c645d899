// S3 implementation of the receipt port. Objects are streamed and hashed, never buffered whole
// beyond the limit; nothing here can delete an object.
import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, NotFound, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectInspection, ReceiptStore } from '#shared/ports.ts';
import { INSPECT_HEAD_BYTES, INSPECT_TAIL_BYTES } from '#shared/receipt-check.ts';

export class TooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TooLargeError';
  }
}

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

  async read(key: string, maxBytes: number, versionId?: string): Promise<Uint8Array | undefined> {
    let out;
    try {
      out = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
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
    // The version this pass reads: what a claim pins, so a later upload under the key changes nothing.
    const version = out.VersionId && out.VersionId !== 'null' ? { versionId: out.VersionId } : {};
    const stream = out.Body?.transformToWebStream();
    const none = new Uint8Array();
    if (declared === 0 || !stream) {
      await stream?.cancel().catch(() => undefined);
      return { ...version, size: declared ?? 0, head: none, tail: none };
    }
    const reader = stream.getReader();
    const head = new Uint8Array(INSPECT_HEAD_BYTES);
    let filled = 0;
    const keepHead = (value: Uint8Array) => {
      if (filled >= INSPECT_HEAD_BYTES) return;
      const take = value.subarray(0, INSPECT_HEAD_BYTES - filled);
      head.set(take, filled);
      filled += take.length;
    };
    if (declared !== undefined && declared > maxBytes) {
      // Too big to accept: the leading bytes are enough to say what it is.
      while (filled < INSPECT_HEAD_BYTES) {
        const { done, value } = await reader.read();
        if (done) break;
        keepHead(value);
      }
      await reader.cancel().catch(() => undefined);
      return { ...version, size: declared, head: head.subarray(0, filled), tail: none };
    }
    const hash = createHash('sha256');
    const tail = new TailKeeper(INSPECT_TAIL_BYTES);
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        return { ...version, size: total, head: head.subarray(0, filled), tail: none };
      }
      hash.update(value);
      keepHead(value);
      tail.push(value);
    }
    if (total === 0) return { ...version, size: 0, head: none, tail: none };
    return {
      ...version,
      size: total,
      sha256: hash.digest('hex'),
      head: head.subarray(0, filled),
      tail: tail.bytes(),
    };
  }
}

/** The last `capacity` bytes of a stream seen chunk by chunk, in a ring: no copy of the whole. */
export class TailKeeper {
  private readonly ring: Uint8Array;
  private seen = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Uint8Array(capacity);
  }

  push(chunk: Uint8Array): void {
    const take = chunk.subarray(Math.max(0, chunk.length - this.capacity));
    // Where the first kept byte lands: chunk bytes before it are overwritten anyway.
    let at = (this.seen + chunk.length - take.length) % this.capacity;
    let from = 0;
    while (from < take.length) {
      const n = Math.min(take.length - from, this.capacity - at);
      this.ring.set(take.subarray(from, from + n), at);
      from += n;
      at = (at + n) % this.capacity;
    }
    this.seen += chunk.length;
  }

  bytes(): Uint8Array {
    if (this.seen <= this.capacity) return this.ring.slice(0, this.seen);
    const start = this.seen % this.capacity;
    const out = new Uint8Array(this.capacity);
    out.set(this.ring.subarray(start), 0);
    out.set(this.ring.subarray(0, start), this.capacity - start);
    return out;
  }
}

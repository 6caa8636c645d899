// The S3 adapter keeps a receipt's first and last bytes while it streams and hashes the object,
// however the body arrives in chunks, and gives up on objects over the limit.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ReceiptStore, TailKeeper } from '#functions/adapters/s3-receipt-store.ts';
import { INSPECT_HEAD_BYTES, INSPECT_TAIL_BYTES } from '#shared/receipt-check.ts';

/** An S3 client whose GetObject streams `bytes` in chunks of `chunk` bytes. */
function s3With(bytes: Uint8Array, chunk: number, declared = bytes.length): S3Client {
  return {
    send: async () => ({
      ContentLength: declared,
      Body: {
        transformToWebStream: () =>
          new ReadableStream<Uint8Array>({
            start(controller) {
              for (let at = 0; at < bytes.length; at += chunk)
                controller.enqueue(bytes.slice(at, at + chunk));
              controller.close();
            },
          }),
      },
    }),
  } as unknown as S3Client;
}

const sample = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7919 + 13) & 0xff);

describe('S3ReceiptStore.inspect', () => {
  it.each([
    [10, 1],
    [1000, 7],
    [1024, 1024],
    [1025, 1],
    [5000, 1],
    [50_000, 333],
    [50_000, 4096],
    [200_000, 65_536],
  ])('%i bytes in chunks of %i: head, tail and hash from one pass', async (size, chunk) => {
    const bytes = sample(size);
    const store = new S3ReceiptStore(s3With(bytes, chunk), 'receipts');
    const inspection = await store.inspect('claims/C/receipt-1.jpg', 10 << 20);
    expect(inspection?.size).toBe(size);
    expect(inspection?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(Buffer.from(inspection!.head)).toEqual(Buffer.from(bytes.subarray(0, INSPECT_HEAD_BYTES)));
    expect(Buffer.from(inspection!.tail)).toEqual(
      Buffer.from(bytes.subarray(Math.max(0, size - INSPECT_TAIL_BYTES))),
    );
  });

  it('an object over the limit is neither hashed nor given a tail', async () => {
    const bytes = sample(3000);
    const declaredTooLarge = await new S3ReceiptStore(s3With(bytes, 100), 'r').inspect('k', 2000);
    expect(declaredTooLarge).toMatchObject({ size: 3000, tail: new Uint8Array() });
    expect(declaredTooLarge?.sha256).toBeUndefined();
    // A length that lied: the stream runs past the limit.
    const streamedTooLarge = await new S3ReceiptStore(s3With(bytes, 100, 1000), 'r').inspect('k', 2000);
    expect(streamedTooLarge?.sha256).toBeUndefined();
    expect(streamedTooLarge?.tail).toHaveLength(0);
  });
});

describe('TailKeeper', () => {
  it('keeps the last bytes of any split of a stream', () => {
    const bytes = sample(10_000);
    for (const sizes of [[1], [3, 1021], [1024], [1500], [7, 2000, 1, 5000]]) {
      const keeper = new TailKeeper(INSPECT_TAIL_BYTES);
      let at = 0;
      for (let k = 0; at < bytes.length; k++) {
        const n = sizes[k % sizes.length] as number;
        keeper.push(bytes.subarray(at, at + n));
        at += n;
      }
      expect(Buffer.from(keeper.bytes())).toEqual(Buffer.from(bytes.subarray(-INSPECT_TAIL_BYTES)));
    }
  });
});

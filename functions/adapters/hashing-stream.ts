// A bulk file read piece by piece, hashed as it goes (the job's duplicate check needs the sha256
// of bytes it never holds whole), with the size limit checked on the way.
import { createHash } from 'node:crypto';
import { TooLargeError } from '#functions/adapters/s3-receipt-store.ts';
import type { JobFileStream } from '#shared/bulk-job.ts';

/** Hands the pieces on as they come, hashing them, and throws past maxBytes. */
export function hashingStream(source: AsyncIterable<Uint8Array>, maxBytes: number): JobFileStream {
  const hash = createHash('sha256');
  let total = 0;
  let digest: string | undefined;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const piece of source) {
      total += piece.length;
      if (total > maxBytes) throw new TooLargeError(`object is larger than ${maxBytes} bytes`);
      hash.update(piece);
      yield piece;
    }
    digest = hash.digest('hex');
  }
  return {
    chunks: chunks(),
    sha256: () => {
      if (digest === undefined) throw new Error('the file has not been read to its end');
      return digest;
    },
  };
}

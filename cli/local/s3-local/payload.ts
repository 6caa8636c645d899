// Request bodies as S3 checks them: the SHA-256 a request signed in x-amz-content-sha256
// (XAmzContentSHA256Mismatch), and aws-chunked bodies, which SDK v3 sends for streams: framing
// stripped, each chunk's signature chained from the request's (STREAMING-AWS4-HMAC-SHA256-PAYLOAD),
// the signed trailer checked, the decoded length matched. Left out: STREAMING-ECDSA (SigV4a) and
// checking the trailer's checksum value itself.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { type PassThrough, Transform, type TransformCallback } from 'node:stream';
import { S3Failure, s3rverError } from '#cli/local/s3-store.ts';
import {
  chunkSignature,
  emptySha256,
  sameSignature,
  trailerSignature,
  type SigV4Verified,
} from '#cli/local/sigv4.ts';

export function isAwsChunked(headers: IncomingHttpHeaders): boolean {
  const encoding = String(headers['content-encoding'] ?? '').toLowerCase();
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

/** Strips aws-chunked framing (`<hex>[;chunk-signature=..]\r\n<data>\r\n ... 0\r\n<trailers>\r\n`). */
export class AwsChunkedDecoder extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private state: 'size' | 'data' | 'crlf' | 'trailers' = 'size';
  private remaining = 0;
  private decoded = 0;
  private chunkHash: ReturnType<typeof createHash> | undefined;
  private chunkSignatureGiven = '';
  private previousSignature = '';
  private trailerText = '';

  /**
   * @param expectedLength x-amz-decoded-content-length, checked at the end.
   * @param signing for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) bodies: the verified request,
   *   whose signature seeds the chain of chunk signatures each chunk must carry.
   */
  constructor(
    private readonly expectedLength?: number,
    private readonly signing?: {
      readonly verified: Pick<SigV4Verified, 'signingKey' | 'longDate' | 'scope' | 'signature'>;
      readonly trailer: boolean;
    },
  ) {
    super();
    this.previousSignature = signing?.verified.signature ?? '';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    try {
      this.drain();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'trailers') callback(chunkError('aws-chunked body ended before its final chunk'));
    else if (this.expectedLength !== undefined && this.decoded !== this.expectedLength) {
      callback(
        chunkError(
          `aws-chunked body has ${this.decoded} bytes, x-amz-decoded-content-length says ${this.expectedLength}`,
        ),
      );
    } else {
      try {
        if (this.signing?.trailer) this.verifyTrailer();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    }
  }

  private verifyChunk(dataSha256: string): void {
    if (!this.signing) return;
    const expected = chunkSignature(this.signing.verified, this.previousSignature, dataSha256);
    if (!sameSignature(this.chunkSignatureGiven, expected)) throw chunkSignatureMismatch();
    this.previousSignature = expected;
  }

  private verifyTrailer(): void {
    if (!this.signing) return;
    let given = '';
    let canonical = '';
    for (const line of this.trailerText.split('\r\n')) {
      if (line === '') continue;
      const at = line.indexOf(':');
      const name = (at === -1 ? line : line.slice(0, at)).trim().toLowerCase();
      const value = at === -1 ? '' : line.slice(at + 1).trim();
      if (name === 'x-amz-trailer-signature') given = value;
      else canonical += `${name}:${value}\n`;
    }
    if (!sameSignature(given, trailerSignature(this.signing.verified, this.previousSignature, canonical))) {
      throw chunkSignatureMismatch();
    }
  }

  private drain(): void {
    for (;;) {
      switch (this.state) {
        case 'size': {
          const lineEnd = this.buffer.indexOf('\r\n');
          if (lineEnd === -1) {
            if (this.buffer.length > 4096) throw chunkError('aws-chunked size line is too long');
            return;
          }
          const [sizePart = '', ...extensions] = this.buffer
            .subarray(0, lineEnd)
            .toString('latin1')
            .split(';');
          const sizeText = sizePart.trim();
          if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw chunkError('aws-chunked size line is malformed');
          if (this.signing) {
            const signature = extensions.map((e) => e.trim()).find((e) => e.startsWith('chunk-signature='));
            if (signature === undefined) throw chunkSignatureMismatch();
            this.chunkSignatureGiven = signature.slice('chunk-signature='.length);
          }
          this.buffer = this.buffer.subarray(lineEnd + 2);
          this.remaining = parseInt(sizeText, 16);
          if (this.remaining === 0) {
            // The zero-size chunk ends the data; checksum trailers follow.
            this.verifyChunk(emptySha256);
            this.state = 'trailers';
          } else {
            if (this.signing) this.chunkHash = createHash('sha256');
            this.state = 'data';
          }
          break;
        }
        case 'data': {
          if (this.buffer.length === 0) return;
          const take = Math.min(this.remaining, this.buffer.length);
          const data = this.buffer.subarray(0, take);
          this.chunkHash?.update(data);
          this.push(data);
          this.decoded += take;
          this.buffer = this.buffer.subarray(take);
          this.remaining -= take;
          if (this.remaining === 0) {
            if (this.chunkHash) this.verifyChunk(this.chunkHash.digest('hex'));
            this.chunkHash = undefined;
            this.state = 'crlf';
          }
          break;
        }
        case 'crlf':
          if (this.buffer.length < 2) return;
          if (this.buffer[0] !== 0x0d || this.buffer[1] !== 0x0a)
            throw chunkError('aws-chunked chunk is not followed by CRLF');
          this.buffer = this.buffer.subarray(2);
          this.state = 'size';
          break;
        case 'trailers':
          if (this.signing?.trailer) {
            this.trailerText += this.buffer.toString('latin1');
            if (this.trailerText.length > 16_384) throw chunkError('aws-chunked trailers are too long');
          }
          this.buffer = Buffer.alloc(0);
          return;
      }
    }
  }
}

/** Errors of an aws-chunked body become these S3 answers (the store passes them to s3rver). */
const chunkError = (message: string): Error => s3rverError(new S3Failure(400, 'IncompleteBody', message));
const chunkSignatureMismatch = (): Error =>
  s3rverError(
    new S3Failure(
      403,
      'SignatureDoesNotMatch',
      'The chunk signature we calculated does not match the signature you provided.',
    ),
  );

/** Passes bytes through, failing at the end if their SHA-256 is not the signed x-amz-content-sha256. */
export class Sha256Check extends Transform {
  private readonly hash = createHash('sha256');
  constructor(private readonly expected: string) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    if (this.hash.digest('hex') === this.expected) callback();
    else callback(s3rverError(contentSha256Mismatch()));
  }
}

export const contentSha256Mismatch = (): S3Failure =>
  new S3Failure(
    400,
    'XAmzContentSHA256Mismatch',
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
  );

/** A request object s3rver (Koa) can read like the original, with a replacement body. */
export function substituteRequest(
  req: IncomingMessage,
  headers: IncomingHttpHeaders,
  body: PassThrough,
): IncomingMessage {
  return Object.assign(body, {
    method: req.method,
    url: req.url,
    headers,
    rawHeaders: Object.entries(headers).flatMap(([k, v]) =>
      Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, String(v)],
    ),
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
    aborted: false,
    trailers: {},
    rawTrailers: [],
  }) as unknown as IncomingMessage;
}

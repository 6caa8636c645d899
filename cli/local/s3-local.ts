// The receipts bucket on s3rver, persisted under <dataDir>/s3, plus what s3rver leaves out and the
// product relies on: S3's POST policy checks for presigned uploads, aws-chunked request bodies
// (AWS SDK v3 sends streams that way) and EventBridge "Object Created" events.
//
// As on AWS, and unlike s3rver alone:
// - Every request but a CORS preflight (OPTIONS) and a browser POST upload (which carries a signed
//   POST policy instead) must be SigV4-signed with the local key (credentials.ts): in the
//   Authorization header, or as a presigned URL. Unsigned -> 403 AccessDenied; another key ->
//   403 InvalidAccessKeyId; a wrong signature -> 403 SignatureDoesNotMatch; a presigned URL past
//   its X-Amz-Expires -> 403 AccessDenied "Request has expired". The body must match the signed
//   x-amz-content-sha256 (or, for signed aws-chunked bodies, every chunk signature).
// - Keys are checked before s3rver sees them (s3-store.ts): over 1,024 bytes -> 400
//   KeyTooLongError; a segment too long for a file name, or `.`, `..`, `//` -> 400 InvalidArgument.
// - One failing request answers 500 for itself only; writes are staged and renamed into place, so
//   a failed or refused upload leaves the stored object as it was.
// - At start, whatever in the bucket directory cannot be read is skipped and reported in one line
//   (onLog); listings and reads treat it as absent instead of failing.
// - Overwrite guard: with `refuseOverwrite`, every write to a key that already holds an object
//   (PUT, POST form upload, copy destination, CompleteMultipartUpload; identical bytes included)
//   first asks it; a returned string refuses the write with 403 AccessDenied and that message,
//   leaves the object untouched, and is reported to `onWriteRefused` afterwards. Writes to one key
//   are serialised, so two concurrent uploads cannot both see the key as new.
// It listens on 127.0.0.1 only, by default.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { PassThrough, pipeline, Transform, type TransformCallback } from 'node:stream';
import type { EventBridgeEvent, S3ObjectCreatedNotificationEventDetail } from 'aws-lambda';
import { localCredentials, type LocalCredentials } from '#cli/local/credentials.ts';
import { listen } from '#cli/local/net.ts';
import {
  hardenStore,
  isValidBucketName,
  keyProblem,
  S3Failure,
  s3rverError,
  type S3rverStore,
} from '#cli/local/s3-store.ts';
import {
  chunkSignature,
  emptySha256,
  parseQuery,
  sameSignature,
  SigV4Failure,
  SigV4Verifier,
  trailerSignature,
  unsignedPayload,
  type SigV4Verified,
} from '#cli/local/sigv4.ts';

type ObjectCreatedDetail = Omit<S3ObjectCreatedNotificationEventDetail, 'object'> & {
  object: Omit<S3ObjectCreatedNotificationEventDetail['object'], 'version-id'> & { 'version-id'?: string };
};
/** What EventBridge delivers for an S3 "Object Created" event (no version-id: the bucket is unversioned). */
export type S3ObjectCreatedEvent = EventBridgeEvent<'Object Created', ObjectCreatedDetail>;

export interface S3LocalOptions {
  readonly port: number;
  /** Objects live in <dataDir>/s3/<bucket>; uploads are staged in <dataDir>/s3-staging. */
  readonly dataDir: string;
  readonly bucket: string;
  /** Called (asynchronously, like EventBridge) for created objects whose key passes `matchKey`. */
  readonly onObjectCreated?: (event: S3ObjectCreatedEvent) => void | Promise<void>;
  /** Which keys produce events; default: the EventBridge rule's `claims/<claimId>/manifest.json`. */
  readonly matchKey?: (key: string) => boolean;
  /** Origins the web app is served from, allowed by the bucket's CORS rule. */
  readonly corsOrigins?: readonly string[];
  readonly host?: string;
  readonly region?: string;
  readonly accountId?: string;
  /** Largest browser POST upload accepted (the policy's content-length-range still applies). */
  readonly maxPostBytes?: number;
  /**
   * Asked before any write (PUT, POST form upload, copy destination, CompleteMultipartUpload) to a
   * key of `bucket` that already holds an object, identical bytes or not. A string refuses the
   * write: 403 AccessDenied with that message (an empty string: "Access Denied"), the stored
   * object untouched. undefined lets it through. If it throws, the write is refused with 500.
   */
  readonly refuseOverwrite?: (key: string) => Promise<string | undefined>;
  /** Told (asynchronously, after the 403 is sent; errors are logged) of every refused write. */
  readonly onWriteRefused?: (key: string) => void | Promise<void>;
  readonly onLog?: (line: string) => void;
}

export interface S3Local {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_S3 (clients need forcePathStyle). */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /** Stops serving and waits for running onObjectCreated / onWriteRefused calls; safe to call twice. */
  stop(): Promise<void>;
}

/** The key every request must be signed with (s3rver's built-in account; see credentials.ts). */
export const s3LocalCredentials: LocalCredentials = localCredentials;

const manifestKeyPattern = /^claims\/[^/]+\/manifest\.json$/;
/** The key filter of the EventBridge rule that starts assess-claim. */
export const isManifestKey = (key: string): boolean => manifestKeyPattern.test(key);

export const defaultCorsOrigins: readonly string[] = ['http://127.0.0.1:8787', 'http://localhost:8787'];

interface S3rverInstance extends EventEmitter {
  configureBuckets(): Promise<void>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  readonly store: S3rverStore;
  readonly logger?: { close(): void };
  middleware: ((...args: never[]) => unknown)[];
}

/**
 * Keeps bucket lookups and bucket configurations (CORS, website) in memory. s3rver reads them
 * from disk on every request (a stat, two file reads and an XML parse for each GET or PUT);
 * this process is the only writer of its directory, and every write path goes through the
 * wrapped store methods, which drop the cached entry.
 */
function cacheBucketConfig(store: S3rverStore): void {
  const buckets = new Map<string, Promise<unknown>>();
  const configs = new Map<string, Promise<unknown>>();
  const configKey = (bucket: string, key: string | undefined, type: string) =>
    `${bucket}\0${key ?? ''}\0${type}`;
  const remember = <K>(cache: Map<K, Promise<unknown>>, key: K, load: () => Promise<unknown>) => {
    let value = cache.get(key);
    if (!value) {
      value = load();
      cache.set(key, value);
      // A failed read is not remembered; the next request tries again.
      value.catch(() => cache.delete(key));
    }
    return value;
  };
  const forgetAfter = async <T>(work: Promise<T>, forget: () => void): Promise<T> => {
    forget();
    try {
      return await work;
    } finally {
      forget();
    }
  };
  const original = {
    getBucket: store.getBucket.bind(store),
    putBucket: store.putBucket.bind(store),
    deleteBucket: store.deleteBucket.bind(store),
    getSubresource: store.getSubresource.bind(store),
    putSubresource: store.putSubresource.bind(store),
    deleteSubresource: store.deleteSubresource.bind(store),
    reset: store.reset.bind(store),
  };
  const forgetBucket = (bucket: string) => {
    buckets.delete(bucket);
    for (const key of configs.keys()) if (key.startsWith(`${bucket}\0`)) configs.delete(key);
  };
  // Only found buckets are kept: a miss may be created by the next request.
  store.getBucket = (bucket) =>
    remember(buckets, bucket, () => original.getBucket(bucket)).then((found) => {
      if (!found) buckets.delete(bucket);
      return found;
    });
  store.putBucket = (bucket) => forgetAfter(original.putBucket(bucket), () => forgetBucket(bucket));
  store.deleteBucket = (bucket) => forgetAfter(original.deleteBucket(bucket), () => forgetBucket(bucket));
  store.getSubresource = (bucket, key, type) =>
    remember(configs, configKey(bucket, key, type), () => original.getSubresource(bucket, key, type));
  store.putSubresource = (bucket, key, resource) =>
    forgetAfter(original.putSubresource(bucket, key, resource), () =>
      configs.delete(configKey(bucket, key, resource.type)),
    );
  store.deleteSubresource = (bucket, key, type) =>
    forgetAfter(original.deleteSubresource(bucket, key, type), () =>
      configs.delete(configKey(bucket, key, type)),
    );
  store.reset = () => {
    buckets.clear();
    configs.clear();
    original.reset();
  };
}
interface S3rverRecord {
  eventName: string;
  requestParameters?: { sourceIPAddress?: string };
  responseElements?: { 'x-amz-request-id'?: string };
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
}

const loadS3rver = (): new (options: Record<string, unknown>) => S3rverInstance =>
  createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

function corsXml(origins: readonly string[]): string {
  return (
    '<CORSConfiguration><CORSRule>' +
    origins.map((o) => `<AllowedOrigin>${escapeXml(o)}</AllowedOrigin>`).join('') +
    ['GET', 'PUT', 'POST', 'HEAD'].map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('') +
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>' +
    '</CORSRule></CORSConfiguration>'
  );
}

function sendS3Error(res: ServerResponse, failure: S3Failure, allowOrigin: string | undefined): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const extra = Object.entries(failure.extra)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${failure.code}</Code><Message>${escapeXml(failure.message)}</Message>${extra}` +
    `<RequestId>${requestId}</RequestId><HostId>${randomBytes(16).toString('base64')}</HostId></Error>`;
  res.statusCode = failure.status;
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('x-amz-request-id', requestId);
  if (allowOrigin) {
    res.setHeader('access-control-allow-origin', allowOrigin);
    res.setHeader('vary', 'Origin');
  }
  res.end(body);
}

// ---------------------------------------------------------------------------------------------
// Browser POST uploads (presigned POST): S3 checks the policy; s3rver ignores it entirely.

interface FormPart {
  readonly name: string;
  readonly filename?: string;
  readonly contentType?: string;
  readonly data: Buffer;
}

function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Splits a buffered multipart/form-data body into its parts, in order. */
export function parseMultipartForm(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at === -1)
    throw new S3Failure(
      400,
      'MalformedPOSTRequest',
      'The body of your POST request is not well-formed multipart/form-data.',
    );
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    if (body.subarray(at, at + 2).toString() !== '\r\n') break;
    at += 2;
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd === -1) break;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next === -1) break;
    const headers = body.subarray(at, headerEnd).toString('utf8').split('\r\n');
    const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const contentType = headers.find((h) => /^content-type:/i.test(h))?.replace(/^content-type:\s*/i, '');
    if (name === undefined) break;
    parts.push({
      name,
      ...(filename !== undefined ? { filename } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
      data: body.subarray(headerEnd + 4, next),
    });
    at = next + 2;
  }
  throw new S3Failure(
    400,
    'MalformedPOSTRequest',
    'The body of your POST request is not well-formed multipart/form-data.',
  );
}

const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const policyFailure = (message: string): S3Failure =>
  new S3Failure(403, 'AccessDenied', `Invalid according to Policy: ${message}`);

/**
 * Checks a POST upload the way S3 does: signature (V4, or V2), expiry, every condition
 * (exact/eq, starts-with, content-length-range, bucket) and that no form field goes unchecked.
 * Throws S3Failure with S3's error code.
 */
export function verifyPostPolicy(input: {
  readonly fields: ReadonlyMap<string, string>;
  readonly fileSize: number;
  readonly bucket: string;
  readonly now: Date;
  readonly secrets: Readonly<Record<string, string>>;
}): void {
  const { fields, bucket, fileSize } = input;
  const policyText = fields.get('policy');
  if (policyText === undefined) {
    throw new S3Failure(
      403,
      'AccessDenied',
      'Anonymous access is forbidden for this operation: the form has no policy.',
    );
  }
  const v4 = fields.get('x-amz-signature');
  if (v4 !== undefined) {
    if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
      throw new S3Failure(400, 'InvalidArgument', 'x-amz-algorithm must be AWS4-HMAC-SHA256');
    }
    const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = (
      fields.get('x-amz-credential') ?? ''
    ).split('/');
    if (!date || !region || service !== 's3' || terminator !== 'aws4_request') {
      throw new S3Failure(400, 'InvalidArgument', 'x-amz-credential is malformed');
    }
    const secret = input.secrets[accessKeyId];
    if (secret === undefined)
      throw new S3Failure(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (
      !sameText(createHmac('sha256', signingKey).update(policyText, 'utf8').digest('hex'), v4.toLowerCase())
    ) {
      throw new S3Failure(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
  } else {
    const accessKeyId = fields.get('awsaccesskeyid');
    const signature = fields.get('signature');
    if (accessKeyId === undefined || signature === undefined) {
      throw new S3Failure(403, 'AccessDenied', 'The form has a policy but no signature.');
    }
    const secret = input.secrets[accessKeyId];
    if (secret === undefined)
      throw new S3Failure(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
    if (!sameText(createHmac('sha1', secret).update(policyText, 'utf8').digest('base64'), signature)) {
      throw new S3Failure(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
  }

  let policy: unknown;
  try {
    policy = JSON.parse(Buffer.from(policyText, 'base64').toString('utf8'));
  } catch {
    throw new S3Failure(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  if (typeof policy !== 'object' || policy === null)
    throw new S3Failure(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  const { expiration, conditions } = policy as { expiration?: unknown; conditions?: unknown };
  const expires = typeof expiration === 'string' ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expires))
    throw new S3Failure(400, 'InvalidPolicyDocument', "Invalid Policy: Invalid 'expiration' value.");
  if (input.now.getTime() > expires) throw policyFailure('Policy expired.');
  if (!Array.isArray(conditions))
    throw new S3Failure(400, 'InvalidPolicyDocument', "Invalid Policy: Invalid 'conditions' value.");

  const valueOf = (field: string): string | undefined => (field === 'bucket' ? bucket : fields.get(field));
  const covered = new Set<string>();
  for (const condition of conditions) {
    if (Array.isArray(condition)) {
      const [op, target, expected] = condition as unknown[];
      if (op === 'content-length-range') {
        const [, min, max] = condition as unknown[];
        if (typeof min !== 'number' || typeof max !== 'number') {
          throw new S3Failure(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid content-length-range.');
        }
        if (fileSize > max) {
          throw new S3Failure(
            400,
            'EntityTooLarge',
            'Your proposed upload exceeds the maximum allowed size',
            {
              ProposedSize: fileSize,
              MaxSizeAllowed: max,
            },
          );
        }
        if (fileSize < min) {
          throw new S3Failure(
            400,
            'EntityTooSmall',
            'Your proposed upload is smaller than the minimum allowed size',
            {
              ProposedSize: fileSize,
              MinSizeAllowed: min,
            },
          );
        }
        continue;
      }
      if (
        (op !== 'eq' && op !== 'starts-with') ||
        typeof target !== 'string' ||
        !target.startsWith('$') ||
        typeof expected !== 'string'
      ) {
        throw new S3Failure(
          400,
          'InvalidPolicyDocument',
          `Invalid Policy: Invalid condition ${JSON.stringify(condition)}.`,
        );
      }
      const field = target.slice(1).toLowerCase();
      covered.add(field);
      const actual = valueOf(field) ?? '';
      // A Content-Type may list several types; S3 checks starts-with against each.
      const values =
        op === 'starts-with' && field === 'content-type' ? actual.split(',').map((v) => v.trim()) : [actual];
      const ok = op === 'eq' ? actual === expected : values.every((v) => v.startsWith(expected));
      if (!ok) throw policyFailure(`Policy Condition failed: ${JSON.stringify(condition)}`);
      continue;
    }
    if (typeof condition === 'object' && condition !== null) {
      for (const [name, expected] of Object.entries(condition as Record<string, unknown>)) {
        const field = name.toLowerCase();
        covered.add(field);
        if (valueOf(field) !== expected)
          throw policyFailure(`Policy Condition failed: ["eq", "$${name}", ${JSON.stringify(expected)}]`);
      }
      continue;
    }
    throw new S3Failure(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid condition.');
  }
  const exempt = new Set(['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file']);
  const extra = [...fields.keys()].filter(
    (f) => !exempt.has(f) && !f.startsWith('x-ignore-') && !covered.has(f),
  );
  if (extra.length > 0) throw policyFailure(`Extra input fields: ${extra.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// aws-chunked bodies: SDK v3 uploads streams with chunk framing and a checksum trailer, which
// s3rver would store verbatim.

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
class Sha256Check extends Transform {
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

const contentSha256Mismatch = (): S3Failure =>
  new S3Failure(
    400,
    'XAmzContentSHA256Mismatch',
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
  );

/** A request object s3rver (Koa) can read like the original, with a replacement body. */
function substituteRequest(
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

// ---------------------------------------------------------------------------------------------

type Reason = S3ObjectCreatedNotificationEventDetail['reason'];

const eventTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function startS3Local(options: S3LocalOptions): Promise<S3Local> {
  const host = options.host ?? '127.0.0.1';
  const { bucket } = options;
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const account = options.accountId ?? '000000000000';
  const matchKey = options.matchKey ?? isManifestKey;
  const corsOrigins = options.corsOrigins ?? defaultCorsOrigins;
  const maxPostBytes = options.maxPostBytes ?? 64 * 1024 * 1024;
  const log = options.onLog ?? ((): void => undefined);
  const directory = resolve(options.dataDir, 's3');
  const stagingDirectory = resolve(options.dataDir, 's3-staging');
  await mkdir(directory, { recursive: true });
  // Whatever is staged here belongs to uploads that never finished (a crash, a kill -9).
  await rm(stagingDirectory, { recursive: true, force: true });
  await mkdir(stagingDirectory, { recursive: true });

  const S3rver = loadS3rver();
  const app = new S3rver({
    directory,
    silent: true,
    configureBuckets: [{ name: bucket, configs: [corsXml(corsOrigins)] }],
  });
  // Koa would print every error to stderr; s3rver already turns them into S3 error responses.
  // Only server errors are worth a line, and without the message, which may name the object.
  app.on('error', (error: Error & { status?: number }) => {
    if ((error.status ?? 500) >= 500) log(`s3: request failed in s3rver (${errorName(error)})`);
  });
  // s3rver's request logger (koa-logger) formats a line for every request even when silent, for
  // a transport that drops it.
  app.middleware = app.middleware.filter((middleware) => middleware.name !== 'logger');
  cacheBucketConfig(app.store);
  const hardened = hardenStore(app.store, {
    stagingDirectory,
    onUnreadable: (problem) => log(`s3: skipped an object whose files cannot be read (${problem})`),
  });
  await app.configureBuckets();
  const scan = await hardened.scan(bucket);
  if (scan.skipped > 0) {
    const problems = [...scan.problems].map(([problem, count]) => `${count} × ${problem}`).join(', ');
    const first = scan.first && scan.first.length > 80 ? `${scan.first.slice(0, 80)}…` : scan.first;
    log(
      `s3: skipped ${scan.skipped} unreadable ${scan.skipped === 1 ? 'entry' : 'entries'} in ${join(directory, bucket)}: ` +
        `${problems} (first: ${JSON.stringify(first)}); listings and reads treat them as absent`,
    );
  }
  const s3rverHandle = app.callback();
  // Koa answers a request whose middleware fails with an error response; a synchronous throw
  // here would escape to the server, so it is answered as one as well.
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      s3rverHandle(req, res);
    } catch (error) {
      log(`s3: request failed in s3rver (${errorName(error)})`);
      if (!res.headersSent)
        sendS3Error(
          res,
          new S3Failure(500, 'InternalError', 'We encountered an internal error. Please try again.'),
          undefined,
        );
      else res.destroy();
    }
  };
  const verifier = new SigV4Verifier({
    service: 's3',
    credentials: s3LocalCredentials,
    uriEscapePath: false,
  });

  const allowOrigin = (origin: string | undefined): string | undefined =>
    origin && (corsOrigins.includes('*') || corsOrigins.includes(origin)) ? origin : undefined;

  // Keys whose CompleteMultipartUpload is in flight: s3rver reports those as plain POSTs.
  const completing = new Map<string, number>();
  let sequence = 0;
  const pending = new Set<Promise<void>>();

  const reasonOf = (record: S3rverRecord): Reason => {
    if (record.eventName === 'ObjectCreated:Put') return 'PutObject';
    if (record.eventName === 'ObjectCreated:Copy') return 'CopyObject';
    return completing.has(`${record.s3.bucket.name}/${record.s3.object.key}`)
      ? 'CompleteMultipartUpload'
      : 'POST Object';
  };

  const deliver = async (record: S3rverRecord, reason: Reason): Promise<void> => {
    const { key } = record.s3.object;
    const objectBucket = record.s3.bucket.name;
    let etag = record.s3.object.eTag;
    let size = record.s3.object.size;
    if (etag === undefined || size === undefined) {
      const metadata = await app.store.getMetadata(objectBucket, key);
      etag ??= String(metadata.etag ?? '').replace(/"/g, '');
      size ??= Number(metadata['content-length'] ?? 0);
    }
    sequence = (sequence + 1) % 0x10000;
    const event: S3ObjectCreatedEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account,
      time: eventTime(new Date()),
      region,
      resources: [`arn:aws:s3:::${objectBucket}`],
      detail: {
        version: '0',
        bucket: { name: objectBucket },
        object: {
          key,
          size,
          etag,
          sequencer: (Date.now().toString(16) + sequence.toString(16).padStart(4, '0'))
            .toUpperCase()
            .padStart(18, '0'),
        },
        'request-id':
          record.responseElements?.['x-amz-request-id'] ?? randomBytes(8).toString('hex').toUpperCase(),
        requester: account,
        'source-ip-address': (record.requestParameters?.sourceIPAddress ?? '127.0.0.1').replace(
          /^::ffff:/,
          '',
        ),
        reason,
      },
    };
    await options.onObjectCreated?.(event);
  };

  app.on('event', (notification: { Records?: S3rverRecord[] }) => {
    for (const record of notification.Records ?? []) {
      if (!record.eventName.startsWith('ObjectCreated:') || !matchKey(record.s3.object.key)) continue;
      const reason = reasonOf(record);
      // EventBridge delivers after the upload has been answered, never inside it.
      const delivery = new Promise<void>((ready) => setImmediate(ready))
        .then(() => deliver(record, reason))
        .catch((error: unknown) =>
          log(`s3: onObjectCreated failed for ${record.s3.object.key}: ${String(error)}`),
        );
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
    }
  });

  /** Bucket and key as s3rver's router will see them (path-style: /<bucket>/<key>). */
  const parseTarget = (rawPath: string): { bucket?: string; key?: string } => {
    if (!rawPath.startsWith('/')) throw new S3Failure(400, 'InvalidURI', "Couldn't parse the specified URI.");
    const rest = rawPath.slice(1);
    if (rest === '') return {};
    const slash = rest.indexOf('/');
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        throw new S3Failure(400, 'InvalidURI', "Couldn't parse the specified URI.");
      }
    };
    const target = decode(slash === -1 ? rest : rest.slice(0, slash));
    const key = slash === -1 ? '' : decode(rest.slice(slash + 1));
    return key === '' ? { bucket: target } : { bucket: target, key };
  };

  const checkKey = (key: string): void => {
    const problem = keyProblem(key);
    if (problem) throw problem;
  };

  // Writes to one key wait for each other, from the existence check to the end of the response,
  // so that two concurrent uploads cannot both find the key free.
  const writeLocks = new Map<string, Promise<void>>();
  const refusal = (message: string) =>
    new S3Failure(403, 'AccessDenied', message === '' ? 'Access Denied' : message);

  /** Takes the key's write lock (until `res` closes) and asks refuseOverwrite if it is taken. */
  const guardWrite = async (writeBucket: string, key: string, res: ServerResponse): Promise<void> => {
    if (!options.refuseOverwrite || writeBucket !== bucket) return;
    const previous = writeLocks.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((done) => (release = done));
    const tail = previous.then(() => mine);
    writeLocks.set(key, tail);
    res.once('close', () => {
      release();
      if (writeLocks.get(key) === tail) writeLocks.delete(key);
    });
    await previous;
    if (!(await app.store.existsObject(writeBucket, key))) return;
    let refused: string | undefined;
    try {
      refused = await options.refuseOverwrite(key);
    } catch (error) {
      log(`s3: refuseOverwrite failed (${errorName(error)}); the write was refused`);
      throw new S3Failure(500, 'InternalError', 'We encountered an internal error. Please try again.');
    }
    if (typeof refused !== 'string') return;
    if (options.onWriteRefused) {
      const notify = options.onWriteRefused;
      const told = new Promise<void>((ready) => setImmediate(ready))
        .then(() => notify(key))
        .catch((error: unknown) => log(`s3: onWriteRefused failed (${errorName(error)})`));
      pending.add(told);
      void told.finally(() => pending.delete(told));
    }
    throw refusal(refused);
  };

  const handlePost = async (
    req: IncomingMessage,
    res: ServerResponse,
    postBucket: string,
    boundary: string,
  ): Promise<void> => {
    const declared = Number(req.headers['content-length']);
    const tooLarge = new S3Failure(
      400,
      'EntityTooLarge',
      'Your proposed upload exceeds the maximum allowed size',
      {
        MaxSizeAllowed: maxPostBytes,
      },
    );
    if (Number.isFinite(declared) && declared > maxPostBytes) {
      res.setHeader('connection', 'close');
      throw tooLarge;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxPostBytes) {
        res.setHeader('connection', 'close');
        throw tooLarge;
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    const parts = parseMultipartForm(body, boundary);
    const fileIndex = parts.findIndex((p) => p.name.toLowerCase() === 'file');
    const file = parts[fileIndex];
    if (!file)
      throw new S3Failure(400, 'InvalidArgument', 'POST requires exactly one file upload per request.', {
        ArgumentName: 'file',
      });
    const fields = new Map<string, string>();
    // S3 ignores fields after the file; names are case-insensitive.
    for (const part of parts.slice(0, fileIndex))
      fields.set(part.name.toLowerCase(), part.data.toString('utf8'));
    verifyPostPolicy({
      fields,
      fileSize: file.data.length,
      bucket: postBucket,
      now: new Date(),
      secrets: { [s3LocalCredentials.accessKeyId]: s3LocalCredentials.secretAccessKey },
    });
    if (!isValidBucketName(postBucket)) throw invalidBucket();
    const key = fields.get('key');
    if (key === undefined)
      throw new S3Failure(400, 'InvalidArgument', "Bucket POST must contain a field named 'key'.", {
        ArgumentName: 'key',
      });
    checkKey(key);
    await guardWrite(postBucket, key, res);
    const replay = new PassThrough();
    handle(substituteRequest(req, { ...req.headers, 'content-length': String(body.length) }, replay), res);
    replay.end(body);
  };

  /** Hands the request to s3rver with its body checked against what was signed. */
  const forward = (req: IncomingMessage, res: ServerResponse, verified: SigV4Verified): void => {
    const hash = verified.payloadHash;
    const chunked = isAwsChunked(req.headers);
    const hasBody =
      chunked ||
      req.headers['transfer-encoding'] !== undefined ||
      Number(req.headers['content-length'] ?? 0) > 0;
    let signing: ConstructorParameters<typeof AwsChunkedDecoder>[1];
    if (hash.startsWith('STREAMING-')) {
      if (
        hash !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' &&
        hash !== 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' &&
        hash !== 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
      ) {
        throw new S3Failure(400, 'InvalidArgument', `x-amz-content-sha256 ${hash} is not supported here.`);
      }
      if (hash.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')) {
        signing = { verified, trailer: hash.endsWith('-TRAILER') };
      }
    } else if (hash !== unsignedPayload && !/^[0-9a-f]{64}$/.test(hash)) {
      throw new S3Failure(
        400,
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or the SHA-256 of the payload.',
      );
    }
    const checkHash = hash !== unsignedPayload && !hash.startsWith('STREAMING-');
    if (!hasBody) {
      if (checkHash && hash !== emptySha256) throw contentSha256Mismatch();
      handle(req, res);
      return;
    }
    if (!checkHash && !chunked) {
      handle(req, res);
      return;
    }
    const headers: IncomingHttpHeaders = { ...req.headers };
    const stages: (Transform | PassThrough)[] = [];
    if (checkHash) stages.push(new Sha256Check(hash));
    if (chunked) {
      const decodedLength = req.headers['x-amz-decoded-content-length'];
      const encodings = String(headers['content-encoding'] ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '' && e !== 'aws-chunked');
      if (encodings.length > 0) headers['content-encoding'] = encodings.join(',');
      else delete headers['content-encoding'];
      delete headers['transfer-encoding'];
      delete headers['x-amz-decoded-content-length'];
      headers['x-amz-content-sha256'] = unsignedPayload;
      if (typeof decodedLength !== 'string' || !/^\d+$/.test(decodedLength)) {
        throw new S3Failure(
          411,
          'MissingContentLength',
          'You must provide the x-amz-decoded-content-length header.',
        );
      }
      headers['content-length'] = decodedLength;
      stages.push(new AwsChunkedDecoder(Number(decodedLength), signing));
    }
    const body = new PassThrough();
    // pipeline passes a stage's error (a bad chunk signature, a hash mismatch, a dropped
    // connection) on to `body`, which s3rver reads: the upload fails, the stored object stays.
    pipeline([req, ...stages, body], (error) => {
      if (error) log(`s3: upload body rejected (${errorName(error)})`);
    });
    handle(substituteRequest(req, headers, body), res);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const at = url.indexOf('?');
    const rawPath = at === -1 ? url : url.slice(0, at);
    const rawQuery = at === -1 ? '' : url.slice(at + 1);
    const method = req.method ?? 'GET';
    // CORS preflight: answered by the bucket's CORS rule (s3rver), as S3 does, without credentials.
    if (method === 'OPTIONS') {
      handle(req, res);
      return;
    }
    const target = parseTarget(rawPath);
    const boundary = multipartBoundary(req.headers['content-type']);
    if (
      method === 'POST' &&
      boundary &&
      rawQuery === '' &&
      target.bucket !== undefined &&
      target.key === undefined
    ) {
      await handlePost(req, res, target.bucket, boundary);
      return;
    }
    // The bucket is private, as on AWS: s3rver alone would serve anonymous requests, and take any
    // SigV4 signature for a good one.
    const verified = await verifier.verify({ method, rawPath, rawQuery, headers: req.headers });
    if (target.bucket !== undefined && !isValidBucketName(target.bucket)) throw invalidBucket();
    if (target.key !== undefined) checkKey(target.key);
    const query = parseQuery(rawQuery);
    const param = (name: string): string | undefined => {
      const value = query[name];
      return (Array.isArray(value) ? value[0] : value) ?? undefined;
    };
    const uploadId = param('uploadId');
    if (uploadId !== undefined && !/^[0-9a-f]{32}$/.test(uploadId)) {
      throw new S3Failure(404, 'NoSuchUpload', 'The specified upload does not exist.');
    }
    const partNumber = param('partNumber');
    if (
      partNumber !== undefined &&
      !(/^\d{1,5}$/.test(partNumber) && +partNumber >= 1 && +partNumber <= 10_000)
    ) {
      throw new S3Failure(
        400,
        'InvalidArgument',
        'Part number must be an integer between 1 and 10000, inclusive',
        {
          ArgumentName: 'partNumber',
        },
      );
    }
    // s3rver lets x-amz-* query parameters stand in for headers, as presigned URLs need.
    const copyParam = Object.keys(query).find((name) => name.toLowerCase() === 'x-amz-copy-source');
    const copySource = copyParam !== undefined ? param(copyParam) : req.headers['x-amz-copy-source'];
    if (copySource !== undefined && method === 'PUT') {
      let source: string;
      try {
        source = decodeURI(String(copySource));
      } catch {
        throw new S3Failure(400, 'InvalidArgument', 'x-amz-copy-source is not properly encoded.', {
          ArgumentName: 'x-amz-copy-source',
        });
      }
      const [sourceBucket = '', ...sourceKey] = (source.startsWith('/') ? source.slice(1) : source).split(
        '/',
      );
      if (!isValidBucketName(sourceBucket)) throw invalidBucket();
      checkKey(sourceKey.join('/'));
    }

    const writeBucket = target.bucket ?? '';
    if (method === 'PUT' && target.key !== undefined && uploadId === undefined && partNumber === undefined) {
      if (!['tagging', 'acl'].some((name) => name in query)) await guardWrite(writeBucket, target.key, res);
    } else if (method === 'POST' && target.key !== undefined && uploadId !== undefined) {
      // CompleteMultipartUpload writes the key the upload was started for.
      let started: string;
      try {
        started = await readFile(
          join(app.store.getResourcePath(writeBucket, undefined, 'uploads'), uploadId, 'key'),
          'utf8',
        );
      } catch {
        throw new S3Failure(404, 'NoSuchUpload', 'The specified upload does not exist.');
      }
      if (started !== target.key)
        throw new S3Failure(404, 'NoSuchUpload', 'The specified upload does not exist.');
      const id = `${writeBucket}/${target.key}`;
      completing.set(id, (completing.get(id) ?? 0) + 1);
      res.once('close', () => {
        const left = (completing.get(id) ?? 1) - 1;
        if (left > 0) completing.set(id, left);
        else completing.delete(id);
      });
      await guardWrite(writeBucket, target.key, res);
    }
    forward(req, res, verified);
  };

  const fromSigV4 = (failure: SigV4Failure, presigned: boolean): S3Failure => {
    switch (failure.kind) {
      case 'missing':
        return new S3Failure(403, 'AccessDenied', 'Access Denied');
      case 'unsupported':
        return new S3Failure(400, 'InvalidRequest', failure.message);
      case 'malformed':
        return new S3Failure(
          400,
          presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed',
          failure.message,
        );
      case 'unknown-key':
        return new S3Failure(403, 'InvalidAccessKeyId', failure.message, failure.detail);
      case 'mismatch':
        return new S3Failure(403, 'SignatureDoesNotMatch', failure.message, failure.detail);
      case 'expired':
      case 'not-yet-valid':
      case 'unsigned-header':
        return new S3Failure(403, 'AccessDenied', failure.message, failure.detail);
      case 'skewed':
        return new S3Failure(
          403,
          'RequestTimeTooSkewed',
          'The difference between the request time and the current time is too large.',
          failure.detail,
        );
    }
  };

  const server = createServer((req, res) => {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    route(req, res).catch((error: unknown) => {
      const failure =
        error instanceof S3Failure
          ? error
          : error instanceof SigV4Failure
            ? fromSigV4(error, /[?&]X-Amz-/i.test(req.url ?? ''))
            : new S3Failure(500, 'InternalError', 'We encountered an internal error. Please try again.');
      // No message: it may name the object (file paths, keys).
      if (failure.status >= 500) log(`s3: ${req.method ?? 'request'} failed (${errorName(error)})`);
      if (res.headersSent) res.destroy();
      else sendS3Error(res, failure, allowOrigin(origin));
    });
  });

  const port = await listen(server, options.port, host);
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    bucket,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
        await Promise.allSettled([...pending]);
        app.logger?.close();
      })();
      return stopping;
    },
  };
}

const invalidBucket = (): S3Failure =>
  new S3Failure(400, 'InvalidBucketName', 'The specified bucket is not valid.');

/** An error's code or class, never its message (which may carry a key or a file path). */
function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return typeof error;
}

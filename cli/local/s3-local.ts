// The receipts bucket on s3rver, persisted under <dataDir>/s3, plus what s3rver leaves out and the
// product relies on: S3's POST policy checks for presigned uploads, aws-chunked request bodies
// (AWS SDK v3 sends streams that way) and EventBridge "Object Created" events.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import type { EventBridgeEvent, S3ObjectCreatedNotificationEventDetail } from 'aws-lambda';
import { listen } from '#cli/local/net.ts';

type ObjectCreatedDetail = Omit<S3ObjectCreatedNotificationEventDetail, 'object'> & {
  object: Omit<S3ObjectCreatedNotificationEventDetail['object'], 'version-id'> & { 'version-id'?: string };
};
/** What EventBridge delivers for an S3 "Object Created" event (no version-id: the bucket is unversioned). */
export type S3ObjectCreatedEvent = EventBridgeEvent<'Object Created', ObjectCreatedDetail>;

export interface S3LocalOptions {
  readonly port: number;
  /** Objects live in <dataDir>/s3/<bucket>. */
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
  readonly onLog?: (line: string) => void;
}

export interface S3Local {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_S3 (clients need forcePathStyle). */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /** Stops serving and waits for running onObjectCreated calls; safe to call twice. */
  stop(): Promise<void>;
}

/** s3rver's built-in account; any region works. */
export const s3LocalCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const manifestKeyPattern = /^claims\/[^/]+\/manifest\.json$/;
/** The key filter of the EventBridge rule that starts assess-claim. */
export const isManifestKey = (key: string): boolean => manifestKeyPattern.test(key);

export const defaultCorsOrigins: readonly string[] = ['http://127.0.0.1:8787', 'http://localhost:8787'];

interface S3rverStore {
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  getBucket(bucket: string): Promise<unknown>;
  putBucket(bucket: string): Promise<unknown>;
  deleteBucket(bucket: string): Promise<unknown>;
  getSubresource(bucket: string, key: string | undefined, type: string): Promise<unknown>;
  putSubresource(bucket: string, key: string | undefined, resource: { type: string }): Promise<unknown>;
  deleteSubresource(bucket: string, key: string | undefined, type: string): Promise<unknown>;
  reset(): void;
}
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

class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
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

  constructor(private readonly expectedLength?: number) {
    super();
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
    if (this.state !== 'trailers') callback(new Error('aws-chunked body ended before its final chunk'));
    else if (this.expectedLength !== undefined && this.decoded !== this.expectedLength) {
      callback(
        new Error(
          `aws-chunked body has ${this.decoded} bytes, x-amz-decoded-content-length says ${this.expectedLength}`,
        ),
      );
    } else callback();
  }

  private drain(): void {
    for (;;) {
      switch (this.state) {
        case 'size': {
          const lineEnd = this.buffer.indexOf('\r\n');
          if (lineEnd === -1) {
            if (this.buffer.length > 4096) throw new Error('aws-chunked size line is too long');
            return;
          }
          const sizeText = this.buffer.subarray(0, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '';
          if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw new Error('aws-chunked size line is malformed');
          this.buffer = this.buffer.subarray(lineEnd + 2);
          this.remaining = parseInt(sizeText, 16);
          // The zero-size chunk ends the data; checksum trailers follow and are dropped.
          this.state = this.remaining === 0 ? 'trailers' : 'data';
          break;
        }
        case 'data': {
          if (this.buffer.length === 0) return;
          const take = Math.min(this.remaining, this.buffer.length);
          this.push(this.buffer.subarray(0, take));
          this.decoded += take;
          this.buffer = this.buffer.subarray(take);
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'crlf';
          break;
        }
        case 'crlf':
          if (this.buffer.length < 2) return;
          if (this.buffer[0] !== 0x0d || this.buffer[1] !== 0x0a)
            throw new Error('aws-chunked chunk is not followed by CRLF');
          this.buffer = this.buffer.subarray(2);
          this.state = 'size';
          break;
        case 'trailers':
          this.buffer = Buffer.alloc(0);
          return;
      }
    }
  }
}

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
  await mkdir(directory, { recursive: true });

  const S3rver = loadS3rver();
  const app = new S3rver({
    directory,
    silent: true,
    configureBuckets: [{ name: bucket, configs: [corsXml(corsOrigins)] }],
  });
  // Koa would print every error to stderr; s3rver already turns them into S3 error responses.
  app.on('error', (error: Error) => log(`s3: ${error.message}`));
  // s3rver's request logger (koa-logger) formats a line for every request even when silent, for
  // a transport that drops it.
  app.middleware = app.middleware.filter((middleware) => middleware.name !== 'logger');
  cacheBucketConfig(app.store);
  await app.configureBuckets();
  const handle = app.callback();

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

  const bucketOfPost = (req: IncomingMessage, pathname: string): string | undefined => {
    const path = /^\/([^/?]+)\/?$/.exec(pathname);
    if (path) return decodeURIComponent(path[1] ?? '');
    const hostName = String(req.headers.host ?? '').replace(/:\d+$/, '');
    return pathname === '/' && hostName.startsWith(`${bucket}.`) ? bucket : undefined;
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
    const replay = new PassThrough();
    handle(substituteRequest(req, { ...req.headers, 'content-length': String(body.length) }, replay), res);
    replay.end(body);
  };

  const server = createServer((req, res) => {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const url = new URL(req.url ?? '/', 'http://local');
    void (async () => {
      try {
        const boundary = multipartBoundary(req.headers['content-type']);
        const postBucket =
          req.method === 'POST' && boundary && url.search === ''
            ? bucketOfPost(req, url.pathname)
            : undefined;
        if (postBucket !== undefined && boundary) {
          await handlePost(req, res, postBucket, boundary);
          return;
        }
        // The bucket is private, as on AWS: s3rver would serve anonymous requests. (It checks
        // that a signed request names a known key, but does not verify SigV4 signatures.)
        const signed =
          req.headers.authorization !== undefined ||
          url.searchParams.has('X-Amz-Signature') ||
          url.searchParams.has('Signature');
        if (!signed && req.method !== 'OPTIONS') throw new S3Failure(403, 'AccessDenied', 'Access Denied');
        if (req.method === 'POST' && url.searchParams.has('uploadId')) {
          const key = `${decodeURIComponent(url.pathname.slice(1))}`;
          completing.set(key, (completing.get(key) ?? 0) + 1);
          res.once('close', () => {
            const left = (completing.get(key) ?? 1) - 1;
            if (left > 0) completing.set(key, left);
            else completing.delete(key);
          });
        }
        if (isAwsChunked(req.headers)) {
          const decodedLength = req.headers['x-amz-decoded-content-length'];
          const headers: IncomingHttpHeaders = { ...req.headers };
          const encodings = String(headers['content-encoding'] ?? '')
            .split(',')
            .map((e) => e.trim())
            .filter((e) => e !== '' && e !== 'aws-chunked');
          if (encodings.length > 0) headers['content-encoding'] = encodings.join(',');
          else delete headers['content-encoding'];
          delete headers['transfer-encoding'];
          delete headers['x-amz-decoded-content-length'];
          headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
          if (typeof decodedLength !== 'string' || !/^\d+$/.test(decodedLength)) {
            throw new S3Failure(
              411,
              'MissingContentLength',
              'You must provide the x-amz-decoded-content-length header.',
            );
          }
          headers['content-length'] = decodedLength;
          const decoder = new AwsChunkedDecoder(Number(decodedLength));
          const body = new PassThrough();
          req.pipe(decoder).pipe(body);
          decoder.on('error', (error) => {
            log(`s3: ${error.message}`);
            body.destroy(error);
          });
          handle(substituteRequest(req, headers, body), res);
          return;
        }
        handle(req, res);
      } catch (error) {
        const failure =
          error instanceof S3Failure
            ? error
            : new S3Failure(500, 'InternalError', error instanceof Error ? error.message : String(error));
        if (failure.status >= 500) log(`s3: ${failure.message}`);
        if (res.headersSent) res.destroy();
        else sendS3Error(res, failure, allowOrigin(origin));
      }
    })();
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

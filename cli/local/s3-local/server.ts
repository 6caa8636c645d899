// The emulator's HTTP front: every request is routed, authenticated and checked here before
// s3rver (s3rver-app.ts) stores or serves it. POST policy checks are in post-policy.ts, body
// checks in payload.ts, EventBridge events in events.ts.
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
// Left out: virtual-hosted-style addressing (clients need forcePathStyle), IAM and bucket
// policies beyond "private, one key", versioning, SigV4a, and the S3 features s3rver lacks.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { PassThrough, pipeline, type Transform } from 'node:stream';
import { listen } from '#cli/local/net.ts';
import { hardenStore, isValidBucketName, keyProblem, S3Failure } from '#cli/local/s3-store.ts';
import {
  emptySha256,
  parseQuery,
  SigV4Failure,
  SigV4Verifier,
  unsignedPayload,
  type SigV4Verified,
} from '#cli/local/sigv4.ts';
import { deliverObjectCreatedEvents } from '#cli/local/s3-local/events.ts';
import {
  defaultCorsOrigins,
  isManifestKey,
  s3LocalCredentials,
  type S3Local,
  type S3LocalOptions,
} from '#cli/local/s3-local/model.ts';
import {
  AwsChunkedDecoder,
  contentSha256Mismatch,
  isAwsChunked,
  Sha256Check,
  substituteRequest,
} from '#cli/local/s3-local/payload.ts';
import {
  BoundaryScanner,
  locateFormParts,
  multipartBoundary,
  verifyPostPolicy,
} from '#cli/local/s3-local/post-policy.ts';
import { errorName, invalidBucket, sendS3Error } from '#cli/local/s3-local/responses.ts';
import { cacheBucketConfig, corsXml, loadS3rver } from '#cli/local/s3-local/s3rver-app.ts';

export async function startS3Local(options: S3LocalOptions): Promise<S3Local> {
  const host = options.host ?? '127.0.0.1';
  const { bucket } = options;
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const account = options.accountId ?? '000000000000';
  const matchKey = options.matchKey ?? isManifestKey;
  const corsOrigins = options.corsOrigins ?? defaultCorsOrigins;
  // Room for the largest bulk file a job accepts (200 MB) and the form's fields.
  const maxPostBytes = options.maxPostBytes ?? 256 * 1024 * 1024;
  const maxPostPreDataBytes = 20 * 1024;
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
  // onObjectCreated and onWriteRefused calls still running; stop() waits for them.
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  deliverObjectCreatedEvents(app, {
    account,
    region,
    matchKey,
    onObjectCreated: options.onObjectCreated,
    completing,
    track,
    log,
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
      track(told);
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
    // The form goes to a file as it arrives; only the delimiters' offsets are kept in memory.
    const spool = join(stagingDirectory, `post-${randomBytes(12).toString('hex')}`);
    let handed = false;
    let file: FileHandle | undefined;
    try {
      const scanner = new BoundaryScanner(boundary);
      const out = createWriteStream(spool);
      // Reported below through `out.errored`; unheard, a full disk would end the whole process.
      out.on('error', () => undefined);
      let size = 0;
      try {
        for await (const chunk of req as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxPostBytes) {
            res.setHeader('connection', 'close');
            throw tooLarge;
          }
          scanner.feed(chunk);
          if (!out.write(chunk)) await once(out, 'drain');
        }
      } finally {
        out.end();
        await finished(out).catch(() => undefined);
      }
      if (out.errored) {
        log(`s3: could not stage a POST upload (${errorName(out.errored)})`);
        throw new S3Failure(500, 'InternalError', 'We encountered an internal error. Please try again.');
      }
      const opened = await open(spool, 'r');
      file = opened;
      const read = async (start: number, length: number): Promise<Buffer> => {
        const bytes = Buffer.alloc(length);
        const { bytesRead } = await opened.read(bytes, 0, length, start);
        return bytes.subarray(0, bytesRead);
      };
      const parts = await locateFormParts(scanner.found, size, boundary, read);
      const fileIndex = parts.findIndex((p) => p.name.toLowerCase() === 'file');
      const upload = parts[fileIndex];
      if (!upload)
        throw new S3Failure(400, 'InvalidArgument', 'POST requires exactly one file upload per request.', {
          ArgumentName: 'file',
        });
      // S3's own limit on what precedes the file (the policy, its signature and the fields).
      if (upload.start > maxPostPreDataBytes)
        throw new S3Failure(
          400,
          'MaxPostPreDataLengthExceeded',
          'Your POST request fields preceeding the upload file was too large.',
          { MaxPostPreDataLengthBytes: maxPostPreDataBytes },
        );
      const fields = new Map<string, string>();
      // S3 ignores fields after the file; names are case-insensitive.
      for (const part of parts.slice(0, fileIndex))
        fields.set(part.name.toLowerCase(), (await read(part.start, part.end - part.start)).toString('utf8'));
      verifyPostPolicy({
        fields,
        fileSize: upload.end - upload.start,
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
      // s3rver parses the same bytes again as they stream from the open file; the file's name is
      // removed below, its bytes stay readable until the stream closes the handle.
      const replay = new PassThrough();
      pipeline(opened.createReadStream({ start: 0 }), replay, (error) => {
        if (error) log(`s3: staged POST upload not replayed (${errorName(error)})`);
      });
      // s3rver may answer without reading it all: the file's handle is closed all the same.
      res.once('close', () => replay.destroy());
      handed = true;
      handle(substituteRequest(req, { ...req.headers, 'content-length': String(size) }, replay), res);
    } finally {
      if (!handed) await file?.close();
      // Where an open file cannot be removed (Windows), it goes once the answer is sent, or with
      // the staging folder at the next start.
      const remove = () => rm(spool, { force: true }).catch(() => undefined);
      await remove();
      if (handed) res.once('close', () => void remove());
    }
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

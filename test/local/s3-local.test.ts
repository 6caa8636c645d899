import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AwsChunkedDecoder,
  isManifestKey,
  BoundaryScanner,
  locateFormParts,
  s3LocalCredentials,
  startS3Local,
  type S3Local,
  type S3ObjectCreatedEvent,
} from '#cli/local/s3-local.ts';
import { NodeSha256 } from '#cli/local/sigv4.ts';

const webOrigin = 'http://127.0.0.1:8787';
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
let dataDir = '';
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'claims-s3-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const running: S3Local[] = [];
const clients: S3Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function start(
  events: S3ObjectCreatedEvent[] = [],
  dir = dataDir,
): Promise<{ s3: S3Local; client: S3Client }> {
  const s3 = await startS3Local({
    port: 0,
    dataDir: dir,
    bucket: 'receipts',
    corsOrigins: [webOrigin],
    region: 'ap-east-1',
    accountId: '123456789012',
    onObjectCreated: (event) => {
      events.push(event);
    },
  });
  running.push(s3);
  const client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'ap-east-1',
    credentials: s3LocalCredentials,
  });
  clients.push(client);
  return { s3, client };
}

const text = async (client: S3Client, key: string): Promise<string> =>
  (await client.send(new GetObjectCommand({ Bucket: 'receipts', Key: key }))).Body?.transformToString() ?? '';

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('manifest key filter', () => {
  it('matches claims/<id>/manifest.json only', () => {
    expect(isManifestKey('claims/01JABC/manifest.json')).toBe(true);
    for (const key of [
      'claims/01JABC/receipt-1.jpg',
      'claims/manifest.json',
      'claims/a/b/manifest.json',
      'x/claims/a/manifest.json',
    ]) {
      expect(isManifestKey(key)).toBe(false);
    }
  });
});

describe('startS3Local with AWS SDK v3', () => {
  it('stores and serves objects, including streamed (aws-chunked) and multipart uploads', async () => {
    const { client } = await start();
    await client.send(
      new PutObjectCommand({
        Bucket: 'receipts',
        Key: 'a/string.txt',
        Body: 'hello',
        ContentType: 'text/plain',
      }),
    );
    await client.send(
      new PutObjectCommand({ Bucket: 'receipts', Key: 'a/buffer.bin', Body: Buffer.from([0, 1, 2, 255]) }),
    );
    const streamed = 'streamed body '.repeat(5000);
    await client.send(
      new PutObjectCommand({
        Bucket: 'receipts',
        Key: 'a/stream.txt',
        Body: Readable.from([Buffer.from(streamed)]),
        ContentLength: streamed.length,
      }),
    );
    expect(await text(client, 'a/string.txt')).toBe('hello');
    expect(await text(client, 'a/stream.txt')).toBe(streamed);
    const head = await client.send(new HeadObjectCommand({ Bucket: 'receipts', Key: 'a/stream.txt' }));
    expect(head.ContentLength).toBe(streamed.length);
    expect(head.ContentEncoding).toBeUndefined();
    const bytes = await (
      await client.send(new GetObjectCommand({ Bucket: 'receipts', Key: 'a/buffer.bin' }))
    ).Body?.transformToByteArray();
    expect(Buffer.from(bytes ?? [])).toEqual(Buffer.from([0, 1, 2, 255]));

    const upload = await client.send(
      new CreateMultipartUploadCommand({ Bucket: 'receipts', Key: 'big.bin' }),
    );
    const part1 = Buffer.alloc(5 * 1024 * 1024, 7);
    const p1 = await client.send(
      new UploadPartCommand({
        Bucket: 'receipts',
        Key: 'big.bin',
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: part1,
      }),
    );
    const p2 = await client.send(
      new UploadPartCommand({
        Bucket: 'receipts',
        Key: 'big.bin',
        UploadId: upload.UploadId,
        PartNumber: 2,
        Body: Readable.from([Buffer.from('tail')]),
        ContentLength: 4,
      }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'receipts',
        Key: 'big.bin',
        UploadId: upload.UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    expect(
      (await client.send(new HeadObjectCommand({ Bucket: 'receipts', Key: 'big.bin' }))).ContentLength,
    ).toBe(part1.length + 4);

    await client.send(
      new CopyObjectCommand({ Bucket: 'receipts', Key: 'a/copy.txt', CopySource: 'receipts/a/string.txt' }),
    );
    await client.send(new DeleteObjectCommand({ Bucket: 'receipts', Key: 'a/buffer.bin' }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'receipts', Prefix: 'a/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['a/copy.txt', 'a/stream.txt', 'a/string.txt']);
  });

  it('turns created manifests into EventBridge Object Created events, and nothing else', async () => {
    const events: S3ObjectCreatedEvent[] = [];
    const { client } = await start(events);
    await client.send(
      new PutObjectCommand({ Bucket: 'receipts', Key: 'claims/C1/receipt-1.jpg', Body: 'jpg' }),
    );
    await client.send(
      new PutObjectCommand({ Bucket: 'receipts', Key: 'claims/C1/manifest.json', Body: '{"a":1}' }),
    );
    await client.send(
      new CopyObjectCommand({
        Bucket: 'receipts',
        Key: 'claims/C2/manifest.json',
        CopySource: 'receipts/claims/C1/manifest.json',
      }),
    );
    const upload = await client.send(
      new CreateMultipartUploadCommand({ Bucket: 'receipts', Key: 'claims/C3/manifest.json' }),
    );
    const part = await client.send(
      new UploadPartCommand({
        Bucket: 'receipts',
        Key: 'claims/C3/manifest.json',
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: '{}',
      }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'receipts',
        Key: 'claims/C3/manifest.json',
        UploadId: upload.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    await until(() => events.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toHaveLength(3);
    const [put, copy, multipart] = events;
    expect(put).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '123456789012',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'ap-east-1',
      resources: ['arn:aws:s3:::receipts'],
      detail: {
        version: '0',
        bucket: { name: 'receipts' },
        object: {
          key: 'claims/C1/manifest.json',
          size: 7,
          etag: md5('{"a":1}'),
          sequencer: expect.stringMatching(/^[0-9A-F]{18}$/),
        },
        'request-id': expect.any(String),
        requester: '123456789012',
        'source-ip-address': '127.0.0.1',
        reason: 'PutObject',
      },
    });
    expect(copy?.detail).toMatchObject({
      reason: 'CopyObject',
      object: { key: 'claims/C2/manifest.json', size: 7, etag: md5('{"a":1}') },
    });
    expect(multipart?.detail).toMatchObject({
      reason: 'CompleteMultipartUpload',
      object: { key: 'claims/C3/manifest.json', size: 2 },
    });
    expect(new Set(events.map((e) => e.detail.object.sequencer)).size).toBe(3);
  });

  it('refuses anonymous requests, as a private bucket does', async () => {
    const { s3, client } = await start();
    await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'private.txt', Body: 'secret' }));
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', 'overwrite'],
      ['DELETE', undefined],
    ] as const) {
      const res = await fetch(`${s3.endpoint}/receipts/private.txt`, { method, body });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('<Code>AccessDenied</Code>');
    }
    expect(await text(client, 'private.txt')).toBe('secret');
  });

  it('keeps objects across a restart on the same data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-s3-restart-'));
    try {
      const first = await start([], dir);
      await first.client.send(
        new PutObjectCommand({ Bucket: 'receipts', Key: 'claims/K/manifest.json', Body: 'kept' }),
      );
      await first.s3.stop();
      await first.s3.stop();
      const second = await start([], dir);
      expect(await text(second.client, 'claims/K/manifest.json')).toBe('kept');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('presigned POST uploads', () => {
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(97, 1)]);

  async function presign(
    client: S3Client,
    key = 'claims/C9/receipt-1.jpg',
    expires = 60,
  ): Promise<PresignedPost> {
    return createPresignedPost(client, {
      Bucket: 'receipts',
      Key: key,
      Conditions: [
        ['content-length-range', 1, 1000],
        ['eq', '$Content-Type', 'image/jpeg'],
      ],
      Fields: { 'Content-Type': 'image/jpeg' },
      Expires: expires,
    });
  }

  async function post(
    post: PresignedPost,
    change: (form: FormData) => void = () => undefined,
    file: Buffer = jpeg,
  ): Promise<{ status: number; body: string; headers: Headers }> {
    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    change(form);
    form.append('file', new Blob([new Uint8Array(file)], { type: 'image/jpeg' }), 'receipt.jpg');
    const res = await fetch(post.url, { method: 'POST', body: form, headers: { origin: webOrigin } });
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  it('accepts an upload that meets the policy, with the Content-Type from the form', async () => {
    const events: S3ObjectCreatedEvent[] = [];
    const { client } = await start(events);
    const res = await post(await presign(client, 'claims/C9/manifest.json'));
    expect(res.status).toBe(204);
    const head = await client.send(
      new HeadObjectCommand({ Bucket: 'receipts', Key: 'claims/C9/manifest.json' }),
    );
    expect(head).toMatchObject({ ContentType: 'image/jpeg', ContentLength: jpeg.length });
    await until(() => events.length === 1);
    expect(events[0]?.detail.reason).toBe('POST Object');
  });

  it('enforces the policy as S3 does', async () => {
    const { client } = await start();
    const good = await presign(client);
    const cases: [string, Promise<{ status: number; body: string; headers: Headers }>, number, string][] = [
      ['other content type', post(good, (f) => f.set('Content-Type', 'text/html')), 403, 'AccessDenied'],
      ['too large', post(good, undefined, Buffer.alloc(1001, 1)), 400, 'EntityTooLarge'],
      ['empty', post(good, undefined, Buffer.alloc(0)), 400, 'EntityTooSmall'],
      ['other key', post(good, (f) => f.set('key', 'claims/OTHER/receipt-1.jpg')), 403, 'AccessDenied'],
      ['extra field', post(good, (f) => f.append('x-amz-meta-evil', '1')), 403, 'AccessDenied'],
      [
        'tampered signature',
        post(good, (f) => f.set('X-Amz-Signature', '0'.repeat(64))),
        403,
        'SignatureDoesNotMatch',
      ],
      ['no policy', post(good, (f) => f.delete('Policy')), 403, 'AccessDenied'],
      [
        'fields before the file over 20 KiB',
        post(good, (f) => f.append('x-amz-meta-pad', 'x'.repeat(21_000))),
        400,
        'MaxPostPreDataLengthExceeded',
      ],
      ['expired', post(await presign(client, undefined, -5)), 403, 'AccessDenied'],
    ];
    for (const [label, pending, status, code] of cases) {
      const res = await pending;
      expect({ label, status: res.status }).toEqual({ label, status });
      expect(res.body).toContain(`<Code>${code}</Code>`);
      // The browser must be able to read the error (CORS), as with S3.
      expect(res.headers.get('access-control-allow-origin')).toBe(webOrigin);
    }
    const expired = await post(await presign(client, undefined, -5));
    expect(expired.body).toContain('Policy expired');
    await expect(
      client.send(new HeadObjectCommand({ Bucket: 'receipts', Key: 'claims/C9/receipt-1.jpg' })),
    ).rejects.toThrow();
    await expect(
      client.send(new HeadObjectCommand({ Bucket: 'receipts', Key: 'claims/OTHER/receipt-1.jpg' })),
    ).rejects.toThrow();
  });

  it('streams a large upload through a staged file: the bytes arrive whole, nothing staged stays', async () => {
    const { client } = await start();
    const big = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2_654_435_761) >>> 0, i);
    const grant = await createPresignedPost(client, {
      Bucket: 'receipts',
      Key: 'imports/roster/J1/big.csv',
      Conditions: [['content-length-range', 1, 32 * 1024 * 1024]],
      Expires: 60,
    });
    const upload = async (file: Buffer, extra: Record<string, string> = {}) => {
      const form = new FormData();
      for (const [name, value] of Object.entries({ ...grant.fields, ...extra })) form.append(name, value);
      form.append('file', new Blob([new Uint8Array(file)]), 'big.csv');
      const res = await fetch(grant.url, { method: 'POST', body: form });
      return { status: res.status, body: await res.text() };
    };
    expect((await upload(big)).status).toBe(204);
    const stored = await client.send(
      new GetObjectCommand({ Bucket: 'receipts', Key: 'imports/roster/J1/big.csv' }),
    );
    const bytes = Buffer.from((await stored.Body?.transformToByteArray()) ?? []);
    expect(bytes.length).toBe(big.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      createHash('sha256').update(big).digest('hex'),
    );
    const refused = await upload(Buffer.alloc(1024), { 'x-amz-meta-evil': '1' });
    expect(refused.status).toBe(403);
    expect(await readdir(join(dataDir, 's3-staging'))).toEqual([]);
  });

  it('answers the CORS preflight for the web origin only', async () => {
    const { s3 } = await start();
    const preflight = (origin: string) =>
      fetch(`${s3.endpoint}/receipts`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const allowed = await preflight(webOrigin);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect((await preflight('http://evil.example')).status).toBe(403);
  });
});

describe('building blocks', () => {
  it('decodes aws-chunked bodies split at any byte', async () => {
    const framed = Buffer.from(
      '5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n',
    );
    for (let size = 1; size <= framed.length; size += 7) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < framed.length; i += size) pieces.push(framed.subarray(i, i + size));
      const decoded = Buffer.concat(await Readable.from(pieces).pipe(new AwsChunkedDecoder(11)).toArray());
      expect(decoded.toString()).toBe('hello world');
    }
    await expect(
      Readable.from([Buffer.from('5\r\nhel')])
        .pipe(new AwsChunkedDecoder())
        .toArray(),
    ).rejects.toThrow(/ended/);
    await expect(
      Readable.from([Buffer.from('zz\r\n')])
        .pipe(new AwsChunkedDecoder())
        .toArray(),
    ).rejects.toThrow(/malformed/);
  });

  /** Parts of a body fed to the scanner in the chunks given, with each part's data. */
  async function formParts(chunks: readonly Buffer[], boundary: string) {
    const scanner = new BoundaryScanner(boundary);
    for (const chunk of chunks) scanner.feed(chunk);
    const body = Buffer.concat(chunks);
    const read = async (start: number, length: number) => body.subarray(start, start + length);
    const parts = await locateFormParts(scanner.found, body.length, boundary, read);
    return parts.map(({ start, end, ...part }) => ({ ...part, data: body.subarray(start, end).toString() }));
  }

  const form =
    '--XX\r\nContent-Disposition: form-data; name="key"\r\n\r\nclaims/a\r\n' +
    '--XX\r\nContent-Disposition: form-data; name="file"; filename="r.jpg"\r\nContent-Type: image/jpeg\r\n\r\n' +
    '\r\nbin--XX\r\n-\r\n--X\r\n' +
    '--XX--\r\n';
  const parsed = [
    { name: 'key', data: 'claims/a' },
    { name: 'file', filename: 'r.jpg', contentType: 'image/jpeg', data: '\r\nbin--XX\r\n-\r\n--X' },
  ];

  it('parses multipart forms streamed in chunks split anywhere, delimiters only at line starts', async () => {
    expect(await formParts([Buffer.from(form)], 'XX')).toEqual(parsed);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: form.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          const at = [0, ...[...cuts].sort((a, b) => a - b), form.length];
          const chunks = at.slice(1).map((end, i) => Buffer.from(form).subarray(at[i], end));
          expect(await formParts(chunks, 'XX')).toEqual(parsed);
        },
      ),
    );
  });

  it('refuses forms that are not well formed', async () => {
    const bad = [
      '--XX\r\nbroken',
      'no delimiter at all',
      '--XX\r\nContent-Disposition: form-data; name="key"\r\n\r\nvalue never closed',
      '--XX\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XX--\r\n',
      '--XXjunk\r\n',
      `--XX\r\nContent-Disposition: form-data; name="a"; x="${'y'.repeat(17_000)}"\r\n\r\nv\r\n--XX--\r\n`,
    ];
    for (const body of bad) await expect(formParts([Buffer.from(body)], 'XX')).rejects.toThrow(/multipart/);
    const many = `${'--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n'.repeat(1001)}--XX--\r\n`;
    expect(() => new BoundaryScanner('XX').feed(Buffer.from(many))).toThrow(/multipart/);
  });
});

// ---------------------------------------------------------------------------------------------
// Signatures, key limits, robustness, overwrite guard.

/** Sends exactly these bytes and headers (fetch would add and forbid some). */
function rawRequest(
  endpoint: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const target = new URL(endpoint);
    const req = httpRequest({ host: target.hostname, port: target.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function failure(
  pending: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  try {
    await pending;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the request to fail');
}

function signer(region = 'ap-east-1'): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region,
    credentials: s3LocalCredentials,
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
}

/** An upload with signed aws-chunked framing (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), as some SDKs send. */
async function signedChunkedPut(
  s3: S3Local,
  key: string,
  chunks: Buffer[],
  tamper: (framed: Buffer) => Buffer = (b) => b,
): Promise<{ status: number; body: string }> {
  const host = new URL(s3.endpoint).host;
  const decoded = chunks.reduce((n, c) => n + c.length, 0);
  const framedLength =
    chunks.reduce((n, c) => n + c.length.toString(16).length + 17 + 64 + 2 + c.length + 2, 0) +
    1 +
    17 +
    64 +
    4;
  const signingDate = new Date();
  const sign = signer();
  const request = await sign.sign(
    {
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: `/receipts/${key}`,
      query: {},
      headers: {
        host,
        'content-encoding': 'aws-chunked',
        'content-length': String(framedLength),
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'x-amz-decoded-content-length': String(decoded),
      },
    },
    { signingDate },
  );
  let previous = /Signature=([0-9a-f]{64})/.exec(String(request.headers.authorization))?.[1] ?? '';
  const parts: Buffer[] = [];
  for (const chunk of [...chunks, Buffer.alloc(0)]) {
    previous = await sign.sign(
      { headers: new Uint8Array(0), payload: chunk },
      { signingDate, priorSignature: previous },
    );
    parts.push(
      Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    );
  }
  const framed = Buffer.concat(parts);
  expect(framed.length).toBe(framedLength);
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'host'));
  return rawRequest(s3.endpoint, 'PUT', `/receipts/${key}`, headers, tamper(framed));
}

describe('request signatures (SigV4)', () => {
  it('refuses a forged or altered presigned URL, and an expired one, but serves a good one', async () => {
    const { s3, client } = await start();
    await client.send(
      new PutObjectCommand({ Bucket: 'receipts', Key: 'exports/ledger.csv', Body: 'id,name,bank' }),
    );
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: 'receipts', Key: 'exports/ledger.csv' }),
      {
        expiresIn: 60,
      },
    );
    expect(await (await fetch(url)).text()).toBe('id,name,bank');

    // The tester's forgery: any X-Amz-Signature used to pass.
    const forged = url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'ab'.repeat(32)}`);
    const forgedRes = await fetch(forged);
    expect(forgedRes.status).toBe(403);
    const forgedBody = await forgedRes.text();
    expect(forgedBody).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(forgedBody).not.toContain('bank');
    const bare = await fetch(`${s3.endpoint}/receipts/exports/ledger.csv?X-Amz-Signature=abc`);
    expect(bare.status).toBe(400);
    expect(await bare.text()).not.toContain('bank');
    const otherKey = await fetch(url.replace('exports/ledger.csv', 'exports/other.csv'));
    expect(otherKey.status).toBe(403);

    const expired = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: 'receipts', Key: 'exports/ledger.csv' }),
      {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 5 * 60_000),
      },
    );
    const expiredRes = await fetch(expired);
    expect(expiredRes.status).toBe(403);
    const expiredBody = await expiredRes.text();
    expect(expiredBody).toContain('<Code>AccessDenied</Code>');
    expect(expiredBody).toContain('Request has expired');

    // Presigned PUT (x-amz-checksum-* and Content-Type ride in the query).
    const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: 'receipts', Key: 'up.txt' }), {
      expiresIn: 60,
    });
    expect((await fetch(put, { method: 'PUT', body: 'via url' })).status).toBe(200);
    expect(await text(client, 'up.txt')).toBe('via url');
  });

  it('refuses another secret, another access key, SigV2 and anonymous requests', async () => {
    const { s3, client } = await start();
    await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'k.txt', Body: 'v' }));
    const as = (accessKeyId: string, secretAccessKey: string) => {
      const other = new S3Client({
        endpoint: s3.endpoint,
        forcePathStyle: true,
        region: 'ap-east-1',
        credentials: { accessKeyId, secretAccessKey },
        maxAttempts: 1,
      });
      clients.push(other);
      return other;
    };
    expect(
      await failure(as('S3RVER', 'wrong').send(new GetObjectCommand({ Bucket: 'receipts', Key: 'k.txt' }))),
    ).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(
      await failure(
        as('AKIDEXAMPLE', 'S3RVER').send(new GetObjectCommand({ Bucket: 'receipts', Key: 'k.txt' })),
      ),
    ).toMatchObject({ name: 'InvalidAccessKeyId', status: 403 });
    const v2 = await fetch(`${s3.endpoint}/receipts/k.txt`, { headers: { authorization: 'AWS S3RVER:x' } });
    expect(v2.status).toBe(400);
    const anonymous = await fetch(`${s3.endpoint}/receipts/k.txt`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('checks the body against the signed x-amz-content-sha256 and keeps the stored object', async () => {
    const { s3, client } = await start();
    await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'body.txt', Body: 'original' }));
    const tampering = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'ap-east-1',
      credentials: s3LocalCredentials,
      maxAttempts: 1,
    });
    clients.push(tampering);
    tampering.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { body: unknown }).body = 'REPLACED';
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'swap-body-after-signing' },
    );
    expect(
      await failure(
        tampering.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'body.txt', Body: 'intended' })),
      ),
    ).toMatchObject({ name: 'XAmzContentSHA256Mismatch', status: 400 });
    expect(await text(client, 'body.txt')).toBe('original');
  });

  it('verifies every chunk signature of a signed aws-chunked upload', async () => {
    const { s3, client } = await start();
    const chunks = [Buffer.from('hello '), Buffer.from('signed world')];
    expect((await signedChunkedPut(s3, 'chunked.txt', chunks)).status).toBe(200);
    expect(await text(client, 'chunked.txt')).toBe('hello signed world');
    const bad = await signedChunkedPut(
      s3,
      'chunked.txt',
      [Buffer.from('HELLO '), Buffer.from('signed world')],
      (framed) => {
        // Same length, other bytes in the first chunk: its signature no longer matches.
        const copy = Buffer.from(framed);
        copy.write('EVIL', copy.indexOf('HELLO'));
        return copy;
      },
    );
    expect(bad.status).toBe(403);
    expect(bad.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(await text(client, 'chunked.txt')).toBe('hello signed world');
  });
});

describe('key limits', () => {
  const longSegment = `claims/C1/${'x'.repeat(300)}.jpg`;
  const longKey = `claims/${'k/'.repeat(520)}r.jpg`;

  it('answers 400 for keys s3rver cannot store, before it sees them, and stays up', async () => {
    const { client } = await start();
    await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'src.txt', Body: 'source' }));
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        'PUT, 300-byte segment',
        () => client.send(new PutObjectCommand({ Bucket: 'receipts', Key: longSegment, Body: 'x' })),
        'InvalidArgument',
      ],
      [
        'PUT, key over 1,024 bytes',
        () => client.send(new PutObjectCommand({ Bucket: 'receipts', Key: longKey, Body: 'x' })),
        'KeyTooLongError',
      ],
      // 240 bytes fit a file name, but not with s3rver's "._S3rver_metadata.json" after them.
      [
        'PUT, 240-byte last segment',
        () =>
          client.send(new PutObjectCommand({ Bucket: 'receipts', Key: `a/${'y'.repeat(240)}`, Body: 'x' })),
        'InvalidArgument',
      ],
      [
        'PUT, 4-byte characters over 1,024 bytes',
        () =>
          client.send(new PutObjectCommand({ Bucket: 'receipts', Key: `${'😀/'.repeat(205)}`, Body: 'x' })),
        'KeyTooLongError',
      ],
      [
        'PUT, ".." segment',
        () =>
          client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'claims/../../escape', Body: 'x' })),
        'InvalidArgument',
      ],
      [
        'PUT, empty segment',
        () =>
          client.send(
            new PutObjectCommand({ Bucket: 'receipts', Key: 'claims//C1/receipt-1.jpg', Body: 'x' }),
          ),
        'InvalidArgument',
      ],
      [
        'GET',
        () => client.send(new GetObjectCommand({ Bucket: 'receipts', Key: longSegment })),
        'InvalidArgument',
      ],
      [
        'HEAD',
        () => client.send(new HeadObjectCommand({ Bucket: 'receipts', Key: longKey })),
        'KeyTooLongError',
      ],
      [
        'DELETE',
        () => client.send(new DeleteObjectCommand({ Bucket: 'receipts', Key: longSegment })),
        'InvalidArgument',
      ],
      [
        'copy to',
        () =>
          client.send(
            new CopyObjectCommand({ Bucket: 'receipts', Key: longSegment, CopySource: 'receipts/src.txt' }),
          ),
        'InvalidArgument',
      ],
      [
        'copy from',
        () =>
          client.send(
            new CopyObjectCommand({ Bucket: 'receipts', Key: 'dst.txt', CopySource: `receipts/${longKey}` }),
          ),
        'KeyTooLongError',
      ],
      [
        'multipart',
        () => client.send(new CreateMultipartUploadCommand({ Bucket: 'receipts', Key: longSegment })),
        'InvalidArgument',
      ],
    ];
    for (const [label, send, code] of cases) {
      const error = await failure(send());
      // HEAD answers have no body: the SDK only sees the status.
      expect({ label, status: error.status, name: label === 'HEAD' ? code : error.name }).toEqual({
        label,
        status: 400,
        name: code,
      });
    }
    const post = await createPresignedPost(client, { Bucket: 'receipts', Key: longSegment, Expires: 60 });
    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    form.append('file', new Blob(['x']), 'r.jpg');
    const res = await fetch(post.url, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('at most 255 bytes');
    // Still serving, nothing stored.
    expect(await text(client, 'src.txt')).toBe('source');
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'receipts' }));
    expect(listed.Contents?.map((o) => o.Key)).not.toContain(longSegment);
  });

  it('accepts keys at the limits', async () => {
    const { client } = await start();
    const atLimit = `${'d'.repeat(255)}/${'e'.repeat(233)}`;
    const longest = `${'k/'.repeat(511)}ab`;
    expect(Buffer.byteLength(longest)).toBe(1024);
    for (const key of [atLimit, longest, 'folder/']) {
      await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: key, Body: key }));
      expect(await text(client, key)).toBe(key);
    }
  });
});

describe('one request cannot take the emulator down', () => {
  it('answers 500 when the store fails underneath a write, and keeps serving', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-s3-fault-'));
    try {
      const { client } = await start([], dir);
      // A directory where the object file should go: s3rver's write stream fails with EISDIR,
      // an error it never listened for (which used to kill the process).
      await mkdir(join(dir, 's3', 'receipts', 'blocked._S3rver_object'), { recursive: true });
      expect(
        await failure(client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'blocked', Body: 'x' }))),
      ).toMatchObject({
        name: 'InternalError',
        status: 500,
      });
      await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'after.txt', Body: 'still here' }));
      expect(await text(client, 'after.txt')).toBe('still here');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers InvalidPart for a multipart completion naming a part never uploaded', async () => {
    const { client } = await start();
    const upload = await client.send(new CreateMultipartUploadCommand({ Bucket: 'receipts', Key: 'mp.bin' }));
    expect(
      await failure(
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: 'receipts',
            Key: 'mp.bin',
            UploadId: upload.UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0123"' }] },
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidPart', status: 400 });
    await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'after.txt', Body: 'ok' }));
    expect(await text(client, 'after.txt')).toBe('ok');
  });
});

describe('start-up on a damaged data directory', () => {
  it('skips and reports what it cannot read, and lists and serves the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-s3-damaged-'));
    try {
      const first = await start([], dir);
      for (const id of ['GOOD', 'TRUNCATED'])
        await first.client.send(
          new PutObjectCommand({
            Bucket: 'receipts',
            Key: `claims/${id}/manifest.json`,
            Body: `{"id":"${id}"}`,
          }),
        );
      await first.s3.stop();
      const bucketDir = join(dir, 's3', 'receipts');
      // A metadata file cut short by a crash.
      await writeFile(
        join(bucketDir, 'claims/TRUNCATED/manifest.json._S3rver_metadata.json'),
        '{"content-ty',
      );
      // What the 240-byte key left behind: the object, but no room for its .md5 and metadata.
      await mkdir(join(bucketDir, 'claims/LONG'), { recursive: true });
      await writeFile(join(bucketDir, `claims/LONG/${'z'.repeat(240)}._S3rver_object`), 'x');
      // A file name that is not UTF-8.
      await writeFile(
        Buffer.concat([
          Buffer.from(`${bucketDir}/claims/`),
          Buffer.from([0xff, 0xfe]),
          Buffer.from('._S3rver_object'),
        ]),
        'x',
      );

      const lines: string[] = [];
      const s3 = await startS3Local({
        port: 0,
        dataDir: dir,
        bucket: 'receipts',
        onLog: (line) => lines.push(line),
      });
      running.push(s3);
      const client = new S3Client({
        endpoint: s3.endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: s3LocalCredentials,
      });
      clients.push(client);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^s3: skipped 3 unreadable entries in .*receipts: .*metadata file is truncated or not JSON/,
      );
      const listed = await client.send(new ListObjectsV2Command({ Bucket: 'receipts', Prefix: 'claims/' }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual(['claims/GOOD/manifest.json']);
      expect(await text(client, 'claims/GOOD/manifest.json')).toBe('{"id":"GOOD"}');
      expect(await failure(text(client, 'claims/TRUNCATED/manifest.json'))).toMatchObject({
        name: 'NoSuchKey',
      });
      // A new upload to the damaged key repairs it.
      await client.send(
        new PutObjectCommand({ Bucket: 'receipts', Key: 'claims/TRUNCATED/manifest.json', Body: 'again' }),
      );
      expect(await text(client, 'claims/TRUNCATED/manifest.json')).toBe('again');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('refuseOverwrite (evidence pinning)', () => {
  async function startGuarded(refuse: (key: string) => Promise<string | undefined>) {
    const asked: string[] = [];
    const refused: string[] = [];
    const events: S3ObjectCreatedEvent[] = [];
    const s3 = await startS3Local({
      port: 0,
      dataDir,
      bucket: 'receipts',
      corsOrigins: [webOrigin],
      matchKey: () => true,
      onObjectCreated: (event) => {
        events.push(event);
      },
      refuseOverwrite: (key) => {
        asked.push(key);
        return refuse(key);
      },
      onWriteRefused: (key) => {
        refused.push(key);
      },
    });
    running.push(s3);
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'ap-east-1',
      credentials: s3LocalCredentials,
    });
    clients.push(client);
    return { s3, client, asked, refused, events };
  }
  const pinned = async (key: string) =>
    key.startsWith('claims/PAID/') ? 'claim PAID is judged and paid; its evidence is pinned' : undefined;

  it('asks before every write over an existing key and refuses with its message', async () => {
    const { client, asked, refused, events } = await startGuarded(pinned);
    const receipt = 'claims/PAID/receipt-1.jpg';
    await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: receipt, Body: 'original receipt' }));
    await client.send(
      new PutObjectCommand({ Bucket: 'receipts', Key: 'claims/OPEN/receipt-1.jpg', Body: 'draft' }),
    );
    await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'other.jpg', Body: 'replacement' }));
    expect(asked).toEqual([]); // new keys: nothing to ask

    // PUT, identical bytes included.
    for (const body of ['forged receipt', 'original receipt']) {
      expect(
        await failure(client.send(new PutObjectCommand({ Bucket: 'receipts', Key: receipt, Body: body }))),
      ).toMatchObject({
        name: 'AccessDenied',
        status: 403,
        message: 'claim PAID is judged and paid; its evidence is pinned',
      });
    }
    // Copy onto it.
    expect(
      await failure(
        client.send(
          new CopyObjectCommand({ Bucket: 'receipts', Key: receipt, CopySource: 'receipts/other.jpg' }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
    // Multipart completion onto it (the parts themselves are not writes to the key).
    const upload = await client.send(new CreateMultipartUploadCommand({ Bucket: 'receipts', Key: receipt }));
    const part = await client.send(
      new UploadPartCommand({
        Bucket: 'receipts',
        Key: receipt,
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: 'mp forged',
      }),
    );
    expect(
      await failure(
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: 'receipts',
            Key: receipt,
            UploadId: upload.UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
          }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(await text(client, receipt)).toBe('original receipt');
    expect(asked).toEqual([receipt, receipt, receipt, receipt]);
    await until(() => refused.length === 4);
    expect(refused).toEqual([receipt, receipt, receipt, receipt]);

    // Not pinned: the hook lets the overwrite through.
    await client.send(
      new PutObjectCommand({ Bucket: 'receipts', Key: 'claims/OPEN/receipt-1.jpg', Body: 'final' }),
    );
    expect(await text(client, 'claims/OPEN/receipt-1.jpg')).toBe('final');
    expect(asked).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.detail.object.key === receipt)).toHaveLength(1);
  });

  it("refuses a still-valid presigned POST over a judged claim's receipt", async () => {
    const { client, refused } = await startGuarded(pinned);
    const key = 'claims/PAID/receipt-2.jpg';
    const grant = await createPresignedPost(client, {
      Bucket: 'receipts',
      Key: key,
      Conditions: [['content-length-range', 1, 1000]],
      Expires: 600,
    });
    const upload = async (bytes: string) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(grant.fields)) form.append(name, value);
      form.append('file', new Blob([bytes]), 'r.jpg');
      const res = await fetch(grant.url, { method: 'POST', body: form, headers: { origin: webOrigin } });
      return {
        status: res.status,
        body: await res.text(),
        cors: res.headers.get('access-control-allow-origin'),
      };
    };
    expect((await upload('the real receipt')).status).toBe(204);
    const replaced = await upload('a different receipt');
    expect(replaced).toMatchObject({ status: 403, cors: webOrigin });
    expect(replaced.body).toContain('<Code>AccessDenied</Code>');
    expect(replaced.body).toContain('its evidence is pinned');
    expect(await text(client, key)).toBe('the real receipt');
    await until(() => refused.length === 1);
  });

  it('fails closed when the hook throws, and survives a throwing onWriteRefused', async () => {
    const lines: string[] = [];
    const s3 = await startS3Local({
      port: 0,
      dataDir,
      bucket: 'receipts',
      refuseOverwrite: async (key) => {
        if (key === 'boom') throw new Error('store down');
        return 'no';
      },
      onWriteRefused: () => {
        throw new Error('listener failed');
      },
      onLog: (line) => lines.push(line),
    });
    running.push(s3);
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: s3LocalCredentials,
    });
    clients.push(client);
    for (const key of ['boom', 'nope'])
      await client.send(new PutObjectCommand({ Bucket: 'receipts', Key: key, Body: 'v1' }));
    expect(
      await failure(client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'boom', Body: 'v2' }))),
    ).toMatchObject({
      status: 500,
    });
    expect(
      await failure(client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'nope', Body: 'v2' }))),
    ).toMatchObject({
      name: 'AccessDenied',
      message: 'no',
    });
    await until(() => lines.some((l) => l.includes('onWriteRefused failed')));
    expect(await text(client, 'boom')).toBe('v1');
    expect(await text(client, 'nope')).toBe('v1');
    expect(lines.join('\n')).not.toContain('boom'); // logs name no keys
  });

  it('lets exactly one of two concurrent first uploads through without asking', async () => {
    const { client, asked } = await startGuarded(async () => 'taken');
    const results = await Promise.allSettled(
      ['first', 'second'].map((body) =>
        client.send(
          new PutObjectCommand({ Bucket: 'receipts', Key: 'claims/RACE/receipt-1.jpg', Body: body }),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(asked).toEqual(['claims/RACE/receipt-1.jpg']);
  });
});

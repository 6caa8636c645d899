import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
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
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AwsChunkedDecoder,
  isManifestKey,
  parseMultipartForm,
  s3LocalCredentials,
  startS3Local,
  type S3Local,
  type S3ObjectCreatedEvent,
} from '#cli/local/s3-local.ts';

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

  it('parses multipart forms', () => {
    const body = Buffer.from(
      '--XX\r\nContent-Disposition: form-data; name="key"\r\n\r\nclaims/a\r\n' +
        '--XX\r\nContent-Disposition: form-data; name="file"; filename="r.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\r\nbin\r\n' +
        '--XX--\r\n',
    );
    expect(parseMultipartForm(body, 'XX')).toEqual([
      { name: 'key', data: Buffer.from('claims/a') },
      { name: 'file', filename: 'r.jpg', contentType: 'image/jpeg', data: Buffer.from('\r\nbin') },
    ]);
    expect(() => parseMultipartForm(Buffer.from('--XX\r\nbroken'), 'XX')).toThrow(/multipart/);
  });
});

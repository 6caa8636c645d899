// The SigV4 verifier against requests the AWS SDK itself signs.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  CopyObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '#cli/local/credentials.ts';
import { listen } from '#cli/local/net.ts';
import {
  parseLongDate,
  parseQuery,
  SigV4Failure,
  SigV4Verifier,
  type SigV4Verified,
} from '#cli/local/sigv4.ts';

type Outcome = { ok: true; verified: SigV4Verified } | { ok: false; kind: string; message: string };

let server: Server;
let endpoint = '';
const outcomes: Outcome[] = [];
const s3Verifier = new SigV4Verifier({ service: 's3', credentials: localCredentials, uriEscapePath: false });
const dynamoVerifier = new SigV4Verifier({
  service: 'dynamodb',
  credentials: localCredentials,
  uriEscapePath: true,
});

async function check(req: IncomingMessage, body: Buffer): Promise<Outcome> {
  const url = req.url ?? '/';
  const at = url.indexOf('?');
  const request = {
    method: req.method ?? 'GET',
    rawPath: at === -1 ? url : url.slice(0, at),
    rawQuery: at === -1 ? '' : url.slice(at + 1),
    headers: req.headers,
  };
  const dynamo = String(req.headers['x-amz-target'] ?? '').startsWith('DynamoDB');
  try {
    const verified = dynamo
      ? await dynamoVerifier.verify(request, {
          computedPayloadHash: createHash('sha256').update(body).digest('hex'),
        })
      : await s3Verifier.verify(request);
    return { ok: true, verified };
  } catch (error) {
    if (error instanceof SigV4Failure) return { ok: false, kind: error.kind, message: error.message };
    throw error;
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void check(req, Buffer.concat(chunks)).then((outcome) => {
        outcomes.push(outcome);
        // Always a 200 the SDKs can parse: the test reads the outcome, not the response.
        const dynamo = String(req.headers['x-amz-target'] ?? '').startsWith('DynamoDB');
        res.setHeader('content-type', dynamo ? 'application/x-amz-json-1.0' : 'application/xml');
        res.end(dynamo ? '{"TableNames":[]}' : '');
      });
    });
  });
  endpoint = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const s3 = (credentials = localCredentials) =>
  new S3Client({ endpoint, forcePathStyle: true, region: 'ap-east-1', credentials, maxAttempts: 1 });

async function last(send: () => Promise<unknown>): Promise<Outcome> {
  const before = outcomes.length;
  await send().catch(() => undefined);
  expect(outcomes.length).toBe(before + 1);
  return outcomes[outcomes.length - 1] as Outcome;
}

describe('SigV4Verifier', () => {
  it('accepts what the S3 client signs: buffered, streamed, listing, copy, odd keys', async () => {
    const client = s3();
    const put = await last(() =>
      client.send(new PutObjectCommand({ Bucket: 'receipts', Key: 'a b/ü+%.txt', Body: 'hello' })),
    );
    expect(put).toMatchObject({ ok: true, verified: { presigned: false } });
    const streamed = await last(() =>
      client.send(
        new PutObjectCommand({
          Bucket: 'receipts',
          Key: 'k',
          Body: Readable.from([Buffer.from('stream')]),
          ContentLength: 6,
        }),
      ),
    );
    expect(streamed).toMatchObject({
      ok: true,
      verified: { payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' },
    });
    for (const send of [
      () => client.send(new GetObjectCommand({ Bucket: 'receipts', Key: "(it's)*~!" })),
      () => client.send(new ListObjectsV2Command({ Bucket: 'receipts', Prefix: 'claims/ a+b/' })),
      () => client.send(new CopyObjectCommand({ Bucket: 'receipts', Key: 'c', CopySource: 'receipts/k' })),
    ]) {
      expect(await last(send)).toMatchObject({ ok: true });
    }
    client.destroy();
  });

  it('accepts what DynamoDBClient signs', async () => {
    const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
    expect(await last(() => client.send(new ListTablesCommand({})))).toMatchObject({ ok: true });
    client.destroy();
  });

  it('refuses another secret, another access key, and anonymous or SigV2 requests', async () => {
    const wrongSecret = s3({ accessKeyId: 'S3RVER', secretAccessKey: 'guess' });
    expect(
      await last(() => wrongSecret.send(new GetObjectCommand({ Bucket: 'receipts', Key: 'k' }))),
    ).toMatchObject({ ok: false, kind: 'mismatch' });
    wrongSecret.destroy();
    const otherKey = s3({ accessKeyId: 'AKIDOTHER', secretAccessKey: 'S3RVER' });
    expect(
      await last(() => otherKey.send(new GetObjectCommand({ Bucket: 'receipts', Key: 'k' }))),
    ).toMatchObject({
      ok: false,
      kind: 'unknown-key',
    });
    otherKey.destroy();
    expect(await last(() => fetch(`${endpoint}/receipts/k`))).toMatchObject({ ok: false, kind: 'missing' });
    expect(
      await last(() => fetch(`${endpoint}/receipts/k`, { headers: { authorization: 'AWS S3RVER:abc=' } })),
    ).toMatchObject({ ok: false, kind: 'unsupported' });
  });

  it('refuses a request changed after signing: header, unsigned x-amz-* header, date', async () => {
    const client = s3();
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        request.headers['x-amz-meta-extra'] = 'added after signing';
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'tamper' },
    );
    expect(
      await last(() => client.send(new GetObjectCommand({ Bucket: 'receipts', Key: 'k' }))),
    ).toMatchObject({
      ok: false,
      kind: 'unsigned-header',
    });
    client.destroy();
    const skewed = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'ap-east-1',
      credentials: localCredentials,
      maxAttempts: 1,
      systemClockOffset: -20 * 60_000,
    });
    expect(
      await last(() => skewed.send(new GetObjectCommand({ Bucket: 'receipts', Key: 'k' }))),
    ).toMatchObject({
      ok: false,
      kind: 'skewed',
    });
    skewed.destroy();
  });

  it('checks presigned URLs: signature, tampering, expiry', async () => {
    const client = s3();
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: 'receipts', Key: 'exports/a b.csv' }),
      {
        expiresIn: 60,
      },
    );
    expect(await last(() => fetch(url))).toMatchObject({ ok: true, verified: { presigned: true } });
    expect(await last(() => fetch(url.replace('exports/a%20b.csv', 'exports/other.csv')))).toMatchObject({
      ok: false,
      kind: 'mismatch',
    });
    expect(
      await last(() => fetch(url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`))),
    ).toMatchObject({
      ok: false,
      kind: 'mismatch',
    });
    const old = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'receipts', Key: 'k' }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 120_000),
    });
    expect(await last(() => fetch(old))).toMatchObject({
      ok: false,
      kind: 'expired',
      message: 'Request has expired',
    });
    client.destroy();
  });
});

describe('sigv4 helpers', () => {
  it('parses dates and queries as the signer does', () => {
    expect(parseLongDate('20260102T030405Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(parseLongDate('2026-01-02')).toBeNaN();
    expect(parseQuery('a=1&b&a=2&c=%2F%20')).toEqual({ a: ['1', '2'], b: '', c: '/ ' });
    expect(() => parseQuery('a=%zz')).toThrow(SigV4Failure);
  });
});

// Ledger exports written to the local S3 emulator through the same adapter the export Lambda
// uses: a small file is one object, a large one is uploaded in parts without being held whole,
// the link downloads it under its file name, and a failure mid-way stores no object.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3LocalCredentials, startS3Local, type S3Local } from '#cli/local/s3-local.ts';
import { S3ExportStore } from '#functions/adapters/s3-export-store.ts';
import { FakeClock, nextUlid } from '#test/support/fixtures.ts';

let dataDir = '';
let s3: S3Local;
let client: S3Client;
const clock = new FakeClock();
const MiB = 1024 * 1024;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'claims-exports-'));
  s3 = await startS3Local({ port: 0, dataDir, bucket: 'receipts', region: 'us-east-1' });
  client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
  });
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

// S3's smallest part (5 MiB), so a few MiB of rows already take the multipart path.
const store = () => new S3ExportStore(client, 'receipts', { now: clock.now }, { next: nextUlid }, 5 * MiB);

async function* lines(count: number, width: number): AsyncGenerator<string> {
  yield '\uFEFFclaimId,payoutFen\r\n';
  for (let i = 0; i < count; i++) yield `${String(i).padStart(width, '0')},${i}\r\n`;
}

async function download(url: string) {
  const response = await fetch(url);
  return {
    status: response.status,
    disposition: response.headers.get('content-disposition'),
    type: response.headers.get('content-type'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

async function exportKeys(): Promise<string[]> {
  const out = await client.send(new ListObjectsV2Command({ Bucket: 'receipts', Prefix: 'exports/' }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

describe('S3 export store', () => {
  it('stores a small export as one object and links to it under its file name', async () => {
    const saved = await store().save(
      { name: 'ledger-2026-09-01-2026-09-30.csv', contentType: 'text/csv; charset=utf-8', body: lines(3, 4) },
      900,
    );
    const file = await download(saved.url);
    expect(file.status).toBe(200);
    expect(file.disposition).toBe('attachment; filename="ledger-2026-09-01-2026-09-30.csv"');
    expect(file.type).toBe('text/csv; charset=utf-8');
    expect(file.bytes.toString('utf8')).toBe('\uFEFFclaimId,payoutFen\r\n0000,0\r\n0001,1\r\n0002,2\r\n');
    expect(saved.bytes).toBe(file.bytes.length);
    expect(saved.expiresAt).toBe(new Date(clock.now().getTime() + 900_000).toISOString());
    expect(new URL(saved.url).pathname).toMatch(
      /^\/receipts\/exports\/\d{4}-\d{2}-\d{2}\/[0-9A-Z]{26}\/ledger-2026-09-01-2026-09-30\.csv$/,
    );
  });

  it('uploads a large export in parts and the download is byte for byte what was written', async () => {
    // About 12.6 MiB: two full 5 MiB parts and a short last one.
    const count = 600_000;
    const saved = await store().save(
      { name: 'big.csv', contentType: 'text/csv; charset=utf-8', body: lines(count, 12) },
      900,
    );
    const file = await download(saved.url);
    expect(file.status).toBe(200);
    expect(saved.bytes).toBeGreaterThan(10 * MiB);
    expect(file.bytes.length).toBe(saved.bytes);
    let expected = '\uFEFFclaimId,payoutFen\r\n';
    for (let i = 0; i < count; i++) expected += `${String(i).padStart(12, '0')},${i}\r\n`;
    expect(file.bytes.equals(Buffer.from(expected, 'utf8'))).toBe(true);
  });

  it('a failure while rows are produced aborts the upload and stores nothing', async () => {
    const before = await exportKeys();
    async function* failing(): AsyncGenerator<string> {
      yield* lines(400_000, 12);
      throw new Error('ledger read failed');
    }
    await expect(
      store().save({ name: 'broken.csv', contentType: 'text/csv; charset=utf-8', body: failing() }, 900),
    ).rejects.toThrow('ledger read failed');
    expect(await exportKeys()).toEqual(before);
  });
});

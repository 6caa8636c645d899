// The tester's report against the whole local stack: one PUT with a 300-character key segment took
// it down, and every restart on that data dir then failed until files were deleted by hand.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '#cli/local/credentials.ts';
import { findFreePort } from '#cli/local/net.ts';
import { startLocalStack, type LocalStack } from '#cli/local/runtime.ts';

let dataDir = '';
beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  dataDir = await mkdtemp(join(tmpdir(), 'claims-startup-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function start(lines: string[]): Promise<{ stack: LocalStack; s3: S3Client }> {
  const stack = await startLocalStack({
    port: await findFreePort(),
    s3Port: await findFreePort(),
    dynamodbPort: await findFreePort(),
    dataDir,
    demo: false,
    log: (line) => lines.push(line),
  });
  const s3 = new S3Client({
    endpoint: stack.s3Url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { ...localCredentials },
    maxAttempts: 1,
  });
  return { stack, s3 };
}

describe('the local stack and its data dir', () => {
  it(
    'survives a key too long for a file name, and starts on a damaged data dir',
    { timeout: 180_000 },
    async () => {
      const first = await start([]);
      try {
        const error = await first.s3
          .send(
            new PutObjectCommand({
              Bucket: 'receipts',
              Key: `claims/01J/${'x'.repeat(300)}.jpg`,
              Body: 'jpg',
            }),
          )
          .then(
            () => undefined,
            (e: { name: string; $metadata?: { httpStatusCode?: number } }) => e,
          );
        expect(error?.$metadata?.httpStatusCode).toBe(400);
        // Still up.
        expect((await fetch(`${first.stack.apiUrl}/config.json`)).status).toBe(200);
        await first.s3.send(
          new PutObjectCommand({ Bucket: 'receipts', Key: 'claims/01K/receipt-1.jpg', Body: 'ok' }),
        );
      } finally {
        first.s3.destroy();
        await first.stack.stop();
      }

      // What a crash can leave behind: a manifest whose metadata file was cut short, an object whose
      // name left no room for its .md5 and metadata files, a file name that is not UTF-8.
      const bucketDir = join(dataDir, 's3', 'receipts');
      await mkdir(join(bucketDir, 'claims', '01L'), { recursive: true });
      await writeFile(join(bucketDir, 'claims/01L/manifest.json._S3rver_object'), '{}');
      await writeFile(join(bucketDir, 'claims/01L/manifest.json._S3rver_metadata.json'), '{"content-t');
      await writeFile(join(bucketDir, `claims/01L/${'y'.repeat(240)}._S3rver_object`), 'x');
      await writeFile(
        Buffer.concat([Buffer.from(`${bucketDir}/claims/01L/`), Buffer.from([0xc3, 0x28])]),
        'x',
      );

      const lines: string[] = [];
      const second = await start(lines);
      try {
        expect(lines.filter((l) => l.startsWith('s3: skipped'))).toEqual([
          expect.stringMatching(/^s3: skipped 3 unreadable entries in .*receipts: .*truncated or not JSON/),
        ]);
        expect((await fetch(`${second.stack.apiUrl}/config.json`)).status).toBe(200);
      } finally {
        second.s3.destroy();
        await second.stack.stop();
      }
    },
  );
});

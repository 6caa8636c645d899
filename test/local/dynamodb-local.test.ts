import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emptyWalDatabase,
  sharedDbFile,
  startDynamoDbLocal,
  useWriteAheadLog,
} from '#cli/local/dynamodb-local.ts';
import { findFreePort, isPortFree, listen } from '#cli/local/net.ts';
import { createServer } from 'node:net';

let dataDir = '';
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'claims-ddb-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function client(endpoint: string, region: string, accessKeyId: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey: 'x' } });
}

const waitUntil = async (check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
};

describe('startDynamoDbLocal', () => {
  it('serves one shared, persistent database and stops cleanly', { timeout: 120_000 }, async () => {
    const port = await findFreePort();
    const first = await startDynamoDbLocal({ port, dataDir });
    console.info(`DynamoDB Local answered after ${first.startupMs} ms (cold)`);
    expect(first.endpoint).toBe(`http://127.0.0.1:${port}`);
    const a = client(first.endpoint, 'us-east-1', 'AKIDONE');
    await a.send(
      new CreateTableCommand({
        TableName: 'claims',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await a.send(
      new PutItemCommand({ TableName: 'claims', Item: { pk: { S: 'CLAIM#1' }, v: { N: '8120' } } }),
    );
    a.destroy();
    // -sharedDb: another region and access key see the same table.
    const b = client(first.endpoint, 'ap-east-1', 'AKIDTWO');
    expect(
      (await b.send(new GetItemCommand({ TableName: 'claims', Key: { pk: { S: 'CLAIM#1' } } }))).Item?.v,
    ).toEqual({ N: '8120' });
    b.destroy();
    await Promise.all([first.stop(), first.stop()]);
    await first.stop();
    expect(await isPortFree(port, '0.0.0.0')).toBe(true);

    const second = await startDynamoDbLocal({ port, dataDir });
    console.info(`DynamoDB Local answered after ${second.startupMs} ms (restart, existing data)`);
    const c = client(second.endpoint, 'eu-west-1', 'AKIDTHREE');
    try {
      expect(
        (await c.send(new GetItemCommand({ TableName: 'claims', Key: { pk: { S: 'CLAIM#1' } } }))).Item?.v,
      ).toEqual({
        N: '8120',
      });
    } finally {
      c.destroy();
      await second.stop();
    }
  });

  it('says how to install Java when it is missing', async () => {
    const port = await findFreePort();
    await expect(startDynamoDbLocal({ port, dataDir, java: '/nonexistent/bin/java' })).rejects.toThrow(
      /apt-get install -y openjdk-17-jre-headless/,
    );
    expect(await isPortFree(port)).toBe(true);
  });

  it('refuses a port that is already taken', async () => {
    const squatter = createServer();
    const port = await listen(squatter, 0, '127.0.0.1');
    try {
      await expect(startDynamoDbLocal({ port, dataDir })).rejects.toThrow(/already in use/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('does not outlive a parent that is killed with SIGKILL', { timeout: 120_000 }, async () => {
    const port = await findFreePort();
    const parent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures', 'start-dynamodb-then-hang.ts'),
        String(port),
        dataDir,
      ],
      { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const lines = createInterface({ input: parent.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      expect(line).toBe(`ready http://127.0.0.1:${port}`);
      expect(await isPortFree(port, '0.0.0.0')).toBe(false);
      parent.kill('SIGKILL');
      await once(parent, 'exit');
      expect(await waitUntil(() => isPortFree(port, '0.0.0.0'), 15_000)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('useWriteAheadLog', () => {
  const header = async (dir: string) => (await readFile(join(dir, sharedDbFile))).subarray(0, 20);

  it('gives a new data dir an empty database in WAL mode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-wal-'));
    try {
      expect(await useWriteAheadLog(dir)).toBe('created');
      const bytes = await header(dir);
      expect(bytes.toString('latin1', 0, 16)).toBe('SQLite format 3\0');
      expect([bytes[18], bytes[19]]).toEqual([2, 2]);
      // Idempotent: a database already in WAL mode is left alone.
      expect(await useWriteAheadLog(dir)).toBe('unchanged');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('switches a rollback-journal database, unless a hot journal waits to be rolled back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-wal-'));
    try {
      const legacy = emptyWalDatabase();
      legacy[18] = 1;
      legacy[19] = 1;
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, sharedDbFile), legacy);
      await writeFile(join(dir, `${sharedDbFile}-journal`), 'hot');
      expect(await useWriteAheadLog(dir)).toBe('unchanged');
      expect([(await header(dir))[18], (await header(dir))[19]]).toEqual([1, 1]);
      await rm(join(dir, `${sharedDbFile}-journal`));
      expect(await useWriteAheadLog(dir)).toBe('switched');
      expect([(await header(dir))[18], (await header(dir))[19]]).toEqual([2, 2]);
      // Not a database: never touched.
      await writeFile(join(dir, sharedDbFile), 'not sqlite at all, just some text here');
      expect(await useWriteAheadLog(dir)).toBe('unchanged');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

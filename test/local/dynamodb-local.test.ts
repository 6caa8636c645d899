import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emptyWalDatabase,
  sharedDbFile,
  startDynamoDbLocal,
  useWriteAheadLog,
  walInUse,
} from '#cli/local/dynamodb-local.ts';
import { localCredentials } from '#cli/local/credentials.ts';
import { checkpointClass, launcherClass } from '#cli/local/dynamodb-launcher.ts';
import { withRequestGate } from '#functions/adapters/handler-deps.ts';
import { findFreePort, isPortFree, listen } from '#cli/local/net.ts';
import { connect, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';

let dataDir = '';
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'claims-ddb-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function client(
  endpoint: string,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string } = localCredentials,
  extra: Partial<DynamoDBClientConfig> = {},
): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: { ...credentials }, ...extra });
}

const waitUntil = async (check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
};

/** Processes (other than this one) whose command line mentions `text`, with their executable. */
async function processesMentioning(text: string): Promise<{ pid: number; command: string }[]> {
  const found: { pid: number; command: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (argv.some((arg) => arg.includes(text))) found.push({ pid: Number(entry), command: argv[0] ?? '' });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

const isRunning = async (pid: number): Promise<boolean> => {
  try {
    // A zombie has exited: only its parent's bookkeeping is left.
    return !/^State:\s+Z/m.test(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

describe('startDynamoDbLocal', () => {
  it('serves one shared, persistent database and stops cleanly', { timeout: 120_000 }, async () => {
    const port = await findFreePort();
    const first = await startDynamoDbLocal({ port, dataDir });
    console.info(`DynamoDB Local answered after ${first.startupMs} ms (cold)`);
    expect(first.endpoint).toBe(`http://127.0.0.1:${port}`);
    const a = client(first.endpoint, 'us-east-1');
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
    // -sharedDb: another region sees the same table.
    const b = client(first.endpoint, 'ap-east-1');
    expect(
      (await b.send(new GetItemCommand({ TableName: 'claims', Key: { pk: { S: 'CLAIM#1' } } }))).Item?.v,
    ).toEqual({ N: '8120' });
    b.destroy();
    await Promise.all([first.stop(), first.stop()]);
    await first.stop();
    expect(await isPortFree(port, '0.0.0.0')).toBe(true);

    const second = await startDynamoDbLocal({ port, dataDir });
    console.info(`DynamoDB Local answered after ${second.startupMs} ms (restart, existing data)`);
    const c = client(second.endpoint, 'eu-west-1');
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

  it.runIf(process.platform === 'linux')(
    'runs the JVM as its only process, which exits when the stack lets go of its stdin',
    { timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'claims-ddb-alone-'));
      const db = await startDynamoDbLocal({ port: await findFreePort(), dataDir: dir });
      try {
        // No watchdog process in between (it cost a Node process's memory): the JVM alone.
        const serving = await processesMentioning(dir);
        expect(serving.map((p) => p.command)).toEqual([expect.stringMatching(/(^|\/)java$/)]);
        const jvm = serving[0]?.pid ?? 0;
        await db.stop();
        expect(await waitUntil(async () => !(await isRunning(jvm)), 15_000)).toBe(true);
        expect(await isPortFree(db.jvmPort, '0.0.0.0')).toBe(true);
      } finally {
        await db.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

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
      const [, endpoint, jvmPort] = line.split(' ');
      expect(endpoint).toBe(`http://127.0.0.1:${port}`);
      expect(await isPortFree(port, '0.0.0.0')).toBe(false);
      expect(await isPortFree(Number(jvmPort), '0.0.0.0')).toBe(false);
      parent.kill('SIGKILL');
      await once(parent, 'exit');
      // The proxy died with its process; the JVM must not outlive it either.
      expect(await waitUntil(() => isPortFree(Number(jvmPort), '0.0.0.0'), 15_000)).toBe(true);
      expect(await isPortFree(port, '0.0.0.0')).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('DynamoDB Local access', () => {
  let db: Awaited<ReturnType<typeof startDynamoDbLocal>>;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'claims-ddb-access-'));
    db = await startDynamoDbLocal({ port: await findFreePort(), dataDir: dir });
  });
  afterAll(async () => {
    await db?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const failure = async (pending: Promise<unknown>) => {
    try {
      await pending;
    } catch (error) {
      const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
      return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
    }
    throw new Error('expected the request to fail');
  };

  it('answers only requests signed with the local key', async () => {
    const good = client(db.endpoint, 'ap-east-1');
    expect((await good.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    good.destroy();
    const cases: [DynamoDBClient, string][] = [
      [
        client(
          db.endpoint,
          'us-east-1',
          { accessKeyId: 'AKIDANYONE', secretAccessKey: 'x' },
          { maxAttempts: 1 },
        ),
        'UnrecognizedClientException',
      ],
      [
        client(
          db.endpoint,
          'us-east-1',
          { accessKeyId: 'S3RVER', secretAccessKey: 'guess' },
          { maxAttempts: 1 },
        ),
        'InvalidSignatureException',
      ],
    ];
    for (const [other, name] of cases) {
      expect(await failure(other.send(new ListTablesCommand({})))).toMatchObject({ name, status: 400 });
      other.destroy();
    }
    // Changed after signing: the body no longer matches the signed hash.
    const tampering = client(db.endpoint, 'us-east-1', localCredentials, { maxAttempts: 1 });
    tampering.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { body: string }).body = '{"Limit":2}';
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'tamper' },
    );
    expect(await failure(tampering.send(new ListTablesCommand({ Limit: 1 })))).toMatchObject({
      name: 'InvalidSignatureException',
    });
    tampering.destroy();
    const unsigned = await fetch(db.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.text()).toContain('MissingAuthenticationTokenException');
  });

  it('refuses requests more than 15 minutes off our clock; the SDK corrects its clock and retries', async () => {
    const skewed = { systemClockOffset: -20 * 60_000 };
    const once = client(db.endpoint, 'us-east-1', localCredentials, { ...skewed, maxAttempts: 1 });
    expect(await failure(once.send(new ListTablesCommand({})))).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringContaining('Signature expired'),
    });
    once.destroy();
    const retrying = client(db.endpoint, 'us-east-1', localCredentials, skewed);
    expect((await retrying.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    retrying.destroy();
  });

  it('does not serve browsers (CORS preflight, Origin)', async () => {
    const preflight = await fetch(db.endpoint, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const fromPage = await fetch(db.endpoint, {
      method: 'POST',
      headers: { origin: 'http://evil.example' },
      body: '{}',
    });
    expect(fromPage.status).toBe(403);
  });

  it('listens on 127.0.0.1 only, the JVM included', async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!address) return; // no other interface to try from
    const reach = (port: number) =>
      new Promise<string>((resolvePromise) => {
        const socket = connect({ host: address, port });
        socket.once('connect', () => {
          socket.destroy();
          resolvePromise('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolvePromise(error.code ?? 'error'));
      });
    expect(db.jvmPort).not.toBe(db.port);
    expect(await reach(db.jvmPort)).toBe('ECONNREFUSED');
    expect(await reach(db.port)).toBe('ECONNREFUSED');
  });

  it(
    'keeps its write-ahead log short under load without refusing a request, and folds it away before the next start',
    { timeout: 180_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'claims-wal-fold-'));
      const dbFile = join(dir, 'dynamodb', sharedDbFile);
      const walBytes = () =>
        stat(`${dbFile}-wal`).then(
          (s) => s.size,
          () => 0,
        );
      try {
        const limit = 2 * 1024 * 1024;
        const db = await startDynamoDbLocal({
          port: await findFreePort(),
          dataDir: dir,
          walLimitBytes: limit,
          walCheckMs: 100,
        });
        // One try each: a request DynamoDB Local refused while the log was folded would fail here.
        const c = client(db.endpoint, 'us-east-1', localCredentials, { maxAttempts: 1 });
        await c.send(
          new CreateTableCommand({
            TableName: 'claims',
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          }),
        );
        // The local runtime's handlers talk to the JVM itself, through the same gate.
        const direct = withRequestGate(
          client(`http://127.0.0.1:${db.jvmPort}`, 'us-east-1', localCredentials, { maxAttempts: 1 }),
          db.gate,
        );
        let largest = 0;
        const writers = Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 150; i++) {
            await (w % 2 === 0 ? c : direct).send(
              new PutItemCommand({
                TableName: 'claims',
                Item: { pk: { S: `W${w}#${i}` }, v: { S: 'x'.repeat(400) } },
              }),
            );
            largest = Math.max(largest, await walBytes());
          }
        });
        await Promise.all(writers);
        // 1,200 writes are about 18 MB of log; folded at 2 MB it stays a few MB.
        expect(db.walCheckpoints()).toBeGreaterThan(0);
        // Once folded, an idle log is left alone (not folded again on every look).
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const folded = db.walCheckpoints();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(db.walCheckpoints()).toBe(folded);
        expect(largest).toBeLessThan(4 * limit);
        expect(await walInUse(dbFile)).toBeLessThan(4 * limit);
        c.destroy();
        direct.destroy();
        await db.stop();
        expect(await walBytes()).toBeGreaterThan(0);

        const again = await startDynamoDbLocal({ port: await findFreePort(), dataDir: dir });
        try {
          expect(await walBytes()).toBe(0);
          const r = client(again.endpoint, 'us-east-1');
          for (const key of ['W0#0', 'W7#149', 'W3#75'])
            expect(
              (await r.send(new GetItemCommand({ TableName: 'claims', Key: { pk: { S: key } } }))).Item?.v,
            ).toEqual({ S: 'x'.repeat(400) });
          r.destroy();
        } finally {
          await again.stop();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('holds requests during a pause and counts every one out, even a client that gave up waiting', async () => {
    const db = await startDynamoDbLocal({ port: await findFreePort(), dataDir });
    try {
      const c = client(db.endpoint, 'us-east-1', localCredentials, { maxAttempts: 1 });
      await c.send(new ListTablesCommand({}));
      let answered = false;
      const impatient = new AbortController();
      let waiting: Promise<unknown> = Promise.resolve();
      let gaveUp: Promise<unknown> = Promise.resolve();
      await db.gate.paused(async () => {
        waiting = c.send(new ListTablesCommand({})).then(() => (answered = true));
        gaveUp = c.send(new ListTablesCommand({}), { abortSignal: impatient.signal }).catch(() => 'aborted');
        await new Promise((resolve) => setTimeout(resolve, 300));
        impatient.abort();
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(answered).toBe(false);
      });
      await waiting;
      expect(await gaveUp).toBe('aborted');
      expect(answered).toBe(true);
      expect(await waitUntil(async () => db.gate.inFlight === 0, 5000)).toBe(true);
      c.destroy();
    } finally {
      await db.stop();
    }
  });

  it('generates Java 8 class files for the launcher and the log checkpoint', () => {
    const checkpoint = checkpointClass();
    expect(checkpoint.readUInt32BE(0)).toBe(0xcafebabe);
    expect(checkpoint.readUInt16BE(6)).toBe(52);
    expect(checkpoint.includes(Buffer.from('PRAGMA wal_checkpoint(RESTART)'))).toBe(true);
  });

  it('generates a Java 8 class file (version 52) for the launcher', () => {
    const bytes = launcherClass();
    expect(bytes.readUInt32BE(0)).toBe(0xcafebabe);
    expect(bytes.readUInt16BE(6)).toBe(52);
    expect(bytes.includes(Buffer.from('127.0.0.1'))).toBe(true);
    expect(() => launcherClass('0.0.0.0; rm')).toThrow();
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

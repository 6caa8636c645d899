// DynamoDB Local (the jar shipped in amplify-dynamodb-simulator) on the machine's Java, with its
// data on disk under <dataDir>/dynamodb so claims survive a restart.
//
// The tables hold names, ID numbers and bank accounts, and DynamoDB Local takes any credentials
// and has no option for the address it listens on (it binds every interface). So:
// - the JVM is started through a generated launcher class (dynamodb-launcher.ts) that binds its
//   Jetty connector to 127.0.0.1, on an internal port (`jvmPort`): nothing on another interface
//   can reach it (processes on this machine still can);
// - clients get the port they asked for, served on 127.0.0.1 by a proxy (dynamodb-proxy.ts) that
//   only forwards requests SigV4-signed with the local key (credentials.ts, the same key as the S3
//   emulator: `AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER`, any region).
// The database runs with a write-ahead log (useWriteAheadLog), which DynamoDB Local never
// checkpoints: left alone the log keeps every page ever written (about 15 KB a write, gigabytes
// for a county's roster). A small separate JVM (checkpointClass) folds it into the database once
// the log in use passes `walLimitBytes`, while every request waits at a gate (request-gate.ts), so
// the file stays about that size; and before each start, when nothing else has the database open, which removes
// the log.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { commandNotFoundExitCode, spawnWatched } from '#cli/local/child-process.ts';
import { localCredentials, type LocalCredentials } from '#cli/local/credentials.ts';
import {
  checkpointClass,
  checkpointClassName,
  launcherClass,
  launcherClassName,
} from '#cli/local/dynamodb-launcher.ts';
import { startDynamoDbProxy, type DynamoDbProxy } from '#cli/local/dynamodb-proxy.ts';
import { findFreePort } from '#cli/local/net.ts';
import { RequestGate } from '#cli/local/request-gate.ts';

export interface DynamoDbLocalOptions {
  /** Where clients connect (127.0.0.1); 0 picks a free port. */
  readonly port: number;
  /** Tables live in <dataDir>/dynamodb/shared-local-instance.db. */
  readonly dataDir: string;
  /** Java executable; default `java` on PATH. */
  readonly java?: string;
  /** JVM flags before -jar; the default trades a little start-up time for throughput. */
  readonly jvmArgs?: readonly string[];
  /** Give up waiting for the first answer after this long. Default 60 s. */
  readonly startTimeoutMs?: number;
  /** The key requests must be signed with; default the local key (credentials.ts). */
  readonly credentials?: LocalCredentials;
  readonly onLog?: (line: string) => void;
  /** Fold the write-ahead log into the database once it is larger than this; default 256 MiB. */
  readonly walLimitBytes?: number;
  /** How often the log's size is looked at; default 2 s. */
  readonly walCheckMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_DYNAMODB; requests must be signed with the local key. */
  readonly endpoint: string;
  readonly port: number;
  /** DynamoDB Local's own port on 127.0.0.1, behind the signature check; not for clients. */
  readonly jvmPort: number;
  /** Milliseconds from spawn to the first ListTables answer. */
  readonly startupMs: number;
  /**
   * Where requests wait while the write-ahead log is checkpointed. Requests through the endpoint
   * pass it already; a client of `jvmPort` must too (withRequestGate), or it may be refused then.
   */
  readonly gate: RequestGate;
  /** Times the write-ahead log was folded into the database since the start. */
  walCheckpoints(): number;
  /** Stops the proxy and the JVM (SIGTERM, then SIGKILL); safe to call twice. */
  stop(): Promise<void>;
}

// The serial collector: one small heap, no collector threads competing with the rest of the
// stack for two cores. Full tiered compilation (C2 as well as C1): it starts about 0.4 s later
// than C1 alone (-XX:TieredStopAtLevel=1), but once warm it spends some 20% less CPU per
// request, which is what a claims run is bound by. A bounded heap that gives back what it does
// not use: by default the JVM starts at 1/64 of the machine's memory and grows toward 1/4 of it,
// while DynamoDB Local keeps only requests' worth of objects (its tables live in SQLite, off the
// heap). A fixed 48 MB young generation keeps minor collections as rare as with the default; the
// cap still leaves room for dozens of 1 MB query pages at once. Measured: peak RSS 320 -> 260 MiB
// over 80,000 writes, at the same rate.
export const defaultJvmArgs: readonly string[] = [
  '-XX:+UseSerialGC',
  '-Xmn48m',
  '-Xms64m',
  '-Xmx256m',
  '-XX:MinHeapFreeRatio=10',
  '-XX:MaxHeapFreeRatio=30',
];

export const javaInstallHint =
  'DynamoDB Local needs Java 11 or newer: install it with `apt-get install -y openjdk-17-jre-headless` ' +
  '(macOS: `brew install openjdk@17`), or pass the path to java.';

/** The folder holding DynamoDBLocal.jar and DynamoDBLocal_lib. */
export function emulatorDirectory(): string {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDBLocal.jar is missing from ${dir}; reinstall with npm ci`);
  }
  return dir;
}

/** The one database file DynamoDB Local keeps with -sharedDb. */
export const sharedDbFile = 'shared-local-instance.db';

const sqliteMagic = 'SQLite format 3\0';
const walPageSize = 4096;

/**
 * An empty SQLite database (one page, no tables) whose header says WAL journal mode. SQLite keeps
 * the journal mode in the file (header bytes 18 and 19: 1 rollback journal, 2 write-ahead log),
 * so DynamoDB Local, which never sets it, opens this file in WAL mode.
 */
export function emptyWalDatabase(): Buffer {
  const page = Buffer.alloc(walPageSize);
  page.write(sqliteMagic, 0, 'latin1');
  page.writeUInt16BE(walPageSize, 16);
  page[18] = 2; // file format write version: WAL
  page[19] = 2; // file format read version: WAL
  page[21] = 64; // maximum embedded payload fraction (fixed)
  page[22] = 32; // minimum embedded payload fraction (fixed)
  page[23] = 32; // leaf payload fraction (fixed)
  page.writeUInt32BE(1, 24); // file change counter
  page.writeUInt32BE(1, 28); // database size in pages
  page.writeUInt32BE(1, 92); // version-valid-for: the change counter above
  page.writeUInt32BE(3_008_007, 96); // written by SQLite 3.8.7, the version in sqlite4java
  page[100] = 0x0d; // page 1 is the (empty) schema table: a table b-tree leaf with no cells
  page.writeUInt16BE(walPageSize, 105); // cell content area starts at the end of the page
  return page;
}

/**
 * Puts DynamoDB Local's SQLite database in write-ahead-log mode before the JVM opens it. With the
 * default rollback journal every write is four fsyncs (journal, directory, database, journal
 * header); with the log it is one, and a commit is as durable as before: SQLite's default
 * synchronous=FULL syncs the log on every commit, and a kill -9 or power cut leaves a log that the
 * next open replays. A new data dir gets an empty WAL database; an existing one has its header
 * switched, unless a hot rollback journal says the last run died mid-write (SQLite must roll that
 * back first; the switch then happens on the next start).
 */
export async function useWriteAheadLog(dbPath: string): Promise<'created' | 'switched' | 'unchanged'> {
  const file = join(dbPath, sharedDbFile);
  let handle;
  try {
    // 'wx': create only if absent, so an existing database is never overwritten.
    handle = await open(file, 'wx');
    try {
      await handle.writeFile(emptyWalDatabase());
      await handle.sync();
    } finally {
      await handle.close();
    }
    return 'created';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (existsSync(`${file}-journal`)) return 'unchanged';
  handle = await open(file, 'r+');
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, 20, 0);
    // An empty file is a database SQLite has not written yet: give it the WAL image.
    if (bytesRead === 0) {
      await handle.writeFile(emptyWalDatabase());
      await handle.sync();
      return 'created';
    }
    if (bytesRead < 20 || header.toString('latin1', 0, 16) !== sqliteMagic) return 'unchanged';
    if (header[18] !== 1 || header[19] !== 1) return 'unchanged';
    await handle.write(Buffer.from([2, 2]), 0, 2, 18);
    await handle.sync();
    return 'switched';
  } finally {
    await handle.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * Folds the write-ahead log into the database and restarts it, in a JVM of its own
 * (checkpointClass): it first copies what it can while requests go on, then `quiet` runs the last
 * pass with requests held back, so DynamoDB Local (which does not wait on a busy database) never
 * finds it locked.
 */
async function checkpointWal(options: {
  readonly java: string;
  readonly emulator: string;
  /** Where checkpointClass's file is. */
  readonly classDir: string;
  readonly dbFile: string;
  readonly quiet: (work: () => Promise<void>) => Promise<void>;
  /** For the last pass, with requests held; default 2 min. The first pass may copy gigabytes. */
  readonly timeoutMs?: number;
}): Promise<void> {
  const lib = join(options.emulator, 'DynamoDBLocal_lib');
  const child = spawn(
    options.java,
    [
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      `-Djava.library.path=${lib}`,
      '-cp',
      `${options.classDir}${process.platform === 'win32' ? ';' : ':'}${join(lib, 'sqlite4java.jar')}`,
      checkpointClassName,
      options.dbFile,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  let stdout = '';
  const exited = new Promise<number | null>((done) => {
    child.once('exit', (code) => done(code));
    child.once('error', () => done(null));
  });
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  // A JVM gone before it read its line: its exit status says so below.
  child.stdin.on('error', () => undefined);
  const kill = () => child.kill('SIGKILL');
  let timer = setTimeout(kill, 60 * 60_000);
  try {
    const ready = await new Promise<boolean>((done) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        if (/ready\r?\n/.test(stdout)) done(true);
      });
      void exited.then(() => done(false));
    });
    if (ready)
      await options.quiet(async () => {
        clearTimeout(timer);
        timer = setTimeout(kill, options.timeoutMs ?? 120_000);
        child.stdin.end('\n');
        await exited;
      });
    else child.stdin.destroy();
    const code = await exited;
    if (code !== 0) {
      const tail = output.join('').trim().split('\n').slice(-3).join(' | ');
      throw new Error(
        code === 1 && !tail
          ? 'a reader kept the write-ahead log from restarting'
          : `the write-ahead log checkpoint exited with ${String(code)}${tail ? `: ${tail}` : ''}`,
      );
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Bytes of the write-ahead log not yet folded into the database: frames in the log (mxFrame, at
 * offset 16 of the shared-memory index; page size at 14, 1 meaning 65536) less those already
 * copied (nBackfill, at 96), in the machine's byte order. The file itself stays at its largest
 * size once the log restarts, and a folded log keeps its frame count until the next write
 * restarts it, so neither says anything alone. 0 when there is no index.
 */
export async function walInUse(dbFile: string): Promise<number> {
  const header = Buffer.alloc(100);
  try {
    const file = await open(`${dbFile}-shm`, 'r');
    try {
      if ((await file.read(header, 0, 100, 0)).bytesRead < 100) return 0;
    } finally {
      await file.close();
    }
  } catch {
    return 0;
  }
  const little = endianness() === 'LE';
  const page = little ? header.readUInt16LE(14) : header.readUInt16BE(14);
  const frames = little ? header.readUInt32LE(16) : header.readUInt32BE(16);
  const copied = little ? header.readUInt32LE(96) : header.readUInt32BE(96);
  return Math.max(0, frames - copied) * ((page === 1 ? 65_536 : page) + 24);
}

/** Marks the JVM's command line with the port clients use (for tools that look it up by port). */
export const endpointPortProperty = 'claims.dynamodb.endpoint-port';

export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const { port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid DynamoDB Local port ${port}`);
  const credentials = options.credentials ?? localCredentials;
  const emulator = emulatorDirectory();
  const dbPath = resolve(options.dataDir, 'dynamodb');
  await mkdir(dbPath, { recursive: true });
  await useWriteAheadLog(dbPath);
  const launcherDir = resolve(options.dataDir, 'dynamodb-launcher');
  await mkdir(launcherDir, { recursive: true });
  await writeFile(join(launcherDir, `${launcherClassName}.class`), launcherClass('127.0.0.1'));
  await writeFile(join(launcherDir, `${checkpointClassName}.class`), checkpointClass());
  const java = options.java ?? 'java';
  const log = options.onLog ?? ((): void => undefined);
  const dbFile = join(dbPath, sharedDbFile);
  const walSize = () =>
    stat(`${dbFile}-wal`).then(
      (s) => s.size,
      () => 0,
    );
  const fold = (quiet: (work: () => Promise<void>) => Promise<void>) =>
    checkpointWal({ java, emulator, classDir: launcherDir, dbFile, quiet });
  // A log left by the last run (stopped without closing its database, or killed): folded before
  // anything else opens the database. Best effort: a missing java is reported by the start below.
  if ((await walSize()) > 0) {
    await fold((work) => work()).catch((error: unknown) =>
      log(
        `dynamodb: the write-ahead log was not folded at start (${error instanceof Error ? error.message : String(error)})`,
      ),
    );
  }

  const jvmPort = await findFreePort('127.0.0.1');
  const gate = new RequestGate();
  let proxy: DynamoDbProxy;
  try {
    proxy = await startDynamoDbProxy({
      port,
      upstreamPort: jvmPort,
      credentials,
      gate,
      ...(options.onLog ? { onLog: options.onLog } : {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(`port ${port} is already in use; pick another --dynamodb-port`);
    throw error;
  }

  const args = [
    ...(options.jvmArgs ?? defaultJvmArgs),
    `-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`,
    `-D${endpointPortProperty}=${proxy.port}`,
    // The launcher first, then the jar (whose manifest brings DynamoDBLocal_lib).
    '-cp',
    `${launcherDir}${process.platform === 'win32' ? ';' : ':'}${join(emulator, 'DynamoDBLocal.jar')}`,
    launcherClassName,
    '-port',
    String(jvmPort),
    '-dbPath',
    dbPath,
    // One database for every access key and region, so handlers, CLI and tests see the same tables.
    '-sharedDb',
    // Nothing leaves the machine.
    '-disableTelemetry',
  ];
  const started = performance.now();
  const child = spawnWatched(java, args, {
    cwd: emulator,
    ...(options.onLog ? { onOutput: options.onLog } : {}),
  });
  const endpoint = `http://127.0.0.1:${proxy.port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { ...credentials },
    maxAttempts: 1,
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (child.hasExited()) {
        const code = await child.exited;
        if (code === commandNotFoundExitCode) {
          throw new Error(`java was not found (${options.java ?? 'java'}). ${javaInstallHint}`);
        }
        throw new Error(
          `DynamoDB Local exited with code ${String(code)} before it answered:\n${child.recentOutput().join('\n')}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2000) });
        break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} in time:\n${child.recentOutput().join('\n')}`,
        );
      }
      await sleep(100);
    }
  } catch (error) {
    await Promise.all([child.stop(), proxy.close()]);
    throw error;
  } finally {
    client.destroy();
  }
  const startupMs = Math.round(performance.now() - started);
  const walLimit = options.walLimitBytes ?? 256 * 1024 * 1024;
  let checkpoints = 0;
  let folding: Promise<void> | undefined;
  let quietUntil = 0;
  const keeper = setInterval(() => {
    if (folding || Date.now() < quietUntil) return;
    folding = (async () => {
      const before = await walInUse(dbFile);
      if (before <= walLimit) return;
      await fold((work) => gate.paused(work));
      checkpoints += 1;
      log(`dynamodb: write-ahead log folded into the database (${Math.round(before / 1048576)} MiB)`);
    })()
      .catch((error: unknown) => {
        // Tried again after a while, not on every tick.
        quietUntil = Date.now() + 60_000;
        log(
          `dynamodb: write-ahead log not folded (${error instanceof Error ? error.message : String(error)})`,
        );
      })
      .finally(() => {
        folding = undefined;
      });
  }, options.walCheckMs ?? 2000);
  keeper.unref();
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port: proxy.port,
    jvmPort,
    startupMs,
    gate,
    walCheckpoints: () => checkpoints,
    stop() {
      clearInterval(keeper);
      stopping ??= (async () => {
        await folding;
        await Promise.all([proxy.close(), child.stop()]);
      })();
      return stopping;
    },
  };
}

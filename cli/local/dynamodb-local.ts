// DynamoDB Local (the jar shipped in amplify-dynamodb-simulator) on the machine's Java, with its
// data on disk under <dataDir>/dynamodb so claims survive a restart.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { commandNotFoundExitCode, spawnWatched } from '#cli/local/child-process.ts';
import { isPortFree } from '#cli/local/net.ts';

export interface DynamoDbLocalOptions {
  readonly port: number;
  /** Tables live in <dataDir>/dynamodb/shared-local-instance.db. */
  readonly dataDir: string;
  /** Java executable; default `java` on PATH. */
  readonly java?: string;
  /** JVM flags before -jar; the default favours start-up time over peak throughput. */
  readonly jvmArgs?: readonly string[];
  /** Give up waiting for the first answer after this long. Default 60 s. */
  readonly startTimeoutMs?: number;
  readonly onLog?: (line: string) => void;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  readonly port: number;
  /** Milliseconds from spawn to the first ListTables answer. */
  readonly startupMs: number;
  /** Stops the JVM (SIGTERM, then SIGKILL); safe to call twice. */
  stop(): Promise<void>;
}

// C1-only JIT and the serial collector start the JVM about a second sooner; a local table store
// never needs C2's peak speed.
export const defaultJvmArgs: readonly string[] = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

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

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const { port } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`invalid DynamoDB Local port ${port}`);
  // DynamoDB Local cannot report a port it picked, and a busy port would make us talk to a stranger.
  if (!(await isPortFree(port, '0.0.0.0')))
    throw new Error(`port ${port} is already in use; pick another --dynamodb-port`);
  const emulator = emulatorDirectory();
  const dbPath = resolve(options.dataDir, 'dynamodb');
  await mkdir(dbPath, { recursive: true });

  const args = [
    ...(options.jvmArgs ?? defaultJvmArgs),
    `-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(emulator, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-dbPath',
    dbPath,
    // One database for every access key and region, so handlers, CLI and tests see the same tables.
    '-sharedDb',
  ];
  const started = performance.now();
  const child = spawnWatched(options.java ?? 'java', args, {
    cwd: emulator,
    ...(options.onLog ? { onOutput: options.onLog } : {}),
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
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
    await child.stop();
    throw error;
  } finally {
    client.destroy();
  }
  const startupMs = Math.round(performance.now() - started);
  return { endpoint, port, startupMs, stop: () => child.stop() };
}

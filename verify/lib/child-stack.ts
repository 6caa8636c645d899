// `claims start` as a child process on fixed ports and one data dir, so it can be killed with
// SIGKILL at any moment and started again on the same data, as an operator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { isPortFree } from '#cli/local/net.ts';

const bin = new URL('../../cli/bin.mjs', import.meta.url).pathname;

export interface ChildPorts {
  readonly api: number;
  readonly s3: number;
  readonly db: number;
}

export interface RunningChild {
  readonly process: ChildProcess;
  /** Everything the child printed (stdout and stderr). */
  readonly output: () => string;
  readonly exited: Promise<void>;
}

export function startChild(dataDir: string, ports: ChildPorts, timeoutMs = 90_000): Promise<RunningChild> {
  const proc = spawn(
    process.execPath,
    [
      bin,
      'start',
      '--data-dir',
      dataDir,
      '--port',
      String(ports.api),
      '--s3-port',
      String(ports.s3),
      '--dynamodb-port',
      String(ports.db),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' } },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`claims start did not get ready in ${timeoutMs} ms: ${out.slice(-500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready: ')) {
        clearTimeout(timer);
        resolve({ process: proc, output: () => out, exited });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`claims start exited ${code}: ${out.slice(-500)}`));
    });
  });
}

/** SIGKILL, then wait until the child and its DynamoDB Local have let go of every port. */
export async function killHard(child: RunningChild, ports: ChildPorts): Promise<void> {
  child.process.kill('SIGKILL');
  await child.exited;
  const deadline = Date.now() + 30_000;
  for (const port of [ports.db, ports.s3, ports.api]) {
    while (!(await isPortFree(port, '0.0.0.0'))) {
      if (Date.now() > deadline) throw new Error(`port ${port} stayed busy after kill -9`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// Spawns a long-running helper (DynamoDB Local's JVM) so that it never outlives us: a tiny Node
// watchdog sits between us and the child and kills it when our end of its stdin pipe closes,
// which the kernel does however we die (crash, SIGKILL, OOM), or when it is re-parented.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const watchdogSource = `
const { spawn } = require('node:child_process');
const { command, args, cwd, graceMs } = JSON.parse(process.argv[1]);
const parent = process.ppid;
let child;
try {
  child = spawn(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
} catch (error) {
  process.stderr.write('watchdog: cannot start ' + command + ': ' + error.message + '\\n');
  process.exit(126);
}
let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
}
child.on('error', (error) => {
  process.stderr.write('watchdog: cannot start ' + command + ': ' + error.code + '\\n');
  process.exit(error.code === 'ENOENT' ? 127 : 126);
});
child.on('exit', (code, signal) => process.exit(code === null ? (stopping ? 0 : 1) : code));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stop);
setInterval(() => { if (process.ppid !== parent) stop(); }, 1000).unref();
`;

/** Exit code the watchdog uses when the command does not exist. */
export const commandNotFoundExitCode = 127;

export interface WatchedProcess {
  readonly pid: number;
  /** Resolves with the exit code once the watchdog (and with it the child) has exited. */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  /** The last lines the child wrote to stdout/stderr, for error messages. */
  recentOutput(): string[];
  /** Asks the child to stop (SIGTERM, then SIGKILL after the grace period); safe to call twice. */
  stop(): Promise<void>;
}

export interface SpawnWatchedOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** How long the child gets between SIGTERM and SIGKILL. Default 5 s. */
  readonly graceMs?: number;
  readonly onOutput?: (line: string) => void;
}

export function spawnWatched(
  command: string,
  args: readonly string[],
  options: SpawnWatchedOptions = {},
): WatchedProcess {
  const graceMs = options.graceMs ?? 5000;
  const env = { ...(options.env ?? process.env) };
  // The watchdog is plain JavaScript: keep test runners' and tsx's loaders out of it.
  delete env.NODE_OPTIONS;
  const detached = process.platform !== 'win32';
  const watchdog: ChildProcess = spawn(
    process.execPath,
    ['-e', watchdogSource, JSON.stringify({ command, args, cwd: options.cwd, graceMs })],
    { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached, windowsHide: true },
  );
  const recent: string[] = [];
  const remember = (line: string): void => {
    recent.push(line);
    if (recent.length > 50) recent.shift();
    options.onOutput?.(line);
  };
  if (watchdog.stdout) createInterface({ input: watchdog.stdout }).on('line', remember);
  if (watchdog.stderr) createInterface({ input: watchdog.stderr }).on('line', remember);
  // A broken stdin pipe just means the watchdog is gone; 'exit' reports that.
  watchdog.stdin?.on('error', () => undefined);

  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    watchdog.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
    watchdog.once('error', (error) => {
      remember(`cannot start the watchdog: ${error.message}`);
      exitCode = null;
      resolve(null);
    });
  });

  const killGroup = (): void => {
    try {
      if (detached && watchdog.pid !== undefined) process.kill(-watchdog.pid, 'SIGKILL');
      else watchdog.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  };

  let stopping: Promise<void> | undefined;
  return {
    pid: watchdog.pid ?? -1,
    exited,
    hasExited: () => exitCode !== undefined,
    recentOutput: () => [...recent],
    stop() {
      stopping ??= (async () => {
        if (exitCode === undefined) {
          watchdog.stdin?.end();
          const timer = setTimeout(killGroup, graceMs + 2000);
          await exited;
          clearTimeout(timer);
        }
        // Kill stragglers in the group (a child that ignored SIGTERM after the watchdog died).
        killGroup();
      })();
      return stopping;
    },
  };
}

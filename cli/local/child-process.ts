// Spawns a long-running helper (DynamoDB Local's JVM) so that it never outlives us. The helper
// gets the read end of a pipe as its stdin and must exit when it reads end-of-file there (the JVM's
// launcher class does): the kernel closes our end however we die (crash, SIGKILL, OOM). Before,
// a Node watchdog process sat between us and the child to do the same, at 43 MiB of memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Exit code reported when the command does not exist (as a shell does). */
export const commandNotFoundExitCode = 127;

export interface WatchedProcess {
  readonly pid: number;
  /** Resolves with the exit code once the child has exited (null when a signal ended it unhandled). */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  /** The last lines the child wrote to stdout/stderr, for error messages. */
  recentOutput(): string[];
  /** Closes the child's stdin and sends SIGTERM, then SIGKILL after the grace period; safe to call twice. */
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
  // Its own process group: a Ctrl-C in the terminal reaches us, and we stop it in order.
  const detached = process.platform !== 'win32';
  const recent: string[] = [];
  const remember = (line: string): void => {
    recent.push(line);
    if (recent.length > 50) recent.shift();
    options.onOutput?.(line);
  };
  /** Notes why the child could not start; the exit code a shell would give. */
  const startFailed = (error: NodeJS.ErrnoException): number => {
    remember(`cannot start ${command}: ${error.code ?? error.message}`);
    return error.code === 'ENOENT' ? commandNotFoundExitCode : 126;
  };
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached,
      windowsHide: true,
    });
  } catch (error) {
    // Some failures (a path through a file, an argument with a NUL) throw instead of 'error'.
    const code = startFailed(error as NodeJS.ErrnoException);
    return {
      pid: -1,
      exited: Promise.resolve(code),
      hasExited: () => true,
      recentOutput: () => [...recent],
      stop: () => Promise.resolve(),
    };
  }
  if (child.stdout) createInterface({ input: child.stdout }).on('line', remember);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', remember);
  // A broken stdin pipe just means the child is gone; 'exit' reports that.
  child.stdin?.on('error', () => undefined);

  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Only a failed spawn lands here before 'exit'; a later kill error is ignored.
      if (exitCode !== undefined || child.pid !== undefined) return;
      exitCode = startFailed(error);
      resolve(exitCode);
    });
  });

  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (detached && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // Already gone.
    }
  };

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    exited,
    hasExited: () => exitCode !== undefined,
    recentOutput: () => [...recent],
    stop() {
      stopping ??= (async () => {
        // Once it has exited its pid and group may belong to another process: no signal then.
        if (exitCode !== undefined) return;
        child.stdin?.end();
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

// Executions as Step Functions keeps them: status, dates, output or error and cause, and the
// names a STANDARD machine has used (taken for 90 days). With a state file they outlive a restart:
// finished ones stay describable, running ones resume at the top-level state they were in.
// Left out: execution history (GetExecutionHistory), redrive, map runs; EXPRESS executions are
// kept in memory only (AWS keeps none).
import '#cli/local/promise-with-resolvers.ts'; // must run before the library is loaded
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } from 'aws-local-stepfunctions';
import type { CompiledMachine } from '#cli/local/step-functions/definitions.ts';
import type { ExecutionDescription, ExecutionStatus, Json } from '#cli/local/step-functions/model.ts';
import { TokenSource } from '#cli/local/step-functions/task-tokens.ts';

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly machine: CompiledMachine;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  abort?: () => void;
  readonly done: Promise<void>;
  readonly markDone: () => void;
  readonly tokenSource: TokenSource;
  /** Rejecters of Task promises the library is waiting on; settled when the execution closes. */
  readonly inFlight: Set<(error: Error) => void>;
  readonly tokens: Set<string>;
  /** The top-level state last entered and its input: where a restart picks the execution up. */
  resume?: { readonly state: string; readonly input: Json };
  /** The instant the top-level state last given one falls due (a Wait's end, a token's timeout). */
  due?: SavedDue;
  /** Loaded with `resume`: the instant the state it resumes at was due at before the restart. */
  resumedDue?: SavedDue | undefined;
  /** This record as it stands in the state file, kept until the record changes again. */
  persisted?: string;
}

export interface SavedDue {
  readonly state: string;
  /** ISO 8601, on the service's clock. */
  readonly at: string;
}

export interface PersistedExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: string;
  readonly status: ExecutionStatus;
  readonly stopDate?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly resume?: { readonly state: string; readonly input: Json };
  readonly due?: SavedDue;
}

/** STANDARD execution names stay taken for 90 days on AWS; older finished records are dropped. */
const keepFinishedMs = 90 * 24 * 3600 * 1000;
/**
 * Finished EXPRESS executions stay describable in memory for this many more (AWS keeps none: it
 * has no DescribeExecution for them); older ones are let go, so a long run does not grow forever.
 */
export const keepFinishedExpress = 10_000;

export function newRecord(fields: {
  executionArn: string;
  machine: CompiledMachine;
  name: string;
  input: string;
  startDate: Date;
}): ExecutionRecord {
  let markDone!: () => void;
  const done = new Promise<void>((resolve) => (markDone = resolve));
  return {
    ...fields,
    status: 'RUNNING',
    done,
    markDone,
    tokenSource: new TokenSource(),
    inFlight: new Set(),
    tokens: new Set(),
  };
}

export function failureOf(error: unknown): [ExecutionStatus, { error?: string; cause?: string }] {
  if (error instanceof ExecutionAbortedError) return ['ABORTED', {}];
  if (error instanceof ExecutionTimeoutError) return ['TIMED_OUT', { error: 'States.Timeout' }];
  const inner = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (!(inner instanceof Error)) return ['FAILED', { error: 'States.Runtime', cause: String(inner) }];
  // A Fail state without Error/Cause: AWS reports neither; the library invents placeholders.
  const name = inner.name === 'FailStateError' ? undefined : inner.name;
  const cause = inner.message === 'Execution failed because of a Fail state' ? undefined : inner.message;
  return [
    'FAILED',
    { ...(name !== undefined ? { error: name } : {}), ...(cause !== undefined ? { cause } : {}) },
  ];
}

export function describe(record: ExecutionRecord): ExecutionDescription {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.machine.arn,
    name: record.name,
    status: record.status,
    startDate: record.startDate,
    ...(record.stopDate ? { stopDate: record.stopDate } : {}),
    input: record.input,
    ...(record.output !== undefined ? { output: record.output } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
}

/**
 * The JSON file behind `stateFile`: written whole (then renamed into place) a moment after a burst
 * of changes, never half-written. Without a file, `records` is still kept and nothing is written.
 */
export class StateFile {
  /** What the file holds: running executions and finished STANDARD ones. */
  readonly records = new Set<ExecutionRecord>();
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** Set by close(): later in-memory changes (the aborts) must not reach the file. */
  private frozen = false;
  private directoryReady = false;

  constructor(
    private readonly file: string | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** The executions saved last time; none if there is no file yet. */
  read(): PersistedExecution[] {
    if (!this.file) return [];
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return (JSON.parse(text) as { executions?: PersistedExecution[] }).executions ?? [];
  }

  private snapshot(): string {
    const now = Date.now();
    const executions: string[] = [];
    // Finished EXPRESS executions have nothing left to protect and are not in `durable`.
    for (const r of this.records) {
      // Old STANDARD names free up.
      if (r.status !== 'RUNNING' && now - (r.stopDate?.getTime() ?? now) > keepFinishedMs) continue;
      // Only records that changed since the last save are serialised again.
      r.persisted ??= JSON.stringify({
        executionArn: r.executionArn,
        stateMachineArn: r.machine.arn,
        name: r.name,
        input: r.input,
        startDate: r.startDate.toISOString(),
        status: r.status,
        ...(r.stopDate ? { stopDate: r.stopDate.toISOString() } : {}),
        ...(r.output !== undefined ? { output: r.output } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.cause !== undefined ? { cause: r.cause } : {}),
        ...(r.status === 'RUNNING' && r.resume ? { resume: r.resume } : {}),
        ...(r.status === 'RUNNING' && r.due ? { due: r.due } : {}),
      } satisfies PersistedExecution);
      executions.push(r.persisted);
    }
    // The same text as JSON.stringify({ version: 1, executions }).
    return `{"version":1,"executions":[${executions.join(',')}]}`;
  }

  private async writeState(): Promise<void> {
    const file = this.file;
    if (!file) return;
    try {
      if (!this.directoryReady) {
        mkdirSync(dirname(file), { recursive: true });
        this.directoryReady = true;
      }
      // Write then rename, so a crash mid-write leaves the previous state, never half a file.
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, this.snapshot());
      await rename(temporary, file);
    } catch (error) {
      this.log(`step functions: cannot save ${file}: ${String(error)}`);
    }
  }

  schedule(): void {
    if (!this.file || this.frozen || this.saveTimer) return;
    // Coalesce the bursts of transitions; at worst a crash replays the last state, which the
    // workflows' idempotent steps allow.
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saving = this.saving.then(() => this.writeState());
    }, 25);
  }

  /** Saves what is in memory now, and nothing after: running executions stay saved as running. */
  async close(): Promise<void> {
    if (!this.file) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.saving;
    await this.writeState();
    this.frozen = true;
  }
}

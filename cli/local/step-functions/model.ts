// The service's public shapes and the errors of its API, as @aws-sdk/client-sfn sees them: the
// JSON payload limit (256 KiB) and the error codes AWS returns. Types only plus small helpers; no
// state, no I/O.
import type { StateMachine } from 'aws-local-stepfunctions';
import type { ObjectStore } from '#cli/local/step-functions/distributed-map.ts';
import type { AlarmClock } from '#cli/local/local-clock.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type LambdaInvoker = (functionName: string, payload: unknown) => Promise<unknown>;
export type WorkflowType = 'STANDARD' | 'EXPRESS';
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StateMachineSpec {
  /** ASL as JSON text (already rendered, no `${...}` left) or as a parsed object. */
  readonly definition: string | object;
  /** STANDARD (default) keeps execution names unique; EXPRESS does not, as on AWS. */
  readonly type?: WorkflowType;
}

export type LibraryEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface ExecutionEvent {
  readonly executionArn: string;
  readonly event: LibraryEvent;
}

export interface LocalStepFunctionsOptions {
  /** State machine ARN -> ASL text (or spec). */
  readonly definitions: Readonly<Record<string, string | StateMachineSpec>>;
  /** Runs a Lambda handler. Throw an Error whose `name` is the error type Step Functions should see. */
  readonly invokeLambda: LambdaInvoker;
  /** Every state transition, retry and catch, for logging. */
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** Multiplies Retry IntervalSeconds and MaxDelaySeconds (tests use e.g. 0.01). Default 1. */
  readonly retryIntervalScale?: number;
  /**
   * JSON file that keeps executions across restarts: finished ones stay describable (and their
   * names taken), running ones resume at the top-level state they were in, re-running that state
   * (so a waiting review gate asks its Lambda again, with a new token). Without it, executions
   * live in memory only.
   */
  readonly stateFile?: string;
  /** Problems that do not fail a call (e.g. the state file cannot be written). */
  readonly onLog?: (line: string) => void;
  /** Where Distributed Map's ItemReader reads and ResultWriter writes (the local S3 store). */
  readonly objectStore?: ObjectStore;
  /**
   * The clock Wait states and task-token timeouts (TimeoutSeconds, HeartbeatSeconds) run on: the
   * local clock, which `claims clock advance` moves. Real time when not given.
   */
  readonly clock?: AlarmClock;
}

export interface StartExecutionInput {
  readonly stateMachineArn: string;
  readonly name?: string;
  /** JSON text; defaults to "{}". */
  readonly input?: string;
}

export interface StartExecutionOutput {
  readonly executionArn: string;
  readonly startDate: Date;
}

export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface LocalStepFunctions {
  startExecution(input: StartExecutionInput): StartExecutionOutput;
  describeExecution(executionArn: string): ExecutionDescription;
  /** The inputs of a machine's executions still running (resumed after a restart included). */
  runningInputs(stateMachineArn: string): string[];
  /** Resolves once the execution is no longer RUNNING. */
  waitForExecution(executionArn: string): Promise<ExecutionDescription>;
  stopExecution(executionArn: string, error?: string, cause?: string): { stopDate: Date };
  sendTaskSuccess(taskToken: string, output: string): void;
  sendTaskFailure(taskToken: string, error?: string, cause?: string): void;
  sendTaskHeartbeat(taskToken: string): void;
  /**
   * Aborts running executions (with a stateFile they are saved as running first, to resume on the
   * next start) and clears every timer. Safe to call twice.
   */
  close(): Promise<void>;
}

/** A Step Functions API error; `code` is the AWS error name (`__type` on the wire). */
export class StepFunctionsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** An error as a Task state sees it: `name` is matched by Retry/Catch, `message` becomes Cause. */
export function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

export const maxPayloadBytes = 256 * 1024;

/** Round-trips through JSON, as every payload does on the wire (drops undefined, Dates to strings). */
export function jsonClone(value: unknown): Json {
  const text = JSON.stringify(value ?? null);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

export function parseJsonText(text: string, code: string, what: string): Json {
  if (Buffer.byteLength(text, 'utf8') > maxPayloadBytes) {
    throw new StepFunctionsError(code, `${what} exceeds the maximum size of ${maxPayloadBytes} bytes`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new StepFunctionsError(code, `Invalid ${what}: not valid JSON`);
  }
}

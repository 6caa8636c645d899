// A local Step Functions service: runs the deployed ASL with aws-local-stepfunctions and adds what
// that library leaves out (service integrations, task tokens, execution names, the JSON API), so
// the same workflows and the same SDK calls work without AWS.
import '#cli/local/promise-with-resolvers.ts'; // must run before the library is loaded
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { listen } from '#cli/local/net.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export type LambdaInvoker = (functionName: string, payload: unknown) => Promise<unknown>;
export type WorkflowType = 'STANDARD' | 'EXPRESS';
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StateMachineSpec {
  /** ASL as JSON text (already rendered, no `${...}` left) or as a parsed object. */
  readonly definition: string | object;
  /** STANDARD (default) keeps execution names unique; EXPRESS does not, as on AWS. */
  readonly type?: WorkflowType;
}

type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

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
function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

const awsDefaultTaskTimeoutSeconds = 99_999_999;
// setTimeout overflows past 2^31-1 ms (and then fires at once), so every timer is capped at ~24.8 days.
const maxTimerSeconds = Math.floor((2 ** 31 - 1) / 1000);
const maxPayloadBytes = 256 * 1024;
const rememberedClosedTokens = 100_000;

const stateMachineArnPattern =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const executionArnPattern =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(?:execution|express):[A-Za-z0-9_-]{1,80}:.+$/;
// AWS: 1-80 characters, no whitespace, brackets, wildcards, special or control characters.
const executionNameForbidden = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
function isValidExecutionName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || executionNameForbidden.test(name)) return false;
  // No control characters (C0, DEL, C1) either.
  return ![...name].some((ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
}
const taskTokenPattern = /^[A-Za-z0-9_-]{86}$/;

type WaitMode = 'none' | 'token' | 'sync' | 'sync2';
type Integration =
  | { readonly kind: 'lambda-invoke'; readonly wait: 'none' | 'token' }
  | { readonly kind: 'lambda-function' }
  | { readonly kind: 'start-execution'; readonly wait: WaitMode };

/** Which service integration a Task's Resource names, or undefined when this service cannot run it. */
function parseResource(resource: string): Integration | undefined {
  const optimized =
    /^arn:aws[a-z-]*:states:::(lambda:invoke|states:startExecution)(\.waitForTaskToken|\.sync:2|\.sync)?$/.exec(
      resource,
    );
  if (optimized) {
    const suffix = optimized[2];
    if (optimized[1] === 'lambda:invoke') {
      if (suffix === undefined) return { kind: 'lambda-invoke', wait: 'none' };
      return suffix === '.waitForTaskToken' ? { kind: 'lambda-invoke', wait: 'token' } : undefined;
    }
    const wait: WaitMode =
      suffix === '.waitForTaskToken'
        ? 'token'
        : suffix === '.sync'
          ? 'sync'
          : suffix === '.sync:2'
            ? 'sync2'
            : 'none';
    return { kind: 'start-execution', wait };
  }
  if (
    /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(?::[A-Za-z0-9$_-]+)?$/.test(resource)
  ) {
    return { kind: 'lambda-function' };
  }
  return undefined;
}

interface TaskStateDefinition {
  readonly Type: 'Task';
  readonly Resource: string;
  readonly TimeoutSeconds?: number;
  readonly TimeoutSecondsPath?: string;
  readonly HeartbeatSeconds?: number;
  readonly HeartbeatSecondsPath?: string;
}

type StateRecord = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Calls `visit` for every state, including those inside Parallel branches and Map processors. */
function forEachState(definition: unknown, visit: (name: string, state: StateRecord) => void): void {
  if (!isObject(definition) || !isObject(definition.States)) return;
  for (const [name, state] of Object.entries(definition.States)) {
    if (!isObject(state)) continue;
    visit(name, state);
    if (Array.isArray(state.Branches)) for (const branch of state.Branches) forEachState(branch, visit);
    forEachState(state.Iterator, visit);
    forEachState(state.ItemProcessor, visit);
  }
}

const clampTimer = (seconds: number): number => Math.min(Math.max(seconds, 0), maxTimerSeconds);

/**
 * The library treats only `$.x` ResultPaths as paths: `"$"` would store the result under a key
 * named "$" instead of replacing the input, and `$['x']` would nest it under "$". Rewrite them to
 * forms it reads as AWS does (omitted ResultPath means "$").
 */
function normaliseResultPath(holder: Record<string, unknown>): void {
  const path = holder.ResultPath;
  if (path === '$') delete holder.ResultPath;
  else if (typeof path === 'string' && path.startsWith('$[')) holder.ResultPath = `$.${path.slice(1)}`;
}

/**
 * The definition the library runs: Task timeouts as on AWS (none unless set, where the library
 * would stop at 60 s) within what a timer can hold, ResultPaths it understands, and Retry
 * intervals scaled for tests.
 */
function runtimeDefinition(original: object, retryIntervalScale: number): StateMachineDefinition {
  const copy = structuredClone(original) as Record<string, unknown>;
  if (typeof copy.TimeoutSeconds === 'number') copy.TimeoutSeconds = clampTimer(copy.TimeoutSeconds);
  forEachState(copy, (_name, state) => {
    normaliseResultPath(state);
    if (Array.isArray(state.Catch))
      for (const catcher of state.Catch) if (isObject(catcher)) normaliseResultPath(catcher);
    if (state.Type === 'Task' && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = clampTimer(
        typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : awsDefaultTaskTimeoutSeconds,
      );
    }
    if (retryIntervalScale !== 1 && Array.isArray(state.Retry)) {
      state.Retry = state.Retry.map((retrier: unknown) => {
        if (!isObject(retrier)) return retrier;
        const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
        return {
          ...retrier,
          IntervalSeconds: interval * retryIntervalScale,
          ...(typeof retrier.MaxDelaySeconds === 'number'
            ? { MaxDelaySeconds: retrier.MaxDelaySeconds * retryIntervalScale }
            : {}),
        };
      });
    }
  });
  return copy as unknown as StateMachineDefinition;
}

/** Evaluates an ASL reference path (`$.a.b[0]['c']`) against a value. */
function readReferencePath(path: string, value: unknown): unknown {
  if (!path.startsWith('$')) return undefined;
  const rest = path.slice(1);
  const tokens = rest.match(/\.[^.[\]]+|\[\d+\]|\['[^']*'\]|\["[^"]*"\]/g) ?? [];
  if (tokens.join('') !== rest) throw taskError('States.Runtime', `unsupported reference path ${path}`);
  let current: unknown = value;
  for (const token of tokens) {
    const key = token.startsWith('.')
      ? token.slice(1)
      : /^\[\d+\]$/.test(token)
        ? Number(token.slice(1, -1))
        : token.slice(2, -2);
    current =
      isObject(current) || Array.isArray(current)
        ? (current as Record<string | number, unknown>)[key]
        : undefined;
  }
  return current;
}

function secondsFrom(
  state: TaskStateDefinition,
  input: unknown,
  field: 'Timeout' | 'Heartbeat',
): number | undefined {
  const fixed = state[`${field}Seconds`];
  if (typeof fixed === 'number') return fixed;
  const path = state[`${field}SecondsPath`];
  if (path === undefined) return undefined;
  const value = readReferencePath(path, input);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw taskError('States.Runtime', `${field}SecondsPath ${path} does not point to a positive integer`);
  }
  return value;
}

/** Round-trips through JSON, as every payload does on the wire (drops undefined, Dates to strings). */
function jsonClone(value: unknown): Json {
  const text = JSON.stringify(value ?? null);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

function parseJsonText(text: string, code: string, what: string): Json {
  if (Buffer.byteLength(text, 'utf8') > maxPayloadBytes) {
    throw new StepFunctionsError(code, `${what} exceeds the maximum size of ${maxPayloadBytes} bytes`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new StepFunctionsError(code, `Invalid ${what}: not valid JSON`);
  }
}

/** The error a Lambda failure becomes in the Task: errorType as Error, the error payload as Cause. */
function lambdaFailure(error: unknown): Error {
  // The Node.js Lambda runtime reports errorType = error.name (so "Error" unless the class sets name).
  const errorType = error instanceof Error ? error.name || 'Error' : typeof error;
  const errorMessage = error instanceof Error ? error.message : String(error);
  const trace = error instanceof Error && typeof error.stack === 'string' ? error.stack.split('\n') : [];
  return taskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

function lambdaInvokeOutput(payload: Json): JsonObject {
  // The shape AWS returns for arn:aws:states:::lambda:invoke; ASL selects $.Payload from it.
  const requestId = randomUUID();
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      AllHttpHeaders: {
        'X-Amz-Executed-Version': ['$LATEST'],
        'x-amzn-Remapped-Content-Length': ['0'],
        Connection: ['keep-alive'],
        'x-amzn-RequestId': [requestId],
        'Content-Type': ['application/json'],
      },
      HttpHeaders: {
        Connection: 'keep-alive',
        'Content-Type': 'application/json',
        'X-Amz-Executed-Version': '$LATEST',
        'x-amzn-Remapped-Content-Length': '0',
        'x-amzn-RequestId': requestId,
      },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

interface CompiledMachine {
  readonly arn: string;
  readonly name: string;
  readonly type: WorkflowType;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly runtime: StateMachine;
  readonly runtimeDefinition: StateMachineDefinition;
  readonly topLevelStates: ReadonlySet<string>;
  readonly tasks: ReadonlyMap<string, TaskStateDefinition>;
}

const resumeStateName = '__LocalResume';

/**
 * Runs a machine from one of its top-level states, with the original execution input (so
 * `$$.Execution.Input` stays right): a Pass state in front hands the saved state input over.
 */
function resumedMachine(machine: CompiledMachine, state: string, input: Json): StateMachine {
  const definition = {
    ...machine.runtimeDefinition,
    StartAt: resumeStateName,
    States: {
      ...machine.runtimeDefinition.States,
      [resumeStateName]: { Type: 'Pass', Result: input, Next: state },
    },
  } as unknown as StateMachineDefinition;
  return new StateMachine(definition, { validationOptions: { noValidate: true } });
}

function compile(arn: string, spec: string | StateMachineSpec, retryIntervalScale: number): CompiledMachine {
  const arnMatch = stateMachineArnPattern.exec(arn);
  if (!arnMatch) throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
  const { definition: source, type = 'STANDARD' } = typeof spec === 'string' ? { definition: spec } : spec;
  let definition: unknown;
  try {
    definition = typeof source === 'string' ? JSON.parse(source) : structuredClone(source);
  } catch (error) {
    throw new StepFunctionsError(
      'InvalidDefinition',
      `${arn}: definition is not JSON: ${(error as Error).message}`,
    );
  }
  if (!isObject(definition))
    throw new StepFunctionsError('InvalidDefinition', `${arn}: definition must be an object`);
  if (typeof source === 'string' && /\$\{[A-Za-z0-9_]+\}/.test(source)) {
    throw new StepFunctionsError('InvalidDefinition', `${arn}: definition still has \${...} substitutions`);
  }
  try {
    // Validates the ASL exactly as the library would (schema, paths, ARNs).
    new StateMachine(definition as unknown as StateMachineDefinition);
  } catch (error) {
    throw new StepFunctionsError('InvalidDefinition', `${arn}: ${(error as Error).message}`);
  }
  const tasks = new Map<string, TaskStateDefinition>();
  const unsupported: string[] = [];
  forEachState(definition, (name, state) => {
    if (state.Type !== 'Task') return;
    const resource = String(state.Resource);
    if (!parseResource(resource)) unsupported.push(`${name} (${resource})`);
    tasks.set(name, state as unknown as TaskStateDefinition);
  });
  if (unsupported.length > 0) {
    throw new StepFunctionsError(
      'InvalidDefinition',
      `${arn}: the local service cannot run these Task resources: ${unsupported.join(', ')}`,
    );
  }
  const runtimeDef = runtimeDefinition(definition, retryIntervalScale);
  const runtime = new StateMachine(runtimeDef, { validationOptions: { noValidate: true } });
  return {
    arn,
    name: arnMatch[4] ?? '',
    type,
    partition: arnMatch[1] ?? 'aws',
    region: arnMatch[2] ?? '',
    account: arnMatch[3] ?? '',
    runtime,
    runtimeDefinition: runtimeDef,
    topLevelStates: new Set(Object.keys(runtimeDef.States)),
    tasks,
  };
}

/**
 * Hands out `$$.Task.Token`. The library evaluates a Task's Parameters and then calls our override
 * for that Task in one synchronous stretch, so the token minted while Parameters read it is the one
 * the override claims next; each attempt (retries included) gets a fresh token.
 */
class TokenSource {
  private minted: string | undefined;
  /** Goes into the context object as `Task`; the getter mints lazily. */
  readonly contextObject: { readonly Token: string };

  constructor() {
    const mint = (): string => (this.minted ??= randomBytes(64).toString('base64url'));
    this.contextObject = Object.defineProperty({} as { readonly Token: string }, 'Token', {
      enumerable: true,
      get: mint,
    });
  }

  take(): string {
    const token = this.minted ?? randomBytes(64).toString('base64url');
    this.minted = undefined;
    return token;
  }

  discard(): void {
    this.minted = undefined;
  }
}

interface ExecutionRecord {
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
  /** This record as it stands in the state file, kept until the record changes again. */
  persisted?: string;
}

interface PersistedExecution {
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
}

/** STANDARD execution names stay taken for 90 days on AWS; older finished records are dropped. */
const keepFinishedMs = 90 * 24 * 3600 * 1000;
/**
 * Finished EXPRESS executions stay describable in memory for this many more (AWS keeps none: it
 * has no DescribeExecution for them); older ones are let go, so a long run does not grow forever.
 */
const keepFinishedExpress = 10_000;

interface PendingTask {
  readonly execution: ExecutionRecord;
  readonly resolve: (value: Json) => void;
  readonly reject: (error: Error) => void;
  readonly heartbeatSeconds?: number;
  timeoutTimer?: NodeJS.Timeout;
  heartbeatTimer?: NodeJS.Timeout;
}

class Service implements LocalStepFunctions {
  private readonly machines = new Map<string, CompiledMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly pendingTasks = new Map<string, PendingTask>();
  /** Tokens whose task is over (answered, timed out, execution closed): AWS says TaskTimedOut for these. */
  private readonly closedTokens = new Set<string>();
  private closed = false;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** Set by close(): later in-memory changes (the aborts) must not reach the state file. */
  private frozen = false;
  /** What the state file holds: running executions and finished STANDARD ones. */
  private readonly durable = new Set<ExecutionRecord>();
  /** Finished EXPRESS executions, oldest first. */
  private readonly finishedExpress = new Set<ExecutionRecord>();
  private stateDirectoryReady = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    const scale = options.retryIntervalScale ?? 1;
    if (!(scale > 0)) throw new Error('retryIntervalScale must be a positive number');
    for (const [arn, spec] of Object.entries(options.definitions)) {
      this.machines.set(arn, compile(arn, spec, scale));
    }
    if (options.stateFile) this.load(options.stateFile);
  }

  private log(line: string): void {
    this.options.onLog?.(line);
  }

  private newRecord(fields: {
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

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const saved = (JSON.parse(text) as { executions?: PersistedExecution[] }).executions ?? [];
    const toResume: [ExecutionRecord, Json][] = [];
    for (const entry of saved) {
      const machine = this.machines.get(entry.stateMachineArn);
      if (!machine) continue;
      const record = this.newRecord({
        executionArn: entry.executionArn,
        machine,
        name: entry.name,
        input: entry.input,
        startDate: new Date(entry.startDate),
      });
      this.executions.set(record.executionArn, record);
      this.durable.add(record);
      if (entry.status !== 'RUNNING') {
        record.status = entry.status;
        if (entry.stopDate) record.stopDate = new Date(entry.stopDate);
        if (entry.output !== undefined) record.output = entry.output;
        if (entry.error !== undefined) record.error = entry.error;
        if (entry.cause !== undefined) record.cause = entry.cause;
        record.markDone();
        continue;
      }
      if (entry.resume && machine.topLevelStates.has(entry.resume.state)) record.resume = entry.resume;
      toResume.push([record, JSON.parse(entry.input) as Json]);
    }
    for (const [record, input] of toResume) {
      this.log(`step functions: resuming ${record.executionArn} at ${record.resume?.state ?? 'the start'}`);
      this.run(record, input);
    }
  }

  private snapshot(): string {
    const now = Date.now();
    const executions: string[] = [];
    // Finished EXPRESS executions have nothing left to protect and are not in `durable`.
    for (const r of this.durable) {
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
      } satisfies PersistedExecution);
      executions.push(r.persisted);
    }
    // The same text as JSON.stringify({ version: 1, executions }).
    return `{"version":1,"executions":[${executions.join(',')}]}`;
  }

  private async writeState(): Promise<void> {
    const file = this.options.stateFile;
    if (!file) return;
    try {
      if (!this.stateDirectoryReady) {
        mkdirSync(dirname(file), { recursive: true });
        this.stateDirectoryReady = true;
      }
      // Write then rename, so a crash mid-write leaves the previous state, never half a file.
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, this.snapshot());
      await rename(temporary, file);
    } catch (error) {
      this.log(`step functions: cannot save ${file}: ${String(error)}`);
    }
  }

  private scheduleSave(): void {
    if (!this.options.stateFile || this.frozen || this.saveTimer) return;
    // Coalesce the bursts of transitions; at worst a crash replays the last state, which the
    // workflows' idempotent steps allow.
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saving = this.saving.then(() => this.writeState());
    }, 25);
  }

  startExecution(request: StartExecutionInput): StartExecutionOutput {
    if (this.closed)
      throw new StepFunctionsError('ServiceUnavailable', 'The local Step Functions service is closed');
    if (!stateMachineArnPattern.test(request.stateMachineArn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${request.stateMachineArn}'`);
    }
    const machine = this.machines.get(request.stateMachineArn);
    if (!machine) {
      throw new StepFunctionsError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    }
    const name = request.name ?? randomUUID();
    if (!isValidExecutionName(name)) throw new StepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = request.input ?? '{}';
    const input = parseJsonText(inputText, 'InvalidExecutionInput', 'execution input');
    const base = `arn:${machine.partition}:states:${machine.region}:${machine.account}`;
    const executionArn =
      machine.type === 'EXPRESS'
        ? `${base}:express:${machine.name}:${name}:${randomUUID()}`
        : `${base}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // STANDARD StartExecution is idempotent for a running execution with the same input.
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record = this.newRecord({ executionArn, machine, name, input: inputText, startDate: new Date() });
    this.executions.set(executionArn, record);
    this.durable.add(record);
    this.run(record, input);
    this.scheduleSave();
    return { executionArn, startDate: record.startDate };
  }

  private run(record: ExecutionRecord, input: Json): void {
    const { machine } = record;
    const handlers: Record<string, (input: unknown) => Promise<Json>> = {};
    for (const [stateName, state] of machine.tasks)
      handlers[stateName] = (taskInput) => this.runTask(record, state, taskInput);
    const context = {
      Execution: {
        Id: record.executionArn,
        Name: record.name,
        RoleArn: `arn:${machine.partition}:iam::${machine.account}:role/local-step-functions`,
        RedriveCount: 0,
      },
      StateMachine: { Id: machine.arn, Name: machine.name },
      Task: record.tokenSource.contextObject,
    };
    const runtime = record.resume
      ? resumedMachine(machine, record.resume.state, record.resume.input)
      : machine.runtime;
    const execution = runtime.run(input as Parameters<StateMachine['run']>[0], {
      context: context as unknown as NonNullable<Parameters<StateMachine['run']>[1]>['context'],
      overrides: { taskResourceLocalHandlers: handlers as never },
    });
    record.abort = execution.abort;
    const { onEvent, stateFile } = this.options;
    if (onEvent || stateFile) {
      void (async () => {
        for await (const event of execution.eventLogs) {
          if (
            event.type === 'StateEntered' &&
            machine.topLevelStates.has(event.state.name) &&
            record.status === 'RUNNING'
          ) {
            record.resume = { state: event.state.name, input: jsonClone(event.state.input) };
            record.persisted = undefined;
            this.scheduleSave();
          }
          try {
            onEvent?.({ executionArn: record.executionArn, event });
          } catch {
            // A failing logger must not break the execution.
          }
        }
      })();
    }
    execution.result.then(
      (output) => this.finish(record, 'SUCCEEDED', { output: JSON.stringify(output ?? null) }),
      (error: unknown) => this.finish(record, ...failureOf(error)),
    );
  }

  private finish(
    record: ExecutionRecord,
    status: ExecutionStatus,
    detail: { output?: string; error?: string; cause?: string },
  ): void {
    if (record.status !== 'RUNNING') return;
    record.status = status;
    record.stopDate = new Date();
    if (detail.output !== undefined) record.output = detail.output;
    if (detail.error !== undefined) record.error = detail.error;
    if (detail.cause !== undefined) record.cause = detail.cause;
    record.persisted = undefined;
    if (record.machine.type === 'EXPRESS') this.retireExpress(record);
    for (const token of [...record.tokens]) this.closeToken(token);
    // Settle what the library still awaits, so its own timers are cleared and its loop ends.
    const aborted = taskError('States.Runtime', 'The execution has ended');
    for (const reject of [...record.inFlight]) reject(aborted);
    record.markDone();
    this.scheduleSave();
  }

  private retireExpress(record: ExecutionRecord): void {
    this.durable.delete(record);
    this.finishedExpress.add(record);
    if (this.finishedExpress.size <= keepFinishedExpress) return;
    const oldest = this.finishedExpress.values().next().value;
    if (oldest === undefined) return;
    this.finishedExpress.delete(oldest);
    this.executions.delete(oldest.executionArn);
  }

  /** The override for every Task state: dispatches on the Resource like Step Functions does. */
  private runTask(record: ExecutionRecord, state: TaskStateDefinition, input: unknown): Promise<Json> {
    const integration = parseResource(state.Resource);
    // Claim the token synchronously, before anything else can evaluate another Task's Parameters.
    const wantsToken = integration !== undefined && 'wait' in integration && integration.wait === 'token';
    const token = wantsToken ? record.tokenSource.take() : undefined;
    if (!wantsToken) record.tokenSource.discard();
    if (record.status !== 'RUNNING' || !integration) {
      return Promise.reject(taskError('States.Runtime', 'The execution has ended'));
    }
    let rejectTask!: (error: Error) => void;
    const promise = new Promise<Json>((resolve, reject) => {
      rejectTask = reject;
      this.perform(record, state, integration, input, token).then(resolve, reject);
    });
    record.inFlight.add(rejectTask);
    const forget = (): void => void record.inFlight.delete(rejectTask);
    promise.then(forget, forget);
    return promise;
  }

  private async perform(
    record: ExecutionRecord,
    state: TaskStateDefinition,
    integration: Integration,
    input: unknown,
    token: string | undefined,
  ): Promise<Json> {
    if (integration.kind === 'lambda-function') return this.invoke(state.Resource, input);
    const params = isObject(input) ? input : {};
    if (integration.kind === 'lambda-invoke') {
      const functionName = params.FunctionName;
      if (typeof functionName !== 'string' || functionName === '') {
        throw taskError('States.Runtime', 'lambda:invoke needs Parameters.FunctionName');
      }
      const payload = params.Payload ?? {};
      if (integration.wait === 'none') return lambdaInvokeOutput(await this.invoke(functionName, payload));
      return this.waitForTaskToken(record, state, input, token, () => this.invoke(functionName, payload));
    }
    const start = (): StartExecutionOutput => this.startFromTask(params);
    switch (integration.wait) {
      case 'none': {
        const started = start();
        return { ExecutionArn: started.executionArn, StartDate: started.startDate.getTime() };
      }
      case 'token':
        return this.waitForTaskToken(record, state, input, token, async () => start());
      case 'sync':
      case 'sync2': {
        const started = start();
        const child = await this.waitForExecution(started.executionArn);
        const output = childOutput(child, integration.wait === 'sync2');
        if (child.status !== 'SUCCEEDED') throw taskError('States.TaskFailed', JSON.stringify(output));
        return output;
      }
    }
  }

  private async invoke(functionName: string, payload: unknown): Promise<Json> {
    let result: unknown;
    try {
      result = await this.options.invokeLambda(functionName, jsonClone(payload));
    } catch (error) {
      throw lambdaFailure(error);
    }
    try {
      return jsonClone(result);
    } catch (error) {
      throw lambdaFailure(error);
    }
  }

  /** states:startExecution from a Task: API errors surface as StepFunctions.<Code>Exception. */
  private startFromTask(params: Record<string, unknown>): StartExecutionOutput {
    const { StateMachineArn: stateMachineArn, Name: name, Input: input } = params;
    try {
      if (typeof stateMachineArn !== 'string')
        throw new StepFunctionsError('InvalidArn', 'StateMachineArn is required');
      if (name !== undefined && typeof name !== 'string')
        throw new StepFunctionsError('InvalidName', 'Name must be a string');
      const inputText =
        input === undefined ? undefined : typeof input === 'string' ? input : JSON.stringify(input);
      return this.startExecution({
        stateMachineArn,
        ...(name !== undefined ? { name } : {}),
        ...(inputText !== undefined ? { input: inputText } : {}),
      });
    } catch (error) {
      if (!(error instanceof StepFunctionsError)) throw error;
      throw taskError(
        `StepFunctions.${error.code}Exception`,
        `${error.message} (Service: AWSStepFunctions; Status Code: 400; Error Code: ${error.code}; Request ID: ${randomUUID()}; Proxy: null)`,
      );
    }
  }

  /**
   * `.waitForTaskToken`: register the token first (the Lambda may answer before it returns), start
   * the work, then wait for SendTaskSuccess/Failure. The Task's TimeoutSeconds is enforced by the
   * library (a real States.Timeout, which States.TaskFailed does not match); our timer at the same
   * instant only retires the token. HeartbeatSeconds, which the library ignores, is ours.
   */
  private waitForTaskToken(
    record: ExecutionRecord,
    state: TaskStateDefinition,
    input: unknown,
    token: string | undefined,
    start: () => Promise<unknown>,
  ): Promise<Json> {
    const taskToken = token ?? randomBytes(64).toString('base64url');
    const timeoutSeconds = clampTimer(secondsFrom(state, input, 'Timeout') ?? awsDefaultTaskTimeoutSeconds);
    const heartbeatSeconds = secondsFrom(state, input, 'Heartbeat');
    return new Promise<Json>((resolve, reject) => {
      const pending: PendingTask = {
        execution: record,
        resolve,
        reject,
        ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}),
      };
      this.pendingTasks.set(taskToken, pending);
      record.tokens.add(taskToken);
      pending.timeoutTimer = setTimeout(() => this.closeToken(taskToken), timeoutSeconds * 1000);
      this.armHeartbeat(taskToken, pending);
      start().then(
        () => undefined,
        (error: unknown) => {
          if (this.closeToken(taskToken)) reject(error instanceof Error ? error : lambdaFailure(error));
        },
      );
    });
  }

  private armHeartbeat(token: string, pending: PendingTask): void {
    if (pending.heartbeatSeconds === undefined) return;
    clearTimeout(pending.heartbeatTimer);
    pending.heartbeatTimer = setTimeout(
      () => {
        if (this.closeToken(token))
          pending.reject(taskError('States.HeartbeatTimeout', 'Task did not send a heartbeat in time'));
      },
      clampTimer(pending.heartbeatSeconds) * 1000,
    );
  }

  /** Retires a token; true if it was still pending. */
  private closeToken(token: string): boolean {
    const pending = this.pendingTasks.get(token);
    if (!pending) return false;
    this.pendingTasks.delete(token);
    pending.execution.tokens.delete(token);
    clearTimeout(pending.timeoutTimer);
    clearTimeout(pending.heartbeatTimer);
    this.closedTokens.add(token);
    if (this.closedTokens.size > rememberedClosedTokens) {
      const oldest = this.closedTokens.values().next().value;
      if (oldest !== undefined) this.closedTokens.delete(oldest);
    }
    return true;
  }

  private pendingFor(taskToken: string): PendingTask {
    if (typeof taskToken !== 'string' || taskToken.length < 1 || taskToken.length > 2048) {
      throw new StepFunctionsError('ValidationException', 'taskToken must be 1 to 2048 characters');
    }
    const pending = this.pendingTasks.get(taskToken);
    if (pending) return pending;
    if (this.closedTokens.has(taskToken)) {
      throw new StepFunctionsError(
        'TaskTimedOut',
        'Task Timed Out: the task token has expired or its task is already closed',
      );
    }
    if (!taskTokenPattern.test(taskToken))
      throw new StepFunctionsError('InvalidToken', 'Invalid Token: the task token is not valid');
    throw new StepFunctionsError(
      'TaskDoesNotExist',
      'Task Does Not Exist: no task is waiting for this token',
    );
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    const pending = this.pendingFor(taskToken);
    if (typeof output !== 'string')
      throw new StepFunctionsError('InvalidOutput', 'Invalid Output: output is required');
    const value = parseJsonText(output, 'InvalidOutput', 'output');
    this.closeToken(taskToken);
    pending.resolve(value);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    const pending = this.pendingFor(taskToken);
    if (error !== undefined && error.length > 256)
      throw new StepFunctionsError('ValidationException', 'error exceeds 256 characters');
    if (cause !== undefined && cause.length > 32768)
      throw new StepFunctionsError('ValidationException', 'cause exceeds 32768 characters');
    this.closeToken(taskToken);
    pending.reject(taskError(error ?? '', cause ?? ''));
  }

  sendTaskHeartbeat(taskToken: string): void {
    this.armHeartbeat(taskToken, this.pendingFor(taskToken));
  }

  private record(executionArn: string): ExecutionRecord {
    if (typeof executionArn !== 'string' || !executionArnPattern.test(executionArn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${String(executionArn)}'`);
    }
    const record = this.executions.get(executionArn);
    if (!record)
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return describe(this.record(executionArn));
  }

  async waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    const record = this.record(executionArn);
    await record.done;
    return describe(record);
  }

  stopExecution(executionArn: string, error?: string, cause?: string): { stopDate: Date } {
    const record = this.record(executionArn);
    if (record.status === 'RUNNING') {
      this.finish(record, 'ABORTED', {
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      });
      record.abort?.();
    }
    return { stopDate: record.stopDate ?? new Date() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.stateFile) {
      // Save running executions as running, so the next start resumes them; then stop writing.
      // One turn of the event loop first: the event log reaches us a few microtasks late.
      await new Promise((resolve) => setImmediate(resolve));
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      await this.saving;
      await this.writeState();
      this.frozen = true;
    }
    for (const record of this.executions.values()) {
      if (record.status !== 'RUNNING') continue;
      this.finish(record, 'ABORTED', {
        error: 'States.Aborted',
        cause: 'The local Step Functions service was closed',
      });
      record.abort?.();
    }
    // Let the library unwind (its Task timers clear once our rejections reach it).
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function failureOf(error: unknown): [ExecutionStatus, { error?: string; cause?: string }] {
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

function describe(record: ExecutionRecord): ExecutionDescription {
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

/** What `startExecution.sync` (Output as text) and `.sync:2` (Output as JSON) return. */
function childOutput(child: ExecutionDescription, parsed: boolean): JsonObject {
  const jsonOrText = (text: string | undefined): Json => {
    if (text === undefined || !parsed) return text ?? null;
    try {
      return JSON.parse(text) as Json;
    } catch {
      return text;
    }
  };
  const output: JsonObject = {
    ExecutionArn: child.executionArn,
    Input: jsonOrText(child.input),
    InputDetails: { Included: true },
    Name: child.name,
    RedriveCount: 0,
    StartDate: child.startDate.getTime(),
    StateMachineArn: child.stateMachineArn,
    Status: child.status,
    StopDate: child.stopDate?.getTime() ?? null,
  };
  if (child.output !== undefined) {
    output.Output = jsonOrText(child.output);
    output.OutputDetails = { Included: true };
  }
  if (child.error !== undefined) output.Error = child.error;
  if (child.cause !== undefined) output.Cause = child.cause;
  return output;
}

/** Validates every definition up front (InvalidDefinition on the first bad one) and returns the service. */
export function createLocalStepFunctions(options: LocalStepFunctionsOptions): LocalStepFunctions {
  return new Service(options);
}

// ---------------------------------------------------------------------------------------------
// AWS JSON 1.0 endpoint, so @aws-sdk/client-sfn (and the handlers using it) work unchanged.

export interface StepFunctionsApi {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

const maxRequestBytes = 1024 * 1024;

const epochSeconds = (date: Date): number => date.getTime() / 1000;

function requireString(body: Record<string, unknown>, member: string): string {
  const value = body[member];
  if (typeof value !== 'string') {
    throw new StepFunctionsError(
      'ValidationException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(body: Record<string, unknown>, member: string): string | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new StepFunctionsError('ValidationException', `'${member}' must be a string`);
  return value;
}

function dispatch(
  service: LocalStepFunctions,
  operation: string,
  body: Record<string, unknown>,
): Record<string, unknown> {
  switch (operation) {
    case 'StartExecution': {
      const name = optionalString(body, 'name');
      const input = optionalString(body, 'input');
      const started = service.startExecution({
        stateMachineArn: requireString(body, 'stateMachineArn'),
        ...(name !== undefined ? { name } : {}),
        ...(input !== undefined ? { input } : {}),
      });
      return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
    }
    case 'DescribeExecution': {
      const d = service.describeExecution(requireString(body, 'executionArn'));
      return {
        executionArn: d.executionArn,
        stateMachineArn: d.stateMachineArn,
        name: d.name,
        status: d.status,
        startDate: epochSeconds(d.startDate),
        ...(d.stopDate ? { stopDate: epochSeconds(d.stopDate) } : {}),
        input: d.input,
        inputDetails: { included: true },
        ...(d.output !== undefined ? { output: d.output, outputDetails: { included: true } } : {}),
        ...(d.error !== undefined ? { error: d.error } : {}),
        ...(d.cause !== undefined ? { cause: d.cause } : {}),
        redriveCount: 0,
        redriveStatus: 'NOT_REDRIVABLE',
      };
    }
    case 'StopExecution': {
      const error = optionalString(body, 'error');
      const cause = optionalString(body, 'cause');
      const { stopDate } = service.stopExecution(requireString(body, 'executionArn'), error, cause);
      return { stopDate: epochSeconds(stopDate) };
    }
    case 'SendTaskSuccess':
      service.sendTaskSuccess(requireString(body, 'taskToken'), requireString(body, 'output'));
      return {};
    case 'SendTaskFailure':
      service.sendTaskFailure(
        requireString(body, 'taskToken'),
        optionalString(body, 'error'),
        optionalString(body, 'cause'),
      );
      return {};
    case 'SendTaskHeartbeat':
      service.sendTaskHeartbeat(requireString(body, 'taskToken'));
      return {};
    default:
      throw new StepFunctionsError(
        'UnknownOperationException',
        `Operation ${operation} is not supported locally`,
      );
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxRequestBytes)
      throw new StepFunctionsError('ValidationException', 'Request body is too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

async function handleApiRequest(
  service: LocalStepFunctions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    if (req.method !== 'POST')
      throw new StepFunctionsError('UnknownOperationException', 'Only POST is supported');
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith('AWSStepFunctions.') ? target.slice(17) : undefined;
    if (!operation)
      throw new StepFunctionsError(
        'UnknownOperationException',
        'Missing X-Amz-Target AWSStepFunctions.<Operation>',
      );
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      throw new StepFunctionsError('SerializationException', 'Request body is not valid JSON');
    }
    if (!isObject(body))
      throw new StepFunctionsError('SerializationException', 'Request body must be a JSON object');
    send(res, 200, dispatch(service, operation, body));
  } catch (error) {
    if (error instanceof StepFunctionsError) {
      send(res, 400, { __type: error.code, message: error.message });
    } else {
      send(res, 500, {
        __type: 'InternalFailure',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** Serves the service on 127.0.0.1:`port` (0 picks a free port) for SFNClient({ endpoint }). */
export async function serveStepFunctionsApi(options: {
  port: number;
  host?: string;
  service: LocalStepFunctions;
}): Promise<StepFunctionsApi> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    void handleApiRequest(options.service, req, res);
  });
  const port = await listen(server, options.port, host);
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; without this close() waits for their idle timeout.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

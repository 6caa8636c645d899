// ASL as Step Functions runs it, on top of aws-local-stepfunctions: definitions are validated
// up front (InvalidDefinition), Task timeouts default to AWS's (none, where the library stops at
// 60 s), `$` and `$['x']` ResultPaths behave as on AWS, reference paths (`$.a[0]['b']`) read
// TimeoutSecondsPath/HeartbeatSecondsPath, and a machine can be resumed at a top-level state.
// Distributed Maps are handed to distributed-map.ts, Wait states to clock-waits.ts. Left out:
// JSONata, and any ASL feature the library itself does not run.
import '#cli/local/promise-with-resolvers.ts'; // must run before the library is loaded
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { extractDistributedMaps } from '#cli/local/step-functions/distributed-map.ts';
import { extractWaits, type WaitStateDefinition } from '#cli/local/step-functions/clock-waits.ts';
import { parseResource } from '#cli/local/step-functions/integrations.ts';
import {
  StepFunctionsError,
  taskError,
  type Json,
  type StateMachineSpec,
  type WorkflowType,
} from '#cli/local/step-functions/model.ts';

export const awsDefaultTaskTimeoutSeconds = 99_999_999;
// setTimeout overflows past 2^31-1 ms (and then fires at once), so every timer is capped at ~24.8 days.
export const maxTimerSeconds = Math.floor((2 ** 31 - 1) / 1000);

export const stateMachineArnPattern =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
export const executionArnPattern =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(?:execution|express):[A-Za-z0-9_-]{1,80}:.+$/;
// AWS: 1-80 characters, no whitespace, brackets, wildcards, special or control characters.
const executionNameForbidden = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
export function isValidExecutionName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || executionNameForbidden.test(name)) return false;
  // No control characters (C0, DEL, C1) either.
  return ![...name].some((ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
}

export interface TaskStateDefinition {
  readonly Type: 'Task';
  readonly Resource: string;
  readonly TimeoutSeconds?: number;
  readonly TimeoutSecondsPath?: string;
  readonly HeartbeatSeconds?: number;
  readonly HeartbeatSecondsPath?: string;
}

type StateRecord = Record<string, unknown>;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Calls `visit` for every state, including those inside Parallel branches and Map processors. */
export function forEachState(definition: unknown, visit: (name: string, state: StateRecord) => void): void {
  if (!isObject(definition) || !isObject(definition.States)) return;
  for (const [name, state] of Object.entries(definition.States)) {
    if (!isObject(state)) continue;
    visit(name, state);
    if (Array.isArray(state.Branches)) for (const branch of state.Branches) forEachState(branch, visit);
    forEachState(state.Iterator, visit);
    forEachState(state.ItemProcessor, visit);
  }
}

export const clampTimer = (seconds: number): number => Math.min(Math.max(seconds, 0), maxTimerSeconds);

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
    if (state.Type === 'Task' && String(state.Resource).endsWith('.waitForTaskToken')) {
      // The service times a token's wait on its clock (task-tokens.ts), which can be moved ahead.
      state.TimeoutSeconds = clampTimer(awsDefaultTaskTimeoutSeconds);
      delete state.TimeoutSecondsPath;
    } else if (state.Type === 'Task' && state.TimeoutSecondsPath === undefined) {
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
export function readReferencePath(path: string, value: unknown): unknown {
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

export function secondsFrom(
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

export interface CompiledMachine {
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
  /** Map states in DISTRIBUTED mode by name; the runtime definition has stand-in Tasks for them. */
  readonly distributedMaps: ReadonlyMap<string, Record<string, unknown>>;
  /** Wait states by name; the runtime definition has stand-in Tasks for them (clock-waits.ts). */
  readonly waits: ReadonlyMap<string, WaitStateDefinition>;
}

/** The state machine a Map's ItemProcessor (or Iterator) runs, as the library runs inline Maps. */
export function processorMachine(map: Record<string, unknown>): StateMachine {
  const processor = (map.ItemProcessor ?? map.Iterator) as Record<string, unknown>;
  const { ProcessorConfig: _config, ...definition } = processor;
  return new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
}

const resumeStateName = '__LocalResume';

/**
 * Runs a machine from one of its top-level states, with the original execution input (so
 * `$$.Execution.Input` stays right): a Pass state in front hands the saved state input over.
 */
export function resumedMachine(machine: CompiledMachine, state: string, input: Json): StateMachine {
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

export function compile(
  arn: string,
  spec: string | StateMachineSpec,
  retryIntervalScale: number,
): CompiledMachine {
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
  // Before the Distributed Maps are taken out, so Waits in their processors are swapped too.
  const waits = extractWaits(
    runtimeDef as unknown as Record<string, unknown>,
    clampTimer(awsDefaultTaskTimeoutSeconds),
  );
  const distributedMaps = extractDistributedMaps(
    runtimeDef as unknown as Record<string, unknown>,
    clampTimer(awsDefaultTaskTimeoutSeconds),
  );
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
    distributedMaps,
    waits,
  };
}

// Wait states on the service's clock (the local clock, which `claims clock advance` moves) instead
// of the library's real-time sleep: each Wait is swapped for a stand-in Task whose handler waits
// for the due instant, as Step Functions documents the four forms: Seconds and SecondsPath (a
// non-negative integer) count from when the state is entered, Timestamp and TimestampPath (an
// RFC 3339 date-time, `T` and `Z` in upper case) name the instant; the output is the input. A
// path that does not reach such a value fails the execution with States.Runtime. Also here: the
// States.Timeout error the library gives a timed-out Task, for task-token timeouts on that clock.
// Left out: JSONata Waits (Arguments/Output/Assign), Wait states' own history events (the event
// log shows the stand-in as a Task).
import '#cli/local/promise-with-resolvers.ts'; // must run before the library is loaded
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { isObject, readReferencePath } from '#cli/local/step-functions/definitions.ts';
import { taskError } from '#cli/local/step-functions/model.ts';

export interface WaitStateDefinition {
  readonly Type: 'Wait';
  readonly Seconds?: number;
  readonly SecondsPath?: string;
  readonly Timestamp?: string;
  readonly TimestampPath?: string;
}

const standInResource = 'arn:aws:states:::local:wait';
/** The fields a Wait shares with the Task standing in for it (the rest is the Wait's own). */
const sharedFields = ['Comment', 'InputPath', 'OutputPath', 'Next', 'End'] as const;

/**
 * Replaces every Wait state (top level, Parallel branches, Map processors) with a stand-in Task
 * that runs no longer than a timer can hold; returns the Waits by state name.
 */
export function extractWaits(
  definition: Record<string, unknown>,
  taskTimeoutSeconds: number,
): Map<string, WaitStateDefinition> {
  const found = new Map<string, WaitStateDefinition>();
  const visit = (machine: unknown): void => {
    if (!isObject(machine) || !isObject(machine.States)) return;
    for (const [name, state] of Object.entries(machine.States)) {
      if (!isObject(state)) continue;
      if (state.Type === 'Wait') {
        found.set(name, state as unknown as WaitStateDefinition);
        const task: Record<string, unknown> = {
          Type: 'Task',
          Resource: standInResource,
          TimeoutSeconds: taskTimeoutSeconds,
        };
        for (const field of sharedFields) if (state[field] !== undefined) task[field] = state[field];
        machine.States[name] = task;
        continue;
      }
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) visit(branch);
      visit(state.Iterator);
      visit(state.ItemProcessor);
    }
  };
  visit(definition);
  return found;
}

// RFC 3339 as Step Functions takes it: upper-case T, and Z or a numeric offset.
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function instantOf(value: unknown): number | undefined {
  if (typeof value !== 'string' || !rfc3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `$.x` reads the effective input; `$$.x` the context object. */
function readPath(path: string, input: unknown, context: unknown): unknown {
  return path.startsWith('$$') ? readReferencePath(path.slice(1), context) : readReferencePath(path, input);
}

/** The instant a Wait entered at `now` with this (effective) input falls due. */
export function waitDue(wait: WaitStateDefinition, input: unknown, now: Date, context: unknown = {}): Date {
  if (typeof wait.Seconds === 'number') return new Date(now.getTime() + wait.Seconds * 1000);
  if (typeof wait.Timestamp === 'string') {
    const at = instantOf(wait.Timestamp);
    if (at === undefined)
      throw taskError('States.Runtime', `Timestamp ${wait.Timestamp} is not an RFC 3339 date-time`);
    return new Date(at);
  }
  if (typeof wait.SecondsPath === 'string') {
    const seconds = readPath(wait.SecondsPath, input, context);
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw taskError(
        'States.Runtime',
        `The SecondsPath parameter does not reference a valid integer value: ${wait.SecondsPath}`,
      );
    }
    return new Date(now.getTime() + seconds * 1000);
  }
  if (typeof wait.TimestampPath === 'string') {
    const at = instantOf(readPath(wait.TimestampPath, input, context));
    if (at === undefined) {
      throw taskError(
        'States.Runtime',
        `The TimestampPath parameter does not reference a valid RFC 3339 date-time: ${wait.TimestampPath}`,
      );
    }
    return new Date(at);
  }
  throw taskError('States.Runtime', 'A Wait state needs Seconds, SecondsPath, Timestamp or TimestampPath');
}

let timeoutErrorType: Promise<(new () => Error) | undefined> | undefined;

/**
 * The library's own States.Timeout error (its class is not exported): Retry and Catch rules on
 * States.TaskFailed skip exactly that class, as on AWS. Learned once by letting a Task time out
 * after a millisecond; a plainly named error if that ever stops working.
 */
export async function statesTimeoutError(): Promise<Error> {
  timeoutErrorType ??= (async () => {
    const probe = new StateMachine(
      {
        StartAt: 'Probe',
        States: { Probe: { Type: 'Task', Resource: standInResource, TimeoutSeconds: 0.001, End: true } },
      } as unknown as StateMachineDefinition,
      { validationOptions: { noValidate: true } },
    );
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    try {
      await probe.run({}, { overrides: { taskResourceLocalHandlers: { Probe: () => held } as never } })
        .result;
    } catch (error) {
      const cause = error instanceof ExecutionError ? error.cause : undefined;
      if (cause instanceof Error && cause.name === 'States.Timeout')
        return cause.constructor as new () => Error;
    } finally {
      release();
    }
    return undefined;
  })();
  const Type = await timeoutErrorType;
  return Type ? new Type() : taskError('States.Timeout', 'States.Timeout');
}

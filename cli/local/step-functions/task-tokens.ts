// Task tokens as Step Functions hands them out for `.waitForTaskToken`: 86 base64url characters
// in `$$.Task.Token`, a fresh one for every attempt; SendTaskSuccess/Failure/Heartbeat answer
// them with AWS's errors (InvalidToken, TaskDoesNotExist, TaskTimedOut for a token whose task is
// over, InvalidOutput); TimeoutSeconds fails its task with States.Timeout and HeartbeatSeconds
// with States.HeartbeatTimeout, both counted on the service's clock (the local clock, which
// `claims clock advance` moves). Left out: tokens do not survive a restart (a resumed execution
// re-runs its waiting state, which asks for a new one; the service keeps its timeout instant).
import { randomBytes } from 'node:crypto';
import type { AlarmClock } from '#cli/local/local-clock.ts';
import { statesTimeoutError } from '#cli/local/step-functions/clock-waits.ts';
import { lambdaFailure } from '#cli/local/step-functions/integrations.ts';
import { parseJsonText, StepFunctionsError, taskError, type Json } from '#cli/local/step-functions/model.ts';

const rememberedClosedTokens = 100_000;
const taskTokenPattern = /^[A-Za-z0-9_-]{86}$/;

const newToken = (): string => randomBytes(64).toString('base64url');

/**
 * Hands out `$$.Task.Token`. The library evaluates a Task's Parameters and then calls our override
 * for that Task in one synchronous stretch, so the token minted while Parameters read it is the one
 * the override claims next; each attempt (retries included) gets a fresh token.
 */
export class TokenSource {
  private minted: string | undefined;
  /** Goes into the context object as `Task`; the getter mints lazily. */
  readonly contextObject: { readonly Token: string };

  constructor() {
    const mint = (): string => (this.minted ??= newToken());
    this.contextObject = Object.defineProperty({} as { readonly Token: string }, 'Token', {
      enumerable: true,
      get: mint,
    });
  }

  take(): string {
    const token = this.minted ?? newToken();
    this.minted = undefined;
    return token;
  }

  discard(): void {
    this.minted = undefined;
  }
}

/** Whatever a token belongs to (an execution): it keeps its open tokens, to close them with it. */
export interface TokenOwner {
  readonly tokens: Set<string>;
}

interface PendingTask {
  readonly owner: TokenOwner;
  readonly resolve: (value: Json) => void;
  readonly reject: (error: Error) => void;
  readonly heartbeatSeconds?: number;
  /** Cancel the clock waits for the timeout and the current heartbeat. */
  readonly timeout: AbortController;
  heartbeat?: AbortController;
}

/** Tokens waiting for an answer, and those recently closed. */
export class TaskTokens {
  private readonly pendingTasks = new Map<string, PendingTask>();
  /** Tokens whose task is over (answered, timed out, execution closed): AWS says TaskTimedOut for these. */
  private readonly closedTokens = new Set<string>();

  constructor(private readonly clock: AlarmClock) {}

  /**
   * `.waitForTaskToken`: register the token first (the Lambda may answer before it returns), start
   * the work, then wait for SendTaskSuccess/Failure. At `timeoutAt` on the clock the task fails
   * with the library's own States.Timeout (which States.TaskFailed does not match, as on AWS); the
   * library's timer for the Task is set past any wait (definitions.ts), so only the clock counts.
   */
  wait(
    owner: TokenOwner,
    token: string | undefined,
    timing: { readonly timeoutAt: Date; readonly heartbeatSeconds: number | undefined },
    start: () => Promise<unknown>,
  ): Promise<Json> {
    const taskToken = token ?? newToken();
    const { timeoutAt, heartbeatSeconds } = timing;
    return new Promise<Json>((resolve, reject) => {
      const pending: PendingTask = {
        owner,
        resolve,
        reject,
        timeout: new AbortController(),
        ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}),
      };
      this.pendingTasks.set(taskToken, pending);
      owner.tokens.add(taskToken);
      this.clock.whenReached(timeoutAt, pending.timeout.signal).then(
        () => {
          if (this.close(taskToken)) void statesTimeoutError().then(reject);
        },
        () => undefined,
      );
      this.armHeartbeat(taskToken, pending);
      start().then(
        () => undefined,
        (error: unknown) => {
          if (this.close(taskToken)) reject(error instanceof Error ? error : lambdaFailure(error));
        },
      );
    });
  }

  private armHeartbeat(token: string, pending: PendingTask): void {
    if (pending.heartbeatSeconds === undefined) return;
    pending.heartbeat?.abort();
    const heartbeat = new AbortController();
    pending.heartbeat = heartbeat;
    const due = new Date(this.clock.now().getTime() + pending.heartbeatSeconds * 1000);
    this.clock.whenReached(due, heartbeat.signal).then(
      () => {
        if (this.close(token))
          pending.reject(taskError('States.HeartbeatTimeout', 'Task did not send a heartbeat in time'));
      },
      () => undefined,
    );
  }

  /** Retires a token; true if it was still pending. */
  close(token: string): boolean {
    const pending = this.pendingTasks.get(token);
    if (!pending) return false;
    this.pendingTasks.delete(token);
    pending.owner.tokens.delete(token);
    pending.timeout.abort();
    pending.heartbeat?.abort();
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
    this.close(taskToken);
    pending.resolve(value);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    const pending = this.pendingFor(taskToken);
    if (error !== undefined && error.length > 256)
      throw new StepFunctionsError('ValidationException', 'error exceeds 256 characters');
    if (cause !== undefined && cause.length > 32768)
      throw new StepFunctionsError('ValidationException', 'cause exceeds 32768 characters');
    this.close(taskToken);
    pending.reject(taskError(error ?? '', cause ?? ''));
  }

  sendTaskHeartbeat(taskToken: string): void {
    this.armHeartbeat(taskToken, this.pendingFor(taskToken));
  }
}

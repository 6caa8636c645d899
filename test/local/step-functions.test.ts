import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLocalStepFunctions,
  serveStepFunctionsApi,
  StepFunctionsError,
  type LambdaInvoker,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  type StepFunctionsApi,
} from '#cli/local/step-functions.ts';

const account = '123456789012';
const smArn = (name: string): string => `arn:aws:states:ap-east-1:${account}:stateMachine:${name}`;
const fnArn = (name: string): string => `arn:aws:lambda:ap-east-1:${account}:function:${name}`;
const MAIN = smArn('main');
const CHILD = smArn('child');

const retry = (errors: string[], extra: Record<string, unknown> = {}): Record<string, unknown>[] => [
  { ErrorEquals: errors, IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3, ...extra },
];

function invoke(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: fnArn(name), 'Payload.$': '$' },
    ...extra,
  };
}

function waitForToken(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: { FunctionName: fnArn(name), Payload: { 'input.$': '$', 'taskToken.$': '$$.Task.Token' } },
    ...extra,
  };
}

const asl = (states: Record<string, unknown>, startAt = Object.keys(states)[0] ?? ''): string =>
  JSON.stringify({ StartAt: startAt, States: states });

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const services: LocalStepFunctions[] = [];
const apis: StepFunctionsApi[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.close()));
  await Promise.all(services.splice(0).map((service) => service.close()));
});

function service(
  definitions: LocalStepFunctionsOptions['definitions'],
  invokeLambda: LambdaInvoker,
): LocalStepFunctions {
  const created = createLocalStepFunctions({ definitions, invokeLambda, retryIntervalScale: 0.001 });
  services.push(created);
  return created;
}

async function run(svc: LocalStepFunctions, input: unknown, name?: string, arn = MAIN) {
  const { executionArn } = svc.startExecution({
    stateMachineArn: arn,
    input: JSON.stringify(input),
    ...(name ? { name } : {}),
  });
  return svc.waitForExecution(executionArn);
}

/** Calls that reached a fake Lambda, with the token (if any) it was handed. */
function recorder() {
  const calls: { fn: string; payload: Record<string, unknown> }[] = [];
  const waiters: ((token: string) => void)[] = [];
  const tokens: string[] = [];
  return {
    calls,
    record(fn: string, payload: unknown) {
      const p = payload as Record<string, unknown>;
      calls.push({ fn, payload: p });
      if (typeof p.taskToken === 'string') {
        tokens.push(p.taskToken);
        waiters.shift()?.(p.taskToken);
      }
    },
    nextToken(): Promise<string> {
      const ready = tokens.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => waiters.push((t) => resolve(tokens.shift() ?? t)));
    },
  };
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof StepFunctionsError) return error.code;
    throw error;
  }
  return undefined;
}

describe('lambda:invoke tasks', () => {
  it('invoke the FunctionName from Parameters and return { Payload } like AWS', async () => {
    const seen: [string, unknown][] = [];
    const svc = service(
      {
        [MAIN]: asl({
          Validate: invoke('validate', {
            Parameters: { FunctionName: fnArn('validate'), Payload: { 'bucket.$': '$.detail.bucket.name' } },
            ResultSelector: { 'claimId.$': '$.Payload.claimId', 'status.$': '$.StatusCode' },
            ResultPath: '$',
            Next: 'Raw',
          }),
          Raw: invoke('raw', { ResultPath: '$.raw', Next: 'Plain' }),
          Plain: { Type: 'Task', Resource: fnArn('plain'), ResultPath: '$.plain', End: true },
        }),
      },
      async (fn, payload) => {
        seen.push([fn, payload]);
        if (fn === fnArn('validate')) return { claimId: 'C1', extra: undefined, at: new Date(0) };
        if (fn === fnArn('raw')) return 'text';
        return { plain: true };
      },
    );
    const result = await run(svc, { detail: { bucket: { name: 'receipts' } } });
    expect(result.status).toBe('SUCCEEDED');
    expect(seen).toEqual([
      [fnArn('validate'), { bucket: 'receipts' }],
      [fnArn('raw'), { claimId: 'C1', status: 200 }],
      [fnArn('plain'), { claimId: 'C1', status: 200, raw: expect.any(Object) }],
    ]);
    const output = JSON.parse(result.output ?? 'null') as Record<string, Record<string, unknown>>;
    expect(output.raw).toMatchObject({ Payload: 'text', StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(output.raw?.SdkResponseMetadata).toHaveProperty('RequestId');
    expect(output.plain).toEqual({ plain: true });
  });

  it('retries by error name with backoff, then catches with Error and the Lambda error payload as Cause', async () => {
    let attempts = 0;
    const svc = service(
      {
        [MAIN]: asl({
          Flaky: invoke('flaky', {
            Retry: retry(['TransientError']),
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
            End: true,
          }),
          Caught: { Type: 'Pass', End: true },
        }),
      },
      async () => {
        attempts++;
        throw new NamedError('TransientError', `attempt ${attempts}`);
      },
    );
    const result = await run(svc, { claimId: 'C' });
    expect(attempts).toBe(4); // the first try and MaxAttempts retries
    const output = JSON.parse(result.output ?? '{}') as {
      claimId: string;
      error: { Error: string; Cause: string };
    };
    expect(output.claimId).toBe('C');
    expect(output.error.Error).toBe('TransientError');
    expect(JSON.parse(output.error.Cause)).toMatchObject({
      errorType: 'TransientError',
      errorMessage: 'attempt 4',
    });
  });

  it('recovers when a retry succeeds, and does not retry errors the Retry does not list', async () => {
    let calls = 0;
    const svc = service(
      { [MAIN]: asl({ Once: invoke('once', { Retry: retry(['TransientError']), End: true }) }) },
      async (_fn, payload) => {
        calls++;
        const p = payload as { mode: string };
        if (p.mode === 'flaky' && calls === 1) throw new NamedError('TransientError', 'first');
        if (p.mode === 'fatal') throw new Error('bad input');
        return { ok: calls };
      },
    );
    const ok = await run(svc, { mode: 'flaky' });
    expect(JSON.parse(ok.output ?? '{}')).toMatchObject({ Payload: { ok: 2 } });
    calls = 0;
    const failed = await run(svc, { mode: 'fatal' });
    expect(calls).toBe(1);
    // A plain Error's name is "Error", exactly what the Node.js Lambda runtime reports.
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Error' });
    expect(JSON.parse(failed.cause ?? '{}')).toMatchObject({ errorType: 'Error', errorMessage: 'bad input' });
  });

  it('reads ResultPath "$" and bracket paths as AWS does (the library alone does not)', async () => {
    const svc = service(
      {
        [MAIN]: asl({
          Replace: invoke('r', { ResultSelector: { 'v.$': '$.Payload' }, ResultPath: '$', Next: 'Bracket' }),
          Bracket: { Type: 'Pass', Result: 'x', ResultPath: "$['the key']", Next: 'Boom' },
          Boom: invoke('boom', {
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'Done' }],
            End: true,
          }),
          Done: { Type: 'Pass', End: true },
        }),
      },
      async (fn) => {
        if (fn === fnArn('boom')) throw new NamedError('Oops', 'no');
        return 5;
      },
    );
    const result = await run(svc, { keep: false });
    expect(JSON.parse(result.output ?? '{}')).toMatchObject({ Error: 'Oops' });
    expect(JSON.parse(result.output ?? '{}')).not.toHaveProperty('v');
    const bracket = service(
      { [CHILD]: asl({ Bracket: { Type: 'Pass', Result: 'x', ResultPath: "$['the key']", End: true } }) },
      async () => null,
    );
    expect(JSON.parse((await run(bracket, { a: 1 }, undefined, CHILD)).output ?? '{}')).toEqual({
      a: 1,
      'the key': 'x',
    });
  });

  it('matches States.TaskFailed for task errors', async () => {
    const svc = service(
      {
        [MAIN]: asl({
          T: invoke('t', { Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Caught' }], End: true }),
          Caught: { Type: 'Succeed' },
        }),
      },
      async () => {
        throw new NamedError('Whatever', 'x');
      },
    );
    expect((await run(svc, {})).status).toBe('SUCCEEDED');
  });

  it('reports Fail states and non-JSON results', async () => {
    const svc = service(
      {
        [MAIN]: asl({ F: { Type: 'Fail', Error: 'ClaimMarkedError', Cause: 'see history' } }),
        [CHILD]: asl({ F: { Type: 'Fail' } }),
        [smArn('bigint')]: asl({ T: invoke('t', { End: true }) }),
      },
      async () => ({ n: 1n }),
    );
    expect(await run(svc, {})).toMatchObject({
      status: 'FAILED',
      error: 'ClaimMarkedError',
      cause: 'see history',
    });
    const bare = await run(svc, {}, undefined, CHILD);
    expect(bare.status).toBe('FAILED');
    expect(bare).not.toHaveProperty('error');
    expect(await run(svc, {}, undefined, smArn('bigint'))).toMatchObject({
      status: 'FAILED',
      error: 'TypeError',
    });
  });
});

describe('waitForTaskToken', () => {
  const review = {
    [MAIN]: asl({
      Gate: waitForToken('request-review', {
        TimeoutSeconds: 600,
        ResultPath: '$.review',
        Catch: [
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'TimedOut' },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' },
        ],
        Next: 'SecondGate',
      }),
      SecondGate: waitForToken('request-review', { TimeoutSeconds: 600, ResultPath: '$.second', End: true }),
      TimedOut: { Type: 'Pass', End: true },
      Failed: { Type: 'Pass', End: true },
    }),
  };

  it('hands the Lambda a fresh token and resumes with SendTaskSuccess output', async () => {
    const r = recorder();
    const svc = service(review, async (fn, payload) => {
      r.record(fn, payload);
      return { accepted: true };
    });
    const { executionArn } = svc.startExecution({
      stateMachineArn: MAIN,
      name: 'C-1',
      input: '{"claimId":"C-1"}',
    });
    const first = await r.nextToken();
    expect(r.calls[0]).toEqual({
      fn: fnArn('request-review'),
      payload: { input: { claimId: 'C-1' }, taskToken: first },
    });
    expect(svc.describeExecution(executionArn).status).toBe('RUNNING');
    svc.sendTaskHeartbeat(first);
    svc.sendTaskSuccess(first, JSON.stringify({ decision: 'approve' }));
    const second = await r.nextToken();
    expect(second).not.toBe(first);
    expect(errorCode(() => svc.sendTaskSuccess(first, '{}'))).toBe('TaskTimedOut');
    svc.sendTaskSuccess(second, '"done"');
    const result = await svc.waitForExecution(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '{}')).toEqual({
      claimId: 'C-1',
      review: { decision: 'approve' },
      second: 'done',
    });
  });

  it('works when the Lambda answers before it returns, and tells bad tokens apart', async () => {
    const svc: LocalStepFunctions = service(review, async (_fn, payload) => {
      const { taskToken } = payload as { taskToken: string };
      svc.sendTaskSuccess(taskToken, '{"decision":"approve"}');
      return null;
    });
    const result = await run(svc, { claimId: 'C-2' });
    expect(result.status).toBe('SUCCEEDED');
    expect(errorCode(() => svc.sendTaskSuccess('not a token', '{}'))).toBe('InvalidToken');
    expect(errorCode(() => svc.sendTaskSuccess('A'.repeat(86), '{}'))).toBe('TaskDoesNotExist');
    expect(errorCode(() => svc.sendTaskSuccess('', '{}'))).toBe('ValidationException');
  });

  it('fails the task with SendTaskFailure error and cause (catchable)', async () => {
    const r = recorder();
    const svc = service(review, async (fn, payload) => r.record(fn, payload));
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: '{"claimId":"C-3"}' });
    const token = await r.nextToken();
    expect(errorCode(() => svc.sendTaskSuccess(token, '{not json'))).toBe('InvalidOutput');
    svc.sendTaskFailure(token, 'ReviewerUnavailable', 'on leave');
    const result = await svc.waitForExecution(executionArn);
    expect(JSON.parse(result.output ?? '{}')).toEqual({
      claimId: 'C-3',
      error: { Error: 'ReviewerUnavailable', Cause: 'on leave' },
    });
  });

  it('fails the task when the Lambda that should hand out the token fails', async () => {
    const svc = service(review, async () => {
      throw new NamedError('Lambda.ServiceException', 'down');
    });
    const result = await run(svc, { claimId: 'C-4' });
    expect(JSON.parse(result.output ?? '{}')).toMatchObject({ error: { Error: 'Lambda.ServiceException' } });
  });

  it('times out with a catchable States.Timeout that States.TaskFailed does not match, and retires the token', async () => {
    const r = recorder();
    const svc = service(
      {
        [MAIN]: asl({
          Gate: waitForToken('request-review', {
            TimeoutSeconds: 1,
            ResultPath: '$.review',
            Catch: [
              { ErrorEquals: ['States.TaskFailed'], Next: 'Wrong' },
              { ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'Escalate' },
            ],
            End: true,
          }),
          Wrong: { Type: 'Fail', Error: 'WrongCatcher' },
          Escalate: { Type: 'Pass', End: true },
        }),
      },
      async (fn, payload) => r.record(fn, payload),
    );
    const started = Date.now();
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: '{}' });
    const token = await r.nextToken();
    const result = await svc.waitForExecution(executionArn);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '{}')).toMatchObject({ timeout: { Error: 'States.Timeout' } });
    expect(errorCode(() => svc.sendTaskSuccess(token, '{}'))).toBe('TaskTimedOut');
  });

  it('fails with States.HeartbeatTimeout unless heartbeats arrive', async () => {
    const r = recorder();
    const svc = service(
      {
        [MAIN]: asl({
          Gate: waitForToken('request-review', { HeartbeatSeconds: 1, TimeoutSeconds: 60, End: true }),
        }),
      },
      async (fn, payload) => r.record(fn, payload),
    );
    const kept = svc.startExecution({ stateMachineArn: MAIN, input: '{}' });
    const keptToken = await r.nextToken();
    const lost = svc.startExecution({ stateMachineArn: MAIN, input: '{}' });
    await r.nextToken();
    const beat = setInterval(() => svc.sendTaskHeartbeat(keptToken), 300);
    try {
      expect(await svc.waitForExecution(lost.executionArn)).toMatchObject({
        status: 'FAILED',
        error: 'States.HeartbeatTimeout',
      });
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(svc.describeExecution(kept.executionArn).status).toBe('RUNNING');
      svc.sendTaskSuccess(keptToken, '{}');
    } finally {
      clearInterval(beat);
    }
    expect((await svc.waitForExecution(kept.executionArn)).status).toBe('SUCCEEDED');
  });

  it('close() aborts waiting executions and retires their tokens', async () => {
    const r = recorder();
    const svc = createLocalStepFunctions({
      definitions: review,
      invokeLambda: async (fn, p) => r.record(fn, p),
    });
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: '{}' });
    const token = await r.nextToken();
    await svc.close();
    await svc.close();
    expect(svc.describeExecution(executionArn)).toMatchObject({ status: 'ABORTED', error: 'States.Aborted' });
    expect(errorCode(() => svc.sendTaskSuccess(token, '{}'))).toBe('TaskTimedOut');
    expect(errorCode(() => svc.startExecution({ stateMachineArn: MAIN }))).toBe('ServiceUnavailable');
  });

  it('stopExecution aborts one execution', async () => {
    const r = recorder();
    const svc = service(review, async (fn, p) => r.record(fn, p));
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: '{}' });
    await r.nextToken();
    svc.stopExecution(executionArn, 'Operator', 'test');
    expect(await svc.waitForExecution(executionArn)).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'test',
    });
  });
});

describe('states:startExecution tasks and execution names', () => {
  const definitions = {
    [MAIN]: asl({
      StartReview: {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution',
        Parameters: { StateMachineArn: CHILD, 'Name.$': '$.claimId', Input: { 'claimId.$': '$.claimId' } },
        ResultPath: '$.started',
        Catch: [
          {
            ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'],
            ResultPath: '$.duplicate',
            Next: 'AlreadyStarted',
          },
        ],
        End: true,
      },
      AlreadyStarted: { Type: 'Succeed' },
    }),
    [CHILD]: {
      type: 'STANDARD' as const,
      definition: asl({ Gate: waitForToken('request-review', { End: true }) }),
    },
    [smArn('sync')]: asl({
      Nested: {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: { StateMachineArn: smArn('echo'), Input: { 'v.$': '$.v' } },
        ResultSelector: { 'out.$': '$.Output', 'status.$': '$.Status' },
        End: true,
      },
    }),
    [smArn('echo')]: asl({ Echo: { Type: 'Pass', Parameters: { 'echo.$': '$.v' }, End: true } }),
    [smArn('express')]: { type: 'EXPRESS' as const, definition: asl({ P: { Type: 'Pass', End: true } }) },
  };

  it('starts the child under the given name; a second start is ExecutionAlreadyExistsException', async () => {
    const r = recorder();
    const svc = service(definitions, async (fn, p) => r.record(fn, p));
    const first = await run(svc, { claimId: 'C-9' });
    expect(first.status).toBe('SUCCEEDED');
    const started = (
      JSON.parse(first.output ?? '{}') as { started: { ExecutionArn: string; StartDate: number } }
    ).started;
    expect(started.ExecutionArn).toBe(`arn:aws:states:ap-east-1:${account}:execution:child:C-9`);
    expect(typeof started.StartDate).toBe('number');
    const token = await r.nextToken();
    expect(r.calls[0]?.payload.input).toEqual({ claimId: 'C-9' });

    const second = await run(svc, { claimId: 'C-9' });
    const duplicate = (JSON.parse(second.output ?? '{}') as { duplicate: { Error: string; Cause: string } })
      .duplicate;
    // The child is still running with the same input: StartExecution is idempotent then, as on AWS.
    expect(duplicate).toBeUndefined();

    svc.sendTaskSuccess(token, '{}');
    await svc.waitForExecution(started.ExecutionArn);
    const third = await run(svc, { claimId: 'C-9' });
    const again = (JSON.parse(third.output ?? '{}') as { duplicate: { Error: string; Cause: string } })
      .duplicate;
    expect(again.Error).toBe('StepFunctions.ExecutionAlreadyExistsException');
    expect(again.Cause).toMatch(/Execution Already Exists/);
  });

  it('StartExecution: same name and input while running is idempotent, otherwise ExecutionAlreadyExists', async () => {
    const r = recorder();
    const svc = service(definitions, async (fn, p) => r.record(fn, p));
    const a = svc.startExecution({ stateMachineArn: CHILD, name: 'n1', input: '{"claimId":"x"}' });
    expect(svc.startExecution({ stateMachineArn: CHILD, name: 'n1', input: '{"claimId":"x"}' })).toEqual(a);
    expect(
      errorCode(() => svc.startExecution({ stateMachineArn: CHILD, name: 'n1', input: '{"claimId":"y"}' })),
    ).toBe('ExecutionAlreadyExists');
    expect(errorCode(() => svc.startExecution({ stateMachineArn: smArn('nope') }))).toBe(
      'StateMachineDoesNotExist',
    );
    expect(errorCode(() => svc.startExecution({ stateMachineArn: 'arn:bad' }))).toBe('InvalidArn');
    expect(errorCode(() => svc.startExecution({ stateMachineArn: CHILD, name: 'has space' }))).toBe(
      'InvalidName',
    );
    expect(errorCode(() => svc.startExecution({ stateMachineArn: CHILD, input: '{oops' }))).toBe(
      'InvalidExecutionInput',
    );
    expect(
      errorCode(() => svc.describeExecution(`arn:aws:states:ap-east-1:${account}:execution:child:none`)),
    ).toBe('ExecutionDoesNotExist');
    // EXPRESS names are not unique.
    const e1 = svc.startExecution({ stateMachineArn: smArn('express'), name: 'same' });
    const e2 = svc.startExecution({ stateMachineArn: smArn('express'), name: 'same' });
    expect(e1.executionArn).not.toBe(e2.executionArn);
    expect(e1.executionArn).toMatch(/:express:express:same:/);
    expect((await svc.waitForExecution(e2.executionArn)).status).toBe('SUCCEEDED');
  });

  it('startExecution.sync:2 waits for the child and returns its parsed output', async () => {
    const svc = service(definitions, async () => null);
    const result = await run(svc, { v: 7 }, undefined, smArn('sync'));
    expect(JSON.parse(result.output ?? '{}')).toEqual({ out: { echo: 7 }, status: 'SUCCEEDED' });
  });
});

describe('stateFile', () => {
  it('keeps finished executions and resumes running ones at the state they were in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-sfn-'));
    const stateFile = join(dir, 'stepfunctions', 'executions.json');
    const definitions = {
      [MAIN]: asl({
        Gate1: waitForToken('request-review', { ResultPath: '$.first', Next: 'Gate2' }),
        Gate2: {
          ...waitForToken('request-review', { ResultPath: '$.second', End: true }),
          Parameters: {
            FunctionName: fnArn('request-review'),
            Payload: { 'input.$': '$', 'original.$': '$$.Execution.Input', 'taskToken.$': '$$.Task.Token' },
          },
        },
      }),
    };
    let second: LocalStepFunctions | undefined;
    try {
      const r1 = recorder();
      const first = createLocalStepFunctions({
        definitions,
        invokeLambda: async (fn, p) => r1.record(fn, p),
        stateFile,
      });
      const finished = first.startExecution({
        stateMachineArn: MAIN,
        name: 'done-1',
        input: '{"claimId":"D"}',
      });
      first.sendTaskSuccess(await r1.nextToken(), '"a"');
      first.sendTaskSuccess(await r1.nextToken(), '"b"');
      await first.waitForExecution(finished.executionArn);
      const waiting = first.startExecution({
        stateMachineArn: MAIN,
        name: 'wait-1',
        input: '{"claimId":"W"}',
      });
      first.sendTaskSuccess(await r1.nextToken(), '"approved"');
      const oldToken = await r1.nextToken();
      await first.close();

      const r2 = recorder();
      const restarted = createLocalStepFunctions({
        definitions,
        invokeLambda: async (fn, p) => r2.record(fn, p),
        stateFile,
      });
      second = restarted;
      expect(restarted.describeExecution(finished.executionArn)).toMatchObject({
        status: 'SUCCEEDED',
        output: '{"claimId":"D","first":"a","second":"b"}',
      });
      expect(errorCode(() => restarted.startExecution({ stateMachineArn: MAIN, name: 'done-1' }))).toBe(
        'ExecutionAlreadyExists',
      );
      expect(restarted.describeExecution(waiting.executionArn).status).toBe('RUNNING');
      // The waiting gate asks its Lambda again, with a new token and the same state input.
      const newToken = await r2.nextToken();
      expect(newToken).not.toBe(oldToken);
      expect(r2.calls[0]?.payload).toMatchObject({
        input: { claimId: 'W', first: 'approved' },
        original: { claimId: 'W' },
      });
      restarted.sendTaskSuccess(newToken, '"also"');
      expect(await restarted.waitForExecution(waiting.executionArn)).toMatchObject({
        status: 'SUCCEEDED',
        output: '{"claimId":"W","first":"approved","second":"also"}',
      });
    } finally {
      await second?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('definitions', () => {
  it('refuses resources the local service cannot run, leftover substitutions and invalid ASL', () => {
    const invokeLambda = async (): Promise<null> => null;
    expect(() =>
      createLocalStepFunctions({
        definitions: {
          [MAIN]: asl({ T: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', End: true } }),
        },
        invokeLambda,
      }),
    ).toThrow(/cannot run these Task resources: T/);
    expect(() =>
      createLocalStepFunctions({
        definitions: {
          [MAIN]: asl({
            T: invoke('x', { Parameters: { FunctionName: '${ValidateFunctionArn}' }, End: true }),
          }),
        },
        invokeLambda,
      }),
    ).toThrow(/substitutions/);
    expect(() =>
      createLocalStepFunctions({ definitions: { [MAIN]: asl({ P: { Type: 'Pass' } }) }, invokeLambda }),
    ).toThrow(StepFunctionsError);
    expect(() =>
      createLocalStepFunctions({
        definitions: { 'not-an-arn': asl({ P: { Type: 'Pass', End: true } }) },
        invokeLambda,
      }),
    ).toThrow(/Invalid Arn/);
  });
});

describe('AWS JSON 1.0 endpoint with a real SFNClient', () => {
  it('serves StartExecution, DescribeExecution and the task token calls, with AWS error shapes', async () => {
    const r = recorder();
    const svc = service(
      {
        [MAIN]: asl({
          Gate: waitForToken('request-review', {
            HeartbeatSeconds: 30,
            ResultPath: '$.review',
            Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.rejection', Next: 'RejectedState' }],
            End: true,
          }),
          RejectedState: { Type: 'Pass', End: true },
        }),
      },
      async (fn, p) => r.record(fn, p),
    );
    const api = await serveStepFunctionsApi({ port: 0, service: svc });
    apis.push(api);
    const sfn = new SFNClient({
      endpoint: api.endpoint,
      region: 'ap-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      const started = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: MAIN, name: 'C-42', input: '{"claimId":"C-42"}' }),
      );
      expect(started.executionArn).toBe(`arn:aws:states:ap-east-1:${account}:execution:main:C-42`);
      expect(started.startDate).toBeInstanceOf(Date);
      await expect(
        sfn.send(
          new StartExecutionCommand({ stateMachineArn: MAIN, name: 'C-42', input: '{"claimId":"other"}' }),
        ),
      ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
      await expect(
        sfn.send(new StartExecutionCommand({ stateMachineArn: smArn('missing') })),
      ).rejects.toBeInstanceOf(StateMachineDoesNotExist);

      const token = await r.nextToken();
      const running = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      expect(running).toMatchObject({
        status: 'RUNNING',
        name: 'C-42',
        input: '{"claimId":"C-42"}',
        stateMachineArn: MAIN,
      });
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"decision":"approve"}' }));
      await expect(
        sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
      ).rejects.toBeInstanceOf(TaskTimedOut);
      await expect(
        sfn.send(new SendTaskSuccessCommand({ taskToken: 'garbage', output: '{}' })),
      ).rejects.toBeInstanceOf(InvalidToken);
      await expect(
        sfn.send(new SendTaskFailureCommand({ taskToken: 'B'.repeat(86), error: 'x' })),
      ).rejects.toBeInstanceOf(TaskDoesNotExist);

      await svc.waitForExecution(started.executionArn ?? '');
      const done = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      expect(done.status).toBe('SUCCEEDED');
      expect(done.stopDate).toBeInstanceOf(Date);
      expect(JSON.parse(done.output ?? '{}')).toEqual({ claimId: 'C-42', review: { decision: 'approve' } });

      const second = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: MAIN, input: '{"claimId":"C-43"}' }),
      );
      await sfn.send(
        new SendTaskFailureCommand({ taskToken: await r.nextToken(), error: 'Rejected', cause: 'no' }),
      );
      await svc.waitForExecution(second.executionArn ?? '');
      const rejected = await sfn.send(new DescribeExecutionCommand({ executionArn: second.executionArn }));
      expect(JSON.parse(rejected.output ?? '{}')).toMatchObject({
        rejection: { Error: 'Rejected', Cause: 'no' },
      });

      await expect(
        sfn.send(
          new DescribeExecutionCommand({
            executionArn: `arn:aws:states:ap-east-1:${account}:execution:main:none`,
          }),
        ),
      ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    } finally {
      sfn.destroy();
    }
  });

  it('answers unknown operations and bad JSON with AWS JSON errors', async () => {
    const svc = service({ [MAIN]: asl({ P: { Type: 'Pass', End: true } }) }, async () => null);
    const api = await serveStepFunctionsApi({ port: 0, service: svc });
    apis.push(api);
    const post = async (target: string, body: string) => {
      const res = await fetch(api.endpoint, {
        method: 'POST',
        headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.0' },
        body,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await post('AWSStepFunctions.ListActivities', '{}')).toMatchObject({
      status: 400,
      body: { __type: 'UnknownOperationException' },
    });
    expect(await post('AWSStepFunctions.StartExecution', '{nope')).toMatchObject({
      status: 400,
      body: { __type: 'SerializationException' },
    });
    expect(await post('AWSStepFunctions.StartExecution', '{}')).toMatchObject({
      status: 400,
      body: { __type: 'ValidationException' },
    });
  });
});

// Wait states and task-token timeouts on the local Step Functions service run on the local clock:
// moving it ahead makes them fall due at once, StopExecution cancels a pending wait, and an
// execution resumed after a restart keeps the instant its wait was due at.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, LocalClock } from '#cli/local/local-clock.ts';
import {
  createLocalStepFunctions,
  type LambdaInvoker,
  type LocalStepFunctions,
} from '#cli/local/step-functions.ts';

const MAIN = 'arn:aws:states:ap-east-1:123456789012:stateMachine:main';
const fnArn = (name: string): string => `arn:aws:lambda:ap-east-1:123456789012:function:${name}`;
const asl = (states: Record<string, unknown>, startAt = Object.keys(states)[0] ?? ''): string =>
  JSON.stringify({ StartAt: startAt, States: states });

const services: LocalStepFunctions[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function service(
  definition: string,
  clock: LocalClock,
  extra: { stateFile?: string; invokeLambda?: LambdaInvoker; entered?: string[] } = {},
): LocalStepFunctions {
  const created = createLocalStepFunctions({
    definitions: { [MAIN]: definition },
    invokeLambda: extra.invokeLambda ?? (async () => ({})),
    retryIntervalScale: 0.001,
    clock,
    ...(extra.stateFile ? { stateFile: extra.stateFile } : {}),
    onEvent: ({ event }) => {
      if (event.type === 'StateEntered') extra.entered?.push(event.state.name);
    },
  });
  services.push(created);
  return created;
}

/** Waits (on real time, briefly) until the engine has reached a condition. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never happened: ${what}`);
}

const inDays = (clock: LocalClock, days: number): string =>
  new Date(clock.now().getTime() + days * DAY_MS).toISOString();

describe('Wait states on the local clock', () => {
  it('run Seconds, SecondsPath, Timestamp and TimestampPath as the clock moves, output = input', async () => {
    const clock = LocalClock.inMemory();
    const entered: string[] = [];
    const svc = service(
      asl({
        Notice: { Type: 'Wait', Seconds: 5 * 86_400, Next: 'Appeal' },
        Appeal: { Type: 'Wait', SecondsPath: '$.appealSeconds', Next: 'Fixed' },
        Fixed: { Type: 'Wait', Timestamp: inDays(clock, 12), Next: 'FromInput' },
        FromInput: { Type: 'Wait', TimestampPath: '$.decideBy', End: true },
      }),
      clock,
      { entered },
    );
    const input = { claimId: 'C-1', appealSeconds: 2 * 86_400, decideBy: inDays(clock, 20) };
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: JSON.stringify(input) });
    const waitingAt = (state: string) =>
      until(() => entered.at(-1) === state && clock.pendingWaits === 1, state);

    await waitingAt('Notice');
    await clock.advance(4);
    // Not yet due: the same wait is still pending and nothing moved on.
    expect(clock.pendingWaits).toBe(1);
    expect(entered).toEqual(['Notice']);
    await clock.advance(1);
    await waitingAt('Appeal');
    await clock.advance(2);
    await waitingAt('Fixed');
    await clock.advance(4);
    expect(entered.at(-1)).toBe('Fixed');
    await clock.advance(1);
    await waitingAt('FromInput');
    await clock.advance(8);
    const done = await svc.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual(input);
  });

  it('apply InputPath and OutputPath around the wait, and fire at once for an instant already past', async () => {
    const clock = LocalClock.inMemory();
    const svc = service(
      asl({
        Past: { Type: 'Wait', TimestampPath: '$.at', InputPath: '$.inner', OutputPath: '$.keep', End: true },
      }),
      clock,
    );
    const { executionArn } = svc.startExecution({
      stateMachineArn: MAIN,
      input: JSON.stringify({ inner: { at: '2020-01-01T00:00:00+08:00', keep: { a: 1 } }, dropped: true }),
    });
    const done = await svc.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({ a: 1 });
  });

  it.each([
    ['TimestampPath to text that is no date-time', { TimestampPath: '$.at' }, { at: 'next Tuesday' }],
    ['TimestampPath to a date without a time', { TimestampPath: '$.at' }, { at: '2026-12-10' }],
    ['TimestampPath to nothing', { TimestampPath: '$.missing' }, {}],
    ['SecondsPath to a negative number', { SecondsPath: '$.s' }, { s: -1 }],
    ['SecondsPath to a fraction', { SecondsPath: '$.s' }, { s: 1.5 }],
  ])('fail the execution with States.Runtime for a %s', async (_what, wait, input) => {
    const clock = LocalClock.inMemory();
    const svc = service(asl({ Hold: { Type: 'Wait', ...wait, End: true } }), clock);
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: JSON.stringify(input) });
    const done = await svc.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(clock.pendingWaits).toBe(0);
  });

  it('run inside Parallel branches too', async () => {
    const clock = LocalClock.inMemory();
    const svc = service(
      asl({
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Short', States: { Short: { Type: 'Wait', Seconds: 86_400, End: true } } },
            { StartAt: 'Long', States: { Long: { Type: 'Wait', Seconds: 3 * 86_400, End: true } } },
          ],
          End: true,
        },
      }),
      clock,
    );
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: '{"x":1}' });
    await until(() => clock.pendingWaits === 2, 'both branches waiting');
    await clock.advance(1);
    await until(() => clock.pendingWaits === 1, 'the short branch done');
    await clock.advance(2);
    const done = await svc.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual([{ x: 1 }, { x: 1 }]);
  });

  it('are cancelled by StopExecution: the wait is dropped and a later advance changes nothing', async () => {
    const clock = LocalClock.inMemory();
    const svc = service(asl({ Notice: { Type: 'Wait', Seconds: 5 * 86_400, End: true } }), clock);
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: '{}' });
    await until(() => clock.pendingWaits === 1, 'waiting');
    svc.stopExecution(executionArn, 'Withdrawn', 'the filer withdrew the claim');
    expect(svc.describeExecution(executionArn)).toMatchObject({ status: 'ABORTED', error: 'Withdrawn' });
    await until(() => clock.pendingWaits === 0, 'the wait dropped');
    await clock.advance(10);
    expect(svc.describeExecution(executionArn).status).toBe('ABORTED');
  });

  it('keep their due instant across a restart: the resumed wait fires when it was due', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clock-waits-'));
    dirs.push(dir);
    const stateFile = join(dir, 'stepfunctions', 'executions.json');
    const definition = asl({
      Notice: { Type: 'Wait', Seconds: 5 * 86_400, Next: 'Done' },
      Done: { Type: 'Pass', Result: { noticed: true }, End: true },
    });
    const clock = await LocalClock.open(dir);
    const first = service(definition, clock, { stateFile });
    const { executionArn } = first.startExecution({ stateMachineArn: MAIN, name: 'notice-1', input: '{}' });
    await until(() => clock.pendingWaits === 1, 'waiting');
    await clock.advance(3);
    await first.close();
    expect(clock.pendingWaits).toBe(0);

    const reopened = await LocalClock.open(dir);
    expect(reopened.offsetDays).toBe(3);
    const entered: string[] = [];
    const second = service(definition, reopened, { stateFile, entered });
    await until(() => reopened.pendingWaits === 1, 'the resumed wait');
    expect(entered).toContain('Notice');
    await reopened.advance(1);
    expect(second.describeExecution(executionArn).status).toBe('RUNNING');
    // Day 5 from the start, not 5 days from the restart.
    await reopened.advance(1);
    const done = await second.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({ noticed: true });
  });
});

describe('task-token timeouts on the local clock', () => {
  const gate = (extra: Record<string, unknown>) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: { FunctionName: fnArn('request-review'), Payload: { 'taskToken.$': '$$.Task.Token' } },
    ...extra,
  });

  it('time a gate out when the clock passes its TimeoutSeconds: States.Timeout, which States.TaskFailed does not catch', async () => {
    const clock = LocalClock.inMemory();
    let asked = 0;
    const svc = service(
      asl({
        Gate: gate({
          TimeoutSeconds: 14 * 86_400,
          Catch: [
            { ErrorEquals: ['States.TaskFailed'], Next: 'Wrong' },
            { ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Escalate' },
          ],
          End: true,
        }),
        Escalate: { Type: 'Pass', Result: 'escalated', ResultPath: '$.outcome', End: true },
        Wrong: { Type: 'Fail', Error: 'WrongCatch' },
      }),
      clock,
      {
        invokeLambda: async () => {
          asked += 1;
          return {};
        },
      },
    );
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: '{}' });
    await until(() => asked === 1 && clock.pendingWaits === 1, 'the gate waiting');
    await clock.advance(13);
    expect(clock.pendingWaits).toBe(1);
    await clock.advance(1);
    const done = await svc.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toMatchObject({
      outcome: 'escalated',
      timedOut: { Error: 'States.Timeout' },
    });
  });

  it('fail a task with States.HeartbeatTimeout when the clock passes its HeartbeatSeconds', async () => {
    const clock = LocalClock.inMemory();
    const svc = service(
      asl({ Gate: gate({ TimeoutSeconds: 30 * 86_400, HeartbeatSeconds: 3600, End: true }) }),
      clock,
    );
    const { executionArn } = svc.startExecution({ stateMachineArn: MAIN, input: '{}' });
    await until(() => clock.pendingWaits === 2, 'timeout and heartbeat armed');
    await clock.advance(1);
    const done = await svc.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    await until(() => clock.pendingWaits === 0, 'both waits dropped');
  });
});

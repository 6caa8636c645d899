// Runs both definitions in aws-local-stepfunctions (the engine the local runtime uses) with
// stand-in Lambdas, to check the paths a claim can take, including replays and faults.
import type { RunOptions } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  definitionPlaceholders,
  loadDefinition,
  renderDefinition,
  type WorkflowName,
} from '#infra/workflows/definitions.ts';

// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 20 lacks.
const promiseCtor = Promise as unknown as { withResolvers?: () => unknown };
promiseCtor.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const { StateMachine } = await import('aws-local-stepfunctions');

type Handler = (input: { Payload?: Record<string, unknown> } & Record<string, unknown>) => Promise<unknown>;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonInput = Parameters<InstanceType<typeof StateMachine>['run']>[0];

async function run(name: WorkflowName, input: unknown, handlers: Record<string, Handler>) {
  const subs = Object.fromEntries(
    definitionPlaceholders(loadDefinition(name)).map((p) => [
      p,
      `arn:aws:lambda:cn-north-1:123456789012:function:${p}`,
    ]),
  );
  const calls: { state: string; payload: unknown }[] = [];
  const wrapped: LocalHandlers = Object.fromEntries(
    Object.entries(handlers).map(([state, h]) => [
      state,
      async (i: Record<string, unknown>) => {
        calls.push({ state, payload: i.Payload ?? i });
        return h(i);
      },
    ]),
  ) as unknown as LocalHandlers;
  const machine = new StateMachine(JSON.parse(renderDefinition(name, subs)));
  const execution = machine.run(input as JsonInput, {
    overrides: {
      taskResourceLocalHandlers: wrapped,
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((s) => [s, 0])),
    },
    context: { Execution: { Input: input as JsonInput }, Task: { Token: 'task-token' } },
  });
  try {
    return { output: (await execution.result) as unknown, calls };
  } catch (error) {
    return { error: error as Error, calls };
  }
}

const event = {
  time: '2026-09-05T02:00:00Z',
  detail: { bucket: { name: 'receipts' }, object: { key: 'claims/01JCLAIM/manifest.json' } },
};
const noNotice = async () => ({ Payload: { claimId: '01JCLAIM', outcome: 'approved', noticeEndsAt: null } });
const step = (outcome: string) => async () => ({
  Payload: { claimId: '01JCLAIM', outcome, householdName: 'must not leak' },
});

describe('assess-claim runs', () => {
  it('approved claims are paid; state carries only claimId and outcome', async () => {
    const { output, calls } = await run('assess-claim', event, {
      ValidateClaim: step('continue'),
      CheckDuplicates: step('continue'),
      AssessClaim: step('approved'),
      RecordPayout: step('paid'),
    });
    expect(calls.map((c) => c.state)).toEqual([
      'ValidateClaim',
      'CheckDuplicates',
      'AssessClaim',
      'RecordPayout',
    ]);
    expect(calls[0]?.payload).toEqual({
      bucket: 'receipts',
      key: 'claims/01JCLAIM/manifest.json',
      time: '2026-09-05T02:00:00Z',
    });
    expect(calls[1]?.payload).toEqual({ claimId: '01JCLAIM', outcome: 'continue' });
    expect(output).toEqual({ claimId: '01JCLAIM', outcome: 'paid' });
  });

  it('claims for review start review-claim', async () => {
    const { calls } = await run('assess-claim', event, {
      ValidateClaim: step('continue'),
      CheckDuplicates: step('continue'),
      AssessClaim: step('review'),
      StartReview: async () => ({}),
    });
    expect(calls.at(-1)).toMatchObject({ state: 'StartReview' });
  });

  it('a replayed event resumes where the claim is (validate says approved: straight to the payout)', async () => {
    const { calls, output } = await run('assess-claim', event, {
      ValidateClaim: step('approved'),
      RecordPayout: step('paid'),
    });
    expect(calls.map((c) => c.state)).toEqual(['ValidateClaim', 'RecordPayout']);
    expect(output).toEqual({ claimId: '01JCLAIM', outcome: 'paid' });
  });

  it('a failing step marks the claim ERROR with its cause and fails the execution', async () => {
    const { error, calls } = await run('assess-claim', event, {
      ValidateClaim: async () => {
        throw Object.assign(new Error('manifest unreadable'), { name: 'SomeBug' });
      },
      MarkError: async () => ({ Payload: { claimId: '01JCLAIM', outcome: 'error' } }),
    });
    expect(calls.at(-1)).toEqual({
      state: 'MarkError',
      payload: {
        workflow: 'assess-claim',
        bucket: 'receipts',
        key: 'claims/01JCLAIM/manifest.json',
        error: { Error: 'SomeBug', Cause: 'manifest unreadable' },
      },
    });
    expect(String(error)).toContain('The claim was marked ERROR');
  });

  it('an unknown outcome is an error, not a silent success', async () => {
    const { error, calls } = await run('assess-claim', event, {
      ValidateClaim: step('continue'),
      CheckDuplicates: step('banana'),
      MarkError: async () => ({ Payload: {} }),
    });
    expect(calls.at(-1)?.payload).toMatchObject({ error: { Error: 'UnexpectedOutcome' } });
    expect(error).toBeDefined();
  });
});

describe('review-claim runs', () => {
  // Stand-ins for request-review: which gate is next (the gates left, in order), and each
  // gate's decision.
  const gatesLeft =
    (...gates: string[]) =>
    async () => ({
      Payload: { claimId: '01JCLAIM', gate: gates.shift() ?? null },
    });
  const decisions =
    (...decided: string[]) =>
    async () => ({ claimId: '01JCLAIM', gate: 'x', decision: decided.shift() });
  const requested = (calls: { state: string; payload: unknown }[]) =>
    calls.filter((c) => c.state === 'RequestGate').map((c) => c.payload);

  it('three approvals lead to the payout', async () => {
    const { calls, output } = await run(
      'review-claim',
      { claimId: '01JCLAIM' },
      {
        NextGate: gatesLeft('village', 'department', 'audit'),
        RequestGate: decisions('approve', 'approve', 'approve'),
        StartNotice: noNotice,
        RecordPayout: step('paid'),
      },
    );
    expect(calls.map((c) => c.state)).toEqual([
      'NextGate',
      'RequestGate',
      'NextGate',
      'RequestGate',
      'NextGate',
      'RequestGate',
      'NextGate',
      'StartNotice',
      'RecordPayout',
    ]);
    expect(calls[0]?.payload).toEqual({ claimId: '01JCLAIM' });
    expect(requested(calls)).toEqual(
      ['village', 'department', 'audit'].map((gate) => ({
        claimId: '01JCLAIM',
        gate,
        taskToken: 'task-token',
      })),
    );
    expect(output).toEqual({ claimId: '01JCLAIM', outcome: 'paid' });
  });

  it('waits on as many gates as the claim needs: four, one, or none', async () => {
    for (const gates of [['village', 'department', 'audit', 'fourth'], ['village'], []]) {
      const { calls, output } = await run(
        'review-claim',
        { claimId: '01JCLAIM' },
        {
          NextGate: gatesLeft(...gates),
          RequestGate: decisions(...gates.map(() => 'approve')),
          StartNotice: noNotice,
          RecordPayout: step('paid'),
        },
      );
      expect(requested(calls).map((p) => (p as { gate: string }).gate)).toEqual(gates);
      expect(output).toEqual({ claimId: '01JCLAIM', outcome: 'paid' });
    }
  });

  it('a claim in public notice waits until the notice ends, then the payout is recorded', async () => {
    const endsAt = new Date(Date.now() + 300).toISOString();
    const started = Date.now();
    const { calls, output } = await run(
      'review-claim',
      { claimId: '01JCLAIM' },
      {
        NextGate: gatesLeft(),
        StartNotice: async () => ({
          Payload: { claimId: '01JCLAIM', outcome: 'notice', noticeEndsAt: endsAt },
        }),
        RecordPayout: step('paid'),
      },
    );
    expect(calls.map((c) => c.state)).toEqual(['NextGate', 'StartNotice', 'RecordPayout']);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(endsAt) - 5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(output).toEqual({ claimId: '01JCLAIM', outcome: 'paid' });
  });

  it('a claim that left the path before its notice (refused, objected to) ends the run without a payout', async () => {
    const { calls, error } = await run(
      'review-claim',
      { claimId: '01JCLAIM' },
      {
        NextGate: gatesLeft(),
        StartNotice: async () => ({
          Payload: { claimId: '01JCLAIM', outcome: 'review', noticeEndsAt: null },
        }),
      },
    );
    expect(error).toBeUndefined();
    expect(calls.map((c) => c.state)).toEqual(['NextGate', 'StartNotice']);
  });

  it('a reject at any gate ends the review without a payout', async () => {
    const { calls, error } = await run(
      'review-claim',
      { claimId: '01JCLAIM' },
      {
        NextGate: gatesLeft('village', 'department', 'audit'),
        RequestGate: decisions('approve', 'reject'),
      },
    );
    expect(error).toBeUndefined();
    expect(calls.map((c) => c.state)).toEqual(['NextGate', 'RequestGate', 'NextGate', 'RequestGate']);
    expect(requested(calls).map((p) => (p as { gate: string }).gate)).toEqual(['village', 'department']);
  });

  it('a gate that times out is escalated and asked again', async () => {
    let asked = 0;
    const { calls } = await run(
      'review-claim',
      { claimId: '01JCLAIM' },
      {
        NextGate: gatesLeft('village'),
        RequestGate: async () => {
          asked += 1;
          if (asked === 1)
            throw Object.assign(new Error('no decision in 14 days'), { name: 'States.Timeout' });
          return { decision: 'reject' };
        },
        EscalateGate: async () => ({ Payload: { claimId: '01JCLAIM' } }),
      },
    );
    expect(calls.map((c) => c.state)).toEqual(['NextGate', 'RequestGate', 'EscalateGate', 'RequestGate']);
    expect(calls[2]?.payload).toEqual({ claimId: '01JCLAIM', gate: 'village' });
  });

  it('a decision without approve/reject marks the claim ERROR', async () => {
    const { calls, error } = await run(
      'review-claim',
      { claimId: '01JCLAIM' },
      {
        NextGate: gatesLeft('village'),
        RequestGate: async () => ({ ok: true }),
        MarkError: async () => ({ Payload: {} }),
      },
    );
    expect(calls.at(-1)).toEqual({
      state: 'MarkError',
      payload: {
        workflow: 'review-claim',
        claimId: '01JCLAIM',
        error: expect.objectContaining({ Error: 'UnexpectedDecision' }),
      },
    });
    expect(error).toBeDefined();
  });

  it('a next gate that is neither a gate id nor null marks the claim ERROR', async () => {
    const { calls, error } = await run(
      'review-claim',
      { claimId: '01JCLAIM' },
      {
        NextGate: async () => ({ Payload: { claimId: '01JCLAIM', gate: 42 } }),
        MarkError: async () => ({ Payload: {} }),
      },
    );
    expect(calls.at(-1)?.payload).toMatchObject({ error: { Error: 'UnexpectedNextGate' } });
    expect(error).toBeDefined();
  });
});

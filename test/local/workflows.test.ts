// The real workflow files on the local Step Functions service, with fake Lambdas: catches ASL the
// local runtime cannot run before `claims start` does.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalStepFunctions, type LocalStepFunctions } from '#cli/local/step-functions.ts';

const prefix = 'arn:aws:states:us-east-1:000000000000';
const ASSESS = `${prefix}:stateMachine:assess-claim`;
const REVIEW = `${prefix}:stateMachine:review-claim`;
const functionArn = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

function load(file: string): string {
  const text = readFileSync(new URL(`../../infra/workflows/${file}`, import.meta.url), 'utf8');
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_match, name: string) =>
    name === 'ReviewClaimStateMachineArn' ? REVIEW : functionArn(name),
  );
}

const objectCreated = (claimId: string) => ({
  version: '0',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  time: '2026-09-05T02:00:00Z',
  detail: { bucket: { name: 'receipts' }, object: { key: `claims/${claimId}/manifest.json` } },
});

let services: LocalStepFunctions[] = [];
afterEach(async () => {
  await Promise.all(services.map((s) => s.close()));
  services = [];
});

function stack(outcomes: Record<string, string>, gates = ['village', 'department', 'audit']) {
  const calls: { fn: string; payload: Record<string, unknown> }[] = [];
  const tokens: string[] = [];
  // request-review's "which gate is next": the first gate not yet asked for.
  const asked = new Set<string>();
  let wake: (() => void) | undefined;
  const svc = createLocalStepFunctions({
    definitions: {
      [ASSESS]: { definition: load('assess-claim.asl.json'), type: 'EXPRESS' },
      [REVIEW]: load('review-claim.asl.json'),
    },
    retryIntervalScale: 0.001,
    invokeLambda: async (fn, payload) => {
      const p = payload as Record<string, unknown>;
      calls.push({ fn, payload: p });
      if (typeof p.taskToken === 'string') {
        asked.add(String(p.gate));
        tokens.push(p.taskToken);
        wake?.();
        return { ok: true };
      }
      const claimId = typeof p.claimId === 'string' ? p.claimId : String(p.key ?? '').split('/')[1];
      if (fn === functionArn('RequestReviewFunctionArn')) {
        return { claimId, gate: gates.find((g) => !asked.has(g)) ?? null };
      }
      // The demo policy posts no public notice: the payout follows the last gate at once.
      if (fn === functionArn('StartNoticeFunctionArn'))
        return { claimId, outcome: 'approved', noticeEndsAt: null };
      const name = Object.keys(outcomes).find((n) => fn === functionArn(n));
      return { claimId, outcome: name ? outcomes[name] : 'unexpected' };
    },
  });
  services.push(svc);
  const nextToken = async (): Promise<string> => {
    while (tokens.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return tokens.shift() ?? '';
  };
  return { svc, calls, nextToken };
}

describe('assess-claim and review-claim on the local service', () => {
  it('runs a claim through review: three approvals, then the payout', async () => {
    const { svc, calls, nextToken } = stack({
      ValidateClaimFunctionArn: 'continue',
      CheckDuplicatesFunctionArn: 'continue',
      AssessClaimFunctionArn: 'review',
      RecordPayoutFunctionArn: 'paid',
    });
    const assess = svc.startExecution({
      stateMachineArn: ASSESS,
      input: JSON.stringify(objectCreated('01JCLAIM')),
    });
    expect((await svc.waitForExecution(assess.executionArn)).status).toBe('SUCCEEDED');
    const reviewArn = `${prefix}:execution:review-claim:01JCLAIM`;
    expect(svc.describeExecution(reviewArn)).toMatchObject({
      status: 'RUNNING',
      input: '{"claimId":"01JCLAIM"}',
    });

    // The event arriving twice must not start a second review.
    const again = svc.startExecution({
      stateMachineArn: ASSESS,
      input: JSON.stringify(objectCreated('01JCLAIM')),
    });
    expect((await svc.waitForExecution(again.executionArn)).status).toBe('SUCCEEDED');

    for (const gate of ['village', 'department', 'audit']) {
      const token = await nextToken();
      expect(calls.find((c) => c.payload.taskToken === token)?.payload).toMatchObject({
        claimId: '01JCLAIM',
        gate,
      });
      svc.sendTaskSuccess(token, JSON.stringify({ decision: 'approve' }));
    }
    const review = await svc.waitForExecution(reviewArn);
    expect(review.status).toBe('SUCCEEDED');
    expect(calls.at(-1)).toEqual({
      fn: functionArn('RecordPayoutFunctionArn'),
      payload: { claimId: '01JCLAIM' },
    });
  });

  it('ends a review at the first rejection', async () => {
    const { svc, calls, nextToken } = stack({});
    const { executionArn } = svc.startExecution({
      stateMachineArn: REVIEW,
      name: 'C-R',
      input: '{"claimId":"C-R"}',
    });
    svc.sendTaskSuccess(await nextToken(), JSON.stringify({ decision: 'reject' }));
    expect((await svc.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.payload.taskToken).map((c) => c.payload.gate)).toEqual(['village']);
  });

  it('marks the claim ERROR when a step keeps failing', async () => {
    const calls: string[] = [];
    const svc = createLocalStepFunctions({
      definitions: {
        [ASSESS]: { definition: load('assess-claim.asl.json'), type: 'EXPRESS' },
        [REVIEW]: load('review-claim.asl.json'),
      },
      retryIntervalScale: 0.001,
      invokeLambda: async (fn) => {
        calls.push(fn);
        if (fn === functionArn('MarkErrorFunctionArn')) return { ok: true };
        const error = new Error('DynamoDB throttled');
        error.name = 'TransientError';
        throw error;
      },
    });
    services.push(svc);
    const { executionArn } = svc.startExecution({
      stateMachineArn: ASSESS,
      input: JSON.stringify(objectCreated('C-E')),
    });
    const result = await svc.waitForExecution(executionArn);
    expect(result.status).toBe('FAILED');
    expect(calls.filter((fn) => fn === functionArn('ValidateClaimFunctionArn')).length).toBeGreaterThan(1);
    expect(calls.at(-1)).toBe(functionArn('MarkErrorFunctionArn'));
  });
});

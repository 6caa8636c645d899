import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { workflowHandlers } from '#functions/catalog.ts';
import {
  definitionPlaceholders,
  functionArnPlaceholder,
  loadDefinition,
  renderDefinition,
  reviewStateMachinePlaceholder,
  workflowNames,
  type WorkflowName,
} from '#infra/workflows/definitions.ts';

type State = Record<string, unknown> & { Type: string };
type Definition = { StartAt: string; States: Record<string, State> };

const fakeArn = (placeholder: string) =>
  placeholder === reviewStateMachinePlaceholder
    ? 'arn:aws:states:cn-north-1:123456789012:stateMachine:review-claim'
    : `arn:aws:lambda:cn-north-1:123456789012:function:${placeholder}`;

function rendered(name: WorkflowName): Definition {
  const subs = Object.fromEntries(definitionPlaceholders(loadDefinition(name)).map((p) => [p, fakeArn(p)]));
  return JSON.parse(renderDefinition(name, subs)) as Definition;
}

const tasks = (def: Definition) => Object.entries(def.States).filter(([, s]) => s.Type === 'Task');

describe('workflow definitions', () => {
  it.each(workflowNames)('%s is valid ASL (asl-validator)', (name) => {
    const result = aslValidator(rendered(name));
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('asl-validator does catch a broken definition (so the check above means something)', () => {
    const broken = rendered('assess-claim');
    (broken.States.ValidateClaim as Record<string, unknown>).Next = 'NoSuchState';
    expect(aslValidator(broken).isValid).toBe(false);
  });

  it('renderDefinition fills every placeholder and refuses a missing one', () => {
    const text = loadDefinition('review-claim');
    expect(definitionPlaceholders(text)).toEqual([
      'EscalateReviewFunctionArn',
      'MarkErrorFunctionArn',
      'RecordPayoutFunctionArn',
      'RequestReviewFunctionArn',
      'StartNoticeFunctionArn',
    ]);
    expect(JSON.stringify(rendered('review-claim'))).not.toContain('${');
    expect(() => renderDefinition('review-claim', { MarkErrorFunctionArn: 'x' })).toThrow(
      /no substitution for \$\{EscalateReviewFunctionArn\}, \$\{RecordPayoutFunctionArn\}, \$\{RequestReviewFunctionArn\}, \$\{StartNoticeFunctionArn\}/,
    );
  });

  it('every workflow handler in the catalog is invoked by some definition', () => {
    const used = new Set(workflowNames.flatMap((n) => definitionPlaceholders(loadDefinition(n))));
    for (const handler of workflowHandlers) expect(used, handler).toContain(functionArnPlaceholder(handler));
  });

  it.each(['assess-claim', 'review-claim'] as const)(
    '%s: every task retries transient errors with backoff and catches everything',
    (name) => {
      const def = rendered(name);
      for (const [stateName, state] of tasks(def)) {
        const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[];
        expect(retry.length, stateName).toBeGreaterThan(0);
        for (const r of retry) {
          expect(r.BackoffRate, stateName).toBeGreaterThan(1);
          expect(r.MaxAttempts, stateName).toBeGreaterThan(1);
        }
        if ((state.Resource as string).includes('lambda:invoke')) {
          expect(retry[0]?.ErrorEquals, stateName).toEqual(
            expect.arrayContaining([
              'Lambda.ServiceException',
              'Lambda.AWSLambdaException',
              'Lambda.SdkClientException',
              'Lambda.TooManyRequestsException',
              'TransientError',
            ]),
          );
        }
        // The catch handler itself has nowhere to go but failing the execution (which alarms).
        if (stateName === 'MarkError') {
          expect(state.Next).toBe(name === 'assess-claim' ? 'ClaimFailed' : 'ReviewFailed');
          continue;
        }
        const catches = state.Catch as { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
        expect(catches.at(-1), stateName).toEqual({
          ErrorEquals: ['States.ALL'],
          ResultPath: '$.error',
          Next: 'MarkError',
        });
      }
      // Unknown outcomes are errors, not silent successes.
      for (const [stateName, state] of Object.entries(def.States).filter(([, s]) => s.Type === 'Choice')) {
        expect(state.Default, stateName).toMatch(/^Unexpected/);
      }
    },
  );

  it('import-file: every task retries, nothing ends silently, and the map tolerates no failed batch', () => {
    const def = rendered('import-file');
    const all = Object.entries(def.States);
    const inner = Object.entries(
      (def.States.ImportRows?.ItemProcessor as { States: Record<string, Record<string, unknown>> }).States,
    );
    for (const [stateName, state] of [...all, ...inner].filter(([, s]) => s.Type === 'Task')) {
      const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[];
      expect(retry[0]?.ErrorEquals, stateName).toEqual(
        expect.arrayContaining([
          'Lambda.ServiceException',
          'Lambda.TooManyRequestsException',
          'TransientError',
        ]),
      );
      expect(retry[0]?.BackoffRate, stateName).toBeGreaterThan(1);
    }
    for (const [stateName, state] of all.filter(([, s]) => s.Type === 'Task' || s.Type === 'Map')) {
      const catches = state.Catch as { ErrorEquals: string[] }[];
      expect(catches.at(-1)?.ErrorEquals, stateName).toEqual(['States.ALL']);
    }
    expect(def.States.RowsToImport?.Default).toMatch(/^Unexpected/);
    expect(def.States.ImportRows).toMatchObject({
      ToleratedFailurePercentage: 0,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
      ItemReader: { ReaderConfig: { InputType: 'JSONL' }, Resource: 'arn:aws:states:::s3:getObject' },
      ItemBatcher: { BatchInput: { 'jobId.$': '$.jobId' } },
    });
    // The map's items are chunk references; the rows (names, ID numbers) never travel in payloads.
    expect(JSON.stringify(def)).not.toMatch(/idNumber|headName|bankAccount/);
  });

  it('assess-claim takes bucket and key from the S3 event and starts review-claim named by the claimId', () => {
    const def = rendered('assess-claim');
    expect(def.StartAt).toBe('ValidateClaim');
    expect(def.States.ValidateClaim?.Parameters).toEqual({
      FunctionName: fakeArn('ValidateClaimFunctionArn'),
      Payload: { 'bucket.$': '$.detail.bucket.name', 'key.$': '$.detail.object.key', 'time.$': '$.time' },
    });
    expect(def.States.StartReview).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: {
        StateMachineArn: fakeArn(reviewStateMachinePlaceholder),
        'Name.$': '$.claimId',
        Input: { 'claimId.$': '$.claimId' },
      },
      Catch: [
        { ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], Next: 'Done' },
        expect.anything(),
      ],
    });
    expect(def.States.MarkError?.Parameters).toMatchObject({
      Payload: {
        'bucket.$': '$$.Execution.Input.detail.bucket.name',
        'key.$': '$$.Execution.Input.detail.object.key',
        'error.$': '$.error',
      },
    });
  });

  it('review-claim is one loop: ask for the next gate, wait on it by task token for 14 days, escalate on timeout', () => {
    const def = rendered('review-claim');
    expect(def.StartAt).toBe('NextGate');
    expect(def.States.NextGate).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: fakeArn('RequestReviewFunctionArn'),
        Payload: { 'claimId.$': '$.claimId' },
      },
      ResultSelector: { 'gate.$': '$.Payload.gate' },
      ResultPath: '$.next',
      Next: 'AnyGateLeft',
    });
    expect(def.States.AnyGateLeft?.Choices).toEqual([
      { Variable: '$.next.gate', IsNull: true, Next: 'StartNotice' },
      { Variable: '$.next.gate', IsString: true, Next: 'RequestGate' },
    ]);
    // The public notice: posted by a step, then a Wait on the instant it ends, then the payout.
    expect(def.States.StartNotice).toMatchObject({
      Parameters: { FunctionName: fakeArn('StartNoticeFunctionArn'), Payload: { 'claimId.$': '$.claimId' } },
      ResultPath: '$.notice',
      Next: 'AfterNotice',
    });
    expect(def.States.AfterNotice?.Choices).toContainEqual({
      Variable: '$.notice.outcome',
      StringEquals: 'notice',
      Next: 'NoticePeriod',
    });
    expect(def.States.NoticePeriod).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.notice.noticeEndsAt',
      Next: 'RecordPayout',
    });
    const request = def.States.RequestGate;
    expect(request).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 14 * 24 * 3600,
      Parameters: {
        Payload: { 'claimId.$': '$.claimId', 'gate.$': '$.next.gate', 'taskToken.$': '$$.Task.Token' },
      },
    });
    expect(request?.HeartbeatSeconds).toBeUndefined();
    // A timeout must reach the Catch, not be retried away.
    expect(JSON.stringify(request?.Retry)).not.toContain('States.Timeout');
    expect((request?.Catch as { ErrorEquals: string[]; Next: string }[])[0]).toMatchObject({
      ErrorEquals: ['States.Timeout'],
      Next: 'EscalateGate',
    });
    expect(def.States.EscalateGate).toMatchObject({
      Parameters: { Payload: { 'claimId.$': '$.claimId', 'gate.$': '$.next.gate' } },
      Next: 'RequestGate',
    });
    expect(def.States.GateDecision?.Choices).toContainEqual({
      Variable: '$.review.decision',
      StringEquals: 'approve',
      Next: 'NextGate',
    });
    expect(def.States.GateDecision?.Choices).toContainEqual({
      Variable: '$.review.decision',
      StringEquals: 'reject',
      Next: 'ReviewRejected',
    });
    // No gate is named in the definition: which gates a claim needs is policy data.
    const text = JSON.stringify(def);
    for (const gate of ['village', 'department', 'audit']) expect(text).not.toContain(gate);
  });
});

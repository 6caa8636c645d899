// Task resources: which service integrations a Task may name and the results AWS returns for them
// (Lambda via arn:aws:states:::lambda:invoke or a function ARN, states:startExecution with
// .sync, .sync:2 and .waitForTaskToken). Left out: every other AWS service integration (a
// definition naming one is refused up front), Lambda's ExecutedVersion other than $LATEST.
import { randomUUID } from 'node:crypto';
import {
  taskError,
  type ExecutionDescription,
  type Json,
  type JsonObject,
} from '#cli/local/step-functions/model.ts';

export type WaitMode = 'none' | 'token' | 'sync' | 'sync2';
export type Integration =
  | { readonly kind: 'lambda-invoke'; readonly wait: 'none' | 'token' }
  | { readonly kind: 'lambda-function' }
  | { readonly kind: 'start-execution'; readonly wait: WaitMode };

/** Which service integration a Task's Resource names, or undefined when this service cannot run it. */
export function parseResource(resource: string): Integration | undefined {
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

/** The error a Lambda failure becomes in the Task: errorType as Error, the error payload as Cause. */
export function lambdaFailure(error: unknown): Error {
  // The Node.js Lambda runtime reports errorType = error.name (so "Error" unless the class sets name).
  const errorType = error instanceof Error ? error.name || 'Error' : typeof error;
  const errorMessage = error instanceof Error ? error.message : String(error);
  const trace = error instanceof Error && typeof error.stack === 'string' ? error.stack.split('\n') : [];
  return taskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

export function lambdaInvokeOutput(payload: Json): JsonObject {
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

/** What `startExecution.sync` (Output as text) and `.sync:2` (Output as JSON) return. */
export function childOutput(child: ExecutionDescription, parsed: boolean): JsonObject {
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

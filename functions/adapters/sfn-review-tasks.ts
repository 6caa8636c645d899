// Step Functions implementation of the review port: start the Standard review workflow (its
// execution name is the claimId, or `<claimId>-<round>` for a review after an objection or an
// appeal, so a second start of a round is refused by the service itself) and
// resume gates waiting on task tokens.
import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { envNames } from '#functions/catalog.ts';
import { baseClientConfig, withoutSdkLogger, type AdapterContext } from '#functions/adapters/handler-deps.ts';
import type { ReviewTasks } from '#shared/ports.ts';
import { reviewRunName } from '#shared/review-rounds.ts';

export function sfnClient(context: AdapterContext): SFNClient {
  const endpoint = context.overrides.endpoints?.sfn;
  return withoutSdkLogger(
    new SFNClient({ ...baseClientConfig(context.overrides), ...(endpoint ? { endpoint } : {}) }),
  );
}

/** The review port for handlers that name it (see handler-deps.ts). */
export function sfnReviews(context: AdapterContext): ReviewTasks {
  return new SfnReviewTasks(sfnClient(context), context.env[envNames.reviewStateMachineArn] ?? '');
}

/** Starts a named execution; one that already exists under that name counts as started. */
export async function startNamedOnce(
  sfn: SFNClient,
  input: { stateMachineArn: string; name: string; input: string },
): Promise<void> {
  try {
    await sfn.send(new StartExecutionCommand(input));
  } catch (error) {
    if (
      error instanceof ExecutionAlreadyExists ||
      (error instanceof Error && error.name === 'ExecutionAlreadyExists')
    )
      return;
    throw error;
  }
}

/** Step Functions' answer for a task token no longer waiting (used, timed out, run closed). */
export function isStaleTaskToken(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return ['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'].includes(name);
}

export class SfnReviewTasks implements ReviewTasks {
  constructor(
    private readonly sfn: SFNClient,
    private readonly reviewStateMachineArn: string,
  ) {}

  async start(claimId: string, round?: string): Promise<void> {
    await startNamedOnce(this.sfn, {
      stateMachineArn: this.reviewStateMachineArn,
      name: reviewRunName(claimId, round),
      input: JSON.stringify({ claimId }),
    });
  }

  async succeed(taskToken: string, output: unknown): Promise<void> {
    try {
      await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (error) {
      if (!isStaleTaskToken(error)) throw error;
    }
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await this.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }));
  }
}

// Step Functions implementation of the review port: start the Standard review workflow (its
// execution name is the claimId, so a second start is refused by the service itself) and
// resume gates waiting on task tokens.
import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { envNames } from '#functions/catalog.ts';
import { baseClientConfig, type AdapterContext } from '#functions/adapters/handler-deps.ts';
import type { ReviewTasks } from '#shared/ports.ts';

/** The review port for handlers that name it (see handler-deps.ts). */
export function sfnReviews(context: AdapterContext): ReviewTasks {
  const endpoint = context.overrides.endpoints?.sfn;
  const sfn = new SFNClient({ ...baseClientConfig(context.overrides), ...(endpoint ? { endpoint } : {}) });
  return new SfnReviewTasks(sfn, context.env[envNames.reviewStateMachineArn] ?? '');
}

export class SfnReviewTasks implements ReviewTasks {
  constructor(
    private readonly sfn: SFNClient,
    private readonly reviewStateMachineArn: string,
  ) {}

  async start(claimId: string): Promise<void> {
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.reviewStateMachineArn,
          name: claimId,
          input: JSON.stringify({ claimId }),
        }),
      );
    } catch (error) {
      if (
        error instanceof ExecutionAlreadyExists ||
        (error instanceof Error && error.name === 'ExecutionAlreadyExists')
      )
        return;
      throw error;
    }
  }

  async succeed(taskToken: string, output: unknown): Promise<void> {
    await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await this.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }));
  }
}

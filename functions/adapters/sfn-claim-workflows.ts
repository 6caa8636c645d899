// Step Functions implementation of the retry port: assess-claim is started with the same event
// EventBridge sends for a new manifest (so the run is indistinguishable from a redelivery), and a
// review is restarted under a name per retry attempt.
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { envNames } from '#functions/catalog.ts';
import { requireEnv, type AdapterContext } from '#functions/adapters/handler-deps.ts';
import { sfnClient, startNamedOnce } from '#functions/adapters/sfn-review-tasks.ts';
import type { ClaimWorkflows, Clock } from '#shared/ports.ts';

export function sfnWorkflows(context: AdapterContext): ClaimWorkflows {
  return new SfnClaimWorkflows(
    sfnClient(context),
    {
      assess: requireEnv(context.env, envNames.assessStateMachineArn),
      review: requireEnv(context.env, envNames.reviewStateMachineArn),
    },
    requireEnv(context.env, envNames.receiptsBucket),
    context.clock,
  );
}

export class SfnClaimWorkflows implements ClaimWorkflows {
  constructor(
    private readonly sfn: SFNClient,
    private readonly arns: { readonly assess: string; readonly review: string },
    private readonly bucket: string,
    private readonly clock: Clock,
  ) {}

  async resumeAssessment(claimId: string): Promise<void> {
    const event = {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      time: this.clock.now().toISOString(),
      detail: { bucket: { name: this.bucket }, object: { key: `claims/${claimId}/manifest.json` } },
    };
    await this.sfn.send(
      new StartExecutionCommand({ stateMachineArn: this.arns.assess, input: JSON.stringify(event) }),
    );
  }

  async resumeReview(claimId: string, attempt: number): Promise<void> {
    await startNamedOnce(this.sfn, {
      stateMachineArn: this.arns.review,
      name: `${claimId}-retry-${attempt}`,
      input: JSON.stringify({ claimId }),
    });
  }
}

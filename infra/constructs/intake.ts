import { Duration, Validations } from 'aws-cdk-lib';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { eventHandlers, type EventHandlerName } from '#functions/catalog.ts';
import { pascalCase } from '#infra/constructs/handler-functions.ts';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export const manifestKeyPattern = 'claims/*/manifest.json';
/** A bulk file of a job: imports/<kind>/<jobId>/file.csv. */
export const bulkFileKeyPattern = 'imports/*/file.csv';

export interface IntakeProps {
  readonly bucket: IBucket;
  readonly assessClaim: IStateMachine;
  readonly importFile: IStateMachine;
  /** The catalog's S3 event handlers (note-upload), each invoked for the keys it matches. */
  readonly uploadHandlers: Readonly<Record<EventHandlerName, IFunction>>;
  /** Encrypts the dead-letter queue (events hold bucket and key only, no personal data). */
  readonly key: IKey;
}

/** S3 "Object Created" for a claim manifest -> EventBridge rule -> assess-claim, with retries and a DLQ. */
export class Intake extends Construct {
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: IntakeProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the intake rule; it has no DLQ of its own.',
    });

    // EventBridge's longest retry window; whatever still fails lands in the DLQ (and an alarm).
    const delivery = {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    };
    const created = (id: string, description: string, keyPattern: string) =>
      new Rule(this, id, {
        description,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [props.bucket.bucketName] },
            object: { key: Match.wildcard(keyPattern) },
          },
        },
      });
    this.rule = created(
      'ManifestCreated',
      'A claim manifest was uploaded: start assess-claim',
      manifestKeyPattern,
    );
    this.rule.addTarget(new SfnStateMachine(props.assessClaim, delivery));
    created('BulkFileCreated', 'A bulk file was uploaded: start import-file', bulkFileKeyPattern).addTarget(
      new SfnStateMachine(props.importFile, delivery),
    );
    for (const { handler, keyPattern } of eventHandlers) {
      created(
        `${pascalCase(handler)}Uploads`,
        `An object was uploaded under ${keyPattern}: ${handler}`,
        keyPattern,
      ).addTarget(new LambdaFunction(props.uploadHandlers[handler], delivery));
    }
  }
}

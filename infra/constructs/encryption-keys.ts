import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Two customer-managed keys with rotation on: `data` protects personal data (receipts, claims,
 * the ledger); `ops` protects operational data (log groups, the alarm topic, the
 * intake DLQ). Separate keys keep the services that may use the ops key (Logs, CloudWatch,
 * EventBridge) away from the personal data.
 */
export class EncryptionKeys extends Construct {
  readonly data: Key;
  readonly ops: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.data = new Key(this, 'DataKey', {
      description: 'Claims: receipts bucket and DynamoDB tables',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.ops = new Key(this, 'OpsKey', {
      description: 'Claims: log groups, alarm topic, intake dead-letter queue',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const stack = Stack.of(this);
    // CloudWatch Logs encrypts log groups with the key itself; the encryption-context condition
    // limits that to this account's log groups in this region.
    this.ops.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    // CloudWatch alarms publish to the encrypted alarm topic (AWS's documented key-policy statement
    // for alarm actions; the topic policy already decides who may publish).
    this.ops.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    // EventBridge writes undeliverable intake events to the encrypted DLQ; only this account's rules.
    this.ops.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }),
          },
        },
      }),
    );
  }
}

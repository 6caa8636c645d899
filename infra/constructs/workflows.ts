import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSamplingRule } from 'aws-cdk-lib/aws-xray';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { workflowHandlers, type WorkflowHandlerName } from '#functions/catalog.ts';
import {
  definitionPlaceholders,
  functionArnPlaceholder,
  loadDefinition,
  importsBucketPlaceholder,
  reviewStateMachinePlaceholder,
  type WorkflowName,
} from '#infra/workflows/definitions.ts';
import type { ReceiptsBucket } from '#infra/constructs/receipts-bucket.ts';

/**
 * Fixed state machine names. The review definition references request-review's ARN, and every
 * handler's environment (request-review's included) holds the review machine's ARN: building
 * that ARN from the name instead of the resource breaks the dependency cycle.
 */
export function stateMachineName(scope: Construct, workflow: WorkflowName): string {
  return `${Stack.of(scope).stackName}-${workflow}`;
}

export function stateMachineArn(scope: Construct, workflow: WorkflowName): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: stateMachineName(scope, workflow),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Share of workflow executions X-Ray records (the stack's sampling rule, no reservoir). */
export const workflowTraceSampleRate = 0.05;

export interface WorkflowsProps {
  readonly functions: Readonly<Record<WorkflowHandlerName, IFunction>>;
  /** Encrypts the execution log groups. */
  readonly logKey: IKey;
  /** Where bulk files, their chunks and the map's results are. */
  readonly receipts: ReceiptsBucket;
}

/**
 * assess-claim (Express), review-claim (Standard) and import-file (Standard, a Distributed Map
 * over a bulk file's chunks), deployed from the ASL files in infra/workflows.
 */
export class Workflows extends Construct {
  readonly assess: StateMachine;
  readonly review: StateMachine;
  readonly importFile: StateMachine;
  readonly exportLedger: StateMachine;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    this.review = this.stateMachine('ReviewClaim', 'review-claim', StateMachineType.STANDARD, props, {});
    // Express executions are capped at five minutes by the service; the steps take seconds.
    this.assess = this.stateMachine('AssessClaim', 'assess-claim', StateMachineType.EXPRESS, props, {
      [reviewStateMachinePlaceholder]: this.review.stateMachineArn,
    });
    this.review.grantStartExecution(this.assess);

    this.importFile = this.stateMachine('ImportFile', 'import-file', StateMachineType.STANDARD, props, {
      [importsBucketPlaceholder]: props.receipts.bucket.bucketName,
    });
    // A Distributed Map runs its batches as child executions of its own machine, and reads the
    // chunk list and writes its results itself.
    this.importFile.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [stateMachineArn(this, 'import-file')],
      }),
    );
    this.importFile.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          Stack.of(this).formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${stateMachineName(this, 'import-file')}/*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(this.importFile.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName(this, 'import-file')}/*]`,
      reason:
        "The map's child executions are named by the service at run time; the grant is limited to this machine's.",
    });
    props.receipts.grantImportMap(this.importFile);
    Validations.of(this.importFile.role).acknowledge({
      id: props.receipts.importsObjectsFinding('import-work/'),
      reason: 'The map reads the chunk list and writes its results under import-work/ only.',
    });

    // One step that may run for minutes (a province's year); Standard keeps its history a year.
    this.exportLedger = this.stateMachine(
      'ExportLedger',
      'export-ledger',
      StateMachineType.STANDARD,
      props,
      {},
    );

    // X-Ray's default rule records the first request each second, which at a county's claim
    // rate is every claim. A 5% sample still shows where time goes; every failure is in the
    // logs and every claim's steps are in its history.
    new CfnSamplingRule(this, 'TraceSampling', {
      samplingRule: {
        ruleName: `${Stack.of(this).stackName}-workflows`.slice(0, 32),
        priority: 100,
        fixedRate: workflowTraceSampleRate,
        reservoirSize: 0,
        serviceName: `${Stack.of(this).stackName}-*`,
        serviceType: 'AWS::StepFunctions::StateMachine',
        host: '*',
        httpMethod: '*',
        urlPath: '*',
        resourceArn: '*',
        version: 1,
      },
    });
  }

  private stateMachine(
    id: string,
    workflow: WorkflowName,
    type: StateMachineType,
    props: WorkflowsProps,
    extra: Readonly<Record<string, string>>,
  ): StateMachine {
    // The file text is deployed as is; CloudFormation fills in the ${Name} placeholders.
    const text = loadDefinition(workflow);
    const placeholders = definitionPlaceholders(text);
    const invoked = workflowHandlers.filter((h) => placeholders.includes(functionArnPlaceholder(h)));
    const available: Record<string, string> = { ...extra };
    for (const h of invoked) available[functionArnPlaceholder(h)] = props.functions[h].functionArn;
    const missing = placeholders.filter((p) => !(p in available));
    if (missing.length > 0) throw new Error(`${workflow}: nothing provides ${missing.join(', ')}`);

    const logGroup = new LogGroup(this, `${id}Logs`, {
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const machine = new StateMachine(this, id, {
      stateMachineName: stateMachineName(this, workflow),
      stateMachineType: type,
      definitionBody: DefinitionBody.fromString(text),
      definitionSubstitutions: Object.fromEntries(placeholders.map((p) => [p, available[p] ?? ''])),
      // Errors only, with their data (payloads carry ids and outcomes, never personal data).
      // A claim's steps and reasons are already in its DynamoDB history, and logging every
      // state of every execution was the larger part of the log bill.
      logs: { destination: logGroup, level: LogLevel.ERROR, includeExecutionData: true },
      tracingEnabled: true,
    });
    // Exactly the functions the definition names, by ARN (no version wildcard).
    machine.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: invoked.map((h) => props.functions[h].functionArn),
      }),
    );
    Validations.of(machine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the statements CDK adds for log delivery (logs:CreateLogDelivery etc.) and X-Ray use "*": neither supports resource-level permissions.',
    });
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'Logs errors with their data, not every state: each claim step is recorded with its reason in the claim history in DynamoDB, Standard executions keep their own history, and ALL was most of the per-claim log volume.',
    });
    return machine;
  }
}

import { CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Auth, adminUsername } from '#infra/constructs/auth.ts';
import { defaultHandlerEntry } from '#infra/constructs/claims-function.ts';
import { DataTables } from '#infra/constructs/data-tables.ts';
import { EncryptionKeys } from '#infra/constructs/encryption-keys.ts';
import { HandlerFunctions } from '#infra/constructs/handler-functions.ts';
import { ClaimsHttpApi } from '#infra/constructs/http-api.ts';
import { Schedules } from '#infra/constructs/schedules.ts';
import { Intake } from '#infra/constructs/intake.ts';
import { Monitoring } from '#infra/constructs/monitoring.ts';
import { ReceiptsBucket } from '#infra/constructs/receipts-bucket.ts';
import { stateMachineArn, Workflows } from '#infra/constructs/workflows.ts';
import { WebHosting } from '#infra/constructs/web-hosting.ts';
import type { HandlerName } from '#infra/handler-access.ts';

export interface ClaimsStackProps extends StackProps {
  /** Policy region code this deployment serves by default (`demo`, ...). */
  readonly regionCode: string;
  /** Powertools log level for every function. */
  readonly logLevel?: string;
  /** Where a handler's source is; defaults to functions/handlers/<name>.ts. */
  readonly handlerEntry?: (handler: HandlerName) => string;
}

/** The whole production deployment: intake, workflows, storage, API, auth and monitoring. */
export class ClaimsStack extends Stack {
  constructor(scope: Construct, id: string, props: ClaimsStackProps) {
    super(scope, id, props);

    const adminEmail = new CfnParameter(this, 'AdminEmail', {
      type: 'String',
      description: 'Email of the first administrator (gets the invitation) and of the alarm notifications',
      allowedPattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
      constraintDescription: 'must be an email address',
    }).valueAsString;
    const webOrigin = new CfnParameter(this, 'WebOrigin', {
      type: 'String',
      description: 'Browser origin of the web app (CORS for the API and for receipt uploads)',
      default: 'http://localhost:5173',
      allowedPattern: '^https?://[^/\\s]+$',
      constraintDescription: 'must be an origin like https://claims.example.org (no path)',
    }).valueAsString;

    const keys = new EncryptionKeys(this, 'Keys');
    const web = new WebHosting(this, 'Web');
    // The CloudFront origin always works; WebOrigin adds a custom domain or a dev server.
    const webOrigins = [web.origin, webOrigin];
    const receipts = new ReceiptsBucket(this, 'Receipts', { key: keys.data, webOrigins });
    const tables = new DataTables(this, 'Tables', { key: keys.data });
    const handlers = new HandlerFunctions(this, 'Handlers', {
      entryFor: props.handlerEntry ?? defaultHandlerEntry,
      tables,
      receipts,
      logKey: keys.ops,
      reviewStateMachineArn: stateMachineArn(this, 'review-claim'),
      assessStateMachineArn: stateMachineArn(this, 'assess-claim'),
      exportStateMachineArn: stateMachineArn(this, 'export-ledger'),
      webOrigin,
      regionCode: props.regionCode,
      logLevel: props.logLevel ?? 'INFO',
    });
    const workflows = new Workflows(this, 'Workflows', {
      functions: handlers.workflowFunctions,
      logKey: keys.ops,
      receipts,
    });
    const intake = new Intake(this, 'Intake', {
      bucket: receipts.bucket,
      assessClaim: workflows.assess,
      importFile: workflows.importFile,
      uploadHandlers: handlers.eventFunctions,
      key: keys.ops,
    });
    new Schedules(this, 'Schedules', { functions: handlers.scheduledFunctions });
    const auth = new Auth(this, 'Auth', { adminEmail, webOrigins, regionCode: props.regionCode });
    const api = new ClaimsHttpApi(this, 'Http', {
      functions: handlers.apiFunctions,
      userPool: auth.userPool,
      userPoolClient: auth.client,
      webOrigins,
      logKey: keys.ops,
    });
    new Monitoring(this, 'Monitoring', {
      functions: new Map([...handlers.all].map(([name, f]) => [name, f.fn])),
      workflows: new Map([
        ['assess-claim', workflows.assess],
        ['review-claim', workflows.review],
        ['import-file', workflows.importFile],
        ['export-ledger', workflows.exportLedger],
      ]),
      intakeRule: intake.rule,
      deadLetterQueue: intake.deadLetterQueue,
      api: api.api,
      alarmEmail: adminEmail,
      key: keys.ops,
    });

    web.deployApp({
      apiBase: api.stage.url,
      userPoolId: auth.userPool.userPoolId,
      clientId: auth.client.userPoolClientId,
      domain: auth.domain.baseUrl(),
      region: this.region,
    });

    new CfnOutput(this, 'WebUrl', { value: web.origin, description: 'The web app' });
    new CfnOutput(this, 'ApiUrl', { value: api.stage.url, description: 'Base URL for `claims --api`' });
    new CfnOutput(this, 'UserPoolId', { value: auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: auth.client.userPoolClientId });
    new CfnOutput(this, 'ReceiptsBucketName', { value: receipts.bucket.bucketName });
    new CfnOutput(this, 'AdminUsername', { value: adminUsername });
    new CfnOutput(this, 'AssessClaimStateMachineArn', { value: workflows.assess.stateMachineArn });
    new CfnOutput(this, 'ReviewClaimStateMachineArn', { value: workflows.review.stateMachineArn });
    new CfnOutput(this, 'ImportFileStateMachineArn', { value: workflows.importFile.stateMachineArn });
    new CfnOutput(this, 'ExportLedgerStateMachineArn', { value: workflows.exportLedger.stateMachineArn });
  }
}

// Template assertions for every bar of the deployable stack, the workflow-definition identity
// and cdk-nag. Synthesizing is the slow part, so this file does it once (bundling off) for all.
import { type App, type Stack, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  apiRoutes,
  envNames,
  eventHandlers,
  scheduledHandlers,
  workflowHandlers,
} from '#functions/catalog.ts';
import { roles } from '#shared/access.ts';
import { handlerAccess, type HandlerName } from '#infra/handler-access.ts';
import { claimsTableSpec, toCreateTableInput, type TableSpec } from '#infra/tables.ts';
import {
  definitionPlaceholders,
  functionArnPlaceholder,
  loadDefinition,
  importsBucketPlaceholder,
  reviewStateMachinePlaceholder,
  workflowNames,
  type WorkflowName,
} from '#infra/workflows/definitions.ts';
import { handlerNames, missingEntries, synthClaimsApp } from '#test/infra/synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
};

let app: App;
let stack: Stack;
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  ({ app, stack, template } = synthClaimsApp());
  resources = template.toJSON().Resources as Record<string, Resource>;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const getAttId = (value: unknown) => (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const refId = (value: unknown) => (value as { Ref: string }).Ref;
const actions = (s: Statement) => [s.Action].flat();
const logicalIdOf = (type: string) => {
  const found = ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0]![0];
};

/** handler name -> its Lambda function's logical id (the description names the handler). */
function functionId(handler: HandlerName): string {
  const found = ofType('AWS::Lambda::Function').filter(
    ([, r]) => r.Properties.Description === `claims ${handler}`,
  );
  expect(found, handler).toHaveLength(1);
  return found[0]![0];
}

function roleStatements(roleId: string): Statement[] {
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as unknown[]).some((x) => refId(x) === roleId),
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const functionStatements = (handler: HandlerName) =>
  roleStatements(getAttId(resources[functionId(handler)]!.Properties.Role));

const allIdentityStatements = () =>
  ofType('AWS::IAM::Policy').flatMap(
    ([, r]) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );

/** The project's own functions (CDK's asset-deployment helper aside). */
const claimsFunctions = () =>
  ofType('AWS::Lambda::Function').filter(([, r]) => String(r.Properties.Description).startsWith('claims '));

describe('handlers', () => {
  it('every catalog handler has its entry file under functions/handlers', () => {
    expect(missingEntries).toEqual([]);
  });

  it('builds exactly one Lambda per workflow handler, API route and scheduled handler', () => {
    const descriptions = claimsFunctions().map(([, r]) => r.Properties.Description);
    expect(descriptions.sort()).toEqual(handlerNames.map((n) => `claims ${n}`).sort());
    // The only other function is CDK's own BucketDeployment that uploads the web app.
    const others = ofType('AWS::Lambda::Function').filter(
      ([id]) => !claimsFunctions().some(([c]) => c === id),
    );
    expect(others.map(([id]) => id.startsWith('CustomCDKBucketDeployment'))).toEqual([true]);
    expect(handlerNames).toHaveLength(
      workflowHandlers.length + apiRoutes.length + scheduledHandlers.length + eventHandlers.length,
    );
  });

  it('every Lambda: nodejs22.x, arm64, X-Ray, Powertools env, the catalog env, its own encrypted log group', () => {
    for (const [id, fn] of claimsFunctions()) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(env), id).toEqual(
        expect.arrayContaining([
          ...Object.values(envNames),
          'POWERTOOLS_SERVICE_NAME',
          'POWERTOOLS_LOG_LEVEL',
          'POWERTOOLS_METRICS_NAMESPACE',
          'REGION_CODE',
        ]),
      );
      expect(env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'claims',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_NAMESPACE: 'FangpinClaims',
        NODE_OPTIONS: '--enable-source-maps',
        REGION_CODE: 'demo',
      });
      const logGroup = resources[refId((fn.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup)]!;
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties).toMatchObject({
        RetentionInDays: 180,
        KmsKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
      });
      // Its own role, no managed policies (so no AWSLambdaBasicExecutionRole).
      expect(resources[getAttId(fn.Properties.Role)]!.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('the review ARN in the environment is the review state machine ARN', () => {
    const review = ofType('AWS::StepFunctions::StateMachine').find(
      ([, r]) => r.Properties.StateMachineType === 'STANDARD',
    )!;
    const env = (
      resources[functionId('decide-review')]!.Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(JSON.stringify(env[envNames.reviewStateMachineArn])).toContain(
      `:stateMachine:${String(review[1].Properties.StateMachineName)}`,
    );
  });

  it('heavy routes get more memory and time; the rest are small', () => {
    for (const route of apiRoutes) {
      const heavy = 'heavy' in route && route.heavy === true;
      expect(resources[functionId(route.handler)]!.Properties, route.handler).toMatchObject(
        heavy ? { MemorySize: 1769, Timeout: 29 } : { MemorySize: 512, Timeout: 10 },
      );
    }
    for (const name of workflowHandlers) {
      // write-export writes a whole ledger in one run: a full vCPU and Lambda's longest run.
      expect(resources[functionId(name)]!.Properties, name).toMatchObject(
        name === 'write-export'
          ? { MemorySize: 1769, Timeout: 900 }
          : {
              MemorySize: 512,
              // A whole file checked, a batch of rows stored: longer than a claim's steps.
              Timeout:
                name === 'start-import' || name === 'finish-import'
                  ? 300
                  : name === 'import-chunks'
                    ? 180
                    : 60,
            },
      );
    }
  });
});

describe('least privilege', () => {
  it('no identity policy can delete objects, delete claims-table items or use service-wide wildcards', () => {
    const claimsTableId = ofType('AWS::DynamoDB::Table').find(([, t]) =>
      JSON.stringify(t.Properties.KeySchema).includes('"pk"'),
    )![0];
    const webAssetsId = ofType('AWS::S3::Bucket').find(([id]) => id.startsWith('WebAssets'))![0];
    for (const s of allIdentityStatements()) {
      // Replacing the web app's files is the one delete anywhere, and only in its own bucket.
      const onWebAssetsOnly = [s.Resource].flat().every((r) => JSON.stringify(r).includes(webAssetsId));
      // A department feed's file and chunks are removed once stored: only there, only DeleteObject.
      const onFeedFilesOnly = [s.Resource]
        .flat()
        .every((r) => /"\/(imports|import-work)\/(medical|education)-feed\/\*"\]/.test(JSON.stringify(r)));
      for (const a of actions(s)) {
        if (onWebAssetsOnly && a.startsWith('s3:Delete')) continue;
        if (onFeedFilesOnly && a === 's3:DeleteObject') continue;
        expect(a).not.toMatch(/^s3:(Delete|\*)|^dynamodb:\*|^kms:\*|^states:\*|^lambda:\*/);
      }
      if (actions(s).includes('dynamodb:DeleteItem'))
        expect(JSON.stringify(s.Resource)).not.toContain(claimsTableId);
    }
  });

  it('Lambda roles use "*" only for X-Ray, and KMS only through DynamoDB or S3', () => {
    for (const name of handlerNames) {
      for (const s of functionStatements(name)) {
        if (s.Resource === '*')
          expect(actions(s).sort(), name).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        if (actions(s).some((a) => a.startsWith('kms:'))) {
          expect(s.Condition, name).toEqual({ StringEquals: { 'kms:ViaService': expect.anything() } });
          expect(JSON.stringify(s.Condition)).toMatch(/"(dynamodb|s3)\."/);
        }
      }
    }
  });

  it('GET routes only read the claims table; nobody may delete from it', () => {
    const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];
    for (const name of handlerNames) {
      const granted = functionStatements(name).flatMap(actions);
      const access = handlerAccess(name);
      expect(granted, name).toContain('dynamodb:Query');
      if (access.claimsTable === 'read') for (const w of writes) expect(granted, name).not.toContain(w);
      else expect(granted, name).toEqual(expect.arrayContaining(writes));
      expect(granted, name).not.toContain('dynamodb:DeleteItem');
    }
    expect(handlerAccess('list-claims').claimsTable).toBe('read');
    expect(handlerAccess('validate-claim').claimsTable).toBe('readWrite');
  });

  it('receipts: validate-claim, check-duplicates and note-upload read (and list), create-claim uploads, get-receipt views, export-ledger writes exports/; nobody else touches S3', () => {
    const s3 = (name: HandlerName) =>
      functionStatements(name)
        .flatMap(actions)
        .filter((a) => a.startsWith('s3:'))
        .sort();
    expect(s3('validate-claim')).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(s3('note-upload')).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(s3('check-duplicates')).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(s3('create-claim')).toEqual(['s3:PutObject']);
    expect(s3('get-receipt')).toEqual(['s3:GetObject']);
    // The export job's writer and link signer work under exports/ only, like the direct export.
    for (const name of ['export-ledger', 'write-export', 'get-export'] as const) {
      expect(s3(name), name).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
      expect(
        JSON.stringify(
          functionStatements(name)
            .filter((s) => actions(s).some((a) => a.startsWith('s3:')))
            .map((s) => s.Resource),
        ),
      ).toMatch(/"\/exports\/\*"\]/);
    }
    // Bulk files: create-import signs the upload form, get/list-import sign report links, the
    // import-file steps read and write imports/ and import-work/ only.
    expect(s3('create-import')).toEqual(['s3:PutObject']);
    expect(s3('get-import')).toEqual(['s3:GetObject']);
    expect(s3('list-imports')).toEqual(['s3:GetObject']);
    const importSteps = ['start-import', 'import-chunks', 'finish-import'] as const;
    for (const name of importSteps) {
      expect(s3(name), name).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
      const objectResources = functionStatements(name)
        .filter((s) => actions(s).some((a) => a.endsWith('Object')))
        .map((s) => ({ actions: actions(s), resource: JSON.stringify(s.Resource) }));
      for (const r of objectResources) {
        expect(r.resource, name).toMatch(/"\/(imports|import-work)\/((medical|education)-feed\/)?\*"\]/);
        if (r.actions.includes('s3:DeleteObject'))
          expect(r.resource, name).toMatch(/"\/(imports|import-work)\/(medical|education)-feed\/\*"\]/);
      }
    }
    for (const name of ['create-import', 'get-import', 'list-imports'] as const)
      for (const s of functionStatements(name).filter((st) => actions(st).some((a) => a.endsWith('Object'))))
        expect(JSON.stringify(s.Resource), name).toMatch(/"\/imports\/\*"\]/);
    for (const name of handlerNames.filter(
      (n) =>
        ![
          'validate-claim',
          'check-duplicates',
          'note-upload',
          'create-claim',
          'get-receipt',
          'export-ledger',
          'write-export',
          'get-export',
          'create-import',
          'get-import',
          'list-imports',
          ...importSteps,
        ].includes(n),
    )) {
      expect(s3(name), name).toEqual([]);
    }
    const objectGrants = [
      'validate-claim',
      'check-duplicates',
      'note-upload',
      'create-claim',
      'get-receipt',
    ].flatMap((n) =>
      functionStatements(n as HandlerName).filter((s) => actions(s).some((a) => a.endsWith('Object'))),
    );
    for (const s of objectGrants) expect(JSON.stringify(s.Resource)).toContain('/claims/*');
  });

  it('only request-review and decide-review answer task tokens, on the review state machine only', () => {
    const reviewName = String(
      ofType('AWS::StepFunctions::StateMachine').find(
        ([, r]) => r.Properties.StateMachineType === 'STANDARD',
      )![1].Properties.StateMachineName,
    );
    for (const name of handlerNames) {
      const token = functionStatements(name).filter((s) =>
        actions(s).some((a) => a.startsWith('states:Send')),
      );
      if (name === 'request-review' || name === 'decide-review') {
        expect(token.flatMap(actions).sort(), name).toEqual([
          'states:SendTaskFailure',
          'states:SendTaskSuccess',
        ]);
        expect(JSON.stringify(token.map((s) => s.Resource)), name).toContain(`:stateMachine:${reviewName}`);
      } else {
        expect(token, name).toEqual([]);
      }
    }
  });

  it('only retry-claim and the sweeper start claim workflows, objections and appeals only a review, feed job steps only an assessment, only create-export the export one', () => {
    for (const name of handlerNames) {
      const starts = functionStatements(name).filter((s) => actions(s).includes('states:StartExecution'));
      if (name === 'object-claim' || name === 'appeal-claim') {
        expect(starts.flatMap(actions)).toEqual(['states:StartExecution']);
        const resourcesText = JSON.stringify(starts.map((s) => s.Resource));
        expect(resourcesText).toContain(':stateMachine:FangpinClaims-demo-review-claim');
        expect(resourcesText).not.toMatch(/assess-claim|export-ledger|import-file/);
        continue;
      }
      if (name === 'finish-import' || name === 'import-chunks') {
        // A data feed's claims, opened by its batches (or when its job finishes), are assessed
        // like any other.
        expect(starts.flatMap(actions)).toEqual(['states:StartExecution']);
        const resourcesText = JSON.stringify(starts.map((s) => s.Resource));
        expect(resourcesText).toContain(':stateMachine:FangpinClaims-demo-assess-claim');
        expect(resourcesText).not.toMatch(/review-claim|export-ledger|import-file/);
        continue;
      }
      if (name === 'create-export') {
        expect(starts.flatMap(actions)).toEqual(['states:StartExecution']);
        const resourcesText = JSON.stringify(starts.map((s) => s.Resource));
        expect(resourcesText).toContain(':stateMachine:FangpinClaims-demo-export-ledger');
        expect(resourcesText).not.toMatch(/assess-claim|review-claim|import-file/);
        continue;
      }
      if (name !== 'retry-claim' && name !== 'sweep-claims') {
        expect(starts, name).toEqual([]);
        continue;
      }
      expect(starts.flatMap(actions)).toEqual(['states:StartExecution']);
      const resourcesText = JSON.stringify(starts.map((s) => s.Resource));
      expect(resourcesText).toContain(':stateMachine:FangpinClaims-demo-assess-claim');
      expect(resourcesText).toContain(':stateMachine:FangpinClaims-demo-review-claim');
    }
  });

  it('assess-claim may start review-claim; EventBridge may start assess-claim', () => {
    const [assessId, assess] = ofType('AWS::StepFunctions::StateMachine').find(
      ([, r]) => r.Properties.StateMachineType === 'EXPRESS',
    )!;
    const [reviewId] = ofType('AWS::StepFunctions::StateMachine').find(
      ([, r]) => r.Properties.StateMachineType === 'STANDARD',
    )!;
    expect(roleStatements(getAttId(assess.Properties.RoleArn))).toContainEqual(
      expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: reviewId } }),
    );
    const eventsRole = getAttId(
      (
        ofType('AWS::Events::Rule').find(([, r]) => r.Properties.EventPattern !== undefined)![1].Properties
          .Targets as { RoleArn: unknown }[]
      )[0]!.RoleArn,
    );
    expect(roleStatements(eventsRole)).toEqual([
      expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: assessId } }),
    ]);
  });
});

describe('receipts bucket', () => {
  const receiptsId = () =>
    ofType('AWS::S3::Bucket').find(([, b]) => b.Properties.VersioningConfiguration !== undefined)![0];

  it('blocks public access, encrypts with the rotating customer key, versions, logs, keeps its data', () => {
    const bucket = resources[receiptsId()]!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
            },
          },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: expect.stringMatching(/^ReceiptsAccessLogs/) },
        LogFilePrefix: 'receipts/',
      },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    const keyId = getAttId(
      (
        bucket.Properties.BucketEncryption as {
          ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { KMSMasterKeyID: unknown } }[];
        }
      ).ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault.KMSMasterKeyID,
    );
    expect(resources[keyId]!.Properties.EnableKeyRotation).toBe(true);
  });

  it('only the roles that sign upload forms may write under claims/ (a deny on everyone else)', () => {
    const policy = ofType('AWS::S3::BucketPolicy').find(
      ([, p]) => refId(p.Properties.Bucket) === receiptsId(),
    )![1];
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const deny = statements.find((s) => s.Sid === 'OnlyApiUploadFormsWriteClaims');
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject' });
    const allowed = (deny as unknown as { Condition: { ArnNotEquals: { 'aws:PrincipalArn': unknown[] } } })
      .Condition.ArnNotEquals['aws:PrincipalArn'];
    // Exactly the role of create-claim, the one handler that signs upload forms.
    expect(allowed.map(getAttId)).toEqual([getAttId(resources[functionId('create-claim')]!.Properties.Role)]);
  });

  it('every bucket refuses non-TLS requests and public access', () => {
    for (const [id, bucket] of ofType('AWS::S3::Bucket')) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('lifecycle never expires current receipts; ledger exports expire after a day, bulk-job working copies after a week', () => {
    const all = (
      resources[receiptsId()]!.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }
    ).Rules;
    const exportRules = all.filter((r) => r.Prefix === 'exports/');
    expect(exportRules).toEqual([
      expect.objectContaining({ ExpirationInDays: 1, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
    ]);
    // A bulk job's working copies (chunks, map results) go after a week; its file and report stay.
    const workRules = all.filter((r) => r.Prefix === 'import-work/');
    expect(workRules).toEqual([expect.objectContaining({ ExpirationInDays: 7 })]);
    const rules = all.filter((r) => !exportRules.includes(r) && !workRules.includes(r));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.ExpirationInDays).toBeUndefined();
      expect(rule.ExpirationDate).toBeUndefined();
      expect(rule.ExpiredObjectDeleteMarker).toBeUndefined();
    }
    expect(rules).toContainEqual(
      expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
    );
  });

  it('allows presigned POST uploads from the web origin only', () => {
    expect(resources[receiptsId()]!.Properties.CorsConfiguration).toEqual({
      CorsRules: [
        {
          AllowedMethods: ['POST'],
          AllowedOrigins: [
            {
              'Fn::Join': [
                '',
                ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^WebCdn/), 'DomainName'] }],
              ],
            },
            { Ref: 'WebOrigin' },
          ],
          AllowedHeaders: ['*'],
          ExposedHeaders: ['ETag'],
          MaxAge: 3000,
        },
      ],
    });
  });
});

describe('DynamoDB', () => {
  const tableFor = (spec: TableSpec) => {
    const wanted = toCreateTableInput(spec, 'x');
    const found = ofType('AWS::DynamoDB::Table').filter(
      ([, t]) => JSON.stringify(t.Properties.KeySchema) === JSON.stringify(wanted.KeySchema),
    );
    expect(found).toHaveLength(1);
    return { table: found[0]![1], wanted };
  };

  it('one table, the claims table; no idempotency store (writes are conditional instead)', () => {
    expect(ofType('AWS::DynamoDB::Table')).toHaveLength(1);
    for (const [, fn] of claimsFunctions())
      expect(JSON.stringify(fn.Properties.Environment)).not.toMatch(/IDEMPOTENCY/i);
  });

  it.each([['claims', claimsTableSpec]] as const)(
    '%s: keys and indexes come from the shared spec',
    (_name, spec) => {
      const { table, wanted } = tableFor(spec);
      const byName = (a: { AttributeName: string }, b: { AttributeName: string }) =>
        a.AttributeName.localeCompare(b.AttributeName);
      expect((table.Properties.AttributeDefinitions as { AttributeName: string }[]).sort(byName)).toEqual(
        [...wanted.AttributeDefinitions].sort(byName),
      );
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.GlobalSecondaryIndexes).toEqual(wanted.GlobalSecondaryIndexes);
      expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
    },
  );

  it('every table: PITR, KMS with the customer key, deletion protection, retained', () => {
    for (const [id, table] of ofType('AWS::DynamoDB::Table')) {
      expect(table.DeletionPolicy, id).toBe('Retain');
      expect(table.Properties, id).toMatchObject({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^KeysDataKey/), 'Arn'] },
        },
        DeletionProtectionEnabled: true,
      });
    }
    const indexes = tableFor(claimsTableSpec).table.Properties.GlobalSecondaryIndexes as {
      IndexName: string;
      Projection: { ProjectionType: string };
    }[];
    expect(indexes.map((i) => [i.IndexName, i.Projection.ProjectionType])).toEqual([
      ['gsi1', 'KEYS_ONLY'],
      ['gsi2', 'KEYS_ONLY'],
      ['gsi3', 'KEYS_ONLY'],
      ['gsi4', 'ALL'],
      ['gsi5', 'INCLUDE'],
      ['gsi6', 'INCLUDE'],
      ['gsi7', 'INCLUDE'],
      ['gsi8', 'INCLUDE'],
    ]);
  });
});

describe('workflows', () => {
  it('assess-claim is Express, review-claim, import-file and export-ledger Standard, all logging errors to encrypted log groups with tracing', () => {
    const machines = ofType('AWS::StepFunctions::StateMachine');
    expect(
      machines.map(([, m]) => [m.Properties.StateMachineName, m.Properties.StateMachineType]).sort(),
    ).toEqual([
      ['FangpinClaims-demo-assess-claim', 'EXPRESS'],
      ['FangpinClaims-demo-export-ledger', 'STANDARD'],
      ['FangpinClaims-demo-import-file', 'STANDARD'],
      ['FangpinClaims-demo-review-claim', 'STANDARD'],
    ]);
    for (const [id, m] of machines) {
      expect(m.Properties, id).toMatchObject({
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: true },
      });
      const dest = (
        m.Properties.LoggingConfiguration as {
          Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[];
        }
      ).Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn;
      expect(resources[getAttId(dest)]!.Properties).toMatchObject({
        KmsKeyId: expect.anything(),
        RetentionInDays: 365,
      });
    }
  });
});

describe('bulk files', () => {
  it('a bulk file starts import-file; only create-import may write a job file; the map may start its own children only', () => {
    const importMachine = ofType('AWS::StepFunctions::StateMachine').find(
      ([, m]) => m.Properties.StateMachineName === 'FangpinClaims-demo-import-file',
    )!;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ object: { key: [{ wildcard: 'imports/*/file.csv' }] } }),
      }),
      Targets: [Match.objectLike({ Arn: { Ref: importMachine[0] } })],
    });
    const policy = JSON.stringify(
      ofType('AWS::S3::BucketPolicy').map(([, p]) => p.Properties.PolicyDocument),
    );
    expect(policy).toContain('OnlyApiUploadFormsWriteBulkFiles');
    expect(policy).toMatch(/"\/imports\/\*\/file\.csv"/);
    const roleId = getAttId(importMachine[1].Properties.RoleArn);
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap(
        ([, p]) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
      );
    const starts = statements.filter((st) => JSON.stringify(st.Action).includes('states:StartExecution'));
    expect(JSON.stringify(starts.map((st) => st.Resource))).toContain('FangpinClaims-demo-import-file');
    expect(JSON.stringify(starts.map((st) => st.Resource))).not.toContain('review-claim');
  });
});

describe('sweeper', () => {
  it('runs sweep-claims every 15 minutes, starting runs and paying waiting claims as record-payout does', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionId('sweep-claims'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
    // It pays claims waiting for a fund through the payout step: the table rights that step has.
    const tableActions = (name: HandlerName) =>
      [...new Set(functionStatements(name).flatMap(actions))].filter((a) => a.startsWith('dynamodb:')).sort();
    expect(tableActions('sweep-claims')).toEqual(tableActions('record-payout'));
  });

  it('alarms when the sweeper had to start a lost run again (its Powertools metric, no log filter)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'FangpinClaims',
      MetricName: 'ClaimsResumed',
      Dimensions: [{ Name: 'service', Value: 'claims' }],
      Statistic: 'Sum',
      Threshold: 1,
    });
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });
});

describe('tracing', () => {
  it('samples 5% of workflow executions with no reservoir, only for this stack', () => {
    template.hasResourceProperties('AWS::XRay::SamplingRule', {
      SamplingRule: {
        FixedRate: 0.05,
        ReservoirSize: 0,
        ServiceType: 'AWS::StepFunctions::StateMachine',
        ServiceName: 'FangpinClaims-demo-*',
      },
    });
  });
});

describe('intake', () => {
  it('a manifest in the receipts bucket starts assess-claim, with retries and a DLQ', () => {
    const assessId = ofType('AWS::StepFunctions::StateMachine').find(
      ([, r]) => r.Properties.StateMachineType === 'EXPRESS',
    )![0];
    const queueId = logicalIdOf('AWS::SQS::Queue');
    const startedBy = (keyPattern: string, target: unknown) =>
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          detail: {
            bucket: { name: [{ Ref: Match.stringLikeRegexp('^ReceiptsBucket') }] },
            object: { key: [{ wildcard: keyPattern }] },
          },
        },
        Targets: [
          Match.objectLike({
            Arn: target,
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          }),
        ],
      });
    startedBy('claims/*/manifest.json', { Ref: assessId });
    // Every upload under claims/ also reaches note-upload (late uploads leave a history line).
    startedBy('claims/*', { 'Fn::GetAtt': [functionId('note-upload'), 'Arn'] });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: Match.anyValue(),
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
          }),
        ]),
      },
    });
  });
});

describe('HTTP API and auth', () => {
  it('has one route per catalog entry; all but health need the Cognito JWT', () => {
    const authorizerId = logicalIdOf('AWS::ApiGatewayV2::Authorizer');
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(
      apiRoutes.map((r) => `${r.method} ${r.path}`).sort(),
    );
    for (const route of apiRoutes) {
      const r = routes.find((x) => x.RouteKey === `${route.method} ${route.path}`)!;
      if (route.auth)
        expect(r).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      else expect(r.AuthorizationType ?? 'NONE', route.path).toBe('NONE');
    }
    expect(apiRoutes.filter((r) => !r.auth).map((r) => r.path)).toEqual(['/health']);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: logicalIdOf('AWS::Cognito::UserPoolClient') }],
        Issuer: {
          'Fn::Join': [
            '',
            [
              'https://cognito-idp.',
              { Ref: 'AWS::Region' },
              '.amazonaws.com/',
              { Ref: logicalIdOf('AWS::Cognito::UserPool') },
            ],
          ],
        },
      },
    });
  });

  it('throttles, writes JSON access logs to an encrypted log group, and allows CORS from the web origin', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      RouteSettings: {
        'GET /ledger/export': { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 },
        'GET /funds/{region}/history': { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 },
      },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        Format: Match.stringLikeRegexp('requestId'),
      },
    });
    const stage = resources[logicalIdOf('AWS::ApiGatewayV2::Stage')]!;
    const logs =
      resources[
        getAttId((stage.Properties.AccessLogSettings as { DestinationArn: unknown }).DestinationArn)
      ]!;
    expect(logs.Properties).toMatchObject({ KmsKeyId: expect.anything(), RetentionInDays: 365 });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowOrigins: [
          {
            'Fn::Join': [
              '',
              ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebCdn'), 'DomainName'] }],
            ],
          },
          { Ref: 'WebOrigin' },
        ],
      }),
    });
  });

  it('Cognito: no self sign-up, strong passwords, TOTP MFA required, threat protection, groups are the roles', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      DeletionProtection: 'ACTIVE',
    });
    const groups = ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties.GroupName);
    expect(groups.sort()).toEqual([...roles].sort());
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: [
        'ALLOW_ADMIN_USER_PASSWORD_AUTH',
        'ALLOW_USER_SRP_AUTH',
        'ALLOW_REFRESH_TOKEN_AUTH',
      ],
    });
  });

  it('creates the first admin from the AdminEmail parameter, in the admin group', () => {
    template.hasParameter('AdminEmail', { Type: 'String', AllowedPattern: Match.anyValue() });
    template.hasParameter('WebOrigin', { Type: 'String', Default: Match.anyValue() });
    template.hasResourceProperties('AWS::Cognito::UserPoolUser', {
      Username: 'admin',
      DesiredDeliveryMediums: ['EMAIL'],
      UserAttributes: Match.arrayWith([{ Name: 'email', Value: { Ref: 'AdminEmail' } }]),
    });
    const adminGroupId = ofType('AWS::Cognito::UserPoolGroup').find(
      ([, g]) => g.Properties.GroupName === 'admin',
    )![0];
    template.hasResource('AWS::Cognito::UserPoolUserToGroupAttachment', {
      Properties: Match.objectLike({ GroupName: { Ref: adminGroupId }, Username: 'admin' }),
      DependsOn: Match.arrayWith([logicalIdOf('AWS::Cognito::UserPoolUser'), adminGroupId]),
    });
  });
});

describe('monitoring', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

  it('alarms on workflow failures, the DLQ, intake failures, API 5xx and every Lambda, all notifying the topic', () => {
    const topicId = logicalIdOf('AWS::SNS::Topic');
    const metric = (namespace: string, name: string) =>
      alarms().filter((a) => a.Namespace === namespace && a.MetricName === name);
    expect(metric('AWS/States', 'ExecutionsFailed')).toHaveLength(4);
    expect(metric('AWS/States', 'ExecutionsTimedOut')).toHaveLength(4);
    expect(metric('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toHaveLength(1);
    expect(metric('AWS/Events', 'FailedInvocations')).toHaveLength(1);
    expect(metric('AWS/ApiGateway', '5xx')).toHaveLength(1);
    // Business metrics the handlers emit through Powertools.
    expect(metric('FangpinClaims', 'ClaimsResumed')).toHaveLength(1);
    expect(metric('FangpinClaims', 'Claims')).toEqual([
      expect.objectContaining({
        Dimensions: expect.arrayContaining([
          { Name: 'service', Value: 'claims' },
          { Name: 'outcome', Value: 'error' },
        ]),
        Statistic: 'Sum',
      }),
    ]);
    const lambdaErrors = metric('AWS/Lambda', 'Errors');
    expect(lambdaErrors).toHaveLength(handlerNames.length);
    const watched = lambdaErrors.map((a) => refId((a.Dimensions as { Value: unknown }[])[0]!.Value)).sort();
    expect(watched).toEqual(handlerNames.map(functionId).sort());
    for (const a of alarms()) {
      expect(a).toMatchObject({
        AlarmActions: [{ Ref: topicId }],
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      });
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: { Ref: 'AdminEmail' },
    });
  });

  it('has one dashboard, with the business metrics beside the standard ones', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(ofType('AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    for (const name of ['Claims', 'ClaimsRejected', 'PayoutFen', 'UploadToPaidSeconds', 'ReviewWaitSeconds'])
      expect(body).toContain(name);
  });
});

describe('resource counts (accidental deletions show up here)', () => {
  it('matches the snapshot', () => {
    const counts: Record<string, number> = {};
    for (const r of Object.values(resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    expect(counts).toEqual({
      'AWS::ApiGatewayV2::Api': 1,
      'AWS::ApiGatewayV2::Authorizer': 1,
      'AWS::ApiGatewayV2::Integration': 31,
      'AWS::ApiGatewayV2::Route': 31,
      'AWS::ApiGatewayV2::Stage': 1,
      'AWS::CloudFront::Distribution': 1,
      'AWS::CloudFront::OriginAccessControl': 1,
      'AWS::CloudFront::ResponseHeadersPolicy': 1,
      'AWS::CloudWatch::Alarm': 58,
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::Cognito::UserPool': 1,
      'AWS::Cognito::UserPoolClient': 1,
      'AWS::Cognito::UserPoolDomain': 1,
      'AWS::Cognito::UserPoolGroup': 6,
      'AWS::Cognito::UserPoolUser': 1,
      'AWS::Cognito::UserPoolUserToGroupAttachment': 1,
      'AWS::DynamoDB::Table': 1,
      'AWS::Events::Rule': 4,
      'AWS::IAM::Policy': 52,
      'AWS::IAM::Role': 52,
      'AWS::KMS::Key': 2,
      'AWS::Lambda::Function': 46,
      'AWS::Lambda::LayerVersion': 1,
      'AWS::Lambda::Permission': 33,
      'AWS::Logs::LogGroup': 50,
      'AWS::S3::Bucket': 4,
      'AWS::S3::BucketPolicy': 4,
      'AWS::SNS::Subscription': 1,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::TopicPolicy': 1,
      'AWS::SQS::Queue': 1,
      'AWS::SQS::QueuePolicy': 1,
      'AWS::StepFunctions::StateMachine': 4,
      'AWS::XRay::SamplingRule': 1,
      'Custom::CDKBucketDeployment': 1,
    });
  });
});

describe('web hosting', () => {
  it('serves the app from a private bucket through CloudFront OAC, HTTPS only, with security headers', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
        Logging: Match.anyValue(),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: Match.objectLike({
            ContentSecurityPolicy: Match.stringLikeRegexp("frame-ancestors 'none'"),
          }),
          StrictTransportSecurity: Match.objectLike({ Override: true, IncludeSubdomains: true }),
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ContentTypeOptions: { Override: true },
        }),
      }),
    });
    const web = ofType('AWS::S3::Bucket').find(([id]) => id.startsWith('WebAssets'))![1];
    expect(web.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('writes config.json at deploy time with this stack’s API and user pool', () => {
    const deployment = ofType('Custom::CDKBucketDeployment')[0]![1];
    const markers = JSON.stringify(deployment.Properties.SourceMarkers);
    expect(markers).toMatch(/UserPool/);
    expect(markers).toMatch(/HttpApi|Http/);
    expect(deployment.Properties.DistributionPaths).toEqual(['/index.html', '/config.json', '/sw.js']);
  });
});

describe('the deployed definitions are the files (identity)', () => {
  const machineFor = (name: WorkflowName) => {
    const found = Object.entries(resources).filter(
      ([, r]) =>
        r.Type === 'AWS::StepFunctions::StateMachine' &&
        String(r.Properties.StateMachineName).endsWith(`-${name}`),
    );
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it.each(workflowNames)(
    '%s: DefinitionString is the ASL file byte for byte; CloudFormation fills the placeholders',
    (name) => {
      const [, machine] = machineFor(name);
      const text = loadDefinition(name);
      // The same text renderDefinition (and so the local runtime) starts from.
      expect(machine.Properties.DefinitionString).toBe(text);
      const subs = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
      expect(Object.keys(subs).sort()).toEqual(definitionPlaceholders(text));
      // Each placeholder points at the resource its name says.
      for (const [placeholder, value] of Object.entries(subs)) {
        if (placeholder === reviewStateMachinePlaceholder) {
          expect(value).toEqual({ Ref: machineFor('review-claim')[0] });
          continue;
        }
        if (placeholder === importsBucketPlaceholder) {
          const receipts = ofType('AWS::S3::Bucket').find(
            ([, b]) => b.Properties.VersioningConfiguration,
          )![0];
          expect(value).toEqual({ Ref: receipts });
          continue;
        }
        const handler = workflowHandlers.find((h) => functionArnPlaceholder(h) === placeholder);
        expect(handler, placeholder).toBeDefined();
        const [logicalId, attribute] = (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
        expect(attribute).toBe('Arn');
        expect(resources[logicalId]?.Type).toBe('AWS::Lambda::Function');
        expect(resources[logicalId]?.Properties.Description).toBe(`claims ${handler}`);
      }
    },
  );

  it('the state machines may invoke exactly the functions their definitions name', () => {
    for (const name of workflowNames) {
      const [logicalId, machine] = machineFor(name);
      const roleId = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = Object.values(resources)
        .filter(
          (r) =>
            r.Type === 'AWS::IAM::Policy' &&
            JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
        )
        .flatMap(
          (r) =>
            (r.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
              .Statement,
        );
      const invoke = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
      const invoked = invoke
        .flatMap((s) => [s.Resource].flat())
        .map((r) => (r as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);
      const named = Object.values(machine.Properties.DefinitionSubstitutions as Record<string, unknown>)
        .filter((v) => typeof v === 'object' && v !== null && 'Fn::GetAtt' in v)
        .map((v) => (v as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);
      expect(invoked.sort(), logicalId).toEqual(named.sort());
    }
  });
});

function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  const visit = (c: IConstruct) => {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
    c.node.children.forEach(visit);
  };
  visit(root);
  return found;
}

describe('cdk-nag AwsSolutions (runs last: its final test adds a resource to the shared app)', () => {
  it('reports no unacknowledged finding, error or warning', () => {
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledgment gives its reason, and the set is the reviewed one', () => {
    const acks = acknowledgments(app);
    for (const a of acks) expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThan(30);
    // Logical-id hashes are normalised so the list reads as rules, not as hashes.
    const fixed: Record<string, number> = {};
    for (const a of acks) {
      const id = a.id
        .replace(/<ReceiptsBucket[0-9A-F]+\.Arn>/, '<ReceiptsBucket.Arn>')
        .replace(/<WebAssets[0-9A-F]+\.Arn>/, '<WebAssets.Arn>');
      fixed[id] = (fixed[id] ?? 0) + 1;
    }
    expect(fixed).toEqual({
      // Public health check route.
      'AwsSolutions-APIG4': 1,
      // X-Ray (29 Lambda roles), log delivery + X-Ray (3 state machine roles), CDK's deployment.
      'AwsSolutions-IAM5[Resource::*]': 50,
      // CloudFront for the web app: no geo block, no WAF on static assets, default certificate.
      'AwsSolutions-CFR1': 1,
      'AwsSolutions-CFR2': 1,
      'AwsSolutions-CFR4': 1,
      // CDK's own BucketDeployment custom resource (copies the built app, invalidates the CDN).
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': 1,
      'AwsSolutions-IAM5[Action::s3:Abort*]': 1,
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]': 1,
      'AwsSolutions-IAM5[Action::s3:GetBucket*]': 1,
      'AwsSolutions-IAM5[Action::s3:GetObject*]': 1,
      'AwsSolutions-IAM5[Action::s3:List*]': 1,
      'AwsSolutions-IAM5[Resource::<WebAssets.Arn>/*]': 1,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]': 1,
      // validate-claim, create-claim, get-receipt: objects under claims/.
      'AwsSolutions-IAM5[Resource::<ReceiptsBucket.Arn>/claims/*]': 5,
      // export-ledger: objects under exports/.
      'AwsSolutions-IAM5[Resource::<ReceiptsBucket.Arn>/exports/*]': 3,
      // Bulk files: create/get/list-import and the three import steps under imports/; the steps
      // and the import map under import-work/.
      'AwsSolutions-IAM5[Resource::<ReceiptsBucket.Arn>/imports/*]': 6,
      'AwsSolutions-IAM5[Resource::<ReceiptsBucket.Arn>/imports/education-feed/*]': 3,
      'AwsSolutions-IAM5[Resource::<ReceiptsBucket.Arn>/imports/medical-feed/*]': 3,
      'AwsSolutions-IAM5[Resource::<ReceiptsBucket.Arn>/import-work/*]': 4,
      'AwsSolutions-IAM5[Resource::<ReceiptsBucket.Arn>/import-work/education-feed/*]': 3,
      'AwsSolutions-IAM5[Resource::<ReceiptsBucket.Arn>/import-work/medical-feed/*]': 3,
      // The import map's own child executions (named by the service).
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:FangpinClaims-demo-import-file/*]': 1,
      // nodejs22.x on all 29 functions; CDK's deployment function pins its own runtime.
      'AwsSolutions-L1': 46,
      // The two log buckets (receipts access logs, web app logs).
      'AwsSolutions-S1': 2,
      // The DLQ itself.
      'AwsSolutions-SQS3': 1,
      // The state machines log errors with data, not every state (claim history is in DynamoDB).
      'AwsSolutions-SF1': 4,
    });
  });

  // Runs last: it adds a resource to the shared app.
  it('the app registers the pack: an unchecked bucket makes synthesis fail', () => {
    new Bucket(stack, 'UncheckedBucket');
    expect(() => app.synth({ force: true })).toThrow(/AwsSolutions-S1/);
  });
});

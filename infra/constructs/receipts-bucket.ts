import { Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, type IGrantable, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  HttpMethods,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { exportsPrefix } from '#functions/catalog.ts';
import { IMPORT_WORK_PREFIX, IMPORTS_PREFIX, feedJobKinds } from '#shared/bulk-job.ts';

/** Prefix every claim's manifest and receipts live under (`claims/<claimId>/...`). */
export const claimsPrefix = 'claims/';

export interface ReceiptsBucketProps {
  readonly key: IKey;
  /** Browser origin allowed to upload with presigned POST. */
  readonly webOrigins: readonly string[];
}

/** The receipts bucket (private, KMS, versioned, logged, never expiring current receipts) and its access-log bucket. */
export class ReceiptsBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  private readonly key: IKey;
  /** Roles granted uploads under claims/: the only principals the bucket policy lets write there. */
  private readonly uploaderArns: string[] = [];
  /** Roles that sign bulk-file upload forms: the only principals that may write a job's file. */
  private readonly importUploaderArns: string[] = [];

  constructor(scope: Construct, id: string, props: ReceiptsBucketProps) {
    super(scope, id);
    this.key = props.key;

    // Server access logs can't be delivered to an SSE-KMS bucket: this one uses SSE-S3.
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(400) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket itself; logging it into itself would log its own log deliveries.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'receipts/',
      cors: [
        {
          allowedMethods: [HttpMethods.POST],
          allowedOrigins: [...props.webOrigins],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      // Current receipts never expire: they are the evidence behind a payout.
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        // A ledger export is made to be downloaded at once; it holds bank accounts, so it goes.
        {
          id: 'expire-exports',
          prefix: exportsPrefix,
          expiration: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(1),
        },
        // A job's chunks and map results are copies of its file, made to be read within the hour.
        {
          id: 'expire-import-work',
          prefix: IMPORT_WORK_PREFIX,
          expiration: Duration.days(7),
          noncurrentVersionExpiration: Duration.days(1),
        },
        // A department's file is removed once its records are stored (it names people on no
        // household); the version the removal hides goes within a day, not with the others.
        ...feedJobKinds.map((kind) => ({
          id: `expire-removed-${kind}-files`,
          prefix: `${IMPORTS_PREFIX}${kind}/`,
          noncurrentVersionExpiration: Duration.days(1),
        })),
        {
          id: 'tier-receipts',
          transitions: [
            { storageClass: StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(30) },
          ],
        },
        {
          id: 'replaced-versions',
          noncurrentVersionTransitions: [
            { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(30) },
          ],
          noncurrentVersionExpiration: Duration.days(365),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Claims exist only by a grant: nothing but the roles that sign the API's upload forms (and
    // so the forms themselves) may write under claims/, whatever else an account's IAM allows.
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyApiUploadFormsWriteClaims',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${claimsPrefix}*`)],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.uploaderArns }) },
        },
      }),
    );
    // The same for bulk files: a job's file is written only with the form its job was granted.
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyApiUploadFormsWriteBulkFiles',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${IMPORTS_PREFIX}*/file.csv`)],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.importUploaderArns }) },
        },
      }),
    );
    // S3 -> EventBridge set on the bucket itself: bucket.eventBridgeEnabled would add a
    // custom-resource Lambda just to flip this one switch.
    (this.bucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
  }

  /** The cdk-nag finding a grant on objects under claims/ raises (object ARNs need a wildcard). */
  get claimsObjectsFinding(): string {
    const logicalId = Stack.of(this).resolve(
      (this.bucket.node.defaultChild as CfnBucket).logicalId,
    ) as string;
    return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${claimsPrefix}*]`;
  }

  /**
   * GetObject under claims/; with `list`, also ListBucket so a missing receipt reads as 404
   * (not 403) and can be rejected as INVALID_RECEIPT. No delete anywhere.
   */
  grantReadReceipts(grantee: IGrantable, options: { list: boolean }): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${claimsPrefix}*`)],
      }),
    );
    if (options.list) {
      principal.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
      );
    }
    this.grantKey(grantee, ['kms:Decrypt']);
  }

  /** The cdk-nag finding the grant on exports/ raises. */
  get exportsObjectsFinding(): string {
    return this.claimsObjectsFinding.replace(`/${claimsPrefix}*]`, `/${exportsPrefix}*]`);
  }

  /** Writes (multipart included) and reads under exports/: the export and its download link. */
  grantWriteExports(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
        resources: [this.bucket.arnForObjects(`${exportsPrefix}*`)],
      }),
    );
    this.grantKey(grantee, ['kms:GenerateDataKey', 'kms:Decrypt']);
  }

  /** The cdk-nag finding a grant on objects under imports/ or import-work/ raises. */
  importsObjectsFinding(prefix: string): string {
    const logicalId = Stack.of(this).resolve(
      (this.bucket.node.defaultChild as CfnBucket).logicalId,
    ) as string;
    return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`;
  }

  /** Bulk files: see HandlerAccess.imports. */
  grantImports(grantee: IRole, level: 'upload' | 'view' | 'work'): void {
    const statement = (actions: string[], prefix: string) =>
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions, resources: [this.bucket.arnForObjects(`${prefix}*`)] }),
      );
    if (level === 'upload') {
      this.importUploaderArns.push(grantee.roleArn);
      statement(['s3:PutObject'], IMPORTS_PREFIX);
    } else if (level === 'view') {
      statement(['s3:GetObject'], IMPORTS_PREFIX);
    } else {
      statement(['s3:GetObject', 's3:PutObject'], IMPORTS_PREFIX);
      statement(['s3:GetObject', 's3:PutObject'], IMPORT_WORK_PREFIX);
      // Feed files and their chunks are removed when the job is done with them.
      for (const kind of feedJobKinds) {
        statement(['s3:DeleteObject'], `${IMPORTS_PREFIX}${kind}/`);
        statement(['s3:DeleteObject'], `${IMPORT_WORK_PREFIX}${kind}/`);
      }
      // A missing chunk must read as missing (404), not as forbidden.
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
      );
    }
    this.grantKey(grantee, ['kms:GenerateDataKey', 'kms:Decrypt']);
  }

  /** What the import workflow's Distributed Map does itself: read the chunk list, write results. */
  grantImportMap(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.bucket.arnForObjects(`${IMPORT_WORK_PREFIX}*`)],
      }),
    );
    this.grantKey(grantee, ['kms:GenerateDataKey', 'kms:Decrypt']);
  }

  /** PutObject under claims/ for presigned POST uploads (the POST is signed with this role). */
  grantUploadReceipts(grantee: IRole): void {
    this.uploaderArns.push(grantee.roleArn);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${claimsPrefix}*`)],
      }),
    );
    this.grantKey(grantee, ['kms:GenerateDataKey', 'kms:Decrypt']);
  }

  private grantKey(grantee: IGrantable, actions: string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions,
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}

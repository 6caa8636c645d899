// The web app: built assets in a private bucket, served by CloudFront through origin access
// control with security headers, and a config.json written at deploy time so the same build
// finds this stack's API and user pool.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
  CachePolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { ensureWebBuild } from '#infra/web-build.ts';

export interface WebConfig {
  readonly apiBase: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** Hosted-UI base URL for sign-in. */
  readonly domain: string;
  readonly region: string;
}

export class WebHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<distribution domain>`: the browser origin for CORS. */
  readonly origin: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // CloudFront standard logs are written with ACLs, so this log bucket lets the writer own them.
    const logs = new Bucket(this, 'Logs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the log bucket of the web app; logging it into itself would log its own log deliveries.',
    });
    this.bucket = new Bucket(this, 'Assets', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // Public code only: S3-managed keys let CloudFront's OAC read without a KMS grant.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'web-assets/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // The app talks to its API and Cognito, and previews receipts from the receipts bucket.
          contentSecurityPolicy:
            "default-src 'self'; img-src 'self' blob: data: https://*.amazonaws.com; connect-src 'self' https://*.amazonaws.com https://*.amazoncognito.com; frame-src 'self' blob: https://*.amazonaws.com; style-src 'self' 'unsafe-inline'; object-src https://*.amazonaws.com; form-action 'self' https://*.amazoncognito.com; base-uri 'self'; frame-ancestors 'none'",
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        xssProtection: { protection: true, modeBlock: true, override: true },
      },
    });

    this.distribution = new Distribution(this, 'Cdn', {
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
      },
      // The app routes in the browser (hash routes), but a deep link must still load it.
      errorResponses: [
        {
          httpStatus: 403,
          responseHttpStatus: 200,
          responsePagePath: '/index.html',
          ttl: Duration.minutes(1),
        },
      ],
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      priceClass: PriceClass.PRICE_CLASS_ALL,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;

    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Households and staff are served where they are; no country is blocked by default.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Static public assets only; the API has its own throttling and JWT authorizer. Add WAF at the edge if the county requires it.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default cloudfront.net certificate is used until a custom domain is attached; TLS 1.2 is the minimum set.',
      },
    );
  }

  /** Uploads the built app and the deploy-time config.json, and refreshes the CDN. */
  deployApp(config: WebConfig): void {
    const deployment = new BucketDeployment(this, 'Deploy', {
      sources: [
        Source.asset(ensureWebBuild()),
        Source.jsonData('config.json', { auth: 'cognito', ...config }),
      ],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json', '/sw.js'],
      memoryLimit: 256,
    });
    const stack = Stack.of(this);
    // The deployment's helper function and role are CDK's own custom resource.
    for (const child of stack.node.children) {
      if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
        Validations.of(child).acknowledge(
          ...[
            'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
            'AwsSolutions-IAM5[Action::s3:GetBucket*]',
            'AwsSolutions-IAM5[Action::s3:GetObject*]',
            'AwsSolutions-IAM5[Action::s3:List*]',
            'AwsSolutions-IAM5[Action::s3:Abort*]',
            'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
            'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
            'AwsSolutions-IAM5[Resource::<WebAssetsDD5BFD6C.Arn>/*]',
            'AwsSolutions-IAM5[Resource::*]',
            'AwsSolutions-L1',
          ].map((findingId) => ({
            id: findingId,
            reason:
              "CDK's own BucketDeployment custom resource: it copies the built app from the CDK asset bucket into the web bucket (replacing old files) and invalidates CloudFront; its policy is CDK's, scoped to those two buckets.",
          })),
        );
      }
    }
    deployment.node.addDependency(this.distribution);
  }
}

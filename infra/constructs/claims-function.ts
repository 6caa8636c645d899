import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { metricsNamespace, powertoolsServiceName } from '#functions/catalog.ts';

/** The repository root: bundling resolves `#shared/*` imports and the lock file from here. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where a catalog handler's source lives. */
export function defaultHandlerEntry(handler: string): string {
  return fileURLToPath(new URL(`../../functions/handlers/${handler}.ts`, import.meta.url));
}

export interface ClaimsFunctionProps {
  /** Catalog name, e.g. `validate-claim`. */
  readonly handler: string;
  /** Path of the handler's source file. */
  readonly entry: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Encrypts the function's log group. */
  readonly logKey: IKey;
  readonly logLevel: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention?: RetentionDays;
  /**
   * Packages with native code (e.g. `['sharp']`) that esbuild cannot bundle: they stay external
   * and are installed into the asset's node_modules for Lambda's platform, linux-arm64 with glibc,
   * whatever machine builds the asset.
   */
  readonly nativeModules?: readonly string[];
}

/** The platform the functions run on, as npm names it (Architecture.ARM_64, Amazon Linux 2023). */
export const lambdaNpmPlatform = { os: 'linux', cpu: 'arm64', libc: 'glibc' } as const;

/**
 * How a handler is bundled: one minified ESM file (source maps, SDK included), plus an
 * installed node_modules for native packages only.
 */
export function claimsBundling(nativeModules: readonly string[] = []): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    // Bundle the AWS SDK too: the code runs against the SDK version the tests ran. Native
    // packages are left out here because nodeModules marks them external itself.
    externalModules: [],
    mainFields: ['module', 'main'],
    // Some bundled CommonJS dependencies call require(); ESM output has none without this shim.
    banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    // On Lambda credentials are always in the environment: the SDK's default credential chain
    // is swapped for its first link (fromEnv), which drops the STS/SSO clients and the
    // ini/process/IMDS providers, about 130 KB of every SDK bundle. esbuild resolves the
    // replacement from projectRoot, its working directory locally and in Docker.
    esbuildArgs: {
      '--alias:@aws-sdk/credential-provider-node': './functions/adapters/lambda-credentials.ts',
    },
    ...(nativeModules.length > 0 ? nativeInstall(nativeModules) : {}),
  };
}

/**
 * CDK writes a package.json naming these modules next to the bundle and runs `npm ci` there with
 * the project's lock file, which records every platform's optional binary (sharp's
 * @img/sharp-linux-arm64 and @img/sharp-libvips-linux-arm64 among them). An .npmrc written
 * before that install makes npm pick Lambda's platform instead of the build machine's, from the
 * npm registry only; it is removed afterwards so it does not ship.
 */
function nativeInstall(
  nativeModules: readonly string[],
): Pick<BundlingOptions, 'nodeModules' | 'commandHooks'> {
  const { os, cpu, libc } = lambdaNpmPlatform;
  return {
    nodeModules: [...nativeModules],
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: (_inputDir, outputDir) => [
        `printf 'os=${os}\ncpu=${cpu}\nlibc=${libc}\n' > "${outputDir}/.npmrc"`,
      ],
      afterBundling: (_inputDir, outputDir) => [`rm -f "${outputDir}/.npmrc"`],
    },
  };
}

/**
 * One Lambda with the project's defaults: Node.js 22 on arm64, an ESM bundle (minified, with
 * source maps, AWS SDK included so the code runs against the SDK version it was tested with),
 * Powertools settings, X-Ray, and its own encrypted log group. The role starts empty: callers
 * grant exactly what the handler needs.
 */
export class ClaimsFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ClaimsFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.SIX_MONTHS,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to its log group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `claims ${props.handler} handler`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: `claims ${props.handler}`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      // Lambda records each invocation's segment itself. No Powertools Tracer: wrapping the SDK
      // clients for per-call subsegments would put aws-xray-sdk-core in every bundle (cold start)
      // for timings the DynamoDB, S3 and Step Functions metrics already give.
      tracing: Tracing.ACTIVE,
      projectRoot: repoRoot,
      depsLockFilePath: fileURLToPath(new URL('../../package-lock.json', import.meta.url)),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: powertoolsServiceName,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: claimsBundling(props.nativeModules),
    });

    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the project targets and tests on; nodejs24.x is a deliberate later upgrade.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement (xray:PutTraceSegments, xray:PutTelemetryRecords) uses "*": X-Ray has no resource-level permissions.',
    });
  }
}

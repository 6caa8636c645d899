import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ClaimsStack } from '#infra/claims-stack.ts';
import type { HandlerName } from '#infra/handler-access.ts';

export interface ClaimsAppOptions {
  /** Extra context, e.g. `{ 'aws:cdk:bundling-stacks': [] }` in tests. CLI context wins over it. */
  readonly context?: Record<string, unknown>;
  readonly handlerEntry?: (handler: HandlerName) => string;
}

export function stackNameFor(regionCode: string): string {
  return `FangpinClaims-${regionCode}`;
}

/** The app as `cdk synth` builds it, cdk-nag included; tests build it through here too. */
export function createClaimsApp(options: ClaimsAppOptions = {}): { app: App; stack: ClaimsStack } {
  const app = new App({
    context: {
      // Server access logs are granted by bucket policy (the log bucket has ACLs disabled).
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
      ...options.context,
    },
  });
  const regionCode = String(app.node.tryGetContext('regionCode') ?? 'demo');
  if (!/^[a-z0-9-]{1,20}$/.test(regionCode)) {
    throw new Error(`context regionCode must be lower-case letters, digits and dashes: ${regionCode}`);
  }
  const logLevel = String(app.node.tryGetContext('logLevel') ?? 'INFO');
  const stack = new ClaimsStack(app, stackNameFor(regionCode), {
    regionCode,
    logLevel,
    description: `Claims processor (防贫保 / 防贫帮扶基金) for region code ${regionCode}`,
    ...(options.handlerEntry ? { handlerEntry: options.handlerEntry } : {}),
  });
  Tags.of(stack).add('project', 'fangpin-claims');
  Tags.of(stack).add('region-code', regionCode);
  // cdk-nag 3 is a policy-validation plugin: any unacknowledged finding (error or warning) fails synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

// Bundled in place of @aws-sdk/credential-provider-node: ClaimsFunction's esbuild alias swaps it
// in (infra/constructs/claims-function.ts). On Lambda the execution role's credentials are always
// in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, the first link of the SDK's
// default chain, so the chain's other links (SSO, ini files, credential_process, web identity,
// container and instance metadata, with the STS/SSO clients they load) can never run there, yet
// weigh about 130 KB of every SDK bundle. Only the Lambda bundles use this module: under tsx,
// vitest and the local runtime the SDK keeps its own chain (the local runtime passes explicit
// credentials anyway).
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** The chain's first link, `fromEnv`, and nothing after it. */
export function defaultProvider(): AwsCredentialIdentityProvider {
  return async () => {
    const env = process.env;
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey)
      throw new Error(
        'no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): this Lambda ' +
          "bundle reads credentials only from there (see lambda-credentials.ts), as Lambda's runtime sets them",
      );
    // Read on every call, like fromEnv: nothing cached to go stale.
    const { AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION, AWS_CREDENTIAL_SCOPE, AWS_ACCOUNT_ID } = env;
    const credentials: AwsCredentialIdentity = {
      accessKeyId,
      secretAccessKey,
      ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}),
      ...(AWS_CREDENTIAL_EXPIRATION ? { expiration: new Date(AWS_CREDENTIAL_EXPIRATION) } : {}),
      ...(AWS_CREDENTIAL_SCOPE ? { credentialScope: AWS_CREDENTIAL_SCOPE } : {}),
      ...(AWS_ACCOUNT_ID ? { accountId: AWS_ACCOUNT_ID } : {}),
    };
    return credentials;
  };
}

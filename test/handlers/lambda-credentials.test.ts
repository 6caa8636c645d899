// The environment-only provider the Lambda bundles get instead of the SDK's default chain
// (claims-function.ts aliases @aws-sdk/credential-provider-node to it): with Lambda's variables it
// must yield what the chain's own first link, fromEnv, yields.
import { defaultProvider as sdkChain } from '@aws-sdk/credential-provider-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '#functions/adapters/lambda-credentials.ts';

const names = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CREDENTIAL_SCOPE',
  'AWS_ACCOUNT_ID',
  'AWS_PROFILE',
];

describe('lambda-credentials defaultProvider', () => {
  beforeEach(() => {
    for (const name of names) vi.stubEnv(name, undefined);
  });
  afterEach(() => vi.unstubAllEnvs());

  it("returns Lambda's environment credentials as the SDK's chain does", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'session');
    const ours = await defaultProvider()();
    expect(ours).toEqual({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' });
    expect(await sdkChain()()).toMatchObject(ours);
  });

  it('carries the optional expiration, scope and account id like fromEnv', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', '2030-01-01T00:00:00Z');
    vi.stubEnv('AWS_CREDENTIAL_SCOPE', 'us-east-1');
    vi.stubEnv('AWS_ACCOUNT_ID', '123456789012');
    const ours = await defaultProvider()();
    expect(ours).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      expiration: new Date('2030-01-01T00:00:00Z'),
      credentialScope: 'us-east-1',
      accountId: '123456789012',
    });
    expect(await sdkChain()()).toMatchObject(ours);
  });

  it('reads the environment on every call', async () => {
    const provider = defaultProvider();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'first');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    expect((await provider()).accessKeyId).toBe('first');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'second');
    expect((await provider()).accessKeyId).toBe('second');
  });

  it('fails with a message naming the variables when they are missing', async () => {
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY/);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    await expect(defaultProvider()()).rejects.toThrow(/lambda-credentials\.ts/);
  });
});

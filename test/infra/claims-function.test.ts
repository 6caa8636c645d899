// Bundles one small handler for real (local esbuild, no Docker) to check what a synth without
// bundling can't show: ESM output with the require shim, minified, source maps, SDK bundled, the
// default credential chain replaced by functions/adapters/lambda-credentials.ts.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClaimsFunction } from '#infra/constructs/claims-function.ts';

let bundle: string;
let bundleDir: string;

beforeAll(() => {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'claims-bundle-')) });
  const stack = new Stack(app, 'Probe');
  new ClaimsFunction(stack, 'Probe', {
    handler: 'bundle-probe',
    entry: new URL('./fixtures/bundle-probe.ts', import.meta.url).pathname,
    environment: {},
    logKey: new Key(stack, 'Key'),
    logLevel: 'INFO',
    memorySize: 512,
    timeout: Duration.seconds(10),
  });
  const assembly = app.synth();
  // The probe function is the only asset.
  const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
  expect(assets).toHaveLength(1);
  bundleDir = join(assembly.directory, assets[0]!);
  bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
}, 120_000);

describe('ClaimsFunction bundling', () => {
  it('emits one minified ESM file with the require shim and a source map', () => {
    expect(
      bundle.startsWith(
        "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      ),
    ).toBe(true);
    expect(bundle).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
    // Minified: long lines (only template literals keep their newlines), not a formatted file.
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(2000);
  });

  afterEach(() => vi.unstubAllEnvs());

  it('bundles the AWS SDK and #-imports instead of importing them at run time', async () => {
    expect(bundle).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(bundle).not.toMatch(/from\s*["']#/);
    // As Lambda's runtime sets them; AWS_PROFILE would make the SDK's own chain skip them.
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_PROFILE', 'not-on-lambda');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDPROBE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'probe-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'probe-session');
    const mod = (await import(pathToFileURL(join(bundleDir, 'index.mjs')).href)) as {
      handler: () => Promise<unknown>;
    };
    await expect(mod.handler()).resolves.toEqual({
      item: { ok: { BOOL: true } },
      table: 'CLAIMS_TABLE',
      credentials: { accessKeyId: 'AKIDPROBE', sessionToken: 'probe-session' },
    });
  });

  it("swaps the SDK's default credential chain for the environment-only provider", () => {
    // Messages of lambda-credentials.ts and of the chain it replaces (source maps carry no sources).
    expect(bundle).toContain('this Lambda bundle reads credentials only from there');
    expect(bundle).not.toContain('Could not load credentials from any providers');
    expect(bundle).not.toContain('credential_process');
  });
});

// The bundling options of ClaimsFunction, checked as data (tests synthesize without bundling):
// native modules stay out of the esbuild bundle and are installed into the asset for Lambda's
// platform. With CLAIMS_BUNDLE_NATIVE=1 a real bundle is built too (needs the npm registry).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { describe, expect, it } from 'vitest';
import { ClaimsFunction, claimsBundling, lambdaNpmPlatform } from '#infra/constructs/claims-function.ts';

/** A function that names sharp as a native module, as check-duplicates does. */
function sharpProbe(stack: Stack): ClaimsFunction {
  return new ClaimsFunction(stack, 'Fn', {
    handler: 'sharp-probe',
    entry: new URL('./fixtures/sharp-probe.ts', import.meta.url).pathname,
    environment: {},
    logKey: new Key(stack, 'Key'),
    logLevel: 'INFO',
    memorySize: 512,
    timeout: Duration.seconds(10),
    nativeModules: ['sharp'],
  });
}

describe('claimsBundling', () => {
  it('without native modules: one ESM bundle with everything in it, no install step', () => {
    const options = claimsBundling();
    expect(options).toMatchObject({ format: OutputFormat.ESM, target: 'node22', externalModules: [] });
    expect(options.nodeModules).toBeUndefined();
    expect(options.commandHooks).toBeUndefined();
  });

  it('with sharp: sharp is installed (so left external) with an .npmrc for linux-arm64 glibc, removed after', () => {
    const options = claimsBundling(['sharp']);
    expect(options.nodeModules).toEqual(['sharp']);
    expect(options.externalModules).toEqual([]);
    expect(lambdaNpmPlatform).toEqual({ os: 'linux', cpu: 'arm64', libc: 'glibc' });
    const hooks = options.commandHooks!;
    expect(hooks.beforeBundling('/in', '/out')).toEqual([]);
    expect(hooks.afterBundling('/in', '/out')).toEqual(['rm -f "/out/.npmrc"']);
    // The hook's command, run as CDK runs it, writes the three settings npm ci then obeys.
    const dir = mkdtempSync(join(tmpdir(), 'claims-npmrc-'));
    for (const command of hooks.beforeInstall('/in', dir)) execFileSync('bash', ['-c', command]);
    expect(readFileSync(join(dir, '.npmrc'), 'utf8')).toBe('os=linux\ncpu=arm64\nlibc=glibc\n');
  });

  it('a function with nativeModules synthesizes (bundling skipped) like any other', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Native');
    const fn = sharpProbe(stack);
    expect(fn.fn.runtime.name).toBe('nodejs22.x');
    expect(app.synth().getStackByName('Native').template).toBeDefined();
    // A synth loads the whole CDK library: seconds alone, far more on a busy shared machine.
  }, 120_000);

  it.skipIf(!process.env.CLAIMS_BUNDLE_NATIVE)(
    'a real bundle ships sharp for linux-arm64 only, imported at run time',
    () => {
      const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'claims-native-')) });
      const stack = new Stack(app, 'Native');
      sharpProbe(stack);
      const assembly = app.synth();
      const asset = readdirSync(assembly.directory).find((name) => name.startsWith('asset.'))!;
      const dir = join(assembly.directory, asset);
      expect(readdirSync(join(dir, 'node_modules/@img')).sort()).toEqual([
        'colour',
        'sharp-libvips-linux-arm64',
        'sharp-linux-arm64',
      ]);
      expect(existsSync(join(dir, '.npmrc'))).toBe(false);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toMatch(/from\s*["']sharp["']/);
    },
    300_000,
  );
});

// The esbuild options CDK's NodejsFunction uses for every handler (infra/constructs/
// claims-function.ts: nodejs22.x, ESM, minified, external source maps, AWS SDK bundled, the
// createRequire banner, the credential chain aliased to its environment link), so the benchmark
// weighs exactly what would be deployed.
// `constructDrift()` reads the construct's source and names any setting that no longer matches.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** NodejsFunction runs esbuild in projectRoot (the repository root), locally and in Docker. */
const projectRoot = fileURLToPath(new URL('../', import.meta.url));

/** The construct's `esbuildArgs` alias: the default credential chain becomes its fromEnv link. */
const credentialAlias = {
  '@aws-sdk/credential-provider-node': './functions/adapters/lambda-credentials.ts',
} as const;

export const requireBanner =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** What `esbuild --bundle` gets from NodejsFunction with the construct's `bundling` props. */
export const lambdaEsbuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  sourcemap: 'external',
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // externalModules: [] in the construct: nothing is external, the AWS SDK included.
  external: [],
  banner: { js: requireBanner },
  alias: credentialAlias,
  absWorkingDir: projectRoot,
  outExtension: { '.js': '.mjs' },
  metafile: true,
  logLevel: 'error',
} as const satisfies BuildOptions;

/** The construct settings the options above mirror, as they appear in its source. */
const expectedSettings: readonly string[] = [
  'format: OutputFormat.ESM',
  "target: 'node22'",
  'minify: true',
  'sourceMap: true',
  'sourcesContent: false',
  'externalModules: []',
  "mainFields: ['module', 'main']",
  requireBanner,
  ...Object.entries(credentialAlias).map(([from, to]) => `'--alias:${from}': '${to}'`),
  'Runtime.NODEJS_22_X',
  'Architecture.ARM_64',
];

/** Settings of claims-function.ts that the benchmark's options no longer mirror (empty: in step). */
export function constructDrift(): string[] {
  const source = readFileSync(new URL('../infra/constructs/claims-function.ts', import.meta.url), 'utf8');
  const flat = source.replace(/\s+/g, ' ').replace(/" \+ "|' \+ '/g, '');
  return expectedSettings.filter((setting) => !flat.includes(setting.replace(/\s+/g, ' ')));
}

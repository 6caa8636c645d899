// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbiddenInShared = [
  {
    group: ['@aws-sdk/*', 'aws-sdk'],
    message: 'shared/ is pure domain code: AWS SDK adapters live in functions/.',
  },
  {
    group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'],
    message: 'shared/ must not depend on CDK.',
  },
  { group: ['@middy/*'], message: 'shared/ must not depend on middy.' },
  { group: ['@aws-lambda-powertools/*'], message: 'shared/ must not depend on Powertools.' },
  // A leading # would read as a comment in a gitignore-style `group`, so these use `regex`.
  {
    regex: '^(#(functions|infra|cli|test)/|(\\.\\./)+(functions|infra|cli|test)/)',
    message: 'shared/ depends on nothing outside shared/.',
  },
];

// Value imports of these modules would bundle zod into the phone app; types are fine.
const heavyForWeb = {
  regex:
    '^(zod|#shared/(policy|claim|claim-state|manifest|roster|eligibility|receipt-check)\\.ts|#shared/(api|workflow)/.*)$',
  allowTypeImports: true,
  message: 'web/: this module bundles zod into the phone app; import types only.',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.data/**', 'coverage/**', 'web/dist/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='parseFloat']",
          message: 'Money is integer fen: parse yuan with parseYuan().',
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: forbiddenInShared }] },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [heavyForWeb] }] },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);

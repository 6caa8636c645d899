// Mutation testing of the money, cap and ledger code (npm run verify, check 10):
//   npx stryker run verify/stryker.config.mjs      (from the repo root)
// The domain files whole; of the DynamoDB adapter, the methods that hold the money conditions
// (claim create/update, cap counter, payout transaction, ledger entry and listing, disbursement),
// found by name so the ranges follow the file as it changes.
import { readFileSync } from 'node:fs';

const adapter = 'functions/adapters/dynamo-claim-store.ts';
const adapterLines = readFileSync(new URL(`../${adapter}`, import.meta.url), 'utf8').split('\n');

/** `file:first-last` from the line holding `from` up to the line before the one holding `to`. */
function range(from, to) {
  const first = adapterLines.findIndex((line) => line.includes(from));
  const end =
    to === undefined
      ? adapterLines.length
      : adapterLines.findIndex((line, i) => i > first && line.includes(to));
  if (first < 0 || end < 0) throw new Error(`stryker config: cannot find ${from} .. ${to} in ${adapter}`);
  return `${adapter}:${first + 1}-${end}`;
}

export default {
  testRunner: 'vitest',
  vitest: { configFile: 'verify/vitest.mutation.config.ts' },
  mutate: [
    'shared/money.ts',
    'shared/compensation.ts',
    'shared/workflow/record-payout.ts',
    'shared/eligibility.ts',
    range('function ledgerItem(', 'export function parseClaimItem('),
    range('  async create(', '  async history('),
    range('  async capUsed(', '  async periods('),
    range('function nextMonth(', undefined),
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 20_000,
  thresholds: { high: 90, low: 80, break: 80 },
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  ignorePatterns: [
    'web',
    'bench',
    'cdk.out',
    'reports',
    '.data',
    'test/web',
    'test/e2e',
    'test/infra',
    'test/local',
  ],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};

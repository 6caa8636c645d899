// The tests Stryker runs against each mutant: the fast ones only (unit tests and the reliability
// suite's money tests), so a mutant costs milliseconds, not a local stack. DynamoDB Local starts
// once per test-runner process for the adapter's money tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/reliability/money-*.test.ts'],
    // Source scans read folders the mutation sandbox leaves out (web/): they test the code's
    // shape, not its behaviour, so no mutant can fail them.
    exclude: ['test/unit/vocabulary.test.ts', 'test/unit/claim-change-scan.test.ts'],
    globalSetup: ['verify/mutation-dynamo-setup.ts'],
    hookTimeout: 120_000,
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

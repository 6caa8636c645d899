import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The two checks that kill the stack with kill -9 over and over take a minute each: they run
    // in `npm run verify` (quick: `-- --quick --only 6,12`), or here with CLAIMS_KILL_TESTS=1.
    exclude: process.env.CLAIMS_KILL_TESTS
      ? []
      : ['test/reliability/06-process-kill.test.ts', 'test/reliability/12-bulk-kill.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // End-to-end files each start their own local stack; keep two at a time on a 2-core box.
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});

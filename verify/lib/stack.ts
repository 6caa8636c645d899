// The real local stack for the checks whose property is about deployed behaviour: the same
// handlers, the deployed ASL run by the local Step Functions, DynamoDB Local and the S3 emulator.
import { startLocalStack, type TestStack } from '#cli/local/scratch-stack.ts';
import { importRoster } from '#shared/api/roster-api.ts';
import { rosterCsv, type SyntheticHousehold } from '#verify/lib/synthetic.ts';

export type VerifyStack = TestStack & { stop(): Promise<void> };

export async function withStack<T>(
  options: { demo?: boolean },
  work: (stack: VerifyStack) => Promise<T>,
): Promise<T> {
  const stack = await startLocalStack({ demo: options.demo ?? false });
  try {
    return await work(stack);
  } finally {
    await stack.stop();
  }
}

/** Puts synthetic households on the roster through the same import the admin API uses. */
export async function importHouseholds(stack: VerifyStack, households: readonly SyntheticHousehold[]) {
  const result = await importRoster(stack.deps.roster, rosterCsv(households));
  if (result.rejected.length > 0) {
    throw new Error(`synthetic roster rows rejected: ${JSON.stringify(result.rejected.slice(0, 3))}`);
  }
  return result.imported;
}

/** Runs `work` over items with at most `limit` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
) {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Seconds since `started`, to one decimal. */
export const secondsSince = (started: number) => Math.round((performance.now() - started) / 100) / 10;

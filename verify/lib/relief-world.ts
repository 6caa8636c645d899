// What the relief-fund checks (13-16) share: the demo-fund policy as a check needs it, a roster
// period in its region, clocks, and the workflow's retry policy for a step as the ASL states it.
import demoFundDocument from '#shared/data/policies/demo-fund-v1.json' with { type: 'json' };
import { parsePolicy, type Policy } from '#shared/policy.ts';
import type { RosterPeriod } from '#shared/roster.ts';
import type { Clock } from '#shared/ports.ts';
import { seededRandom, type Random } from '#verify/lib/random.ts';
import { startLocalDynamo, type LocalDynamo } from '#verify/lib/dynamo.ts';
import { MemoryStore } from '#functions/adapters/memory/memory-ports.ts';

export const FUND_REGION = 'demo-fund';

/**
 * The demo-fund policy, with changes a check names (a smaller fund, another region). The routes
 * are kept unless `withoutPayoutRoute`: a check about money then auto-approves every claim, which
 * a review by people would only delay.
 */
export function fundPolicy(
  over: { region?: string; fundYuan?: string; noticeDays?: number; withoutPayoutRoute?: boolean } = {},
): Policy {
  const doc = structuredClone(demoFundDocument);
  return parsePolicy({
    ...doc,
    ...(over.region ? { region: over.region } : {}),
    ...(over.fundYuan ? { fund: { initialYuan: over.fundYuan } } : {}),
    ...(over.noticeDays !== undefined ? { noticeDays: over.noticeDays } : {}),
    ...(over.withoutPayoutRoute
      ? { review: { ...doc.review, routes: doc.review.routes.filter((r) => r.reason !== 'PAYOUT_ABOVE') } }
      : {}),
  });
}

/** A household of the fund's region, settled on the roster long ago (no recent status change). */
export function fundHousehold(
  householdId: string,
  region = FUND_REGION,
  bankAccount = '6230900000000000001',
): RosterPeriod {
  return {
    householdId,
    region,
    village: '红星村',
    headName: '测试',
    idNumber: '430381196007101077',
    members: 3,
    status: 'unstable',
    statusFrom: '2024-01-01',
    gridWorker: 'worker1',
    bankAccount,
    annualIncomeFen: 800_000,
  };
}

/** A clock that moves one millisecond each time it is read: every timestamp differs and orders. */
export function tickingClock(start: string): Clock & { readonly last: () => Date } {
  let t = Date.parse(start);
  let last = new Date(t);
  return {
    now: () => {
      t += 1;
      last = new Date(t);
      return new Date(t);
    },
    last: () => last,
  };
}

/**
 * The assess-claim ASL's policy for a Lambda step: TransientError retried 4 times with full
 * jitter (milliseconds here instead of seconds), any other error caught (-> MarkError, ERROR).
 */
export async function underAslRetry<T>(work: () => Promise<T>, random: Random): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'TransientError' || attempt >= 4) throw error;
      await new Promise((r) => setTimeout(r, random.int(0, 2 ** attempt)));
    }
  }
}

/** The name and code of a thrown error, for a failure line (never its message's data). */
export function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}`;
}

/** One round of a race: a fresh world in `store`, `width` claims, seeded scheduling. */
export type RaceRound<S> = (store: S, round: number, width: number, random: Random) => Promise<void>;

/**
 * The rounds of a money check: many in memory (fast, seeded jitter), then a few on DynamoDB Local
 * (the real transactions' conditions). Each side keeps its own tally.
 */
export async function memoryThenDynamo(
  options: { readonly seed: number; readonly log: (line: string) => void },
  plan: {
    readonly memoryRounds: number;
    readonly memoryWidth: number;
    readonly dynamoRounds: number;
    readonly dynamoWidth: number;
    /** The first round number on DynamoDB (its rows must not meet the memory rounds' ids). */
    readonly dynamoRoundBase?: number;
  },
  onMemory: RaceRound<MemoryStore>,
  onDynamo: RaceRound<LocalDynamo['store']>,
): Promise<void> {
  const random = seededRandom(options.seed);
  for (let round = 0; round < plan.memoryRounds; round++)
    await onMemory(new MemoryStore(), round, plan.memoryWidth, random.fork(`m${round}`));
  const dynamo = await startLocalDynamo();
  try {
    for (let round = 0; round < plan.dynamoRounds; round++) {
      await onDynamo(
        dynamo.store,
        (plan.dynamoRoundBase ?? 0) + round,
        plan.dynamoWidth,
        random.fork(`d${round}`),
      );
      if (plan.dynamoRounds <= 10 || (round + 1) % 10 === 0)
        options.log(`  dynamodb: ${round + 1}/${plan.dynamoRounds} rounds`);
    }
  } finally {
    await dynamo.close();
  }
}

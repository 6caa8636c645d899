// 4. Races on caps. 50 claims of one household, already approved, reach the payout step at once
// (some delivered twice), against a counter near its cap; 100 rounds in memory with seeded
// scheduling jitter, and rounds on DynamoDB Local where the transaction's condition is the real
// one. The workflow's retry policy is applied as the ASL states it (TransientError retried, any
// other error -> ERROR). Paid total never above the cap; every loser is re-priced to what was
// left or refused CAP_EXHAUSTED; nobody is refused while money is left.
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import type { ClaimStore, LedgerStore, RosterStore } from '#shared/ports.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { FakeClock, claimRecord } from '#cli/local/world.ts';
import { MemoryReceipts, MemoryStore, RecordingReviews } from '#functions/adapters/memory/memory-ports.ts';
import { startLocalDynamo } from '#verify/lib/dynamo.ts';
import { seededRandom, type Random } from '#verify/lib/random.ts';
import { worldUlid } from '#verify/lib/crash-world.ts';
import { secondsSince } from '#verify/lib/stack.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

export type Store = ClaimStore & LedgerStore & RosterStore;

const caps = { education: 2_000_000, medical: 5_000_000, disaster: 500_000 } as const;
type CapCategory = keyof typeof caps;

/** The store with a seeded number of event-loop turns before each call: interleavings vary by seed. */
export function jittery<T extends object>(inner: T, random: Random): T {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        for (let i = random.int(0, 3); i > 0; i--) await new Promise((r) => setImmediate(r));
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

/** The assess-claim ASL's policy for RecordPayout: TransientError retried 4 times, the rest caught. */
async function underAslRetry<T>(work: () => Promise<T>, random: Random): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'TransientError' || attempt >= 4) throw error;
      // IntervalSeconds 1, BackoffRate 2, FULL jitter, in milliseconds instead of seconds.
      await new Promise((r) => setTimeout(r, random.int(0, 2 ** attempt)));
    }
  }
}

export interface RaceTally {
  rounds: number;
  claims: number;
  payouts: number;
  rePriced: number;
  capExhausted: number;
  overCap: number;
  errors: number;
  leftOnTable: number;
  counterMismatch: number;
  paidTwice: number;
  failures: string[];
}

export function emptyTally(): RaceTally {
  return {
    rounds: 0,
    claims: 0,
    payouts: 0,
    rePriced: 0,
    capExhausted: 0,
    overCap: 0,
    errors: 0,
    leftOnTable: 0,
    counterMismatch: 0,
    paidTwice: 0,
    failures: [],
  };
}

/** One round: a fresh household near its cap, `width` approved claims paid at once. */
export async function raceRound(
  store: Store,
  seedCap: (hh: string, year: number, category: string, fen: number) => Promise<void>,
  round: number,
  width: number,
  random: Random,
  tally: RaceTally,
): Promise<void> {
  const category = random.pick(['education', 'medical', 'disaster'] as const) as CapCategory;
  const capFen = caps[category];
  const householdId = `RACE-${round}`;
  const at = '2026-09-05T02:00:00.000Z';
  await store.put([
    {
      householdId,
      region: 'demo',
      village: '红星村',
      headName: '测试',
      idNumber: '430381196007101077',
      members: 3,
      status: 'unstable',
      statusFrom: '2024-01-01',
      gridWorker: 'worker1',
      bankAccount: '6230900000000000001',
      annualIncome: 800_000,
    } as never,
  ]);
  const gross = () => (category === 'disaster' ? 300_000 : random.int(1, 5000) * 100 + random.int(0, 99));
  // Room for a few payouts at most: the race is for the last of the cap.
  const preUsed = Math.max(0, capFen - random.int(0, 4) * 350_000 - random.int(0, 300_000));
  await seedCap(householdId, 2026, category, preUsed);
  const claims: ClaimRecord[] = [];
  for (let i = 0; i < width; i++) {
    const claimId = worldUlid(round, i);
    const g = gross();
    const claim: ClaimRecord = claimRecord({
      claimId,
      householdId,
      category,
      totalCostFen: 2_000_000,
      state: 'APPROVED',
      assessment: {
        policyId: 'demo-fangpin',
        policyVersion: 1,
        region: 'demo',
        capYear: 2026,
        selfPaidFen: 2_000_000,
        grossFen: g,
        capFen,
        capRemainingFen: capFen - preUsed,
        payoutFen: Math.min(g, capFen - preUsed),
        bands: [],
        rosterStatus: 'unstable',
      },
      payoutFen: Math.min(g, capFen - preUsed),
      createdAt: at,
      version: 2,
    });
    await store.create(claim, [{ at, from: 'RECEIVED', to: 'APPROVED', actor: 'system' }]);
    claims.push(claim);
  }
  const clock = new FakeClock();
  const deps: StepDeps = {
    claims: jittery(store, random.fork(`jitter${round}`)),
    roster: store,
    receipts: new MemoryReceipts(),
    reviews: new RecordingReviews(),
    clock: { now: clock.now },
    fingerprints: sharpFingerprinter(),
  };
  // Every claim at once, a fifth of them delivered twice (at-least-once on top of the race).
  const runs = claims.flatMap((c) => (random.chance(0.2) ? [c, c] : [c]));
  random.shuffle(runs);
  const results = await Promise.allSettled(
    runs.map((c) => underAslRetry(() => recordPayout(deps, { claimId: c.claimId }), random)),
  );
  const erroredIds = new Set<string>();
  results.forEach((r, i) => {
    if (r.status === 'rejected') erroredIds.add(runs[i]?.claimId ?? '?');
  });
  tally.rounds += 1;
  tally.claims += claims.length;
  let ledgerSum = 0;
  let partials = 0;
  let refused = 0;
  for (const c of claims) {
    const now = await store.get(c.claimId);
    const entry = await store.ledgerEntry(c.claimId);
    const paidEvents = (await store.history(c.claimId)).filter((h) => h.to === 'PAID').length;
    if (paidEvents > 1 || (entry && now?.state !== 'PAID')) tally.paidTwice += 1;
    if (now?.state === 'PAID' && entry && entry.payoutFen === now.payoutFen) {
      tally.payouts += 1;
      ledgerSum += entry.payoutFen;
      if (entry.payoutFen < (c.assessment?.grossFen ?? 0)) partials += 1;
    } else if (now?.state === 'REJECTED' && now.reason === 'CAP_EXHAUSTED') refused += 1;
    else {
      // An exhausted retry budget leaves the claim for an operator: not lost, but not right either.
      tally.errors += 1;
      tally.failures.push(
        `round ${round}: ${c.claimId} ended ${now?.state}${erroredIds.has(c.claimId) ? ' (step failed past its retries)' : ''}`,
      );
    }
  }
  const used = await store.capUsed(householdId, 2026, category);
  tally.rePriced += partials;
  tally.capExhausted += refused;
  if (used > capFen) {
    tally.overCap += 1;
    tally.failures.push(`round ${round}: ${category} counter ${used} above cap ${capFen}`);
  }
  if (used !== preUsed + ledgerSum) {
    tally.counterMismatch += 1;
    tally.failures.push(`round ${round}: counter ${used} != ${preUsed} + ledger ${ledgerSum}`);
  }
  if ((refused > 0 || partials > 0) && used !== capFen) {
    tally.leftOnTable += 1;
    tally.failures.push(
      `round ${round}: ${refused} refused / ${partials} cut with ${capFen - used} fen of cap left`,
    );
  }
  if (partials > 1) {
    tally.overCap += 1;
    tally.failures.push(`round ${round}: ${partials} claims cut to the remainder (at most one can be)`);
  }
}

export async function run({
  scale,
  seed = DEFAULT_SEED,
  log = () => undefined,
}: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const random = seededRandom(seed);
  const memory = emptyTally();
  const memoryRounds = full ? 100 : 10;
  for (let round = 0; round < memoryRounds; round++) {
    const store = new MemoryStore();
    await raceRound(
      store,
      async (hh, year, category, fen) => void store.caps.set(`${hh}#${year}#${category}`, fen),
      round,
      50,
      random.fork(`m${round}`),
      memory,
    );
  }
  const dynamo = await startLocalDynamo();
  const dyn = emptyTally();
  try {
    const rounds = full ? 20 : 2;
    for (let round = 0; round < rounds; round++) {
      await raceRound(
        dynamo.store,
        dynamo.seedCap,
        1000 + (seed % 1000) * 100 + round,
        50,
        random.fork(`d${round}`),
        dyn,
      );
      if ((round + 1) % 5 === 0) log(`  dynamodb: ${round + 1}/${rounds} rounds`);
    }
  } finally {
    await dynamo.close();
  }
  const bad = (t: RaceTally) => t.overCap + t.errors + t.leftOnTable + t.counterMismatch + t.paidTwice;
  return {
    label: 'races on caps',
    figures: {
      rounds: memory.rounds,
      claims: memory.claims,
      paid: memory.payouts,
      rePriced: memory.rePriced,
      capExhausted: memory.capExhausted,
      overCap: memory.overCap,
      paidTwice: memory.paidTwice,
      errors: memory.errors,
      leftOnTable: memory.leftOnTable,
      dynamoRounds: dyn.rounds,
      dynamoPaid: dyn.payouts,
      dynamoRePriced: dyn.rePriced,
      dynamoCapExhausted: dyn.capExhausted,
      dynamoOverCap: dyn.overCap,
      dynamoErrors: dyn.errors,
      dynamoLeftOnTable: dyn.leftOnTable,
      seconds: secondsSince(started),
    },
    ok: bad(memory) + bad(dyn) === 0,
    failures: [...memory.failures, ...dyn.failures].slice(0, 10),
  };
}

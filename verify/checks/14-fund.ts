// 14. The relief fund under races. 50 claims (each its own household, a 3,000-yuan grant, notice
// over) reach the payout step at once (a fifth delivered twice, seeded jitter before every store
// call) against a fund that covers exactly 10 of them: the balance is watched after every payout
// write and never goes below 0; exactly 10 are paid and 40 wait in AWAITING_FUNDS. Then finance
// tops the fund up by enough for all (the same reference sent again adds nothing): every waiting
// claim is paid exactly once, in the order it started waiting, and the balance is initial +
// top-up - paid to the fen. Memory rounds, then rounds on DynamoDB Local (the real transaction).
import { recordPayout } from '#shared/workflow/record-payout.ts';
import { topUpFund } from '#shared/api/fund-api.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import { fenToYuan } from '#shared/money.ts';
import type { Policy } from '#shared/policy.ts';
import type { ClaimStore, FundStore, LedgerStore, RosterStore } from '#shared/ports.ts';
import { claimRecord } from '#cli/local/world.ts';
import { jittery } from '#verify/checks/04-cap-races.ts';
import type { Random } from '#verify/lib/random.ts';
import { worldUlid } from '#verify/lib/crash-world.ts';
import { secondsSince } from '#verify/lib/stack.ts';
import {
  errorCode,
  fundPolicy,
  tickingClock,
  underAslRetry,
  memoryThenDynamo,
} from '#verify/lib/relief-world.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

export type Store = ClaimStore & LedgerStore & RosterStore & FundStore;

const GRANT_FEN = 300_000;
/** The fund covers this many of the round's claims. */
const COVERED = 10;

export interface FundTally {
  rounds: number;
  claims: number;
  paidInRace: number;
  waited: number;
  paidByTopUp: number;
  /** The lowest balance seen after any payout write (fen). */
  lowestBalance: number;
  belowZero: number;
  /** Rounds where the race did not end with exactly COVERED paid and the rest waiting. */
  wrongSplit: number;
  paidTwice: number;
  /** Waiting claims paid out of the order they started waiting in. */
  outOfOrder: number;
  /** balance != initial + top-ups - paid, or the fund's paid total != the ledger. */
  balanceMismatch: number;
  /** A repeated top-up reference that added money or changed a claim. */
  repeatApplied: number;
  errors: number;
  failures: string[];
}

export function emptyFundTally(): FundTally {
  return {
    rounds: 0,
    claims: 0,
    paidInRace: 0,
    waited: 0,
    paidByTopUp: 0,
    lowestBalance: Number.MAX_SAFE_INTEGER,
    belowZero: 0,
    wrongSplit: 0,
    paidTwice: 0,
    outOfOrder: 0,
    balanceMismatch: 0,
    repeatApplied: 0,
    errors: 0,
    failures: [],
  };
}

export function fundBad(t: FundTally): number {
  return (
    t.belowZero + t.wrongSplit + t.paidTwice + t.outOfOrder + t.balanceMismatch + t.repeatApplied + t.errors
  );
}

/** The store, with the fund read after every payout write (the balance as anyone could see it). */
function watched<T extends Store>(inner: T, afterPayout: () => Promise<void>): T {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'recordPayout' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          await afterPayout();
        }
      };
    },
  });
}

/** One round: its own region and fund (covering COVERED grants), `width` claims paid at once. */
export async function fundRound(
  store: Store,
  round: number,
  width: number,
  random: Random,
  tally: FundTally,
  regionPrefix = 'vf',
): Promise<void> {
  const region = `${regionPrefix}-${round}`;
  const initialFen = COVERED * GRANT_FEN;
  const policy: Policy = fundPolicy({ region, fundYuan: fenToYuan(initialFen) });
  const policies = [policy];
  const at = '2026-09-05T02:00:00.000Z';
  const noticeEndsAt = '2026-09-10T02:00:00.000Z';
  const claims: ClaimRecord[] = [];
  for (let i = 0; i < width; i++) {
    const claim = claimRecord({
      claimId: worldUlid(round, i),
      householdId: `FUND-${round}-${i}`,
      category: 'disaster',
      totalCostFen: 2_000_000,
      state: 'NOTICE',
      noticeEndsAt,
      region,
      assessment: {
        policyId: policy.policyId,
        policyVersion: policy.version,
        region,
        capYear: 2026,
        selfPaidFen: 2_000_000,
        grossFen: GRANT_FEN,
        capFen: 500_000,
        capRemainingFen: 500_000,
        payoutFen: GRANT_FEN,
        bands: [],
        rosterStatus: 'unstable',
      },
      payoutFen: GRANT_FEN,
      createdAt: at,
      version: 3,
    });
    await store.create(claim, [
      { at, from: null, to: 'RECEIVED', actor: 'system' },
      { at, from: 'RECEIVED', to: 'APPROVED', actor: 'system' },
      { at, from: 'APPROVED', to: 'NOTICE', actor: 'system' },
    ]);
    claims.push(claim);
  }
  const clock = tickingClock('2026-09-11T02:00:00.000Z');
  const readFund = () => store.fund(region, initialFen);
  const watch = async () => {
    const { balanceFen } = await readFund();
    tally.lowestBalance = Math.min(tally.lowestBalance, balanceFen);
    if (balanceFen < 0) {
      tally.belowZero += 1;
      tally.failures.push(`round ${round}: fund balance ${balanceFen} fen after a payout write`);
    }
  };
  const deps = { claims: watched(jittery(store, random.fork(`jitter${round}`)), watch), clock, policies };
  const runs = claims.flatMap((c) => (random.chance(0.2) ? [c, c] : [c]));
  random.shuffle(runs);
  const stepRandom = random.fork(`retry${round}`);
  const raced = await Promise.allSettled(
    runs.map((c) => underAslRetry(() => recordPayout(deps, { claimId: c.claimId }), stepRandom)),
  );
  raced.forEach((r, i) => {
    if (r.status === 'rejected') {
      tally.errors += 1;
      tally.failures.push(`round ${round}: payout of ${runs[i]?.claimId} threw ${errorCode(r.reason)}`);
    }
  });
  tally.rounds += 1;
  tally.claims += claims.length;
  const afterRace = await Promise.all(claims.map((c) => store.get(c.claimId)));
  const paidNow = afterRace.filter((c) => c?.state === 'PAID').length;
  const waiting = afterRace.filter((c) => c?.state === 'AWAITING_FUNDS') as ClaimRecord[];
  tally.paidInRace += paidNow;
  tally.waited += waiting.length;
  const fundAfterRace = await readFund();
  if (
    paidNow !== COVERED ||
    waiting.length !== width - COVERED ||
    fundAfterRace.waiting !== waiting.length ||
    fundAfterRace.balanceFen !== 0
  ) {
    tally.wrongSplit += 1;
    tally.failures.push(
      `round ${round}: ${paidNow} paid, ${waiting.length} waiting (fund says ${fundAfterRace.waiting}), balance ${fundAfterRace.balanceFen}`,
    );
  }

  // A top-up covering every waiting claim and a little more; the same reference sent again.
  const spareFen = random.int(0, 99_999);
  const topUpFen = waiting.length * GRANT_FEN + spareFen;
  const finance = { username: 'finance1', roles: ['finance'] as const };
  const body = { amount: fenToYuan(topUpFen), ref: `TOPUP-${round}` };
  const topUpDeps = { funds: store, claims: store, clock, policies };
  const first = await topUpFund(topUpDeps, finance, region, body);
  tally.paidByTopUp += first.paidNow.count;
  const settledFund = await readFund();
  const states = await Promise.all(claims.map((c) => store.get(c.claimId)));
  const again = await topUpFund(topUpDeps, finance, region, body);
  const repeatedFund = await readFund();
  const statesAgain = await Promise.all(claims.map((c) => store.get(c.claimId)));
  if (
    again.applied ||
    again.paidNow.count !== 0 ||
    repeatedFund.balanceFen !== settledFund.balanceFen ||
    repeatedFund.toppedUpFen !== settledFund.toppedUpFen ||
    JSON.stringify(statesAgain) !== JSON.stringify(states)
  ) {
    tally.repeatApplied += 1;
    tally.failures.push(`round ${round}: the repeated top-up ${body.ref} changed the fund or a claim`);
  }

  // Every claim paid exactly once; the ledger and the fund agree to the fen.
  let ledgerFen = 0;
  const paidAtOf = new Map<string, string>();
  for (const c of claims) {
    const now = states.find((s) => s?.claimId === c.claimId);
    const entry = await store.ledgerEntry(c.claimId);
    const paidEvents = (await store.history(c.claimId)).filter((h) => h.to === 'PAID').length;
    if (now?.state !== 'PAID' || !entry || paidEvents !== 1) {
      if (paidEvents > 1) tally.paidTwice += 1;
      else tally.errors += 1;
      tally.failures.push(
        `round ${round}: ${c.claimId} ended ${now?.state} with ${paidEvents} PAID events${entry ? '' : ', no ledger entry'}`,
      );
      continue;
    }
    ledgerFen += entry.payoutFen;
    paidAtOf.set(c.claimId, entry.paidAt);
  }
  const expectBalance = initialFen + topUpFen - ledgerFen;
  if (
    settledFund.balanceFen !== expectBalance ||
    settledFund.paidFen !== ledgerFen ||
    settledFund.toppedUpFen !== topUpFen ||
    settledFund.balanceFen !== spareFen ||
    settledFund.waiting !== 0 ||
    (await store.queue(region, 10)).length !== 0
  ) {
    tally.balanceMismatch += 1;
    tally.failures.push(
      `round ${round}: balance ${settledFund.balanceFen} (want ${initialFen} + ${topUpFen} - ${ledgerFen}), fund paid ${settledFund.paidFen}, waiting ${settledFund.waiting}`,
    );
  }
  // Oldest first: the waiting claims' payouts come in the order they started waiting.
  const bySince = [...waiting].sort((a, b) =>
    `${a.awaitingFundsSince}#${a.claimId}` < `${b.awaitingFundsSince}#${b.claimId}` ? -1 : 1,
  );
  const byPaidAt = [...waiting].sort((a, b) =>
    (paidAtOf.get(a.claimId) ?? '') < (paidAtOf.get(b.claimId) ?? '') ? -1 : 1,
  );
  const slip = bySince.findIndex((c, i) => byPaidAt[i]?.claimId !== c.claimId);
  if (slip >= 0) {
    tally.outOfOrder += 1;
    tally.failures.push(
      `round ${round}: waiting claim #${slip + 1} (${bySince[slip]?.claimId}) was not paid ${slip + 1}th`,
    );
  }
}

export async function run({
  scale,
  seed = DEFAULT_SEED,
  log = () => undefined,
}: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const memory = emptyFundTally();
  const dyn = emptyFundTally();
  await memoryThenDynamo(
    { seed, log },
    {
      memoryRounds: full ? 100 : 12,
      memoryWidth: 50,
      dynamoRounds: full ? 6 : 1,
      dynamoWidth: full ? 50 : 25,
    },
    (store, round, width, random) => fundRound(store, round, width, random, memory),
    (store, round, width, random) => fundRound(store, round, width, random, dyn),
  );
  const lowest = (t: FundTally) => (t.rounds === 0 ? 0 : t.lowestBalance);
  return {
    label: 'relief fund',
    figures: {
      rounds: memory.rounds,
      claims: memory.claims,
      paidInRace: memory.paidInRace,
      waited: memory.waited,
      paidByTopUp: memory.paidByTopUp,
      lowestBalanceFen: lowest(memory),
      belowZero: memory.belowZero,
      wrongSplit: memory.wrongSplit,
      paidTwice: memory.paidTwice,
      outOfOrder: memory.outOfOrder,
      balanceMismatch: memory.balanceMismatch + memory.repeatApplied,
      errors: memory.errors,
      dynamoRounds: dyn.rounds,
      dynamoPaidInRace: dyn.paidInRace,
      dynamoWaited: dyn.waited,
      dynamoPaidByTopUp: dyn.paidByTopUp,
      dynamoLowestBalanceFen: lowest(dyn),
      dynamoBad: fundBad(dyn),
      seconds: secondsSince(started),
    },
    ok: fundBad(memory) + fundBad(dyn) === 0,
    failures: [...memory.failures, ...dyn.failures].slice(0, 10),
  };
}

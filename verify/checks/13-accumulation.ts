// 13. Annual accumulation under races. 50 education claims of one household (policy demo-fund:
// the household's year is one counted self-paid total) go through the assess step, the notice and
// the payout step all at once in a seeded random order, with seeded jitter before every store call;
// 100 rounds in memory and rounds on DynamoDB Local, where the counter's condition is the real
// transaction's. The ASL's retry policy is applied to each step (TransientError retried, any other
// error -> ERROR). Once all are settled: the payouts add up to min(cap, price(counted total)) as an
// independent pricer computes it, the counter holds exactly the self-paid costs of the claims that
// were counted (paid or below the threshold), and those claims' counted ranges tile the total.
import { assessClaimStep } from '#shared/workflow/assess-claim.ts';
import { startNotice } from '#shared/workflow/start-notice.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import type { Policy } from '#shared/policy.ts';
import type { ClaimStore, FundStore, LedgerStore, RosterStore } from '#shared/ports.ts';
import { FakeClock, claimRecord } from '#cli/local/world.ts';
import { jittery } from '#verify/checks/04-cap-races.ts';
import type { Random } from '#verify/lib/random.ts';
import { worldUlid } from '#verify/lib/crash-world.ts';
import { secondsSince } from '#verify/lib/stack.ts';
import { referenceYearPayoutFen } from '#verify/lib/reference-pricing.ts';
import {
  errorCode,
  fundHousehold,
  fundPolicy,
  underAslRetry,
  memoryThenDynamo,
} from '#verify/lib/relief-world.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

export type Store = ClaimStore & LedgerStore & RosterStore & FundStore;

const CATEGORY = 'education';
const YEAR = 2026;
const DAY_MS = 86_400_000;

export interface AccumulationTally {
  rounds: number;
  claims: number;
  paid: number;
  belowThreshold: number;
  capExhausted: number;
  /** Rounds whose household reached its annual cap. */
  capReached: number;
  /** Payouts != min(cap, price(counted total)). */
  priceMismatch: number;
  /** The counter's counted total != the self-paid costs of the counted claims. */
  countMismatch: number;
  /** The counter's paid total != the ledger. */
  usedMismatch: number;
  /** The counted claims' ranges leave a gap or overlap. */
  chainBroken: number;
  paidTwice: number;
  /** Refused for the cap while some of it was left. */
  leftOnTable: number;
  errors: number;
  failures: string[];
}

export function emptyAccumulationTally(): AccumulationTally {
  return {
    rounds: 0,
    claims: 0,
    paid: 0,
    belowThreshold: 0,
    capExhausted: 0,
    capReached: 0,
    priceMismatch: 0,
    countMismatch: 0,
    usedMismatch: 0,
    chainBroken: 0,
    paidTwice: 0,
    leftOnTable: 0,
    errors: 0,
    failures: [],
  };
}

export function accumulationBad(t: AccumulationTally): number {
  return (
    t.priceMismatch +
    t.countMismatch +
    t.usedMismatch +
    t.chainBroken +
    t.paidTwice +
    t.leftOnTable +
    t.errors
  );
}

/** Self-paid amounts for a round: mostly small bills, some above the threshold alone. */
function roundAmounts(random: Random, width: number): { totalCostFen: number; reimbursedFen: number }[] {
  const bigShare = random.pick([0, 0, 0.04, 0.1, 0.25]);
  const smallMaxYuan = random.int(150, 2_500);
  return Array.from({ length: width }, () => {
    const selfPaid = random.chance(bigShare)
      ? random.int(8_000, 12_000) * 100 + random.int(0, 99)
      : random.int(1, smallMaxYuan) * 100 + random.int(0, 99);
    const reimbursedFen = random.chance(0.3) ? random.int(1, 2_000) * 100 + random.int(0, 99) : 0;
    return { totalCostFen: selfPaid + reimbursedFen, reimbursedFen };
  });
}

/** One round: a fresh household, `width` education claims settled at once. */
export async function accumulationRound(
  store: Store,
  round: number,
  width: number,
  random: Random,
  tally: AccumulationTally,
  policy: Policy = fundPolicy({ withoutPayoutRoute: true }),
): Promise<void> {
  const householdId = `ACC-${round}`;
  await store.put([fundHousehold(householdId, policy.region)]);
  const at = '2026-09-05T02:00:00.000Z';
  const amounts = roundAmounts(random, width);
  const claims: ClaimRecord[] = [];
  for (const [i, amount] of amounts.entries()) {
    const claim = claimRecord({
      claimId: worldUlid(round, i),
      householdId,
      category: CATEGORY,
      expenseDate: '2026-09-01',
      ...amount,
      region: policy.region,
      createdAt: at,
    });
    await store.create(claim, [{ at, from: null, to: 'RECEIVED', actor: 'system' }]);
    claims.push(claim);
  }
  const fundBefore = policy.fund ? await store.fund(policy.region, policy.fund.initialFen) : undefined;
  const jitter = random.fork(`jitter${round}`);
  const claimsPort = jittery(store, jitter);
  const assessClock = new FakeClock(new Date(at));
  // The notice's end has come by the time the payout step runs (the workflow waited for it).
  const payClock = new FakeClock(new Date(Date.parse(at) + (policy.noticeDays + 1) * DAY_MS));
  const early = { claims: claimsPort, roster: store, clock: { now: assessClock.now }, policies: [policy] };
  const late = { claims: claimsPort, clock: { now: payClock.now }, policies: [policy] };
  const order = random.shuffle([...claims]);
  const stepRandom = random.fork(`retry${round}`);
  const results = await Promise.allSettled(
    order.map(async (c) => {
      const assessed = await underAslRetry(() => assessClaimStep(early, { claimId: c.claimId }), stepRandom);
      if (assessed.outcome !== 'approved') return;
      await underAslRetry(() => startNotice(early, { claimId: c.claimId }), stepRandom);
      await underAslRetry(() => recordPayout(late, { claimId: c.claimId }), stepRandom);
    }),
  );
  const thrown = new Map<string, string>();
  results.forEach((r, i) => {
    if (r.status === 'rejected') thrown.set(order[i]?.claimId ?? '?', errorCode(r.reason));
  });

  tally.rounds += 1;
  tally.claims += claims.length;
  let paidSum = 0;
  let countedSum = 0;
  let capRefused = 0;
  const ranges: { claimId: string; beforeFen: number; afterFen: number; selfPaid: number }[] = [];
  for (const c of claims) {
    const now = await store.get(c.claimId);
    const entry = await store.ledgerEntry(c.claimId);
    const history = await store.history(c.claimId);
    const selfPaid = (c.totalCostFen ?? 0) - (c.reimbursedFen ?? 0);
    if (history.filter((h) => h.to === 'PAID').length > 1 || (entry && now?.state !== 'PAID')) {
      tally.paidTwice += 1;
      tally.failures.push(`round ${round}: ${c.claimId} paid twice or ledger without PAID`);
    }
    if (now?.state === 'PAID' && entry && entry.payoutFen === now.payoutFen) {
      tally.paid += 1;
      paidSum += entry.payoutFen;
    } else if (now?.state === 'REJECTED' && now.reason === 'BELOW_THRESHOLD') {
      tally.belowThreshold += 1;
    } else if (now?.state === 'REJECTED' && now.reason === 'CAP_EXHAUSTED') {
      capRefused += 1;
      continue;
    } else {
      tally.errors += 1;
      tally.failures.push(
        `round ${round}: ${c.claimId} ended ${now?.state}${now?.reason ? `/${now.reason}` : ''}${thrown.has(c.claimId) ? ` (step threw ${thrown.get(c.claimId)})` : ''}`,
      );
      continue;
    }
    countedSum += selfPaid;
    if (now.accumulated) ranges.push({ claimId: c.claimId, ...now.accumulated, selfPaid });
    else {
      tally.chainBroken += 1;
      tally.failures.push(`round ${round}: counted claim ${c.claimId} says nothing of the year's total`);
    }
  }
  tally.capExhausted += capRefused;
  const counter = await store.capCounter(householdId, YEAR, CATEGORY);
  const capFen = Number(referenceYearPayoutFen(CATEGORY, 10n ** 12n));
  if (paidSum === capFen) tally.capReached += 1;
  const expected = referenceYearPayoutFen(CATEGORY, BigInt(countedSum));
  if (BigInt(paidSum) !== expected) {
    tally.priceMismatch += 1;
    tally.failures.push(
      `round ${round}: paid ${paidSum} fen for a counted ${countedSum}; min(cap, price) is ${expected}`,
    );
  }
  if (counter.countedFen !== countedSum) {
    tally.countMismatch += 1;
    tally.failures.push(
      `round ${round}: counter counts ${counter.countedFen}, the counted claims ${countedSum}`,
    );
  }
  if (counter.usedFen !== paidSum) {
    tally.usedMismatch += 1;
    tally.failures.push(`round ${round}: counter paid ${counter.usedFen}, ledger ${paidSum}`);
  }
  if (capRefused > 0 && paidSum !== capFen) {
    tally.leftOnTable += 1;
    tally.failures.push(
      `round ${round}: ${capRefused} refused for the cap with ${capFen - paidSum} fen left`,
    );
  }
  // The counted claims, ordered by where each started, cover [0, total] end to end.
  ranges.sort((a, b) => a.beforeFen - b.beforeFen);
  let reach = 0;
  for (const r of ranges) {
    if (r.beforeFen !== reach || r.afterFen - r.beforeFen !== r.selfPaid) {
      tally.chainBroken += 1;
      tally.failures.push(
        `round ${round}: ${r.claimId} counted ${r.beforeFen}..${r.afterFen} (${r.selfPaid}) after ${reach}`,
      );
      break;
    }
    reach = r.afterFen;
  }
  if (policy.fund && fundBefore) {
    const fundAfter = await store.fund(policy.region, policy.fund.initialFen);
    if (fundAfter.paidFen - fundBefore.paidFen !== paidSum) {
      tally.usedMismatch += 1;
      tally.failures.push(
        `round ${round}: fund drew ${fundAfter.paidFen - fundBefore.paidFen}, ledger ${paidSum}`,
      );
    }
  }
}

export async function run({
  scale,
  seed = DEFAULT_SEED,
  log = () => undefined,
}: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const memory = emptyAccumulationTally();
  const dyn = emptyAccumulationTally();
  await memoryThenDynamo(
    { seed, log },
    // Quick: one smaller round on DynamoDB; DynamoDB Local's start is most of the time.
    {
      memoryRounds: full ? 100 : 12,
      memoryWidth: 50,
      dynamoRounds: full ? 6 : 1,
      dynamoWidth: full ? 50 : 20,
      dynamoRoundBase: 1000,
    },
    (store, round, width, random) => accumulationRound(store, round, width, random, memory),
    (store, round, width, random) => accumulationRound(store, round, width, random, dyn),
  );
  return {
    label: 'accumulation',
    figures: {
      rounds: memory.rounds,
      claims: memory.claims,
      paid: memory.paid,
      belowThreshold: memory.belowThreshold,
      capExhausted: memory.capExhausted,
      capReachedRounds: memory.capReached,
      priceMismatch: memory.priceMismatch,
      countMismatch: memory.countMismatch + memory.usedMismatch + memory.chainBroken,
      paidTwice: memory.paidTwice,
      leftOnTable: memory.leftOnTable,
      errors: memory.errors,
      dynamoRounds: dyn.rounds,
      dynamoPaid: dyn.paid,
      dynamoBelowThreshold: dyn.belowThreshold,
      dynamoCapExhausted: dyn.capExhausted,
      dynamoPriceMismatch: dyn.priceMismatch,
      dynamoCountMismatch: dyn.countMismatch + dyn.usedMismatch + dyn.chainBroken,
      dynamoErrors: dyn.errors + dyn.paidTwice + dyn.leftOnTable,
      seconds: secondsSince(started),
    },
    ok: accumulationBad(memory) + accumulationBad(dyn) === 0,
    failures: [...memory.failures, ...dyn.failures].slice(0, 10),
  };
}

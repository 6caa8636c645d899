// 15. An objection racing the end of the notice. A claim of the relief fund's policy is on notice
// and its notice is due; the payout step (sometimes delivered twice) and a village verifier's
// objection run at once, with seeded jitter before every store call. Exactly one wins: either
// the objection (PENDING_REVIEW, no ledger entry, the fund and the household's counter untouched,
// the payout step answering `skip`) or the payout (PAID at the reference price, the objection
// refused NOT_ON_NOTICE). Never both, never neither. Memory rounds, then DynamoDB Local rounds.
import { objectToClaim } from '#shared/api/appeals-api.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import type { Policy } from '#shared/policy.ts';
import type { ClaimStore, FundStore, LedgerStore, RosterStore } from '#shared/ports.ts';
import { claimRecord } from '#cli/local/world.ts';
import { RecordingReviews } from '#functions/adapters/memory/memory-ports.ts';
import { jittery } from '#verify/checks/04-cap-races.ts';
import type { Random } from '#verify/lib/random.ts';
import { worldUlid } from '#verify/lib/crash-world.ts';
import { secondsSince } from '#verify/lib/stack.ts';
import { referenceYearPayoutFen } from '#verify/lib/reference-pricing.ts';
import {
  errorCode,
  fundHousehold,
  fundPolicy,
  tickingClock,
  underAslRetry,
  memoryThenDynamo,
} from '#verify/lib/relief-world.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

export type Store = ClaimStore & LedgerStore & RosterStore & FundStore;

export interface ObjectionTally {
  rounds: number;
  objectionWon: number;
  payoutWon: number;
  /** Paid and sent back to review, or a ledger entry with the fund or counter not drawn to match. */
  both: number;
  /** Neither won, or a step failed. */
  errors: number;
  failures: string[];
}

export function emptyObjectionTally(): ObjectionTally {
  return { rounds: 0, objectionWon: 0, payoutWon: 0, both: 0, errors: 0, failures: [] };
}

export async function objectionRound(
  store: Store,
  round: number,
  random: Random,
  tally: ObjectionTally,
  regionPrefix = 'vo',
  /** The objection starts up to this many ms late: on DynamoDB the payout's extra reads lose otherwise. */
  objectionLagMs = 0,
): Promise<void> {
  const policy: Policy = fundPolicy({ region: `${regionPrefix}-${round}` });
  const region = policy.region;
  const initialFen = policy.fund?.initialFen ?? 0;
  const householdId = `OBJ-${round}`;
  await store.put([fundHousehold(householdId, region)]);
  const selfPaidFen = random.int(9_000, 30_000) * 100 + random.int(0, 99);
  const payoutFen = Number(referenceYearPayoutFen('education', BigInt(selfPaidFen)));
  const at = '2026-09-05T02:00:00.000Z';
  const claim: ClaimRecord = claimRecord({
    claimId: worldUlid(round, 0),
    householdId,
    category: 'education',
    totalCostFen: selfPaidFen,
    reimbursedFen: 0,
    state: 'NOTICE',
    noticeEndsAt: '2026-09-10T02:00:00.000Z',
    region,
    assessment: {
      policyId: policy.policyId,
      policyVersion: policy.version,
      region,
      capYear: 2026,
      selfPaidFen,
      grossFen: payoutFen,
      capFen: 2_000_000,
      capRemainingFen: 2_000_000,
      payoutFen,
      bands: [],
      rosterStatus: 'unstable',
    },
    accumulated: { beforeFen: 0, afterFen: selfPaidFen },
    payoutFen,
    createdAt: at,
    version: 3,
  });
  await store.create(claim, [
    { at, from: null, to: 'RECEIVED', actor: 'system' },
    { at, from: 'RECEIVED', to: 'APPROVED', actor: 'system' },
    { at, from: 'APPROVED', to: 'NOTICE', actor: 'system' },
  ]);
  // The notice ended a moment ago: the workflow's Wait is over and the verifier has not seen it.
  const clock = tickingClock('2026-09-10T02:00:00.000Z');
  const claims = jittery(store, random.fork(`jitter${round}`));
  const policies = [policy];
  const stepRandom = random.fork(`retry${round}`);
  const payouts = random.chance(0.2) ? 2 : 1;
  const lag = random.int(0, objectionLagMs);
  const tasks: { kind: 'payout' | 'objection'; run: () => Promise<unknown> }[] = [
    ...Array.from({ length: payouts }, () => ({
      kind: 'payout' as const,
      run: () =>
        underAslRetry(
          () => recordPayout({ claims, clock, policies }, { claimId: claim.claimId }),
          stepRandom,
        ),
    })),
    {
      kind: 'objection' as const,
      run: async () => {
        if (lag > 0) await new Promise((r) => setTimeout(r, lag));
        return objectToClaim(
          { claims, roster: store, reviews: new RecordingReviews(), clock, policies },
          { username: 'village1', roles: ['villageVerifier'] },
          claim.claimId,
          { text: '群众反映该户情况有出入' },
        );
      },
    },
  ];
  random.shuffle(tasks);
  const settled = await Promise.allSettled(tasks.map((t) => t.run()));
  tally.rounds += 1;
  const objection = settled[tasks.findIndex((t) => t.kind === 'objection')];
  const payoutResults = settled.filter((_, i) => tasks[i]?.kind === 'payout');
  const now = await store.get(claim.claimId);
  const entry = await store.ledgerEntry(claim.claimId);
  const history = await store.history(claim.claimId);
  const fund = await store.fund(region, initialFen);
  const counter = await store.capCounter(householdId, 2026, 'education');
  const paidEvents = history.filter((h) => h.to === 'PAID').length;
  const reviewEvents = history.filter((h) => h.to === 'PENDING_REVIEW').length;
  const failedPayout = payoutResults.find((r) => r.status === 'rejected');
  const fail = (line: string) => tally.failures.push(`round ${round}: ${line}`);

  if (failedPayout?.status === 'rejected') {
    tally.errors += 1;
    fail(`the payout step threw ${errorCode(failedPayout.reason)}`);
    return;
  }
  const outcomes = payoutResults.map((r) =>
    r.status === 'fulfilled' ? (r.value as { outcome: string }).outcome : '',
  );
  if (objection?.status === 'fulfilled') {
    const clean =
      now?.state === 'PENDING_REVIEW' &&
      !entry &&
      paidEvents === 0 &&
      reviewEvents === 1 &&
      fund.paidFen === 0 &&
      fund.balanceFen === initialFen &&
      counter.usedFen === 0 &&
      counter.countedFen === 0 &&
      outcomes.every((o) => o === 'skip');
    if (clean) tally.objectionWon += 1;
    else {
      tally.both += 1;
      fail(
        `the objection was taken, yet the claim is ${now?.state}, ledger ${entry ? entry.payoutFen : 'none'}, fund paid ${fund.paidFen}, payout said ${outcomes.join('/')}`,
      );
    }
    return;
  }
  const code = (objection?.reason as { code?: unknown } | undefined)?.code;
  if (code !== 'NOT_ON_NOTICE') {
    tally.errors += 1;
    fail(`the objection failed with ${errorCode(objection?.reason)}, not NOT_ON_NOTICE`);
    return;
  }
  const clean =
    now?.state === 'PAID' &&
    entry?.payoutFen === payoutFen &&
    now.payoutFen === payoutFen &&
    paidEvents === 1 &&
    reviewEvents === 0 &&
    fund.paidFen === payoutFen &&
    fund.balanceFen === initialFen - payoutFen &&
    counter.usedFen === payoutFen &&
    counter.countedFen === selfPaidFen &&
    (now.objections ?? []).length === 0;
  if (clean) tally.payoutWon += 1;
  else {
    tally.both += 1;
    fail(
      `the objection was refused, yet the claim is ${now?.state} with ${paidEvents} PAID events, ledger ${entry?.payoutFen} (want ${payoutFen}), fund paid ${fund.paidFen}`,
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
  const memory = emptyObjectionTally();
  const dyn = emptyObjectionTally();
  await memoryThenDynamo(
    { seed, log },
    { memoryRounds: full ? 100 : 30, memoryWidth: 1, dynamoRounds: full ? 30 : 4, dynamoWidth: 1 },
    (store, round, _width, random) => objectionRound(store, round, random, memory),
    (store, round, _width, random) => objectionRound(store, round, random, dyn, 'vo', 60),
  );
  return {
    label: 'objection race',
    figures: {
      rounds: memory.rounds,
      objectionWon: memory.objectionWon,
      payoutWon: memory.payoutWon,
      both: memory.both,
      errors: memory.errors,
      dynamoRounds: dyn.rounds,
      dynamoObjectionWon: dyn.objectionWon,
      dynamoPayoutWon: dyn.payoutWon,
      dynamoBoth: dyn.both,
      dynamoErrors: dyn.errors,
      seconds: secondsSince(started),
    },
    // Both sides must win some rounds, or the race was never run.
    ok:
      memory.both + memory.errors + dyn.both + dyn.errors === 0 &&
      memory.objectionWon > 0 &&
      memory.payoutWon > 0,
    failures: [...memory.failures, ...dyn.failures].slice(0, 10),
  };
}

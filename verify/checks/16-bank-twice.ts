// 16. The same bank result file twice. Claims paid by the payout step get a bank result file
// (transfers arrived, refused, rows whose amount or account disagrees, claims with no row, rows
// naming no payout), read as the bank-result job reads it and stored batch by batch as its
// workflow stores it. Then the same file again: as a second job (the file uploaded twice), as the
// same job (a batch run again), and as two jobs at once (with seeded jitter before every store
// call). The first application does what each row says; any later one changes nothing: every
// claim record, ledger entry and history length is byte for byte what it was.
import { storeBankResults, type BankBatchResult } from '#shared/bank-import.ts';
import { parseNumberedBankCsv } from '#shared/bank-result.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import type { ClaimRecord } from '#shared/claim.ts';
import { fenToYuan } from '#shared/money.ts';
import type { ClaimStore, LedgerStore, RosterStore } from '#shared/ports.ts';
import { claimRecord } from '#cli/local/world.ts';
import { jittery } from '#verify/checks/04-cap-races.ts';
import type { Random } from '#verify/lib/random.ts';
import { worldUlid } from '#verify/lib/crash-world.ts';
import { secondsSince } from '#verify/lib/stack.ts';
import { fundHousehold, tickingClock, memoryThenDynamo } from '#verify/lib/relief-world.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

export type Store = ClaimStore & LedgerStore & RosterStore;

type RowKind = 'success' | 'failed' | 'wrongAmount' | 'wrongAccount' | 'noRow';
const expectedState: Record<RowKind, string> = {
  success: 'DISBURSED',
  failed: 'DISBURSEMENT_FAILED',
  wrongAmount: 'PAID',
  wrongAccount: 'PAID',
  noRow: 'PAID',
};
/** Rows per batch, as the job's workflow hands them to the store step. */
const BATCH = 7;

export interface BankTally {
  rounds: number;
  claims: number;
  rows: number;
  disbursed: number;
  failed: number;
  refusedRows: number;
  /** Later applications of the file, and what they changed (claims, ledger entries or histories). */
  repeats: number;
  changedByRepeat: number;
  /** A claim not in the state its row asks for after the first application. */
  wrongFirst: number;
  /** More than one transfer event on a claim (the concurrent applications). */
  twice: number;
  errors: number;
  failures: string[];
}

export function emptyBankTally(): BankTally {
  return {
    rounds: 0,
    claims: 0,
    rows: 0,
    disbursed: 0,
    failed: 0,
    refusedRows: 0,
    repeats: 0,
    changedByRepeat: 0,
    wrongFirst: 0,
    twice: 0,
    errors: 0,
    failures: [],
  };
}

export const bankBad = (t: BankTally) => t.changedByRepeat + t.wrongFirst + t.twice + t.errors;

/** Claims paid by the payout step, each of its own household with its own roster account. */
async function paidClaims(store: Store, round: number, width: number, random: Random) {
  const at = '2026-09-05T02:00:00.000Z';
  const clock = tickingClock(at);
  const paid: { claim: ClaimRecord; account: string }[] = [];
  for (let i = 0; i < width; i++) {
    const householdId = `BANK-${round}-${i}`;
    const account = `62309${String(round).padStart(6, '0')}${String(i).padStart(4, '0')}${random.int(1000, 9999)}`;
    await store.put([fundHousehold(householdId, 'demo', account)]);
    const grossFen = random.int(500, 8_000) * 100 + random.int(0, 99);
    const claim = claimRecord({
      claimId: worldUlid(round, i),
      householdId,
      state: 'APPROVED',
      assessment: {
        policyId: 'demo-fangpin',
        policyVersion: 1,
        region: 'demo',
        capYear: 2026,
        selfPaidFen: 2_000_000,
        grossFen,
        capFen: 2_000_000,
        capRemainingFen: 2_000_000,
        payoutFen: grossFen,
        bands: [],
        rosterStatus: 'unstable',
      },
      payoutFen: grossFen,
      createdAt: at,
      version: 2,
    });
    await store.create(claim, [
      { at, from: null, to: 'RECEIVED', actor: 'system' },
      { at, from: 'RECEIVED', to: 'APPROVED', actor: 'system' },
    ]);
    await recordPayout({ claims: store, clock }, { claimId: claim.claimId });
    const now = await store.get(claim.claimId);
    if (now?.state !== 'PAID') throw new Error(`setup: claim ${claim.claimId} is ${now?.state}, not PAID`);
    paid.push({ claim: now, account });
  }
  return paid;
}

/** What a claim looks like on record: the claim, its ledger entry and how long its history is. */
async function snapshot(store: Store, claimIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of claimIds) {
    const [claim, entry, history] = await Promise.all([
      store.get(id),
      store.ledgerEntry(id),
      store.history(id),
    ]);
    out.set(id, JSON.stringify({ claim, entry, history: history.length }));
  }
  return out;
}

/** The file applied as the job applies it: batch after batch, rows of a batch in parallel. */
async function applyFile(
  store: Store,
  rows: ReturnType<typeof parseNumberedBankCsv>['numbered'],
  jobId: string,
  clock: { now: () => Date },
): Promise<BankBatchResult[]> {
  const results: BankBatchResult[] = [];
  for (let i = 0; i < rows.length; i += BATCH)
    results.push(
      await storeBankResults({ claims: store, roster: store, clock }, rows.slice(i, i + BATCH), {
        jobId,
        createdBy: 'finance1',
      }),
    );
  return results;
}

export async function bankRound(
  store: Store,
  round: number,
  width: number,
  random: Random,
  tally: BankTally,
): Promise<void> {
  const paid = await paidClaims(store, round, width, random);
  const kinds = new Map<string, RowKind>();
  const lines = ['claimId,bankAccount,amount,status,bankRef,reason'];
  for (const [i, { claim, account }] of paid.entries()) {
    const kind = random.pick<RowKind>([
      'success',
      'success',
      'success',
      'failed',
      'wrongAmount',
      'wrongAccount',
      'noRow',
    ]);
    kinds.set(claim.claimId, kind);
    const amount = fenToYuan((claim.payoutFen ?? 0) + (kind === 'wrongAmount' ? 1 : 0));
    const rowAccount =
      kind === 'wrongAccount' ? `${account.slice(0, -1)}${account.endsWith('1') ? '2' : '1'}` : account;
    if (kind === 'noRow') continue;
    lines.push(
      kind === 'failed'
        ? `${claim.claimId},${rowAccount},${amount},失败,,账户已冻结`
        : `${claim.claimId},${rowAccount},${amount},success,BK-${round}-${i},`,
    );
  }
  lines.push(`${worldUlid(round, 9_000)},6230900000000000009,100.00,success,BK-NONE-${round},`);
  random.shuffle(lines.slice(1)).forEach((line, i) => (lines[i + 1] = line));
  const { numbered, rejected } = parseNumberedBankCsv(`\uFEFF${lines.join('\r\n')}\r\n`);
  tally.rounds += 1;
  tally.claims += paid.length;
  tally.rows += numbered.length;
  if (rejected.length > 0) {
    tally.errors += 1;
    tally.failures.push(
      `round ${round}: the file's rows were refused as read: ${JSON.stringify(rejected).slice(0, 120)}`,
    );
    return;
  }
  const ids = paid.map((p) => p.claim.claimId);
  const clock = tickingClock('2026-09-08T02:00:00.000Z');
  const concurrent = random.chance(0.5);
  const jobA = `JOB-${round}-A`;
  const jobB = `JOB-${round}-B`;
  try {
    if (concurrent) {
      // Two jobs of the same file at once: each row is applied by exactly one of them.
      const racing = jittery(store, random.fork(`jitter${round}`));
      await Promise.all([applyFile(racing, numbered, jobA, clock), applyFile(racing, numbered, jobB, clock)]);
    } else await applyFile(store, numbered, jobA, clock);
  } catch (error) {
    tally.errors += 1;
    tally.failures.push(
      `round ${round}: applying the file threw ${error instanceof Error ? error.name : String(error)}`,
    );
    return;
  }
  const first = await snapshot(store, ids);
  for (const { claim } of paid) {
    const now = await store.get(claim.claimId);
    const entry = await store.ledgerEntry(claim.claimId);
    const transfers = (await store.history(claim.claimId)).filter(
      (h) => h.to === 'DISBURSED' || h.to === 'DISBURSEMENT_FAILED',
    ).length;
    const want = expectedState[kinds.get(claim.claimId) ?? 'noRow'];
    const ledgerAgrees =
      want === 'DISBURSED'
        ? entry?.disbursedAt !== undefined && entry.failedAt === undefined
        : want === 'DISBURSEMENT_FAILED'
          ? entry?.failedAt !== undefined && entry.disbursedAt === undefined
          : entry?.disbursedAt === undefined && entry?.failedAt === undefined;
    if (now?.state !== want || !ledgerAgrees) {
      tally.wrongFirst += 1;
      tally.failures.push(
        `round ${round}: ${claim.claimId} is ${now?.state} (ledger agrees: ${ledgerAgrees}), its row asks for ${want}`,
      );
    }
    if (transfers > 1) {
      tally.twice += 1;
      tally.failures.push(`round ${round}: ${claim.claimId} has ${transfers} transfer events`);
    }
    if (now?.state === 'DISBURSED') tally.disbursed += 1;
    if (now?.state === 'DISBURSEMENT_FAILED') tally.failed += 1;
  }
  // The same file again: uploaded again (a new job), and a batch of the first job run again.
  for (const jobId of [`JOB-${round}-C`, jobA]) {
    let results: BankBatchResult[];
    try {
      results = await applyFile(store, numbered, jobId, clock);
    } catch (error) {
      tally.errors += 1;
      tally.failures.push(
        `round ${round}: applying the file again threw ${error instanceof Error ? error.name : String(error)}`,
      );
      continue;
    }
    tally.repeats += 1;
    if (jobId !== jobA) tally.refusedRows += results.reduce((s, r) => s + r.rejected.length, 0);
    const again = await snapshot(store, ids);
    const changed = ids.filter((id) => again.get(id) !== first.get(id));
    if (changed.length > 0) {
      tally.changedByRepeat += changed.length;
      tally.failures.push(`round ${round}: applying the file again (${jobId}) changed ${changed.join(', ')}`);
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
  const memory = emptyBankTally();
  const dyn = emptyBankTally();
  await memoryThenDynamo(
    { seed, log },
    {
      memoryRounds: full ? 100 : 20,
      memoryWidth: 30,
      dynamoRounds: full ? 6 : 1,
      dynamoWidth: full ? 30 : 15,
    },
    (store, round, width, random) => bankRound(store, round, width, random, memory),
    (store, round, width, random) => bankRound(store, round, width, random, dyn),
  );
  return {
    label: 'bank file twice',
    figures: {
      rounds: memory.rounds,
      claims: memory.claims,
      rows: memory.rows,
      disbursed: memory.disbursed,
      failed: memory.failed,
      refusedRows: memory.refusedRows,
      repeats: memory.repeats,
      changedByRepeat: memory.changedByRepeat,
      wrongFirst: memory.wrongFirst,
      twice: memory.twice,
      errors: memory.errors,
      dynamoRounds: dyn.rounds,
      dynamoDisbursed: dyn.disbursed,
      dynamoFailed: dyn.failed,
      dynamoRepeats: dyn.repeats,
      dynamoChangedByRepeat: dyn.changedByRepeat,
      dynamoBad: bankBad(dyn),
      seconds: secondsSince(started),
    },
    ok: bankBad(memory) + bankBad(dyn) === 0 && memory.disbursed > 0 && memory.failed > 0,
    failures: [...memory.failures, ...dyn.failures].slice(0, 10),
  };
}

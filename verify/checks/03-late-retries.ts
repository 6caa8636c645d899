// 3. Late retries. A payout step replayed long after the first run (a retry storm, a redriven
// execution, an event replayed from an archive) must still find the first payout: at +1 h and
// +24 h, past any idempotency-record TTL, the claimId conditions (claim version, ledger entry
// attribute_not_exists) are what hold, and they do not expire. Fake clock in the deps; the
// in-memory store and DynamoDB Local both.
import { sharpFingerprinter } from '#functions/adapters/sharp-fingerprinter.ts';
import { recordPayout } from '#shared/workflow/record-payout.ts';
import { markDisbursed } from '#shared/api/claims-api.ts';
import { parseRosterCsv } from '#shared/roster.ts';
import { ConflictError, type ClaimStore, type LedgerStore, type RosterStore } from '#shared/ports.ts';
import type { StepDeps } from '#shared/workflow/steps.ts';
import { FakeClock, claimGrant, runAssessSteps, upload } from '#cli/local/world.ts';
import { demoRosterCsv } from '#cli/local/demo-data.ts';
import { MemoryReceipts, MemoryStore, RecordingReviews } from '#functions/adapters/memory/memory-ports.ts';
import { startLocalDynamo } from '#verify/lib/dynamo.ts';
import { worldUlid } from '#verify/lib/crash-world.ts';
import { secondsSince } from '#verify/lib/stack.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

type Store = ClaimStore & LedgerStore & RosterStore;
const HOUR = 3_600_000;

interface Tally {
  claims: number;
  replays: number;
  extraPayouts: number;
  wrongOutcome: number;
  failures: string[];
}

/** Pays `count` claims, then replays record-payout for each at every delay. */
async function replayLate(
  store: Store,
  run: number,
  count: number,
  delaysMs: readonly number[],
): Promise<Tally> {
  const clock = new FakeClock();
  const receipts = new MemoryReceipts();
  const deps: StepDeps = {
    claims: store,
    roster: store,
    receipts,
    reviews: new RecordingReviews(),
    clock: { now: clock.now },
    fingerprints: sharpFingerprinter(),
  };
  // Grants are stored above, through the store under test: upload() only fills the bucket.
  const world = { bucket: receipts };
  const t: Tally = { claims: 0, replays: 0, extraPayouts: 0, wrongOutcome: 0, failures: [] };
  const households = ['HH-0001', 'HH-0002', 'HH-0003', 'HH-0006', 'HH-0007', 'HH-0008', 'HH-0011', 'HH-0012'];
  const claims: { claimId: string; householdId: string }[] = [];
  for (let i = 0; i < count; i++) {
    // Six 3,500 claims per household against a 20,000 cap: the last ones are cut or refused, so
    // replays meet PAID, partially paid and CAP_EXHAUSTED claims alike.
    const householdId = `${households[i % households.length]}`;
    const claimId = worldUlid(run, i);
    await store.putGrant(claimGrant(claimId, householdId, 'worker1', new Date()));
    // Each claim of a household on its own day: the same household, category, date and cost
    // would be a possible duplicate (review, not payout).
    const expenseDate = `2026-08-${String(10 + Math.floor(i / households.length)).padStart(2, '0')}`;
    const { key } = upload(world, { householdId, claimId, totalCost: '15000', expenseDate, grant: null });
    await runAssessSteps(deps, key);
    claims.push({ claimId, householdId });
  }
  // Finance marks a third of them disbursed: a replay must not touch those either.
  const paid = [];
  for (const c of claims) if ((await store.get(c.claimId))?.state === 'PAID') paid.push(c.claimId);
  const disburse = paid.filter((_, i) => i % 3 === 0);
  if (disburse.length > 0) {
    await markDisbursed(
      { claims: store, clock: deps.clock },
      { username: 'finance1', roles: ['finance'] },
      { claimIds: disburse, batchRef: `BATCH-${run}` },
    );
  }
  const before = new Map<string, { state: string; payoutFen?: number; ledger?: number; version: number }>();
  for (const c of claims) {
    const claim = await store.get(c.claimId);
    const entry = await store.ledgerEntry(c.claimId);
    before.set(c.claimId, {
      state: claim?.state ?? '',
      ...(claim?.payoutFen !== undefined ? { payoutFen: claim.payoutFen } : {}),
      ...(entry ? { ledger: entry.payoutFen } : {}),
      version: claim?.version ?? -1,
    });
  }
  const capsBefore = new Map<string, number>();
  for (const h of households) capsBefore.set(h, await store.capUsed(h, 2026, 'education'));
  t.claims = claims.length;

  let elapsed = 0;
  for (const delay of delaysMs) {
    clock.advance(delay - elapsed);
    elapsed = delay;
    for (const c of claims) {
      t.replays += 1;
      const was = before.get(c.claimId);
      // The step as the workflow would run it again...
      let outcome: string;
      try {
        outcome = (await recordPayout(deps, { claimId: c.claimId })).outcome;
      } catch (error) {
        outcome = `threw ${error instanceof Error ? error.name : 'error'}`;
      }
      const expected = was?.state === 'REJECTED' ? 'rejected' : 'paid';
      if (outcome !== expected) {
        t.wrongOutcome += 1;
        t.failures.push(`${c.claimId} at +${delay / HOUR} h: ${outcome}, expected ${expected}`);
      }
      // ...and its transaction replayed raw, as a retried SDK call would send it, with a later paidAt.
      const claim = await store.get(c.claimId);
      const entry = await store.ledgerEntry(c.claimId);
      if (claim && entry) {
        const at = clock.now().toISOString();
        try {
          const raw = await store.recordPayout(
            { ...claim, state: 'PAID', version: (was?.version ?? 0) + 1, updatedAt: at },
            was?.version ?? 0,
            { ...entry, paidAt: at, paidDate: at.slice(0, 10), disbursedAt: undefined, batchRef: undefined },
            { capFen: 2_000_000 },
            { at, from: 'APPROVED', to: 'PAID', actor: 'system' },
          );
          if (raw.kind === 'paid') {
            t.extraPayouts += 1;
            t.failures.push(`${c.claimId} at +${delay / HOUR} h: the raw transaction paid again`);
          }
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
        }
      }
    }
  }
  for (const c of claims) {
    const was = before.get(c.claimId);
    const claim = await store.get(c.claimId);
    const entry = await store.ledgerEntry(c.claimId);
    const paidEvents = (await store.history(c.claimId)).filter((h) => h.to === 'PAID').length;
    if (
      entry?.payoutFen !== was?.ledger ||
      claim?.payoutFen !== was?.payoutFen ||
      paidEvents > 1 ||
      claim?.state !== was?.state
    ) {
      t.extraPayouts += 1;
      t.failures.push(
        `${c.claimId}: ledger ${entry?.payoutFen} (was ${was?.ledger}), ${paidEvents} PAID events, ${claim?.state} (was ${was?.state})`,
      );
    }
  }
  for (const h of households) {
    const used = await store.capUsed(h, 2026, 'education');
    if (used !== capsBefore.get(h)) {
      t.extraPayouts += 1;
      t.failures.push(`${h}: cap counter ${capsBefore.get(h)} -> ${used}`);
    }
  }
  return t;
}

export async function run({ scale, seed = DEFAULT_SEED }: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const count = scale === 'full' ? 200 : 24;
  const delays = [1 * HOUR, 24 * HOUR, 7 * 24 * HOUR];
  const memoryStore = new MemoryStore();
  await memoryStore.put(parseRosterCsv(demoRosterCsv()).periods);
  const memory = await replayLate(memoryStore, seed % 100_000, count, delays);
  const dynamo = await startLocalDynamo();
  let dyn: Tally;
  try {
    await dynamo.store.put(parseRosterCsv(demoRosterCsv()).periods);
    dyn = await replayLate(dynamo.store, (seed % 100_000) + 1, scale === 'full' ? 48 : 16, delays);
  } finally {
    await dynamo.close();
  }
  return {
    label: 'late retries',
    figures: {
      claims: memory.claims,
      replays: memory.replays,
      delays: '1h,24h,7d',
      extraPayouts: memory.extraPayouts,
      wrongOutcome: memory.wrongOutcome,
      dynamoClaims: dyn.claims,
      dynamoReplays: dyn.replays,
      dynamoExtraPayouts: dyn.extraPayouts,
      dynamoWrongOutcome: dyn.wrongOutcome,
      seconds: secondsSince(started),
    },
    ok: memory.extraPayouts + memory.wrongOutcome + dyn.extraPayouts + dyn.wrongOutcome === 0,
    failures: [...memory.failures, ...dyn.failures].slice(0, 10),
  };
}

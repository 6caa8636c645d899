// 9. Review abuse. Decisions sent twice (at once and again later), approve and reject racing,
// decisions after a reject, decisions after a gate timed out and was escalated, and forged or
// stolen task tokens sent straight to the Step Functions API: each abuse makes at most one state
// transition, and none of them ever pays. The local stack for the API and task tokens; the
// deployed review ASL with its gate timeout shortened (harness) for the timeout path.
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { randomBytes } from 'node:crypto';
import type { HistoryEvent } from '#shared/claim-state.ts';
import { decideReview } from '#shared/api/claims-api.ts';
import { parseRosterCsv } from '#shared/roster.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { FakeClock, claimGrant } from '#cli/local/world.ts';
import { fakeJpeg, sha256 } from '#cli/local/demo-data.ts';
import type { ClaimGrant } from '#shared/claim-grant.ts';
import { MemoryStore, MemoryReceipts } from '#functions/adapters/memory/memory-ports.ts';
import { settled, uploadClaim } from '#cli/local/scratch-stack.ts';
import { FaultInjector } from '#verify/lib/fault-injection.ts';
import { seededRandom } from '#verify/lib/random.ts';
import { importHouseholds, secondsSince, sleep, withStack, type VerifyStack } from '#verify/lib/stack.ts';
import { rosterCsv, syntheticHouseholds } from '#verify/lib/synthetic.ts';
import { createHarness } from '#verify/lib/workflow-harness.ts';
import { worldUlid } from '#verify/lib/crash-world.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

interface Tally {
  /** Where claims driven by stolen tokens ended (never PAID). */
  stolenEnds: Set<string>;
  abuses: number;
  extraTransitions: number;
  abusivePayouts: number;
  legitPayouts: number;
  doublePayouts: number;
  failures: string[];
}

const decisions = (history: readonly HistoryEvent[]) =>
  history.filter((h) => h.actor !== 'system' && h.from === 'PENDING_REVIEW');

async function waitFor(check: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

async function onStack(stack: VerifyStack, rounds: number, seed: number, t: Tally) {
  const random = seededRandom(seed);
  const households = syntheticHouseholds('RV', rounds * 6, random.fork('hh'), ['worker1']);
  await importHouseholds(stack, households);
  const village = await stack.as('village1');
  const insurer = await stack.as('insurer1');
  const auditor = await stack.as('auditor1');
  const sfn = new SFNClient({ endpoint: stack.sfnUrl, region: 'us-east-1', credentials: s3LocalCredentials });
  let hh = 0;
  const reviewClaim = async () => {
    const { claimId } = await uploadClaim(stack, {
      householdId: households[hh++]?.householdId ?? 'HH-0001',
      totalCost: '22700',
    });
    await settled(stack, claimId);
    // The workflow parks the village gate's token before anyone decides: as in production.
    await waitFor(async () => (await stack.deps.claims.get(claimId))?.gateTokens.village !== undefined);
    return claimId;
  };
  const history = (claimId: string) => stack.deps.claims.history(claimId);
  const paidCount = async (claimId: string) => (await history(claimId)).filter((h) => h.to === 'PAID').length;
  const expectDecisions = async (claimId: string, want: number, what: string) => {
    const got = decisions(await history(claimId)).length;
    if (got > want) {
      t.extraTransitions += got - want;
      t.failures.push(`${what}: ${got} decision transitions, at most ${want} allowed`);
    }
  };
  const gate = (gate: string, decision: string) => ({ gate, decision });
  const approveRest = async (claimId: string) => {
    await insurer('POST', `/claims/${claimId}/reviews`, gate('department', 'approve'));
    await auditor('POST', `/claims/${claimId}/reviews`, gate('audit', 'approve'));
    await waitFor(async () => (await stack.deps.claims.get(claimId))?.state === 'PAID');
  };

  for (let round = 0; round < rounds; round++) {
    // 1. The same approval five times at once, then again later: one transition, then one payout.
    const twice = await reviewClaim();
    await Promise.all(
      Array.from({ length: 5 }, () =>
        village('POST', `/claims/${twice}/reviews`, gate('village', 'approve')),
      ),
    );
    await village('POST', `/claims/${twice}/reviews`, gate('village', 'approve'));
    t.abuses += 6;
    await expectDecisions(twice, 1, 'approve sent six times');
    await approveRest(twice);
    // Repeats of the final approval after payment: still one payout.
    await Promise.all(
      Array.from({ length: 3 }, () => auditor('POST', `/claims/${twice}/reviews`, gate('audit', 'approve'))),
    );
    t.abuses += 3;
    await stack.idle();
    const paid = await paidCount(twice);
    if (paid === 1) t.legitPayouts += 1;
    else {
      t.doublePayouts += paid > 1 ? 1 : 0;
      t.failures.push(`approved claim paid ${paid} times`);
    }

    // 2. Approve and reject racing from the same person: one wins, and a reject never pays.
    const race = await reviewClaim();
    await Promise.all([
      village('POST', `/claims/${race}/reviews`, gate('village', 'approve')),
      village('POST', `/claims/${race}/reviews`, gate('village', 'reject')),
      village('POST', `/claims/${race}/reviews`, gate('village', 'reject')),
    ]);
    t.abuses += 3;
    await expectDecisions(race, 1, 'approve and reject racing');

    // 3. After a reject: every later decision is refused, nothing moves, nothing pays.
    const rejected = await reviewClaim();
    await village('POST', `/claims/${rejected}/reviews`, gate('village', 'reject'));
    const after = await Promise.all([
      village('POST', `/claims/${rejected}/reviews`, gate('village', 'approve')),
      insurer('POST', `/claims/${rejected}/reviews`, gate('department', 'approve')),
      auditor('POST', `/claims/${rejected}/reviews`, gate('audit', 'approve')),
      village('POST', `/claims/${rejected}/reviews`, gate('village', 'reject')),
    ]);
    t.abuses += 4;
    await expectDecisions(rejected, 1, 'decisions after a reject');
    if (after.slice(0, 3).some((r) => r.status !== 409))
      t.failures.push(`after a reject: ${after.map((r) => r.status).join(',')}, want 409s`);

    // 4. Forged and stolen task tokens.
    const forged = await reviewClaim();
    const viaApi = await village('POST', `/claims/${forged}/reviews`, {
      ...gate('village', 'approve'),
      taskToken: randomBytes(64).toString('base64url'),
    });
    if (viaApi.status !== 400) t.failures.push(`a task token in the API body: ${viaApi.status}, want 400`);
    let refused = 0;
    for (let i = 0; i < 3; i++) {
      try {
        await sfn.send(
          new SendTaskSuccessCommand({
            taskToken: randomBytes(64).toString('base64url').slice(0, 86),
            output: '{"decision":"approve"}',
          }),
        );
      } catch {
        refused += 1;
      }
    }
    if (refused !== 3) t.failures.push(`forged task tokens accepted by the service: ${3 - refused}`);
    // A real token stolen from the table, answered "approve" at every gate: the workflow moves
    // on, but the claim never holds a person's decision, so the payout step refuses.
    for (const g of ['village', 'department', 'audit'] as const) {
      await waitFor(async () => (await stack.deps.claims.get(forged))?.gateTokens[g] !== undefined, 5000);
      const token = (await stack.deps.claims.get(forged))?.gateTokens[g];
      if (!token) break;
      await sfn
        .send(
          new SendTaskSuccessCommand({
            taskToken: token,
            output: JSON.stringify({ claimId: forged, gate: g, decision: 'approve' }),
          }),
        )
        .catch(() => undefined);
    }
    t.abuses += 7;
    await stack.idle();
    await sleep(200);
    await expectDecisions(forged, 0, 'forged and stolen tokens');
    t.stolenEnds.add((await stack.deps.claims.get(forged))?.state ?? 'missing');
    for (const claimId of [race, rejected, forged]) {
      const entry = await stack.deps.claims.ledgerEntry(claimId);
      const claim = await stack.deps.claims.get(claimId);
      if (entry || claim?.state === 'PAID') {
        t.abusivePayouts += 1;
        t.failures.push(`${claimId} was paid after abuse (${claim?.state})`);
      }
    }
  }
  sfn.destroy();
}

/** The gate timeout path on the deployed review ASL with 1-second gates. */
async function timeouts(rounds: number, seed: number, t: Tally) {
  const store = new MemoryStore();
  const receipts = new MemoryReceipts();
  const households = syntheticHouseholds('TO', rounds * 2, seededRandom(seed), ['worker1']);
  await store.put(parseRosterCsv(rosterCsv(households)).periods);
  const clock = new FakeClock(new Date());
  const context = {
    ports: { store, receipts, clock: { now: clock.now } },
    injector: new FaultInjector(() => undefined),
    label: (id: string) => id,
  };
  const harness = await createHarness(context, { gateTimeoutSeconds: 1 });
  const expense = new Date(Date.now() + 8 * 3_600_000 - 3 * 86_400_000).toISOString().slice(0, 10);
  try {
    const grants: ClaimGrant[] = [];
    const claims = households.map((h, i) => {
      const claimId = worldUlid(900_000 + (seed % 1000), i);
      const receipt = fakeJpeg(`timeout ${claimId}`);
      receipts.put(`claims/${claimId}/receipt-1.jpg`, receipt);
      const key = `claims/${claimId}/manifest.json`;
      grants.push(claimGrant(claimId, h.householdId, 'worker1', new Date()));
      receipts.put(
        key,
        JSON.stringify({
          schemaVersion: 1,
          claimId,
          householdId: h.householdId,
          category: 'education',
          expenseDate: expense,
          totalCost: '22700',
          reimbursed: '0',
          receipts: [
            { key: `claims/${claimId}/receipt-1.jpg`, sha256: sha256(receipt), contentType: 'image/jpeg' },
          ],
          submittedBy: 'worker1',
        }),
      );
      return { claimId, key, reject: i % 2 === 1 };
    });
    for (const g of grants) await store.putGrant(g);
    await Promise.all(claims.map((c) => harness.deliver(c.key)));
    // Let every village gate time out at least once: escalated, then asked again.
    await sleep(2500);
    const people = {
      village: ['village1', 'villageVerifier'],
      department: ['insurer1', 'insurer'],
      audit: ['auditor1', 'auditor'],
    } as const;
    await Promise.all(
      claims.map(async (c) => {
        const escalations = (await store.history(c.claimId)).filter((h) =>
          typeof h.detail === 'object' ? h.detail.code === 'GATE_OVERDUE' : false,
        ).length;
        if (escalations === 0) t.failures.push(`${c.claimId}: the gate never timed out`);
        for (const g of c.reject ? (['village'] as const) : (['village', 'department', 'audit'] as const)) {
          const [user, role] = people[g];
          // Twice each, late: the first records, the second is a repeat.
          for (let i = 0; i < 2; i++) {
            await decideReview(
              harness.apiDeps(`late/${c.claimId}`),
              { username: user, roles: [role] },
              c.claimId,
              { gate: g, decision: c.reject ? 'reject' : 'approve' },
            );
          }
          t.abuses += 2;
          await sleep(50);
        }
      }),
    );
    await sleep(1500);
    for (const c of claims) {
      const history = await store.history(c.claimId);
      const made = decisions(history).length;
      const want = c.reject ? 1 : 3;
      if (made !== want) {
        t.extraTransitions += Math.max(0, made - want);
        t.failures.push(`late decisions on ${c.claimId}: ${made} transitions, want ${want}`);
      }
      const paid = history.filter((h) => h.to === 'PAID').length;
      const entry = await store.ledgerEntry(c.claimId);
      if (c.reject && (paid > 0 || entry)) {
        t.abusivePayouts += 1;
        t.failures.push(`${c.claimId}: rejected late, yet paid`);
      }
      if (!c.reject) {
        if (paid === 1 && entry) t.legitPayouts += 1;
        else {
          if (paid > 1) t.doublePayouts += 1;
          t.failures.push(
            `${c.claimId}: approved late, paid ${paid} times (${(await store.get(c.claimId))?.state})`,
          );
        }
      }
    }
  } finally {
    await harness.close();
  }
}

export async function run({ scale, seed = DEFAULT_SEED }: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const t: Tally = {
    stolenEnds: new Set(),
    abuses: 0,
    extraTransitions: 0,
    abusivePayouts: 0,
    legitPayouts: 0,
    doublePayouts: 0,
    failures: [],
  };
  await withStack({ demo: false }, (stack) => onStack(stack, full ? 10 : 1, seed, t));
  await timeouts(full ? 10 : 2, seed, t);
  return {
    label: 'review abuse',
    figures: {
      abusiveRequests: t.abuses,
      extraTransitions: t.extraTransitions,
      payoutsFromAbuse: t.abusivePayouts,
      legitPayouts: t.legitPayouts,
      paidTwice: t.doublePayouts,
      stolenTokenClaimsEnd: [...t.stolenEnds].join('/'),
      seconds: secondsSince(started),
    },
    ok: t.extraTransitions + t.abusivePayouts + t.doublePayouts === 0 && t.failures.length === 0,
    failures: t.failures.slice(0, 10),
  };
}

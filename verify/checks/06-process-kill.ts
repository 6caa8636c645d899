// 6. Process kill. `claims start` runs as a child; a loader uploads claims through its S3
// endpoint as phones would (retrying while it is down), and the child is killed with SIGKILL at
// random moments during the load, then started again on the same data dir. At the end every
// claim is where the reference pricer says (paid the right amount, in review, or refused for
// the right reason), none is paid twice, and the cap counters equal the ledger.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ulid } from 'ulid';
import { DynamoClaimStore } from '#functions/adapters/dynamo-claim-store.ts';
import { findFreePort } from '#cli/local/net.ts';
import { s3LocalCredentials } from '#cli/local/s3-local.ts';
import { jpeg } from '#cli/local/scratch-stack.ts';
import { claimGrant } from '#cli/local/world.ts';
import { killHard, startChild, type ChildPorts, type RunningChild } from '#verify/lib/child-stack.ts';
import { auditMoney } from '#verify/lib/ledger-audit.ts';
import { seededRandom } from '#verify/lib/random.ts';
import { referenceCapFen } from '#verify/lib/reference-pricing.ts';
import { pool, secondsSince, sleep } from '#verify/lib/stack.ts';
import { planClaims, rosterCsv, syntheticHouseholds, type PlannedClaim } from '#verify/lib/synthetic.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

async function signIn(ports: ChildPorts, username: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${ports.api}/local/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  return ((await r.json()) as { token: string }).token;
}

/** Puts an object, retrying while the runtime is down (a phone on a weak signal does the same). */
async function putUntilStored(s3: S3Client, key: string, body: Uint8Array | string, contentType: string) {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      await s3.send(
        new PutObjectCommand({ Bucket: 'receipts', Key: key, Body: body, ContentType: contentType }),
      );
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(150);
    }
  }
}

function manifestFor(
  claimId: string,
  plan: PlannedClaim,
  receipt: Uint8Array,
  receiptKey: string,
  submittedBy: string,
) {
  return JSON.stringify({
    schemaVersion: 1,
    claimId,
    householdId: plan.householdId,
    category: plan.category,
    expenseDate: plan.expenseDate,
    totalCost: plan.totalCost,
    reimbursed: plan.reimbursed,
    receipts: [
      {
        key: receiptKey,
        sha256: createHash('sha256').update(receipt).digest('hex'),
        contentType: 'image/jpeg',
      },
    ],
    submittedBy,
  });
}

export async function run({
  scale,
  seed = DEFAULT_SEED,
  log = () => undefined,
}: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const full = scale === 'full';
  const claimCount = full ? 500 : 40;
  const kills = full ? 20 : 2;
  const random = seededRandom(seed);
  const dataDir = await mkdtemp(join(tmpdir(), 'verify-kill-'));
  const ports: ChildPorts = { api: await findFreePort(), s3: await findFreePort(), db: await findFreePort() };
  let child: RunningChild | undefined = await startChild(dataDir, ports);
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${ports.s3}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { ...s3LocalCredentials },
    maxAttempts: 1,
  });
  const db = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${ports.db}`,
    region: 'us-east-1',
    credentials: s3LocalCredentials,
    maxAttempts: 1,
  });
  const store = new DynamoClaimStore(db, 'claims');
  try {
    const households = syntheticHouseholds('KL', Math.ceil(claimCount / 3), random.fork('hh'));
    const token = await signIn(ports, 'admin1');
    const imported = await fetch(`http://127.0.0.1:${ports.api}/roster/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: rosterCsv(households),
    });
    if (imported.status !== 200) throw new Error(`roster import answered ${imported.status}`);
    const plans = planClaims(households, claimCount, random.fork('plans'));
    const claims = plans.map((plan) => ({ claimId: ulid(), plan }));
    const byHousehold = new Map(households.map((h) => [h.householdId, h.gridWorker]));
    let uploaded = 0;
    // Paced so the load spans the kills (about four seconds of it per kill), as field uploads
    // trickle in rather than arrive at once.
    const paceMs = (kills * 4000) / claimCount;
    const loadStart = Date.now();
    const loader = pool(claims, 3, async ({ claimId, plan }, i) => {
      const due = loadStart + i * paceMs;
      if (due > Date.now()) await sleep(due - Date.now());
      const receipt = jpeg(`kill ${claimId}`);
      const receiptKey = `claims/${claimId}/receipt-1.jpg`;
      const filer = byHousehold.get(plan.householdId) ?? 'worker1';
      // The grant POST /claims stores, written while the stack may be down (retried like the uploads).
      for (const deadline = Date.now() + 10 * 60_000; ;) {
        try {
          await store.putGrant(claimGrant(claimId, plan.householdId, filer, new Date()));
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(150);
        }
      }
      await putUntilStored(s3, receiptKey, receipt, 'image/jpeg');
      await putUntilStored(
        s3,
        `claims/${claimId}/manifest.json`,
        manifestFor(claimId, plan, receipt, receiptKey, filer),
        'application/json',
      );
      uploaded += 1;
    });
    let resumed = 0;
    let killed = 0;
    let loaderDone = false;
    void loader.finally(() => (loaderDone = true));
    for (let k = 1; k <= kills; k++) {
      // Spread the kills over the load: the k-th comes once k/(kills+1) of it is uploaded, plus a
      // random moment; the last ones may land while workflows are still running.
      while (!loaderDone && uploaded < (k * claimCount) / (kills + 1)) await sleep(50);
      await sleep(random.int(0, 1500));
      if (child) await killHard(child, ports);
      killed += 1;
      child = undefined;
      await sleep(random.int(0, 500));
      child = await startChild(dataDir, ports);
      resumed += Number(/resumed (\d+) claims/.exec(child.output())?.[1] ?? 0);
      log(`  kill ${k}/${kills} at ${uploaded}/${claimCount} uploaded; resumed ${resumed} so far`);
    }
    await loader;
    // Wait for every claim to settle where it belongs (or stop waiting and report it).
    const deadline = Date.now() + (full ? 300_000 : 90_000);
    const pending = new Set(claims.map((c) => c.claimId));
    while (pending.size > 0 && Date.now() < deadline) {
      for (const { claimId, plan } of claims) {
        if (!pending.has(claimId)) continue;
        const claim = await store.get(claimId).catch(() => undefined);
        if (claim && claim.state === plan.expected.state) pending.delete(claimId);
        else if (claim && ['REJECTED', 'PAID', 'DISBURSED', 'ERROR', 'PENDING_REVIEW'].includes(claim.state))
          pending.delete(claimId);
      }
      if (pending.size > 0) await sleep(500);
    }
    let lost = 0;
    let wrong = 0;
    let errors = 0;
    const failures: string[] = [];
    for (const { claimId, plan } of claims) {
      const claim = await store.get(claimId);
      if (claim?.state === 'ERROR') errors += 1;
      if (!claim || claim.state !== plan.expected.state) {
        lost += 1;
        failures.push(
          `${claimId}: expected ${plan.expected.state}, got ${claim?.state ?? 'no record'} ${claim?.detail ?? ''}`.slice(
            0,
            200,
          ),
        );
      } else if (
        (plan.expected.state === 'PAID' && claim.payoutFen !== plan.expected.payoutFen) ||
        (plan.expected.state === 'REJECTED' && claim.reason !== plan.expected.reason)
      ) {
        wrong += 1;
        failures.push(
          `${claimId}: ${claim.state} ${claim.payoutFen ?? claim.reason}, expected ${JSON.stringify(plan.expected)}`,
        );
      }
    }
    const audit = await auditMoney(
      store,
      claims.map((c) => c.claimId),
      (c) => Number(referenceCapFen(c)),
    );
    return {
      label: 'process kill',
      figures: {
        claims: claims.length,
        kills: killed,
        resumedAtRestart: resumed,
        lost,
        wrong,
        duplicates: audit.duplicates,
        errors,
        ledgerMismatches: audit.ledgerMismatches,
        capMismatches: audit.capMismatches,
        paid: audit.paidClaims,
        seconds: secondsSince(started),
      },
      ok:
        lost + wrong + errors + audit.duplicates + audit.ledgerMismatches + audit.capMismatches === 0 &&
        killed === kills,
      failures: [...failures, ...audit.problems].slice(0, 10),
    };
  } finally {
    s3.destroy();
    db.destroy();
    if (child) await killHard(child, ports).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

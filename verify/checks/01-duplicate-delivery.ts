// 1. Duplicate delivery. EventBridge and Express workflows are at-least-once: every manifest event
// is delivered 1-4 times here (the upload's own event plus 0-3 redeliveries at random delays,
// shuffled across claims) on the real local stack. Exactly one payout per payable claim, and the
// ledger total equals the sum an independent pricer computes.
import { assessArn, manifestEvent } from '#cli/local/world.ts';
import { addDays } from '#shared/dates.ts';
import { uploadClaim } from '#cli/local/scratch-stack.ts';
import { auditMoney } from '#verify/lib/ledger-audit.ts';
import { seededRandom } from '#verify/lib/random.ts';
import { referenceCapFen } from '#verify/lib/reference-pricing.ts';
import { importHouseholds, pool, secondsSince, sleep, withStack } from '#verify/lib/stack.ts';
import { planClaims, syntheticHouseholds, todayInChina } from '#verify/lib/synthetic.ts';
import { DEFAULT_SEED, type CheckOptions, type CheckResult } from '#verify/types.ts';

export async function run({
  scale,
  seed = DEFAULT_SEED,
  log = () => undefined,
}: CheckOptions): Promise<CheckResult> {
  const claimCount = scale === 'full' ? 2000 : 40;
  const maxDelayMs = scale === 'full' ? 3000 : 500;
  const random = seededRandom(seed);
  const started = performance.now();
  return withStack({}, async (stack) => {
    const households = syntheticHouseholds('DD', Math.ceil(claimCount / 3), random.fork('households'));
    await importHouseholds(stack, households);
    const plans = planClaims(households, claimCount, random.fork('plans'));
    const extraRuns: Promise<unknown>[] = [];
    let deliveries = 0;
    const uploaded = await pool(plans, 8, async (plan, i) => {
      const { claimId, key } = await uploadClaim(stack, {
        householdId: plan.householdId,
        category: plan.category,
        expenseDate: plan.expenseDate,
        totalCost: plan.totalCost,
        reimbursed: plan.reimbursed,
      });
      deliveries += 1; // the upload's own event
      const extra = random.int(0, 3);
      for (let n = 0; n < extra; n++) {
        const delay = random.int(0, maxDelayMs);
        deliveries += 1;
        extraRuns.push(
          sleep(delay).then(() => {
            const { executionArn } = stack.stepFunctions.startExecution({
              stateMachineArn: assessArn,
              input: JSON.stringify(manifestEvent(key, 400, new Date())),
            });
            return stack.stepFunctions.waitForExecution(executionArn);
          }),
        );
      }
      if ((i + 1) % 250 === 0) log(`  uploaded ${i + 1}/${plans.length}`);
      return { claimId, plan };
    });
    const outcomes = await Promise.all(extraRuns);
    await stack.idle();
    const failedExecutions = outcomes.filter((o) => (o as { status?: string }).status !== 'SUCCEEDED').length;

    let lost = 0;
    let wrongAmount = 0;
    let errors = 0;
    let expectedFen = 0n;
    const failures: string[] = [];
    for (const { claimId, plan } of uploaded) {
      const claim = await stack.deps.claims.get(claimId);
      if (plan.expected.state === 'PAID') expectedFen += BigInt(plan.expected.payoutFen);
      if (claim?.state === 'ERROR') errors += 1;
      if (!claim || claim.state !== plan.expected.state) {
        lost += 1;
        failures.push(
          `${claimId}: expected ${plan.expected.state}, got ${claim?.state ?? 'no record'} (${claim?.detail ?? ''})`,
        );
        continue;
      }
      if (plan.expected.state === 'PAID' && claim.payoutFen !== plan.expected.payoutFen) {
        wrongAmount += 1;
        failures.push(`${claimId}: paid ${claim.payoutFen}, reference ${plan.expected.payoutFen}`);
      }
      if (plan.expected.state === 'REJECTED' && claim.reason !== plan.expected.reason) {
        wrongAmount += 1;
        failures.push(`${claimId}: rejected ${claim.reason}, expected ${plan.expected.reason}`);
      }
    }
    const audit = await auditMoney(
      stack.deps.claims,
      uploaded.map((u) => u.claimId),
      (c) => Number(referenceCapFen(c)),
    );
    // The ledger as finance exports it, read through the ledger port rather than per claim.
    const today = todayInChina();
    let ledgerFen = 0;
    let ledgerEntries = 0;
    for await (const entry of stack.deps.ledger.entries({
      from: addDays(today, -1),
      to: addDays(today, 1),
    })) {
      ledgerFen += entry.payoutFen;
      ledgerEntries += 1;
    }
    const payable = plans.filter((p) => p.expected.state === 'PAID').length;
    const figures = {
      claims: plans.length,
      deliveries,
      payable,
      paid: ledgerEntries,
      duplicates: audit.duplicates,
      lost,
      wrong: wrongAmount,
      errors,
      failedRuns: failedExecutions,
      ledgerFen,
      expectedFen: Number(expectedFen),
      capMismatches: audit.capMismatches,
      seconds: secondsSince(started),
    };
    const ok =
      lost === 0 &&
      wrongAmount === 0 &&
      errors === 0 &&
      failedExecutions === 0 &&
      audit.duplicates === 0 &&
      audit.ledgerMismatches === 0 &&
      audit.capMismatches === 0 &&
      ledgerEntries === payable &&
      BigInt(ledgerFen) === expectedFen;
    return {
      label: 'duplicate delivery',
      figures,
      ok,
      failures: [...failures, ...audit.problems].slice(0, 10),
    };
  });
}

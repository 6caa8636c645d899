// A department's medical file as a bulk job on the local stack: a demo-fund household's member is
// matched through the members import, two settlements put the household's self-paid total of the
// year at 16,000 (threshold 10,000), and the job opens one data-feed claim that goes through the
// village gate, the public notice and the payout like any other; the same file again does nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentDate, startLocalStack, type TestStack } from '#cli/local/scratch-stack.ts';
import { connect } from '#cli/api-client.ts';
import { runImportJob } from '#cli/verbs/import-job.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { toMembersCsv } from '#shared/members.ts';

let stack: TestStack & { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const HOUSEHOLD = 'HH-F003';
const childBody = '43038120100304512';
const CHILD_ID = childBody + residentIdCheckDigit(childBody);
const quiet = { out: () => undefined, err: () => undefined };

async function until(claimId: string, states: readonly string[], timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const claim = await stack.deps.claims.get(claimId);
    if ((claim && states.includes(claim.state)) || Date.now() > deadline) return claim;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function advanceDays(days: number) {
  const response = await fetch(`${stack.apiUrl}/local/clock/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ days }),
  });
  expect(response.status).toBe(200);
}

function medicalCsv(stays: readonly { id: string; date: string; total: string; basic: string }[]): string {
  const header =
    'recordId,idNumber,name,hospital,admissionDate,dischargeDate,settlementDate,totalCost,basicInsurance,seriousIllness,medicalAssistance,otherReimbursed';
  const rows = stays.map(
    (s) => `${s.id},${CHILD_ID},赵小明,县人民医院,${s.date},${s.date},${s.date},${s.total},${s.basic},0,0,0`,
  );
  return [header, ...rows].join('\r\n') + '\r\n';
}

describe('a medical data feed', () => {
  it('opens one data-feed claim for a household past the threshold, reviewed at the village gate', async () => {
    const [head] = await stack.deps.roster.periods(HOUSEHOLD);
    expect(head).toBeDefined();
    const admin = await connect(stack.apiUrl, 'admin1');
    const members = toMembersCsv([
      { householdId: HOUSEHOLD, idNumber: head!.idNumber, name: head!.headName, relation: 'head' },
      { householdId: HOUSEHOLD, idNumber: CHILD_ID, name: '赵小明', relation: 'child' },
    ]);
    const imported = await runImportJob(admin, 'members', new TextEncoder().encode(members), quiet, {
      progress: false,
      pollMs: 100,
    });
    expect(imported.job).toMatchObject({ status: 'SUCCEEDED', imported: 2 });

    // Self-paid 9,000 + 7,000 = 16,000 this year.
    const insurer = await connect(stack.apiUrl, 'insurer1');
    const csv = medicalCsv([
      { id: 'YB-E2E-1', date: recentDate(30), total: '20000.00', basic: '11000.00' },
      { id: 'YB-E2E-2', date: recentDate(12), total: '10000.00', basic: '3000.00' },
    ]);
    const feed = await runImportJob(insurer, 'medical-feed', new TextEncoder().encode(csv), quiet, {
      progress: false,
      pollMs: 100,
    });
    expect(feed.job).toMatchObject({ status: 'SUCCEEDED', rows: 2, imported: 2, rejected: 0 });
    const job = await stack.deps.jobs.get(feed.job.jobId);
    expect(job).toMatchObject({ claimsOpened: 1 });

    const records = await stack.deps.feeds.householdRecords(HOUSEHOLD);
    expect(records.map((r) => [r.recordId, r.state, r.relation]).sort()).toEqual([
      ['YB-E2E-1', 'claimed', 'child'],
      ['YB-E2E-2', 'claimed', 'child'],
    ]);
    const claimId = records[0]!.claimId!;
    expect(records[1]!.claimId).toBe(claimId);

    // The claim is assessed like any other: a data-feed claim needs the village's check.
    const reviewed = await until(claimId, ['PENDING_REVIEW', 'REJECTED', 'NOTICE', 'PAID']);
    expect(reviewed).toMatchObject({
      state: 'PENDING_REVIEW',
      source: 'data-feed',
      householdId: HOUSEHOLD,
      category: 'medical',
      totalCostFen: 3_000_000,
      reimbursedFen: 1_400_000,
      submittedBy: 'insurer1',
      feedRecords: ['medical:YB-E2E-1', 'medical:YB-E2E-2'],
      payoutFen: 300_000,
    });
    expect(reviewed?.requiredGates).toEqual(['village']);
    const history = await stack.deps.claims.history(claimId);
    expect(history[0]).toMatchObject({
      to: 'RECEIVED',
      actor: 'insurer1',
      detail: { code: 'FEED_CLAIM_OPENED', params: { records: 2, category: 'medical' } },
    });

    // The village checks it; it is posted for five days, then paid at the margin of the year.
    const village = await stack.as('village1');
    const decided = await village('POST', `/claims/${claimId}/reviews`, {
      gate: 'village',
      decision: 'approve',
    });
    expect(decided.status).toBe(200);
    expect((await until(claimId, ['NOTICE']))?.state).toBe('NOTICE');
    await advanceDays(6);
    const paid = await until(claimId, ['PAID']);
    expect(paid).toMatchObject({ state: 'PAID', payoutFen: 300_000 });
    expect(await stack.deps.claims.ledgerEntry(claimId)).toMatchObject({ payoutFen: 300_000 });
    const year = Number(recentDate(12).slice(0, 4));
    expect((await stack.deps.claims.capCounter(HOUSEHOLD, year, 'medical')).countedFen).toBe(1_600_000);

    // The same file again opens nothing.
    const again = await runImportJob(insurer, 'medical-feed', new TextEncoder().encode(csv), quiet, {
      progress: false,
      pollMs: 100,
    });
    expect(again.job).toMatchObject({ status: 'DUPLICATE_FILE', duplicateOf: feed.job.jobId });
  }, 180_000);
});

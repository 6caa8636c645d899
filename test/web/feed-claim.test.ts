// A claim found in the departments' data (no receipt) in a real browser against the local stack:
// opened as the feed job opens it, assessed by the real workflow, marked 新发现 in the grid
// worker's list, shown with its records and what the village must do, and decided by the village.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recentDate,
  settled,
  startLocalStack,
  uploadClaim,
  type TestStack,
} from '#cli/local/scratch-stack.ts';
import { claimRecord } from '#cli/local/world.ts';
import type { FeedRecord } from '#shared/feed-record.ts';
import { launchChromium, newContext, screenshot, signIn } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

let stack: TestStack & { stop(): Promise<void> };
let browser: Browser;
let claimId = '';
let receiptId = '';
const RECORD_ID = 'YB-WEB-0001';
const expenseDate = recentDate(3);

/** The claim and its record, written as the feed job's finish step writes them, then assessed. */
async function openFeedClaim(): Promise<string> {
  const at = new Date().toISOString();
  const claim = claimRecord({
    householdId: 'HH-F001',
    category: 'medical',
    expenseDate,
    totalCostFen: 2_000_000,
    reimbursedFen: 600_000,
    submittedBy: 'admin1',
    gridWorker: 'worker1',
    region: 'demo-fund',
    village: '东山村',
    source: 'data-feed',
    feedRecords: [`medical:${RECORD_ID}`],
    filedAt: at,
    createdAt: at,
    updatedAt: at,
    version: 0,
  });
  const record: FeedRecord = {
    kind: 'medical',
    recordId: RECORD_ID,
    householdId: 'HH-F001',
    relation: 'spouse',
    capYear: Number(expenseDate.slice(0, 4)),
    expenseDate,
    totalCostFen: 2_000_000,
    reimbursedFen: 600_000,
    selfPaidFen: 1_400_000,
    place: '示范县人民医院',
    admissionDate: recentDate(10),
    dischargeDate: expenseDate,
    state: 'claimed',
    claimId: claim.claimId,
    firstJobId: 'JOB-WEB',
    jobId: 'JOB-WEB',
    corrections: 0,
    updatedAt: at,
    version: 1,
  };
  const opened = await stack.deps.feeds.openClaim(
    claim,
    [{ at, from: null, to: 'RECEIVED', actor: 'admin1' }],
    [{ record, expectedVersion: null }],
  );
  expect(opened).toBe(true);
  await stack.deps.workflows.resumeAssessment(claim.claimId);
  return claim.claimId;
}

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  claimId = await openFeedClaim();
  const assessed = await settled(stack, claimId);
  expect(assessed).toMatchObject({ state: 'PENDING_REVIEW', source: 'data-feed' });
  expect(assessed.requiredGates).toContain('village');
  expect(assessed.reviewReasons?.map((r) => r.code)).toContain('DATA_FEED');
  // In DynamoDB: the claim's evidence keeps its record's facts (settlement and discharge dates).
  const evidence = (await stack.deps.claims.householdEvidence('HH-F001')).find((e) => e.claimId === claimId);
  expect(evidence?.recordFacts).toEqual([`medical|${expenseDate}|2000000`]);
  // A grid worker's receipt for the same bill: a possible duplicate, never paid automatically.
  const receipt = await uploadClaim(stack, {
    householdId: 'HH-F001',
    category: 'medical',
    expenseDate,
    totalCost: '20000',
    reimbursed: '6000',
  });
  receiptId = receipt.claimId;
  expect(await settled(stack, receiptId)).toMatchObject({
    state: 'PENDING_REVIEW',
    possibleDuplicates: [{ claimId, by: 'feed', recordKey: `medical:${RECORD_ID}` }],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('a claim found in the departments’ data', () => {
  it('the grid worker sees it marked 新发现, with its records and what the village must do', async () => {
    const { context, errors } = await newContext(browser);
    const page = await signIn(context, stack.apiUrl, 'worker1');
    await page.goto(`${stack.apiUrl}/#/claims`);
    const row = page.locator('tr', { has: page.locator(`a[title="${claimId}"]`) });
    await expect.poll(() => row.getByTestId('found-in-data').textContent()).toBe('新发现');

    await page.goto(`${stack.apiUrl}/#/claims/${claimId}`);
    await page.getByTestId('feed-evidence').waitFor();
    const evidence = (await page.getByTestId('feed-evidence').textContent()) ?? '';
    expect(evidence).toContain('数据来源：医保结算数据');
    expect(evidence).toContain(RECORD_ID);
    expect(evidence).toContain('示范县人民医院');
    expect(evidence).toContain('配偶');
    expect(evidence).toContain('¥14,000.00');
    expect(await page.getByTestId('claim-source-explain').textContent()).toContain('入户核实');
    // No receipt to show, and no English words on the Chinese page.
    expect(await page.locator('.receipt-view').count()).toBe(0);
    const main = (await page.textContent('main')) ?? '';
    expect(main).not.toMatch(/data-feed|Found in|receipt/i);
    await screenshot(page, 'feed-claim-worker');

    await page.getByRole('button', { name: 'English' }).click();
    await page.goto(`${stack.apiUrl}/#/claims`);
    await expect.poll(() => row.getByTestId('found-in-data').textContent()).toBe('Found in data');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('the village verifier sees the records in the receipt’s place and decides', async () => {
    const { context, errors } = await newContext(browser);
    const page = await signIn(context, stack.apiUrl, 'village1');
    // The receipt claim for the same bill: its receipt beside the department's record.
    await page.goto(`${stack.apiUrl}/#/claims/${receiptId}`);
    const compare = page.getByTestId('receipt-compare');
    await compare.waitFor();
    expect(await compare.textContent()).toContain('部门数据中有同一笔费用');
    await expect.poll(() => compare.getByTestId('feed-record').count()).toBe(1);

    await page.goto(`${stack.apiUrl}/#/claims/${claimId}`);
    const records = page.locator('.review-receipt').getByTestId('feed-record');
    await expect.poll(() => records.count()).toBe(1);
    expect(await records.first().textContent()).toContain(RECORD_ID);
    await screenshot(page, 'feed-claim-review');
    await page.getByLabel('审核意见').fill('已入户核实，住院属实');
    await page.getByRole('button', { name: '通过', exact: true }).click();
    await page.getByText('已提交审核意见').waitFor();
    expect((await stack.deps.claims.get(claimId))?.gates.village).toMatchObject({
      decision: 'approve',
      by: 'village1',
    });
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});

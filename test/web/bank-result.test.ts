// Finance in a real browser against the real local stack: the bank's result file uploaded on its
// page (counts and the rows not applied, in Chinese), the claim page with the bank's reason and a
// 重新拨付 button that says why it cannot yet, and the ledger page's reconciliation table.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recentDate,
  settled,
  startLocalStack,
  uploadClaim,
  type TestStack,
} from '#cli/local/scratch-stack.ts';
import { fenToYuan, formatFen } from '#shared/money.ts';
import { latestPeriod } from '#shared/bank-result.ts';
import { desk, launchChromium, newContext, signIn } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

let stack: TestStack & { stop(): Promise<void> };
let browser: Browser;
const paid: { claimId: string; payoutFen: number; householdId: string }[] = [];

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  for (const householdId of ['HH-0001', 'HH-0002']) {
    const { claimId } = await uploadClaim(stack, {
      householdId,
      totalCost: '15000',
      expenseDate: recentDate(3),
    });
    const claim = await settled(stack, claimId);
    expect(claim.state).toBe('PAID');
    paid.push({ claimId, payoutFen: claim.payoutFen ?? 0, householdId });
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the bank result file in the web app', () => {
  it('uploads the file, shows the failure on the claim, and reconciles on the ledger page', async () => {
    const account = async (householdId: string) =>
      latestPeriod(await stack.deps.roster.periods(householdId))?.bankAccount ?? '';
    const [a, b] = paid as [(typeof paid)[number], (typeof paid)[number]];
    const csv = [
      'claimId,bankAccount,amount,status,bankRef,reason',
      `${a.claimId},${await account(a.householdId)},${fenToYuan(a.payoutFen)},success,BK-W1,`,
      `${b.claimId},${await account(b.householdId)},${fenToYuan(b.payoutFen)},失败,,账户已冻结`,
      `01ZZZZZZZZZZZZZZZZZZZZZZZZ,6230900000000000009,1.00,success,BK-W9,`,
    ].join('\r\n');

    const { context, errors } = await newContext(browser, desk);
    const page = await signIn(context, stack.apiUrl, 'finance1');
    await page.goto(`${stack.apiUrl}/#/bank`);
    await page.getByRole('heading', { name: '银行回盘文件导入' }).waitFor();
    await page.getByLabel('银行回盘 CSV 文件').setInputFiles({
      name: 'result.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.getByRole('button', { name: '导入' }).click();
    const result = page.getByTestId('bank-result');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toBe('已到账 1 笔，拨付失败 1 笔；0 行与赔付不一致，1 行无法对应');
    await page.getByText('申请编号：没有这笔赔付').waitFor();

    await page.goto(`${stack.apiUrl}/#/claims/${b.claimId}`);
    await page.getByText('账户已冻结（回盘文件第 3 行').waitFor();
    await page.getByRole('button', { name: '重新拨付' }).click();
    await page.getByText('该户在名单上的银行账号仍是拨付失败的那个').waitFor();
    expect((await stack.deps.claims.get(b.claimId))?.state).toBe('DISBURSEMENT_FAILED');

    await page.goto(`${stack.apiUrl}/#/ledger`);
    const table = page.getByTestId('reconciliation');
    await table.waitFor();
    await expect
      .poll(async () => page.getByTestId('reconciliation-paid').textContent())
      .toBe(formatFen(a.payoutFen + b.payoutFen));
    expect(await page.getByTestId('reconciliation-disbursed').textContent()).toBe(formatFen(a.payoutFen));
    expect(await page.getByTestId('reconciliation-failed').textContent()).toBe(formatFen(b.payoutFen));
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});

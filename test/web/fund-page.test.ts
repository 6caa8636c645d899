// Finance on the relief fund page in a real browser on a 360 px phone, against the local stack
// with a 1,000-yuan fund: the figures, the balance chart with its month-end table, and a top-up
// whose dialog shows how many waiting claims it pays and their total before anything is sent.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settled, startLocalStack, uploadClaim, type TestStack } from '#cli/local/scratch-stack.ts';
import { parsePolicy, type PolicyDocument } from '#shared/policy.ts';
import demo from '#shared/data/policies/demo-v1.json' with { type: 'json' };
import demoFund from '#shared/data/policies/demo-fund-v1.json' with { type: 'json' };
import { launchChromium, newContext, screenshot, signIn } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

let stack: TestStack & { stop(): Promise<void> };
let browser: Browser;
const waiting: { claimId: string; payoutFen: number }[] = [];

const smallFund = parsePolicy({
  ...(demoFund as PolicyDocument),
  noticeDays: 0,
  appealDays: 0,
  fund: { initialYuan: '1000' },
});

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([
    startLocalStack({ policies: [parsePolicy(demo), smallFund] }),
    launchChromium(),
  ]);
  // 800 yuan paid (200 left), then 500 and 300 yuan wait.
  const paid = await uploadClaim(stack, { householdId: 'HH-F001', totalCost: '9600' });
  expect((await settled(stack, paid.claimId)).state).toBe('PAID');
  for (const [householdId, totalCost] of [
    ['HH-F002', '9000'],
    ['HH-F003', '8600'],
  ] as const) {
    const { claimId } = await uploadClaim(stack, { householdId, totalCost });
    const claim = await settled(stack, claimId);
    expect(claim.state).toBe('AWAITING_FUNDS');
    waiting.push({ claimId, payoutFen: claim.payoutFen ?? 0 });
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const narrowPhone = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/** Elements reaching past the screen's edge (table scrollers scroll on their own). */
async function offenders(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      if ((rect.width === 0 && rect.height === 0) || rect.right <= 0) continue;
      if (el.closest('.scroll') && !el.classList.contains('scroll')) continue;
      if (rect.left < -0.5 || rect.right > 360.5)
        out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
    }
    return out;
  });
}

describe('fund page, finance', () => {
  it('shows the fund and pays the waiting claims after a confirmed top-up', async () => {
    const { context, errors } = await newContext(browser, narrowPhone);
    const page = await signIn(context, stack.apiUrl, 'finance1');
    await page.getByRole('link', { name: '帮扶基金' }).click();
    await page.getByRole('heading', { name: '防贫帮扶基金', level: 1 }).waitFor();
    await expect.poll(() => page.getByTestId('fund-balance').textContent()).toBe('¥200.00');
    expect(await page.getByTestId('fund-paid').textContent()).toBe('¥800.00');
    expect(await page.getByTestId('fund-waiting').textContent()).toBe('2 件');
    // Paid 800 today: at 800/30 a day, 200 yuan last 8 days (rounded up).
    await expect
      .poll(() => page.getByTestId('fund-run-out').textContent())
      .toMatch(/^\d{4}年\d{1,2}月\d{1,2}日$/);
    await page.getByRole('table', { name: '每月月末余额' }).waitFor();
    await page.locator('canvas[role="img"]').waitFor();
    expect(await offenders(page)).toEqual([]);

    // 600 yuan: 800 in the fund pays 500 (the older claim) and 300 (the next).
    await page.getByLabel('追加金额（元）').fill('600');
    await page.getByLabel('凭证号').fill('县财政-2026-12');
    await page.getByRole('button', { name: '核对后追加' }).click();
    const dialog = page.getByRole('dialog', { name: '确认追加资金' });
    await dialog.waitFor();
    expect(await dialog.getByTestId('confirm-amount').textContent()).toBe('¥600.00');
    expect(await dialog.getByTestId('confirm-pays').textContent()).toBe('2 件，共 ¥800.00');
    const box = await dialog.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 360).toBe(true);
    await screenshot(page, 'fund-confirm-360');

    // Cancel sends nothing.
    await dialog.getByRole('button', { name: '取消' }).click();
    await dialog.waitFor({ state: 'hidden' });
    for (const w of waiting) expect((await stack.deps.claims.get(w.claimId))?.state).toBe('AWAITING_FUNDS');

    await page.getByRole('button', { name: '核对后追加' }).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: '确认追加' }).click();
    await expect
      .poll(() => page.getByTestId('fund-notice').textContent())
      .toContain('本次从等待队列赔付 2 件，共 ¥800.00');
    for (const w of waiting) expect((await stack.deps.claims.get(w.claimId))?.state).toBe('PAID');
    await expect.poll(() => page.getByTestId('fund-balance').textContent()).toBe('¥0.00');
    await expect.poll(() => page.getByTestId('fund-topups').textContent()).toContain('县财政-2026-12');
    expect(await page.getByTestId('fund-topups').textContent()).toContain('finance1');
    expect(await offenders(page)).toEqual([]);
    await screenshot(page, 'fund-after-topup-360');

    // The same reference again: the page says nothing was added.
    await page.getByLabel('追加金额（元）').fill('600');
    await page.getByLabel('凭证号').fill('县财政-2026-12');
    await page.getByRole('button', { name: '核对后追加' }).click();
    await dialog.getByRole('button', { name: '确认追加' }).click();
    await expect.poll(() => page.getByTestId('fund-notice').textContent()).toContain('这次没有再追加');
    await expect.poll(() => page.getByTestId('fund-balance').textContent()).toBe('¥0.00');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('refuses an amount that is not yuan before anything is sent; the auditor reads without a form', async () => {
    const { context } = await newContext(browser, narrowPhone);
    const page = await signIn(context, stack.apiUrl, 'finance1');
    await page.goto(`${stack.apiUrl}/#/fund`);
    await page.getByTestId('fund-balance').waitFor();
    await page.getByLabel('追加金额（元）').fill('1.005');
    await page.getByLabel('凭证号').fill('R-1');
    await page.getByRole('button', { name: '核对后追加' }).click();
    await page.getByText('请填写大于 0 的金额（元），最多两位小数').waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await context.close();

    const auditor = await newContext(browser, narrowPhone);
    const audit = await signIn(auditor.context, stack.apiUrl, 'auditor1');
    await audit.goto(`${stack.apiUrl}/#/fund`);
    await audit.getByTestId('fund-balance').waitFor();
    expect(await audit.getByLabel('追加金额（元）').count()).toBe(0);
    await auditor.context.close();
  }, 60_000);
});

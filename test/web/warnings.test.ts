// Return-to-poverty warnings in the browser on a 360 px phone: the grid worker's household cards
// carry the level's badge red first and say why in Chinese with the expenses; the county view
// shows the villages coloured with their counts and the list. Nothing reaches past the screen.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, uploadClaim, settled, type TestStack } from '#cli/local/scratch-stack.ts';
import { parsePolicy, type PolicyDocument } from '#shared/policy.ts';
import demoFund from '#shared/data/policies/demo-fund-v1.json' with { type: 'json' };
import { launchChromium, newContext, screenshot, signIn } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

const fund = parsePolicy({ ...(demoFund as PolicyDocument), noticeDays: 0, appealDays: 0 });
const narrowPhone = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

let stack: TestStack & { stop(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ policies: [fund] }), launchChromium()]);
  // HH-F001 (income 9,800): 9,600 self-paid and paid: red. HH-F003 (30,000): 5,000 counted below
  // the threshold: blue.
  for (const [householdId, totalCost] of [
    ['HH-F001', '9600'],
    ['HH-F003', '5000'],
  ] as const) {
    const { claimId } = await uploadClaim(stack, { householdId, totalCost, category: 'education' });
    await settled(stack, claimId);
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Elements reaching past the 360 px screen (table scrollers aside). */
function overflowing(page: Page) {
  return page.evaluate(
    () =>
      [...document.body.querySelectorAll('*')]
        .filter((el) => !el.closest('.scroll'))
        .map((el) => el.getBoundingClientRect())
        .filter((r) => (r.width > 0 || r.height > 0) && r.right > 0 && (r.left < -0.5 || r.right > 360.5))
        .length,
  );
}

describe('warnings in the browser', () => {
  it("puts the grid worker's red household first, with its badge and why", async () => {
    const { context, errors } = await newContext(browser, narrowPhone);
    const page = await signIn(context, stack.apiUrl, 'worker1');
    const cards = page.locator('li.household');
    await cards.first().waitFor();
    await expect.poll(() => cards.first().locator('strong').first().textContent()).toBe('HH-F001');
    expect(await cards.first().getByTestId('warning-badge').textContent()).toBe('红色预警');
    expect(await cards.nth(1).getByTestId('warning-badge').textContent()).toBe('蓝色预警');
    await cards.first().getByText('为什么是这个等级').click();
    const why = cards.first().getByTestId('warning-why');
    await expect
      .poll(() => why.locator('p').textContent())
      .toBe('近365天自付 ¥9,600.00，占家庭年收入 97.95%，达到红色预警线（50%）');
    const row = (await why.locator('tbody tr').first().innerText()).replace(/\s+/g, ' ');
    expect(row).toContain('因学');
    expect(row).toContain('¥9,600.00');
    expect(row).toContain('票据申请');
    expect(await overflowing(page)).toBe(0);
    await screenshot(page, '60-worker-household-warning');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('shows the county view to an admin: villages by level, the list, a CSV', async () => {
    const { context, errors } = await newContext(browser, narrowPhone);
    const page = await signIn(context, stack.apiUrl, 'admin1');
    await page.goto(`${stack.apiUrl}/#/warnings`);
    const grid = page.getByTestId('village-grid');
    await grid.waitFor();
    await expect.poll(() => grid.locator('button').count()).toBe(3);
    expect(await grid.getByRole('button', { name: /东山村/ }).textContent()).toContain('红 1 · 橙 0 · 蓝 0');
    const list = page.getByTestId('warning-list');
    expect(await list.locator('li').count()).toBe(2);
    await grid.getByRole('button', { name: /西河村/ }).click();
    await expect.poll(() => list.locator('li strong').allTextContents()).toEqual(['HH-F003']);
    expect(await overflowing(page)).toBe(0);
    await screenshot(page, '61-county-warnings');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: '下载 CSV' }).click();
    expect((await download).suggestedFilename()).toMatch(/^warnings-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});

// A grid worker on a small phone: finds a household by name, id or village, filters by status
// and by a claim in progress, sees each household's claims this year and the cap used, reads the
// heads' names in full (their own households only; ID numbers masked), and keeps the expected
// payout in sight while typing amounts with the keyboard up.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRosterCsv } from '#shared/roster.ts';
import { demoRosterCsv } from '#cli/local/demo-data.ts';
import {
  recentDate,
  settled,
  startLocalStack,
  uploadClaim,
  type TestStack,
} from '#cli/local/scratch-stack.ts';
import { launchChromium, newContext, screenshot, signIn } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

let stack: TestStack & { stop(): Promise<void> };
let browser: Browser;
const roster = parseRosterCsv(demoRosterCsv()).periods;
const headOf = (id: string) => roster.find((p) => p.householdId === id)?.headName ?? '';

/** A phone with the on-screen keyboard up: about half of a 720 px screen is left. */
const phoneWithKeyboard = {
  viewport: { width: 360, height: 360 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

const cards = (page: Page) => page.locator('li.household');

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  const expenseDate = recentDate(5);
  const paid = await uploadClaim(stack, { householdId: 'HH-0001', totalCost: '15000', expenseDate });
  const review = await uploadClaim(stack, { householdId: 'HH-0003', totalCost: '22700', expenseDate });
  const refused = await uploadClaim(stack, { householdId: 'HH-0002', totalCost: '5000', expenseDate });
  expect((await settled(stack, paid.claimId)).state).toBe('PAID');
  expect((await settled(stack, review.claimId)).state).toBe('PENDING_REVIEW');
  expect((await settled(stack, refused.claimId)).state).toBe('REJECTED');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('grid worker on a phone', () => {
  it('finds households by name, id or village, filters them, and sees this year at a glance', async () => {
    const { context, errors } = await newContext(browser, {
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await signIn(context, stack.apiUrl, 'worker1');
    await cards(page).first().waitFor();
    const own = (await (await stack.as('worker1'))('GET', '/households')).body.items as {
      householdId: string;
      village: string;
      status: string | null;
    }[];
    expect(await cards(page).count()).toBe(own.length);

    // The heads' names in full for their own households; ID numbers masked.
    const hh1 = cards(page).filter({ hasText: 'HH-0001' });
    expect(await hh1.getByTestId('head-name').textContent()).toBe(headOf('HH-0001'));
    expect(await page.locator('[data-testid="head-name"]', { hasText: '*' }).count()).toBe(0);
    const text = (await page.textContent('main')) ?? '';
    expect(text).not.toMatch(/\d{17}[\dX]/);

    // This year's claims and the cap used, from the worker's own claims.
    await expect.poll(() => hh1.getByTestId('year-claims').textContent()).toBe('1 件');
    expect(await hh1.getByTestId('cap-used').textContent()).toBe('因学 ¥3,500.00 / ¥20,000.00');
    const hh3 = cards(page).filter({ hasText: 'HH-0003' });
    expect(await hh3.getByTestId('year-claims').textContent()).toBe('1 件 · 1 件办理中');
    expect(await hh3.getByTestId('cap-used').textContent()).toBe('还没有赔付');

    const search = page.getByLabel('搜索');
    await search.fill(headOf('HH-0002'));
    await expect.poll(() => cards(page).locator('strong').allTextContents()).toEqual(['HH-0002']);
    await search.fill('hh-0003');
    await expect.poll(() => cards(page).locator('strong').allTextContents()).toEqual(['HH-0003']);
    await search.fill('向阳村');
    const inVillage = own.filter((h) => h.village === '向阳村').length;
    await expect.poll(() => cards(page).count()).toBe(inVillage);
    expect(await page.getByTestId('households-shown').textContent()).toBe(
      `显示 ${inVillage} / ${own.length} 户`,
    );
    await search.fill('');

    await page.getByLabel('只看有未办结申请的').check();
    await expect.poll(() => cards(page).locator('strong').allTextContents()).toEqual(['HH-0003']);
    await page.getByLabel('只看有未办结申请的').uncheck();
    await page.getByLabel('当前状态').selectOption('removed');
    const removed = own.filter((h) => h.status === 'removed').length;
    expect(removed).toBeGreaterThan(0);
    await expect.poll(() => cards(page).count()).toBe(removed);
    // A household no longer on the roster offers no new claim.
    expect(await cards(page).getByRole('link', { name: '为此户申请' }).count()).toBe(0);
    await screenshot(page, '20-worker-households-filtered');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('keeps the expected payout in sight while amounts are typed with the keyboard up', async () => {
    const { context, errors } = await newContext(browser, phoneWithKeyboard);
    const page = await signIn(context, stack.apiUrl, 'worker1');
    // A fresh load of the form's own address (not a hash change on the households page): once
    // on CI the hash change's page never showed within 30 s while the machine was busy.
    await page.goto('about:blank');
    await page.goto(`${stack.apiUrl}/#/new?household=HH-0001`);
    await page.getByRole('heading', { name: '新建理赔申请' }).waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByLabel('农户').inputValue()).toBe('HH-0001');
    await page.getByLabel('因学').check();
    const summary = page.getByTestId('quote-summary');
    const inSight = () =>
      summary.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
      });

    const total = page.getByLabel('总费用（元）');
    await total.focus();
    await page.keyboard.type('22700');
    await expect.poll(() => summary.textContent()).toContain('¥8,120.00');
    expect(await inSight()).toBe(true);
    // The field being typed in is in sight too, and not under the summary.
    const [field, box] = await Promise.all([total.boundingBox(), summary.boundingBox()]);
    expect(field && box && field.y >= box.y + box.height - 1).toBe(true);

    const reimbursed = page.getByLabel('已报销 / 已救助金额（元）');
    await reimbursed.focus();
    await reimbursed.scrollIntoViewIfNeeded();
    await page.keyboard.type('7700');
    // 22,700 - 7,700 = 15,000 self-paid: the 15,000 quote.
    await expect.poll(() => summary.textContent()).toContain('¥3,500.00');
    expect(await inSight()).toBe(true);
    // The same figure as the full breakdown below the form.
    expect(await page.getByTestId('quote-payout').textContent()).toBe('¥3,500.00');
    await screenshot(page, '21-worker-quote-while-typing');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});

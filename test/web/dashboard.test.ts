// The dashboard against the local stack: payouts by month and category in money and counts,
// time from upload to payout in honest units, the review backlog by gate and age, villages;
// charts drawn by chart.js from a chunk only this page loads, each with its figures in a table.
import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recentDate,
  settled,
  startLocalStack,
  uploadClaim,
  type TestStack,
} from '#cli/local/scratch-stack.ts';
import { desk, launchChromium, newContext, phone, screenshot, signIn } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';
import { formatFen } from '#shared/money.ts';

let stack: TestStack & { stop(): Promise<void> };
let browser: Browser;
/** What the two paid claims paid, as the workflow priced them. */
let paidFen = 0;

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  const expenseDate = recentDate(5);
  const claims = [
    await uploadClaim(stack, { householdId: 'HH-0001', totalCost: '15000', expenseDate }),
    await uploadClaim(stack, { householdId: 'HH-0002', totalCost: '16000', expenseDate }),
    await uploadClaim(stack, { householdId: 'HH-0003', totalCost: '22700', expenseDate }), // review
  ];
  const states = [];
  for (const c of claims) {
    const claim = await settled(stack, c.claimId);
    states.push(claim.state);
    if (claim.state === 'PAID') paidFen += claim.payoutFen ?? 0;
  }
  expect(states).toEqual(['PAID', 'PAID', 'PENDING_REVIEW']);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('dashboard', () => {
  it('shows payouts, time to payout, backlog and villages, each chart with its table', async () => {
    const api = await stack.as('insurer1');
    const stats = (await api('GET', '/stats?months=3')).body;
    expect(stats.payouts.count).toBe(2);
    expect(paidFen).toBeGreaterThan(350_000);
    expect(stats.payouts.fen).toBe(paidFen);
    expect(stats.backlog.total).toBe(1);
    expect(stats.timeToPay.n).toBe(2);
    // The local stack pays in seconds.
    expect(stats.timeToPay.p90Seconds).toBeLessThan(60);

    const { context, errors } = await newContext(browser, desk);
    const chunks: string[] = [];
    context.on('request', (r: Request) => chunks.push(r.url()));
    const page = await signIn(context, stack.apiUrl, 'insurer1');
    expect(chunks.some((u) => /bar-chart/.test(u))).toBe(false);
    await page.getByRole('link', { name: '统计' }).click();
    await page.getByRole('heading', { name: '按月份和类别的赔付' }).waitFor();
    expect(await page.getByTestId('paid-total').textContent()).toBe(formatFen(paidFen));
    expect(await page.getByTestId('paid-count').textContent()).toBe('2');
    expect(await page.getByTestId('backlog-total').textContent()).toBe('1');
    expect(await page.getByTestId('count-PAID').textContent()).toBe('2');
    expect(await page.getByTestId('count-PENDING_REVIEW').textContent()).toBe('1');

    // Money and counts per month and category, in the table that is the chart's text alternative.
    const month = await page.getByTestId('payouts-table').locator('tbody tr').last().textContent();
    expect(month).toContain(`${formatFen(paidFen)} · 2 件`);
    // Seconds read as seconds.
    expect(await page.getByTestId('median').textContent()).toMatch(/^(不到 1 秒|\d+ 秒)$/);
    expect(await page.getByTestId('pay-time-table').locator('tbody tr').first().textContent()).toBe(
      '不到 1 分钟2',
    );
    // The backlog: one claim at the village gate, waiting less than a day.
    const gateRow = page.getByTestId('backlog-table').locator('tbody tr').first();
    expect(await gateRow.locator('th').textContent()).toBe('村级核实');
    expect(await gateRow.locator('td').first().textContent()).toBe('1');
    expect(await page.getByTestId('village-table').textContent()).toContain('红星村');

    // Three charts drawn (pixels on each canvas), each named for assistive technology.
    const canvases = page.locator('canvas[role="img"]');
    await expect.poll(() => canvases.count()).toBe(3);
    for (const canvas of await canvases.all()) {
      expect(await canvas.getAttribute('aria-label')).toBeTruthy();
      await expect
        .poll(() =>
          canvas.evaluate((c: HTMLCanvasElement) => {
            const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) painted += 1;
            return painted;
          }),
        )
        .toBeGreaterThan(500);
    }
    expect(chunks.some((u) => /\/assets\/bar-chart-[\w-]+\.js$/.test(u))).toBe(true);
    await screenshot(page, '22-dashboard');

    // In English the units are English, and another period asks the API again.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Payouts by month and category' }).waitFor();
    expect(await page.getByTestId('median').textContent()).toMatch(/^(under 1 s|\d+ s)$/);
    await page.getByLabel('Period').selectOption('12');
    await expect
      .poll(() => page.getByTestId('payouts-table').locator('tbody tr').count(), { timeout: 20_000 })
      .toBe(12);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it("a grid worker's phone never downloads chart.js, and workers cannot read the stats", async () => {
    const { context, errors } = await newContext(browser, phone);
    const chunks: string[] = [];
    context.on('request', (r: Request) => chunks.push(r.url()));
    const page = await signIn(context, stack.apiUrl, 'worker1');
    await page.locator('li.household').first().waitFor();
    await page.goto(`${stack.apiUrl}/#/new`);
    await page.getByRole('heading', { name: '新建理赔申请' }).waitFor();
    await page.goto(`${stack.apiUrl}/#/claims`);
    await page.locator('table.list').waitFor();
    expect(chunks.filter((u) => /bar-chart|dashboard/.test(u))).toEqual([]);
    const worker = await stack.as('worker1');
    expect((await worker('GET', '/stats')).status).toBe(403);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});

// The village notice board (村务公示) in the browser, against the real local stack with claims on
// notice: the board a village posts (title with the fund's and the village's names, period,
// masked heads, amounts, end of notice, how to object) for any role, a phone at 360 px without
// sideways scrolling, the A4 print (no menu or buttons, black on white, the table within the
// sheet's 794 px), the print button, and a claim on notice showing its notice end and estimate.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type TestStack } from '#cli/local/scratch-stack.ts';
import { launchChromium, newContext, screenshot } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';
import { seedNoticeClaims, type NoticeClaims } from '#test/web/support/notice-claims.ts';
import { noticeVerb } from '#cli/verbs/notice.ts';

let stack: TestStack & { stop(): Promise<void> };
let browser: Browser;
let claims: NoticeClaims;
const board = `/#/notice?region=demo-fund&village=${encodeURIComponent('东山村')}`;

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  claims = await seedNoticeClaims(stack);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signedIn(username: string, options: Parameters<Browser['newContext']>[0]) {
  const { context, errors } = await newContext(browser, options);
  const page = await context.newPage();
  await page.goto(`${stack.apiUrl}/`);
  await page.getByLabel('用户名').fill(username);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('button', { name: '退出' }).waitFor();
  return { page, errors, close: () => context.close() };
}

const rowTexts = (page: Page) =>
  page
    .locator('table.notice-table tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
    );

describe('the village notice board', () => {
  it('is reached from the menu, shows the board with heads masked, and claims on notice link to it', async () => {
    const { page, errors, close } = await signedIn('village1', { viewport: { width: 1280, height: 900 } });
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '村务公示' }).click();
    await page.getByText('请选择项目地区并填写村名').waitFor();
    await page.getByLabel('项目地区').selectOption('demo-fund');
    await page.getByLabel('村', { exact: true }).fill('东山村');
    await page.getByRole('button', { name: '查看公示' }).click();
    await page.getByTestId('notice-sheet').waitFor();
    expect(await page.locator('#notice-heading').textContent()).toBe(
      '示范县防贫帮扶基金 东山村 防贫救助公示',
    );
    const headers = await page.locator('table.notice-table thead th').allTextContents();
    expect(headers).toEqual(['户主', '农户编号', '类别', '拟赔付金额', '公示截止']);
    // Soonest end first; names masked for a village verifier too; amounts as money; China time.
    const rows = await rowTexts(page);
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      ['郑**', 'HH-F007', '因病', '¥8,120.00'],
      ['陈**', 'HH-F001', '因学', '¥3,500.00'],
    ]);
    for (const row of rows) expect(row[4]).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d$/);
    const text = await page.innerText('main');
    expect(text).toMatch(/公示期：\d{4}年\d{1,2}月\d{1,2}日 至 \d{4}年\d{1,2}月\d{1,2}日/);
    expect(text).toContain('共 2 笔，合计 ¥11,620.00');
    expect(text).toContain('村级核实员');
    for (const name of ['陈国强', '郑海波']) expect(text).not.toContain(name);
    // The print button prints (the browser's dialog is replaced here by a flag).
    await page.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => {
        (window as unknown as { printed: number }).printed += 1;
      };
    });
    await page.getByRole('button', { name: '打印' }).click();
    expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
    // Another village of the region: an empty board that says so.
    await page.goto(`${stack.apiUrl}/#/notice?region=demo-fund&village=${encodeURIComponent('西河村')}`);
    await page.getByText('本村目前没有公示中的申请').waitFor();

    // A claim on notice: its estimate, the end of its notice, the year's self-paid total, the board.
    await page.goto(`${stack.apiUrl}/#/claims/${claims.first}`);
    await page.getByTestId('claim-estimate').waitFor();
    expect(await page.locator('.state-line').innerText()).toContain('公示中');
    expect(await page.getByTestId('claim-estimate').textContent()).toBe('¥3,500.00');
    expect(await page.getByTestId('claim-payout').count()).toBe(0);
    expect(await page.innerText('main')).toContain('公示期满无异议后赔付');
    expect(await page.getByTestId('claim-notice-ends').textContent()).toMatch(
      /^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d$/,
    );
    expect(await page.getByTestId('claim-accumulated').textContent()).toBe('¥5,000.00 → ¥20,000.00');
    expect(await page.getByTestId('claim-source').count()).toBe(0);
    await page.getByRole('link', { name: '查看本村公示' }).click();
    await page.locator('table.notice-table').waitFor();
    expect(await page.locator('#notice-heading').textContent()).toContain('东山村');
    // A claim a department's data feed found says so.
    await page.goto(`${stack.apiUrl}/#/claims/${claims.second}`);
    await page.getByTestId('claim-source').waitFor();
    expect(await page.getByTestId('claim-source').textContent()).toBe('数据比对发现');
    expect(errors).toEqual([]);
    await close();
  }, 90_000);

  it('claims notice prints the same board, and --json is the API answer', async () => {
    const run = async (...args: string[]) => {
      const out: string[] = [];
      await noticeVerb(['--region', 'demo-fund', '--village', '东山村', '--api', stack.apiUrl, ...args], {
        out: (t) => out.push(t),
        err: () => undefined,
      });
      return out;
    };
    const json = JSON.parse((await run('--json', '--as', 'worker1')).join('')) as {
      entries: { claimId: string; headName: string; payoutFen: number }[];
    };
    expect(json.entries.map((e) => [e.claimId, e.headName, e.payoutFen])).toEqual([
      [claims.second, '郑**', 812_000],
      [claims.first, '陈**', 350_000],
    ]);
    const lines = await run();
    expect(lines[0]).toBe('示范县防贫帮扶基金 东山村 防贫救助公示');
    expect(lines[1]).toMatch(/^公示期：\d{4}-\d\d-\d\d \d\d:\d\d 至 /);
    expect(lines[2]).toBe('户主\t农户编号\t类别\t拟赔付金额\t公示截止');
    expect(lines[3]).toMatch(/^郑\*\*\tHH-F007\t因病\t¥8,120\.00\t\d{4}-/);
    expect(lines.at(-1)).toContain('村级核实员');
    expect((await run('--lang', 'en'))[2]).toBe(
      'Head of household\tHousehold ID\tCategory\tProposed payout\tNotice ends',
    );
  }, 30_000);

  it('prints on A4: no menu, header or buttons, black on white, the table within 794 px', async () => {
    const { page, errors, close } = await signedIn('worker2', { viewport: { width: 794, height: 1123 } });
    await page.goto(`${stack.apiUrl}${board}`);
    await page.locator('table.notice-table').waitFor();
    await page.emulateMedia({ media: 'print' });
    for (const selector of ['nav.menu', 'header.top', '.notice-controls', '.page-head'])
      expect(await page.locator(selector).first().isVisible(), selector).toBe(false);
    expect(await page.getByRole('button').filter({ visible: true }).count()).toBe(0);
    const box = await page.locator('table.notice-table').boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(794);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(794);
    const colours = await page.evaluate(() => {
      const cell = document.querySelector('table.notice-table td')!;
      return {
        body: getComputedStyle(document.body).backgroundColor,
        ink: getComputedStyle(cell).color,
        border: getComputedStyle(cell).borderTopColor,
      };
    });
    expect(colours).toEqual({ body: 'rgb(255, 255, 255)', ink: 'rgb(0, 0, 0)', border: 'rgb(0, 0, 0)' });
    // Every row whole, with the header row: what the sheet shows.
    expect((await rowTexts(page)).map((r) => r[1])).toEqual(['HH-F007', 'HH-F001']);
    // Chromium lays the page out on A4 paper.
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await screenshot(page, 'notice-board-print');
    expect(errors).toEqual([]);
    await close();
  }, 60_000);

  it('reads on a 360 px phone without sideways scrolling, each row a card with its labels', async () => {
    const { page, errors, close } = await signedIn('worker1', {
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await page.goto(`${stack.apiUrl}${board}`);
    await page.locator('table.notice-table').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    const label = await page
      .locator('table.notice-table tbody td')
      .first()
      .evaluate((td) => getComputedStyle(td, '::before').content);
    expect(label).toBe('"户主"');
    await screenshot(page, 'notice-board-phone');
    expect(errors).toEqual([]);
    await close();
  }, 60_000);
});

// The departments' data feeds (数据比对导入) in a real browser against the real local stack, on a
// 360 px phone: an insurer picks the kind, uploads a settlement file, follows the job, and reads
// the counts, the claim the file opened (a link to it) and the refused row, in Chinese, with the
// error report to download; then an admin's tuition file, below the threshold: no claim.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentDate, startLocalStack, type TestStack } from '#cli/local/scratch-stack.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { educationColumns, medicalColumns } from '#shared/feed.ts';
import { launchChromium, newContext, screenshot, signIn } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

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
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const headOf = async (householdId: string) => (await stack.deps.roster.periods(householdId))[0]!.idNumber;
const outsiderBody = '43010219850505123';
const outsider = outsiderBody + residentIdCheckDigit(outsiderBody);

async function fitsTheScreen(page: Page) {
  const width = await page.evaluate(() => document.scrollingElement?.scrollWidth ?? 0);
  expect(width).toBeLessThanOrEqual(360);
}

async function upload(page: Page, name: string, csv: string) {
  await page.getByLabel(/数据 CSV 文件|Data CSV file/).setInputFiles({
    name,
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await page.getByRole('button', { name: /^(导入|Import)$/ }).click();
}

describe('数据比对导入', () => {
  it('imports a settlement file and shows what it did, on a 360 px phone', async () => {
    const date = recentDate(15);
    const row = (id: string, person: string, total: string, basic: string) =>
      `${id},${person},某某,县人民医院,${date},${date},${date},${total},${basic},0,0,0`;
    const csv = [
      medicalColumns.join(','),
      row('WEB-1', await headOf('HH-F007'), '40000.00', '20000.00'),
      row('WEB-2', await headOf('HH-F008'), '3000.00', '2000.00'),
      row('WEB-3', outsider, '3000.00', '0'),
      row('WEB-1', await headOf('HH-F007'), '40000.00', '20000.00'),
    ].join('\r\n');

    const { context, errors } = await newContext(browser, narrowPhone);
    const page = await signIn(context, stack.apiUrl, 'insurer1');
    await page.goto(`${stack.apiUrl}/#/feeds`);
    await page.getByRole('heading', { name: '数据比对导入', level: 1 }).waitFor();
    await page.getByRole('radio', { name: '医保结算' }).check();
    await upload(page, 'yb.csv', csv);
    const result = page.getByTestId('feed-result');
    await result.waitFor({ timeout: 60_000 });
    const text = (await result.textContent()) ?? '';
    for (const words of ['记录4', '匹配到农户2', '未匹配（已丢弃）1', '有误的行1', '新开申请 1 个'])
      expect(text.replace(/\s+/g, '')).toContain(words.replace(/\s+/g, ''));
    await page.getByText('第 2 行已有这条记录', { exact: false }).waitFor();
    await page.getByRole('button', { name: '下载错误报告' }).waitFor();
    await fitsTheScreen(page);
    await screenshot(page, 'feed-import-360');

    const link = page.getByTestId('feed-claims').getByRole('link');
    expect(await link.count()).toBe(1);
    await link.click();
    await page.getByText('HH-F007', { exact: false }).first().waitFor();
    expect(page.url()).toMatch(/#\/claims\/[0-9A-Z]{26}$/);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('takes a tuition file the same way, from the menu', async () => {
    const date = recentDate(10);
    const csv = [
      educationColumns.join(','),
      `XF-WEB-1,${await headOf('HH-F002')},某某,县第一中学,2026秋季,${date},3000.00,500.00`,
    ].join('\r\n');
    const { context, errors } = await newContext(browser, narrowPhone);
    const page = await signIn(context, stack.apiUrl, 'admin1');
    await page.getByRole('link', { name: '数据比对导入' }).click();
    await page.getByRole('radio', { name: '学费' }).check();
    await expect
      .poll(async () => page.locator('#feed-hint').textContent())
      .toContain(educationColumns.join(','));
    await upload(page, 'xf.csv', csv);
    const result = page.getByTestId('feed-result');
    await result.waitFor({ timeout: 60_000 });
    await expect
      .poll(async () => ((await result.textContent()) ?? '').replace(/\s+/g, ''))
      .toContain('匹配到农户1');
    await page.getByText('未新开申请', { exact: false }).waitFor();
    await fitsTheScreen(page);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});

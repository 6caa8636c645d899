// Each role's main flow in a real browser (Debian's chromium) against the real local stack:
// a grid worker files a claim with a real 4000x3000 photo, the three reviewers pass it,
// finance exports the ledger and confirms the transfer, an admin imports a roster. One claim
// runs through the whole file, so the tests run in order. Screenshots: reports/screenshots/.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerColumnLabels, ledgerColumns } from '#shared/vocabulary.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { markError } from '#shared/workflow/mark-error.ts';
import { ulid } from 'ulid';
import {
  recentDate,
  settled,
  startLocalStack,
  uploadClaim,
  type TestStack,
} from '#cli/local/scratch-stack.ts';
import { desk, launchChromium, newContext, phone, screenshot, signIn } from '#test/web/support/browser.ts';
import { makeReceiptPhoto } from '#test/web/support/receipt-photo.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

let stack: TestStack;
let browser: Browser;
let workDir: string;
let photoPath: string;
let photoBytes: number;
let claimId = '';
const expenseDate = recentDate(5);

/** Width and height from a JPEG's start-of-frame segment. */
function jpegSize(bytes: Uint8Array): { width: number; height: number } {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) throw new Error('not a JPEG segment');
    const marker = bytes[i + 1] ?? 0;
    const length = ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return {
        height: ((bytes[i + 5] ?? 0) << 8) | (bytes[i + 6] ?? 0),
        width: ((bytes[i + 7] ?? 0) << 8) | (bytes[i + 8] ?? 0),
      };
    }
    i += 2 + length;
  }
  throw new Error('no frame header');
}

async function waitForState(id: string, state: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const claim = await stack.deps.claims.get(id);
    if (claim?.state === state) return;
    if (Date.now() > deadline) throw new Error(`claim ${id} is ${claim?.state ?? 'missing'}, not ${state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every visible form control has a label people and screen readers can find. */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement>('input, select, textarea')]
      .filter((el) => el.type !== 'hidden')
      .filter((el) => (el.labels?.length ?? 0) === 0 && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 80)),
  );
}

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  workDir = await mkdtemp(join(tmpdir(), 'claims-web-'));
  photoPath = join(workDir, 'IMG_20260917_101500.jpg');
  photoBytes = await makeReceiptPhoto(browser, photoPath, 'HH-0001 22700');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('web app, role by role', () => {
  it('grid worker: own households, live quote, a phone photo compressed and uploaded', async () => {
    const { context, errors } = await newContext(browser, phone);
    const page = await signIn(context, stack.apiUrl, 'worker1');
    await page.getByRole('heading', { name: '我的农户' }).waitFor();
    await page.locator('li.household').first().waitFor();

    // Only the households assigned to worker1, ID numbers masked.
    const shown = await page.locator('li.household strong').allTextContents();
    const own = (await (await stack.as('worker1'))('GET', '/households')).body.items.map(
      (h: { householdId: string }) => h.householdId,
    );
    const others = (await (await stack.as('worker2'))('GET', '/households')).body.items.map(
      (h: { householdId: string }) => h.householdId,
    );
    expect(shown.sort()).toEqual([...own].sort());
    expect(shown.some((id) => others.includes(id))).toBe(false);
    const text = (await page.textContent('main')) ?? '';
    expect(text).toMatch(/430381\*{8}\d{3}[\dX]/);
    expect(text).not.toMatch(/\d{17}[\dX]/);
    await screenshot(page, '01-worker-households');

    await page
      .locator('li.household', { hasText: 'HH-0001' })
      .getByRole('link', { name: '为此户申请' })
      .click();
    await page.getByRole('heading', { name: '新建理赔申请' }).waitFor();
    await expect.poll(() => page.getByLabel('农户').inputValue()).toBe('HH-0001');
    await page.getByLabel('因学').check();
    await page.getByLabel('费用发生日期').fill(expenseDate);
    // The live quote runs the shared engine on every keystroke.
    await page.getByLabel('总费用（元）').fill('15000');
    await expect.poll(() => page.getByTestId('quote-payout').textContent()).toBe('¥3,500.00');
    await page.getByLabel('总费用（元）').fill('22700');
    await page.getByLabel('已报销 / 已救助金额（元）').fill('0');
    await expect.poll(() => page.getByTestId('quote-payout').textContent()).toBe('¥8,120.00');
    await page.getByText('此申请将进入三关审核').waitFor();

    // A real photo file, a few MB, goes up as a few hundred KB.
    expect(photoBytes).toBeGreaterThan(3_000_000);
    await page.getByLabel('选择文件').setInputFiles(photoPath);
    const size = await page.getByTestId('receipt-size').textContent();
    expect(size).toMatch(/MB → \d+ KB/);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, '02-worker-new-claim');

    await page.getByRole('button', { name: '提交申请' }).click();
    await page.waitForURL(/#\/claims\/[0-9A-HJKMNP-TV-Z]{26}$/, { timeout: 60_000 });
    claimId = page.url().split('/').pop() ?? '';
    await page.getByText('三关审核中').first().waitFor({ timeout: 30_000 });
    await screenshot(page, '03-worker-claim-in-review');

    // What reached the bucket: a JPEG of 1600 px on the long edge, a few hundred KB.
    const receipt = await stack.s3.send(
      new GetObjectCommand({ Bucket: 'receipts', Key: `claims/${claimId}/receipt-1.jpg` }),
    );
    const bytes = await receipt.Body!.transformToByteArray();
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(bytes.length).toBeGreaterThan(30_000);
    expect(bytes.length).toBeLessThan(600_000);
    expect(jpegSize(bytes)).toEqual({ width: 1600, height: 1200 });
    const claim = await stack.deps.claims.get(claimId);
    expect(claim).toMatchObject({ state: 'PENDING_REVIEW', submittedBy: 'worker1' });
    expect(claim?.assessment?.payoutFen).toBe(812_000);
    expect(errors).toEqual([]);
    await context.close();
  }, 150_000);

  const gates = [
    ['village1', '村级核实'],
    ['insurer1', '部门数据比对'],
    ['auditor1', '行业稽核'],
  ] as const;
  for (const [user, gate] of gates) {
    it(`${user} passes the ${gate} gate from the queue, seeing receipt, roster status and pricing`, async () => {
      expect(claimId).not.toBe('');
      const { context, errors } = await newContext(browser, desk);
      const page = await signIn(context, stack.apiUrl, user);
      await page.getByRole('heading', { name: `待我审核：${gate}` }).waitFor();
      await page.locator(`a[title="${claimId}"]`).waitFor();
      await screenshot(page, `04-${user}-queue`);
      await page.locator(`a[title="${claimId}"]`).click();

      const image = page.getByTestId('receipt-image');
      await image.waitFor();
      await expect
        .poll(() => image.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)))
        .toBe(1600);
      await page.getByText('脱贫户').first().waitFor();
      await page.getByText('¥3,500.00').first().waitFor();
      await page.getByText('¥4,620.00').first().waitFor();
      // The cap left after this claim: ¥20,000.00 less its ¥8,120.00.
      await page.getByText('¥11,880.00 / ¥20,000.00').first().waitFor();
      await page.getByRole('heading', { name: '处理记录' }).waitFor();
      await screenshot(page, `05-${user}-claim`);

      await page.getByLabel('审核意见').fill(`${gate}：票据与名单一致`);
      await page.getByRole('button', { name: '通过', exact: true }).click();
      await page.getByText('已提交审核意见').waitFor();
      // Decided: this person is offered no second decision on the claim.
      await expect.poll(() => page.getByRole('button', { name: '通过', exact: true }).count()).toBe(0);
      expect(errors).toEqual([]);
      await context.close();
    }, 90_000);
  }

  it('grid worker sees the outcome in plain words, including a refusal reason', async () => {
    await waitForState(claimId, 'PAID');
    const small = await uploadClaim(stack, { householdId: 'HH-0002', totalCost: '5000', expenseDate });
    expect((await settled(stack, small.claimId)).reason).toBe('BELOW_THRESHOLD');

    const { context, errors } = await newContext(browser, phone);
    const page = await signIn(context, stack.apiUrl, 'worker1');
    await page.getByRole('link', { name: '我的申请' }).click();
    await page.locator(`a[title="${claimId}"]`).waitFor();
    const table = page.locator('table.list');
    await table.getByText('已赔付，等待拨付').first().waitFor();
    await table.getByText('自付费用没有达到起付线').first().waitFor();
    await screenshot(page, '06-worker-my-claims');

    await page.locator(`a[title="${claimId}"]`).click();
    await expect.poll(() => page.getByTestId('claim-payout').textContent()).toBe('¥8,120.00');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('finance: ledger with totals, CSV and XLSX exports that Excel opens, a batch marked disbursed', async () => {
    const { context, errors } = await newContext(browser, { ...desk, acceptDownloads: true });
    const page = await signIn(context, stack.apiUrl, 'finance1');
    await page.getByRole('heading', { name: '赔付台账' }).waitFor();
    await expect.poll(() => page.getByTestId('ledger-total').textContent()).toBe('¥8,120.00');
    expect(await page.getByTestId('ledger-count').textContent()).toBe('1');

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '导出 CSV' }).click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/^ledger-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const csvBytes = await readFile((await csv.path()) ?? '');
    // UTF-8 with a BOM: Excel then reads the Chinese village names correctly.
    expect([...csvBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csvBytes.toString('utf8').slice(1).split('\r\n');
    expect(lines[0]).toBe(ledgerColumns.map((c) => ledgerColumnLabels[c].zh).join(','));
    const row = lines.find((l) => l.startsWith(claimId));
    expect(row).toContain(',因学,8120.00,');
    expect(row).toContain('红星村');

    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '导出 Excel' }).click(),
    ]);
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/);
    const xlsxBytes = await readFile((await xlsx.path()) ?? '');
    // An XLSX file is a ZIP archive.
    expect([...xlsxBytes.subarray(0, 4)]).toEqual([0x50, 0x4b, 0x03, 0x04]);

    await page.getByLabel(`选择 ${claimId}`).check();
    await page.getByLabel('银行批次号').fill('ABC-20261123-01');
    await page.getByRole('button', { name: '标记 1 笔为已拨付' }).click();
    await page.getByRole('dialog', { name: '确认拨付' }).getByRole('button', { name: '确认拨付' }).click();
    await page.getByText('已标记 1 笔为已拨付').waitFor();
    await page.getByText('ABC-20261123-01').first().waitFor();
    await screenshot(page, '07-finance-ledger');
    await waitForState(claimId, 'DISBURSED');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('admin: roster import reports each bad row; the policy in force is shown', async () => {
    const first17 = '43038119800101123';
    const good = `${first17}${residentIdCheckDigit(first17)}`;
    const bad = `${first17}${residentIdCheckDigit(first17) === '0' ? '1' : '0'}`;
    const csv = [
      'householdId,region,village,headName,idNumber,members,status,statusFrom,gridWorker,bankAccount,annualIncome',
      `HH-9001,demo,红星村,赵新民,${good},3,marginal,2026-01-01,worker2,6230900000000009001,9000.00`,
      `HH-9002,demo,和平村,钱小红,${bad},2,unstable,2026-01-01,worker2,6230900000000009002,8000.00`,
    ].join('\r\n');

    const { context, errors } = await newContext(browser, desk);
    const page = await signIn(context, stack.apiUrl, 'admin1');
    await page.getByRole('heading', { name: '监测名单导入' }).waitFor();
    await page.getByLabel('名单 CSV 文件').setInputFiles({
      name: 'roster-2026.csv',
      mimeType: 'text/csv',
      buffer: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')]),
    });
    await page.getByRole('button', { name: '导入', exact: true }).click();
    await expect.poll(() => page.getByTestId('roster-result').textContent()).toBe('已导入 1 行，1 行有误');
    const rejected = page.locator('table.list tbody tr');
    expect(await rejected.count()).toBe(1);
    expect(await rejected.locator('td').first().textContent()).toBe('3');
    expect(await rejected.locator('td').nth(1).textContent()).toMatch(/^身份证号/);
    expect(await page.textContent('main')).not.toContain(bad);
    await screenshot(page, '08-admin-roster-import');

    // The household's people, through the same bulk job: the head, and one with a bad ID number.
    await page.getByRole('link', { name: '家庭成员导入' }).click();
    await page.getByRole('heading', { name: '家庭成员导入' }).waitFor();
    const members = [
      'householdId,idNumber,name,relation',
      `HH-9001,${good},赵新民,head`,
      `HH-9001,${bad},赵小军,child`,
    ];
    await page.getByLabel('家庭成员 CSV 文件').setInputFiles({
      name: 'members-2026.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(members.join('\r\n'), 'utf8'),
    });
    await page.getByRole('button', { name: '导入', exact: true }).click();
    await expect.poll(() => page.getByTestId('members-result').textContent()).toBe('已导入 1 行，1 行有误');
    expect(await page.locator('table.list tbody tr td').first().textContent()).toBe('3');
    expect(await page.textContent('main')).not.toContain(bad);

    await page.getByRole('link', { name: '现行政策' }).click();
    await page.getByRole('heading', { name: /示范县防贫保（2026版）/ }).waitFor();
    await page.getByText('¥20,000.00').first().waitFor();
    await screenshot(page, '09-admin-policy');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('reviewers see a dashboard by state and category with time from upload to payout', async () => {
    const { context, errors } = await newContext(browser, desk);
    const page = await signIn(context, stack.apiUrl, 'insurer1');
    await page.getByRole('link', { name: '统计' }).click();
    await page.getByRole('heading', { name: '从上传到赔付的时间' }).waitFor();
    await expect.poll(() => page.getByTestId('count-DISBURSED').textContent()).toBe('1');
    expect(await page.getByTestId('count-REJECTED').textContent()).toBe('1');
    // A duration in the unit its size calls for: seconds here, never "1 分钟" for 2 seconds.
    expect(await page.getByTestId('median').textContent()).toMatch(
      /^(不到 1 秒|\d+(\.\d)? (秒|分钟|小时|天))$/,
    );
    await page.getByText('基于 1 件已赔付的申请').waitFor();
    await screenshot(page, '10-reviewer-dashboard');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('admin: a claim in ERROR is sent on from where it stopped and ends PAID', async () => {
    const id = ulid();
    // The fault struck before the claim record was written: mark-error left it in ERROR.
    await markError(stack.deps, { claimId: id, error: { Error: 'Runtime.ExitError' } });
    await uploadClaim(stack, { claimId: id, householdId: 'HH-0006', totalCost: '15000', expenseDate });
    await stack.idle();
    const { context, errors } = await newContext(browser, desk);
    const page = await signIn(context, stack.apiUrl, 'admin1');
    await page.goto(`${stack.apiUrl}/#/claims/${id}`);
    await page.getByRole('heading', { name: '可重新处理' }).waitFor();
    await page.getByRole('button', { name: '重新处理' }).click();
    await expect
      .poll(() => page.getByTestId('claim-payout').textContent(), { timeout: 20_000 })
      .toBe('¥3,500.00');
    await page.getByRole('heading', { name: '可重新处理' }).waitFor({ state: 'detached' });
    await waitForState(id, 'PAID');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('switches to English and keeps the choice after a reload', async () => {
    const { context, errors } = await newContext(browser, phone);
    const page = await signIn(context, stack.apiUrl, 'worker1');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'My households' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'My households' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await page.goto(`${stack.apiUrl}/#/claims/${claimId}`);
    await expect.poll(() => page.getByTestId('claim-payout').textContent()).toBe('¥8,120.00');
    await page.getByText('Transferred to the household').first().waitFor();
    await screenshot(page, '11-worker-claim-english');
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByText('已拨付到账').first().waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('works from the keyboard alone, with a visible focus ring', async () => {
    const { context, errors } = await newContext(browser, desk);
    const page = await context.newPage();
    await page.goto(`${stack.apiUrl}/`);
    await page.getByLabel('用户名').focus();
    await page.keyboard.type('worker1');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: '我的农户' }).waitFor();
    await page.locator('li.household').first().waitFor();
    // After each navigation focus is on the page heading, so screen readers announce the page.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    // First the household search, then its filters, then the first household's link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('search');
    for (let i = 0; i < 4; i++) {
      if ((await page.evaluate(() => document.activeElement?.textContent)) === '为此户申请') break;
      await page.keyboard.press('Tab');
    }
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('为此户申请');
    const outline = await page.evaluate(() => {
      const el = document.activeElement;
      return el ? getComputedStyle(el).outlineStyle : 'none';
    });
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: '新建理赔申请' }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});

// Finance on the ledger page in a real browser against the real local stack: regions by name,
// the count and total of the selected payouts, a confirmation dialog (cancel changes nothing,
// confirm marks the batch), and exports as background jobs (progress, the control total, the file)
// in the page's language.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recentDate,
  settled,
  startLocalStack,
  uploadClaim,
  type TestStack,
} from '#cli/local/scratch-stack.ts';
import { exportVerb } from '#cli/verbs/api-verbs.ts';
import { formatFen } from '#shared/money.ts';
import { ledgerColumnLabels, ledgerColumns } from '#shared/vocabulary.ts';
import { desk, launchChromium, newContext, screenshot, signIn } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

let stack: TestStack & { stop(): Promise<void> };
let browser: Browser;
/** Three payouts: 3,500.00, 3,500.01 and 2,000.00 yuan. */
const claims: { claimId: string; payoutFen: number }[] = [];

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  const expenseDate = recentDate(3);
  for (const [householdId, totalCost] of [
    ['HH-0001', '15000'],
    ['HH-0002', '15000.02'],
    ['HH-0003', '12000'],
  ] as const) {
    const { claimId } = await uploadClaim(stack, { householdId, totalCost, expenseDate });
    const claim = await settled(stack, claimId);
    expect(claim.state).toBe('PAID');
    claims.push({ claimId, payoutFen: claim.payoutFen ?? 0 });
  }
  expect(claims.map((c) => c.payoutFen)).toEqual([350_000, 350_001, 200_000]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const stateOf = async (claimId: string) => (await stack.deps.claims.get(claimId))?.state;

const narrowPhone = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/** axe-core over the page as it is: the serious and critical violations of WCAG 2.1 A/AA. */
async function seriousViolations(page: Page): Promise<{ id: string; impact: string | null }[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(c: Document, o: object): Promise<{ violations: { id: string; impact: string | null }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The page's scroll width and every element reaching past the screen (table scrollers excepted). */
async function overflow(page: Page): Promise<{ scrollWidth: number; offenders: string[] }> {
  return page.evaluate(() => {
    const offenders: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      if ((rect.width === 0 && rect.height === 0) || rect.right <= 0) continue;
      if (el.closest('.scroll') && !el.classList.contains('scroll')) continue;
      if (rect.left < -0.5 || rect.right > window.innerWidth + 0.5)
        offenders.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
    }
    return { scrollWidth: document.scrollingElement?.scrollWidth ?? 0, offenders };
  });
}

describe('ledger page, finance', () => {
  it('shows the count and total of the selection, asks to confirm, and marks only on confirm', async () => {
    // A 360 px phone: the dialog must fit.
    const { context, errors } = await newContext(browser, narrowPhone);
    const page = await signIn(context, stack.apiUrl, 'finance1');
    await page.getByRole('heading', { name: '赔付台账' }).waitFor();
    await expect.poll(() => page.getByTestId('ledger-count').textContent()).toBe('3');
    expect(await page.getByTestId('ledger-total').textContent()).toBe('¥9,000.01');
    // The region by its name from the policy, never its code.
    await page.getByText('示范县 · ').first().waitFor();
    expect(await page.locator('table.list').first().textContent()).not.toContain('demo');
    await expect.poll(() => page.getByRole('combobox', { name: '地区' }).textContent()).toContain('示范县');

    const [first, second, third] = claims;
    if (!first || !second || !third) throw new Error('claims not seeded');
    await page.getByLabel(`选择 ${first.claimId}`).check();
    await page.getByLabel(`选择 ${second.claimId}`).check();
    await expect
      .poll(() => page.getByTestId('ledger-selected').textContent())
      .toBe('已选 2 笔，合计 ¥7,000.01');
    await page.getByLabel('银行批次号').fill('ABC-20261201-07');
    await page.getByRole('button', { name: '标记 2 笔为已拨付' }).click();

    const dialog = page.getByRole('dialog', { name: '确认拨付' });
    await dialog.waitFor();
    expect(await dialog.getByTestId('confirm-count').textContent()).toBe('2');
    expect(await dialog.getByTestId('confirm-total').textContent()).toBe(
      formatFen(first.payoutFen + second.payoutFen),
    );
    await expect.poll(() => dialog.textContent()).toContain('ABC-20261201-07');
    const box = await dialog.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 360).toBe(true);
    // Focus is inside the dialog (a modal), so the keyboard cannot reach the page behind it.
    expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
    await screenshot(page, 'ledger-confirm-360');
    // axe-core over the page with the dialog open: no serious or critical violation.
    expect(await seriousViolations(page)).toEqual([]);

    // Cancelling changes nothing.
    await dialog.getByRole('button', { name: '取消' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await stateOf(first.claimId)).toBe('PAID');
    // Esc cancels too.
    await page.getByRole('button', { name: '标记 2 笔为已拨付' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await stateOf(second.claimId)).toBe('PAID');

    await page.getByRole('button', { name: '标记 2 笔为已拨付' }).click();
    await dialog.getByRole('button', { name: '确认拨付' }).click();
    await page.getByText('已标记 2 笔为已拨付').waitFor();
    await page.getByText('ABC-20261201-07').first().waitFor();
    expect(await stateOf(first.claimId)).toBe('DISBURSED');
    expect(await stateOf(second.claimId)).toBe('DISBURSED');
    expect(await stateOf(third.claimId)).toBe('PAID');
    const ledger = await (
      await stack.as('finance1')
    )('GET', `/ledger?from=${recentDate(40)}&to=${recentDate(0)}`);
    const marked = (ledger.body.items as { claimId: string; batchRef?: string }[]).filter(
      (e) => e.batchRef === 'ABC-20261201-07',
    );
    expect(marked.map((e) => e.claimId).sort()).toEqual([first.claimId, second.claimId].sort());
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('exports as background jobs: progress, the control total, the file, on a 360 px phone', async () => {
    const { context, errors } = await newContext(browser, { ...narrowPhone, acceptDownloads: true });
    const page = await signIn(context, stack.apiUrl, 'finance1');
    await page.getByRole('heading', { name: '赔付台账' }).waitFor();
    await expect.poll(() => page.getByTestId('ledger-count').textContent()).toBe('3');
    const ledgerTotal = await page.getByTestId('ledger-total').textContent();
    expect(ledgerTotal).toBe('¥9,000.01');
    // The synchronous export is no longer asked for: only jobs.
    const requested: string[] = [];
    page.on('request', (r) => requested.push(`${r.method()} ${new URL(r.url()).pathname}`));

    // CSV: the job starts RUNNING (an indeterminate bar and the rows written so far), then ends
    // with the control total and the file.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('progressbar', { name: /^ledger-.*\.csv 的导出进度$/ }).waitFor(),
      page.getByText(/^正在导出 ledger-.*\.csv：已写入 \d+ 行$/).waitFor(),
      page.getByRole('button', { name: '导出 CSV' }).click(),
    ]);
    const job = page.getByTestId('export-job').first();
    await expect.poll(() => job.getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await job.getByTestId('export-status').textContent()).toBe(`已导出 3 笔，合计 ${ledgerTotal}`);
    expect(await job.getByTestId('export-count').textContent()).toBe('3');
    expect(await job.getByTestId('export-total').textContent()).toBe(ledgerTotal);
    expect(await page.getByRole('progressbar').count()).toBe(0);
    const csvBytes = await readFile((await csv.path()) ?? '');
    const lines = csvBytes
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe(ledgerColumns.map((c) => ledgerColumnLabels[c].zh).join(','));
    // A header and one line per payout: the file holds exactly what the total counts.
    expect(lines.length).toBe(1 + claims.length);
    for (const c of claims) expect(lines.filter((l) => l.includes(c.claimId))).toHaveLength(1);
    expect(lines.slice(1).every((l) => l.includes(',示范县,'))).toBe(true);
    // The link stays on the page in case the browser blocked the automatic download.
    const link = job.getByRole('link', { name: /^下载 ledger-.*\.csv（.+）$/ });
    const fromLink = await context.request.get((await link.getAttribute('href')) ?? '');
    expect(Buffer.from(await fromLink.body()).equals(csvBytes)).toBe(true);

    // XLSX right after: a second job above the first, which stays.
    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '导出 Excel' }).click(),
    ]);
    const jobs = page.getByTestId('export-job');
    await expect.poll(() => jobs.count()).toBe(2);
    const latest = jobs.first();
    await expect.poll(() => latest.getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await latest.getByTestId('export-total').textContent()).toBe(ledgerTotal);
    await latest.getByRole('link', { name: /^下载 ledger-.*\.xlsx（.+）$/ }).waitFor();
    const sheet = strFromU8(
      unzipSync(await readFile((await xlsx.path()) ?? ''))['xl/worksheets/sheet1.xml'] ?? new Uint8Array(),
    );
    expect(sheet).toContain('<f>SUM(I2:I4)</f><v>9000.01</v>');
    expect(await jobs.nth(1).getAttribute('data-status')).toBe('SUCCEEDED');

    // With the job panel shown: nothing wider than the phone, and no serious accessibility finding.
    expect(await overflow(page)).toEqual({ scrollWidth: 360, offenders: [] });
    await screenshot(page, 'ledger-export-jobs-360');
    expect(await seriousViolations(page)).toEqual([]);
    expect(requested.filter((r) => r.endsWith('/ledger/export'))).toEqual([]);
    expect(requested.filter((r) => r === 'POST /ledger/exports')).toHaveLength(2);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('exports in the language of the page, and stops following a job when the page closes', async () => {
    const { context, errors } = await newContext(browser, { ...desk, acceptDownloads: true });
    const page = await signIn(context, stack.apiUrl, 'finance1');
    await page.getByRole('heading', { name: '赔付台账' }).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Payout ledger' }).waitFor();
    await expect.poll(() => page.getByTestId('ledger-count').textContent()).toBe('3');
    const [en] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const enText = (await readFile((await en.path()) ?? '')).toString('utf8');
    expect(enText.slice(1, enText.indexOf('\r\n'))).toBe(
      ledgerColumns.map((c) => ledgerColumnLabels[c].en).join(','),
    );
    expect(enText).toContain(',Demo county,');
    await page.getByText('Exported 3 payouts, total ¥9,000.01').waitFor();
    await page.getByRole('link', { name: /^Download ledger-.*\.csv \(.+\)$/ }).waitFor();

    // Leave the page as soon as a job has started: its first poll would come half a second later,
    // and must never be sent.
    const polls: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'GET' && new URL(r.url()).pathname.startsWith('/ledger/exports/'))
        polls.push(r.url());
    });
    const [started] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/ledger/exports')),
      page.getByRole('button', { name: 'Export Excel' }).click(),
    ]);
    expect(started.status()).toBe(202);
    await page.evaluate(() => {
      location.hash = '#/claims';
    });
    await page.getByRole('heading', { name: 'Payout ledger' }).waitFor({ state: 'detached' });
    await page.waitForTimeout(2_000);
    expect(polls).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('claims export --lang en writes English headers and prints the control total', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-cli-'));
    try {
      const out: string[] = [];
      const io = { out: (text: string) => out.push(text), err: (text: string) => out.push(text) };
      const range = ['--from', recentDate(20), '--to', recentDate(0), '--api', stack.apiUrl];
      await exportVerb([...range, '--lang', 'en', '--out', join(dir, 'en.csv')], io);
      const en = await readFile(join(dir, 'en.csv'), 'utf8');
      expect(en.slice(1, en.indexOf('\r\n'))).toBe(
        ledgerColumns.map((c) => ledgerColumnLabels[c].en).join(','),
      );
      expect(out.at(-1)).toMatch(/: 3 payouts, total ¥9,000\.01$/);
      await exportVerb([...range, '--format', 'xlsx', '--out', join(dir, 'zh.xlsx')], io);
      const sheet = strFromU8(
        unzipSync(await readFile(join(dir, 'zh.xlsx')))['xl/worksheets/sheet1.xml'] ?? new Uint8Array(),
      );
      expect(sheet).toContain('<t>银行账号</t>');
      expect(sheet).toContain('<f>SUM(I2:I4)</f><v>9000.01</v>');
      await expect(exportVerb([...range, '--lang', 'fr', '--out', join(dir, 'x.csv')], io)).rejects.toThrow(
        /--lang must be zh or en/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

// Every page of every demo role, in zh-CN, against the real local stack: what people read is
// Chinese. Claims in each state that shows money or gates differently (in review, rejected at
// the first gate, paid, refused below the threshold, on public notice, found by a data feed), the
// village notice board with claims on it, and a roster import with bad rows are set up
// first; then each role walks its menu and the claim pages it may open, and the page text plus
// title, aria-label, placeholder and alt attributes must hold no English word outside a short
// list (ids, usernames, file types, the roster file's own column and status codes).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { householdStatuses } from '#shared/vocabulary.ts';
import { residentIdCheckDigit } from '#shared/resident-id.ts';
import { rosterColumns } from '#shared/roster.ts';
import { memberColumns } from '#shared/members.ts';
import { bankColumns, bankStatuses } from '#shared/bank-result.ts';
import { educationColumns, medicalColumns } from '#shared/feed.ts';
import {
  recentDate,
  settled,
  startLocalStack,
  uploadClaim,
  type TestStack,
} from '#cli/local/scratch-stack.ts';
import { desk, launchChromium, newContext } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';
import { seedNoticeClaims } from '#test/web/support/notice-claims.ts';

let stack: TestStack;
let browser: Browser;
const claims: Record<
  'inReview' | 'rejectedAtGate1' | 'paid' | 'belowThreshold' | 'badReceipt' | 'onNotice' | 'fromFeed',
  string
> = {
  onNotice: '',
  fromFeed: '',
  inReview: '',
  rejectedAtGate1: '',
  paid: '',
  belowThreshold: '',
  badReceipt: '',
};

/** Words that may stand in a Chinese page: names of things, not sentences. */
const allowedWords = new Set<string>([
  // File types and units
  'CSV',
  'XLSX',
  'Excel',
  'WPS',
  'PDF',
  'JPG',
  'JPEG',
  'PNG',
  'GBK',
  'UTF',
  'KB',
  'MB',
  'YYYY',
  'MM',
  'DD',
  // The language switch names the other language in that language.
  'English',
  // The roster file's own column names and status codes (what the file must hold).
  ...rosterColumns,
  ...householdStatuses,
  // The members file's own column names.
  ...memberColumns,
  // The bank result file's column names and status words.
  ...bankColumns,
  ...bankStatuses,
  // The departments' files' column names (数据比对导入).
  ...medicalColumns,
  ...educationColumns,
  // The demo policies' ids and region codes (the relief fund's is demo-fund).
  'demo',
  'fangpin',
  'demo-fund',
]);

/** Ids, not words: claim ULIDs and their short form, household ids, demo usernames, batch refs. */
function isId(token: string): boolean {
  return (
    // A ULID, or the tail a list shows of one (the match starts at its first letter); a tail of
    // eight may be all letters (DCEMMDGT), a whole ULID too.
    /^(?=.*\d)[0-9A-HJKMNP-TV-Z]{3,26}$/.test(token) ||
    /^([0-9A-HJKMNP-TV-Z]{8}|[0-9A-HJKMNP-TV-Z]{26})$/.test(token) ||
    /^HH-[A-Z]?\d+$/.test(token) ||
    /^(worker|village|insurer|auditor|finance|admin)\d+$/.test(token) ||
    /^BANK-[A-Z0-9-]+$/.test(token)
  );
}

/** English words in `text`: Latin tokens of two letters or more not on the lists. */
function englishWords(text: string): string[] {
  const tokens = [...text.matchAll(/[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]/g)]
    // Glued to a digit before it and all in an id's alphabet: the rest of an id (a ULID tail
    // such as 9BBFSZBY), not a word.
    .filter((m) => !(/\d/.test(text[m.index - 1] ?? '') && /^[0-9A-HJKMNP-TV-Z]+$/.test(m[0])))
    .map((m) => m[0]);
  return tokens.filter((t) => /[A-Za-z]{2}/.test(t) && !allowedWords.has(t) && !isId(t));
}

/** What a person reads on the page now: its text and the words in its attributes. */
async function readable(page: Page): Promise<string> {
  return page.evaluate(() => {
    const attributes = [...document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')].flatMap(
      (el) => ['title', 'aria-label', 'placeholder', 'alt'].map((a) => el.getAttribute(a) ?? ''),
    );
    return [document.title, document.body.innerText, ...attributes].join('\n');
  });
}

/** Waits until the page has stopped loading (no 正在加载… left) and settled. */
async function loaded(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page
    .getByText('正在加载…')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => undefined);
  await page.waitForTimeout(300);
}

async function signInAs(
  username: string,
): Promise<{ page: Page; close: () => Promise<void>; errors: string[] }> {
  const { context, errors } = await newContext(browser, desk);
  const page = await context.newPage();
  await page.goto(`${stack.apiUrl}/`);
  await page.getByLabel('用户名').fill(username);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('button', { name: '退出' }).waitFor();
  return { page, close: () => context.close(), errors };
}

/** Walks the role's menu and the given claim pages; returns the English found, by page. */
async function walk(username: string, claimIds: readonly string[]): Promise<Record<string, string[]>> {
  const { page, close, errors } = await signInAs(username);
  const found: Record<string, string[]> = {};
  const look = async (where: string) => {
    await loaded(page);
    const words = englishWords(await readable(page));
    if (words.length > 0) found[where] = [...new Set(words)];
  };
  await look(`${username} home`);
  const menu = await page
    .getByRole('navigation', { name: '主菜单' })
    .getByRole('link')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  expect(menu.length).toBeGreaterThan(0);
  for (const path of menu) {
    await page.goto(`${stack.apiUrl}/${path}`);
    await look(`${username} ${path}`);
  }
  // The village notice board with claims on it (the menu opens it before a village is chosen).
  await page.goto(`${stack.apiUrl}/#/notice?region=demo-fund&village=${encodeURIComponent('东山村')}`);
  await page.locator('table.notice-table').waitFor();
  await look(`${username} notice board`);
  for (const id of claimIds) {
    await page.goto(`${stack.apiUrl}/#/claims/${id}`);
    await page.locator('.state-line').waitFor();
    await look(`${username} claim ${id}`);
  }
  expect(errors).toEqual([]);
  await close();
  return found;
}

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  const expenseDate = recentDate(5);
  // ¥8,120 > ¥5,000: three-gate review. Two of them; one is rejected at the village gate.
  const inReview = await uploadClaim(stack, { householdId: 'HH-0001', totalCost: '22700', expenseDate });
  const rejected = await uploadClaim(stack, { householdId: 'HH-0003', totalCost: '22700', expenseDate });
  const paid = await uploadClaim(stack, { householdId: 'HH-0002', totalCost: '15000', expenseDate });
  const small = await uploadClaim(stack, { householdId: 'HH-0004', totalCost: '5000', expenseDate });
  claims.inReview = inReview.claimId;
  claims.rejectedAtGate1 = rejected.claimId;
  claims.paid = paid.claimId;
  claims.belowThreshold = small.claimId;
  // A receipt that is no image: the claim's note says so (a code the page puts into Chinese).
  const bad = await uploadClaim(stack, {
    householdId: 'HH-0001',
    receipt: new TextEncoder().encode('not a receipt'),
  });
  claims.badReceipt = bad.claimId;
  expect((await settled(stack, bad.claimId)).reason).toBe('INVALID_RECEIPT');
  expect((await settled(stack, inReview.claimId)).state).toBe('PENDING_REVIEW');
  expect((await settled(stack, rejected.claimId)).state).toBe('PENDING_REVIEW');
  expect((await settled(stack, paid.claimId)).state).toBe('PAID');
  expect((await settled(stack, small.claimId)).reason).toBe('BELOW_THRESHOLD');
  const village = await stack.as('village1');
  const decided = await village('POST', `/claims/${rejected.claimId}/reviews`, {
    gate: 'village',
    decision: 'reject',
    comment: '户主已外出务工，费用非本户',
  });
  expect(decided.status).toBe(200);
  expect((await settled(stack, rejected.claimId)).state).toBe('REJECTED');
  // Claims on public notice in 东山村, one of them found by a data feed.
  const notice = await seedNoticeClaims(stack);
  claims.onNotice = notice.first;
  claims.fromFeed = notice.second;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the web app in zh-CN shows no English sentence', () => {
  it('finds English where there is some (the check itself)', () => {
    expect(englishWords('审核: payout is above ¥5,000.00')).toEqual(['payout', 'is', 'above']);
    expect(englishWords('idNumber: ID number check digit should be 6')).toEqual([
      'ID',
      'number',
      'check',
      'digit',
      'should',
      'be',
    ]);
    expect(englishWords('by system')).toEqual(['by', 'system']);
    expect(
      englishWords('导出 CSV · HH-0001 · worker1 · …01JC9ZZ8 · 01JC0000000000000000000001 · 3.5 MB'),
    ).toEqual([]);
  });

  it('the claim page says what each amount means and where each gate stands', async () => {
    const { page, close } = await signInAs('auditor1');
    await page.goto(`${stack.apiUrl}/#/claims/${claims.rejectedAtGate1}`);
    await page.locator('.state-line').waitFor();
    await loaded(page);
    const rejected = await page.innerText('main');
    expect(await page.getByTestId('claim-payout').textContent()).toBe('不予赔付');
    expect(rejected).toContain('如获通过应赔付');
    expect(rejected).toContain('“村级核实”未通过：户主已外出务工，费用非本户');
    expect(rejected).not.toContain('待审核');
    expect(await page.locator('ol.gates li').allInnerTexts()).toEqual([
      expect.stringContaining('不通过'),
      expect.stringContaining('未进行'),
      expect.stringContaining('未进行'),
    ]);

    await page.goto(`${stack.apiUrl}/#/claims/${claims.inReview}`);
    await page.getByTestId('claim-estimate').waitFor();
    expect(await page.getByTestId('claim-estimate').textContent()).toBe('¥8,120.00');
    expect(await page.getByTestId('claim-payout').count()).toBe(0);
    expect(await page.innerText('main')).toContain('须经三关审核');

    await page.goto(`${stack.apiUrl}/#/claims/${claims.paid}`);
    await page.getByTestId('claim-payout').waitFor();
    expect(await page.getByTestId('claim-payout').textContent()).toBe('¥3,500.00');
    // Education cap ¥20,000, nothing paid before: ¥16,500 left after this claim.
    expect(await page.getByTestId('cap-after').textContent()).toBe('¥16,500.00 / ¥20,000.00');
    expect(await page.innerText('main')).toContain('系统');
    // The walk reads what the page shows: the same page in English is full of English words.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByText('Cap left after this claim').waitFor();
    expect(englishWords(await readable(page)).length).toBeGreaterThan(10);
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByText('本次赔付后剩余').waitFor();

    await page.goto(`${stack.apiUrl}/#/claims`);
    await loaded(page);
    const rows = page.locator('table.list tbody tr');
    const rejectedRow = rows.filter({ has: page.locator(`a[title="${claims.rejectedAtGate1}"]`) });
    expect(await rejectedRow.locator('td').last().textContent()).toBe('—');
    const openRow = rows.filter({ has: page.locator(`a[title="${claims.inReview}"]`) });
    expect(await openRow.locator('td').last().textContent()).toBe('预计 ¥8,120.00');
    await close();
  }, 60_000);

  it('a claim refused for its receipt says why in Chinese', async () => {
    const { page, close } = await signInAs('worker1');
    await page.goto(`${stack.apiUrl}/#/claims/${claims.badReceipt}`);
    await page.locator('.state-line').waitFor();
    await loaded(page);
    expect(await page.innerText('main')).toContain('票据 1 不是 JPEG、PNG 或 PDF 文件');
    await close();
  }, 60_000);

  it('the sign-in page, and a refused sign-in, are in Chinese', async () => {
    const { context, errors } = await newContext(browser, desk);
    const page = await context.newPage();
    await page.goto(`${stack.apiUrl}/`);
    await page.getByLabel('用户名').fill('mallory');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toBe('登录失败：不是本地演示账号，请用下方列出的账号');
    expect(englishWords(await readable(page))).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 30_000);

  it('a roster import with bad rows reports them in Chinese', async () => {
    const { page, close } = await signInAs('admin1');
    const first17 = '43038119800101001';
    const good = `${first17}${residentIdCheckDigit(first17)}`;
    const wrongCheck = `${first17}${residentIdCheckDigit(first17) === '0' ? '1' : '0'}`;
    const row = (id: string, household: string, idNumber: string, status: string, income: string) =>
      `${id},demo,红星村,张${household},${idNumber},3,${status},2026-01-01,worker1,6230900000000000001,${income}`;
    const csv = [
      rosterColumns.join(','),
      row('HH-9001', '甲', good, 'unstable', '12000'),
      row('HH-9002', '乙', wrongCheck, 'unstable', '12000'),
      row('HH-9003', '丙', '43038119800101002X', 'wealthy', '-5'),
    ].join('\n');
    await page.goto(`${stack.apiUrl}/#/roster`);
    await page.getByLabel('或粘贴 CSV 内容').fill(csv);
    await page.getByRole('button', { name: '导入' }).click();
    await page.getByTestId('roster-result').waitFor({ timeout: 60_000 });
    const text = await page.innerText('main');
    expect(text).toContain('已导入 1 行，2 行有误');
    expect(text).toContain('身份证号校验位与前 17 位不符');
    expect(text).toContain('年收入：金额不能为负数');
    expect(text).not.toContain(wrongCheck);
    expect(englishWords(await readable(page))).toEqual([]);
    await close();
  }, 90_000);

  it.each([
    ['worker1', ['inReview', 'rejectedAtGate1', 'paid', 'belowThreshold', 'badReceipt', 'onNotice']],
    ['worker2', ['fromFeed']],
    ['village1', ['inReview', 'rejectedAtGate1', 'paid', 'belowThreshold', 'onNotice']],
    ['insurer1', ['inReview', 'rejectedAtGate1', 'paid', 'fromFeed']],
    ['auditor1', ['inReview', 'rejectedAtGate1', 'paid']],
    ['finance1', ['paid', 'rejectedAtGate1', 'onNotice']],
    [
      'admin1',
      ['inReview', 'rejectedAtGate1', 'paid', 'belowThreshold', 'badReceipt', 'onNotice', 'fromFeed'],
    ],
  ] as const)(
    '%s: every page of the menu and the claim pages',
    async (username, which) => {
      const found = await walk(
        username,
        which.map((k) => claims[k]),
      );
      expect(found).toEqual({});
    },
    120_000,
  );
});

// Every page of every role, with claims in each state a page can show (paid, disbursed, refused
// below the threshold, refused as a duplicate receipt, waiting at a review gate, in ERROR), for the
// browser checks that must hold everywhere: no sideways scrolling on a phone, no accessibility
// violations.
import type { BrowserContext, Page } from 'playwright-core';
import { ulid } from 'ulid';
import { markError } from '#shared/workflow/mark-error.ts';
import { zh } from '../../../web/src/messages.ts';
import { en } from '../../../web/src/messages-en.ts';
import { jpeg, recentDate, settled, uploadClaim, type TestStack } from '#cli/local/scratch-stack.ts';
import { seedNoticeClaims } from './notice-claims.ts';

const noticeBoardRoute = `/notice?region=demo-fund&village=${encodeURIComponent('东山村')}`;

export interface Claims {
  readonly paid: string;
  readonly disbursed: string;
  readonly belowThreshold: string;
  readonly duplicate: string;
  readonly review: string;
  readonly error: string;
}

/** Claims in every state a page shows, filed by worker1 for its households. */
export async function seedClaims(stack: TestStack): Promise<Claims> {
  const expenseDate = recentDate(5);
  const receipt = jpeg('every-page-receipt');
  const paid = await uploadClaim(stack, { householdId: 'HH-0001', totalCost: '15000', expenseDate, receipt });
  const disbursed = await uploadClaim(stack, { householdId: 'HH-0006', totalCost: '16000', expenseDate });
  const belowThreshold = await uploadClaim(stack, { householdId: 'HH-0002', totalCost: '5000', expenseDate });
  const review = await uploadClaim(stack, { householdId: 'HH-0003', totalCost: '22700', expenseDate });
  for (const c of [paid, disbursed, belowThreshold, review]) await settled(stack, c.claimId);
  // The same receipt bytes again, for another household: refused naming the earlier claim.
  const duplicate = await uploadClaim(stack, {
    householdId: 'HH-0004',
    totalCost: '15000',
    expenseDate,
    receipt,
  });
  await settled(stack, duplicate.claimId);
  const finance = await stack.as('finance1');
  const marked = await finance('POST', '/ledger/disbursements', {
    claimIds: [disbursed.claimId],
    batchRef: 'ABC-20261206-01',
  });
  if (marked.status !== 200) throw new Error(`disbursement: ${marked.status}`);
  const error = ulid();
  await markError(stack.deps, { claimId: error, error: { Error: 'Runtime.ExitError' } });
  // Claims of 东山村 on public notice, for its notice board.
  await seedNoticeClaims(stack);
  return {
    paid: paid.claimId,
    disbursed: disbursed.claimId,
    belowThreshold: belowThreshold.claimId,
    duplicate: duplicate.claimId,
    review: review.claimId,
    error,
  };
}

export interface PageSpec {
  readonly user: string;
  /** The hash route, e.g. `/claims/01J...`. */
  readonly route: string;
  /** Text that shows once the page has its data. */
  readonly ready?: string;
}

/** Every route each demo role can open, with the claims seeded above. */
export function everyPage(c: Claims): PageSpec[] {
  const claimPages = (user: string) =>
    [c.paid, c.disbursed, c.belowThreshold, c.duplicate, c.review].map((id) => ({
      user,
      route: `/claims/${id}`,
    }));
  return [
    { user: 'worker1', route: '/households', ready: 'li.household' },
    { user: 'worker1', route: '/new' },
    { user: 'worker1', route: '/new?household=HH-0001' },
    { user: 'worker1', route: '/claims', ready: 'table.list' },
    ...claimPages('worker1'),
    { user: 'worker1', route: '/policy' },
    { user: 'village1', route: '/queue' },
    { user: 'village1', route: '/claims', ready: 'table.list' },
    ...claimPages('village1'),
    { user: 'village1', route: '/dashboard', ready: '[data-testid="count-PAID"]' },
    { user: 'village1', route: '/policy' },
    { user: 'insurer1', route: '/queue' },
    { user: 'insurer1', route: '/ledger' },
    { user: 'insurer1', route: `/claims/${c.review}` },
    { user: 'auditor1', route: '/queue' },
    { user: 'auditor1', route: '/dashboard', ready: '[data-testid="count-PAID"]' },
    { user: 'auditor1', route: '/fund', ready: '[data-testid="fund-run-out"]' },
    { user: 'finance1', route: '/ledger' },
    { user: 'finance1', route: '/dashboard', ready: '[data-testid="count-PAID"]' },
    { user: 'finance1', route: '/claims', ready: 'table.list' },
    { user: 'finance1', route: `/claims/${c.disbursed}` },
    { user: 'finance1', route: '/fund', ready: '[data-testid="fund-run-out"]' },
    { user: 'admin1', route: '/roster' },
    { user: 'admin1', route: '/members' },
    // The departments' data feeds (数据比对导入): admins and insurers.
    { user: 'admin1', route: '/feeds' },
    { user: 'insurer1', route: '/feeds' },
    { user: 'admin1', route: '/claims', ready: 'table.list' },
    { user: 'admin1', route: `/claims/${c.error}` },
    { user: 'admin1', route: `/claims/${c.duplicate}` },
    { user: 'admin1', route: '/dashboard', ready: '[data-testid="count-PAID"]' },
    { user: 'admin1', route: '/ledger' },
    { user: 'admin1', route: '/policy' },
    // Return-to-poverty warnings: the county view (the demo fund's villages).
    { user: 'admin1', route: '/warnings', ready: '[data-testid="village-grid"]' },
    { user: 'insurer1', route: '/warnings', ready: '[data-testid="village-grid"]' },
    // The village notice board, with claims on it: any role, a grid worker on a phone above all.
    { user: 'worker1', route: noticeBoardRoute, ready: 'table.notice-table' },
    { user: 'village1', route: noticeBoardRoute, ready: 'table.notice-table' },
    { user: 'finance1', route: '/notice' },
  ];
}

/** Signs in through the local token endpoint once per user and context, in the chosen language. */
export async function openAs(
  context: BrowserContext,
  baseUrl: string,
  user: string,
  lang: 'zh' | 'en',
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);
  await page.evaluate((l) => localStorage.setItem('claims.lang', l), lang);
  await page.reload();
  const name = lang === 'zh' ? '用户名' : 'Username';
  await page.getByLabel(name).fill(user);
  await page.getByRole('button', { name: lang === 'zh' ? '登录' : 'Sign in' }).click();
  await page.getByRole('button', { name: lang === 'zh' ? '退出' : 'Sign out' }).waitFor();
  return page;
}

/**
 * Opens a route and waits until it has settled (data loaded, no "loading" line left). Throws
 * naming the route and what the page says when it does not settle.
 */
export async function visit(page: Page, baseUrl: string, spec: PageSpec, retry = true): Promise<void> {
  try {
    await page.goto(`${baseUrl}/#${spec.route}`);
    await page.locator('#page-title').waitFor({ timeout: 15_000 });
    if (spec.ready) await page.locator(spec.ready).first().waitFor({ timeout: 15_000 });
    await page.waitForLoadState('networkidle');
    // Loading lines gone (a page may show several while its parts arrive).
    await page.waitForFunction(
      (text) => ![...document.querySelectorAll('main [role="status"]')].some((el) => el.textContent === text),
      loadingText(await page.evaluate(() => document.documentElement.lang)),
      { timeout: 15_000 },
    );
  } catch (error) {
    // A page chunk can 404 when web/dist is rebuilt under a running test (the checkout is shared
    // while it is being edited): start again from a fresh index once.
    if (retry && (await page.locator('main [role="alert"]').count()) > 0) {
      await page.reload();
      return visit(page, baseUrl, spec, false);
    }
    const main = await page.evaluate(() => document.querySelector('main')?.textContent?.slice(0, 200));
    throw new Error(
      `${spec.user} ${spec.route} did not settle (${(error as Error).message.split('\n')[0]}): ${main}`,
    );
  }
}

function loadingText(lang: string): string {
  return lang === 'en' ? en.loading : zh.loading;
}

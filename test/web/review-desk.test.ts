// The reviewer's claim page in a real browser (Debian's chromium) against the real local stack:
// who the household is and its year, the decision form in the first screen, the receipt viewer
// (zoom by button, wheel and pinch; rotate; pan) kept in view, a decision, a 360 px phone with
// nothing wider than the screen, and a possible duplicate's receipts side by side in viewers.
import { createRequire } from 'node:module';
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
import { desk, launchChromium, newContext, screenshot, signIn } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

let stack: TestStack;
let browser: Browser;
let paidId = '';
let reviewId = '';
let duplicateId = '';
// One expense date for every claim: they all fall in the same cap year whatever today is.
const expenseDate = recentDate(2);
const household = parseRosterCsv(demoRosterCsv()).periods.find((p) => p.householdId === 'HH-0003')!;

/** A portrait receipt photo (1200 x 1600) drawn by the browser; `quality` re-encodes the same bill. */
async function receiptPhoto(quality: number): Promise<Uint8Array> {
  const page = await browser.newPage();
  try {
    const base64 = await page.evaluate(async (q) => {
      const canvas = document.createElement('canvas');
      canvas.width = 1200;
      canvas.height = 1600;
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#f3eee2';
      ctx.fillRect(0, 0, 1200, 1600);
      ctx.fillStyle = '#161616';
      ctx.font = 'bold 90px sans-serif';
      ['SHOUJU', 'HH-0003', 'TUITION', '22,700.00'].forEach((line, i) =>
        ctx.fillText(line, 120, 260 + i * 300),
      );
      ctx.fillRect(100, 1400, 1000, 24);
      const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', q));
      const bytes = new Uint8Array(await blob!.arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    }, quality);
    return new Uint8Array(Buffer.from(base64, 'base64'));
  } finally {
    await page.close();
  }
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Serious and critical axe-core findings (WCAG 2.1 A/AA, best practices) inside the review desk. */
async function axeFindings(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    type Result = { violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[] };
    const axe = (window as unknown as { axe: { run(c: object, o: object): Promise<Result> } }).axe;
    const result = await axe.run(
      { include: [['.review-grid']] },
      {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
        resultTypes: ['violations'],
      },
    );
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

type Box = { x: number; y: number; width: number; height: number };
async function box(page: Page, selector: string): Promise<Box> {
  const b = await page.locator(selector).first().boundingBox();
  if (!b) throw new Error(`${selector} is not shown`);
  return b;
}

/** The rotation the image's transform holds, in degrees (0, 90, 180, 270). */
function rotationOf(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((img) => {
      const m = new DOMMatrix(getComputedStyle(img).transform);
      return Math.round(((Math.atan2(m.b, m.a) * 180) / Math.PI + 360) % 360);
    });
}

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  const paid = await uploadClaim(stack, { householdId: 'HH-0003', totalCost: '15000', expenseDate });
  expect(await settled(stack, paid.claimId)).toMatchObject({ state: 'PAID', payoutFen: 350_000 });
  paidId = paid.claimId;
  const review = await uploadClaim(stack, {
    householdId: 'HH-0003',
    totalCost: '22700',
    expenseDate,
    receipt: await receiptPhoto(0.92),
  });
  expect(await settled(stack, review.claimId)).toMatchObject({ state: 'PENDING_REVIEW' });
  reviewId = review.claimId;
  // The same bill photographed again (re-encoded), filed at another cost: a possible duplicate.
  const again = await uploadClaim(stack, {
    householdId: 'HH-0003',
    totalCost: '22800',
    expenseDate,
    receipt: await receiptPhoto(0.6),
  });
  const flagged = await settled(stack, again.claimId);
  expect(flagged).toMatchObject({ state: 'PENDING_REVIEW', possibleDuplicates: [{ claimId: reviewId }] });
  duplicateId = again.claimId;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('review desk', () => {
  it('village1 sees who the household is, decides from the first screen, and reads the receipt closely', async () => {
    const { context, errors } = await newContext(browser, { viewport: { width: 1280, height: 800 } });
    const page = await signIn(context, stack.apiUrl, 'village1');
    await page.goto(`${stack.apiUrl}/#/claims/${reviewId}`);

    // The household: head in full, ID masked, members, village, status history, the year, the cap.
    await expect.poll(() => page.getByTestId('review-head').textContent()).toBe(household.headName);
    const main = (await page.textContent('main')) ?? '';
    expect(main).not.toContain(household.idNumber);
    expect(main).toContain(`${household.idNumber.slice(0, 6)}********${household.idNumber.slice(-4)}`);
    expect(main).not.toContain(household.bankAccount);
    expect(main).toContain(household.village);
    expect(main).toContain(`${household.members} 口人`);
    expect(await page.getByTestId('review-periods').locator('li').count()).toBe(1);
    expect(await page.getByTestId('review-periods').textContent()).toContain('费用发生时');
    const others = page.getByTestId('review-other-claims');
    await others.locator(`a[title="${paidId}"]`).waitFor();
    expect(await others.locator('li', { has: page.locator(`a[title="${paidId}"]`) }).textContent()).toContain(
      '已赔 ¥3,500.00',
    );
    // Not paid yet: priced, shown as an estimate.
    expect(
      await others.locator('li', { has: page.locator(`a[title="${duplicateId}"]`) }).textContent(),
    ).toContain('预计 ¥8,180.00');
    expect(await others.locator(`a[title="${reviewId}"]`).count()).toBe(0);
    const cap = (await page.getByTestId('review-cap').textContent()) ?? '';
    expect(cap).toContain('¥20,000.00');
    expect(cap).toContain('¥3,500.00');
    expect(cap).toContain('¥16,500.00');

    // The decision form starts inside the first screen of a 1280 x 800 desk, beside the receipt.
    const form = await box(page, 'form.decision');
    expect(form.y).toBeGreaterThanOrEqual(0);
    expect(form.y).toBeLessThan(800);
    const frame = await box(page, '.review-receipt .rv-frame');
    expect(frame.y).toBeLessThan(800);
    expect(frame.x + frame.width).toBeLessThanOrEqual(form.x);

    // Zoom by button, then by wheel over the image: the image grows, the zoom level says so.
    const img = '.review-receipt [data-testid="receipt-image"]';
    await expect
      .poll(() => page.locator(img).evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : 0)))
      .toBe(1200);
    await expect.poll(async () => (await box(page, img)).height).toBeGreaterThan(100);
    const fit = await box(page, img);
    // Portrait bill, fitted whole into the frame.
    expect(fit.height).toBeGreaterThan(fit.width);
    expect(fit.height).toBeLessThanOrEqual(frame.height + 1);
    await page.locator('.review-receipt').getByRole('button', { name: '放大' }).click();
    await expect.poll(async () => (await box(page, img)).width / fit.width).toBeCloseTo(1.25, 2);
    expect(await page.locator('.review-receipt [data-testid="viewer-zoom"]').textContent()).toBe('125%');
    await page.mouse.move(frame.x + frame.width / 2, frame.y + frame.height / 2);
    await page.mouse.wheel(0, -400);
    await expect.poll(async () => (await box(page, img)).width / fit.width).toBeGreaterThan(1.6);

    // Pan: dragging the zoomed image moves it.
    const before = await box(page, img);
    await page.mouse.move(frame.x + frame.width / 2, frame.y + frame.height / 2);
    await page.mouse.down();
    await page.mouse.move(frame.x + frame.width / 2 + 60, frame.y + frame.height / 2 + 40, { steps: 5 });
    await page.mouse.up();
    const moved = await box(page, img);
    expect(moved.x - before.x).toBeCloseTo(60, 0);
    expect(moved.y - before.y).toBeCloseTo(40, 0);

    // Rotate a quarter turn: the portrait bill now lies on its side, still whole in the frame.
    await page.locator('.review-receipt').getByRole('button', { name: '适应窗口' }).click();
    expect(await rotationOf(page, img)).toBe(0);
    await page.locator('.review-receipt').getByRole('button', { name: '顺时针旋转 90 度' }).click();
    expect(await rotationOf(page, img)).toBe(90);
    const turned = await box(page, img);
    expect(turned.width).toBeGreaterThan(turned.height);
    expect(turned.width).toBeLessThanOrEqual(frame.width + 1);
    await screenshot(page, '20-review-desk');
    expect(await axeFindings(page)).toEqual([]);

    // The receipt stays in view while the reviewer scrolls down the claim.
    await page.mouse.move(1100, 400);
    await page.mouse.wheel(0, 900);
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(300);
    const stuck = await box(page, '.review-receipt .rv-frame');
    expect(stuck.y).toBeGreaterThanOrEqual(0);
    expect(stuck.y).toBeLessThan(200);

    // Decide.
    await page.getByLabel('审核意见').fill('户主、票据与名单一致');
    await page.getByRole('button', { name: '通过', exact: true }).click();
    await page.getByText('已提交审核意见').waitFor();
    const claim = await stack.deps.claims.get(reviewId);
    expect(claim?.gates.village).toMatchObject({ decision: 'approve', by: 'village1' });
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('on a 360 px phone the receipt sits above the form, pinches to zoom, and nothing is wider than the screen', async () => {
    const { context, errors } = await newContext(browser, {
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await signIn(context, stack.apiUrl, 'insurer1');
    await page.goto(`${stack.apiUrl}/#/claims/${reviewId}`);
    await expect.poll(() => page.getByTestId('review-head').textContent()).toBe(household.headName);
    const img = '.review-receipt [data-testid="receipt-image"]';
    await expect.poll(async () => (await box(page, img)).height).toBeGreaterThan(100);
    await page.locator('form.decision').waitFor();
    const frame = await box(page, '.review-receipt .rv-frame');
    const form = await box(page, 'form.decision');
    expect(frame.y + frame.height).toBeLessThanOrEqual(form.y);
    expect(frame.x).toBeGreaterThanOrEqual(0);
    expect(frame.x + frame.width).toBeLessThanOrEqual(360);

    // Two fingers spread apart over the receipt: it zooms.
    const fit = await box(page, img);
    const cdp = await context.newCDPSession(page);
    const cx = frame.x + frame.width / 2;
    const cy = frame.y + frame.height / 2;
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', spread: number) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints:
          type === 'touchEnd'
            ? []
            : [
                { x: cx - spread, y: cy, id: 1 },
                { x: cx + spread, y: cy, id: 2 },
              ],
      });
    await touch('touchStart', 30);
    for (let spread = 40; spread <= 120; spread += 10) await touch('touchMove', spread);
    await touch('touchEnd', 0);
    await expect.poll(async () => (await box(page, img)).width / fit.width).toBeGreaterThan(1.5);

    const overflow = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
      wide: [...document.querySelectorAll('main *')]
        .filter((el) => !el.closest('.rv-frame'))
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((el) => el.outerHTML.slice(0, 80)),
    }));
    expect(overflow).toEqual({ doc: 360, body: 360, wide: [] });
    await screenshot(page, '21-review-phone');
    expect(await axeFindings(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('a possible duplicate: both receipts side by side in viewers, beside the decision', async () => {
    const { context, errors } = await newContext(browser, { viewport: { width: 1280, height: 800 } });
    const page = await signIn(context, stack.apiUrl, 'village1');
    await page.goto(`${stack.apiUrl}/#/claims/${duplicateId}`);
    const pair = page.locator('.review-receipt [data-testid="receipt-compare"]').first();
    await pair.locator(`a[title="${reviewId}"]`).waitFor();
    const viewers = pair.locator('.rv');
    await expect.poll(() => viewers.count()).toBe(2);
    const images = pair.getByTestId('receipt-image');
    for (const i of [0, 1])
      await expect
        .poll(() => images.nth(i).evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : 0)))
        .toBe(1200);
    const [a, b] = [(await viewers.nth(0).boundingBox())!, (await viewers.nth(1).boundingBox())!];
    // Beside each other, not one under the other, and the decision form still in the first screen.
    expect(Math.abs(a.y - b.y)).toBeLessThan(2);
    expect(a.x + a.width).toBeLessThanOrEqual(b.x);
    expect((await box(page, 'form.decision')).y).toBeLessThan(800);
    // Each viewer zooms on its own.
    await expect.poll(async () => (await images.nth(1).boundingBox())?.height ?? 0).toBeGreaterThan(100);
    const mine = (await images.nth(0).boundingBox())!.width;
    const other = (await images.nth(1).boundingBox())!.width;
    await viewers.nth(1).getByRole('button', { name: '放大' }).click();
    await expect.poll(async () => (await images.nth(1).boundingBox())!.width / other).toBeCloseTo(1.25, 2);
    expect((await images.nth(0).boundingBox())!.width).toBeCloseTo(mine, 1);
    await screenshot(page, '22-review-duplicate');
    expect(await axeFindings(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();

    // Outside the review desk (the household's grid worker), the comparison has viewers too.
    const worker = await newContext(browser, desk);
    const workerPage = await signIn(worker.context, stack.apiUrl, 'worker1');
    await workerPage.goto(`${stack.apiUrl}/#/claims/${duplicateId}`);
    await workerPage.getByRole('heading', { name: '可能重复的申请' }).waitFor();
    await expect.poll(() => workerPage.locator('.duplicates .side-by-side .rv').count()).toBe(2);
    expect(await workerPage.locator('form.decision').count()).toBe(0);
    expect(worker.errors).toEqual([]);
    await worker.context.close();
  }, 90_000);
});

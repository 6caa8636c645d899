// A grid worker in a village with a weak signal: a claim submitted with no connection waits on
// the phone (IndexedDB) and goes up once the signal is back, even after the tab was closed;
// an upload cut off half-way is retried. Real browser, real local stack; the network faults
// are made in the browser (offline mode, a dropped connection), nothing is mocked.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentDate, startLocalStack, type TestStack } from '#cli/local/scratch-stack.ts';
import { launchChromium, newContext, phone, screenshot, signIn } from '#test/web/support/browser.ts';
import { makeReceiptPhoto } from '#test/web/support/receipt-photo.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';

let stack: TestStack;
let browser: Browser;
let workDir: string;

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  workDir = await mkdtemp(join(tmpdir(), 'claims-web-offline-'));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Fills a small education claim (auto-approved: 9,000 yuan pays 500) with a real photo. */
async function fillClaim(page: Page, householdId: string, photo: string): Promise<void> {
  await page.getByRole('link', { name: '新建申请' }).click();
  await expect.poll(async () => page.locator('#householdId option').count()).toBeGreaterThan(1);
  await page.getByLabel('农户').selectOption(householdId);
  await page.getByLabel('费用发生日期').fill(recentDate(2));
  await page.getByLabel('总费用（元）').fill('9000');
  await expect.poll(() => page.getByTestId('quote-payout').textContent()).toBe('¥500.00');
  await page.getByLabel('选择文件').setInputFiles(photo);
  await page.getByTestId('receipt-size').waitFor();
}

async function claimsOf(householdId: string) {
  const api = await stack.as('worker2');
  const { body } = await api('GET', `/claims?householdId=${householdId}`);
  return body.items as { claimId: string; state: string }[];
}

async function draftsStored(context: BrowserContext): Promise<number> {
  const page = context.pages()[0] ?? (await context.newPage());
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('claims-web');
        open.onsuccess = () => {
          const count = open.result.transaction('drafts').objectStore('drafts').count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        };
        open.onerror = () => reject(open.error);
      }),
  );
}

describe('weak signal', () => {
  it('keeps a claim submitted offline on the phone and uploads it when the signal is back, after a reload', async () => {
    const photo = join(workDir, 'offline.jpg');
    await makeReceiptPhoto(browser, photo, 'HH-0031 offline');
    const { context, errors } = await newContext(browser, phone);
    const page = await signIn(context, stack.apiUrl, 'worker2');
    await fillClaim(page, 'HH-0031', photo);

    await context.setOffline(true);
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByRole('heading', { name: '待上传的申请' }).waitFor();
    await page.getByText('没有网络，联网后自动继续').first().waitFor();
    await page.getByText('网络已断开').first().waitFor();
    expect(await draftsStored(context)).toBe(1);
    await screenshot(page, '12-worker-offline-outbox');

    // The phone kills the tab while there is still no signal; later the person opens the app again.
    await page.close();
    await context.setOffline(false);
    const again = await context.newPage();
    await again.goto(`${stack.apiUrl}/#/claims`);
    await expect.poll(async () => (await claimsOf('HH-0031')).length, { timeout: 30_000 }).toBe(1);
    const [claim] = await claimsOf('HH-0031');
    await again.reload();
    await again.locator(`a[title="${claim?.claimId}"]`).waitFor();
    await expect.poll(() => draftsStored(context), { timeout: 10_000 }).toBe(0);
    await screenshot(again, '13-worker-after-reconnect');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('retries an upload whose connection dropped half-way, without a second claim', async () => {
    const photo = join(workDir, 'dropped.jpg');
    await makeReceiptPhoto(browser, photo, 'HH-0032 dropped');
    // Requests a service worker forwards can bypass context.route(); this profile has none.
    const { context, errors } = await newContext(browser, { ...phone, serviceWorkers: 'block' });
    let dropped = 0;
    // The first receipt upload to the bucket loses its connection.
    await context.route(`${stack.s3Url}/**`, async (route) => {
      if (route.request().method() === 'POST' && dropped === 0) {
        dropped += 1;
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    const page = await signIn(context, stack.apiUrl, 'worker2');
    await fillClaim(page, 'HH-0032', photo);
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.waitForURL(/#\/claims\/[0-9A-HJKMNP-TV-Z]{26}$/, { timeout: 60_000 });
    expect(dropped).toBe(1);
    const claimId = page.url().split('/').pop();
    await page.getByText('已赔付，等待拨付').first().waitFor({ timeout: 30_000 });
    const claims = await claimsOf('HH-0032');
    expect(claims.map((c) => c.claimId)).toEqual([claimId]);
    expect(claims[0]?.state).toBe('PAID');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('opens with no signal after a first visit: households, the form and a live quote', async () => {
    const { context, errors } = await newContext(browser, phone);
    const page = await signIn(context, stack.apiUrl, 'worker2');
    await page.locator('li.household').first().waitFor();
    await page.getByRole('link', { name: '新建申请' }).click();
    // The phone's sticky summary repeats the prompt; either one showing proves the quote runs offline.
    await page.getByText('填写费用后显示预计赔付').first().waitFor();
    // The service worker has taken the page over and holds the app shell.
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 })
      .toBe(true);

    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: '新建理赔申请' }).waitFor();
    await expect.poll(async () => page.locator('#householdId option').count()).toBeGreaterThan(1);
    await page.getByLabel('农户').selectOption('HH-0033');
    await page.getByLabel('总费用（元）').fill('22700');
    await expect.poll(() => page.getByTestId('quote-payout').textContent()).toBe('¥8,120.00');
    await page.getByText('剩余额度暂未核实').waitFor();
    // The cap check could not reach the API: the page says the connection is gone.
    await page.getByText('网络已断开').first().waitFor();
    await screenshot(page, '14-worker-offline-start');
    expect(errors).toEqual([]);
    await context.setOffline(false);
    await context.close();
  }, 90_000);
});

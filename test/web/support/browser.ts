// Debian's chromium, headless, no downloads: what the browser tests drive.
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = new URL('../../../reports/screenshots/', import.meta.url);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A cheap phone held upright, or a desk screen. */
export const phone = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
export const desk = { viewport: { width: 1280, height: 900 } };

/** A fresh browser profile (own localStorage and IndexedDB) that fails the test on page errors. */
export async function newContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = desk) {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options });
  const errors: string[] = [];
  context.on('weberror', (e) => errors.push(e.error().message));
  return { context, errors };
}

/** Opens the app and signs in through the sign-in form, as a person would. */
export async function signIn(context: BrowserContext, baseUrl: string, username: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('用户名').fill(username);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('button', { name: '退出' }).waitFor();
  return page;
}

/** Full-page screenshot kept as a test artifact in reports/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname, fullPage: true });
}

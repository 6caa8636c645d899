// Every page of every role on a 360 px phone, in Chinese and in English: the page never scrolls
// sideways and no element reaches past the screen's edge. The only boxes allowed to hold wider
// content are the explicit table scrollers (`.scroll`), which scroll on their own.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type TestStack } from '#cli/local/scratch-stack.ts';
import { launchChromium, newContext, screenshot } from '#test/web/support/browser.ts';
import { ensureWebBuilt } from '#test/web/support/web-build.ts';
import { everyPage, openAs, seedClaims, visit, type PageSpec } from '#test/web/support/every-page.ts';

const WIDTH = 360;
const narrowPhone = {
  viewport: { width: WIDTH, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

let stack: TestStack & { stop(): Promise<void> };
let browser: Browser;
let pages: PageSpec[];

/** The page's width, and every element that reaches outside the viewport (not inside a `.scroll`). */
async function overflow(page: Page) {
  // Not innerWidth: a mobile browser widens its layout viewport to fit content that overflows.
  return page.evaluate((width) => {
    const offenders: string[] = [];
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${[...el.classList].map((c) => `.${c}`).join('')}` +
      ` "${(el.textContent ?? '').trim().slice(0, 30)}"`;
    for (const el of document.body.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0) continue;
      // Visually hidden on purpose (the skip link waits off-screen to the left).
      if (rect.right <= 0) continue;
      if (el.closest('.scroll') && !el.classList.contains('scroll')) continue;
      if (rect.left < -0.5 || rect.right > width + 0.5)
        offenders.push(`${describe(el)}: ${Math.round(rect.left)}..${Math.round(rect.right)}`);
    }
    return {
      scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
      innerWidth: window.innerWidth,
      offenders: offenders.slice(0, 8),
    };
  }, WIDTH);
}

beforeAll(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([startLocalStack({ demo: true }), launchChromium()]);
  pages = everyPage(await seedClaims(stack));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('no sideways scrolling at 360 px', () => {
  for (const lang of ['zh', 'en'] as const) {
    it(`every page of every role (${lang})`, async () => {
      const failures: string[] = [];
      let measured = 0;
      const users = [...new Set(pages.map((p) => p.user))];
      for (const user of users) {
        const { context, errors } = await newContext(browser, narrowPhone);
        const page = await openAs(context, stack.apiUrl, user, lang);
        for (const spec of pages.filter((p) => p.user === user)) {
          try {
            await visit(page, stack.apiUrl, spec);
          } catch (error) {
            failures.push((error as Error).message);
            continue;
          }
          const got = await overflow(page);
          measured += 1;
          if (got.scrollWidth > WIDTH || got.innerWidth > WIDTH || got.offenders.length > 0) {
            failures.push(
              `${user} ${spec.route} (${lang}): ${got.scrollWidth}px; ${got.offenders.join('; ')}`,
            );
            await screenshot(page, `overflow-${lang}-${user}-${spec.route.replace(/\W+/g, '_')}`);
          }
        }
        // The signed-out page too.
        if (user === users[0]) {
          await page.getByRole('button', { name: lang === 'zh' ? '退出' : 'Sign out' }).click();
          await page.locator('#page-title, h1').first().waitFor();
          const got = await overflow(page);
          measured += 1;
          if (got.scrollWidth > WIDTH || got.innerWidth > WIDTH || got.offenders.length > 0)
            failures.push(`sign-in (${lang}): ${got.scrollWidth}px; ${got.offenders.join('; ')}`);
        }
        expect(errors).toEqual([]);
        await context.close();
      }
      expect(failures).toEqual([]);
      expect(measured).toBe(pages.length + 1);
    }, 300_000);
  }
});

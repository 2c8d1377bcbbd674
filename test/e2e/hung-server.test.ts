// A ping the server never answers: the page keeps planning at a calm pace (no busy loop of
// zero-delay timers while it waits), in Debian's Chromium against the demo.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn } from './support.js';
import { useDemo } from './use-demo.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('a ping that hangs', () => {
  const demo = useDemo({ expireAfter: 30, warnAfter: 2 });

  it('sets a few timers a second while it waits, not hundreds', async () => {
    const context = await browser.newContext();
    try {
      // Counts the page's setTimeout calls.
      await context.addInitScript(() => {
        const real = window.setTimeout.bind(window);
        const counter = { calls: 0 };
        (window as unknown as { __timeouts: typeof counter }).__timeouts = counter;
        window.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
          counter.calls++;
          return real(...args);
        }) as typeof window.setTimeout;
      });
      const page = await context.newPage();
      await signIn(page, demo.origin, '/');
      // From now on the server takes every ping and never answers.
      await page.route('**/session-security/ping', () => {});
      const calls = () =>
        page.evaluate(
          () => (window as unknown as { __timeouts: { calls: number } }).__timeouts.calls,
        );
      // At warnAfter the page asks the server (only its word opens the dialog): that ping hangs.
      await page.waitForRequest('**/session-security/ping', { timeout: 10_000 });
      // A wake-up while it is out makes the page plan again, with a ping due that it cannot send
      // until the first one answers.
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await page.waitForTimeout(200);
      const before = await calls();
      await page.waitForTimeout(2000);
      const during = (await calls()) - before;
      // One look every 250 ms is 8 in 2 s; zero-delay timers would be hundreds.
      expect(during).toBeLessThanOrEqual(20);
      expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('active');
    } finally {
      await context.close();
    }
  });
});

// The shortest path through the client in a real Chromium: sign in, warning, expiry.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SharedClock } from './shared-clock.js';
import { launchChromium, signIn, startDemo } from './support.js';

let browser: Browser;
let demo: Awaited<ReturnType<typeof startDemo>>;
/** The demo's and the browser's time, moved by the test (shared-clock.ts). */
const clock = new SharedClock();
beforeAll(async () => {
  browser = await launchChromium();
  demo = await startDemo({ expireAfter: 4, warnAfter: 2, clock });
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

it('warns after warnAfter and lands on the login page after expireAfter', async () => {
  const context = await browser.newContext();
  await clock.install(context);
  const page = await context.newPage();
  await signIn(page, demo.origin);
  await clock.advanceUntilShown(page.locator('dialog[open]'), 'the warning', { withinMs: 4000 });
  await clock.advanceUntilAt(page, `${demo.origin}/login?next=%2F&reason=idle`, {
    withinMs: 6000,
  });
  expect(await page.textContent('.notice')).toMatch(/inactivity/);
  await context.close();
});

// The shortest path through the client in a real Chromium: sign in, warning, expiry.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, signIn, startDemo } from './support.js';

let browser: Browser;
let demo: Awaited<ReturnType<typeof startDemo>>;
beforeAll(async () => {
  browser = await launchChromium();
  demo = await startDemo({ expireAfter: 4, warnAfter: 2 });
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

it('warns after warnAfter and lands on the login page after expireAfter', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, demo.origin);
  await page.waitForSelector('dialog[open]', { timeout: 4000 });
  await page.waitForURL(`${demo.origin}/login?next=%2F&reason=idle`, { timeout: 6000 });
  expect(await page.textContent('.notice')).toMatch(/inactivity/);
  await context.close();
});

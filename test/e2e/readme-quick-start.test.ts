// README's quick start, as a newcomer runs it (examples/express/minimal.ts, which README shows
// line for line: test/unit/readme.test.ts): its 900 s, signed in, the warning opens 120 s before
// the end, "Stay signed in" extends the session, and after 900 s without activity the tab is
// signed out and shows the sign-in form again. Its fixed port listens on a free one here; its
// clock is the one the test moves for the server and the browser together (shared-clock.ts), so
// the 15 minutes take seconds.

import net, { type AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SharedClock } from './shared-clock.js';
import { launchChromium, serverStatus } from './support.js';

const clock = new SharedClock();
let browser: Browser;
let server: net.Server | undefined;
let origin = '';

beforeAll(async () => {
  // The server reads the system clock: Date.now is the shared clock's time here.
  vi.spyOn(Date, 'now').mockImplementation(() => clock.now());
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function onFreePort(this: net.Server, ...args: unknown[]) {
    server = this;
    if (typeof args[0] === 'number') args[0] = 0;
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
  try {
    await import('../../examples/express/minimal.js');
  } finally {
    net.Server.prototype.listen = listen;
  }
  const started = server;
  if (!started) throw new Error('the quick start started no server');
  if (!started.listening) await new Promise((resolve) => started.once('listening', resolve));
  origin = `http://127.0.0.1:${(started.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  vi.restoreAllMocks();
});

const warning = (page: Page) => page.getByRole('alertdialog');

describe("README's quick start in Chromium", () => {
  it('warns 120 s before the end, extends on "Stay signed in", and signs the tab out after 900 idle seconds', async () => {
    const context = await browser.newContext();
    try {
      await clock.install(context);
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Hello ada').waitFor();
      await page.waitForFunction(() => window.sessionSecurity?.state === 'active');

      // Not before warnAfter (780 s), then within a few seconds of it.
      await clock.advance(775_000, { stepMs: 5_000 });
      expect(await warning(page).isVisible()).toBe(false);
      await clock.advanceUntil(() => warning(page).isVisible(), 'the warning', {
        withinMs: 10_000,
      });
      await expect(warning(page).textContent()).resolves.toContain(
        'Your session is about to expire',
      );

      await warning(page).getByRole('button', { name: 'Stay signed in' }).click();
      await warning(page).waitFor({ state: 'hidden' });
      expect((await serverStatus(context, origin)).body.idleFor).toBeLessThan(5);

      // Then left alone: at 900 s the session ends on the server and the tab shows the form.
      await clock.advance(890_000, { stepMs: 5_000 });
      await clock.advanceUntil(
        () => page.getByRole('button', { name: 'Sign in' }).isVisible(),
        'the sign-in form after expiry',
        { withinMs: 20_000 },
      );
      expect((await serverStatus(context, origin)).status).toBe(401);
    } finally {
      await context.close();
    }
  }, 90_000);
});

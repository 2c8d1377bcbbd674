// The testing kit (session-security/testing) on the demo with its real timeouts (an idle timeout of
// 15 minutes), in Debian's Chromium: one TestClock drives the server and the page, so the test
// sees the warning at 13 minutes, the sign-out at 15 with its reason (the login page's, or the
// client's for a page under the lock), and a server answer's reason, in seconds of real time. And it fails, naming what did not happen, when the page is
// kept alive.

import type { Browser } from 'playwright-core';
import {
  clientState,
  expectSignedOut,
  expectWarning,
  expiredReason,
  TestClock,
} from 'session-security/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn, startDemo } from './support.js';

const FIFTEEN_MINUTES = 15 * 60_000;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** The demo on `clock`, and a page signed in on it with the clock installed; `close` ends both. */
async function signedInPage(clock: TestClock, lock = false) {
  const demo = await startDemo({ expireAfter: 900, warnAfter: 780, clock, lock });
  const context = await browser.newContext();
  await clock.install(context);
  const page = await context.newPage();
  await signIn(page, demo.origin, '/');
  return {
    page,
    close: async () => {
      await context.close();
      await demo.close();
    },
  };
}

describe('session-security/testing on the demo', () => {
  it('moves 15 minutes in moments: the warning at 13, the sign-out at 15 with reason idle', async () => {
    const clock = new TestClock();
    const started = clock.now();
    const realStart = Date.now();
    const { page, close } = await signedInPage(clock);
    try {
      await expectWarning(clock, page);
      const warnedAfter = clock.now() - started;
      expect(warnedAfter).toBeGreaterThanOrEqual(780_000);
      expect(warnedAfter).toBeLessThan(790_000);
      expect(await clientState(page)).toBe('warning');
      const reason = await expectSignedOut(clock, page, { reason: 'idle' });
      expect(reason).toBe('idle');
      expect(clock.now() - started).toBeGreaterThanOrEqual(FIFTEEN_MINUTES);
      expect(clock.now() - started).toBeLessThan(FIFTEEN_MINUTES + 10_000);
      // Fifteen minutes of the app's time, well under a minute of the machine's.
      expect(Date.now() - realStart).toBeLessThan(60_000);
    } finally {
      await close();
    }
  }, 90_000);

  it("reads the client's reason where the URL has none: a page under the lock stays where it is", async () => {
    const clock = new TestClock();
    const { page, close } = await signedInPage(clock, true);
    try {
      const at = page.url();
      await expect(expectSignedOut(clock, page, { reason: 'idle' })).resolves.toBe('idle');
      expect(page.url()).toBe(at);
      expect(await clientState(page)).toBe('locked');
    } finally {
      await close();
    }
  }, 90_000);

  it("reads a server answer's reason: a fetch after the idle timeout says idle", async () => {
    const clock = new TestClock();
    const demo = await startDemo({ expireAfter: 900, warnAfter: 780, clock });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, demo.origin, '/');
      await page.close();
      const cookie = (await context.cookies())
        .map(({ name, value }) => `${name}=${value}`)
        .join('; ');
      const ask = () =>
        fetch(`${demo.origin}/session-security/ping`, {
          headers: { cookie, 'sec-fetch-site': 'same-origin' },
        });
      expect(await expiredReason(await ask())).toBeUndefined();
      await clock.advance(FIFTEEN_MINUTES);
      expect(await expiredReason(await ask())).toBe('idle');
      await context.close();
    } finally {
      await demo.close();
    }
  });

  it('fails, naming what did not happen, when nothing signs the page out', async () => {
    const clock = new TestClock();
    const { page, close } = await signedInPage(clock);
    try {
      await expect(expectSignedOut(clock, page, { withinMs: 60_000 })).rejects.toThrow(
        'the sign-out did not happen within 60000 ms of the test clock',
      );
    } finally {
      await close();
    }
  });
});

// The client's pointermove listener in Chromium, counted by DevTools (DOMDebugger): off for a
// second after a recorded input, then back, never two at once and none once stopped; input is
// recorded again after the second. Real mouse moves (trusted) on the shared clock (the second
// passes only when the test moves it).

import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedClock } from './shared-clock.js';
import { launchChromium, signIn } from './support.js';
import { useDemo } from './use-demo.js';

let browser: Browser;
const clock = new SharedClock();
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** The pointermove listeners on the page's window (the client's listens there, capturing). */
async function moveListeners(cdp: CDPSession): Promise<number> {
  const { result } = await cdp.send('Runtime.evaluate', { expression: 'window' });
  const { listeners } = await cdp.send('DOMDebugger.getEventListeners', {
    objectId: result.objectId as string,
  });
  await cdp.send('Runtime.releaseObject', { objectId: result.objectId as string });
  return listeners.filter((listener) => listener.type === 'pointermove').length;
}

/** How many `activity` events the page's client dispatched since `countActivity`. */
const activity = (page: Page) =>
  page.evaluate(() => (window as unknown as { __activity: number }).__activity);

describe('with warnAfter 30 s', () => {
  const demo = useDemo({ expireAfter: 60, warnAfter: 30, clock });

  it('takes the pointermove listener off for a second after recorded input, then records again', async () => {
    const context = await browser.newContext();
    try {
      await clock.install(context);
      const page = await context.newPage();
      await signIn(page, demo.origin);
      await page.evaluate(() => {
        const counter = window as unknown as { __activity: number };
        counter.__activity = 0;
        window.sessionSecurity?.addEventListener('activity', () => void counter.__activity++);
      });
      const cdp = await context.newCDPSession(page);
      expect(await moveListeners(cdp)).toBe(1);

      // A page's own synthetic move is ignored, and leaves the listener where it is.
      await page.evaluate(() => document.body.dispatchEvent(new PointerEvent('pointermove')));
      expect(await activity(page)).toBe(0);
      expect(await moveListeners(cdp)).toBe(1);

      await page.mouse.move(10, 10);
      expect(await activity(page)).toBe(1);
      expect(await moveListeners(cdp)).toBe(0);
      for (let i = 1; i <= 5; i++) await page.mouse.move(10 + i * 7, 10 + i * 3);
      await clock.advance(900);
      expect(await moveListeners(cdp)).toBe(0);
      expect(await activity(page)).toBe(1);

      await clock.advance(100);
      expect(await moveListeners(cdp)).toBe(1);
      await page.mouse.move(80, 40);
      expect(await activity(page)).toBe(2);
      expect(await moveListeners(cdp)).toBe(0);

      // Keys still count while the pointer's listener is off: a key a second later is recorded.
      await clock.advance(1000);
      expect(await moveListeners(cdp)).toBe(1);
      await page.keyboard.press('Shift');
      expect(await activity(page)).toBe(3);
      expect(await moveListeners(cdp)).toBe(0);

      // Stopped while the listener is off: it does not come back.
      await page.evaluate(() => window.sessionSecurity?.stop());
      await clock.advance(2000);
      expect(await moveListeners(cdp)).toBe(0);
      await page.mouse.move(120, 60);
      expect(await activity(page)).toBe(3);

      // Started again: one listener, however many seconds pass.
      await page.evaluate(() => window.sessionSecurity?.start());
      expect(await moveListeners(cdp)).toBe(1);
      await clock.advance(2000);
      expect(await moveListeners(cdp)).toBe(1);
    } finally {
      await context.close();
    }
  });
});

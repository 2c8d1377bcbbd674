// Drafts end to end on the demo's /form, in Debian's Chromium: the server's per-user key in the
// page config, the drafts script loaded for the form, the text kept on expiry, and given back
// after signing in again to the same user only, with a polite notice. The demo and the browser
// share a clock the tests move to expiry (shared-clock.ts).

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedClock } from './shared-clock.js';
import { launchChromium, openTab, signIn } from './support.js';
import { useDemo } from './use-demo.js';

const EXPIRE_AFTER = 4;
const TEXT = 'A long answer, typed before a coffee break.';

let browser: Browser;
const clock = new SharedClock();
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** The library's entries in the tab's sessionStorage, as stored. */
function draftEntries(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const entries: Record<string, string> = {};
    for (let i = 0; i < sessionStorage.length; i++) {
      const name = sessionStorage.key(i) ?? '';
      if (name.startsWith('session-security')) entries[name] = sessionStorage.getItem(name) ?? '';
    }
    return entries;
  });
}

/**
 * A new browser on the shared clock, whose pages note when the drafts script has run (its load
 * event, caught on the way down: it never reaches the window).
 */
async function newBrowser(): Promise<BrowserContext> {
  const context = await browser.newContext();
  await clock.install(context);
  await context.addInitScript(() => {
    document.addEventListener(
      'load',
      (event) => {
        const src = (event.target as { src?: unknown } | null)?.src;
        if (typeof src === 'string' && src.includes('/drafts.js')) {
          (window as { draftsRan?: boolean }).draftsRan = true;
        }
      },
      true,
    );
  });
  return context;
}

/** Moves the clock until `page` is at `url`, failing after `withinMs` of clock time. */
function advanceTo(page: Page, url: string, withinMs = (EXPIRE_AFTER + 6) * 1000) {
  return clock.advanceUntilAt(page, url, { withinMs });
}

/** Types into the demo's form, then moves time (idle) until the tab lands on the login page. */
async function typeAndExpire(page: Page, origin: string): Promise<void> {
  // The drafts script hears the expiry only if it has run.
  await page.waitForFunction(() => (window as { draftsRan?: boolean }).draftsRan);
  await page.fill('textarea[name=note]', TEXT);
  await advanceTo(page, `${origin}/login?next=%2Fform&reason=idle`);
}

describe('drafts on the demo', () => {
  const demo = useDemo({ expireAfter: EXPIRE_AFTER, warnAfter: 2, clock });

  it('keeps the text of /form on expiry and gives it back, with a notice, after signing in again', async () => {
    const context = await newBrowser();
    try {
      const page = await context.newPage();
      await signIn(page, demo.origin, '/form');
      const config = JSON.parse((await page.textContent('#session-security-config')) ?? '{}') as {
        drafts?: { key: string };
      };
      expect(config.drafts?.key).toMatch(/^[\w-]{43}$/);
      expect(JSON.stringify(config)).not.toContain('"demo"');
      await typeAndExpire(page, demo.origin);
      const kept = Object.values(await draftEntries(page));
      expect(kept).toHaveLength(1);
      expect(kept[0]).toContain(TEXT);
      expect(kept[0]).toContain(config.drafts?.key);

      await page.fill('input[name=username]', 'demo');
      await page.fill('input[name=password]', 'demo');
      await Promise.all([
        page.waitForURL(`${demo.origin}/form`),
        page.click('button[type=submit]'),
      ]);
      await expect.poll(() => page.inputValue('textarea[name=note]'), { timeout: 5000 }).toBe(TEXT);
      // The notice gets its text 100 ms later (a live region announces a change).
      await clock.advance(200);
      const notice = page.locator('[role=status].session-security-restored');
      await expect.poll(() => notice.textContent(), { timeout: 5000 }).toMatch(/\S/);
      expect(await notice.getAttribute('aria-live')).toBe('polite');
      expect(await draftEntries(page)).toEqual({});
    } finally {
      await context.close();
    }
  });

  it("deletes another tab's text when the app's sign-out button ends the sign-in", async () => {
    const context = await newBrowser();
    try {
      const home = await context.newPage();
      await signIn(home, demo.origin, '/');
      const form = await openTab(context, `${demo.origin}/form`);
      await form.fill('textarea[name=note]', TEXT);
      // The demo's own sign-out form (security.signOut on the server): the other tab's client
      // hears nothing of it but its next ping, which the new cookie makes anonymous.
      await Promise.all([
        home.waitForURL(`${demo.origin}/login`),
        home.getByRole('button', { name: 'Sign out' }).first().click(),
      ]);
      await advanceTo(form, `${demo.origin}/login?next=%2Fform&reason=logout`);
      expect(await draftEntries(form)).toEqual({});
    } finally {
      await context.close();
    }
  });

  it('does not give the text to another user who signs in in that tab', async () => {
    const context = await newBrowser();
    try {
      const page = await context.newPage();
      await signIn(page, demo.origin, '/form');
      await typeAndExpire(page, demo.origin);
      expect(Object.keys(await draftEntries(page))).toHaveLength(1);

      await page.fill('input[name=username]', 'guest');
      await page.fill('input[name=password]', 'guest');
      await Promise.all([
        page.waitForURL(`${demo.origin}/form`),
        page.click('button[type=submit]'),
      ]);
      await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
      // The drafts script has run (the other user's copy is gone) and filled nothing in.
      await expect.poll(() => draftEntries(page), { timeout: 5000 }).toEqual({});
      expect(await page.inputValue('textarea[name=note]')).toBe('');
      expect(await page.locator('.session-security-restored').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

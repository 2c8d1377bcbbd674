// The lock (sign in again in place) on the demo, in Debian's Chromium: on expiry every tab covers
// its page and asks for the password there, keeping the page (a form's text, the scroll position);
// the same user signing in again in one tab carries all of them on with a new sign-in, another
// user gets every tab reloaded with nothing of the first user's page. And "Change password", which
// asks for a recent sign-in: the form's fetch is asked again in place, then sent once more.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type AxeCore from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enLock } from '../../src/client/lock.js';
import { launchChromium, openTab, serverStatus, signIn } from './support.js';
import { useDemo } from './use-demo.js';

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
const TEXT = 'Half a report, typed before the phone rang.';
const LOCK = 'dialog.session-security-lock[open]';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Waits until the client of `page` is in `state` (within `timeoutMs`). */
function clientState(page: Page, state: string, timeoutMs = 10_000) {
  return page.waitForFunction((wanted) => window.sessionSecurity?.state === wanted, state, {
    timeout: timeoutMs,
  });
}

/** The page's sign-in marker as the server sees it now (a GET ping never extends). */
async function markerNow(context: BrowserContext, origin: string): Promise<unknown> {
  return (await serverStatus(context, origin)).body.session;
}

/** Signs in through the lock of `page` by keyboard: user name, Tab, password, Enter. */
async function unlockByKeyboard(page: Page, user: string, password: string): Promise<void> {
  // Focus is in the lock's first field, where typing goes.
  await page.keyboard.type(user);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

/** What the page shows and where focus is, as a person (and a screen reader) meets it. */
function lockFacts(page: Page) {
  return page.evaluate(() => {
    const dialog = document.querySelector('dialog.session-security-lock') as HTMLDialogElement;
    const main = document.querySelector('main') as HTMLElement;
    return {
      open: dialog?.open === true,
      role: dialog?.getAttribute('role'),
      title: document.getElementById(dialog?.getAttribute('aria-labelledby') ?? '')?.textContent,
      focusInLock: dialog?.contains(document.activeElement) === true,
      focusedName: (document.activeElement as HTMLInputElement | null)?.name,
      mainShown: getComputedStyle(main).visibility !== 'hidden',
      // What sits on top at the middle of the page: the lock's backdrop (the dialog), never the page.
      onTop: document.elementFromPoint(innerWidth / 2, 5)?.closest('dialog') !== null,
    };
  });
}

describe('the lock on the demo (expireAfter 6 s, warnAfter 4 s)', () => {
  const demo = useDemo({ expireAfter: 6, warnAfter: 4, lock: true });

  it('locks three tabs together, keeps the form and scroll, and signing in again by keyboard in one carries all three on', {
    timeout: 60_000,
  }, async () => {
    const context = await browser.newContext();
    try {
      const form = await context.newPage();
      await signIn(form, demo.origin, '/form');
      const before = await markerNow(context, demo.origin);
      await form.fill('#note', TEXT);
      // A page taller than the window, scrolled down: the lock must not move it.
      await form.evaluate(() => {
        const spacer = document.createElement('div');
        spacer.style.height = '3000px';
        document.querySelector('main')?.append(spacer);
        scrollTo(0, 400);
      });
      const home = await openTab(context, `${demo.origin}/`);
      const second = await openTab(context, `${demo.origin}/second`);
      const tabs = [form, home, second];
      await home.bringToFront();

      // Nobody touches anything: every tab locks, none leaves.
      for (const tab of tabs) await clientState(tab, 'locked');
      for (const tab of tabs) {
        await tab.waitForSelector(LOCK);
        expect(new URL(tab.url()).pathname).not.toBe('/login');
        const facts = await lockFacts(tab);
        expect(facts).toMatchObject({
          open: true,
          role: 'alertdialog',
          title: enLock.lockTitle,
          focusInLock: true,
          focusedName: 'username',
          mainShown: false,
          onTop: true,
        });
      }
      // Nothing behind it can be reached: the form's field takes no input.
      await expect(
        form.fill('#note', 'typed through the lock', { timeout: 1000 }),
      ).rejects.toThrow();
      // The sign-in is over on the server: the lock is not a session kept alive.
      const polled = await context.request.get(`${demo.origin}/api/poll`);
      expect(polled.status()).toBe(401);
      // Escape, twice (a browser then closes a modal dialog whatever the page says): the lock
      // stays, focus in it.
      await second.bringToFront();
      for (let i = 0; i < 2; i++) await second.keyboard.press('Escape');
      await second.waitForTimeout(100);
      expect(await lockFacts(second)).toMatchObject({ open: true, focusInLock: true });
      // On paper too, nothing of the page shows.
      await form.emulateMedia({ media: 'print' });
      expect((await lockFacts(form)).mainShown).toBe(false);
      await form.emulateMedia({ media: 'screen' });
      await home.bringToFront();

      // axe-core on a locked page finds nothing (the demo's CSP refuses an inline script).
      await home.evaluate(AXE_SOURCE);
      const axe = await home.evaluate(async () => {
        const { axe } = window as unknown as { axe: typeof AxeCore };
        const results = await axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
        });
        return { passes: results.passes.length, violations: results.violations.map((v) => v.id) };
      });
      expect(axe.violations).toEqual([]);
      expect(axe.passes).toBeGreaterThan(5);

      // A wrong password: said in the lock (role alert), which stays.
      await unlockByKeyboard(home, 'demo', 'wrong');
      await home.waitForSelector(`${LOCK} [role="alert"]:text("${enLock.lockRefused}")`);
      expect(await home.evaluate(() => window.sessionSecurity?.state)).toBe('locked');
      // The fields keep the user name, lose the password; focus goes back to the password.
      await home.keyboard.press('Control+A');
      await home.keyboard.type('demo');
      await home.keyboard.press('Enter');

      for (const tab of tabs) await clientState(tab, 'active');
      for (const tab of tabs) {
        expect(await tab.locator(LOCK).count()).toBe(0);
        expect(
          await tab.evaluate(
            () => getComputedStyle(document.querySelector('main') as HTMLElement).visibility,
          ),
        ).toBe('visible');
      }
      expect(await form.inputValue('#note')).toBe(TEXT);
      expect(await form.evaluate(() => scrollY)).toBe(400);
      // A new sign-in: a new marker, live on the server, idle from the sign-in again.
      const after = await markerNow(context, demo.origin);
      expect(typeof after).toBe('string');
      expect(after).not.toBe(before);
      expect(Number((await serverStatus(context, demo.origin)).body.idleFor)).toBeLessThan(2);
      // Nothing is left to restore later: the drafts kept at the lock were dropped.
      const left = await form.evaluate(() =>
        Object.keys(sessionStorage).filter((name) => name.startsWith('session-security')),
      );
      expect(left).toEqual([]);
      // The kept form is sent as it was, and the server takes it; no stale draft comes back.
      await form.click('main form button');
      await form.waitForSelector(`pre:text("${TEXT}")`);
      expect(await form.locator('.session-security-restored').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it("gives another user who signs in at the lock a clean page in every tab, nothing of the first user's", {
    timeout: 60_000,
  }, async () => {
    const context = await browser.newContext();
    try {
      const form = await context.newPage();
      await signIn(form, demo.origin, '/form');
      await form.fill('#note', TEXT);
      const home = await openTab(context, `${demo.origin}/`);
      for (const tab of [form, home]) await clientState(tab, 'locked');
      await home.waitForSelector(LOCK);

      const reloaded = form.waitForEvent('load');
      await unlockByKeyboard(home, 'guest', 'guest');
      await reloaded;
      for (const tab of [form, home]) {
        await tab.waitForSelector('nav strong:text("guest")');
        await clientState(tab, 'active');
        expect(await tab.locator(LOCK).count()).toBe(0);
      }
      expect(await form.inputValue('#note')).toBe('');
      expect(await form.locator('.session-security-restored').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

describe('"Sign out" in the lock (expireAfter 6 s, warnAfter 4 s)', () => {
  const demo = useDemo({ expireAfter: 6, warnAfter: 4, lock: true });

  it('goes to the login page keeping nothing, the page covered until it leaves', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, demo.origin, '/form');
      await page.fill('#note', TEXT);
      await clientState(page, 'locked');
      await page.waitForSelector(LOCK);
      // Whether the page's content ever showed between the click and the login page.
      await page.evaluate(() => {
        const main = document.querySelector('main') as HTMLElement;
        const seen = () => {
          if (getComputedStyle(main).visibility !== 'hidden') sessionStorage.setItem('shown', '1');
          requestAnimationFrame(seen);
        };
        requestAnimationFrame(seen);
      });
      await page.getByRole('button', { name: enLock.signOut }).click();
      await page.waitForURL((url) => url.pathname === '/login');
      expect(new URL(page.url()).searchParams.get('reason')).toBe('logout');
      const left = await page.evaluate(() => Object.keys(sessionStorage));
      expect(left).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('"Change password" on the demo (a sign-in less than 2 s old)', () => {
  const demo = useDemo({ expireAfter: 60, warnAfter: 40, lock: true, recentSignIn: 2 });

  it('asks for the password again in place when the sign-in is older, then sends the change once more', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, demo.origin, '/password');
      const before = await markerNow(context, demo.origin);
      const posts: number[] = [];
      page.on('response', (response) => {
        if (response.request().method() === 'POST' && response.url().endsWith('/password')) {
          posts.push(response.status());
        }
      });
      await page.waitForTimeout(2200);
      await page.fill('#new-password', 'a new one');
      await page.click('#password-form button');

      await page.waitForSelector(LOCK);
      const facts = await lockFacts(page);
      expect(facts).toMatchObject({ open: true, title: enLock.reauthTitle, focusInLock: true });
      // Asking again is not an expiry: the page's client is not locked, and the sign-in lives.
      expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('active');
      await unlockByKeyboard(page, 'demo', 'demo');

      await page.waitForSelector('#password-result:text("Password changed")');
      expect(posts).toEqual([401, 200]);
      expect(await page.locator(LOCK).count()).toBe(0);
      expect(await markerNow(context, demo.origin)).not.toBe(before);
      // The new sign-in is recent: the next change goes through without a question.
      await page.click('#password-form button');
      await page.waitForFunction(() => document.querySelectorAll('#password-result').length > 0);
      await expect.poll(() => posts.length).toBe(3);
      expect(posts[2]).toBe(200);
    } finally {
      await context.close();
    }
  });

  it('leaves the change undone when the user cancels, and a form posted without the client goes to the login page', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, demo.origin, '/password');
      await page.waitForTimeout(2200);
      await page.click('#password-form button');
      await page.waitForSelector(LOCK);
      await page.keyboard.press('Escape');
      await page.waitForSelector('#password-result:text("Not changed")');
      expect(await page.locator(LOCK).count()).toBe(0);
      expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('active');

      // A page load (a form posted without JavaScript) is sent to sign in again.
      const answer = await context.request.post(`${demo.origin}/password`, {
        form: { newPassword: 'x' },
        headers: {
          origin: demo.origin,
          'sec-fetch-mode': 'navigate',
          'sec-fetch-dest': 'document',
        },
        maxRedirects: 0,
      });
      expect(answer.status()).toBe(303);
      // A POST has no page to come back to: no `next`.
      expect(answer.headers().location).toBe('/login?reason=reauth');
    } finally {
      await context.close();
    }
  });
});

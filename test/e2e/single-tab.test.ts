// One tab of one browser against the demo, on short timeouts of a clock the demo and the
// browser share (shared-clock.ts: a test moves time to the warning or the deadline instead of
// waiting for it): the warning, extending, signing out, expiry, the leave-page guard, the strict
// CSP, the absolute-timeout notice, the cover when the server cannot be reached, translations
// and headless mode.

import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionSecurity } from '../../src/client/session-security.js';
import { CATALOGUES } from '../../src/server/catalogues.js';
import { SharedClock } from './shared-clock.js';
import {
  collectCspViolations,
  cspViolations,
  launchChromium,
  serverStatus,
  signIn,
} from './support.js';
import { useDemo } from './use-demo.js';

const OPEN_DIALOG = 'dialog[open]';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * Runs `test` in a fresh browser context (a separate browser profile) on `clock`, closed
 * afterwards. A context without JavaScript runs no clock of its own: only the server's moves.
 */
async function inContext<T>(
  clock: SharedClock,
  test: (context: BrowserContext) => Promise<T>,
  options?: BrowserContextOptions,
): Promise<T> {
  const context = await browser.newContext(options);
  try {
    if (options?.javaScriptEnabled !== false) await clock.install(context);
    return await test(context);
  } finally {
    await context.close();
  }
}

/** The server's time of last activity on `clock` (ms), read without extending it. */
async function lastActivity(
  clock: SharedClock,
  context: BrowserContext,
  origin: string,
): Promise<number> {
  const { status, body } = await serverStatus(context, origin);
  expect(status).toBe(200);
  return clock.now() - Number(body.idleFor) * 1000;
}

/** The session's coming deadline on `clock` (ms), read without extending it. */
async function expiryDeadline(
  clock: SharedClock,
  context: BrowserContext,
  origin: string,
): Promise<number> {
  const { status, body } = await serverStatus(context, origin);
  expect(status).toBe(200);
  return clock.now() + Number(body.expireIn) * 1000;
}

/**
 * The clock time left until `by` (ms): the deadlines the tests once waited for in real time,
 * with the same margins, on the shared clock.
 */
function until(clock: SharedClock, by: number): { withinMs: number } {
  return { withinMs: Math.max(0, by - clock.now()) };
}

async function openDialogCount(page: Page): Promise<number> {
  return page.locator(OPEN_DIALOG).count();
}

async function buttonTexts(page: Page): Promise<string[]> {
  return page.locator(`${OPEN_DIALOG} button`).allTextContents();
}

async function expectSignedOutOnServer(context: BrowserContext, origin: string): Promise<void> {
  expect(await serverStatus(context, origin)).toEqual({
    status: 401,
    body: { status: 'anonymous' },
  });
}

/** Signs in through the login form (support's signIn posts it without loading the login page). */
async function submitSignIn(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/login?next=%2F`);
  await page.fill('input[name=username]', 'demo');
  await page.fill('input[name=password]', 'demo');
  await Promise.all([page.waitForURL(`${origin}/`), page.click('button[type=submit]')]);
}

/** The inline scripts, style attributes and event-handler attributes of a served HTML page. */
function inlineCode(html: string) {
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].map(
    ([, attributes = '', text = '']) => ({ attributes, text }),
  );
  return {
    inlineScripts: scripts
      .filter(({ attributes, text }) => !/\bsrc=/i.test(attributes) || text.trim() !== '')
      .map(({ attributes }) => attributes.trim()),
    styleAttributes: html.match(/<[^>]*\sstyle\s*=[^>]*>/gi) ?? [],
    styleElements: html.match(/<style\b/gi) ?? [],
    handlerAttributes: html.match(/<[^>]*\son[a-z]+\s*=[^>]*>/gi) ?? [],
  };
}

// Their 2 s and 4 s deadlines are on the shared clock: a loaded machine slows the test down but
// cannot make a deadline look missed.
describe('with warnAfter 2 s and expireAfter 4 s', () => {
  const clock = new SharedClock();
  const demo = useDemo({ expireAfter: 4, warnAfter: 2, clock });

  it('shows no warning before warnAfter, then a modal alertdialog with a m:ss countdown', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin);
      const active = await lastActivity(clock, context, demo.origin);

      await clock.advanceTo(active + 1500);
      expect(await openDialogCount(page)).toBe(0);

      const dialog = page.locator(OPEN_DIALOG);
      await clock.advanceUntilShown(
        page.locator(OPEN_DIALOG),
        'the warning',
        until(clock, active + 3500),
      );
      expect(await dialog.getAttribute('role')).toBe('alertdialog');
      expect(await dialog.evaluate((element) => element.matches(':modal'))).toBe(true);
      expect(await dialog.locator('h2').textContent()).toBe('Your session is about to expire');
      expect(await dialog.locator('.session-security-time strong').textContent()).toMatch(
        /^0:0[0-2]$/,
      );
      expect(await buttonTexts(page)).toEqual(['Stay signed in', 'Sign out']);
    });
  });

  it('postpones the warning by a full warnAfter from a key press', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin);
      const active = await lastActivity(clock, context, demo.origin);

      // Past the server's once-a-second write granularity, well before the warning.
      await clock.advanceTo(active + 1200);
      const pressedAt = clock.now();
      await page.keyboard.press('a');

      // Without the key press the warning would have come at active + 2 s < pressedAt + 1.5 s.
      await clock.advanceTo(pressedAt + 1500);
      expect(await openDialogCount(page)).toBe(0);
      await clock.advanceUntilShown(
        page.locator(OPEN_DIALOG),
        'the warning',
        until(clock, pressedAt + 3500),
      );
    });
  });

  it('"Stay signed in" closes the warning and the server idle time is back near 0', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin);
      await clock.advanceUntilShown(page.locator(OPEN_DIALOG), 'the warning', { withinMs: 4000 });

      await page.locator(OPEN_DIALOG).getByRole('button', { name: 'Stay signed in' }).click();
      await page.locator(OPEN_DIALOG).waitFor({ state: 'detached', timeout: 1500 });
      const { status, body } = await serverStatus(context, demo.origin);
      expect(status).toBe(200);
      expect(body.idleFor).toBeLessThan(1);
      expect(await page.getByText('Welcome, demo').isVisible()).toBe(true);
    });
  });

  it('on expiry lands on the login page with next and reason=idle, and the server session is gone', async () => {
    // Two separate browsers: one on the home page, one on /second.
    await inContext(clock, (home) =>
      inContext(clock, async (second) => {
        const browsers = [
          { context: home, path: '/', next: '%2F' },
          { context: second, path: '/second', next: '%2Fsecond' },
        ];
        const signedIn: {
          context: BrowserContext;
          page: Page;
          deadline: number;
          login: string;
          leftAt: number;
        }[] = [];
        for (const { context, path, next } of browsers) {
          const page = await context.newPage();
          await signIn(page, demo.origin, path);
          const deadline = await expiryDeadline(clock, context, demo.origin);
          const login = `${demo.origin}/login?next=${next}&reason=idle`;
          signedIn.push({ context, page, deadline, login, leftAt: Number.NaN });
        }
        const last = Math.max(...signedIn.map((b) => b.deadline));
        await clock.advanceUntil(
          () =>
            signedIn.every((b) => {
              if (b.page.url() === b.login && Number.isNaN(b.leftAt)) b.leftAt = clock.now();
              return b.page.url() === b.login;
            }),
          'both browsers on the login page',
          until(clock, last + 2500),
        );
        for (const { context, page, deadline, login, leftAt } of signedIn) {
          await page.waitForURL(login);
          // The client leaves only once the server has confirmed the expiry.
          expect(leftAt).toBeGreaterThan(deadline - 500);
          expect(await page.locator('.notice').textContent()).toMatch(/inactivity/);
          expect(await page.getByText('Welcome, demo').count()).toBe(0);
          await expectSignedOutOnServer(context, demo.origin);
        }
      }),
    );
  });

  it('"Sign out" in the warning signs out on the server and goes to the login page', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin);
      await clock.advanceUntilShown(page.locator(OPEN_DIALOG), 'the warning', { withinMs: 4000 });

      await page.locator(OPEN_DIALOG).getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${demo.origin}/login?next=%2F&reason=logout`, { timeout: 2000 });
      expect(await page.locator('h1').textContent()).toBe('Sign in');
      await expectSignedOutOnServer(context, demo.origin);
    });
  });

  it('counts a reload as activity: the warning comes warnAfter after the reload', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin);
      const active = await lastActivity(clock, context, demo.origin);

      await clock.advanceTo(active + 1200);
      const reloadedAt = clock.now();
      await page.reload();
      await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
      expect((await serverStatus(context, demo.origin)).body.idleFor).toBeLessThan(1);

      await clock.advanceTo(reloadedAt + 1500);
      expect(await openDialogCount(page)).toBe(0);
      await clock.advanceUntilShown(
        page.locator(OPEN_DIALOG),
        'the warning',
        until(clock, reloadedAt + 3500),
      );
    });
  });

  it("starts a page loaded without activity (a prefetch) from the server's idle time, not from its load", async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin);
      const active = await lastActivity(clock, context, demo.origin);

      // The reload is sent as a prefetch is (`Purpose: prefetch`; Chromium lets no route set a
      // Sec- header), so the server counts it as no activity.
      await page.route(`${demo.origin}/`, (route) =>
        route.continue({ headers: { ...route.request().headers(), purpose: 'prefetch' } }),
      );
      await clock.advanceTo(active + 1700);
      await page.reload();
      const loadedAt = clock.now();
      expect((await serverStatus(context, demo.origin)).body.idleFor).toBeGreaterThan(1.6);

      // Counted from the server's last activity the warning is due at once; counted from the
      // page's load it would come 2 s after loadedAt. (A deadline counted from `active` would
      // also hold the reload's own duration, which a loaded machine stretches past a second.)
      await clock.advanceUntilShown(
        page.locator(OPEN_DIALOG),
        'the warning',
        until(clock, loadedAt + 1500),
      );
      expect(clock.now()).toBeLessThan(loadedAt + 1500);
    });
  });

  it('shows no protected page on Back after expiry', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin);
      const deadline = await expiryDeadline(clock, context, demo.origin);
      const login = `${demo.origin}/login?next=%2F&reason=idle`;
      await clock.advanceUntilAt(page, login, until(clock, deadline + 2500));

      await page.goBack({ waitUntil: 'commit' });
      await page.waitForURL(/\/login\?/, { timeout: 2000 });
      await page.waitForLoadState();
      expect(await page.getByText('Welcome, demo').isVisible()).toBe(false);
      expect(await page.locator('h1').textContent()).toBe('Sign in');
    });
  });

  it('signs out on the server with JavaScript disabled: a reload after expireAfter lands on the login page', async () => {
    await inContext(
      clock,
      async (context) => {
        const page = await context.newPage();
        await submitSignIn(page, demo.origin);
        expect(await page.getByText('Welcome, demo').isVisible()).toBe(true);
        const deadline = await expiryDeadline(clock, context, demo.origin);

        await clock.advanceTo(deadline + 200);
        expect(await openDialogCount(page)).toBe(0);
        await page.reload();
        expect(page.url()).toBe(`${demo.origin}/login?next=%2F&reason=idle`);
        expect(await page.locator('.notice').textContent()).toMatch(/inactivity/);
        await expectSignedOutOnServer(context, demo.origin);
      },
      { javaScriptEnabled: false },
    );
  });

  it('reports no CSP violation through sign-in, warning, extend and expiry, and serves no inline script or style', async () => {
    await inContext(clock, async (context) => {
      await collectCspViolations(context);
      const page = await context.newPage();
      // Through the login form: its page is part of what must run under the policy.
      await submitSignIn(page, demo.origin);
      await page.waitForFunction(() => window.sessionSecurity?.state === 'active');

      const response = await page.reload();
      await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
      const csp = response?.headers()['content-security-policy'] ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      const html = (await response?.text()) ?? '';
      expect(html).toContain('id="session-security-config"');
      expect(inlineCode(html)).toEqual({
        inlineScripts: ['type="application/json" id="session-security-config"'],
        styleAttributes: [],
        styleElements: [],
        handlerAttributes: [],
      });
      expect(await cspViolations(page)).toEqual([]);

      await clock.advanceUntilShown(page.locator(OPEN_DIALOG), 'the warning', { withinMs: 4000 });
      expect(await cspViolations(page)).toEqual([]);
      await page.locator(OPEN_DIALOG).getByRole('button', { name: 'Stay signed in' }).click();
      await page.locator(OPEN_DIALOG).waitFor({ state: 'detached', timeout: 1500 });
      expect(await cspViolations(page)).toEqual([]);

      const loginUrl = `${demo.origin}/login?next=%2F&reason=idle`;
      await clock.advanceUntilAt(page, loginUrl, { withinMs: 7000 });
      expect(await cspViolations(page)).toEqual([]);
      const login = await page.reload();
      expect(inlineCode((await login?.text()) ?? '')).toEqual({
        inlineScripts: [],
        styleAttributes: [],
        styleElements: [],
        handlerAttributes: [],
      });
      expect(await cspViolations(page)).toEqual([]);
    });
  });

  it('asks before leaving a page with a changed form', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin, '/form');
      await page.click('textarea[name=note]');
      await page.keyboard.type('a draft');

      const asked = page.waitForEvent('dialog', { timeout: 2000 });
      const leaving = page.goto(`${demo.origin}/`, { timeout: 2000 }).catch(() => undefined);
      const dialog = await asked;
      expect(dialog.type()).toBe('beforeunload');
      await dialog.dismiss();
      await leaving;
      expect(page.url()).toBe(`${demo.origin}/form`);
      expect(await page.inputValue('textarea[name=note]')).toBe('a draft');
    });
  });

  it('does not ask before leaving a changed form when the session expires', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      const asked: string[] = [];
      page.on('dialog', (dialog) => {
        asked.push(dialog.type());
        void dialog.accept();
      });
      await signIn(page, demo.origin, '/form');
      await page.click('textarea[name=note]');
      await page.keyboard.type('a draft');
      const deadline = await expiryDeadline(clock, context, demo.origin);

      // The typing may postpone the local deadline by up to a second past the server's.
      const login = `${demo.origin}/login?next=%2Fform&reason=idle`;
      await clock.advanceUntilAt(page, login, until(clock, deadline + 3500));
      expect(asked).toEqual([]);
    });
  });

  it('hides the page when the server cannot be reached past the deadline, and leaves once it answers', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin);
      const deadline = await expiryDeadline(clock, context, demo.origin);
      await page.route('**/session-security/ping', (route) => route.abort());

      const cover = page.locator('#session-security-cover');
      await clock.advanceUntilShown(cover, 'the cover', until(clock, deadline + 2000));
      expect(clock.now()).toBeGreaterThan(deadline - 500);
      expect(await page.locator('html.session-security-covered').count()).toBe(1);
      expect(await cover.isVisible()).toBe(true);
      expect(await cover.getAttribute('role')).toBe('alert');
      expect(await cover.textContent()).toBe(CATALOGUES.en?.offline);
      expect(await page.getByText('Welcome, demo').isVisible()).toBe(false);

      // The client backs off after failures: the next retry comes within 2^failures seconds.
      await page.unroute('**/session-security/ping');
      const login = `${demo.origin}/login?next=%2F&reason=idle`;
      await clock.advanceUntilAt(page, login, { withinMs: 6000 });
      expect(await page.locator('.notice').textContent()).toMatch(/inactivity/);
    });
  });

  it('shows the warning in the language of the page (de, fr) and announces the time left', async () => {
    const translated = async (lang: 'de' | 'fr') =>
      inContext(clock, async (context) => {
        const messages = CATALOGUES[lang];
        if (!messages) throw new Error(`no ${lang} catalogue`);
        const page = await context.newPage();
        await signIn(page, demo.origin, `/?lang=${lang}`);
        const dialog = page.locator(OPEN_DIALOG);
        await clock.advanceUntilShown(page.locator(OPEN_DIALOG), 'the warning', { withinMs: 4000 });

        expect(await dialog.locator('h2').textContent()).toBe(messages.title);
        expect(await buttonTexts(page)).toEqual([messages.stay, messages.signOut]);
        const [before, after] = messages.announce.split('{duration}');
        const live = (await dialog.locator('.session-security-live').textContent()) ?? '';
        expect(live.startsWith(before ?? '')).toBe(true);
        expect(live.endsWith(after ?? '')).toBe(true);
        expect(live.length).toBeGreaterThan(messages.announce.length - '{duration}'.length);
      });
    // One after the other: each moves the shared clock.
    await translated('de');
    await translated('fr');
  });

  it('in headless mode (ui: false) fires warn and shows no dialog', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      await signIn(page, demo.origin);
      await page.evaluate(() => {
        const current = window.sessionSecurity;
        const tag = document.getElementById('session-security-config');
        if (!current || !tag?.textContent) throw new Error('no client on the page');
        current.stop();
        const Client = current.constructor as typeof SessionSecurity;
        const headless = new Client({ ...JSON.parse(tag.textContent), ui: false });
        const seen: string[] = [];
        (window as unknown as { __events: string[] }).__events = seen;
        headless.addEventListener('warn', () => seen.push('warn'));
        window.sessionSecurity = headless.start();
      });

      await clock.advanceUntil(
        () =>
          page.evaluate(() =>
            (window as unknown as { __events: string[] }).__events.includes('warn'),
          ),
        'the warn event',
        { withinMs: 4000 },
      );
      expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('warning');
      expect(await page.locator('dialog').count()).toBe(0);
    });
  });
});

describe('with absoluteTimeout 4 s before the idle deadline (expireAfter 30 s, warnAfter 26 s)', () => {
  const clock = new SharedClock();
  const demo = useDemo({ absoluteTimeout: 4, expireAfter: 30, warnAfter: 26, clock });

  it('says when the session ends, offers no extension, and OK does not extend it', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      // The notice is due at once: the client never is `active`, which signIn waits for.
      await submitSignIn(page, demo.origin);
      const { body } = await serverStatus(context, demo.origin);
      expect(body.absolute).toBe(true);
      const deadline = clock.now() + Number(body.expireIn) * 1000;

      const dialog = page.locator(OPEN_DIALOG);
      await clock.advanceUntilShown(page.locator(OPEN_DIALOG), 'the notice', { withinMs: 2000 });
      expect(await dialog.locator('h2').textContent()).toBe('Your session will end soon');
      expect(await dialog.locator('p').first().textContent()).toMatch(
        /^This session ends at \d{1,2}:\d{2}(\s?[AP]M)? and cannot be extended\./,
      );
      expect(await buttonTexts(page)).toEqual(['OK', 'Sign out']);

      await dialog.getByRole('button', { name: 'OK' }).click();
      await dialog.waitFor({ state: 'detached', timeout: 1000 });
      // Still the same deadline on the server, and the notice stays closed.
      expect(Math.abs((await expiryDeadline(clock, context, demo.origin)) - deadline)).toBeLessThan(
        300,
      );
      await clock.advance(1000);
      expect(await openDialogCount(page)).toBe(0);

      // A lone tab leads, so it asks the server at the deadline itself, with no grace delay.
      const login = `${demo.origin}/login?next=%2F&reason=absolute`;
      let leftAt = Number.NaN;
      await clock.advanceUntil(
        () => {
          if (page.url() === login) leftAt = clock.now();
          return page.url() === login;
        },
        'the login page',
        until(clock, deadline + 2500),
      );
      await page.waitForURL(login);
      expect(leftAt).toBeGreaterThan(deadline - 500);
      expect(await page.locator('.notice').textContent()).toMatch(/time limit/);
    });
  });
});

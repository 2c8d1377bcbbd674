// The NestJS example (examples/nestjs: session-security/nestjs, its global guard and @Passive())
// started by its npm script, on Nest's Express platform and on its Fastify platform, in Chromium.
// Real time, short timeouts: the server runs in its own process, so no shared clock reaches it.
// The warning comes around warnAfter and the expiry lands on the login page with its reason,
// although the page polls a @Passive() handler every 2 s; a Save (a request the server counts,
// made by script so that the browser client does not count the click) pushes the expiry back; a
// page load of an ended sign-in is sent to the login page by the guard itself; a sign-out sends
// the other tab to the login page, and a copy of the old cookie is refused.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sleepUntil } from '../support/sleep.js';
import { type RunningExample, startExample } from './example-process.js';
import { countdown, launchChromium, pagePastExpiry, warning } from './support.js';

const WARN_AFTER = 5;
const EXPIRE_AFTER = 10;
/** The page's passive poll (the example's script), every 2 s. */
const POLL = '/api/notifications';
/** How late (ms) a deadline may be acted on, on a loaded 2-core machine. */
const SLACK = 7_000;

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

describe.each(['example:nestjs', 'example:nestjs-fastify'])('npm run %s in Chromium', (script) => {
  let example: RunningExample | undefined;
  let origin = '';
  /** The example's output, for a failure's message. */
  const output = () => example?.output ?? [];

  beforeAll(async () => {
    example = await startExample(
      script,
      {
        HOST: '127.0.0.1',
        EXPIRE_AFTER: String(EXPIRE_AFTER),
        WARN_AFTER: String(WARN_AFTER),
        SESSION_SECRET: 'a secret for the browser test, at least 32 characters',
      },
      { timeoutMs: 60_000 },
    );
    origin = example.origin;
  }, 200_000);

  afterAll(async () => {
    await example?.stop();
  });

  beforeEach(({ onTestFailed }) => {
    const from = output().length;
    onTestFailed(() => {
      console.error(`npm run ${script}, during the test:\n${output().slice(from).join('')}`);
    });
  });

  /**
   * A fresh browser context, closed after `test` whatever happened. Page errors and console
   * errors must stay empty, but the 401 answers Chromium logs as failed loads (the library's
   * ping, and the example's API, once the sign-in is over) and the icon the pages do not have.
   */
  async function inBrowser(test: (context: BrowserContext) => Promise<void>): Promise<void> {
    if (!browser) throw new Error('no browser');
    const context = await browser.newContext();
    const errors: string[] = [];
    context.on('weberror', (error) => errors.push(error.error().message));
    context.on('console', (message) => {
      if (
        message.type() === 'error' &&
        !/status of 401\b/.test(message.text()) &&
        new URL(message.location().url || 'about:blank').pathname !== '/favicon.ico'
      ) {
        errors.push(`${message.text()} (${message.location().url})`);
      }
    });
    try {
      await test(context);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }

  /**
   * Signs in as ada through the login form, from the home page, and waits for the home page's
   * client. Resolves with the times around the sign-in: the server started its clock after
   * `clicked` and before `loaded`.
   */
  async function signIn(page: Page): Promise<{ clicked: number; loaded: number }> {
    await page.goto(`${origin}/`);
    expect(page.url()).toBe(`${origin}/login?next=%2F`);
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password').fill('any password will do');
    const clicked = Date.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${origin}/`);
    const loaded = Date.now();
    await expect(page.locator('#user').textContent()).resolves.toBe('ada');
    await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
    return { clicked, loaded };
  }

  /** The server's view of the sign-in, with the browser's cookies (a GET ping never extends). */
  async function serverStatus(context: BrowserContext) {
    const response = await context.request.get(`${origin}/session-security/ping`);
    return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
  }

  /** The reason the login page gives. */
  const notice = (page: Page) => page.getByRole('status').textContent();

  it('warns around warnAfter and signs out at expireAfter with the reason, although the page polls a @Passive() handler every 2 s', async () => {
    await inBrowser(async (context) => {
      const page = await context.newPage();
      const polls: { at: number; status: Promise<number | undefined> }[] = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname !== POLL) return;
        const status = request.response().then((response) => response?.status());
        status.catch(() => undefined); // a poll cut short by the page's leaving
        polls.push({ at: Date.now(), status });
      });
      const { clicked } = await signIn(page);

      await warning(page).waitFor({ timeout: WARN_AFTER * 1000 + SLACK });
      expect(Date.now() - clicked).toBeGreaterThanOrEqual(WARN_AFTER * 1000 - 500);
      const left = await countdown(page);
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(EXPIRE_AFTER - WARN_AFTER);
      // The server, too, counts no activity since the sign-in: the polls were passive.
      const status = await serverStatus(context);
      expect(status.status).toBe(200);
      expect(status.body.idleFor).toBeGreaterThanOrEqual(WARN_AFTER - 1);
      expect(polls.length).toBeGreaterThanOrEqual(2);

      await page.waitForURL(`${origin}/login?next=%2F&reason=idle`, {
        timeout: Math.max(1_000, clicked + EXPIRE_AFTER * 1000 + SLACK - Date.now()),
      });
      const landed = Date.now() - clicked;
      expect(landed).toBeGreaterThanOrEqual(EXPIRE_AFTER * 1000 - 500);
      await expect(notice(page)).resolves.toBe('You were signed out after a period of inactivity.');
      // A poll every 2 s or so until then, each answered while the sign-in lived. One sent in
      // the last second may reach the server after its deadline, before the page leaves (a
      // loaded machine): told 401 then, as it must be.
      expect(polls.length).toBeGreaterThanOrEqual(3);
      const answered = await Promise.all(
        polls.map(async (poll) => ({
          at: poll.at,
          code: await poll.status.catch(() => undefined),
        })),
      );
      const whileLive = answered.filter(({ at }) => at < clicked + EXPIRE_AFTER * 1000 - 1000);
      expect(
        whileLive.filter(({ code }) => code !== undefined && code !== 200).map(({ code }) => code),
      ).toEqual([]);
      expect(answered.filter(({ code }) => code === 200).length).toBeGreaterThanOrEqual(3);
      expect(
        answered.filter(({ code }) => code !== undefined && code !== 200 && code !== 401),
      ).toEqual([]);

      // Signed out on the server too: the home page sends the browser to the login form.
      await page.goto(`${origin}/`);
      expect(page.url()).toBe(`${origin}/login?next=%2F`);
    });
  }, 60_000);

  it('counts a Save as activity on the server: the sign-in outlives its first expiry, then expires after the save', async () => {
    await inBrowser(async (context) => {
      const page = await context.newPage();
      const { loaded } = await signIn(page);
      await sleepUntil(loaded + 3_500);
      const before = await serverStatus(context);
      expect(before.body.idleFor).toBeGreaterThanOrEqual(3);

      // A click made by script is no person's input to the browser client: only the request to
      // /api/save, on the server, can move the sign-in's clock.
      const saved = Date.now();
      await page.evaluate(() => document.getElementById('save')?.click());
      await page.getByText(/^Saved at /).waitFor({ timeout: 5_000 });
      const after = await serverStatus(context);
      expect(after.status).toBe(200);
      expect(after.body.idleFor).toBeLessThan((Date.now() - saved) / 1000 + 0.5);

      // Past the first expiry (at most loaded + EXPIRE_AFTER), the page and the sign-in live on.
      await sleepUntil(loaded + EXPIRE_AFTER * 1000 + 750);
      expect(page.url()).toBe(`${origin}/`);
      expect((await serverStatus(context)).status).toBe(200);

      await page.waitForURL(`${origin}/login?next=%2F&reason=idle`, {
        timeout: Math.max(1_000, saved + EXPIRE_AFTER * 1000 + SLACK - Date.now()),
      });
      expect(Date.now() - saved).toBeGreaterThanOrEqual(EXPIRE_AFTER * 1000 - 500);
      await expect(notice(page)).resolves.toBe('You were signed out after a period of inactivity.');
    });
  }, 60_000);

  it('sends a page load of an ended sign-in, from the guard, to the login page with its reason', async () => {
    await inBrowser(async (context) => {
      // The page's timers stand still (its client never acts, its poll never runs): only the
      // server ends the sign-in, at the next request after expireAfter.
      const page = await pagePastExpiry(
        context,
        async (signingIn) => (await signIn(signingIn)).loaded,
        EXPIRE_AFTER,
      );
      expect(page.url()).toBe(`${origin}/`);
      await page.goto(`${origin}/?tab=2`);
      expect(page.url()).toBe(`${origin}/login?next=%2F%3Ftab%3D2&reason=idle`);
      await expect(notice(page)).resolves.toBe('You were signed out after a period of inactivity.');
    });
  }, 60_000);

  it('signs out for good: the other tab leaves for the login page, and a copy of the old cookie is refused', async () => {
    await inBrowser(async (context) => {
      const page = await context.newPage();
      await signIn(page);
      const other = await context.newPage();
      await other.goto(`${origin}/`);
      await other.waitForFunction(() => window.sessionSecurity?.state === 'active');

      // The browser's cookies, replayed as a thief would: a signed-in page for now.
      const cookie = (await context.cookies(origin))
        .map(({ name, value }) => `${name}=${value}`)
        .join('; ');
      const replay = () => fetch(`${origin}/`, { headers: { cookie }, redirect: 'manual' });
      const live = await replay();
      expect(live.status).toBe(200);
      expect(await live.text()).toContain('Signed in as <span id="user">ada</span>');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${origin}/login?reason=logout`);
      await expect(notice(page)).resolves.toBe('You signed out.');

      // The sign-out form is the app's own, not the client's: the other tab's client learns of
      // it at its next look at the server, the one before its warning.
      await other.waitForURL(`${origin}/login?next=%2F&reason=logout`, {
        timeout: WARN_AFTER * 1000 + SLACK,
      });
      await expect(notice(other)).resolves.toBe('You signed out.');

      const refused = await replay();
      expect(refused.status).toBe(303);
      expect(refused.headers.get('location')).toBe('/login?next=%2F');
      const ping = await fetch(`${origin}/session-security/ping`, { headers: { cookie } });
      expect(ping.status).toBe(401);
    });
  }, 60_000);
});

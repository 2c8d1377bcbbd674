// The better-auth guide's app (examples/better-auth/app.ts) in Chromium: better-auth signs people
// in, its data in a private PostgreSQL (test/support/postgres-server.ts), session-security's
// plugin adds the idle timeout. Signed in through the login form, the library's warning counts
// down and expiry lands on the login page with its reason; the page's poll of better-auth's
// session read keeps nothing alive and is told, once the sign-in is over, why; "Stay signed in"
// extends the sign-in on the server; a sign-out leaves the other tab too, and a copy of the
// cookies taken before it is refused. Short timeouts, on a clock the server and the browser
// share, which the tests move (shared-clock.ts).

import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../examples/better-auth/app.js';
import { type PrivatePostgres, startPostgres } from '../support/postgres-server.js';
import { SharedClock } from './shared-clock.js';
import { countdown, launchChromium, warning } from './support.js';

const WARN_AFTER = 4;
const EXPIRE_AFTER = 8;
/** How long past a deadline (ms of the shared clock) the page may take to act on it. */
const SLACK = 1_500;
/** The page's poll of better-auth's session read, every 5 s (the example's script). */
const POLL = '/api/auth/get-session';
const POLL_EVERY = 5_000;
/** The library's ping, under better-auth's base path. */
const PING = '/api/auth/session-security/ping';
/** The server's and the browser's time. */
const clock = new SharedClock();

let postgres: PrivatePostgres | undefined;
let browser: Browser | undefined;
let origin: string;
/** What afterAll closes after the browser, whatever failed, in order: the server, then its pool. */
const closers: (() => Promise<unknown>)[] = [];
let emails = 0;

beforeAll(async () => {
  // PostgreSQL and Chromium start side by side; whichever started is closed if the other failed.
  const [pg, chromium] = await Promise.allSettled([startPostgres(), launchChromium()]);
  if (pg.status === 'fulfilled') postgres = pg.value;
  if (chromium.status === 'fulfilled') browser = chromium.value;
  if (pg.status === 'rejected') throw pg.reason;
  if (chromium.status === 'rejected') throw chromium.reason;

  // The server on a port of its own choosing first: better-auth's baseURL is the origin.
  let handler: (request: globalThis.Request) => globalThis.Response | Promise<globalThis.Response> =
    () => new globalThis.Response('starting', { status: 503 });
  const server = serve({ fetch: (request) => handler(request), port: 0, hostname: '127.0.0.1' });
  closers.push(
    () =>
      new Promise((resolve) => {
        server.close(resolve);
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  );
  await new Promise((resolve) => server.once('listening', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const made = createApp({
    origin,
    databaseUrl: postgres?.url,
    security: {
      clock,
      expireAfter: EXPIRE_AFTER,
      warnAfter: WARN_AFTER,
      // The short test window is logged as failing WCAG 2.2.1: expected here.
      logger: { warn: () => {}, error: () => {}, info: () => {} },
    },
  });
  closers.push(() => made.pool.end());
  await made.migrate();
  handler = (request) => made.app.fetch(request);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const close of closers) await close().catch(() => undefined);
  await postgres?.stop();
});

/**
 * A fresh browser context on the shared clock, closed after `test` whatever happened. Page errors
 * and console errors must stay empty, but the failed loads `failedLoads` matches: Chromium logs
 * each 401 answer (the library's ping once the sign-in is over) as one.
 */
async function inBrowser(
  test: (context: BrowserContext) => Promise<void>,
  { failedLoads = /status of 401\b/ } = {},
): Promise<void> {
  if (!browser) throw new Error('no browser');
  const context = await browser.newContext();
  const errors: string[] = [];
  context.on('weberror', (error) => errors.push(error.error().message));
  context.on('console', (message) => {
    if (
      message.type() === 'error' &&
      !failedLoads.test(message.text()) &&
      // The pages have no icon: Chromium's request for one answers 404.
      new URL(message.location().url || 'about:blank').pathname !== '/favicon.ico'
    ) {
      errors.push(`${message.text()} (${message.location().url})`);
    }
  });
  try {
    await clock.install(context);
    await context.addInitScript(readPollBodies);
    await test(context);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
}

/**
 * Reads the body of each answer to the page's poll, which the example's script leaves unread:
 * Chromium does not finish a fetch whose body nobody reads, and the shared clock's steps wait
 * (2 s each) for the requests in flight. A copy is read; the page's script sees the same answer.
 */
function readPollBodies(): void {
  const fetch = window.fetch.bind(window);
  window.fetch = async (...args: Parameters<typeof window.fetch>) => {
    const answer = await fetch(...args);
    if (new URL(answer.url).pathname === '/api/auth/get-session') {
      answer
        .clone()
        .arrayBuffer()
        .catch(() => undefined);
    }
    return answer;
  };
}

/** A new user's address: each test signs in a user of its own. */
const newEmail = () => `user${++emails}-${Date.now()}@example.com`;

/**
 * Opens the home page signed out (it sends the browser to the login form), signs in as `email`
 * with the form's prefilled password, and waits for the home page and its client. Resolves with
 * the time of the sign-in, on the shared clock (it does not move meanwhile).
 */
async function signIn(page: Page, email: string): Promise<number> {
  await page.goto(`${origin}/`);
  expect(page.url()).toBe(`${origin}/login?next=%2F`);
  await expect(page.getByLabel('Password').inputValue()).resolves.toBe('correct horse battery');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin}/`);
  await expect(page.locator('#user').textContent()).resolves.toBe(email);
  await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
  return clock.now();
}

/** Shared-clock ms from now until `at`, for `withinMs`. */
const until = (at: number) => ({ withinMs: Math.max(0, at - clock.now()) });

const LOGIN_IDLE = () => `${origin}/login?next=%2F&reason=idle`;

/** Leaves the page alone until it lands on the login page, which says why; resolves with when. */
async function expireToLogin(page: Page, by: number): Promise<number> {
  await clock.advanceUntilAt(page, LOGIN_IDLE(), until(by));
  const landed = clock.now();
  await expect(page.getByRole('status').textContent()).resolves.toBe(
    'You were signed out after a period of inactivity.',
  );
  return landed;
}

/** The server's view of the sign-in, with the browser's cookies (a GET ping never extends). */
async function serverStatus(context: BrowserContext) {
  const response = await context.request.get(`${origin}${PING}`);
  return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
}

interface Poll {
  /** When the page sent it, on the shared clock. */
  at: number;
  /** Its answer: status, JSON, and why the sign-in ended (the plugin's header), if it says. */
  answer: Promise<{ status: number; json: unknown; ended: string | null }>;
}

/**
 * Records the page's polls of better-auth's session read, with their times and answers (read as
 * they come: Chromium forgets a body once the page has left).
 */
function recordPolls(page: Page): Poll[] {
  const polls: Poll[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname !== POLL) return;
    const answer = request.response().then(async (response) => {
      if (!response) throw new Error('the poll had no answer');
      return {
        status: response.status(),
        json: await response.json(),
        ended: await response.headerValue('x-session-security-ended'),
      };
    });
    answer.catch(() => undefined); // awaited by the test that looks at it
    polls.push({ at: clock.now(), answer });
  });
  return polls;
}

/**
 * When a poll was sent, in ms after `from`, to the poll's period: its request is seen in this
 * process a moment after the page sent it, when the clock may have taken another step.
 */
function sentAfter(poll: Poll, from: number): number {
  return Math.floor((poll.at - from) / POLL_EVERY) * POLL_EVERY;
}

describe('the better-auth example in Chromium, on PostgreSQL', () => {
  it('signs in through the login form; the warning counts down, and at expiry the page lands on the login page with the reason', async () => {
    await inBrowser(async (context) => {
      const page = await context.newPage();
      const email = newEmail();
      const signedIn = await signIn(page, email);

      await clock.advanceTo(signedIn + WARN_AFTER * 1000 - 500);
      expect(await warning(page).isVisible()).toBe(false);
      await clock.advanceUntil(
        () => warning(page).isVisible(),
        'the warning',
        until(signedIn + WARN_AFTER * 1000 + SLACK),
      );
      const first = await countdown(page);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(EXPIRE_AFTER - WARN_AFTER);
      await clock.advanceUntil(async () => (await countdown(page)) < first, 'a lower count', {
        withinMs: 1_500,
      });

      const landed = await expireToLogin(page, signedIn + EXPIRE_AFTER * 1000 + SLACK);
      expect(landed).toBeGreaterThanOrEqual(signedIn + EXPIRE_AFTER * 1000);
      // Signed out on the server too: the home page sends the browser to the login form.
      await page.goto(`${origin}/`);
      expect(page.url()).toBe(`${origin}/login?next=%2F`);
    });
  });

  it("keeps nothing alive by the page's polls of better-auth's session read, and tells a poll after expiry why", async () => {
    await inBrowser(
      async (context) => {
        const page = await context.newPage();
        const email = newEmail();
        const polls = recordPolls(page);
        const signedIn = await signIn(page, email);

        // The poll at 5 s reads the session; idle time still counts from the sign-in: expiry
        // comes at 8 s, not at 5 + 8 s.
        const landed = await expireToLogin(page, signedIn + EXPIRE_AFTER * 1000 + SLACK);
        expect(landed).toBeGreaterThanOrEqual(signedIn + EXPIRE_AFTER * 1000);
        expect(polls.map((poll) => sentAfter(poll, signedIn))).toEqual([POLL_EVERY]);
        await expect((polls[0] as Poll).answer).resolves.toMatchObject({
          status: 200,
          json: { session: expect.anything() },
          ended: null,
        });

        // Once more, with the library's pings held back (the client never learns), so that the
        // page's poll is the first request after expiry: it answers null, and says why.
        polls.length = 0;
        await page.route(`**${PING}`, (route) => route.abort());
        await page.getByLabel('Email').fill(email);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${origin}/`);
        const again = clock.now();
        await clock.advanceUntil(
          () => polls.length >= 2,
          'two polls',
          until(again + 2 * POLL_EVERY + SLACK),
        );
        const [alive, ended] = polls as [Poll, Poll];
        expect([sentAfter(alive, again), sentAfter(ended, again)]).toEqual([
          POLL_EVERY,
          2 * POLL_EVERY,
        ]);
        await expect(alive.answer).resolves.toMatchObject({
          json: { session: expect.anything() },
          ended: null,
        });
        await expect(ended.answer).resolves.toEqual({ status: 200, json: null, ended: 'idle' });
        await expect
          .poll(() => page.locator('body').getAttribute('data-last-poll'), { timeout: 2_000 })
          .toBe('idle');

        // The library's pings let through again: the page leaves, with the reason.
        await page.unroute(`**${PING}`);
        await expireToLogin(page, clock.now() + 20_000);
      },
      { failedLoads: /status of 401\b|net::ERR_FAILED/ },
    );
  });

  it('"Stay signed in" extends the sign-in on the server: the page outlives the first expiry, then expires later', async () => {
    await inBrowser(async (context) => {
      const page = await context.newPage();
      const signedIn = await signIn(page, newEmail());
      await clock.advanceUntil(
        () => warning(page).isVisible(),
        'the warning',
        until(signedIn + WARN_AFTER * 1000 + SLACK),
      );
      await clock.advance(1_000);
      const before = await serverStatus(context);
      expect(before.status).toBe(200);
      expect(before.body.idleFor).toBeGreaterThanOrEqual(WARN_AFTER);

      await warning(page).getByRole('button', { name: 'Stay signed in' }).click();
      await warning(page).waitFor({ state: 'hidden', timeout: 2_000 });
      const stayed = clock.now();
      const after = await serverStatus(context);
      expect(after.status).toBe(200);
      expect(after.body.idleFor).toBeLessThan(1);

      // Past the first expiry, the page and the sign-in are still there.
      await clock.advanceTo(signedIn + EXPIRE_AFTER * 1000 + SLACK);
      expect(page.url()).toBe(`${origin}/`);
      expect((await serverStatus(context)).status).toBe(200);

      const landed = await expireToLogin(page, stayed + EXPIRE_AFTER * 1000 + SLACK);
      expect(landed).toBeGreaterThanOrEqual(stayed + EXPIRE_AFTER * 1000);
    });
  });

  it('signs out for good: the other tab leaves for the login page, and a copy of the cookies taken before is refused', async () => {
    await inBrowser(async (context) => {
      const first = await context.newPage();
      await signIn(first, newEmail());
      const second = await context.newPage();
      await second.goto(`${origin}/`);
      await second.waitForFunction(() => window.sessionSecurity?.state === 'active');
      const copy = await context.cookies();
      expect(copy.map((cookie) => cookie.name)).toContain('better-auth.session_token');

      await first
        .locator('form[action="/logout"]')
        .getByRole('button', { name: 'Sign out' })
        .click();
      await first.waitForURL(`${origin}/login?reason=logout`);
      await expect(first.getByRole('status').textContent()).resolves.toBe('You signed out.');

      // The form is the app's own (better-auth's signOut), not the client's: the other tab's
      // client learns of it at its next ping, the one before its warning, and says why.
      await clock.advanceUntilAt(second, `${origin}/login?next=%2F&reason=logout`, {
        withinMs: WARN_AFTER * 1000 + SLACK,
      });
      await expect(second.getByRole('status').textContent()).resolves.toBe('You signed out.');

      if (!browser) throw new Error('no browser');
      const replay = await browser.newContext();
      try {
        await replay.addCookies(copy);
        const page = await replay.newPage();
        await page.goto(`${origin}/`);
        expect(page.url()).toBe(`${origin}/login?next=%2F`);
        const read = await replay.request.get(`${origin}${POLL}`);
        await expect(read.json()).resolves.toBeNull();
      } finally {
        await replay.close();
      }
    });
  });
});

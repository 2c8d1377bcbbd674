// The Next.js example (examples/next: App Router, better-auth with its data in PostgreSQL,
// session-security's plugin, proxy, checks and client component) started by its one command,
// `npm run example:next` (`next build`, then `next start`), in Chromium. Real time, short timeouts: the server runs in its own
// process, so no shared clock reaches it. better-auth's client polls the session every 5 s and
// Next prefetches the page's link: neither keeps the sign-in alive; a Server Action does.

import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivatePostgres, startPostgres } from '../support/postgres-server.js';
import { sleep } from '../support/sleep.js';
import { type RunningExample, startExample } from './example-process.js';
import { launchChromium, pagePastExpiry, warnsThenEnds } from './support.js';

const WARN_AFTER = 5;
const EXPIRE_AFTER = 10;

let postgres: PrivatePostgres | undefined;
let example: RunningExample | undefined;
let browser: Browser | undefined;
let origin: string;
let users = 0;

beforeAll(async () => {
  postgres = await startPostgres();
  // The example's one command (package.json): the client's build, `next build`, `next start`.
  example = await startExample(
    'example:next',
    {
      NEXT_TELEMETRY_DISABLED: '1',
      DATABASE_URL: postgres.url,
      EXPIRE_AFTER: String(EXPIRE_AFTER),
      WARN_AFTER: String(WARN_AFTER),
      BETTER_AUTH_SECRET: 'a secret for the browser test, at least 32 characters',
    },
    { timeoutMs: 200_000 },
  );
  origin = example.origin;
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await example?.stop();
  await postgres?.stop();
});

/** Signs a new user in through the login form (a Server Action); the home page is shown. */
async function signIn(page: Page): Promise<number> {
  await page.goto(`${origin}/login`);
  await page.getByLabel('Email').fill(`next${++users}-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin}/`);
  const signedInAt = Date.now();
  await expect(page.getByRole('heading', { name: /Signed in as/ }).isVisible()).resolves.toBe(true);
  return signedInAt;
}

/** Requests of one kind, as the page made them. */
function watch(page: Page, kind: (request: Request) => boolean): Request[] {
  const seen: Request[] = [];
  page.on('request', (request) => {
    if (kind(request)) seen.push(request);
  });
  return seen;
}

const isPoll = (request: Request) => new URL(request.url()).pathname === '/api/auth/get-session';
const isBackground = (request: Request) => {
  const headers = request.headers();
  return headers.rsc === '1' || 'next-router-prefetch' in headers;
};

describe('the Next.js example, built and started', () => {
  it('warns, then ends the sign-in with its reason, while the session polls and prefetches keep nothing alive', async () => {
    const context = await browser?.newContext();
    if (!context) throw new Error('no browser');
    const page = await context.newPage();
    const polls = watch(page, isPoll);
    const background = watch(page, isBackground);
    const signedInAt = await signIn(page);
    // Warned, then ended, on time: polls every 5 s and the link's prefetch did not move it.
    await warnsThenEnds(page, `${origin}/login?next=%2F&reason=idle`, signedInAt, {
      warnAfter: WARN_AFTER,
      expireAfter: EXPIRE_AFTER,
    });
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(background.length).toBeGreaterThanOrEqual(1);
    await expect(
      page.getByText('You were signed out after a period of inactivity.').isVisible(),
    ).resolves.toBe(true);
    // better-auth's client, asking now, is told why.
    const answer = await page.evaluate(async () => {
      const reply = await fetch('/api/auth/get-session');
      return { body: await reply.text(), ended: reply.headers.get('x-session-security-ended') };
    });
    expect(answer.body).toBe('null');
    await context.close();
  }, 60_000);

  it('counts a Server Action as activity, on the server', async () => {
    const context = await browser?.newContext();
    if (!context) throw new Error('no browser');
    const page = await context.newPage();
    const signedInAt = await signIn(page);
    await sleep(WARN_AFTER * 1000 + 1000);
    // A submit made by script is no person's input to the browser client: only the Server
    // Action itself, on the server, can move the sign-in's clock.
    const actedAt = Date.now();
    await page.evaluate(() => document.querySelector('form')?.requestSubmit());
    await page.locator('#saved').waitFor({ timeout: 4000 });
    // Past the first deadline, still signed in: the action counted.
    await sleep(Math.max(0, signedInAt + (EXPIRE_AFTER + 1.5) * 1000 - Date.now()));
    expect(new URL(page.url()).pathname).toBe('/');
    await page.waitForURL(`${origin}/login?next=%2F&reason=idle`, {
      timeout: (EXPIRE_AFTER + 6) * 1000,
    });
    expect(Date.now() - actedAt).toBeGreaterThanOrEqual((EXPIRE_AFTER - 1) * 1000);
    await context.close();
  }, 60_000);

  it('sends a Server Action of an ended sign-in to the login page, with its reason', async () => {
    const context = await browser?.newContext();
    if (!context) throw new Error('no browser');
    // The page's timers stand still (the browser client never acts): only the server's clock,
    // the real one, ends the sign-in.
    const page = await pagePastExpiry(context, signIn, EXPIRE_AFTER);
    await page.evaluate(() => document.querySelector('form')?.requestSubmit());
    await page.waitForURL(`${origin}/login?next=%2F&reason=idle`, { timeout: 8000 });
    await expect(
      page.getByText('You were signed out after a period of inactivity.').isVisible(),
    ).resolves.toBe(true);
    await context.close();
  }, 60_000);

  it('sends a page load of an ended sign-in from the proxy to the login page, with its reason', async () => {
    const context = await browser?.newContext();
    if (!context) throw new Error('no browser');
    const page = await pagePastExpiry(context, signIn, EXPIRE_AFTER);
    // A document navigation: the proxy's 303, through Next's own proxy adapter.
    await page.goto(`${origin}/reports?tab=2`);
    expect(page.url()).toBe(`${origin}/login?next=%2Freports%3Ftab%3D2&reason=idle`);
    await context.close();
  }, 60_000);

  it('signs out for good: every tab leaves, and a copy of the cookies is refused', async () => {
    const context = await browser?.newContext();
    if (!context) throw new Error('no browser');
    const page = await context.newPage();
    await signIn(page);
    const other = await context.newPage();
    await other.goto(`${origin}/reports`);
    await expect(other.getByRole('heading', { name: /Reports of/ }).isVisible()).resolves.toBe(
      true,
    );
    const copy = await context.cookies();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/, { timeout: 8000 });
    await other.waitForURL(/\/login/, { timeout: 8000 });
    const thief = await browser?.newContext();
    if (!thief) throw new Error('no browser');
    await thief.addCookies(copy);
    const replay = await thief.newPage();
    await replay.goto(`${origin}/`);
    expect(new URL(replay.url()).pathname).toBe('/login');
    await thief.close();
    await context.close();
  }, 60_000);
});

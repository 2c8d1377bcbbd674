// The SvelteKit example (examples/sveltekit: adapter-node, sessions in a Map named by a cookie,
// session-security's handle in sequence()) started by its one command, `npm run
// example:sveltekit` (`vite build`, then the built server), in Chromium. Real time, short
// timeouts: the server runs in its own process, so no shared clock reaches it. The page reloads
// its data every 2 s (`invalidateAll()`): that keeps nothing alive; an enhanced form action does.
// An ended sign-in's data request and enhanced action reach the login page through SvelteKit's
// own client.

import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/sleep.js';
import { type RunningExample, startExample } from './example-process.js';
import { launchChromium, pagePastExpiry, warnsThenEnds } from './support.js';

const WARN_AFTER = 5;
const EXPIRE_AFTER = 10;
const IDLE_REASON = 'You were signed out after a period of inactivity.';

let example: RunningExample | undefined;
let browser: Browser | undefined;
let origin: string;

beforeAll(async () => {
  // The example's one command (package.json): the client's build, `vite build`, the server.
  example = await startExample(
    'example:sveltekit',
    {
      EXPIRE_AFTER: String(EXPIRE_AFTER),
      WARN_AFTER: String(WARN_AFTER),
    },
    { timeoutMs: 120_000 },
  );
  origin = example.origin;
  browser = await launchChromium();
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

async function newPage(): Promise<Page> {
  const context = await browser?.newContext();
  if (!context) throw new Error('no browser');
  return context.newPage();
}

/** Signs "ada" in through the login form (a native form post); the home page is shown. */
async function signIn(page: Page): Promise<number> {
  await page.goto(`${origin}/login`);
  await page.getByLabel('User').fill('ada');
  await page.getByLabel('Password').fill('any password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin}/`);
  const signedInAt = Date.now();
  await expect(page.getByRole('heading', { name: 'Signed in as ada' }).isVisible()).resolves.toBe(
    true,
  );
  return signedInAt;
}

/** The data requests of SvelteKit's client (`invalidateAll()`, client navigations). */
function dataRequests(page: Page): Request[] {
  const seen: Request[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.endsWith('/__data.json')) seen.push(request);
  });
  return seen;
}

/** A page whose timers stand still (the browser client never acts), signed in, then left past its expiry on the server's real clock. */
async function expiredPage(): Promise<Page> {
  const context = await browser?.newContext();
  if (!context) throw new Error('no browser');
  return pagePastExpiry(context, signIn, EXPIRE_AFTER);
}

describe('the SvelteKit example, built and started', () => {
  it('warns, then ends the sign-in with its reason, while invalidateAll() every 2 s keeps nothing alive', async () => {
    const page = await newPage();
    const refreshes = dataRequests(page);
    const signedInAt = await signIn(page);
    // Warned, then ended, on time: the data requests every 2 s did not move it.
    await warnsThenEnds(page, `${origin}/login?next=%2F&reason=idle`, signedInAt, {
      warnAfter: WARN_AFTER,
      expireAfter: EXPIRE_AFTER,
    });
    expect(refreshes.length).toBeGreaterThanOrEqual(3);
    await expect(page.getByText(IDLE_REASON).isVisible()).resolves.toBe(true);
    await page.context().close();
  }, 60_000);

  it('counts an enhanced form action as activity, on the server', async () => {
    const page = await newPage();
    const signedInAt = await signIn(page);
    await sleep(WARN_AFTER * 1000 + 1000);
    // A submit made by script is no person's input to the browser client: only the form action
    // itself, on the server, can move the sign-in's clock.
    const actedAt = Date.now();
    await page.evaluate(() =>
      document.querySelector<HTMLFormElement>('form#save')?.requestSubmit(),
    );
    await page.locator('#saved').waitFor({ timeout: 4000 });
    // Past the first deadline, still signed in: the action counted.
    await sleep(Math.max(0, signedInAt + (EXPIRE_AFTER + 1.5) * 1000 - Date.now()));
    expect(new URL(page.url()).pathname).toBe('/');
    await page.waitForURL(`${origin}/login?next=%2F&reason=idle`, {
      timeout: (EXPIRE_AFTER + 6) * 1000,
    });
    expect(Date.now() - actedAt).toBeGreaterThanOrEqual((EXPIRE_AFTER - 1) * 1000);
    await page.context().close();
  }, 60_000);

  it("sends an ended sign-in's data request (invalidateAll) to the login page, with its reason", async () => {
    const page = await expiredPage();
    // Not a person's click (the browser client stands still): SvelteKit's client asks for the
    // page's data, and follows the data redirect the handle answers.
    await page.evaluate(() => document.querySelector<HTMLButtonElement>('#refresh')?.click());
    await page.waitForURL(`${origin}/login?next=%2F&reason=idle`, { timeout: 8000 });
    await expect(page.getByText(IDLE_REASON).isVisible()).resolves.toBe(true);
    await page.context().close();
  }, 60_000);

  it("sends an ended sign-in's enhanced form action to the login page, with its reason", async () => {
    const page = await expiredPage();
    await page.evaluate(() =>
      document.querySelector<HTMLFormElement>('form#save')?.requestSubmit(),
    );
    await page.waitForURL(`${origin}/login?next=%2F&reason=idle`, { timeout: 8000 });
    await expect(page.getByText(IDLE_REASON).isVisible()).resolves.toBe(true);
    await expect(page.locator('#saved').count()).resolves.toBe(0);
    await page.context().close();
  }, 60_000);

  it('sends a page load of an ended sign-in to the login page, with its reason', async () => {
    const page = await expiredPage();
    await page.goto(`${origin}/?tab=2`);
    expect(page.url()).toBe(`${origin}/login?next=%2F%3Ftab%3D2&reason=idle`);
    await page.context().close();
  }, 60_000);

  it('signs out for good: every tab leaves, going back and a copy of the cookie are refused', async () => {
    const page = await newPage();
    const context = page.context();
    await signIn(page);
    const other = await context.newPage();
    await other.goto(`${origin}/`);
    await expect(
      other.getByRole('heading', { name: 'Signed in as ada' }).isVisible(),
    ).resolves.toBe(true);
    const copy = await context.cookies();
    expect(copy.map((cookie) => cookie.name)).toContain('sid');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/, { timeout: 8000 });
    await other.waitForURL(/\/login/, { timeout: 8000 });
    // Back to the signed-in page: the login page again, never the page of the sign-in.
    const signedOutUrl = page.url();
    await page.goBack();
    await page.waitForURL((url) => url.pathname === '/login' && url.href !== signedOutUrl, {
      timeout: 8000,
    });
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 4000 });
    await expect(page.getByText('Signed in as ada').count()).resolves.toBe(0);
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

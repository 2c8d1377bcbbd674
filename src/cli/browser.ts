// What the checks of `session-security verify` do in the browser (src/cli/checks.ts): sign in
// through the app's form, open more tabs, act as a person (input) or sign out with the app's own
// control, and read what the page shows: the warning, a sign-out, and why.

import type { Browser, BrowserContext, Page } from 'playwright-core';

/** How the run signs in and out. */
export interface Access {
  /** A page of the app a signed-in user sees. */
  url: string;
  /** The login page, absolute or relative to `url`. */
  loginUrl: string;
  username: string;
  password: string;
  usernameField: string;
  passwordField: string;
  submit: string;
  /** The app's sign-out control on `url`: a selector. */
  logout: string;
}

/** The longest a step of signing in (a field, the form's answer, the client's start) may take, in ms. */
const STEP_MS = 10_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What the page's client says, kept in the page: when it warned (and whether of the absolute
 * timeout) and why it ended. A page that leaves for the login page takes it along; the login
 * page's `reason` says why instead.
 */
const RECORDER = `(() => {
  const seen = (window.__sessionSecurityVerify = { warned: [], reason: undefined });
  window.sessionSecurity.addEventListener('warn', (event) =>
    seen.warned.push({ at: Date.now(), absolute: Boolean(event.detail && event.detail.absolute) }));
  window.sessionSecurity.addEventListener('expire', (event) => {
    seen.reason = event.detail && event.detail.reason;
  });
})()`;

/** Opens `url` in a new tab of `context` and waits for its client to run. */
export async function openTab(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page
    .waitForFunction(
      "window.sessionSecurity && window.sessionSecurity.state === 'active'",
      undefined,
      { timeout: STEP_MS },
    )
    .catch(() => {
      throw new Error(
        `no session-security client started within ${STEP_MS / 1000} s on ${url}${page.url() === url ? '' : ` (it went to ${page.url()})`}`,
      );
    });
  await page.evaluate(RECORDER);
  return page;
}

/**
 * A new browser context signed in through the login form, its first tab on `access.url`.
 * `signedInAt` is when the form was sent, `loadedAt` when the tab asked for its page (the last
 * activity): the sign-in and that activity came no sooner, so no check calls a sign-out early
 * for a slow page load.
 */
export async function signedIn(browser: Browser, access: Access) {
  const context = await browser.newContext();
  const login = new URL(access.loginUrl, access.url);
  try {
    const page = await context.newPage();
    await page.goto(login.href);
    await page.fill(access.usernameField, access.username, { timeout: STEP_MS });
    await page.fill(access.passwordField, access.password, { timeout: STEP_MS });
    const signedInAt = Date.now();
    await Promise.all([
      page.waitForEvent('load', { timeout: STEP_MS }),
      page.click(access.submit, { timeout: STEP_MS }),
    ]);
    // Signed in once the form took the page away from the login page.
    if (new URL(page.url()).pathname === login.pathname) {
      throw new Error(
        `the form sent the user back to the login page (${page.url()}): check --username and --password`,
      );
    }
    await page.close();
    const loadedAt = Date.now();
    const first = await openTab(context, access.url);
    return { context, page: first, signedInAt, loadedAt };
  } catch (error) {
    await context.close();
    const message = (error as Error).message.split('\n')[0];
    throw new Error(`could not sign in through ${login.href}: ${message}`);
  }
}

/** Signs out with the app's own control in `page`; resolves once the page has left. */
export async function signOutWith(page: Page, access: Access): Promise<void> {
  const before = page.url();
  await Promise.all([
    page.waitForURL((url) => url.href !== before, { timeout: 10_000 }),
    page.locator(access.logout).first().click({ timeout: 5000 }),
  ]);
}

/**
 * Whether the page shows the user signed out: at the login page, or covered by the lock (signing
 * in again in place: the client's state is `locked`), or leaving (`expired`).
 */
export async function signedOut(page: Page, access: Access): Promise<boolean> {
  if (new URL(page.url()).pathname === new URL(access.loginUrl, access.url).pathname) return true;
  const state = await page.evaluate('window.sessionSecurity && window.sessionSecurity.state');
  return state === 'expired' || state === 'locked';
}

/** Whether the page shows the warning (or, once expired, the lock's dialog). */
export async function warningShown(page: Page): Promise<boolean> {
  return (await page.locator('dialog[open]').count()) > 0;
}

/** Why the page's sign-in ended, as its client or the login page's `reason` says; or undefined. */
export async function endReason(page: Page): Promise<string | undefined> {
  const given = new URL(page.url()).searchParams.get('reason');
  if (given) return given;
  const seen = await page
    .evaluate('window.__sessionSecurityVerify && window.__sessionSecurityVerify.reason')
    .catch(() => undefined);
  return typeof seen === 'string' ? seen : undefined;
}

/** The warnings the page's client gave: when, and whether of the absolute timeout. */
export async function warningsOf(page: Page): Promise<{ at: number; absolute: boolean }[]> {
  const warned = await page
    .evaluate('window.__sessionSecurityVerify ? window.__sessionSecurityVerify.warned : []')
    .catch(() => []);
  return Array.isArray(warned) ? warned : [];
}

/** Where a signed-out page is, in words, and why when its URL does not say (the lock, a page still leaving). */
export async function whereOut(page: Page): Promise<string> {
  const locked = (await page.locator('dialog.session-security-lock[open]').count()) > 0;
  const url = page.url();
  const reason = new URL(url).searchParams.has('reason') ? undefined : await endReason(page);
  const why = reason ? `; reason: ${reason}` : '';
  return locked
    ? `the page was covered by the lock (sign in again in place${why}), at ${url}`
    : `the page was at ${url}${reason ? ` (leaving${why})` : ''}`;
}

/** Input as a person makes it, in `page`, every 2 s until the returned function is called. */
export function keepWorking(page: Page): () => Promise<void> {
  let stopped = false;
  const working = (async () => {
    for (let step = 0; !stopped; step++) {
      await page.mouse.move(20 + (step % 40) * 5, 20 + (step % 7) * 5).catch(() => undefined);
      await sleep(2000);
    }
  })();
  return () => {
    stopped = true;
    return working;
  };
}

/** Polls `done` every 100 ms for `seconds`; when it held, or undefined. */
export async function waitFor(
  done: () => Promise<boolean>,
  seconds: number,
): Promise<number | undefined> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await done().catch(() => false)) return Date.now();
    await sleep(100);
  }
  return undefined;
}

/**
 * What the server answers a request for `access.url` with the context's cookies: refused is a
 * 401 or 403, or a redirect to the login page (any other redirect, to HTTPS or a slash, is not).
 */
export async function answerTo(context: BrowserContext, access: Access) {
  const answer = await context.request.get(access.url, { maxRedirects: 0 });
  const status = answer.status();
  const location = answer.headers().location;
  const login = new URL(access.loginUrl, access.url);
  const toLogin =
    status >= 300 &&
    status < 400 &&
    location !== undefined &&
    new URL(location, access.url).pathname === login.pathname;
  return {
    status,
    refused: status === 401 || status === 403 || toLogin,
    said: `${status}${location ? ` (to ${location})` : ''}`,
  };
}

// Browser test support: Debian's Chromium driven by playwright-core, the demo served on
// 127.0.0.1 with short timeouts, and tools to sign in, hold a tab's timers (a simulated frozen
// tab) and take away BroadcastChannel and Web Locks (so the fallbacks run).

import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createDemoApp } from '../../examples/demo/app.js';
import type { Clock } from '../../src/core/clock.js';
import { listen } from '../support/http.js';
import { sleepUntil } from '../support/sleep.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The flags Chromium needs here: no sandbox as root, no network of its own. And no omnibox popup:
 * Debian's Chromium 156 runs, even headless, a hidden WebUI renderer for the address bar's
 * popups (chrome://omnibox-popup.top-chrome/) that took 40 to 70 % of a core for as long as the
 * browser ran; two browsers at once spent a core of this 2-core machine on it.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface DemoTimes {
  expireAfter: number;
  warnAfter: number;
  absoluteTimeout?: number;
  /** The server's clock (default the real one): a SharedClock the test moves with the browser's. */
  clock?: Clock;
  /** Sign in again in place on expiry (the demo's `lock`; default off). */
  lock?: boolean;
  /** How recent a sign-in "Change password" asks for (seconds; default 300). */
  recentSignIn?: number;
  /**
   * Passkeys too, with the lock: the demo is then opened on `http://localhost:PORT` (`origin`),
   * a secure context where Chromium allows WebAuthn (it refuses it on 127.0.0.1).
   */
  passkeys?: boolean;
}

/** Serves the demo on 127.0.0.1:0; the library's warnings (short test windows) are collected, not printed. */
export async function startDemo({ passkeys, ...times }: DemoTimes) {
  const warnings: string[] = [];
  let app: ReturnType<typeof createDemoApp> | undefined;
  // Made once the port is known: passkeys need the origin the browser opens.
  const server = await listen((req, res) => (app as NonNullable<typeof app>)(req, res));
  const origin = passkeys ? server.origin.replace('127.0.0.1', 'localhost') : server.origin;
  app = createDemoApp({
    absoluteTimeout: 0,
    ...times,
    ...(passkeys ? { passkeyOrigin: origin } : {}),
    sessionSecret: 'e2e secret',
    logger: {
      warn: (message) => warnings.push(message),
      error: (message) => warnings.push(message),
    },
  });
  return { ...server, origin, warnings };
}

/**
 * Signs in by posting the demo's login form from `page`'s browser (its cookies), then opens the
 * protected `path` in `page` and waits for its client. The form itself is tested where it is the
 * point (compliance-demo, accessibility, the CSP test); this is the quick way in for the rest.
 */
export async function signIn(page: Page, origin: string, path = '/', user = 'demo'): Promise<void> {
  const answer = await page.context().request.post(`${origin}/login`, {
    form: { username: user, password: user, next: path },
    maxRedirects: 0,
  });
  if (answer.status() !== 303) {
    throw new Error(`signing in as ${user} answered ${answer.status()}, not 303`);
  }
  await page.goto(`${origin}${path}`);
  await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
}

/** Opens another tab of the same browser on a protected page, its client running. */
export async function openTab(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
  return page;
}

/** The server's view of the session, read with the browser's cookies (GET never extends). */
export async function serverStatus(context: BrowserContext, origin: string) {
  const response = await context.request.get(`${origin}/session-security/ping`);
  return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
}

/**
 * Installs, in every page of `context` opened afterwards, a switch that holds the page's timers:
 * while held, a due timer waits, and on release it runs, as in a frozen tab that resumes.
 */
export async function installTimerHold(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const realSetTimeout = window.setTimeout.bind(window);
    const hold = { held: false, due: [] as (() => void)[] };
    (window as unknown as { __timerHold: typeof hold }).__timerHold = hold;
    window.setTimeout = ((handler: TimerHandler, ms?: number, ...args: unknown[]) =>
      realSetTimeout(() => {
        const run = () => (typeof handler === 'function' ? handler(...args) : undefined);
        if (hold.held) hold.due.push(run);
        else run();
      }, ms)) as typeof window.setTimeout;
  });
}

export async function holdTimers(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __timerHold: { held: boolean } }).__timerHold.held = true;
  });
}

/** Releases a held page: its due timers run, then `resume` fires as when a frozen tab thaws. */
export async function releaseTimers(page: Page): Promise<void> {
  await page.evaluate(() => {
    const hold = (window as unknown as { __timerHold: { held: boolean; due: (() => void)[] } })
      .__timerHold;
    hold.held = false;
    for (const run of hold.due.splice(0)) run();
    document.dispatchEvent(new Event('resume'));
  });
}

/** Takes BroadcastChannel and Web Locks away from every page of `context`, so the fallbacks run. */
export async function removeTabApis(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    Reflect.deleteProperty(window, 'BroadcastChannel');
    Object.defineProperty(Navigator.prototype, 'locks', {
      get: () => undefined,
      configurable: true,
    });
  });
}

/** Collects Content-Security-Policy violations reported in a page. */
export async function collectCspViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
}

export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
}

/**
 * The seconds an app's own warning shows, in its `#idle-time` element ("…signed out in N
 * seconds"): the React page's and the single-page app's warnings (react.test.ts, spa.test.ts).
 */
export async function secondsShown(page: Page): Promise<number> {
  const text = await page.locator('#idle-time').textContent();
  const match = /signed out in (\d+) seconds/.exec(text ?? '');
  if (!match) throw new Error(`no countdown in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

/** The library's own warning dialog. */
export const warning = (page: Page) =>
  page.getByRole('alertdialog', { name: 'Your session is about to expire' });

/** The seconds the library's own warning counts down, from its `m:ss`. */
export async function countdown(page: Page): Promise<number> {
  const text = await warning(page).locator('.session-security-time strong').textContent();
  const match = /^(\d+):(\d\d)$/.exec(text ?? '');
  if (!match) throw new Error(`no countdown in ${JSON.stringify(text)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * Waits, on a signed-in page left alone, for the library's warning and then for `loginUrl` (the
 * idle expiry's redirect), and checks each came on time from `signedInAt` (`Date.now()` at sign-in):
 * the warning not before `warnAfter` − 1 s, the expiry from `expireAfter` − 1 s to + 6 s (a
 * loaded 2-core machine's margins).
 */
export async function warnsThenEnds(
  page: Page,
  loginUrl: string,
  signedInAt: number,
  { warnAfter, expireAfter }: { warnAfter: number; expireAfter: number },
): Promise<void> {
  await page.locator('dialog[open]').waitFor({ timeout: (warnAfter + 4) * 1000 });
  const warnedAt = Date.now() - signedInAt;
  if (warnedAt < (warnAfter - 1) * 1000) throw new Error(`warned after ${warnedAt} ms`);
  await page.waitForURL(loginUrl, { timeout: (expireAfter + 6) * 1000 });
  const endedAt = Date.now() - signedInAt;
  if (endedAt < (expireAfter - 1) * 1000 || endedAt >= (expireAfter + 6) * 1000) {
    throw new Error(`ended after ${endedAt} ms, expireAfter ${expireAfter} s`);
  }
}

/**
 * A page of `context` whose timers stand still (its browser client never acts), signed in by
 * `signIn` (which resolves with `Date.now()` once signed in), then left 1 s past `expireAfter`
 * seconds on the server's real clock: only the server can have ended the sign-in.
 */
export async function pagePastExpiry(
  context: BrowserContext,
  signIn: (page: Page) => Promise<number>,
  expireAfter: number,
): Promise<Page> {
  await context.clock.install({ time: Date.now() });
  const page = await context.newPage();
  const signedInAt = await signIn(page);
  await page.clock.pauseAt(Date.now() + 1000);
  await sleepUntil(signedInAt + (expireAfter + 1) * 1000);
  return page;
}

// The testing kit's examples' context (docs/guide/testing.md): what an app's own test suite has
// (Express and its session, its app started with the clock it is given, its login, its browser),
// so that an example shows only what the kit adds. Node-side, with Debian's Chromium for the Playwright ones. Each app
// started and browser launched here is closed after the example.

import express, { type Request } from 'express';
import session from 'express-session';
import type { Page } from 'playwright-core';
import type { Clock } from 'session-security';
import { sessionSecurity } from 'session-security/express';
import { createDemoApp } from '../../../examples/demo/app.js';
import { launchChromium, signIn } from '../../e2e/support.js';
import { listen } from '../../support/http.js';
import { environment, SECRETS } from '../context.js';
import type { PreludeHooks } from '../run.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

const restoreEnvironment = environment();
const closers: (() => Promise<unknown>)[] = [];

/** What an Express app's own test has at hand: the framework, its session, its check. */
export { express, session, sessionSecurity };
export const secret = SECRETS.SESSION_SECRET;
export const isAuthenticated = (req: Request) => typeof req.session.user === 'string';

/**
 * The app under test, started with the clock given (its session-security `clock` option): the
 * demo, with its idle timeout of 15 minutes. Resolves with its origin.
 */
export async function startMyApp({ clock }: { clock: Clock }): Promise<string> {
  const app = createDemoApp({
    expireAfter: 900,
    warnAfter: 780,
    absoluteTimeout: 0,
    sessionSecret: SECRETS.SESSION_SECRET,
    clock,
    logger: { warn: () => {}, error: () => {} },
  });
  const server = await listen(app);
  closers.push(() => server.close());
  return server.origin;
}

/** The app's login, as its tests sign in: the login form, then the page at `/`. */
export function signInAs(page: Page, origin: string, user: string): Promise<void> {
  return signIn(page, origin, '/', user);
}

/** The app's tests' browser: Chromium, as their own setup launches it. */
export async function launchBrowser() {
  const browser = await launchChromium();
  closers.push(() => browser.close());
  return browser;
}

export const $example: PreludeHooks = {
  async cleanup() {
    for (const close of closers.splice(0).reverse()) await close();
    restoreEnvironment();
  },
};

// A sign-out the server could not confirm (its store stalled) never shows the login page: in a
// real Chromium, the warning's "Sign out" while the store fails keeps the tab where it is, hides
// the page behind an alert, and tries again until the store answers; then the tab leaves, and
// the sign-in is over on the server.

import express from 'express';
import session from 'express-session';
import type { Browser } from 'playwright-core';
import type { ActivityStore } from 'session-security';
import { sessionSecurity } from 'session-security/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionObjectStore } from '../../src/server/store.js';
import { listen } from '../support/http.js';
import { launchChromium } from './support.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * An app whose activity store fails to end sign-ins, and whose session store fails to destroy
 * sessions, while `failing.on` is set: as when Redis holds both and stalls.
 */
async function startApp() {
  const failing = { on: false, attempts: 0 };
  const logger = { warn: () => {}, error: () => {} };
  const inner = sessionObjectStore({ now: () => Date.now(), logger });
  const store: ActivityStore = {
    touch: inner.touch.bind(inner),
    start: inner.start.bind(inner),
    peek: inner.peek.bind(inner),
    async end(...args) {
      failing.attempts++;
      if (failing.on) throw new Error('the store does not answer');
      return inner.end(...args);
    },
  };
  // The sessions live in the same stalled server (Redis with connect-redis): destroying one fails too.
  const sessions = new session.MemoryStore();
  const destroy = sessions.destroy.bind(sessions);
  sessions.destroy = (sid, callback) => {
    if (failing.on) return callback?.(new Error('the session store does not answer'));
    destroy(sid, callback);
  };
  const app = express();
  app.use(session({ secret: 'e2e', store: sessions, resave: false, saveUninitialized: false }));
  const security = sessionSecurity({
    drafts: false,
    expireAfter: 60,
    warnAfter: 2,
    loginUrl: '/login',
    store,
    isAuthenticated: (req) => typeof req.session.user === 'string',
    logger,
  });
  app.use(security);
  app.get('/sign-in', (req, res) => {
    req.session.regenerate(async () => {
      req.session.user = 'ada';
      await security.start(req);
      res.redirect(303, '/page');
    });
  });
  app.get('/page', (req, res) => {
    res.type('html').send(`<!doctype html><html lang="en"><head><title>Page</title>
      ${security.clientTags(req, { lang: 'en' })}</head><body><h1>Account details</h1></body></html>`);
  });
  app.get('/login', (_req, res) => {
    res.type('html').send('<!doctype html><title>Sign in</title><h1>Sign in</h1>');
  });
  const server = await listen(app);
  return { ...server, failing };
}

describe('a sign-out the server did not confirm', () => {
  it('keeps the page hidden behind an alert and tries again, leaving only once the server confirms', async () => {
    const app = await startApp();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${app.origin}/sign-in`);
      await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
      await page.locator('dialog[open]').waitFor({ timeout: 5000 });
      app.failing.on = true;
      await page.getByRole('button', { name: 'Sign out' }).click();
      const alert = page.getByRole('alert');
      await expect
        .poll(() => alert.textContent(), { timeout: 3000 })
        .toBe(
          'You are not signed out yet. This page stays hidden while signing out is tried again.',
        );
      // Tried again (after 1 s, then 2 s), and the tab stays: no login page for an unconfirmed sign-out.
      await expect.poll(() => app.failing.attempts, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
      expect(new URL(page.url()).pathname).toBe('/page');
      expect(await page.locator('h1').isVisible()).toBe(false);
      app.failing.on = false;
      await page.waitForURL(/\/login\?next=%2Fpage&reason=logout$/, { timeout: 8000 });
      // The server carried it out: the cookie no longer opens the session.
      const status = await page.evaluate(
        async () => (await fetch('/session-security/ping')).status,
      );
      expect(status).toBe(401);
    } finally {
      await context.close();
      await app.close();
    }
  });
});

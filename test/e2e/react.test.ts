// useSessionSecurity in a real React 19 page, bundled here with esbuild and served by a small
// Express app with the config tag alone: the app's own warning and countdown, "Stay" extending
// on the server, sign-out, expiry, and one client under StrictMode. Short timeouts, on a clock
// the app and the browser share, which the tests move (shared-clock.ts).

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import express from 'express';
import session from 'express-session';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { safeNextPath } from 'session-security';
import { sessionSecurity } from 'session-security/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../support/http.js';
import { SharedClock } from './shared-clock.js';
import { launchChromium, secondsShown, serverStatus } from './support.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

const WARN_AFTER = 4;
const EXPIRE_AFTER = 8;
/** The app's and the browsers' time. */
const clock = new SharedClock();
const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The test page's script: React in development mode, so StrictMode mounts twice. */
async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [fromRoot('test/e2e/react-page/app.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' },
    alias: {
      'session-security/react': fromRoot('src/react/index.ts'),
      'session-security/client': fromRoot('src/client/index.ts'),
    },
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild wrote no bundle');
  return output.text;
}

/** An app with a sign-in form and one React page that carries the client's config, not its script. */
function createReactApp(script: string) {
  const app = express();
  app.use(session({ secret: 'react e2e secret', resave: false, saveUninitialized: false }));
  const security = sessionSecurity({
    drafts: false,
    expireAfter: EXPIRE_AFTER,
    warnAfter: WARN_AFTER,
    loginUrl: '/login',
    isAuthenticated: (req) => typeof req.session.user === 'string',
    // The short test window is logged as failing WCAG 2.2.1: expected here.
    logger: { warn: () => {}, error: () => {} },
    clock,
  });
  app.use(security);
  app.get('/login', (_req, res) => {
    res.type('html').send(`<!doctype html><html lang="en"><head><title>Sign in</title></head>
      <body><h1>Sign in</h1><form method="post" action="/login"><button>Sign in as Ada</button></form></body></html>`);
  });
  app.post('/login', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = 'ada';
      res.redirect(303, safeNextPath(req.query.next) ?? '/');
    });
  });
  app.get('/', (req, res) => {
    if (!req.session.user) return res.redirect(303, '/login?next=%2F');
    res.set('cache-control', 'no-store');
    res.type('html').send(`<!doctype html><html lang="en"><head><title>Accounts</title>
      ${security.clientTags(req, { script: false })}</head>
      <body><div id="root"></div><script type="module" src="/app.js"></script></body></html>`);
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.get('/app.js', (_req, res) => {
    res.type('text/javascript').send(script);
  });
  return app;
}

let browser: Browser;
let origin: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const [script, chromium] = await Promise.all([bundlePage(), launchChromium()]);
  browser = chromium;
  ({ origin, close } = await listen(createReactApp(script)));
});
afterAll(async () => {
  await browser?.close();
  await close?.();
});

/**
 * A fresh browser signed in on the React page. It counts the BroadcastChannels the clients
 * open (one per started client) and collects page errors and React's console errors (such as
 * "The result of getSnapshot should be cached"), which every test expects to stay empty.
 */
async function signedIn(test: (page: Page, context: BrowserContext) => Promise<void>) {
  const context = await browser.newContext();
  try {
    await clock.install(context);
    await context.addInitScript(() => {
      const Native = window.BroadcastChannel;
      const counts = { channels: 0 };
      (window as unknown as { __counts: typeof counts }).__counts = counts;
      window.BroadcastChannel = class extends Native {
        constructor(name: string) {
          super(name);
          if (name === 'session-security') counts.channels++;
        }
      };
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // Chromium logs every 401 answer as a failed resource; that is the protocol, not an error.
      if (message.type() === 'error' && !message.text().includes('401')) {
        errors.push(message.text());
      }
    });
    await page.goto(`${origin}/login?next=%2F`);
    await Promise.all([
      page.waitForURL(`${origin}/`),
      page.getByRole('button', { name: 'Sign in as Ada' }).click(),
    ]);
    await page.locator('#state', { hasText: 'Session: active' }).waitFor();
    await test(page, context);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
}

const warning = (page: Page) => page.getByRole('alertdialog', { name: 'Still there?' });

/** Moves the clock until the app's warning shows, failing after `withinMs` of clock time. */
function advanceToWarning(page: Page, withinMs = (WARN_AFTER + 3) * 1000): Promise<void> {
  return clock.advanceUntil(() => warning(page).isVisible(), 'the warning', { withinMs });
}

describe('useSessionSecurity in a React page', () => {
  it('renders the state, then at warnAfter the app’s own warning with a countdown that goes down', async () => {
    await signedIn(async (page) => {
      const activeAt = clock.now();
      await expect(warning(page).isVisible()).resolves.toBe(false);
      await advanceToWarning(page);
      // Not before warnAfter: the page loaded (its last activity) well under 1.5 s before activeAt.
      expect(clock.now() - activeAt).toBeGreaterThan((WARN_AFTER - 1.5) * 1000);
      await expect(page.locator('#state').textContent()).resolves.toBe('Session: warning');
      const first = await secondsShown(page);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(EXPIRE_AFTER - WARN_AFTER);
      await clock.advanceUntil(async () => (await secondsShown(page)) < first, 'a lower count', {
        withinMs: 2_500,
      });
      expect(await secondsShown(page)).toBeLessThan(first);
      // Headless: the library drew no dialog of its own.
      await expect(page.locator('dialog').count()).resolves.toBe(0);
    });
  });

  it('"Stay" calls extend(): the warning closes and the server’s idle time starts again', async () => {
    await signedIn(async (page, context) => {
      await advanceToWarning(page);
      const before = await serverStatus(context, origin);
      expect(before.status).toBe(200);
      expect(before.body.idleFor).toBeGreaterThanOrEqual(WARN_AFTER);

      await page.getByRole('button', { name: 'Stay' }).click();
      await warning(page).waitFor({ state: 'hidden', timeout: 2_000 });
      await expect(page.locator('#state').textContent()).resolves.toBe('Session: active');
      const after = await serverStatus(context, origin);
      expect(after.status).toBe(200);
      expect(after.body.idleFor).toBeLessThan(2);
      expect(after.body.warnIn).toBeGreaterThan(WARN_AFTER - 2);
    });
  });

  it('signOut() signs out on the server and the page goes to the login page', async () => {
    await signedIn(async (page, context) => {
      await Promise.all([
        page.waitForURL(`${origin}/login?next=%2F&reason=logout`),
        page.getByRole('button', { name: 'Sign out' }).click(),
      ]);
      await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
      const status = await serverStatus(context, origin);
      expect(status).toEqual({ status: 401, body: { status: 'anonymous' } });
    });
  });

  it('at expiry, left alone, the page reaches the login page with reason=idle', async () => {
    await signedIn(async (page, context) => {
      await clock.advanceUntilAt(page, `${origin}/login?next=%2F&reason=idle`, {
        withinMs: (EXPIRE_AFTER + 4) * 1000,
      });
      await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
      const status = await serverStatus(context, origin);
      expect(status.status).toBe(401);
      expect(status.body.status).toBe('anonymous');
    });
  });

  it('starts one client under StrictMode for three components that use the hook', async () => {
    await signedIn(async (page) => {
      const seen = await page.evaluate(() => {
        const probe = window as unknown as {
          __mounts: number;
          __clients: Set<unknown>;
          __counts: { channels: number };
        };
        return {
          mounts: probe.__mounts,
          clients: probe.__clients.size,
          channels: probe.__counts.channels,
        };
      });
      // StrictMode did mount, unmount and mount again; the client survived it.
      expect(seen).toEqual({ mounts: 2, clients: 1, channels: 1 });
      await expect(page.locator('#state').textContent()).resolves.toBe('Session: active');
    });
  });

  it('stops the client it made when the last component using it unmounts', async () => {
    await signedIn(async (page) => {
      type Probe = {
        __clients: Set<{ state: string }>;
        __root: { unmount(): void };
        __unmounted?: { state: string };
      };
      const before = await page.evaluate(() => {
        const probe = window as unknown as Probe;
        const [client] = probe.__clients;
        probe.__unmounted = client;
        probe.__root.unmount();
        return client?.state;
      });
      // The hook stops its client a task later (StrictMode mounts again at once).
      await clock.advance(10);
      const after = await page.evaluate(() => (window as unknown as Probe).__unmounted?.state);
      expect({ before, after }).toEqual({ before: 'active', after: 'stopped' });
    });
  });
});

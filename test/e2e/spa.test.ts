// The single-page app of examples/spa in Chromium, run as server.ts's header says: built by
// Vite and served by its own server (server.ts's createApp), and under Vite's dev server
// proxying to that server. Signed in through the form, the app's own warning counts down, "Stay signed in"
// resets the server's idle time, and at expiry the page lands on the sign-in form with
// reason=idle. And when the client does not start, the console says why: nobody signed in
// (info), or a dev server without its proxy answering the config route itself (warn).
// Short timeouts, on a clock the servers and the browser share, which the tests move.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { build, createServer, type InlineConfig } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../examples/spa/server.js';
import spaConfig from '../../examples/spa/vite.config.js';
import { freePort, listen } from '../support/http.js';
import { SharedClock } from './shared-clock.js';
import { launchChromium, secondsShown, serverStatus } from './support.js';

const WARN_AFTER = 4;
const EXPIRE_AFTER = 8;
const SPA = fileURLToPath(new URL('../../examples/spa', import.meta.url));
const SPA_CONFIG = join(SPA, 'vite.config.ts');
/** The servers' and the browsers' time. */
const clock = new SharedClock();

/** The example's app on 127.0.0.1:0, with the test's times and clock; the library's warnings kept quiet. */
function startApp(staticDir: string | false) {
  return listen(
    createApp({
      staticDir,
      expireAfter: EXPIRE_AFTER,
      warnAfter: WARN_AFTER,
      clock,
      // The short test window is logged as failing WCAG 2.2.1, drafts as off: expected here.
      logger: { warn: () => {}, error: () => {}, info: () => {} },
    }),
  );
}

let browser: Browser | undefined;
let temp: string;
/** What afterAll closes, whatever failed: the browser, the apps, the Vite servers. */
const closers: (() => Promise<unknown>)[] = [];
/** Origins: the app serving the build, Vite with its proxy, Vite without it. */
let built: string;
let dev: string;
let devWithoutProxy: string;

/**
 * A Vite dev server of the example on a free port of 127.0.0.1 (Vite reads port 0 as its
 * default, 5173), its pre-bundled dependencies cached in the test's temporary directory.
 */
async function startVite(name: string, config: InlineConfig): Promise<string> {
  const port = await freePort();
  const server = await createServer({
    ...config,
    root: SPA,
    cacheDir: join(temp, `vite-cache-${name}`),
    logLevel: 'warn',
    server: { ...config.server, host: '127.0.0.1', port, strictPort: true },
  });
  closers.push(() => server.close());
  await server.listen();
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'session-security-spa-'));
  const outDir = join(temp, 'dist');
  const [chromium] = await Promise.all([
    launchChromium(),
    build({
      root: SPA,
      configFile: SPA_CONFIG,
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    }),
  ]);
  browser = chromium;
  const builtApp = await startApp(outDir);
  closers.push(builtApp.close);
  built = builtApp.origin;
  // Development: the API server alone, and Vite in front of it with the example's own config,
  // its proxy pointed at that server as `npx vite examples/spa` would be (API_ORIGIN).
  const api = await startApp(false);
  closers.push(api.close);
  const previous = process.env.API_ORIGIN;
  process.env.API_ORIGIN = api.origin;
  try {
    dev = await startVite('proxy', { configFile: SPA_CONFIG });
  } finally {
    if (previous === undefined) delete process.env.API_ORIGIN;
    else process.env.API_ORIGIN = previous;
  }
  // The example's config without its server.proxy: Vite answers the app's JSON requests itself
  // (404; its index.html to a request that accepts HTML).
  devWithoutProxy = await startVite('no-proxy', { ...spaConfig, configFile: false, server: {} });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled(closers.reverse().map((close) => close()));
  if (temp) await rm(temp, { recursive: true, force: true });
});

interface Tab {
  page: Page;
  context: BrowserContext;
  /** Every console message of the tab, in order. */
  messages: ConsoleMessage[];
}

/**
 * A fresh browser context on the shared clock (unless `sharedClock` is false), whose page errors and
 * console errors every test expects to stay empty. Chromium logs each 401 answer as a failed
 * resource: that is the protocol (the config route for a visitor signed out), not an error;
 * `failedLoads` says which failed loads a test expects.
 */
async function inBrowser(
  test: (tab: Tab) => Promise<void>,
  { sharedClock = true, failedLoads = /status of 401\b/ } = {},
): Promise<void> {
  if (!browser) throw new Error('no browser');
  const context = await browser.newContext();
  try {
    if (sharedClock) await clock.install(context);
    const page = await context.newPage();
    const messages: ConsoleMessage[] = [];
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      messages.push(message);
      if (message.type() === 'error' && !failedLoads.test(message.text())) {
        errors.push(message.text());
      }
    });
    await test({ page, context, messages });
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
}

/** Opens the app signed out and signs in through its form; resolves once the client has its config. */
async function signIn(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByLabel('Name').fill('ada');
  // The hook asks for the config again once the signed-in page mounts it: the client's start.
  const config = page.waitForResponse(
    (response) =>
      new URL(response.url()).pathname === '/session-security/config' && response.status() === 200,
    { timeout: 5_000 },
  );
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Hello ada' }).waitFor();
  await config;
}

const warning = (page: Page) => page.getByRole('alertdialog', { name: 'Are you still there?' });

/** Moves the clock until the app's warning shows, failing after `withinMs` of clock time. */
function advanceToWarning(page: Page, withinMs = (WARN_AFTER + 3) * 1000): Promise<void> {
  return clock.advanceUntil(() => warning(page).isVisible(), 'the warning', { withinMs });
}

/** Leaves the tab alone until expiry: it lands on the sign-in form, which says why, signed out. */
async function expireToSignIn(tab: Tab, origin: string): Promise<void> {
  const { page, context } = tab;
  await clock.advanceUntilAt(page, `${origin}/?next=%2F&reason=idle`, {
    withinMs: (EXPIRE_AFTER + 4) * 1000,
  });
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await expect(page.getByRole('status').textContent()).resolves.toBe(
    'You were signed out after a period of inactivity.',
  );
  const me = await context.request.get(`${origin}/api/me`);
  await expect(me.json()).resolves.toEqual({ user: null });
  await expect(serverStatus(context, origin)).resolves.toMatchObject({ status: 401 });
}

/**
 * The whole flow at `origin`: sign in through the form; left idle, the app's warning shows and
 * counts down; "Stay signed in" closes it and resets the server's idle time (a POST ping, which
 * the server refuses when its Origin is not the app's: behind a proxy that rewrote the Host);
 * left idle again, the tab lands on the sign-in form.
 */
async function signInWarnStayExpire(tab: Tab, origin: string): Promise<void> {
  const { page, context } = tab;
  await signIn(page, origin);
  await advanceToWarning(page);
  const first = await secondsShown(page);
  expect(first).toBeGreaterThan(0);
  expect(first).toBeLessThanOrEqual(EXPIRE_AFTER - WARN_AFTER);
  await clock.advanceUntil(async () => (await secondsShown(page)) < first, 'a lower count', {
    withinMs: 2_500,
  });
  const before = await serverStatus(context, origin);
  expect(before.status).toBe(200);
  expect(before.body.idleFor).toBeGreaterThanOrEqual(WARN_AFTER);

  await warning(page).getByRole('button', { name: 'Stay signed in' }).click();
  await warning(page).waitFor({ state: 'hidden', timeout: 2_000 });
  const after = await serverStatus(context, origin);
  expect(after.status).toBe(200);
  expect(after.body.idleFor).toBeLessThan(2);

  await expireToSignIn(tab, origin);
}

describe('the single-page app of examples/spa', () => {
  it('built and served by its server: the warning counts down, "Stay signed in" resets the server’s idle time, and expiry lands on the sign-in form', async () => {
    await inBrowser((tab) => signInWarnStayExpire(tab, built));
  });

  it('under Vite’s dev server, its proxy keeping the browser’s Host: the same', async () => {
    await inBrowser((tab) => signInWarnStayExpire(tab, dev));
  }, 30_000);

  it('opened signed out, the console says (info) that nobody is signed in, and nothing is wrong', async () => {
    await inBrowser(
      async ({ page, messages }) => {
        const said = page.waitForEvent('console', {
          predicate: (message) => message.text().includes('nobody is signed in'),
          timeout: 5_000,
        });
        await page.goto(`${built}/`);
        expect((await said).type()).toBe('info');
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        const warnings = messages.filter((message) => message.type() === 'warning');
        expect(warnings.map((message) => message.text())).toEqual([]);
      },
      { sharedClock: false },
    );
  });

  it('under a dev server without the proxy, the console warns that the config route answered something else than the library, and names server.proxy', async () => {
    await inBrowser(
      async ({ page }) => {
        const said = page.waitForEvent('console', {
          predicate: (message) =>
            message.text().startsWith('session-security: the client did not start'),
          timeout: 5_000,
        });
        await page.goto(`${devWithoutProxy}/`);
        const message = await said;
        expect(message.type()).toBe('warning');
        // Vite answers 404 to a request that accepts only JSON (its index.html to one that accepts HTML).
        expect(message.text()).toContain(
          "GET /session-security/config answered 404 (no Content-Type), not session-security's JSON",
        );
        expect(message.text()).toContain('Vite: server.proxy');
        // The app says it too: its own API got the dev server's 404.
        await expect(page.getByRole('alert').textContent()).resolves.toContain(
          "The app's server did not answer",
        );
      },
      { sharedClock: false, failedLoads: /status of 40[14]\b/ },
    );
  }, 30_000);
});

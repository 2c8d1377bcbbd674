// The client under an app's security policies, in real Chromium: a Trusted Types CSP, frames
// (the client runs in one only when the app allows it) and Back after an explicit sign-out.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import type { Browser, BrowserContext } from 'playwright-core';
import type { SessionSecurityOptions } from 'session-security';
import { sessionSecurity } from 'session-security/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectCspViolations,
  cspViolations,
  launchChromium,
  signIn as signInToDemo,
} from './support.js';
import { useDemo } from './use-demo.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

/** Pages that forbid any string-to-script sink: innerHTML, outerHTML, DOMParser without a policy. */
const TRUSTED_TYPES_CSP = "default-src 'self'; require-trusted-types-for 'script'";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** A small app: `/sign-in` signs in, `/page` carries the client, `/host` frames `/page`. */
async function startApp(options: Partial<SessionSecurityOptions<express.Request>>) {
  const app = express();
  app.use(session({ secret: 'e2e', resave: false, saveUninitialized: false }));
  const security = sessionSecurity({
    drafts: false,
    expireAfter: 22,
    warnAfter: 2,
    isAuthenticated: (req) => typeof req.session.user === 'string',
    logger: { warn: () => {}, error: () => {} },
    ...options,
  });
  app.use(security);
  app.use((_req, res, next) => {
    res.set('content-security-policy', TRUSTED_TYPES_CSP);
    next();
  });
  app.get('/sign-in', (req, res) => {
    req.session.user = 'ada';
    res.redirect(303, '/page');
  });
  app.get('/page', (req, res) => {
    res.type('html').send(`<!doctype html><html lang="en"><head><title>Page</title>
      ${security.clientTags(req, { lang: 'en' })}</head><body><h1>Page</h1></body></html>`);
  });
  app.get('/host', (_req, res) => {
    res
      .type('html')
      .send('<!doctype html><title>Host</title><iframe src="/page" title="framed"></iframe>');
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function inContext(test: (context: BrowserContext) => Promise<void>): Promise<void> {
  const context = await browser.newContext();
  try {
    await test(context);
  } finally {
    await context.close();
  }
}

describe('under a Trusted Types policy', () => {
  it('shows the warning dialog with its text and buttons, and violates nothing', async () => {
    const app = await startApp({});
    try {
      await inContext(async (context) => {
        await collectCspViolations(context);
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(`${app.origin}/sign-in`);
        await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
        await page.locator('dialog[open]').waitFor({ timeout: 5000 });
        expect(await page.locator('dialog[open] h2').textContent()).toBe(
          'Your session is about to expire',
        );
        expect(await page.locator('dialog[open] button').allTextContents()).toEqual([
          'Stay signed in',
          'Sign out',
        ]);
        expect(await cspViolations(page)).toEqual([]);
        expect(errors).toEqual([]);
      });
    } finally {
      await app.close();
    }
  });
});

describe('in a frame', () => {
  it('does not start by default: a framed page reports no input', async () => {
    const app = await startApp({});
    try {
      await inContext(async (context) => {
        const page = await context.newPage();
        await page.goto(`${app.origin}/sign-in`);
        await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
        const pings: string[] = [];
        page.on('request', (request) => {
          if (request.url().includes('/session-security/ping')) pings.push(request.method());
        });
        await page.goto(`${app.origin}/host`);
        const frame = page.frameLocator('iframe');
        await frame.locator('h1').waitFor();
        const framed = page.frames().find((f) => f.url().endsWith('/page'));
        expect(framed).toBeDefined();
        // The script ran (its global exists) but the client stayed stopped.
        await framed?.waitForFunction(() => window.sessionSecurity !== undefined);
        expect(await framed?.evaluate(() => window.sessionSecurity?.state)).toBe('stopped');
        const box = await page.locator('iframe').boundingBox();
        for (let i = 0; i < 20 && box; i++) {
          await page.mouse.move(box.x + 5 + i * 5, box.y + 5 + i * 3);
        }
        await page.keyboard.press('a');
        await page.waitForTimeout(2500); // past warnAfter: a running client would have pinged
        expect(pings).toEqual([]);
        expect(await page.locator('iframe').count()).toBe(1);
      });
    } finally {
      await app.close();
    }
  });

  it('starts when the app allows frames (allowFrames: true)', async () => {
    const app = await startApp({ allowFrames: true });
    try {
      await inContext(async (context) => {
        const page = await context.newPage();
        await page.goto(`${app.origin}/sign-in`);
        await page.goto(`${app.origin}/host`);
        await page.frameLocator('iframe').locator('h1').waitFor();
        const framed = page.frames().find((f) => f.url().endsWith('/page'));
        await framed?.waitForFunction(() => window.sessionSecurity?.state === 'active');
        expect(await framed?.evaluate(() => window.sessionSecurity?.state)).toBe('active');
      });
    } finally {
      await app.close();
    }
  });
});

describe('the events option', () => {
  it('warns in the console at start() when it names an event a page can cause without a person', async () => {
    const app = await startApp({});
    try {
      await inContext(async (context) => {
        const page = await context.newPage();
        const warnings: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'warning') warnings.push(message.text());
        });
        await page.goto(`${app.origin}/sign-in`);
        await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
        expect(warnings, 'the default events draw no warning').toEqual([]);
        // A second client on the same page, as an app constructing its own would.
        const startWith = (events: string[]) =>
          page.evaluate((list) => {
            const running = window.sessionSecurity;
            if (!running) throw new Error('no client on the page');
            const text = document.getElementById('session-security-config')?.textContent ?? '{}';
            const Client = running.constructor as new (
              options: unknown,
            ) => NonNullable<typeof running>;
            new Client({ ...JSON.parse(text), ui: false, events: list }).start().stop();
          }, events);
        await startWith(['keydown', 'pointermove', 'mousemove', 'click', 'touchend']);
        expect(warnings, 'events only a person causes draw no warning').toEqual([]);
        await startWith(['keydown', 'scroll', 'pointerover', 'mouseenter', 'focus']);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain('scroll,pointerover,mouseenter,focus');
        expect(warnings[0]).not.toContain('keydown');
      });
    } finally {
      await app.close();
    }
  });
});

describe('Back after an explicit sign-out', () => {
  const demo = useDemo({ expireAfter: 60, warnAfter: 30 });

  it('shows the login page, not the protected page, on Back after the sign-out button', async () => {
    await inContext(async (context) => {
      const page = await context.newPage();
      await signInToDemo(page, demo.origin);
      await page.goto(`${demo.origin}/second`);
      await page.waitForFunction(() => window.sessionSecurity?.state === 'active');
      await Promise.all([
        page.waitForURL(`${demo.origin}/login`),
        page.getByRole('button', { name: 'Sign out' }).first().click(),
      ]);
      await page.goBack({ waitUntil: 'commit' });
      await page.waitForURL(/\/login\?/, { timeout: 3000 });
      await page.waitForLoadState();
      expect(await page.locator('h1').textContent()).toBe('Sign in');
      expect(await page.getByText('Signed in as').count()).toBe(0);
    });
  });
});

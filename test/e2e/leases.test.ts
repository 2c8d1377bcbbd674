// Leases on the demo's /form, in Debian's Chromium, in real time with short timeouts: an upload
// under the client's `hold` (and the server's around its processing) outlives the idle timeout
// with nobody at the keyboard, no warning shown while it runs, and idle time counts from its end;
// it never outlives the absolute timeout. The /audit page shows the lease's events.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, serverStatus, signIn } from './support.js';
import { useDemo } from './use-demo.js';

const EXPIRE_AFTER = 4;
const WARN_AFTER = 2;
const FILE = { name: 'figures.csv', mimeType: 'text/csv', buffer: Buffer.alloc(200_000, 'x') };

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Notes, in the page, when the client warned and expired (the page's own clock, ms). */
async function noteClientEvents(page: Page): Promise<void> {
  await page.evaluate(() => {
    const noted = window as unknown as { warnedAt?: number; expiredAt?: string };
    window.sessionSecurity?.addEventListener('warn', () => {
      noted.warnedAt ??= Date.now();
    });
    window.sessionSecurity?.addEventListener('expire', (event) => {
      noted.expiredAt = String((event as CustomEvent<{ reason?: string }>).detail?.reason);
    });
  });
}

/** Starts an upload of FILE whose processing takes `seconds`; resolves when it is sent (real ms of the click). */
async function upload(page: Page, seconds: number): Promise<number> {
  await page.setInputFiles('#upload-file', FILE);
  await page.fill('#upload-seconds', String(seconds));
  const clicked = Date.now();
  await page.click('#upload-form button[type="submit"]');
  return clicked;
}

describe('an upload under a lease, longer than the idle timeout', () => {
  const demo = useDemo({ expireAfter: EXPIRE_AFTER, warnAfter: WARN_AFTER, absoluteTimeout: 40 });

  it('keeps the sign-in with nobody at the keyboard, warns of nothing while it runs, and counts idle time from its end', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, demo.origin, '/form');
    await noteClientEvents(page);
    const clicked = await upload(page, 7);
    await page.waitForFunction(
      () => document.getElementById('upload-result')?.textContent?.startsWith('Uploaded'),
      undefined,
      { timeout: 20_000 },
    );
    const ended = Date.now();
    // The upload took longer than the idle timeout; nobody touched the page meanwhile.
    expect(ended - clicked).toBeGreaterThan(EXPIRE_AFTER * 1000 + 2000);
    expect(await page.textContent('#upload-result')).toContain('Uploaded 200000 bytes');
    expect(new URL(page.url()).pathname).toBe('/form');
    const during = await page.evaluate(() => ({
      state: window.sessionSecurity?.state,
      warnedAt: (window as unknown as { warnedAt?: number }).warnedAt,
    }));
    expect(during).toEqual({ state: 'active', warnedAt: undefined });
    const status = await serverStatus(context, demo.origin);
    expect(status.status).toBe(200);
    expect(status.body.idleFor).toBeLessThan(WARN_AFTER);

    // Idle from the lease's end: warned, then signed out for inactivity, counted from there.
    await page.waitForURL(/\/login\?.*reason=idle/, { timeout: 15_000 });
    const signedOut = Date.now();
    expect(signedOut - ended).toBeGreaterThan(EXPIRE_AFTER * 1000 - 1500);

    // The audit trail shows the leases: the browser's around the request, the server's around
    // its processing.
    await signIn(page, demo.origin, '/audit');
    const audit = await page.textContent('main');
    expect(audit).toContain('lease-held');
    expect(audit).toContain('lease-ended');
    expect(audit).toContain('by=client');
    expect(audit).toContain('by=server');
    expect(audit).toContain('how=settled');
    // The trace says why the sign-in lived past its idle timeout, and why it ended.
    const trace = await page.$$eval('ol.trace li', (items) => items.map((li) => li.textContent));
    const line = (pattern: RegExp) => trace.find((text) => pattern.test(text ?? ''));
    expect(line(/lease held by the browser \("upload"\)/)).toBeDefined();
    expect(line(/GET \/session-security\/ping: passive .* held by a lease$/)).toBeDefined();
    expect(line(/lease ended \("upload"\) by the app: settled/)).toBeDefined();
    expect(line(/expired \(idle\) .* counted from the end of its lease at /)).toBeDefined();
    await context.close();
  }, 60_000);
});

describe('an upload under a lease, longer than the absolute timeout', () => {
  const demo = useDemo({ expireAfter: EXPIRE_AFTER, warnAfter: WARN_AFTER, absoluteTimeout: 8 });

  it('is cut off by the absolute timeout: the lease holds the idle clock only', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, demo.origin, '/form');
    await upload(page, 15);
    await page.waitForURL(/\/login\?.*reason=absolute/, { timeout: 15_000 });
    const status = await serverStatus(context, demo.origin);
    expect(status.status).toBe(401);
    await context.close();
  }, 30_000);
});

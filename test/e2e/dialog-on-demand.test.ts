// The warning's dialog as a module of its own, imported by the prebuilt client only when a
// warning is near, in a real Chromium against the demo on a clock the demo and the browser share
// (shared-clock.ts): never by a page whose warning is minutes away, once a minute before the
// warning, the warning on the cover while the script cannot be fetched and the dialog in its
// place once it can, never in headless mode, and with the page's nonce under a nonce-only CSP.

import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/contract/messages.js';
import { sleep } from '../support/sleep.js';
import { SharedClock } from './shared-clock.js';
import {
  collectCspViolations,
  cspViolations,
  launchChromium,
  serverStatus,
  signIn,
} from './support.js';
import { useDemo } from './use-demo.js';

const OPEN_DIALOG = 'dialog[open]';
const COVER = '#session-security-cover';
const DIALOG_JS = '**/session-security/dialog.js*';
const WARN_AFTER = 300;
const EXPIRE_AFTER = 400;
/** Clock steps for the minutes before the warning: nothing happens in them but a ping or two. */
const COARSE = { stepMs: 10_000 };

interface InPage {
  __warnedAt?: number[];
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Runs `test` in a fresh browser context on `clock`, closed afterwards. */
async function inContext<T>(clock: SharedClock, test: (context: BrowserContext) => Promise<T>) {
  const context = await browser.newContext();
  try {
    await clock.install(context);
    return await test(context);
  } finally {
    await context.close();
  }
}

/** Every request of `page` for the dialog script, its URL. */
function dialogRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/session-security/dialog.js') urls.push(request.url());
  });
  return urls;
}

/** When the warning is due on `clock` (ms), read without extending the session. */
async function warningDue(clock: SharedClock, context: BrowserContext, origin: string) {
  const { status, body } = await serverStatus(context, origin);
  expect(status).toBe(200);
  return clock.now() + Number(body.warnIn) * 1000;
}

/** Notes in the page the clock's time of each `warn` event. */
async function recordEvents(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as InPage;
    w.__warnedAt = [];
    window.sessionSecurity?.addEventListener('warn', () => w.__warnedAt?.push(Date.now()));
  });
}

const recorded = (page: Page) =>
  page.evaluate(() => ({ warnedAt: (window as InPage).__warnedAt ?? [] }));

/** Serves the demo's home page changed by `edit` (its HTML and headers). */
function editHomePage(
  page: Page,
  origin: string,
  edit: (html: string, headers: Record<string, string>) => string,
) {
  return page.route(`${origin}/`, async (route: Route) => {
    const response = await route.fetch();
    const headers = response.headers();
    const body = edit(await response.text(), headers);
    await route.fulfill({ response, body, headers });
  });
}

describe(`with warnAfter ${WARN_AFTER} s and expireAfter ${EXPIRE_AFTER} s`, () => {
  const clock = new SharedClock();
  const demo = useDemo({ warnAfter: WARN_AFTER, expireAfter: EXPIRE_AFTER, clock });

  it('a page whose warning is minutes away never asks for the dialog while the user is active', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      const asked = dialogRequests(page);
      await signIn(page, demo.origin);
      for (let second = 0; second < 20; second++) {
        await page.mouse.move(10 + second * 5, 10 + second * 3);
        await page.keyboard.press('a');
        await clock.advance(1000);
      }
      // A few seconds of real time too, for a fetch that the clock does not drive.
      await sleep(2000);
      expect(asked).toEqual([]);
      expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('active');
    });
  });

  it('asks for it once, a minute before the warning, and shows the dialog on time', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      const asked = dialogRequests(page);
      await signIn(page, demo.origin);
      await recordEvents(page);
      const warnAt = await warningDue(clock, context, demo.origin);

      await clock.advanceTo(warnAt - 61_000, COARSE);
      expect(asked).toEqual([]);
      await clock.advanceTo(warnAt - 59_000);
      await expect.poll(() => asked.length).toBe(1);
      // The config's URL, under the script's content hash: a module whose export is the factory
      // (imported again here from the page's module map, with no second request).
      const src = await page.evaluate(
        () =>
          JSON.parse(document.getElementById('session-security-config')?.textContent ?? '{}')
            .dialogSrc,
      );
      expect(src).toMatch(/^\/session-security\/dialog\.js\?v=[\w-]{16}$/);
      expect(asked).toEqual([`${demo.origin}${src}`]);
      // As a string: Vitest would rewrite an import() in a function.
      const exported = await page.evaluate(
        `import(${JSON.stringify(src)}).then((module) =>
          Object.entries(module).map(([name, value]) => name + ': ' + typeof value))`,
      );
      expect(exported).toEqual(['createDialog: function']);

      await clock.advanceTo(warnAt - 500, { stepMs: 5000 });
      expect(await page.locator(OPEN_DIALOG).count()).toBe(0);
      await clock.advanceUntilShown(page.locator(OPEN_DIALOG), 'the warning', { withinMs: 2500 });
      const { warnedAt } = await recorded(page);
      expect(warnedAt).toHaveLength(1);
      expect(Math.abs((warnedAt[0] as number) - warnAt)).toBeLessThan(1000);
      expect(await page.locator(COVER).count()).toBe(0);
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(en.stay);
      expect(asked).toHaveLength(1);
    });
  });

  it('when the dialog script fails, covers the page with the warning on time, then shows the dialog once it loads', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      const asked = dialogRequests(page);
      await page.route(DIALOG_JS, (route) => route.fulfill({ status: 500, body: 'down' }));
      await signIn(page, demo.origin);
      await recordEvents(page);
      const warnAt = await warningDue(clock, context, demo.origin);

      await clock.advanceTo(warnAt - 59_000, COARSE);
      await expect.poll(() => asked.length).toBe(1);
      // Tried again every few seconds, not in a loop: 5 s apart.
      await clock.advance(20_000, { stepMs: 500 });
      expect(asked.length).toBeGreaterThanOrEqual(4);
      expect(asked.length).toBeLessThanOrEqual(6);

      await clock.advanceTo(warnAt - 500, { stepMs: 5000 });
      expect(await page.locator(COVER).count()).toBe(0);
      await clock.advanceUntil(
        async () => (await recorded(page)).warnedAt.length > 0,
        'the warn event',
        { withinMs: 2500 },
      );
      const { warnedAt } = await recorded(page);
      expect(Math.abs((warnedAt[0] as number) - warnAt)).toBeLessThan(1000);
      const cover = page.locator(COVER);
      expect(await cover.isVisible()).toBe(true);
      expect(await cover.textContent()).toBe(`${en.title} ${en.body}`);
      expect(await cover.getAttribute('role')).toBe('alert');
      expect(await page.getByText('Welcome, demo').isVisible()).toBe(false);
      expect(await page.locator(OPEN_DIALOG).count()).toBe(0);
      expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('warning');

      // The script can be fetched again: the next try brings the dialog in the cover's place.
      await page.unroute(DIALOG_JS);
      await clock.advanceUntilShown(page.locator(OPEN_DIALOG), 'the dialog', { withinMs: 6000 });
      expect(await page.locator(COVER).count()).toBe(0);
      expect(await page.locator('html.session-security-covered').count()).toBe(0);
      expect(await page.locator(`${OPEN_DIALOG} h2`).textContent()).toBe(en.title);
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(en.stay);
      expect((await recorded(page)).warnedAt).toHaveLength(1);

      // And it works: "Stay signed in" extends and closes it.
      await page.locator(OPEN_DIALOG).getByRole('button', { name: en.stay }).click();
      await page.locator(OPEN_DIALOG).waitFor({ state: 'detached', timeout: 2000 });
      expect(await page.getByText('Welcome, demo').isVisible()).toBe(true);
    });
  });

  it('in headless mode (ui: false in the config) never asks for it, and warns with the event alone', async () => {
    await inContext(clock, async (context) => {
      const page = await context.newPage();
      const asked = dialogRequests(page);
      await editHomePage(page, demo.origin, (html) =>
        html.replace('id="session-security-config">{', 'id="session-security-config">{"ui":false,'),
      );
      await signIn(page, demo.origin);
      await recordEvents(page);
      const warnAt = await warningDue(clock, context, demo.origin);

      await clock.advanceTo(warnAt - 1000, COARSE);
      await clock.advanceUntil(
        async () => (await recorded(page)).warnedAt.length > 0,
        'the warn event',
        { withinMs: 3000 },
      );
      await clock.advance(10_000, { stepMs: 1000 });
      expect(asked).toEqual([]);
      expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('warning');
      expect(await page.locator(`${COVER}, dialog`).count()).toBe(0);
    });
  });

  it('loads it with the page’s nonce under a nonce-only Content-Security-Policy', async () => {
    await inContext(clock, async (context) => {
      await collectCspViolations(context);
      const page = await context.newPage();
      const asked = dialogRequests(page);
      await editHomePage(page, demo.origin, (html, headers) => {
        headers['content-security-policy'] =
          "default-src 'self'; script-src 'nonce-e2e-dialog'; style-src 'self'";
        return html.replace(
          /<script src="(\/session-security\/client\.js[^"]*)" defer>/,
          '<script src="$1" defer nonce="e2e-dialog">',
        );
      });
      await signIn(page, demo.origin);
      const warnAt = await warningDue(clock, context, demo.origin);

      await clock.advanceTo(warnAt - 500, COARSE);
      await clock.advanceUntilShown(page.locator(OPEN_DIALOG), 'the warning', { withinMs: 2500 });
      expect(asked).toHaveLength(1);
      expect(await cspViolations(page)).toEqual([]);
    });
  });
});

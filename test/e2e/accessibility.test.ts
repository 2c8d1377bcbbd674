// The warning dialog for keyboard and screen-reader users, in a real Chromium against the demo:
// focus, the Tab trap, the keys that extend, ARIA names, axe-core and the live region's pace.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type AxeCore from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/contract/messages.js';
import { sleep } from '../support/sleep.js';
import { SharedClock } from './shared-clock.js';
import { launchChromium, serverStatus, signIn } from './support.js';
import { useDemo } from './use-demo.js';

const OPEN_DIALOG = 'dialog[open]';
/** The nav link focused before the warning opens, so focus has somewhere to return to. */
const SECOND_PAGE_LINK = 'nav a[href="/second"]';
const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * Signs in on a page of a fresh browser context (on `clock` when given), runs `test`, closes the
 * context.
 */
async function signedIn(
  origin: string,
  test: (page: Page, context: BrowserContext) => Promise<void>,
  clock?: SharedClock,
) {
  const context = await browser.newContext();
  try {
    if (clock) await clock.install(context);
    const page = await context.newPage();
    await signIn(page, origin);
    await test(page, context);
  } finally {
    await context.close();
  }
}

/** Focuses the "Second page" link the way a script does (`element.focus()`), not by a click. */
async function focusSecondPageLink(page: Page): Promise<void> {
  await page.evaluate((selector) => {
    (document.querySelector(selector) as HTMLElement).focus();
  }, SECOND_PAGE_LINK);
}

async function focusedElement(page: Page) {
  return page.evaluate((link) => {
    const active = document.activeElement;
    return {
      text: active?.textContent?.trim() ?? '',
      inDialog: document.querySelector('dialog')?.contains(active) === true,
      isSecondPageLink: active === document.querySelector(link),
    };
  }, SECOND_PAGE_LINK);
}

/** Waits until the server's idle time is back near 0, as after an extension. */
async function expectExtendedOnServer(context: BrowserContext, origin: string): Promise<void> {
  const deadline = Date.now() + 1500;
  let idleFor = Number((await serverStatus(context, origin)).body.idleFor);
  while (!(idleFor < 1) && Date.now() < deadline) {
    await sleep(100);
    idleFor = Number((await serverStatus(context, origin)).body.idleFor);
  }
  expect(idleFor).toBeLessThan(1);
}

/** Moves `clock` until the warning is open (4 s of clock time at most). */
function advanceToWarning(clock: SharedClock, page: Page): Promise<void> {
  return clock.advanceUntilShown(page.locator(OPEN_DIALOG), 'the warning', { withinMs: 4000 });
}

/** Presses `key` in the open warning: it closes, the session is extended, focus goes back. */
async function expectKeyExtends(
  clock: SharedClock,
  page: Page,
  context: BrowserContext,
  origin: string,
  key: string,
) {
  await focusSecondPageLink(page);
  await advanceToWarning(clock, page);
  expect((await focusedElement(page)).text).toBe('Stay signed in');

  await page.keyboard.press(key);
  await page.locator(OPEN_DIALOG).waitFor({ state: 'detached', timeout: 1500 });
  await expectExtendedOnServer(context, origin);
  expect(await focusedElement(page)).toMatchObject({ isSecondPageLink: true });
  expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('active');
}

// On a clock the demo and the browser share, moved to the warning (shared-clock.ts).
describe('with warnAfter 2 s and expireAfter 4 s', () => {
  const clock = new SharedClock();
  const demo = useDemo({ expireAfter: 4, warnAfter: 2, clock });

  it('puts focus on "Stay signed in" and keeps Tab and Shift+Tab inside the dialog', async () => {
    await signedIn(
      demo.origin,
      async (page) => {
        await focusSecondPageLink(page);
        await advanceToWarning(clock, page);
        expect(await focusedElement(page)).toMatchObject({
          text: 'Stay signed in',
          inDialog: true,
        });

        const seen = new Set<string>();
        for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Tab']) {
          await page.keyboard.press(key);
          const focused = await focusedElement(page);
          expect(focused.inDialog, `focus after ${key}`).toBe(true);
          seen.add(focused.text);
        }
        expect([...seen].sort()).toEqual(['Sign out', 'Stay signed in']);
        // Keys inside the warning are no deliberate answer: it stays open.
        expect(await page.locator(OPEN_DIALOG).count()).toBe(1);
      },
      clock,
    );
  });

  it('extends with Escape, closes the dialog and returns focus to where it was', async () => {
    await signedIn(
      demo.origin,
      (page, context) => expectKeyExtends(clock, page, context, demo.origin, 'Escape'),
      clock,
    );
  });

  it('extends with Enter on the focused "Stay signed in"', async () => {
    await signedIn(
      demo.origin,
      (page, context) => expectKeyExtends(clock, page, context, demo.origin, 'Enter'),
      clock,
    );
  });

  it('extends with Space on the focused "Stay signed in"', async () => {
    await signedIn(
      demo.origin,
      (page, context) => expectKeyExtends(clock, page, context, demo.origin, 'Space'),
      clock,
    );
  });

  it('is a modal alertdialog with a name, a description, a hidden ticker and a spoken time left', async () => {
    await signedIn(
      demo.origin,
      async (page) => {
        const dialog = page.getByRole('alertdialog', { name: en.title });
        await advanceToWarning(clock, page);
        expect(await dialog.evaluate((element) => element.matches(':modal'))).toBe(true);
        expect(await dialog.getAttribute('aria-modal')).toBe('true');

        const referenced = (attribute: string) =>
          dialog.evaluate(
            (element, name) =>
              document.getElementById(element.getAttribute(name) ?? '')?.textContent,
            attribute,
          );
        expect(await referenced('aria-labelledby')).toBe(en.title);
        expect(await referenced('aria-describedby')).toBe(en.body);

        const ticker = dialog.locator('.session-security-time');
        expect(await ticker.getAttribute('aria-hidden')).toBe('true');
        expect(await ticker.locator('strong').textContent()).toMatch(/^0:0[0-2]$/);

        const live = dialog.locator('.session-security-live');
        expect(await live.getAttribute('role')).toBe('status');
        // 2 s of warning; "1 second" only if the dialog opened late on a loaded machine.
        expect(await live.textContent()).toMatch(
          /^You will be signed out in (2 seconds|1 second)\.$/,
        );
      },
      clock,
    );
  });
});

describe('with warnAfter 5 s and expireAfter 200 s', () => {
  const demo = useDemo({ expireAfter: 200, warnAfter: 5 });

  it('axe-core finds no violation in the open dialog, nor WCAG 2 A/AA ones in the page', async () => {
    await signedIn(demo.origin, async (page) => {
      await page.locator(OPEN_DIALOG).waitFor({ timeout: 8000 });
      // axe measures contrast as rendered: let the dialog's fade-in finish first.
      await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
      // The demo's CSP refuses addScriptTag (an inline script): evaluate the source instead.
      await page.evaluate(AXE_SOURCE);
      const violations = (wholePage: boolean) =>
        page.evaluate(async (whole) => {
          const { axe } = window as unknown as { axe: typeof AxeCore };
          const results = whole
            ? await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })
            : await axe.run(document.querySelector('dialog') as Element);
          return {
            checked: results.passes.length,
            violations: results.violations.map(({ id, nodes }) => ({
              id,
              targets: nodes.map((node) => node.target.join(' ')),
            })),
          };
        }, wholePage);

      const inDialog = await violations(false);
      expect(inDialog.violations).toEqual([]);
      expect(inDialog.checked).toBeGreaterThan(0);
      const inPage = await violations(true);
      expect(inPage.violations).toEqual([]);
      expect(inPage.checked).toBeGreaterThan(0);
      expect(await page.locator(OPEN_DIALOG).count()).toBe(1);
    });
  });

  it('keeps the live region still while more than a minute is left and the ticker counts down', async () => {
    await signedIn(demo.origin, async (page) => {
      const dialog = page.locator(OPEN_DIALOG);
      await dialog.waitFor({ timeout: 8000 });
      const ticker = dialog.locator('.session-security-time strong');
      const live = dialog.locator('.session-security-live');
      expect(await ticker.textContent()).toMatch(/^3:1[0-5]$/);
      expect(await live.textContent()).toBe('You will be signed out in 3 minutes.');

      await live.evaluate((element) => {
        const changes = { count: 0 };
        (window as unknown as { __liveChanges: typeof changes }).__liveChanges = changes;
        new MutationObserver((records) => {
          changes.count += records.length;
        }).observe(element, { childList: true, characterData: true, subtree: true });
      });
      const shown = new Set<string>();
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        shown.add((await ticker.textContent()) ?? '');
        await page.waitForTimeout(250);
      }

      expect(shown.size).toBeGreaterThanOrEqual(3);
      expect(await live.textContent()).toBe('You will be signed out in 3 minutes.');
      expect(
        await page.evaluate(
          () => (window as unknown as { __liveChanges: { count: number } }).__liveChanges.count,
        ),
      ).toBe(0);
    });
  });
});

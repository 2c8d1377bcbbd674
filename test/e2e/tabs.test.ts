// Several tabs of one browser in a real Chromium (docs/guide/browser-client.md: The browser client, One clock): input anywhere keeps every
// tab from warning, extending anywhere closes every warning, expiry takes every tab to the
// login page, a frozen tab signs nobody out, a new tab joins the shared clock, and idle tabs
// do not each ping the server. Run twice: with BroadcastChannel and Web Locks, and without
// them (the `storage`-event channel and no leader). The demo and the browser share a clock the
// test moves (shared-clock.ts): timers wait for it, the messages between tabs take real time.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { SharedClock } from './shared-clock.js';
import {
  holdTimers,
  installTimerHold,
  launchChromium,
  openTab,
  releaseTimers,
  removeTabApis,
  serverStatus,
  signIn,
  startDemo,
} from './support.js';

/** Seconds: short timeouts, a 2 s warning window. */
const WARN_AFTER = 3;
const EXPIRE_AFTER = 5;
const WARN_MS = WARN_AFTER * 1000;
const EXPIRE_MS = EXPIRE_AFTER * 1000;
/** How often the "user" presses a key: faster than the client records input (once a second). */
const KEY_EVERY_MS = 700;
/** Slack on anything that should happen "at" a deadline (clock time). */
const LATE_MS = 2000;

/** Any login page: wait for it, then compare the whole address, so a mismatch says what it was. */
const LOGIN_PAGE = /\/login\?/;

interface Mode {
  title: string;
  /** Whether the pages keep BroadcastChannel and Web Locks. */
  tabApis: boolean;
}

type InPage = Window & {
  __warnedAt?: number[];
  __closedAt?: number;
  __timerHold?: { held: boolean; due: (() => void)[] };
};

/**
 * Extends support's timer hold to the messages from other tabs: a frozen tab runs no task at
 * all, so while held, BroadcastChannel messages and `storage` events wait too and are delivered
 * on release, in order with the timers. Without this the "frozen" tab would still act on every
 * message another tab sends. Install after `installTimerHold`.
 */
async function holdTabMessagesToo(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const hold = () => (window as InPage).__timerHold;
    if (typeof BroadcastChannel === 'function') {
      const onmessage = Object.getOwnPropertyDescriptor(BroadcastChannel.prototype, 'onmessage');
      Object.defineProperty(BroadcastChannel.prototype, 'onmessage', {
        configurable: true,
        get() {
          return onmessage?.get?.call(this);
        },
        set(handler: ((event: MessageEvent) => void) | null) {
          const held = (event: MessageEvent) => {
            const h = hold();
            if (h?.held) h.due.push(() => handler?.call(this, event));
            else handler?.call(this, event);
          };
          onmessage?.set?.call(this, handler ? held : null);
        },
      });
    }
    window.addEventListener(
      'storage',
      (event) => {
        const h = hold();
        if (!h?.held) return;
        event.stopImmediatePropagation();
        const { key, newValue, oldValue, url, storageArea } = event;
        h.due.push(() =>
          window.dispatchEvent(
            new StorageEvent('storage', { key, newValue, oldValue, url, storageArea }),
          ),
        );
      },
      { capture: true },
    );
  });
}

/** Every ping any tab of `context` sends, with the tab that sent it and the clock's time. */
function recordPings(context: BrowserContext, clock: SharedClock) {
  const pings: { page: Page; method: string; at: number }[] = [];
  context.on('request', (request) => {
    if (new URL(request.url()).pathname === '/session-security/ping') {
      pings.push({ page: request.frame().page(), method: request.method(), at: clock.now() });
    }
  });
  return pings;
}

/** Notes in the page the (shared clock's) time of every `warn` event of its client. */
async function recordWarnings(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as InPage;
    w.__warnedAt = [];
    w.sessionSecurity?.addEventListener('warn', () => w.__warnedAt?.push(Date.now()));
  });
}

function warnedAt(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as InPage).__warnedAt ?? []);
}

async function warningShown(page: Page): Promise<boolean> {
  return (await page.locator('dialog[open]').count()) > 0;
}

function scenarios(mode: Mode): void {
  let browser: Browser;
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let origin: string;
  const clock = new SharedClock();

  beforeAll(async () => {
    browser = await launchChromium();
    demo = await startDemo({ expireAfter: EXPIRE_AFTER, warnAfter: WARN_AFTER, clock });
    origin = demo.origin;
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  /** A fresh browser (context) for one test, closed after it. */
  async function newBrowser(options: { frozenTabs?: boolean } = {}): Promise<BrowserContext> {
    const context = await browser.newContext();
    onTestFinished(() => context.close());
    await clock.install(context);
    if (!mode.tabApis) await removeTabApis(context);
    if (options.frozenTabs) {
      await installTimerHold(context);
      await holdTabMessagesToo(context);
    }
    return context;
  }

  /** Without the tab APIs, proves that the page really runs without them. */
  async function expectTabApis(page: Page): Promise<void> {
    const present = await page.evaluate(() => ({
      broadcastChannel: typeof BroadcastChannel !== 'undefined',
      locks: navigator.locks !== undefined,
    }));
    expect(present).toEqual({ broadcastChannel: mode.tabApis, locks: mode.tabApis });
  }

  /** Moves the clock until `page` shows its warning, failing if it does not within `withinMs`. */
  function advanceToWarning(page: Page, what: string, withinMs: number) {
    return clock.advanceUntilShown(page.locator('dialog[open]'), what, { withinMs });
  }

  /** Tab A signs in on `/`, tab B opens `/second`. */
  async function twoTabs(context: BrowserContext): Promise<{ a: Page; b: Page }> {
    const a = await context.newPage();
    await signIn(a, origin, '/');
    const b = await openTab(context, `${origin}/second`);
    await expectTabApis(b);
    return { a, b };
  }

  it('input in one tab keeps the other tab from warning', async () => {
    const context = await newBrowser();
    const { a, b } = await twoTabs(context);
    await recordWarnings(b);
    let maxIdle = 0;
    const until = clock.now() + WARN_MS + 1200;
    while (clock.now() < until) {
      await a.keyboard.press('Shift');
      expect(await warningShown(b)).toBe(false);
      const { status, body } = await serverStatus(context, origin);
      expect(status).toBe(200);
      maxIdle = Math.max(maxIdle, Number(body.idleFor));
      await clock.advance(KEY_EVERY_MS);
    }
    expect(await warningShown(b)).toBe(false);
    expect(await warningShown(a)).toBe(false);
    expect(await warnedAt(b)).toEqual([]);
    // The input was reported before the server's idle time reached warnAfter (docs/guide/browser-client.md: The browser client).
    expect(maxIdle).toBeLessThan(WARN_AFTER);
    expect(b.url()).toBe(`${origin}/second`);
  });

  it('extending in one tab closes the warning in the other within 0.5 s', async () => {
    const context = await newBrowser();
    const { a, b } = await twoTabs(context);
    await advanceToWarning(a, "A's warning", WARN_MS + LATE_MS);
    await advanceToWarning(b, "B's warning", 1000);
    // The pages' clocks are paused (shared-clock.ts), so the delay is measured in real time
    // here: from just before the click to when B's dialog has lost `open`, which B notes at once.
    // (Not B's `close` event: Chromium fires it with the next animation frame, and a tab behind
    // gets about one a second in headless mode.) The click's own work counts in the delay.
    await b.evaluate(() => {
      const dialog = document.querySelector('dialog[open]');
      if (!dialog) return;
      const observer = new MutationObserver(() => {
        if (dialog.hasAttribute('open')) return;
        (window as InPage).__closedAt = 1;
        observer.disconnect();
      });
      observer.observe(dialog, { attributes: true, attributeFilter: ['open'] });
    });
    // The user switches to tab A. (Headless Chromium also gives only the front tab animation
    // frames; a click in a tab behind waits about a second per frame for the button to settle.)
    await a.bringToFront();
    const button = a.getByRole('button', { name: 'Stay signed in' });
    await button.waitFor();
    const clickedAt = performance.now();
    await button.click();
    await b.waitForFunction(() => (window as InPage).__closedAt !== undefined, undefined, {
      timeout: 2000,
      polling: 10,
    });
    const delay = Math.round(performance.now() - clickedAt);
    console.log(`[tabs: ${mode.title}] the other tab's dialog closed ${delay} ms after the click`);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(500);
    // A closes its own warning once the server has answered its extension (single-tab.test.ts
    // gives that 1.5 s too); B may close first, on A's word.
    await a.locator('dialog[open]').waitFor({ state: 'detached', timeout: 1500 });
    expect(await warningShown(b)).toBe(false);
    const { status, body } = await serverStatus(context, origin);
    expect(status).toBe(200);
    expect(Number(body.idleFor)).toBeLessThan(1);
  });

  it('expiry takes every tab to the login page with its own path and reason idle', async () => {
    const context = await newBrowser();
    const { a, b } = await twoTabs(context);
    await clock.advanceUntilAt([a, b], LOGIN_PAGE, { withinMs: EXPIRE_MS + LATE_MS });
    expect([a.url(), b.url()]).toEqual([
      `${origin}/login?next=%2F&reason=idle`,
      `${origin}/login?next=%2Fsecond&reason=idle`,
    ]);
    expect(await a.textContent('.notice')).toMatch(/inactivity/);
    expect(await b.textContent('.notice')).toMatch(/inactivity/);
    expect((await serverStatus(context, origin)).status).toBe(401);
  });

  it('a frozen tab does not sign the user out while another tab is in use', async () => {
    const context = await newBrowser({ frozenTabs: true });
    const pings = recordPings(context, clock);
    const { a, b } = await twoTabs(context);
    // A comes to the front again, so it is the tab that acts: with Web Locks it takes the lead
    // (a visible tab takes it from the others); without them it acts like any visible tab.
    await a.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await holdTimers(a);
    const heldAt = clock.now();
    while (clock.now() - heldAt < EXPIRE_MS + 500) {
      await b.keyboard.press('Shift');
      expect(await warningShown(b)).toBe(false);
      await clock.advance(KEY_EVERY_MS);
    }
    const releasedAt = clock.now();
    const duringHold = pings.filter((p) => p.at >= heldAt && p.at < releasedAt);
    // The frozen tab sent nothing; the tab in use reported its input itself.
    expect(duringHold.filter((p) => p.page === a)).toEqual([]);
    expect(duringHold.some((p) => p.page === b && p.method === 'POST')).toBe(true);

    await releaseTimers(a);
    await clock.advance(500);
    expect(a.url()).toBe(`${origin}/`);
    expect(await warningShown(a)).toBe(false);
    expect(b.url()).toBe(`${origin}/second`);
    expect(await warningShown(b)).toBe(false);
    const { status, body } = await serverStatus(context, origin);
    expect(status).toBe(200);
    expect(body.status).toBe('active');

    // Then both idle: they warn and expire as usual.
    await advanceToWarning(a, "A's warning", WARN_MS + LATE_MS);
    await advanceToWarning(b, "B's warning", 1000);
    await clock.advanceUntilAt([a, b], LOGIN_PAGE, { withinMs: EXPIRE_MS + LATE_MS });
    expect([a.url(), b.url()]).toEqual([
      `${origin}/login?next=%2F&reason=idle`,
      `${origin}/login?next=%2Fsecond&reason=idle`,
    ]);
  });

  it('opening a tab counts as activity: the older tab postpones its warning and both warn together', async () => {
    const context = await newBrowser();
    const a = await context.newPage();
    await signIn(a, origin, '/');
    const signedInAt = clock.now();
    await recordWarnings(a);
    await clock.advance(WARN_MS - 1000);
    const openingAt = clock.now();
    const b = await openTab(context, `${origin}/second`);
    await expectTabApis(b);
    await recordWarnings(b);
    // A's own warning would have come by now.
    await clock.advanceTo(signedInAt + WARN_MS + 700);
    expect(await warnedAt(a)).toEqual([]);
    expect(await warningShown(a)).toBe(false);

    await advanceToWarning(a, "A's warning", WARN_MS + LATE_MS);
    await advanceToWarning(b, "B's warning", 1000);
    const [warnedA] = await warnedAt(a);
    const [warnedB] = await warnedAt(b);
    expect(warnedA).toBeDefined();
    expect(warnedB).toBeDefined();
    expect(Math.abs(Number(warnedA) - Number(warnedB))).toBeLessThan(500);
    // Both warn warnAfter after B's page load, the latest activity, and not before.
    expect(Number(warnedA)).toBeGreaterThanOrEqual(openingAt + WARN_MS - 50);
  });

  it('a tab whose page load did not count (a prefetch) learns the shared clock and warns with the older tab', async () => {
    const context = await newBrowser();
    const a = await context.newPage();
    await signIn(a, origin, '/');
    const signedInAt = clock.now();
    await recordWarnings(a);
    await clock.advance(WARN_MS - 1000);
    // The page is fetched as a prefetch is (`Sec-Purpose: prefetch`), which the server does
    // not count as activity (docs/guide/behaviour.md: What counts as activity); the tab must start from the server's idle time.
    const b = await context.newPage();
    await b.setExtraHTTPHeaders({ 'sec-purpose': 'prefetch' });
    await b.goto(`${origin}/second`);
    await b.waitForFunction(() => window.sessionSecurity?.state === 'active');
    await b.setExtraHTTPHeaders({});
    await expectTabApis(b);
    await recordWarnings(b);
    const { body } = await serverStatus(context, origin);
    expect(Number(body.idleFor)).toBeGreaterThan(WARN_AFTER - 1.5);

    await advanceToWarning(a, "A's warning", LATE_MS);
    await advanceToWarning(b, "B's warning", 1000);
    const [warnedA] = await warnedAt(a);
    const [warnedB] = await warnedAt(b);
    expect(warnedA).toBeDefined();
    expect(warnedB).toBeDefined();
    expect(Math.abs(Number(warnedA) - Number(warnedB))).toBeLessThan(500);
    // At A's own moment: warnAfter after sign-in, not postponed by B's load.
    expect(Number(warnedB)).toBeLessThan(signedInAt + WARN_MS + 1000);
  });

  it('a frozen tab that thaws after a new tab found the session expired lands on the login page with reason idle', async () => {
    const context = await newBrowser({ frozenTabs: true });
    const a = await context.newPage();
    await signIn(a, origin, '/');
    await expectTabApis(a);
    // Tab A is frozen past expiry (a background tab the browser froze, a computer asleep).
    await holdTimers(a);
    await clock.advance(EXPIRE_MS + 200);
    // The user comes back and opens the app in a new tab: the server finds the session expired.
    const b = await context.newPage();
    await b.goto(`${origin}/second`);
    expect(b.url()).toBe(`${origin}/login?next=%2Fsecond&reason=idle`);
    // Then the user goes back to tab A, which thaws.
    await releaseTimers(a);
    await clock.advanceUntilAt(a, LOGIN_PAGE, { withinMs: LATE_MS });
    expect(a.url()).toBe(`${origin}/login?next=%2F&reason=idle`);
  });

  it('a client given its own clock (the now option) still tells the other tabs its status', async () => {
    const context = await newBrowser();
    const { a, b } = await twoTabs(context);
    await b.evaluate(() => {
      const probe = window as unknown as { __synced: unknown[]; sessionSecurity: EventTarget };
      probe.__synced = [];
      probe.sessionSecurity.addEventListener('sync', (event) =>
        probe.__synced.push((event as CustomEvent).detail),
      );
    });
    // Later than B's own status (the clocks are paused: B takes only a newer one).
    await clock.advance(100);
    // Tab A's client is replaced by one with a clock of its own, as a test or the React hook
    // passes it: its first act is to post its status to the other tabs, which must not carry
    // the function (BroadcastChannel cannot clone one: DataCloneError).
    const started = await a.evaluate(() => {
      type Client = EventTarget & { stop(): void; start(): Client; state: string };
      const probe = window as unknown as { sessionSecurity: Client };
      const config = JSON.parse(
        document.getElementById('session-security-config')?.textContent ?? '{}',
      );
      probe.sessionSecurity.stop();
      const Constructor = probe.sessionSecurity.constructor as new (options: unknown) => Client;
      try {
        probe.sessionSecurity = new Constructor({ ...config, now: () => Date.now() }).start();
        return probe.sessionSecurity.state;
      } catch (error) {
        return String(error);
      }
    });
    expect(started).toBe('active');
    await clock.advanceUntil(
      () =>
        b.evaluate(() =>
          (window as unknown as { __synced: { t: string }[] }).__synced.some(
            (m) => m.t === 'status',
          ),
        ),
      "A's status in B",
      { withinMs: LATE_MS },
    );
    const synced = await b.evaluate(
      () => (window as unknown as { __synced: { t: string; status: object }[] }).__synced,
    );
    const status = synced.find((message) => message.t === 'status')?.status;
    expect(status).toMatchObject({ idleFor: expect.any(Number), at: expect.any(Number) });
    expect(status).not.toHaveProperty('now');
  });

  const pingBudget = mode.tabApis ? 6 : 15;
  it(`five idle tabs send at most ${pingBudget} pings from sign-in to expiry`, async () => {
    const context = await newBrowser();
    const pings = recordPings(context, clock);
    const startedAt = clock.now();
    const first = await context.newPage();
    await signIn(first, origin, '/');
    const tabs = [first];
    for (const path of ['/second', '/', '/second', '/']) {
      tabs.push(await openTab(context, `${origin}${path}`));
    }
    await expectTabApis(first);
    await clock.advanceUntilAt(tabs, LOGIN_PAGE, { withinMs: EXPIRE_MS + LATE_MS });
    await clock.advance(300);
    console.log(
      `[tabs: ${mode.title}] five tabs sent ${pings.length} pings: ${pings.map((p) => `${p.method} tab ${tabs.indexOf(p.page) + 1} at +${p.at - startedAt} ms`).join(', ')}`,
    );
    expect(tabs.map((tab) => tab.url())).toEqual(
      tabs.map((_, i) => `${origin}/login?next=${i % 2 ? '%2Fsecond' : '%2F'}&reason=idle`),
    );
    expect(pings.length).toBeLessThanOrEqual(pingBudget);
  });
}

describe('tabs with BroadcastChannel and Web Locks', () => {
  scenarios({ title: 'BroadcastChannel + Web Locks', tabApis: true });
});

describe('tabs without BroadcastChannel and Web Locks (storage events, no leader)', () => {
  scenarios({ title: 'storage events, no leader', tabApis: false });
});

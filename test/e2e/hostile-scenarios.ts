// Hostile pages in a real Chromium cannot keep a signed-in session alive nor sign the user out:
// the scenarios, run by hostile.test.ts (the controls and a same-site attacker) and
// hostile-cross-site.test.ts (a cross-site attacker), two files so they can run side by side.
//
// The app runs on http://127.0.0.1:<app port> on a clock each browser profile shares
// (shared-clock.ts), so a test moves time instead of waiting for it. The hostile pages come from a
// server of their own, reached as http://127.0.0.1:<other port> (another origin of the SAME
// site: Chromium sends the SameSite=Lax session cookie along, the strong case) and as
// http://localhost:<other port> (another SITE). Each test signs in in a fresh browser profile,
// keeps the app open in one tab, moves time on until a write of the session clock could not
// hide in its one-second granularity, runs the hostile page in a second tab of the same profile,
// checks from the app's request log that the hostile request(s) really reached the app, then
// reads the session straight from the express-session MemoryStore: it must still exist, with
// its user, sign-in marker and `lastActivity` unchanged. Two controls prove the measurement
// sees activity when there is some.

import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportMarginMs } from '../../src/client/schedule.js';
import { readState } from '../../src/core/policy.js';
import { sleep } from '../support/sleep.js';
import {
  type Recorded,
  readSession,
  sidInBrowser,
  startApp,
  startHostile,
  type TestApp,
  WARN_AFTER,
} from './hostile-support.js';
import { launchChromium } from './support.js';

const PING = '/session-security/ping';
const LIBRARY_LOGOUT = '/session-security/logout';

let browser: Browser;
let app: TestApp;
let hostile: Awaited<ReturnType<typeof startHostile>>;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  app = await startApp();
  hostile = await startHostile(app.origin);
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await hostile?.close();
});

/** A browser profile signed in to the app, with the app open in one tab. */
interface SignedIn {
  context: BrowserContext;
  appTab: Page;
  sid: string;
  /** The session's sign-in marker. */
  id: string;
  /** `lastActivity` before the action under test (server clock, ms). */
  lastActivity: number;
}

/** The session as stored, with its clock. */
async function stored(sid: string) {
  const data = await readSession(app.store, sid);
  // The default store keeps the whole clock in the session, as one string (readState reads it).
  // At this app's expireAfter (60 s) the session's copy is rewritten every second, as the
  // process's own memory is: the copy shows every recorded activity.
  const clock = readState(data?.sessionSecurity);
  return { data, user: data?.user, clock: typeof clock === 'object' ? clock : undefined };
}

/**
 * Signs in (posting the app's login form) in a fresh profile, opens the app and waits until the
 * client runs, then moves
 * the shared clock on until 1.5 s have passed since the session's last write (activity is
 * written at most once a second, so a later write must change the value).
 */
async function signIn(): Promise<SignedIn> {
  const context = await browser.newContext();
  contexts.push(context);
  await app.clock.install(context);
  // The login form's post, from this profile (its cookie jar), then the app in a tab.
  const answer = await context.request.post(`${app.origin}/login-test`, {
    form: { user: 'ada' },
    maxRedirects: 0,
  });
  expect(answer.status(), 'the sign-in answer').toBe(303);
  const appTab = await context.newPage();
  await appTab.goto(`${app.origin}/`);
  await appTab.waitForFunction(() => window.sessionSecurity?.state === 'active');
  const sid = await sidInBrowser(context, app.origin);
  if (sid === undefined) throw new Error('no session cookie after sign-in');
  await app.recorder.settled(0, { quietMs: 200 });
  const first = await stored(sid);
  expect(first.user).toBe('ada');
  if (!first.clock) throw new Error('the signed-in session has no sessionSecurity state');
  await app.clock.advanceTo(first.clock.lastActivity + 1500);
  const now = await stored(sid);
  if (!now.clock) throw new Error('the session lost its sessionSecurity state');
  return { context, appTab, sid, id: now.clock.id, lastActivity: now.clock.lastActivity };
}

/** Opens a hostile page in a new tab of the signed-in profile (not waiting for its load). */
async function openHostile(s: SignedIn, origin: string, path: string): Promise<Page> {
  const page = await s.context.newPage();
  await page.goto(`${origin}${path}`, { waitUntil: 'commit' });
  return page;
}

/** After the hostile requests: the session still exists, same user, same sign-in, same clock. */
async function expectUntouched(s: SignedIn, mark: number): Promise<void> {
  await app.recorder.settled(mark);
  const after = await stored(s.sid);
  expect(after.data, 'the session must still exist (the user was signed out)').toBeDefined();
  expect(after.user, 'the session must keep its user').toBe('ada');
  expect(after.clock?.id, 'the sign-in marker must be unchanged').toBe(s.id);
  expect(
    after.clock?.lastActivity,
    `lastActivity must be unchanged (it moved by ${(after.clock?.lastActivity ?? 0) - s.lastActivity} ms): another origin extended the session`,
  ).toBe(s.lastActivity);
}

/** A hostile request as the app saw it: from the attacker's site, with the session cookie when same-site. */
function expectFromAttacker(hits: Recorded[], attacker: Attacker, s: SignedIn): void {
  for (const hit of hits) {
    expect(hit.site, `Sec-Fetch-Site of ${hit.method} ${hit.path}`).toBe(attacker.kind);
    // The same-site attacker is the strong case only if Chromium sent the session along.
    if (attacker.kind === 'same-site') {
      expect(hit.sid, `${hit.method} ${hit.path} carried the session cookie`).toBe(s.sid);
    }
  }
}

function expectStatus(hits: Recorded[], status: number, why: string): void {
  for (const hit of hits) {
    expect(
      hit.status,
      `${hit.method} ${hit.path} (${hit.contentType ?? 'no body type'}): ${why}`,
    ).toBe(status);
  }
}

/** The first frame of `page` showing a document of the app, once it has loaded. */
async function appFrame(page: Page): Promise<Frame> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const frame = page
      .frames()
      .find((f) => f !== page.mainFrame() && f.url().startsWith(app.origin));
    if (frame) {
      await frame.waitForLoadState('load', { timeout: 5000 });
      return frame;
    }
    if (Date.now() > deadline) throw new Error('no frame of the app loaded in the hostile page');
    await sleep(50);
  }
}

const is =
  (method: string, path: string, extra: (entry: Recorded) => boolean = () => true) =>
  (entry: Recorded) =>
    entry.method === method && entry.path === path && extra(entry);

interface Attacker {
  kind: 'same-site' | 'cross-site';
  label: string;
  origin: () => string;
}

const ATTACKERS: Attacker[] = [
  {
    kind: 'same-site',
    label: 'a same-site page',
    origin: () => `http://127.0.0.1:${hostile.port}`,
  },
  {
    kind: 'cross-site',
    label: 'a cross-site page',
    origin: () => `http://localhost:${hostile.port}`,
  },
];

/** A hostile page whose requests reach the app and must change nothing (see attackerTests). */
interface RequestPage {
  /** The test's title after "<attacker>'s ". */
  title: string;
  /** The hostile page, on the attacker's server. */
  page: string;
  /** The request it makes, as the app's log records it. */
  method: string;
  path: string;
  only?: (entry: Recorded) => boolean;
  what: string;
  /** It sends the request twice, with fetch modes cors and no-cors. */
  bothModes?: boolean;
  /** Why the app answers it 403 (one of the library's routes), if it does. */
  refusedBecause?: string;
}

const PING_REFUSES = 'the ping answers 403 to other origins';
const LOGOUT_REFUSES = 'the library logout answers 403 to other origins';

const REQUEST_PAGES: readonly RequestPage[] = [
  {
    title:
      'text/plain form POST shaped like JSON to the ping is refused and does not extend the session',
    page: `/form?to=${encodeURIComponent(PING)}`,
    method: 'POST',
    path: PING,
    what: `POST ${PING}`,
    refusedBecause: PING_REFUSES,
  },
  {
    title: "text/plain form POST to the library's logout is refused and does not sign the user out",
    page: `/form?to=${encodeURIComponent(LIBRARY_LOGOUT)}`,
    method: 'POST',
    path: LIBRARY_LOGOUT,
    what: `POST ${LIBRARY_LOGOUT}`,
    refusedBecause: LOGOUT_REFUSES,
  },
  {
    title: "text/plain form POST to the app's sign-out does not sign the user out",
    page: '/form?to=%2Flogout',
    method: 'POST',
    path: '/logout',
    what: 'POST /logout',
  },
  {
    title: 'text/plain form POST to a protected app form does not extend the session',
    page: '/form?to=%2Fform',
    method: 'POST',
    path: '/form',
    what: 'POST /form',
  },
  {
    title: 'credentialed fetch() of an app page (cors and no-cors) does not extend the session',
    page: '/fetch-get',
    method: 'GET',
    path: '/',
    what: 'GET / (cors and no-cors)',
    bothModes: true,
  },
  {
    title:
      "credentialed fetch() POSTs to the library's logout (cors and no-cors) are refused and do not sign the user out",
    page: '/fetch-logout',
    method: 'POST',
    path: LIBRARY_LOGOUT,
    what: `POST ${LIBRARY_LOGOUT} (cors and no-cors)`,
    bothModes: true,
    refusedBecause: LOGOUT_REFUSES,
  },
  {
    title: 'sendBeacon to the ping is refused and does not extend the session',
    page: `/beacon?to=${encodeURIComponent(PING)}`,
    method: 'POST',
    path: PING,
    what: `POST ${PING} (beacon)`,
    refusedBecause: PING_REFUSES,
  },
  {
    title: "sendBeacon to the library's logout is refused and does not sign the user out",
    page: `/beacon?to=${encodeURIComponent(LIBRARY_LOGOUT)}`,
    method: 'POST',
    path: LIBRARY_LOGOUT,
    what: `POST ${LIBRARY_LOGOUT} (beacon)`,
    refusedBecause: LOGOUT_REFUSES,
  },
  {
    title: "sendBeacon to the app's sign-out does not sign the user out",
    page: '/beacon?to=%2Flogout',
    method: 'POST',
    path: '/logout',
    what: 'POST /logout (beacon)',
  },
  {
    title: '<img> of an app page does not extend the session',
    page: '/img',
    method: 'GET',
    path: '/',
    only: (entry) => entry.dest === 'image',
    what: 'GET / (image)',
  },
];

/** The two controls: the measurement sees activity when there is some. */
export function controls(): void {
  describe('controls: the measurement sees activity', () => {
    it("the user's click on a link of the app's own page extends the session", async () => {
      const s = await signIn();
      const mark = app.recorder.mark();
      await Promise.all([s.appTab.waitForURL(`${app.origin}/page`), s.appTab.click('#to-page')]);
      const [hit] = await app.recorder.arrived(mark, is('GET', '/page'), 'GET /page');
      expect(hit?.site).toBe('same-origin');
      await app.recorder.settled(mark);
      const after = await stored(s.sid);
      expect(after.clock?.lastActivity).toBeGreaterThan(s.lastActivity);
    });

    it("the app page's own POST ping with sinceActivity 0 extends the session", async () => {
      const s = await signIn();
      const mark = app.recorder.mark();
      const status = await s.appTab.evaluate(async (url) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"sinceActivity":0}',
        });
        return response.status;
      }, PING);
      expect(status).toBe(200);
      const [hit] = await app.recorder.arrived(mark, is('POST', PING), `POST ${PING}`);
      expect(hit?.site).toBe('same-origin');
      await app.recorder.settled(mark);
      const after = await stored(s.sid);
      expect(after.clock?.lastActivity).toBeGreaterThan(s.lastActivity);
    });
    it("the user's pointer and keys in the app's own page are reported in a POST ping in time (the measurement of the framed-page tests)", async () => {
      const s = await signIn();
      const mark = app.recorder.mark();
      const box = { x: 0, y: 0, ...(s.appTab.viewportSize() ?? { width: 800, height: 500 }) };
      await pointerAndKeys(s.appTab, box, () => s.appTab.click('#text'));
      const pings = await postPingsBeforeReportDue(s, mark);
      expect(pings.length, 'POST pings from the app tab that heard the input').toBeGreaterThan(0);
      expect(pings.map((hit) => [hit.site, hit.status])).toContainEqual(['same-origin', 200]);
      await app.recorder.settled(mark);
      const after = await stored(s.sid);
      expect(after.clock?.lastActivity).toBeGreaterThan(s.lastActivity);
    });
  });
}

/** Every hostile page of the attacker of `kind`, in a describe block of its own. */
export function attackerTests(kind: Attacker['kind']): void {
  const attacker = ATTACKERS.find((candidate) => candidate.kind === kind);
  if (!attacker) throw new Error(`no attacker of kind ${kind}`);
  describe(`'${kind}' attacker`, () => {
    const A = attacker.label;

    // 1. Auto-submitted forms with a text/plain body shaped like JSON; 2. credentialed fetch(),
    // cors and no-cors; 3. navigator.sendBeacon(); 4. an image. Each reaches the app, from the
    // attacker's site, and changes nothing; the library's routes refuse it (403).
    for (const c of REQUEST_PAGES) {
      it(`${A}'s ${c.title}`, async () => {
        const s = await signIn();
        const mark = app.recorder.mark();
        await openHostile(s, attacker.origin(), c.page);
        const hits = await app.recorder.arrived(mark, is(c.method, c.path, c.only), c.what, {
          count: c.bothModes ? 2 : 1,
        });
        if (c.bothModes) expect(hits.map((hit) => hit.mode).sort()).toEqual(['cors', 'no-cors']);
        expectFromAttacker(hits, attacker, s);
        if (c.refusedBecause) expectStatus(hits, 403, c.refusedBecause);
        await expectUntouched(s, mark);
      });
    }

    it(`${A}'s credentialed fetch() POSTs to the ping (cors, no-cors, JSON with preflight) are refused and do not extend the session`, async () => {
      const s = await signIn();
      const mark = app.recorder.mark();
      await openHostile(s, attacker.origin(), '/fetch-ping');
      const plain = await app.recorder.arrived(
        mark,
        is('POST', PING, (e) => (e.contentType ?? '').startsWith('text/plain')),
        `POST ${PING} text/plain (cors and no-cors)`,
        { count: 2 },
      );
      expect(plain.map((hit) => hit.mode).sort()).toEqual(['cors', 'no-cors']);
      expectFromAttacker(plain, attacker, s);
      // The JSON fetch needs a CORS preflight: it must reach the app and let nothing through.
      await app.recorder.arrived(mark, is('OPTIONS', PING), `OPTIONS ${PING} (preflight)`);
      await app.recorder.settled(mark);
      const posts = app.recorder.since(mark).filter(is('POST', PING));
      expectStatus(posts, 403, PING_REFUSES);
      await expectUntouched(s, mark);
    });

    // 5. A frame.

    it(`${A}'s <iframe> of an app page does not extend the session and the client does not start in the frame`, async () => {
      const s = await signIn();
      const mark = app.recorder.mark();
      const page = await openHostile(s, attacker.origin(), '/frame');
      const hits = await app.recorder.arrived(
        mark,
        is('GET', '/page', (e) => e.dest === 'iframe'),
        'GET /page (iframe)',
      );
      expectFromAttacker(hits, attacker, s);
      const frame = await appFrame(page);
      if (attacker.kind === 'same-site') {
        // The app allows framing and the cookie rode along: the signed-in page is in the frame.
        expect(frame.url()).toBe(`${app.origin}/page`);
        expect(await frame.textContent('#text')).toContain('Signed in as ada');
      }
      const framed = await frame.evaluate(() => ({
        type: typeof window.sessionSecurity,
        state: window.sessionSecurity?.state,
      }));
      // The signed-in page loads the client's script, which stays stopped in a frame; the
      // anonymous page (no cookie in a cross-site frame) has no client at all.
      expect(
        framed.state,
        `the client in the framed app page (window.sessionSecurity: ${framed.type})`,
      ).toBe(attacker.kind === 'same-site' ? 'stopped' : undefined);
      await expectUntouched(s, mark);
    });

    // 6. A frame navigation the user's click started (Sec-Fetch-User: ?1).

    it(`${A}'s click-driven frame navigation does not extend the session`, async () => {
      const s = await signIn();
      const page = await openHostile(s, attacker.origin(), '/frame-link');
      await page.waitForLoadState('load');
      const mark = app.recorder.mark();
      await page.click('#go');
      const hits = await app.recorder.arrived(
        mark,
        is('GET', '/page', (e) => e.dest === 'iframe'),
        'GET /page (iframe, navigate)',
      );
      expectFromAttacker(hits, attacker, s);
      expect(hits[0]).toMatchObject({ user: '?1', mode: 'navigate', dest: 'iframe' });
      await expectUntouched(s, mark);
    });

    // 7. A popup the user's click opened, closed at once.

    it(`${A}'s click-opened popup of an app page does not extend the session`, async () => {
      const s = await signIn();
      const page = await openHostile(s, attacker.origin(), '/popup');
      await page.waitForLoadState('load');
      const mark = app.recorder.mark();
      await page.click('#open');
      const hits = await app.recorder.arrived(
        mark,
        is('GET', '/page', (e) => e.dest === 'document'),
        'GET /page (popup document)',
      );
      // The hostile page closes its popup 150 ms after opening it.
      await app.clock.advance(200);
      expectFromAttacker(hits, attacker, s);
      expect(hits[0]).toMatchObject({ user: '?1', mode: 'navigate', dest: 'document' });
      await expectUntouched(s, mark);
    });

    // 7b. A popup whose fragment the opener keeps moving: the popup scrolls by itself.

    it(`${A}'s popup of an app page scrolled by moving its fragment is not counted as input`, async () => {
      const s = await signIn();
      const opener = await openHostile(s, attacker.origin(), '/popup-fragment');
      await opener.waitForLoadState('load');
      const [popup] = await Promise.all([s.context.waitForEvent('page'), opener.click('#open')]);
      await popup.waitForURL(`${app.origin}/long`);
      await popup.waitForFunction(() => window.sessionSecurity?.state === 'active');
      // The pointer rests over the popup's text, as a person's would have after the click: a
      // scroll under a still pointer must not read as its move either.
      await popup.mouse.move(120, 160);
      await app.clock.advance(1200);
      await popup.evaluate(() => {
        const seen = { scroll: 0, over: 0, activity: 0 };
        Object.assign(window, { seen });
        addEventListener('scroll', (e) => void (e.isTrusted && seen.scroll++), true);
        addEventListener('pointerover', (e) => void (e.isTrusted && seen.over++), true);
        window.sessionSecurity?.addEventListener('activity', () => void seen.activity++);
      });
      const flips = () => opener.evaluate(() => (window as unknown as { flips: number }).flips);
      const flipsFrom = await flips();
      // The opener flips the fragment every 300 ms, starting 1.5 s after its click.
      await app.clock.advanceUntil(
        async () => (await flips()) >= flipsFrom + 8,
        '8 fragment flips',
        {
          withinMs: 8000,
          stepMs: 100,
        },
      );
      const seen = await popup.evaluate(
        () => (window as unknown as { seen: Record<string, number> }).seen,
      );
      // The control: the opener really scrolled the popup with trusted events.
      expect(seen.scroll, 'trusted scroll events the fragment changes fired').toBeGreaterThan(2);
      expect(seen.activity, 'activity the client recorded from the scrolling').toBe(0);
      const pings = app.recorder
        .since(0)
        .filter(
          is('POST', PING, (e) => e.at > s.lastActivity && e.referer?.includes('/long') === true),
        );
      expect(pings, 'POST pings from the popup').toEqual([]);
    });

    // 8. The app framed under the user's pointer and keys (clickjacking-style input).

    it(`${A}'s framed app page under a moving pointer and key presses does not extend the session`, async () => {
      const s = await signIn();
      const mark = app.recorder.mark();
      const page = await openHostile(s, attacker.origin(), '/frame');
      const hits = await app.recorder.arrived(
        mark,
        is('GET', '/page', (e) => e.dest === 'iframe'),
        'GET /page (iframe)',
      );
      expectFromAttacker(hits, attacker, s);
      const frame = await appFrame(page);
      const box = await page.locator('#target').boundingBox();
      if (!box) throw new Error('the frame has no box');
      await pointerAndKeys(page, box, () => frame.click('#text'));
      const pings = await postPingsBeforeReportDue(s, mark);
      expect(
        pings.map(({ referer, site, status }) => ({ referer, site, status })),
        'POST pings that reached the app after input in the framed page',
      ).toEqual([]);
      await expectUntouched(s, mark);
    });
  });
}

/**
 * About 3 s (on the shared clock) of pointer movement over `box` of `page`, then a click that
 * `focus` makes (on text, not a link) and four key presses.
 */
async function pointerAndKeys(
  page: Page,
  box: { x: number; y: number; width: number; height: number },
  focus: () => Promise<void>,
): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const x = box.x + 20 + ((i * 53) % (box.width - 40));
    const y = box.y + 20 + ((i * 37) % (box.height - 40));
    await page.mouse.move(x, y, { steps: 4 });
    await app.clock.advance(100);
  }
  await focus();
  for (const key of ['a', 'b', 'ArrowDown', 'c']) {
    await page.keyboard.press(key);
    await app.clock.advance(300);
  }
}

/**
 * Moves the shared clock to the moment by which a client that heard input must have reported
 * it, and returns the POST pings that reached the app since `mark`. The client reports in a
 * POST ping before the server's idle time reaches warnAfter (report margin before it), a
 * non-leader tab a grace later (up to 1.25 × half the margin): the clock goes 2 s past both.
 */
async function postPingsBeforeReportDue(s: SignedIn, mark: number): Promise<Recorded[]> {
  const warnMs = WARN_AFTER * 1000;
  const margin = reportMarginMs(warnMs);
  const reportDue = s.lastActivity + warnMs - margin + margin * 0.625 + 2000;
  await app.clock.advanceTo(reportDue);
  await app.recorder.settled(mark);
  return app.recorder.since(mark).filter(is('POST', PING));
}

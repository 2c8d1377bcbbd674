// The demo's compliance pages end to end in Debian's Chromium: a user's sessions listed and ended
// with the password asked again (the other browser then leaves at its next ping), "Stay signed
// in" recorded as `extended`, per-user idle timeouts (admin's, and a choice from /settings at the
// next sign-in), and the audit trail on /audit and in the log. The demos and the browsers share
// a clock the tests move (shared-clock.ts) to the other browser's next ping, the warning, expiry.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type AxeCore from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoApp } from '../../examples/demo/app.js';
import { listen } from '../support/http.js';
import { SharedClock } from './shared-clock.js';
import { launchChromium, serverStatus, signIn } from './support.js';
import { useDemo } from './use-demo.js';

const FIREFOX_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_ON_MACOS =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

let browser: Browser;
const contexts: BrowserContext[] = [];
/** The time of every demo and browser of this file. */
const clock = new SharedClock();
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  await browser?.close();
});

/**
 * A new browser (its own cookies) on the shared clock, or, with `realTime`, on its own real
 * clock (for axe-core, which works through timers); closed after the tests.
 */
async function newBrowser(userAgent?: string, { realTime = false } = {}): Promise<BrowserContext> {
  const context = await browser.newContext(userAgent ? { userAgent } : {});
  contexts.push(context);
  if (!realTime) await clock.install(context);
  return context;
}

/** The sign-in marker of the page's client config (the ping's `session`). */
async function signInMarker(page: Page): Promise<string> {
  const config = JSON.parse((await page.textContent('#session-security-config')) ?? '{}') as {
    session?: string;
  };
  expect(config.session).toMatch(/\S/);
  return config.session ?? '';
}

/** The cells of each row of the page's table body, as text. */
async function tableRows(page: Page): Promise<string[][]> {
  return page
    .locator('main tbody tr')
    .evaluateAll((rows) =>
      rows.map((row) =>
        [...row.querySelectorAll('td')].map((cell) => cell.textContent?.trim() ?? ''),
      ),
    );
}

/** Submits the sessions form with `password`, pressing the button `button` (a locator). */
async function confirmWith(page: Page, password: string, button: string) {
  await page.fill('input[name=password]', password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/sessions') && r.request().method() === 'POST'),
    page.click(button),
  ]);
  await page.waitForLoadState();
  return response;
}

describe('sessions of a user on the demo', () => {
  // Long enough that the user's own tab shows no warning while it acts; short enough that the
  // other tab's first ping (at warnAfter) comes within seconds.
  const WARN_AFTER = 6;
  const demo = useDemo({ expireAfter: 20, warnAfter: WARN_AFTER, clock });

  it('lists both browsers, ends nothing on a wrong password, and signs the other out with the password', async () => {
    const other = await (await newBrowser(CHROME_ON_MACOS)).newPage();
    await signIn(other, demo.origin, '/');
    const contextA = await newBrowser(FIREFOX_ON_WINDOWS);
    const page = await contextA.newPage();
    await signIn(page, demo.origin, '/sessions');

    const rows = await tableRows(page);
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row[3] === 'This browser')?.[0]).toBe('Firefox 133 on Windows');
    expect(rows.find((row) => row[3] !== 'This browser')?.[0]).toBe('Chrome 131 on macOS');
    const otherButton = 'main tbody tr:has-text("Chrome 131 on macOS") button[name=end]';

    const refused = await confirmWith(page, 'not the password', otherButton);
    expect(refused.status()).toBe(403);
    expect(await page.textContent('[role=alert]')).toMatch(/wrong password/i);
    expect(await tableRows(page)).toHaveLength(2);
    const stillThere = await serverStatus(other.context(), demo.origin);
    expect(stillThere.body).toMatchObject({ status: 'active' });

    await confirmWith(page, 'demo', otherButton);
    expect(page.url()).toBe(`${demo.origin}/sessions?ended=1`);
    expect(await page.textContent('[role=status]')).toMatch(/signed out 1 other session/i);
    expect((await tableRows(page)).map((row) => row[0])).toEqual(['Firefox 133 on Windows']);

    // The other browser's open tab leaves at its next ping, which comes at its warnAfter.
    await clock.advanceUntilAt(other, `${demo.origin}/login?next=%2F&reason=revoked`, {
      withinMs: (WARN_AFTER + 4) * 1000,
    });
    expect(await other.textContent('.notice')).toMatch(/another browser/i);
    // This browser is still signed in.
    expect((await serverStatus(contextA, demo.origin)).body).toMatchObject({ status: 'active' });
  });

  it('signs out everywhere else with "Sign out everywhere else", keeping this browser', async () => {
    const first = await newBrowser(CHROME_ON_MACOS);
    await signIn(await first.newPage(), demo.origin, '/second', 'guest');
    const second = await newBrowser(CHROME_ON_MACOS);
    await signIn(await second.newPage(), demo.origin, '/second', 'guest');
    const page = await (await newBrowser(FIREFOX_ON_WINDOWS)).newPage();
    await signIn(page, demo.origin, '/sessions', 'guest');
    expect(await tableRows(page)).toHaveLength(3);

    await confirmWith(page, 'guest', 'button[name=end][value=others]');
    expect(page.url()).toBe(`${demo.origin}/sessions?ended=2`);
    expect(await tableRows(page)).toHaveLength(1);
    for (const context of [first, second]) {
      expect((await serverStatus(context, demo.origin)).body).toMatchObject({
        status: 'expired',
        reason: 'revoked',
      });
    }
  });

  it('has no WCAG 2 A/AA violation (axe-core) on /sessions, /settings and /audit', async () => {
    await signIn(await (await newBrowser(CHROME_ON_MACOS)).newPage(), demo.origin, '/', 'admin');
    const page = await (await newBrowser(FIREFOX_ON_WINDOWS, { realTime: true })).newPage();
    await signIn(page, demo.origin, '/', 'admin');
    for (const path of ['/sessions', '/settings', '/audit']) {
      await page.goto(`${demo.origin}${path}`);
      await page.evaluate(AXE_SOURCE);
      const violations = await page.evaluate(async () => {
        const { axe } = window as unknown as { axe: typeof AxeCore };
        const results = await axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
        });
        return results.violations.map(({ id, nodes }) => ({ id, nodes: nodes.length }));
      });
      expect({ path, violations }).toEqual({ path, violations: [] });
    }
    expect(await tableRows(page)).not.toEqual([]);
  });

  it("gives admin half the demo's idle timeout, and a choice from /settings from the next sign-in on", async () => {
    const admin = await newBrowser();
    const adminPage = await admin.newPage();
    await signIn(adminPage, demo.origin, '/', 'admin');
    expect((await serverStatus(admin, demo.origin)).body).toMatchObject({
      expireAfter: 10,
      warnAfter: 7.5,
    });
    expect(await adminPage.textContent('main')).toContain('ends after 10 s without activity');
    await adminPage.goto(`${demo.origin}/settings`);
    const adminChoices = await adminPage
      .locator('input[name=expireAfter]')
      .evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    expect(adminChoices).toEqual(['10', '5']);
    // Above the admin's bound: refused, whatever the form said.
    const tooLong = await admin.request.post(`${demo.origin}/settings`, {
      form: { expireAfter: '20' },
      maxRedirects: 0,
    });
    expect(tooLong.status()).toBe(400);

    const context = await newBrowser();
    const page = await context.newPage();
    await signIn(page, demo.origin, '/settings');
    expect(await page.textContent('#next-expire-after')).toBe('20 s');
    await page.check('input[name=expireAfter][value="10"]');
    await Promise.all([
      page.waitForURL(`${demo.origin}/settings?saved=1`),
      page.click('main button[type=submit]'),
    ]);
    expect(await page.textContent('#next-expire-after')).toBe('10 s');
    // This sign-in keeps the times it got when it started.
    expect(await page.textContent('#current-expire-after')).toBe('20 s');
    expect((await serverStatus(context, demo.origin)).body).toMatchObject({ expireAfter: 20 });

    await Promise.all([
      page.waitForURL(`${demo.origin}/login`),
      page.click('nav button[type=submit]'),
    ]);
    await signIn(page, demo.origin, '/');
    expect((await serverStatus(context, demo.origin)).body).toMatchObject({
      expireAfter: 10,
      warnAfter: 7.5,
    });
    expect(await page.textContent('main')).toContain('ends after 10 s without activity');
  });
});

describe('the audit trail of the demo', () => {
  const EXPIRE_AFTER = 4;
  const WARN_AFTER = 2;
  const lines: string[] = [];
  let demo: Awaited<ReturnType<typeof listen>> | undefined;
  beforeAll(async () => {
    const app = createDemoApp({
      expireAfter: EXPIRE_AFTER,
      warnAfter: WARN_AFTER,
      absoluteTimeout: 0,
      sessionSecret: 'e2e secret',
      logger: { warn: () => undefined, error: (message) => lines.push(`error ${message}`) },
      auditLog: (line) => lines.push(line),
      clock,
    });
    demo = await listen(app);
  });
  afterAll(async () => {
    await demo?.close();
  });
  const origin = () => demo?.origin ?? '';

  /** The session id in the browser's demo cookie: it must appear in no event. */
  async function sessionId(context: BrowserContext): Promise<string> {
    const cookie = (await context.cookies()).find((c) => c.name === 'demo.sid');
    const id = /^s:([^.]+)\./.exec(decodeURIComponent(cookie?.value ?? ''))?.[1];
    expect(id).toMatch(/\S{16}/);
    return id ?? '';
  }

  it('records "Stay signed in" as a POST ping with "extend": true and an extended event', async () => {
    const context = await newBrowser();
    const page = await context.newPage();
    const pingBodies: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/session-security/ping')) {
        pingBodies.push(request.postData() ?? '');
      }
    });
    await signIn(page, origin(), '/');
    const marker = await signInMarker(page);
    const id = await sessionId(context);

    await clock.advanceUntilShown(page.locator('dialog[open]'), 'the warning', {
      withinMs: (WARN_AFTER + 3) * 1000,
    });
    await page.click('dialog[open] button:has-text("Stay signed in")');
    await expect
      .poll(() => pingBodies.map((body) => JSON.parse(body) as Record<string, unknown>))
      .toContainEqual(expect.objectContaining({ extend: true }));
    await page.waitForSelector('dialog[open]', { state: 'detached', timeout: 3000 });

    await page.goto(`${origin()}/audit`);
    const rows = await tableRows(page);
    const mine = rows.filter((row) => row[3] === `${marker.slice(0, 8)}…`);
    expect(mine.map((row) => [row[1], row[2]])).toEqual(
      expect.arrayContaining([
        ['extended', 'demo'],
        ['signed-in', 'demo'],
      ]),
    );
    expect(mine.find((row) => row[1] === 'signed-in')?.[4]).toContain(
      `expireAfter=${EXPIRE_AFTER}`,
    );
    // The log has the same events, one JSON line each, with the app's data and no session id.
    const logged = lines
      .filter((line) => line.startsWith('audit '))
      .map((line) => JSON.parse(line.slice('audit '.length)) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ type: 'extended', signIn: marker, userId: 'demo' }),
    );
    expect(logged.find((event) => event.signIn === marker)?.data).toEqual({
      app: 'demo',
      role: 'user',
    });
    expect(lines.join('\n')).not.toContain(id);
    expect(await page.content()).not.toContain(id);
  });

  it('shows signed-in, then expired with reason idle after a sign-in lets its idle timeout pass', async () => {
    const context = await newBrowser();
    const page = await context.newPage();
    await signIn(page, origin(), '/', 'guest');
    const expiredMarker = await signInMarker(page);
    await clock.advanceUntilAt(page, `${origin()}/login?next=%2F&reason=idle`, {
      withinMs: (EXPIRE_AFTER + 6) * 1000,
    });

    await page.fill('input[name=username]', 'guest');
    await page.fill('input[name=password]', 'guest');
    await Promise.all([page.waitForURL(`${origin()}/`), page.click('main button[type=submit]')]);
    await page.goto(`${origin()}/audit`);
    const rows = await tableRows(page);
    const ofExpired = rows.filter((row) => row[3] === `${expiredMarker.slice(0, 8)}…`);
    expect(ofExpired.map((row) => row[1])).toEqual(['expired', 'signed-in']);
    expect(ofExpired[0]?.[2]).toBe('guest');
    expect(ofExpired[0]?.[4]).toMatch(/reason=idle/);
    expect(ofExpired[0]?.[4]).toMatch(/foundBy=request/);
    // A guest sees only their own events; the admin sees everyone's.
    expect(new Set(rows.map((row) => row[2]))).toEqual(new Set(['guest']));
    expect(lines.filter((line) => line.startsWith('error'))).toEqual([]);
  });
});

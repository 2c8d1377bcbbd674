// Drafts kept across expiry and sign-in again, in a real Chromium: the built client, dialog and
// drafts scripts on pages of a tiny fake server (strict CSP with a nonce, a ping that counts seconds
// since the page's load, a login page), on short timeouts of a clock the server and the browser
// share (shared-clock.ts): a test moves time to the warning or expiry instead of waiting.

import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DRAFT_PREFIX } from '../../src/client/draft-store.js';
import type { ClientOptions } from '../../src/client/engine.js';
import { CATALOGUES } from '../../src/server/catalogues.js';
import { SharedClock } from './shared-clock.js';
import { collectCspViolations, cspViolations, launchChromium } from './support.js';

const NONCE = 'drafts-e2e-nonce';
const asset = (file: string) => readFileSync(new URL(`../../assets/${file}`, import.meta.url));
const CLIENT_JS = asset('session-security.js');
const DRAFTS_JS = asset('session-security-drafts.js');
const DIALOG_JS = asset('session-security-dialog.js');
const CLIENT_CSS = asset('session-security.css');
const RESTORED = 'Your unsaved changes were restored.';
/** Where a signed-out tab lands: wait for it, then compare the whole address. */
const LOGIN_PAGE = /\/login\?/;
/** Short timeouts: the warning 2 s after the page's load, expiry 3 s after it. */
const SHORT = { warnAfter: 2, expireAfter: 3 };
/** Nothing happens during a test. */
const LONG = { warnAfter: 500, expireAfter: 600 };

/** What the fake server says; reset before each test. */
interface Site {
  key: string;
  session: string;
  maxAge: number;
  warnAfter: number;
  expireAfter: number;
  /**
   * `clock`: active until expireAfter after the last page load, then expired; `hang`: no answer;
   * `revoked`: the sign-in was ended from elsewhere (another device's "sign out everywhere");
   * `lost`: the store has no record of the sign-in (Redis evicted or lost it).
   */
  ping: 'clock' | 'hang' | 'revoked' | 'lost';
  /** The page's catalogue, as the server writes it for a page that is not in English. */
  messages?: ClientOptions['messages'];
}
let site: Site;
/** The server's and the browser's time. */
const clock = new SharedClock();
let lastPageLoadMs = 0;
const hanging: ServerResponse[] = [];

/** The form every /edit page has: every kind of field, the kept and the never kept. */
const EDIT_FORM = `
<form id="post" method="post" action="/submit">
  <input name="title"> <textarea name="body"></textarea> <input name="untouched" value="as served">
  <select name="color"><option>red</option><option>blue</option></select>
  <input type="checkbox" name="tags" value="a"><input type="checkbox" name="tags" value="b">
  <input type="radio" name="size" value="s" checked><input type="radio" name="size" value="l">
  <input type="password" name="password"> <input type="hidden" name="token" value="served">
  <input type="file" name="upload"> <input name="pin" data-session-security="ignore">
  <div data-session-security="ignore"><input name="note"></div>
  <button>Send</button>
</form>
<form data-session-security="ignore"><input name="search"></form>`;

/**
 * The form of /account: one ordinary field (`title`) and fields whose values are secrets though
 * none is a password field when the draft is taken: a password shown as text by a "show" button
 * (`show` sets type=text; `swap` puts a text input of the same name in the field's place, its
 * value copied; `add` adds a password field and its "show" button after the page's load), a
 * one-time code, payment card fields, prefixed card tokens, password fields rendered as text.
 */
const SECRETS_FORM = `
<form id="login" method="post" action="/submit">
  <input name="title">
  <input type="password" name="password"> <button type="button" id="show">Show</button>
  <input type="password" name="passcode"> <button type="button" id="swap">Show</button>
  <input name="code" autocomplete="one-time-code" inputmode="numeric">
  <input name="cvc" autocomplete="cc-csc"> <input name="card" autocomplete="cc-number">
  <input name="billing-cvc" autocomplete="billing cc-csc">
  <input name="card-2" autocomplete="section-second Billing CC-Number">
  <input name="street" autocomplete="section-second billing street-address">
  <input name="current" autocomplete="current-password"> <input name="new" autocomplete="new-password">
  <button type="button" id="add">Add a password</button> <button>Send</button>
</form>
<script nonce="${NONCE}">
  const form = document.getElementById('login');
  document.getElementById('show').onclick = () => {
    form.password.type = form.password.type === 'password' ? 'text' : 'password';
  };
  document.getElementById('swap').onclick = () => {
    const shown = Object.assign(document.createElement('input'), { name: 'passcode' });
    shown.value = form.passcode.value;
    form.passcode.replaceWith(shown);
  };
  // A password field added after the page's load, with its own "show" button.
  document.getElementById('add').onclick = () => {
    const later = Object.assign(document.createElement('input'), { type: 'password', name: 'later' });
    const show = Object.assign(document.createElement('button'), { type: 'button', id: 'show-later' });
    show.onclick = () => {
      later.type = 'text';
    };
    form.append(later, show);
  };
</script>`;

function page(body: string): string {
  const times = { warnAfter: site.warnAfter, expireAfter: site.expireAfter };
  const config: ClientOptions = {
    pingUrl: '/ping',
    logoutUrl: '/logout',
    loginUrl: '/login',
    ...times,
    idleFor: 0,
    warnIn: times.warnAfter,
    expireIn: times.expireAfter,
    session: site.session,
    drafts: { key: site.key, maxAge: site.maxAge, src: '/drafts.js?v=1' },
    dialogSrc: '/dialog.js?v=1',
    ...(site.messages ? { messages: site.messages } : {}),
  };
  return `<!doctype html><html lang="en"><head><title>Edit</title>
<link rel="stylesheet" href="/client.css">
<script type="application/json" id="session-security-config">${JSON.stringify(config)}</script>
<script src="/client.js" defer nonce="${NONCE}"></script>
<script nonce="${NONCE}">
  // Says when the drafts script has run: a script's load event comes after it ran (and never
  // reaches the window, so it is caught on the way down).
  document.addEventListener('load', (event) => {
    if (event.target.src?.includes('/drafts.js')) window.draftsRan = true;
  }, true);
</script></head><body>${body}</body></html>`;
}

/** The pages with the client, by path. */
const PAGES: Record<string, string> = {
  '/edit': EDIT_FORM,
  '/account': SECRETS_FORM,
  '/plain': '<p>No form here</p>',
};

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const send = (status: number, type: string, body: string | Buffer, headers = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  };
  const html = (body: string) =>
    send(200, 'text/html; charset=utf-8', body, {
      // Only scripts with the nonce run: the drafts script loads only if it got the nonce.
      'content-security-policy': `default-src 'self'; script-src 'nonce-${NONCE}'; style-src 'self'`,
    });
  if (url.pathname === '/client.js') return send(200, 'text/javascript', CLIENT_JS);
  if (url.pathname === '/drafts.js') return send(200, 'text/javascript', DRAFTS_JS);
  if (url.pathname === '/dialog.js') return send(200, 'text/javascript', DIALOG_JS);
  if (url.pathname === '/client.css') return send(200, 'text/css', CLIENT_CSS);
  const body = PAGES[url.pathname];
  if (body !== undefined) {
    lastPageLoadMs = clock.now(); // a page load is activity
    return html(page(body));
  }
  if (url.pathname === '/login') return html('<!doctype html><title>Sign in</title><p>Sign in</p>');
  if (url.pathname === '/submit') {
    // The session is over: the server sends a form's post to sign in, `next` its page.
    const referer = new URL(req.headers.referer ?? '/', 'http://localhost');
    const next = encodeURIComponent(referer.pathname + referer.search);
    return send(303, 'text/plain', '', { location: `/login?next=${next}&reason=idle` });
  }
  if (url.pathname === '/logout') {
    return send(200, 'application/json', JSON.stringify({ status: 'anonymous' }));
  }
  if (url.pathname === '/ping') {
    req.resume();
    if (site.ping === 'hang') return void hanging.push(res);
    if (site.ping === 'revoked' || site.ping === 'lost') {
      return send(
        401,
        'application/json',
        JSON.stringify({ status: 'expired', reason: site.ping }),
      );
    }
    const idle = (clock.now() - lastPageLoadMs) / 1000;
    if (idle >= site.expireAfter) {
      return send(401, 'application/json', JSON.stringify({ status: 'expired', reason: 'idle' }));
    }
    const status = {
      status: 'active',
      idleFor: idle,
      warnIn: Math.max(0, site.warnAfter - idle),
      expireIn: site.expireAfter - idle,
      expireAfter: site.expireAfter,
      warnAfter: site.warnAfter,
      absolute: false,
      session: site.session,
    };
    return send(200, 'application/json', JSON.stringify(status));
  }
  send(404, 'text/plain', 'not found');
});

let origin: string;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async (test) => {
  site = { key: 'user-a', session: 'sign-in-1', maxAge: 86_400, ...SHORT, ping: 'clock' };
  context = await browser.newContext();
  await clock.install(context);
  await collectCspViolations(context);
  test.onTestFinished(async () => {
    for (const res of hanging.splice(0)) res.destroy();
    await context.close();
  });
});

/** This tab's sessionStorage, every entry. */
function storage(tab: Page): Promise<Record<string, string>> {
  return tab.evaluate(() => Object.fromEntries(Object.entries(sessionStorage)));
}

/** This tab's kept draft of `path`, parsed, or undefined. */
async function draftOf(tab: Page, path: string): Promise<Record<string, unknown> | undefined> {
  const text = (await storage(tab))[DRAFT_PREFIX + path];
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * Opens `path` with its client running and, on a page with a form, the drafts script run (the
 * clock may then move: the drafts script hears the warning and expiry).
 */
async function open(tab: Page, path: string): Promise<void> {
  await tab.goto(origin + path);
  await tab.waitForFunction(() => window.sessionSecurity?.state === 'active');
  if (PAGES[path.split('?')[0] ?? '']?.includes('<form')) {
    await tab.waitForFunction(() => (window as { draftsRan?: boolean }).draftsRan);
  }
}

/** Moves the shared clock until the tab has gone to sign in (expiry: 3 s after its load). */
async function expire(tab: Page): Promise<void> {
  await clock.advanceUntilAt(tab, LOGIN_PAGE, { withinMs: 10_000 });
}

/** Types `title` into `path`'s form and lets the session expire: the tab goes to sign in. */
async function expireWhileEditing(
  tab: Page,
  path: string,
  title: string,
  { reload = true } = {},
): Promise<void> {
  if (reload) {
    Object.assign(site, SHORT, { ping: 'clock' });
    await open(tab, path);
  }
  await tab.fill('[name=title]', title);
  await expire(tab);
}

let signIns = 1;

/** Signs in again (a new sign-in of user `key`) and comes back to `path`. */
async function comeBack(tab: Page, path: string, key = 'user-a'): Promise<void> {
  signIns++;
  Object.assign(site, LONG, { key, session: `sign-in-${signIns}` });
  await open(tab, path);
  // The drafts script reads the entry once, restored or not, and deletes it.
  await tab.waitForFunction((entry) => sessionStorage.getItem(entry) === null, DRAFT_PREFIX + path);
  // A restored draft's notice gets its text 100 ms later (a live region announces a change).
  await clock.advance(200);
}

describe('drafts', () => {
  it('keeps the changed fields on expiry, never password, hidden, file or ignored fields', async () => {
    const tab = await context.newPage();
    Object.assign(site, SHORT);
    await open(tab, '/edit?id=1');
    await tab.fill('[name=title]', 'My title');
    await tab.fill('[name=body]', 'Two\nlines');
    await tab.selectOption('[name=color]', 'blue');
    await tab.check('[name=tags][value=b]');
    await tab.check('[name=size][value=l]');
    await tab.fill('[name=password]', 'secret-password');
    await tab.setInputFiles('[name=upload]', {
      name: 'a.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('secret-file'),
    });
    await tab.fill('[name=pin]', 'secret-pin');
    await tab.fill('[name=note]', 'secret-note');
    await tab.fill('[name=search]', 'secret-search');
    await tab.evaluate(() => {
      (document.querySelector('[name=token]') as HTMLInputElement).value = 'secret-token';
    });
    await expire(tab);
    expect(tab.url()).toBe(`${origin}/login?next=%2Fedit%3Fid%3D1&reason=idle`);

    const draft = await draftOf(tab, '/edit?id=1');
    expect(draft).toEqual({
      key: 'user-a',
      session: 'sign-in-1',
      savedAt: expect.any(Number),
      forms: {
        post: {
          title: 'My title',
          body: 'Two\nlines',
          color: ['blue'],
          'tags#1': true,
          size: false,
          'size#1': true,
        },
      },
    });
    expect(JSON.stringify(await storage(tab))).not.toMatch(/secret/);
  });

  it('fills the draft back after signing in again, says so politely once, and deletes the copy', async () => {
    const tab = await context.newPage();
    await open(tab, '/edit?id=1');
    await tab.fill('[name=body]', 'Kept body');
    await tab.selectOption('[name=color]', 'blue');
    await tab.check('[name=tags][value=b]');
    await tab.check('[name=size][value=l]');
    await expireWhileEditing(tab, '/edit?id=1', 'Kept title', { reload: false });
    await comeBack(tab, '/edit?id=1');

    expect(await tab.inputValue('[name=title]')).toBe('Kept title');
    expect(await tab.inputValue('[name=body]')).toBe('Kept body');
    expect(await tab.inputValue('[name=color]')).toBe('blue');
    expect(await tab.isChecked('[name=tags][value=a]')).toBe(false);
    expect(await tab.isChecked('[name=tags][value=b]')).toBe(true);
    expect(await tab.isChecked('[name=size][value=s]')).toBe(false);
    expect(await tab.isChecked('[name=size][value=l]')).toBe(true);
    expect(await tab.inputValue('[name=untouched]')).toBe('as served');
    const notice = tab.locator('.session-security-restored');
    await expect.poll(() => notice.textContent()).toBe(RESTORED);
    expect(await notice.getAttribute('role')).toBe('status');
    expect(await notice.getAttribute('aria-live')).toBe('polite');
    expect(await tab.locator('.session-security-restored').count()).toBe(1);
    expect(await draftOf(tab, '/edit?id=1')).toBeUndefined();
    expect(await cspViolations(tab)).toEqual([]);
  });

  it('says so in the page’s language', async () => {
    const tab = await context.newPage();
    await expireWhileEditing(tab, '/edit?id=1', 'Entwurf');
    site.messages = CATALOGUES.de;
    await comeBack(tab, '/edit?id=1');

    expect(await tab.inputValue('[name=title]')).toBe('Entwurf');
    await expect
      .poll(() => tab.locator('.session-security-restored').textContent())
      .toBe('Ihre nicht gespeicherten Änderungen wurden wiederhergestellt.');
  });

  it('does not fill another user’s draft back, and deletes it', async () => {
    const tab = await context.newPage();
    await expireWhileEditing(tab, '/edit?id=1', 'Not yours');
    await comeBack(tab, '/edit?id=1', 'user-b');
    await clock.advance(300); // the notice would have its text by now

    expect(await tab.inputValue('[name=title]')).toBe('');
    expect(await tab.locator('.session-security-restored').count()).toBe(0);
    expect(await draftOf(tab, '/edit?id=1')).toBeUndefined();
  });

  it('deletes unread a draft older than maxAge', async () => {
    const tab = await context.newPage();
    await expireWhileEditing(tab, '/edit?id=1', 'Too old');
    // Kept 11 s ago, for a page whose drafts live 10 s.
    await tab.evaluate((entry) => {
      const draft = JSON.parse(sessionStorage.getItem(entry) ?? '{}');
      draft.savedAt = Date.now() - 11_000;
      sessionStorage.setItem(entry, JSON.stringify(draft));
    }, `${DRAFT_PREFIX}/edit?id=1`);
    site.maxAge = 10;
    await comeBack(tab, '/edit?id=1');
    await clock.advance(300);

    expect(await tab.inputValue('[name=title]')).toBe('');
    expect(await tab.locator('.session-security-restored').count()).toBe(0);
    expect(await draftOf(tab, '/edit?id=1')).toBeUndefined();
  });

  it('keeps two pages that differ only in the query apart', async () => {
    const tab = await context.newPage();
    await expireWhileEditing(tab, '/edit?id=1', 'First');
    await expireWhileEditing(tab, '/edit?id=2', 'Second');
    expect(Object.keys(await storage(tab)).sort()).toEqual([
      `${DRAFT_PREFIX}/edit?id=1`,
      `${DRAFT_PREFIX}/edit?id=2`,
    ]);

    await comeBack(tab, '/edit?id=2');
    expect(await tab.inputValue('[name=title]')).toBe('Second');
    await comeBack(tab, '/edit?id=1');
    expect(await tab.inputValue('[name=title]')).toBe('First');
  });

  it('deletes the drafts of every open tab on an explicit sign-out, pages without a form too', async () => {
    Object.assign(site, LONG);
    const plant = (tab: Page) =>
      tab.evaluate((prefix) => {
        sessionStorage.setItem(`${prefix}/edit?id=7`, '{"key":"user-a"}');
        sessionStorage.setItem(`${prefix}/other`, '{"key":"user-a"}');
        sessionStorage.setItem('app-state', 'the app’s own');
      }, DRAFT_PREFIX);
    const editing = await context.newPage();
    await open(editing, '/edit?id=1');
    await plant(editing);
    await editing.fill('[name=title]', 'Signing out');
    const reading = await context.newPage();
    await open(reading, '/plain');
    await plant(reading);
    // No form, no drafts code.
    expect(await reading.locator('script[src^="/drafts.js"]').count()).toBe(0);

    // Not awaited in the page: the sign-out navigates the tab, which ends the evaluation.
    await editing.evaluate(() => {
      void window.sessionSecurity?.signOut();
    });
    for (const tab of [editing, reading]) {
      await tab.waitForURL(LOGIN_PAGE);
      expect(tab.url()).toMatch(/reason=logout$/);
      expect(await storage(tab)).toEqual({ 'app-state': 'the app’s own' });
    }
  });

  it('keeps no draft in any tab when the sign-in was ended from elsewhere (revoked)', async () => {
    Object.assign(site, LONG);
    const editing = await context.newPage();
    await open(editing, '/edit?id=1');
    await editing.fill('[name=title]', 'Revoked while typing');
    const other = await context.newPage();
    await open(other, '/edit?id=2');
    await other.fill('[name=title]', 'In the other tab');
    site.ping = 'revoked';
    // The next ping (here: "Stay signed in") hears that the sign-in was ended from elsewhere.
    await editing.evaluate(() => {
      void window.sessionSecurity?.extend();
    });
    for (const tab of [editing, other]) {
      await tab.waitForURL(LOGIN_PAGE);
      expect(tab.url()).toMatch(/reason=revoked$/);
      expect(await storage(tab)).toEqual({});
    }
  });

  it('keeps the drafts of every tab when the store lost the sign-in, and says lost', async () => {
    Object.assign(site, LONG);
    const editing = await context.newPage();
    await open(editing, '/edit?id=1');
    await editing.fill('[name=title]', 'Lost while typing');
    const other = await context.newPage();
    await open(other, '/edit?id=2');
    await other.fill('[name=title]', 'In the other tab');
    site.ping = 'lost';
    await editing.evaluate(() => {
      void window.sessionSecurity?.extend();
    });
    for (const [tab, path, title] of [
      [editing, '/edit?id=1', 'Lost while typing'],
      [other, '/edit?id=2', 'In the other tab'],
    ] as const) {
      await tab.waitForURL(LOGIN_PAGE);
      expect(tab.url()).toMatch(/reason=lost$/);
      expect((await draftOf(tab, path))?.forms).toEqual({ post: { title } });
    }
  });

  it('says idle, not lost, when the answer comes after the page’s own deadline (the record timed out while it slept)', async () => {
    Object.assign(site, SHORT);
    const tab = await context.newPage();
    await open(tab, '/edit?id=1');
    await tab.fill('[name=title]', 'Slept');
    // The warning's ping hangs past the deadline, then hears that the store has no record.
    site.ping = 'hang';
    await clock.advanceUntil(() => hanging.length > 0, "the warning's ping", { settleMs: 0 });
    await clock.advance(site.expireAfter * 1000, { settleMs: 0 });
    site.ping = 'lost';
    for (const res of hanging.splice(0)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'expired', reason: 'lost' }));
    }
    await tab.waitForURL(LOGIN_PAGE);
    expect(tab.url()).toMatch(/reason=idle$/);
    expect((await draftOf(tab, '/edit?id=1'))?.forms).toEqual({ post: { title: 'Slept' } });
  });

  it('offers the changed forms in a draft event at the warning and before leaving; cancelling it keeps no copy', async () => {
    const tab = await context.newPage();
    await open(tab, '/edit?id=3');
    await tab.evaluate(() => {
      window.sessionSecurity?.addEventListener('draft', (event) => {
        const seen = JSON.parse(sessionStorage.getItem('test-draft-events') ?? '[]');
        seen.push([window.sessionSecurity?.state, (event as CustomEvent).detail]);
        sessionStorage.setItem('test-draft-events', JSON.stringify(seen));
        event.preventDefault(); // the app keeps drafts on its server
      });
    });
    await tab.fill('[name=title]', 'On my server');
    await expire(tab);

    const forms = { post: { title: 'On my server' } };
    expect(JSON.parse((await storage(tab))['test-draft-events'] ?? '[]')).toEqual([
      ['warning', forms],
      ['expired', forms],
    ]);
    expect(await draftOf(tab, '/edit?id=3')).toBeUndefined();
  });

  it('keeps a form submitted after the deadline before its request leaves', async () => {
    const tab = await context.newPage();
    // The server never answers: only the submit can keep the draft (a laptop back from sleep).
    site.ping = 'hang';
    await open(tab, '/edit?id=4');
    await tab.fill('[name=title]', 'Sent too late');
    await clock.advance(SHORT.expireAfter * 1000 + 300, { settleMs: 0 });
    expect(tab.url()).toBe(`${origin}/edit?id=4`);
    await Promise.all([
      tab.waitForURL(LOGIN_PAGE),
      tab.evaluate(() => (document.getElementById('post') as HTMLFormElement).requestSubmit()),
    ]);

    expect(tab.url()).toBe(`${origin}/login?next=%2Fedit%3Fid%3D4&reason=idle`);
    expect((await draftOf(tab, '/edit?id=4'))?.forms).toEqual({
      post: { title: 'Sent too late' },
    });
  });

  it('keeps nothing of a form submitted before the deadline', async () => {
    const tab = await context.newPage();
    Object.assign(site, LONG);
    await open(tab, '/edit?id=5');
    await tab.fill('[name=title]', 'Sent in time');
    await Promise.all([
      tab.waitForURL(LOGIN_PAGE),
      tab.evaluate(() => (document.getElementById('post') as HTMLFormElement).requestSubmit()),
    ]);
    expect(await storage(tab)).toEqual({});
  });
});

describe('drafts never keep a secret that is not a password field when the draft is taken', () => {
  /**
   * Opens /account once the drafts script has run, types the title and whatever `act` types,
   * and lets the session expire: the kept forms, and every entry of the tab's storage as text.
   */
  async function keptAfter(act: (tab: Page) => Promise<void>) {
    const tab = await context.newPage();
    Object.assign(site, SHORT);
    await open(tab, '/account');
    await tab.fill('[name=title]', 'Kept');
    await act(tab);
    await expire(tab);
    return {
      forms: (await draftOf(tab, '/account'))?.forms,
      stored: JSON.stringify(await storage(tab)),
    };
  }
  /** Only the ordinary field: the draft was kept and seen, the secret was not. */
  const TITLE_ONLY = { login: { title: 'Kept' } };

  it('a password shown as text by a "show password" button, typed before and after', async () => {
    const { forms, stored } = await keptAfter(async (tab) => {
      await tab.fill('[name=password]', 'secret-hidden');
      await tab.click('#show');
      expect(await tab.getAttribute('[name=password]', 'type')).toBe('text');
      await tab.press('[name=password]', 'End');
      await tab.locator('[name=password]').pressSequentially('-shown');
    });
    expect(forms).toEqual(TITLE_ONLY);
    expect(stored).not.toMatch(/secret/);
  });

  it('a password whose "show" button puts a text input of the same name in its place', async () => {
    const { forms, stored } = await keptAfter(async (tab) => {
      await tab.fill('[name=passcode]', 'secret-swapped');
      await tab.click('#swap');
      expect(await tab.getAttribute('[name=passcode]', 'type')).toBeNull();
      expect(await tab.inputValue('[name=passcode]')).toBe('secret-swapped');
    });
    expect(forms).toEqual(TITLE_ONLY);
    expect(stored).not.toMatch(/secret/);
  });

  it('a password field the page adds later and shows as text before anything is typed', async () => {
    const { forms, stored } = await keptAfter(async (tab) => {
      await tab.click('#add');
      await tab.click('#show-later');
      expect(await tab.getAttribute('[name=later]', 'type')).toBe('text');
      await tab.fill('[name=later]', 'secret-later');
    });
    expect(forms).toEqual(TITLE_ONLY);
    expect(stored).not.toMatch(/secret/);
  });

  it('a one-time code (autocomplete="one-time-code")', async () => {
    const { forms, stored } = await keptAfter((tab) => tab.fill('[name=code]', 'secret-123456'));
    expect(forms).toEqual(TITLE_ONLY);
    expect(stored).not.toMatch(/secret/);
  });

  it('a card’s security code (autocomplete="cc-csc")', async () => {
    const { forms, stored } = await keptAfter((tab) => tab.fill('[name=cvc]', 'secret-737'));
    expect(forms).toEqual(TITLE_ONLY);
    expect(stored).not.toMatch(/secret/);
  });

  it('a card number (autocomplete="cc-number")', async () => {
    const { forms, stored } = await keptAfter((tab) =>
      tab.fill('[name=card]', 'secret-4111111111111111'),
    );
    expect(forms).toEqual(TITLE_ONLY);
    expect(stored).not.toMatch(/secret/);
  });

  it('card fields behind section-*, billing, in any case; a billing address is kept', async () => {
    const { forms, stored } = await keptAfter(async (tab) => {
      await tab.fill('[name=billing-cvc]', 'secret-1234');
      await tab.fill('[name=card-2]', 'secret-5555555555554444');
      await tab.fill('[name=street]', '1 Main Street');
    });
    expect(forms).toEqual({ login: { title: 'Kept', street: '1 Main Street' } });
    expect(stored).not.toMatch(/secret/);
  });

  it('a text field marked current-password or new-password', async () => {
    const { forms, stored } = await keptAfter(async (tab) => {
      await tab.fill('[name=current]', 'secret-current');
      await tab.fill('[name=new]', 'secret-new');
    });
    expect(forms).toEqual(TITLE_ONLY);
    expect(stored).not.toMatch(/secret/);
  });
});

// Integration tests of the demo application (docs/guide/getting-started.md: Try it) over real HTTP: sign-in and its
// `next`, idle and absolute expiry, the passive poll, the ping, security headers, sign-out.

import session from 'express-session';
import { safeNextPath } from 'session-security';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoApp } from '../../examples/demo/app.js';
import {
  CookieJar,
  FakeClock,
  listen,
  NAVIGATE,
  type Reply,
  SAME_ORIGIN_FETCH,
  send,
  sendSlowly,
} from '../support/http.js';

const EXPIRE_AFTER = 120;
const WARN_AFTER = 90;
const COOKIE_NAME = 'demo.sid';

interface Demo {
  origin: string;
  clock: FakeClock;
  /** How many sessions the session store has read (express-session, before session-security). */
  sessionReads: () => number;
  close: () => Promise<void>;
}

/** express-session's memory store, counting its reads. */
class CountingStore extends session.MemoryStore {
  reads = 0;
  override get(sid: string, callback: (error: unknown, data?: session.SessionData | null) => void) {
    super.get(sid, (error, data) => {
      this.reads++;
      callback(error, data);
    });
  }
}

async function startDemo(absoluteTimeout = 0): Promise<Demo> {
  const clock = new FakeClock();
  const store = new CountingStore();
  const app = createDemoApp({
    expireAfter: EXPIRE_AFTER,
    warnAfter: WARN_AFTER,
    absoluteTimeout,
    sessionSecret: 'test',
    clock,
    store,
  });
  const { origin, close } = await listen(app);
  return { origin, clock, sessionReads: () => store.reads, close };
}

/** Headers of a form a user submits on one of the demo's own pages. */
function formPostHeaders(origin: string): Record<string, string> {
  return {
    ...NAVIGATE,
    origin,
    'content-type': 'application/x-www-form-urlencoded',
  };
}

/** Submits the sign-in form; `next` is left out of the form when undefined. */
function postLogin(
  origin: string,
  jar: CookieJar,
  fields: { username?: string; password?: string; next?: string } = {},
): Promise<Reply> {
  const form = new URLSearchParams();
  form.set('username', fields.username ?? 'demo');
  form.set('password', fields.password ?? 'demo');
  if (fields.next !== undefined) form.set('next', fields.next);
  return send(
    origin,
    '/login',
    { method: 'POST', headers: formPostHeaders(origin), body: form.toString() },
    jar,
  );
}

/** Signs in as demo/demo and checks it worked. */
async function signIn(origin: string, jar: CookieJar): Promise<void> {
  const reply = await postLogin(origin, jar);
  expect(reply.status).toBe(303);
  expect(jar.cookies.has(COOKIE_NAME)).toBe(true);
}

function navigate(origin: string, path: string, jar: CookieJar): Promise<Reply> {
  return send(origin, path, { headers: NAVIGATE }, jar);
}

function fetchFromPage(origin: string, path: string, jar: CookieJar): Promise<Reply> {
  return send(origin, path, { headers: SAME_ORIGIN_FETCH }, jar);
}

/** The `Set-Cookie` line of the session cookie, if the answer sets it. */
function sessionCookieLine(reply: Reply): string | undefined {
  return reply.headers['set-cookie']?.find((line) => line.startsWith(`${COOKIE_NAME}=`));
}

/** The attributes of every `<input>` of a page, e.g. `{ name: 'next', type: 'hidden', value: '/' }`. */
function inputsOf(html: string): Record<string, string>[] {
  return [...html.matchAll(/<input\b([^>]*)>/g)].map(([, attributes = '']) =>
    Object.fromEntries(
      [...attributes.matchAll(/([a-z-]+)(?:="([^"]*)")?/g)].map(([, name = '', value = '']) => [
        name,
        value,
      ]),
    ),
  );
}

function inputNamed(html: string, name: string): Record<string, string> | undefined {
  return inputsOf(html).find((input) => input.name === name);
}

/** The `lang` of the page's `<html>` element. */
function htmlLang(html: string): string | undefined {
  return /<html\b[^>]*\blang="([^"]*)"/.exec(html)?.[1];
}

/** A user's check that a cookie jar no longer opens the home page. */
async function expectSignedOut(origin: string, jar: CookieJar): Promise<void> {
  const home = await navigate(origin, '/', jar);
  expect(home.status).toBe(303);
  expect(home.headers.location).toBe('/login?next=%2F');
}

let demo: Demo;

afterEach(async () => {
  await demo.close();
});

describe('sign-in', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  it('shows a form with username, password, a hidden next and a submit button', async () => {
    const page = await navigate(demo.origin, '/login?next=%2Fsecond', new CookieJar());

    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(inputNamed(page.text, 'username')).toBeDefined();
    expect(inputNamed(page.text, 'password')).toMatchObject({ type: 'password' });
    expect(inputNamed(page.text, 'next')).toMatchObject({ type: 'hidden', value: '/second' });
    expect(page.text).toMatch(/<form method="post" action="\/login">/);
    expect(page.text).toMatch(/<button type="submit">Sign in<\/button>/);
  });

  it('does not carry a next that leads elsewhere into the form', async () => {
    const page = await navigate(demo.origin, '/login?next=%2F%2Fevil.example', new CookieJar());

    expect(inputNamed(page.text, 'next')).toMatchObject({ type: 'hidden', value: '' });
    expect(page.text).not.toContain('evil.example');
  });

  it('signs demo/demo in and redirects 303 to next, where the protected page opens', async () => {
    const jar = new CookieJar();
    const reply = await postLogin(demo.origin, jar, { next: '/second' });

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/second');
    const second = await navigate(demo.origin, '/second', jar);
    expect(second.status).toBe(200);
    expect(second.text).toContain('Signed in as <strong>demo</strong>');
  });

  it('sets an HttpOnly, SameSite=Lax session cookie without Max-Age or Expires', async () => {
    const reply = await postLogin(demo.origin, new CookieJar());
    const line = sessionCookieLine(reply);

    expect(line).toBeDefined();
    expect(line).toMatch(/;\s*HttpOnly/i);
    expect(line).toMatch(/;\s*SameSite=Lax/i);
    expect(line).not.toMatch(/max-age/i);
    expect(line).not.toMatch(/expires/i);
  });

  it('replaces a session cookie planted before sign-in with a new one', async () => {
    const planted = 's%3Aplanted-by-an-attacker.c2lnbmF0dXJl';
    const jar = new CookieJar();
    jar.cookies.set(COOKIE_NAME, planted);

    await signIn(demo.origin, jar);

    expect(jar.cookies.get(COOKIE_NAME)).not.toBe(planted);
    expect((await navigate(demo.origin, '/', jar)).status).toBe(200);
  });

  it('gives a new session id when a valid session cookie was carried into sign-in', async () => {
    const attacker = new CookieJar();
    await signIn(demo.origin, attacker);
    const fixed = attacker.cookies.get(COOKIE_NAME);
    const victim = attacker.clone();

    await signIn(demo.origin, victim);

    expect(victim.cookies.get(COOKIE_NAME)).not.toBe(fixed);
    expect((await navigate(demo.origin, '/', victim)).status).toBe(200);
    // The id known before sign-in opens nothing afterwards.
    await expectSignedOut(demo.origin, attacker);
  });

  it('answers wrong credentials with 401 and the form with a message, signing nobody in', async () => {
    const jar = new CookieJar();
    const reply = await postLogin(demo.origin, jar, { password: 'wrong', next: '/second' });

    expect(reply.status).toBe(401);
    expect(reply.text).toContain('Wrong username or password.');
    expect(inputNamed(reply.text, 'username')).toMatchObject({ value: 'demo' });
    expect(inputNamed(reply.text, 'next')).toMatchObject({ value: '/second' });
    await expectSignedOut(demo.origin, jar);
  });

  it('answers an unknown user with 401', async () => {
    const jar = new CookieJar();
    const reply = await postLogin(demo.origin, jar, { username: 'nobody', password: 'demo' });

    expect(reply.status).toBe(401);
    await expectSignedOut(demo.origin, jar);
  });

  it('refuses a cross-site POST /login with 403 and signs nobody in', async () => {
    const jar = new CookieJar();
    const reply = await send(
      demo.origin,
      '/login',
      {
        method: 'POST',
        headers: {
          ...formPostHeaders('https://evil.example'),
          'sec-fetch-site': 'cross-site',
        },
        body: 'username=demo&password=demo&next=%2F',
      },
      jar,
    );

    expect(reply.status).toBe(403);
    expect(sessionCookieLine(reply)).toBeUndefined();
    await expectSignedOut(demo.origin, jar);
  });
});

describe('next at sign-in', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  it.each(['/second', '/form?x=1'])('follows next=%j', async (next) => {
    const jar = new CookieJar();
    const reply = await postLogin(demo.origin, jar, { next });

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe(next);
    expect((await navigate(demo.origin, next, jar)).status).toBe(200);
  });

  it.each([
    '//evil.example',
    '/\\evil.example',
    'https://evil.example/',
    'http:evil.example',
    'javascript:alert(1)',
    '/%2F%2Fevil.example',
    '/%5Cevil.example',
    ' /second',
    '/\t/evil.example',
    '%2F%2Fevil.example',
    '',
  ])('ignores next=%j and redirects to /', async (next) => {
    const reply = await postLogin(demo.origin, new CookieJar(), { next });

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/');
  });

  it('redirects to / when the form has no next', async () => {
    const reply = await postLogin(demo.origin, new CookieJar());

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/');
  });

  it('takes an anonymous visitor of a protected page back there after sign-in', async () => {
    const jar = new CookieJar();
    const visit = await navigate(demo.origin, '/form?x=1', jar);
    expect(visit.status).toBe(303);
    expect(visit.headers.location).toBe('/login?next=%2Fform%3Fx%3D1');

    const login = await navigate(demo.origin, visit.headers.location ?? '', jar);
    const next = inputNamed(login.text, 'next')?.value;
    expect(next).toBe('/form?x=1');
    expect(safeNextPath(next)).toBe('/form?x=1');

    const reply = await postLogin(demo.origin, jar, { next });
    expect(reply.headers.location).toBe('/form?x=1');
  });
});

describe('protected pages', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  it('redirects an anonymous navigation to / with 303 to /login?next=%2F', async () => {
    const reply = await navigate(demo.origin, '/', new CookieJar());

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/login?next=%2F');
  });

  it('shows the signed-in user and a sign-out button on the home page', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    const home = await navigate(demo.origin, '/', jar);

    expect(home.status).toBe(200);
    expect(home.text).toContain('Welcome, demo');
    expect(home.text).toMatch(/<form method="post" action="\/logout"><button type="submit">/);
  });

  it('shows a form with a textarea named note', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    const page = await navigate(demo.origin, '/form', jar);

    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<textarea\b[^>]*\bname="note"/);
  });

  it('shows a posted note back, HTML-escaped', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    const reply = await send(
      demo.origin,
      '/form',
      {
        method: 'POST',
        headers: formPostHeaders(demo.origin),
        body: new URLSearchParams({ note: '<b>hi</b>' }).toString(),
      },
      jar,
    );

    expect(reply.status).toBe(200);
    expect(reply.text).toContain('&lt;b&gt;hi&lt;/b&gt;');
    expect(reply.text).not.toContain('<b>hi</b>');
  });
});

describe('idle expiry', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  it('keeps a session alive while each navigation comes within expireAfter of the last', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);

    demo.clock.advance(EXPIRE_AFTER - 1);
    expect((await navigate(demo.origin, '/', jar)).status).toBe(200);
    // That navigation was activity: another 119 s from sign-in would be 238 s, yet it lives.
    demo.clock.advance(EXPIRE_AFTER - 1);
    expect((await navigate(demo.origin, '/', jar)).status).toBe(200);
  });

  it('sends a navigation after expireAfter idle to the login page with reason=idle and a notice', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(EXPIRE_AFTER - 1);
    expect((await navigate(demo.origin, '/', jar)).status).toBe(200);
    const beforeExpiry = jar.clone();

    demo.clock.advance(EXPIRE_AFTER);
    const expired = await navigate(demo.origin, '/', jar);

    expect(expired.status).toBe(303);
    expect(expired.headers.location).toBe('/login?next=%2F&reason=idle');
    const login = await navigate(demo.origin, expired.headers.location ?? '', jar);
    expect(login.status).toBe(200);
    expect(login.text).toMatch(/inactivity/i);
    expect(inputNamed(login.text, 'next')).toMatchObject({ value: '/' });
    await expectSignedOut(demo.origin, beforeExpiry);
  });

  it('keeps the path and query of the expired page in next', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(EXPIRE_AFTER);

    const expired = await navigate(demo.origin, '/form?x=1', jar);

    expect(expired.status).toBe(303);
    expect(expired.headers.location).toBe('/login?next=%2Fform%3Fx%3D1&reason=idle');
  });

  it('answers a fetch after expiry with 401 {"status":"expired","reason":"idle"}', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(EXPIRE_AFTER);

    const reply = await fetchFromPage(demo.origin, '/api/poll', jar);

    expect(reply.status).toBe(401);
    expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
    await expectSignedOut(demo.origin, jar);
  });

  it('signs demo/demo in when the browser still carries the cookie of an expired session', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(EXPIRE_AFTER);

    const reply = await postLogin(demo.origin, jar, { next: '/second' });

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/second');
    expect((await navigate(demo.origin, '/second', jar)).status).toBe(200);
  });

  it('shows no notice on the login page without a reason', async () => {
    const page = await navigate(demo.origin, '/login?next=%2F', new CookieJar());

    expect(page.text).not.toMatch(/inactivity/i);
    expect(page.text).not.toMatch(/time limit/i);
  });

  it('says the session reached its time limit on the login page with reason=absolute', async () => {
    const page = await navigate(demo.origin, '/login?next=%2F&reason=absolute', new CookieJar());

    expect(page.status).toBe(200);
    expect(page.text).toMatch(/reached its time limit/i);
  });

  it('says the server lost the session, not inactivity, on the login page with reason=lost', async () => {
    const page = await navigate(demo.origin, '/login?next=%2F&reason=lost', new CookieJar());

    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<p class="notice" role="status">[^<]*server lost your session/);
    expect(page.text).toMatch(/not because you were idle/);
  });
});

describe('absolute expiry', () => {
  const ABSOLUTE_TIMEOUT = 300;

  beforeEach(async () => {
    demo = await startDemo(ABSOLUTE_TIMEOUT);
  });

  it('ends an active session absoluteTimeout after sign-in, with reason=absolute', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    for (let elapsed = 60; elapsed < ABSOLUTE_TIMEOUT; elapsed += 60) {
      demo.clock.advance(60);
      expect((await navigate(demo.origin, '/', jar)).status).toBe(200);
    }

    demo.clock.advance(60);
    const expired = await navigate(demo.origin, '/', jar);

    expect(expired.status).toBe(303);
    expect(expired.headers.location).toBe('/login?next=%2F&reason=absolute');
    await expectSignedOut(demo.origin, jar);
  });
});

describe('the passive poll', () => {
  const POLL_INTERVAL = 30;

  beforeEach(async () => {
    demo = await startDemo();
  });

  it('does not keep the session alive: polls alone end it after expireAfter', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    for (let elapsed = POLL_INTERVAL; elapsed < EXPIRE_AFTER; elapsed += POLL_INTERVAL) {
      demo.clock.advance(POLL_INTERVAL);
      const poll = await fetchFromPage(demo.origin, '/api/poll', jar);
      expect(poll.status).toBe(200);
      expect(poll.json).toMatchObject({ status: 'ok' });
      expect(poll.headers['cache-control']).toBe('no-store');
    }

    demo.clock.advance(POLL_INTERVAL);
    const last = await fetchFromPage(demo.origin, '/api/poll', jar);

    expect(last.status).toBe(401);
    expect(last.json).toEqual({ status: 'expired', reason: 'idle' });
    await expectSignedOut(demo.origin, jar);
  });

  it('is kept alive by navigations on the same schedule', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    for (let elapsed = POLL_INTERVAL; elapsed <= EXPIRE_AFTER * 2; elapsed += POLL_INTERVAL) {
      demo.clock.advance(POLL_INTERVAL);
      expect((await navigate(demo.origin, '/second', jar)).status).toBe(200);
    }

    demo.clock.advance(POLL_INTERVAL);
    expect((await fetchFromPage(demo.origin, '/api/poll', jar)).status).toBe(200);
  });

  it('answers an anonymous poll with 401', async () => {
    const reply = await fetchFromPage(demo.origin, '/api/poll', new CookieJar());

    expect(reply.status).toBe(401);
  });
});

describe('the ping through the demo', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  it('reports an active session with the demo timeouts and an idle time on the server clock', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(45);

    const ping = await fetchFromPage(demo.origin, '/session-security/ping', jar);

    expect(ping.status).toBe(200);
    expect(ping.headers['cache-control']).toBe('no-store');
    expect(ping.json).toMatchObject({
      status: 'active',
      idleFor: 45,
      warnIn: WARN_AFTER - 45,
      expireIn: EXPIRE_AFTER - 45,
      expireAfter: EXPIRE_AFTER,
      warnAfter: WARN_AFTER,
      absolute: false,
    });
    expect(ping.json?.session).toEqual(expect.any(String));
  });

  it('does not extend the session: idleFor keeps growing across pings', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(30);
    expect((await fetchFromPage(demo.origin, '/session-security/ping', jar)).json).toMatchObject({
      idleFor: 30,
    });

    demo.clock.advance(50);
    const ping = await fetchFromPage(demo.origin, '/session-security/ping', jar);

    expect(ping.json).toMatchObject({ status: 'active', idleFor: 80 });
  });

  it('reports idleFor from the latest navigation', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(60);
    await navigate(demo.origin, '/', jar);
    demo.clock.advance(10);

    const ping = await fetchFromPage(demo.origin, '/session-security/ping', jar);

    expect(ping.json).toMatchObject({ status: 'active', idleFor: 10 });
  });

  it('answers an anonymous ping with 401 {"status":"anonymous"}', async () => {
    const ping = await fetchFromPage(demo.origin, '/session-security/ping', new CookieJar());

    expect(ping.status).toBe(401);
    expect(ping.json).toEqual({ status: 'anonymous' });
  });
});

describe('security headers', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  /** The pages a signed-in user can open, and the anonymous login page. */
  async function pages(): Promise<[string, Reply][]> {
    const jar = new CookieJar();
    const login = await navigate(demo.origin, '/login', new CookieJar());
    await signIn(demo.origin, jar);
    const signedIn = await Promise.all(
      ['/', '/second', '/form'].map(
        async (path): Promise<[string, Reply]> => [path, await navigate(demo.origin, path, jar)],
      ),
    );
    return [['/login', login], ...signedIn];
  }

  it("sends a strict Content-Security-Policy on every page: default-src 'self', frame-ancestors 'none', no 'unsafe-inline'", async () => {
    for (const [path, reply] of await pages()) {
      expect(reply.status, path).toBe(200);
      const policy = reply.headers['content-security-policy'];
      expect(policy, path).toContain("default-src 'self'");
      expect(policy, path).toContain("frame-ancestors 'none'");
      expect(policy, path).not.toContain('unsafe-inline');
    }
  });

  it('sends Cache-Control: no-store on protected pages and the ping', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    for (const path of ['/', '/second', '/form']) {
      const reply = await navigate(demo.origin, path, jar);
      expect(reply.headers['cache-control'], path).toBe('no-store');
    }
    const ping = await fetchFromPage(demo.origin, '/session-security/ping', jar);
    expect(ping.headers['cache-control']).toBe('no-store');
  });

  it('sends Cache-Control: no-store with the redirect of an anonymous visitor', async () => {
    const reply = await navigate(demo.origin, '/', new CookieJar());

    expect(reply.headers['cache-control']).toBe('no-store');
  });
});

describe('sign-out', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  it('redirects POST /logout 303 to /login, and the old cookie no longer opens /', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    const beforeSignOut = jar.clone();

    const reply = await send(
      demo.origin,
      '/logout',
      { method: 'POST', headers: formPostHeaders(demo.origin), body: '' },
      jar,
    );

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/login');
    await expectSignedOut(demo.origin, jar);
    await expectSignedOut(demo.origin, beforeSignOut);
  });

  it('signs out of a session that has already expired with a 303 to the login page', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(EXPIRE_AFTER);

    const reply = await send(
      demo.origin,
      '/logout',
      { method: 'POST', headers: formPostHeaders(demo.origin), body: '' },
      jar,
    );

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toMatch(/^\/login(\?|$)/);
    await expectSignedOut(demo.origin, jar);
  });

  it('after an expired sign-out, signing in again returns to the page the user was on', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(EXPIRE_AFTER);

    const reply = await send(
      demo.origin,
      '/logout',
      {
        method: 'POST',
        headers: { ...formPostHeaders(demo.origin), referer: `${demo.origin}/second` },
        body: '',
      },
      jar,
    );
    expect(reply.headers.location).toBe('/login?next=%2Fsecond&reason=idle');
    const again = await postLogin(demo.origin, jar, { next: '/second' });
    expect(again.headers.location).toBe('/second');
  });

  it('refuses a cross-site POST /logout with 403 and keeps the user signed in', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);

    const reply = await send(
      demo.origin,
      '/logout',
      {
        method: 'POST',
        headers: { ...formPostHeaders('https://evil.example'), 'sec-fetch-site': 'cross-site' },
        body: '',
      },
      jar,
    );

    expect(reply.status).toBe(403);
    expect((await navigate(demo.origin, '/', jar)).status).toBe(200);
  });
});

describe('sign-out is final', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  it('sends Clear-Site-Data: "cache" and clears the cookie on POST /logout', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    const reply = await send(
      demo.origin,
      '/logout',
      { method: 'POST', headers: formPostHeaders(demo.origin), body: '' },
      jar,
    );
    expect(reply.headers['clear-site-data']).toBe('"cache"');
    expect(jar.cookies.has(COOKIE_NAME)).toBe(false);
  });

  it('keeps the user signed out when a form post that was in flight finishes after POST /logout', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);
    demo.clock.advance(2);
    const oldCookie = jar.clone();
    const reads = demo.sessionReads();
    const slow = sendSlowly(
      demo.origin,
      '/form',
      { method: 'POST', headers: formPostHeaders(demo.origin), body: 'note=in+flight' },
      jar.clone(),
    );
    // Its session read, session-security runs in the same turn, before the body parser waits.
    await expect.poll(() => demo.sessionReads()).toBe(reads + 1);
    const logout = await send(
      demo.origin,
      '/logout',
      { method: 'POST', headers: formPostHeaders(demo.origin), body: '' },
      jar,
    );
    expect(logout.status).toBe(303);
    slow.finish();
    expect((await slow.reply).status).toBe(200);
    await expectSignedOut(demo.origin, oldCookie);
    expect((await fetchFromPage(demo.origin, '/session-security/ping', oldCookie)).status).toBe(
      401,
    );
  });
});

describe('hostile input to the demo', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'shows the login page without a notice for reason=%s',
    async (reason) => {
      const reply = await navigate(demo.origin, `/login?reason=${reason}`, new CookieJar());
      expect(reply.status).toBe(200);
      expect(reply.text).toContain('<h1>Sign in</h1>');
      expect(reply.text).not.toContain('class="notice"');
    },
  );

  it.each([
    [
      'an oversized form',
      { 'content-type': 'application/x-www-form-urlencoded' },
      `note=${'x'.repeat(20_000)}`,
      413,
    ],
    [
      'an unknown charset',
      { 'content-type': 'application/x-www-form-urlencoded; charset=x-bogus' },
      'note=a',
      415,
    ],
    [
      'an unknown content encoding',
      { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'bogus' },
      'note=a',
      415,
    ],
    [
      'a corrupt gzip body',
      { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
      'not gzip at all',
      400,
    ],
  ])(
    'answers %s with its 4xx status and a plain page, no stack trace',
    async (_name, headers, body, status) => {
      const jar = new CookieJar();
      await signIn(demo.origin, jar);
      const reply = await send(
        demo.origin,
        '/form',
        { method: 'POST', headers: { ...formPostHeaders(demo.origin), ...headers }, body },
        jar,
      );
      expect(reply.status).toBe(status);
      expect(reply.headers['content-type']).toMatch(/^text\/plain/);
      expect(reply.text).not.toMatch(/at |node_modules|\.ts|\/work\//);
    },
  );

  it.each([
    ['a foreign Origin', { origin: 'http://evil.example' }],
    ['Origin: null', { origin: 'null' }],
  ])('refuses a sign-in POST with %s and no Sec-Fetch-* (login CSRF)', async (_name, headers) => {
    const jar = new CookieJar();
    const reply = await send(
      demo.origin,
      '/login',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: 'username=demo&password=demo',
      },
      jar,
    );
    expect(reply.status).toBe(403);
    expect(jar.cookies.has(COOKIE_NAME)).toBe(false);
  });

  it('accepts a sign-in POST with its own Origin and no Sec-Fetch-*', async () => {
    const jar = new CookieJar();
    const reply = await send(
      demo.origin,
      '/login',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: demo.origin },
        body: 'username=demo&password=demo',
      },
      jar,
    );
    expect(reply.status).toBe(303);
  });

  it('sends X-Frame-Options: DENY for browsers without frame-ancestors', async () => {
    for (const path of ['/login', '/']) {
      const reply = await navigate(demo.origin, path, new CookieJar());
      expect(reply.headers['x-frame-options']).toBe('DENY');
    }
  });
});

describe('page language', () => {
  beforeEach(async () => {
    demo = await startDemo();
  });

  it.each([
    ['de', 'de'],
    ['pt-BR', 'pt-BR'],
    ['xx', 'en'],
  ])('sets <html lang> for ?lang=%s to %j on the login page', async (lang, expected) => {
    const page = await navigate(demo.origin, `/login?lang=${lang}`, new CookieJar());

    expect(htmlLang(page.text)).toBe(expected);
  });

  it('makes a page without ?lang= English', async () => {
    const page = await navigate(demo.origin, '/login', new CookieJar());

    expect(htmlLang(page.text)).toBe('en');
  });

  it('sets <html lang> on protected pages too', async () => {
    const jar = new CookieJar();
    await signIn(demo.origin, jar);

    expect(htmlLang((await navigate(demo.origin, '/?lang=de', jar)).text)).toBe('de');
    expect(htmlLang((await navigate(demo.origin, '/second?lang=pt-BR', jar)).text)).toBe('pt-BR');
    expect(htmlLang((await navigate(demo.origin, '/form?lang=xx', jar)).text)).toBe('en');
    expect(htmlLang((await navigate(demo.origin, '/form', jar)).text)).toBe('en');
  });
});

describe("the demo's audit trail under a flood of refused requests", () => {
  it('writes no line per refused request, and a flood keeps no sign-in event from the /audit page', async () => {
    const lines: string[] = [];
    const clock = new FakeClock();
    const app = createDemoApp({
      expireAfter: EXPIRE_AFTER,
      warnAfter: WARN_AFTER,
      absoluteTimeout: 0,
      sessionSecret: 'test',
      clock,
      auditLog: (line) => lines.push(line),
    });
    demo = { ...(await listen(app)), clock, sessionReads: () => 0 };
    const admin = new CookieJar();
    const signedIn = await postLogin(demo.origin, admin, { username: 'admin', password: 'admin' });
    expect(signedIn.status).toBe(303);
    const before = lines.length;
    // Anonymous requests the library turns away: cross-origin pings and unknown routes.
    for (let i = 0; i < 200; i++) {
      const path = i % 2 ? '/session-security/ping' : `/session-security/nothing-${i}`;
      const reply = await send(demo.origin, path, {
        headers: { ...SAME_ORIGIN_FETCH, 'sec-fetch-site': 'cross-site' },
      });
      expect([403, 404]).toContain(reply.status);
    }
    expect(lines.slice(before), 'audit lines written for 200 refused requests').toEqual([]);
    const page = await send(demo.origin, '/audit', { headers: NAVIGATE }, admin);
    expect(page.status).toBe(200);
    expect(page.text).toContain('signed-in');
  });
});

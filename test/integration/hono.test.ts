// What is Hono's own in session-security/hono: the middleware over hono-sessions and
// @hono/node-server, over real HTTP on 127.0.0.1 with a fake server clock (the conformance
// suite covers the shared protocol; these cover the middleware's translation and its limits).

import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type Session, sessionMiddleware } from 'hono-sessions';
import { guardSessionStore, sessionSecurity, type WebSession } from 'session-security/hono';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConformanceApp, formsInFlight, type HarnessOptions } from '../conformance/harness.js';
import { honoHarness, JsonMemoryStore } from '../conformance/harness-hono.js';
import {
  CookieJar,
  FakeClock,
  NAVIGATE,
  SAME_ORIGIN_FETCH,
  send,
  sendSlowly,
} from '../support/http.js';

const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
const FORM_POST = { ...NAVIGATE, 'content-type': 'application/x-www-form-urlencoded' };

let app: ConformanceApp | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await app?.close();
  app = undefined;
  for (const close of closers.splice(0)) await close();
});

async function start(options?: HarnessOptions): Promise<ConformanceApp> {
  app = await honoHarness.start(options);
  return app;
}
const running = () => {
  if (!app) throw new Error('no app');
  return app;
};
const getPing = (jar?: CookieJar, headers: Record<string, string> = SAME_ORIGIN_FETCH) =>
  send(running().origin, '/session-security/ping', { headers }, jar);
const postPing = (jar: CookieJar | undefined, body: string, headers = JSON_POST) =>
  send(running().origin, '/session-security/ping', { method: 'POST', headers, body }, jar);

/** Signs in, starts the clock, lets 2 s pass (so the next request writes activity). */
async function signedIn(): Promise<CookieJar> {
  const jar = await running().signIn();
  expect((await getPing(jar)).status).toBe(200);
  running().clock.advance(2);
  return jar;
}

/** A Hono app of the test's own: session-security, with or without hono-sessions before it. */
async function startBare({
  withSessions,
  storeDown = () => false,
}: {
  withSessions: boolean;
  storeDown?: () => boolean;
}) {
  const clock = new FakeClock();
  const hono = new Hono<{ Variables: { session: Session<Record<string, unknown>> } }>();
  if (withSessions)
    hono.use(
      sessionMiddleware({
        store: guardSessionStore(new JsonMemoryStore(storeDown), {
          logger: { warn: () => {}, error: () => {} },
        }),
      }),
    );
  const security = sessionSecurity({
    drafts: false,
    isAuthenticated: (c) => Boolean(c.get('session')?.get('user')),
    clock,
    logger: { warn: () => {}, error: () => {} },
  });
  hono.use(security);
  hono.get('/', (c) => c.text('page'));
  hono.post('/sign-in', (c) => {
    c.get('session').set('user', 'ada');
    return c.json({ signedIn: true });
  });
  // No onError: Hono's default error handler answers what it is given.
  hono.post('/sign-out', async (c) => {
    await security.signOut(c);
    return c.json({ signedOut: true });
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { origin, clock };
}

describe('the ping over Hono', () => {
  it('answers GET with the status and POST by merging the input it reports', async () => {
    await start();
    const jar = await signedIn();
    running().clock.advance(30);
    const read = await getPing(jar);
    expect(read.status).toBe(200);
    expect(read.headers['cache-control']).toBe('no-store');
    expect(read.headers['content-type']).toMatch(/^application\/json/);
    expect(read.json).toMatchObject({ status: 'active', idleFor: 32, expireAfter: 900 });
    const reported = await postPing(jar, '{"sinceActivity": 5}');
    expect(reported.status).toBe(200);
    expect(reported.json?.idleFor).toBe(5);
    // A GET reads and never extends.
    running().clock.advance(1);
    expect((await getPing(jar)).json?.idleFor).toBe(6);
  });

  it('refuses in order: 405, 403, 415, 413, 401, 400', async () => {
    await start();
    const jar = await signedIn();
    const origin = running().origin;
    const big = JSON.stringify({ sinceActivity: 1, pad: 'x'.repeat(2000) });
    const put = await send(
      origin,
      '/session-security/ping',
      { method: 'PUT', headers: { ...JSON_POST, origin: 'http://evil.example' } },
      jar,
    );
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    const foreign = { ...JSON_POST, 'content-type': 'text/plain', origin: 'http://evil.example' };
    expect((await postPing(jar, big, foreign)).status).toBe(403);
    expect((await postPing(jar, big, { ...JSON_POST, 'content-type': 'text/plain' })).status).toBe(
      415,
    );
    expect((await postPing(jar, big)).status).toBe(413);
    expect((await postPing(undefined, '{"nope')).json).toEqual({ status: 'anonymous' });
    const bad = await postPing(jar, '{"sinceActivity": 1, "sinceActivity": 2}');
    expect(bad.status).toBe(400);
    expect(bad.json?.status).toBe('error');
    // None of these kept the session alive.
    expect((await getPing(jar)).json?.idleFor).toBe(2);
  });

  it('answers 404 for another path under the prefix, and leaves other paths to the app', async () => {
    await start();
    const jar = await signedIn();
    expect((await send(running().origin, '/session-security/nope', {}, jar)).status).toBe(404);
    expect((await send(running().origin, '/session-securityx', {}, jar)).status).toBe(404);
    const page = await send(running().origin, '/', { headers: NAVIGATE }, jar);
    expect(page.text).toContain('hello ada');
  });
});

describe('expiry over Hono', () => {
  it('redirects an expired page load 303 to loginUrl with next and reason, no-store', async () => {
    await start({ security: { loginUrl: '/login' } });
    const jar = await signedIn();
    running().clock.advance(900);
    const page = await send(running().origin, '/api/data?tab=2', { headers: NAVIGATE }, jar);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Fapi%2Fdata%3Ftab%3D2&reason=idle');
    expect(page.headers['cache-control']).toBe('no-store');
    // The session is gone from the store and its cookie from the browser.
    expect(jar.header()).toBeUndefined();
    expect(await running().sessionCount()).toBe(0);
  });

  it('answers 401 JSON to an expired fetch, and goes on anonymous for a page without loginUrl', async () => {
    await start();
    const jar = await signedIn();
    const other = await signedIn();
    running().clock.advance(900);
    const data = await send(running().origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
    expect(data.status).toBe(401);
    expect(data.json).toEqual({ status: 'expired', reason: 'idle' });
    // Without loginUrl the page goes on, with a fresh session under a new id (key rotation).
    const before = other.header();
    const page = await send(running().origin, '/', { headers: NAVIGATE }, other);
    expect(page.status).toBe(200);
    expect(page.text).toContain('anonymous');
    expect(other.header()).toBeDefined();
    expect(other.header()).not.toBe(before);
    expect((await getPing(other)).json).toEqual({ status: 'anonymous' });
  });
});

describe('an explicit sign-out over Hono', () => {
  it('is final: a form post in flight across it cannot sign the old cookie in again', async () => {
    await start();
    const jar = await signedIn();
    const oldCookie = jar.clone();
    const slow = sendSlowly(
      running().origin,
      '/form',
      { method: 'POST', headers: FORM_POST, body: 'note=written+before+the+sign-out' },
      jar.clone(),
    );
    await formsInFlight(running());
    const out = await send(
      running().origin,
      '/test/sign-out',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      jar,
    );
    expect(out.status).toBe(200);
    expect(out.headers['clear-site-data']).toBe('"cache"');
    expect(jar.header()).toBeUndefined();
    expect(await running().sessionCount()).toBe(0);
    slow.finish();
    const form = await slow.reply;
    expect(form.json).toEqual({ note: 'written before the sign-out' });
    // hono-sessions saved the request's copy back under the old id...
    expect(await running().sessionCount()).toBe(1);
    // ...which opens nothing (it says it was signed out), and is removed on its first use.
    expect((await getPing(oldCookie)).json).toEqual({ status: 'anonymous', reason: 'logout' });
    expect(await running().sessionCount()).toBe(0);
    const page = await send(running().origin, '/', { headers: NAVIGATE }, oldCookie);
    expect(page.text).toContain('anonymous');
  });

  it("is refused 403 from another origin by Hono's default error handler, and nothing ends", async () => {
    const bare = await startBare({ withSessions: true });
    const jar = new CookieJar();
    await send(bare.origin, '/sign-in', { method: 'POST' }, jar);
    const foreign = await send(
      bare.origin,
      '/sign-out',
      { method: 'POST', headers: { origin: 'http://evil.example' } },
      jar,
    );
    expect(foreign.status).toBe(403);
    expect(foreign.json?.status).toBe('error');
    const ping = await send(
      bare.origin,
      '/session-security/ping',
      { headers: SAME_ORIGIN_FETCH },
      jar,
    );
    expect(ping.json?.status).toBe('active');
  });
});

describe('a session store that fails under Hono', () => {
  it('answers 503 while every operation fails, never a 500, and the same cookie works after', async () => {
    const down = { on: false };
    await start({ sessionStoreFails: () => down.on });
    const jar = await signedIn();
    down.on = true;
    const page = await send(running().origin, '/', { headers: NAVIGATE }, jar.clone());
    expect(page.status).toBe(503);
    expect(page.headers['retry-after']).toBe('5');
    expect(page.text).not.toContain('ada');
    const ping = await getPing(jar.clone());
    expect(ping.status).toBe(503);
    expect(ping.json?.status).toBe('error');
    expect(running().appErrors).toEqual([]);
    expect(running().logger.errors.length).toBeGreaterThan(0);
    down.on = false;
    expect((await getPing(jar)).json?.status).toBe('active');
  });

  it('answers 503, not a new anonymous session, when only the read fails', async () => {
    // hono-sessions takes a failed read for a missing session and would make a new one, whose
    // cookie would replace the user's: the guard hands it a session marked unread instead.
    const down = { on: false };
    await start({ sessionStoreFails: (operation) => down.on && operation === 'get' });
    const jar = await signedIn();
    const cookie = jar.header();
    down.on = true;
    const data = await send(running().origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
    expect(data.status).toBe(503);
    // hono-sessions sets its cookie again, naming the same session: nothing replaces it.
    for (const line of [data.headers['set-cookie'] ?? []].flat()) {
      expect(line.split(';')[0]).toBe(cookie);
    }
    expect(jar.header()).toBe(cookie);
    down.on = false;
    const back = await send(running().origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
    expect(back.json).toEqual({ user: 'ada' });
  });

  it("is answered 503 by Hono's default error handler, without an onError of the app's", async () => {
    const down = { on: false };
    const bare = await startBare({ withSessions: true, storeDown: () => down.on });
    const jar = new CookieJar();
    await send(bare.origin, '/sign-in', { method: 'POST' }, jar);
    down.on = true;
    const ping = await send(
      bare.origin,
      '/session-security/ping',
      { headers: SAME_ORIGIN_FETCH },
      jar,
    );
    expect(ping.status).toBe(503);
    expect(ping.json?.status).toBe('error');
    down.on = false;
    const back = await send(
      bare.origin,
      '/session-security/ping',
      { headers: SAME_ORIGIN_FETCH },
      jar,
    );
    expect(back.json?.status).toBe('active');
  });

  it('fails only the request whose read failed: a new visitor in the same tick gets a session', async () => {
    // One store for both: reads of the signed-in session fail; creating sessions works.
    const store = new JsonMemoryStore();
    const read = store.getSessionById.bind(store);
    store.getSessionById = async (id) => {
      if (id === 'signed-in') throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      return read(id);
    };
    const hono = new Hono<{ Variables: { session: Session<Record<string, unknown>> } }>();
    const quiet = { warn: () => {}, error: () => {} };
    hono.use(sessionMiddleware({ store: guardSessionStore(store, { logger: quiet }) }));
    hono.use(
      sessionSecurity({
        drafts: false,
        isAuthenticated: (c) => Boolean(c.get('session')?.get('user')),
        logger: quiet,
      }),
    );
    hono.get('/', (c) => c.text('page'));
    const get = (cookie?: string) =>
      hono.fetch(
        new Request('http://app.test/', {
          headers: { ...NAVIGATE, ...(cookie ? { cookie } : {}) },
        }),
      );
    // Started in one turn of the event loop: a flag shared by the store's calls would fail both.
    const answers = await Promise.all([
      get('session=signed-in'),
      get(),
      get('session=signed-in'),
      get(),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([503, 200, 503, 200]);
    for (const visitor of [answers[1], answers[3]]) {
      expect(visitor?.headers.get('set-cookie')).toMatch(/^session=[0-9a-f-]{36};/);
    }
    // The unread session was never written back over the stored one.
    expect(store.sessions.has('signed-in')).toBe(false);
  });

  it('takes a request as anonymous when no session middleware ran, whatever cookie it carries', async () => {
    const bare = await startBare({ withSessions: false });
    const withCookie = await send(bare.origin, '/', {
      headers: { ...NAVIGATE, cookie: 'session=abc' },
    });
    expect(withCookie.text).toBe('page');
    expect((await send(bare.origin, '/', { headers: NAVIGATE })).text).toBe('page');
    const ping = await send(bare.origin, '/session-security/ping', {
      headers: { ...SAME_ORIGIN_FETCH, cookie: 'session=abc' },
    });
    expect(ping.status).toBe(401);
    expect(ping.json).toEqual({ status: 'anonymous' });
  });
});

describe('the client over Hono', () => {
  it('serves the script and stylesheet, immutable under their hash, 304 on revalidation', async () => {
    await start();
    const script = await send(running().origin, '/session-security/client.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect(script.text.length).toBeGreaterThan(1000);
    const etag = String(script.headers.etag);
    const again = await send(running().origin, '/session-security/client.js', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const css = await send(
      running().origin,
      `/session-security/client.css?v=${etag.replaceAll('"', '')}`,
    );
    expect(css.status).toBe(200);
    const versioned = await send(
      running().origin,
      `/session-security/client.js?v=${etag.replaceAll('"', '')}`,
    );
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const head = await send(running().origin, '/session-security/client.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it("renders clientTags(c) from the request's own step: config, nonce, catalogue; '' anonymous", async () => {
    await start({ security: { loginUrl: '/login' } });
    const jar = await signedIn();
    running().clock.advance(10);
    const page = await send(running().origin, '/test/page?lang=fr&nonce=abc123', {}, jar);
    expect(page.text).toContain('<script src="/session-security/client.js?v=');
    expect(page.text).toContain('nonce="abc123"');
    const config = JSON.parse(
      /<script type="application\/json"[^>]*>(.*?)<\/script>/s.exec(page.text)?.[1] ?? '{}',
    );
    expect(config).toMatchObject({
      pingUrl: '/session-security/ping',
      loginUrl: '/login',
      idleFor: 0,
      lang: 'fr',
    });
    const configOnly = await send(running().origin, '/test/page?script=false', {}, jar);
    expect(configOnly.text).not.toContain('client.js');
    expect((await send(running().origin, '/test/page')).text).toBe('');
  });
});

describe('another Hono session middleware, through the session option', () => {
  it('runs over a WebSession the app adapts itself, 503 while it cannot load the session', async () => {
    const clock = new FakeClock();
    const stored = new Map<string, Map<string, unknown>>();
    const down = { on: false };
    const hono = new Hono<{ Variables: { mySession: WebSession | undefined } }>();
    // A minimal session middleware of the app's own: a Map per `sid` cookie; while "down", a
    // session it could not load (`unavailable`).
    hono.use(async (c, next) => {
      const sid = /(?:^|;\s*)sid=([^;]+)/.exec(c.req.header('cookie') ?? '')?.[1];
      const data = sid === undefined ? undefined : stored.get(sid);
      const unread: WebSession = {
        unavailable: true,
        id: () => sid,
        get: () => undefined,
        set: () => {},
        delete: () => {},
        destroy: () => {},
        regenerate: () => {},
      };
      c.set(
        'mySession',
        sid === undefined || data === undefined
          ? undefined
          : down.on
            ? unread
            : {
                id: () => sid,
                get: (key) => data.get(key),
                set: (key, value) => void data.set(key, value),
                delete: (key) => void data.delete(key),
                destroy: () => {
                  stored.delete(sid);
                  c.header('set-cookie', 'sid=; Max-Age=0; Path=/', { append: true });
                },
                regenerate: () => {
                  data.clear();
                },
              },
      );
      await next();
    });
    const security = sessionSecurity({
      drafts: false,
      isAuthenticated: (c) => c.get('mySession')?.get('user') === 'ada',
      session: (c) => c.get('mySession'),
      clock,
      logger: { warn: () => {}, error: () => {} },
    });
    hono.use(security);
    hono.get('/', (c) => c.text('page'));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          if ('closeAllConnections' in server) server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stored.set('s1', new Map<string, unknown>([['user', 'ada']]));
    const jar = new CookieJar();
    jar.cookies.set('sid', 's1');
    const ping = () => send(origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
    expect((await ping()).json?.status).toBe('active');
    expect(stored.get('s1')?.has('sessionSecurity')).toBe(true);
    down.on = true;
    expect((await ping()).status).toBe(503);
    down.on = false;
    clock.advance(900);
    const expired = await send(origin, '/', { headers: SAME_ORIGIN_FETCH }, jar);
    expect(expired.json).toEqual({ status: 'expired', reason: 'idle' });
    expect(stored.has('s1')).toBe(false);
    expect(jar.header()).toBeUndefined();
  });
});

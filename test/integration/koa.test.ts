// The Koa adapter over real HTTP: Koa 3 + koa-session 7 with an external store (the conformance
// harness), and small apps of its own for what only Koa and koa-session do (mount order, body
// parsers, the store guard). A fake server clock; no long sleeps.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import Koa, { type Context, type Middleware } from 'koa';
import session from 'koa-session';
import { SessionSecurityError } from 'session-security';
import { guardSessionStore, type KoaSessionStore, sessionSecurity } from 'session-security/koa';
import { redisStore } from 'session-security/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConformanceApp, formsInFlight, type HarnessOptions } from '../conformance/harness.js';
import { koaHarness, MapSessionStore } from '../conformance/harness-koa.js';
import {
  CookieJar,
  FakeClock,
  NAVIGATE,
  SAME_ORIGIN_FETCH,
  send,
  sendSlowly,
} from '../support/http.js';
import { testRedisPort } from '../support/test-redis.js';

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
  app = await koaHarness.start(options);
  return app;
}
const current = (): ConformanceApp => {
  if (!app) throw new Error('no app started');
  return app;
};
const getPing = (jar?: CookieJar) =>
  send(current().origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
const postPing = (jar: CookieJar, body: string, headers: Record<string, string> = JSON_POST) =>
  send(current().origin, '/session-security/ping', { method: 'POST', headers, body }, jar);

/** Signs in, lets the first request start the clock, then idles. */
async function signedInAndIdleFor(seconds: number): Promise<CookieJar> {
  const jar = await current().signIn();
  expect((await getPing(jar)).status).toBe(200);
  current().clock.advance(seconds);
  return jar;
}

/** Serves a Koa app built by the test on 127.0.0.1:0; closed after the test. */
async function serve(koa: Koa): Promise<string> {
  const server = createServer(koa.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Session {
  user?: string;
}
const sessionOf = (ctx: Context) => (ctx as unknown as { session: Session | null }).session;

/** A sign-in route as plain middleware: `POST /sign-in` puts `user` in the session. */
const signInRoute: Middleware = async (ctx, next) => {
  if (ctx.method !== 'POST' || ctx.path !== '/sign-in') return next();
  const current = sessionOf(ctx);
  if (current) current.user = 'ada';
  ctx.body = { signedIn: true };
};
const pageRoute: Middleware = (ctx) => {
  ctx.body = sessionOf(ctx)?.user ? 'hello ada' : 'anonymous';
};

function logger() {
  const errors: string[] = [];
  return { errors, warn: () => {}, error: (message: string) => void errors.push(message) };
}

describe('the ping', () => {
  it('answers GET with the status of a signed-in session, and 401 anonymous without one', async () => {
    await start();
    const anonymous = await getPing();
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toEqual({ status: 'anonymous' });
    expect(anonymous.headers['cache-control']).toBe('no-store');
    const jar = await signedInAndIdleFor(30);
    const reply = await getPing(jar);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.json).toMatchObject({ status: 'active', idleFor: 30, warnIn: 750, expireIn: 870 });
    current().clock.advance(10);
    expect((await getPing(jar)).json?.idleFor).toBe(40); // a GET never extends
  });

  it('merges a POST sinceActivity, and refuses a duplicated key it reads from the raw body', async () => {
    await start();
    const jar = await signedInAndIdleFor(100);
    const merged = await postPing(jar, '{"sinceActivity": 10}');
    expect(merged.status).toBe(200);
    expect(merged.json?.idleFor).toBe(10);
    const duplicated = await postPing(jar, '{"sinceActivity": 0, "sinceActivity": 0}');
    expect(duplicated.status).toBe(400);
    expect(String(duplicated.json?.error)).toMatch(/sinceActivity/);
    expect((await getPing(jar)).json?.idleFor).toBe(10);
  });

  it('answers 415 for a form, 413 for a large body, 405 with Allow for another method', async () => {
    await start();
    const jar = await signedInAndIdleFor(5);
    expect((await postPing(jar, 'sinceActivity=0', FORM_POST)).status).toBe(415);
    const large = await postPing(jar, `{"sinceActivity": 0, "x": "${'a'.repeat(2000)}"}`);
    expect(large.status).toBe(413);
    const put = await send(
      current().origin,
      '/session-security/ping',
      { method: 'PUT', headers: SAME_ORIGIN_FETCH },
      jar,
    );
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    expect((await getPing(jar)).json?.idleFor).toBe(5);
  });

  it('refuses another origin with 403, and takes the origin from X-Forwarded-* only with app.proxy', async () => {
    const proxied = {
      ...SAME_ORIGIN_FETCH,
      origin: 'https://app.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example',
    };
    await start();
    let jar = await signedInAndIdleFor(1);
    const foreign = { ...SAME_ORIGIN_FETCH, origin: 'http://evil.example' };
    expect(
      (await send(current().origin, '/session-security/ping', { headers: foreign }, jar)).status,
    ).toBe(403);
    expect(
      (await send(current().origin, '/session-security/ping', { headers: proxied }, jar)).status,
    ).toBe(403);
    await current().close();
    await start({ trustProxy: true });
    jar = await signedInAndIdleFor(1);
    expect(
      (await send(current().origin, '/session-security/ping', { headers: proxied }, jar)).status,
    ).toBe(200);
  });

  it('reads the ping from a body parser that ran first: rawBody keeps duplicated keys', async () => {
    const koa = new Koa();
    koa.keys = ['test secret'];
    koa.use(session({ store: guardSessionStore(new MapSessionStore()) }, koa));
    // A JSON body parser mounted before session-security, as koa-bodyparser sets its results.
    koa.use(async (ctx, next) => {
      if (ctx.is('application/json')) {
        const chunks: Buffer[] = [];
        for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        const request = ctx.request as { rawBody?: string; body?: unknown };
        request.rawBody = text;
        request.body = JSON.parse(text);
      }
      await next();
    });
    const clock = new FakeClock();
    koa.use(
      sessionSecurity({
        drafts: false,
        isAuthenticated: (ctx) => Boolean(sessionOf(ctx)?.user),
        clock,
      }),
    );
    koa.use(signInRoute);
    const origin = await serve(koa);
    const jar = new CookieJar();
    await send(origin, '/sign-in', { method: 'POST' }, jar);
    await send(origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
    clock.advance(100);
    const ping = (body: string) =>
      send(origin, '/session-security/ping', { method: 'POST', headers: JSON_POST, body }, jar);
    expect((await ping('{"sinceActivity": 40}')).json?.idleFor).toBe(40);
    expect((await ping('{"sinceActivity": 0, "sinceActivity": 0}')).status).toBe(400);
  });
});

describe('expiry', () => {
  it('redirects an expired page load 303 to loginUrl with next, uncached, and answers fetches 401', async () => {
    await start({ security: { loginUrl: '/login' } });
    const jar = await signedInAndIdleFor(900);
    const page = await send(
      current().origin,
      '/api/data?x=1&sort=a%20b',
      { headers: NAVIGATE },
      jar,
    );
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe(
      '/login?next=%2Fapi%2Fdata%3Fx%3D1%26sort%3Da%2520b&reason=idle',
    );
    expect(page.headers['cache-control']).toBe('no-store');
    expect(jar.header()).toBeUndefined(); // koa-session cleared the cookie
    expect(await current().sessionCount()).toBe(0);
    const other = await signedInAndIdleFor(900);
    const data = await send(current().origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, other);
    expect(data.status).toBe(401);
    expect(data.json).toEqual({ status: 'expired', reason: 'idle' });
  });

  it('without loginUrl, hands the page load on with a fresh anonymous session under a new key', async () => {
    await start();
    const jar = await signedInAndIdleFor(900);
    const before = jar.header();
    const page = await send(current().origin, '/', { headers: NAVIGATE }, jar);
    expect(page.status).toBe(200);
    expect(page.text).toContain('anonymous');
    expect(jar.header()).toBeDefined();
    expect(jar.header()).not.toBe(before);
    expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
  });

  it('ends the session through the logout hook when one is given', async () => {
    const ended: string[] = [];
    await start({
      security: {
        logout: (ctx: Context) => {
          ended.push(ctx.path);
          const current = sessionOf(ctx);
          if (current) delete current.user;
        },
      },
    });
    const jar = await signedInAndIdleFor(900);
    expect((await getPing(jar)).json).toEqual({ status: 'expired', reason: 'idle' });
    expect(ended).toEqual(['/session-security/ping']);
    expect(await current().sessionCount()).toBe(1); // the hook kept the session
  });
});

describe('sign-out', () => {
  it('POST {prefix}/logout ends the session, clears its cookie and sends Clear-Site-Data', async () => {
    await start();
    const jar = await signedInAndIdleFor(5);
    expect(await current().sessionCount()).toBe(1);
    const reply = await send(
      current().origin,
      '/session-security/logout',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      jar,
    );
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ status: 'anonymous' });
    expect(reply.headers['clear-site-data']).toBe('"cache"');
    expect(jar.header()).toBeUndefined();
    expect(await current().sessionCount()).toBe(0);
  });

  it('security.signOut(ctx) is final: a form post in flight cannot save the sign-in back', async () => {
    await start();
    const jar = await signedInAndIdleFor(2);
    const oldCookie = jar.clone();
    const slow = sendSlowly(
      current().origin,
      '/form',
      { method: 'POST', headers: FORM_POST, body: 'note=written+before+the+sign-out' },
      jar.clone(),
    );
    await formsInFlight(current());
    const out = await send(
      current().origin,
      '/test/sign-out',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      jar,
    );
    expect(out.status).toBe(200);
    expect(out.headers['clear-site-data']).toBe('"cache"');
    slow.finish();
    const posted = await slow.reply;
    expect(posted.json).toEqual({ note: 'written before the sign-out' });
    // koa-session saved the in-flight copy back under the old key; the key is remembered as ended.
    const reply = await getPing(oldCookie);
    expect(reply.status).toBe(401);
    expect(reply.json).toEqual({ status: 'anonymous' });
    expect((await send(current().origin, '/', { headers: NAVIGATE }, oldCookie)).text).toContain(
      'anonymous',
    );
    expect(await current().sessionCount()).toBe(0);
  });

  it('security.signOut(ctx) from another origin is a 403 from Koa, and the user stays signed in', async () => {
    await start();
    const jar = await signedInAndIdleFor(2);
    const reply = await send(
      current().origin,
      '/test/sign-out',
      { method: 'POST', headers: { origin: 'http://evil.example' } },
      jar,
    );
    expect(reply.status).toBe(403);
    expect(reply.headers['clear-site-data']).toBeUndefined();
    expect(reply.text).toMatch(/not allowed/); // Koa shows the exposed message
    expect(current().appErrors).toEqual([]);
    expect((await getPing(jar)).status).toBe(200);
  });
});

describe('with the Redis store', () => {
  it('keeps the clock in Redis from start(ctx), and signs out for good with a request in flight', async () => {
    const client = new Redis({ host: '127.0.0.1', port: testRedisPort(), lazyConnect: true });
    await client.connect();
    const prefix = `ss-koa-test-${process.pid}-${Date.now()}:`;
    try {
      const store = redisStore({ client, prefix, now: () => current().clock.now() });
      await start({ security: { store } });
      const jar = await current().signIn({ start: true });
      // One record; the rest are the lists of sign-ins (the user's, and the due list with the
      // sweep's cursor), and the store's mark (which tells a loss of Redis's data).
      await expect.poll(() => client.exists(`${prefix}mark`)).toBe(1);
      const keys = await client.keys(`${prefix}*`);
      const lists = (key: string) =>
        key.startsWith(`${prefix}index:`) || key.startsWith(`${prefix}due:`);
      expect(keys.filter((key) => !lists(key) && key !== `${prefix}mark`)).toHaveLength(1);
      expect(keys.filter((key) => key.startsWith(`${prefix}index:user:`))).toHaveLength(1);
      expect(keys.filter((key) => key.startsWith(`${prefix}due:`))).toHaveLength(2);
      current().clock.advance(30);
      expect((await getPing(jar)).json?.idleFor).toBe(30);
      const oldCookie = jar.clone();
      const slow = sendSlowly(
        current().origin,
        '/form',
        { method: 'POST', headers: FORM_POST, body: 'note=in+flight' },
        jar.clone(),
      );
      await formsInFlight(current());
      const out = await send(
        current().origin,
        '/test/sign-out',
        { method: 'POST', headers: SAME_ORIGIN_FETCH },
        jar,
      );
      expect(out.status).toBe(200);
      slow.finish();
      expect((await slow.reply).status).toBe(200);
      // The session holds only the sign-in's marker: the request in flight had nothing to save.
      expect((await getPing(oldCookie)).json).toEqual({ status: 'anonymous' });
      expect(await current().sessionCount()).toBe(0);
    } finally {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    }
  });
});

describe('when the session store fails', () => {
  it('answers 503 (not 500) without leaking the cause, logs once, and keeps the same cookie signed in', async () => {
    const state = { down: false };
    await start({ sessionStoreFails: () => state.down });
    const jar = await signedInAndIdleFor(10);
    const cookie = jar.header();
    state.down = true;
    for (const reply of [
      await send(current().origin, '/', { headers: NAVIGATE }, jar),
      await getPing(jar),
      await postPing(jar, '{"sinceActivity": 0}'),
    ]) {
      expect(reply.status).toBe(503);
      expect(reply.headers['retry-after']).toBe('5');
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.headers['set-cookie']).toBeUndefined();
      expect(reply.text).not.toMatch(/ECONNREFUSED|hello|anonymous/);
    }
    expect(current().appErrors).toEqual([]);
    expect(current().logger.errors).toHaveLength(1);
    expect(current().logger.errors[0]).toContain('ECONNREFUSED');
    state.down = false;
    const back = await getPing(jar);
    expect(back.status).toBe(200);
    expect(back.json?.idleFor).toBe(10);
    expect(jar.header()).toBe(cookie);
    expect((await send(current().origin, '/', { headers: NAVIGATE }, jar)).text).toContain(
      'hello ada',
    );
  });

  it('answers 503 when a sign-out cannot destroy the session, and the sign-in stays ended', async () => {
    const state = { down: false };
    await start({ sessionStoreFails: (operation) => state.down && operation === 'destroy' });
    const jar = await signedInAndIdleFor(10);
    state.down = true;
    const out = await send(
      current().origin,
      '/test/sign-out',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      jar.clone(),
    );
    expect(out.status).toBe(503);
    expect(current().appErrors).toEqual([]);
    state.down = false;
    expect((await getPing(jar)).json).toEqual({ status: 'anonymous', reason: 'logout' });
  });

  it('fails a store that does not answer within the time limit with a 503', async () => {
    const hanging: KoaSessionStore = {
      get: () => new Promise(() => {}),
      set: async () => {},
      destroy: async () => {},
    };
    const log = logger();
    const koa = new Koa();
    koa.keys = ['test secret'];
    const appErrors: unknown[] = [];
    koa.on('error', (error) => appErrors.push(error));
    const store = guardSessionStore(hanging, { timeout: 50, logger: log });
    koa.use(session({ store, signed: false }, koa));
    koa.use(sessionSecurity({ drafts: false, isAuthenticated: () => true }));
    koa.use(pageRoute);
    const origin = await serve(koa);
    const started = Date.now();
    const reply = await send(origin, '/', { headers: { ...NAVIGATE, cookie: 'koa.sess=abc' } });
    expect(reply.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(log.errors[0]).toMatch(/could not read a session: no answer in 50 ms/);
    expect((appErrors[0] as Error).name).toBe('SessionStoreUnavailableError');
  });

  it('refuses a time limit that is not a positive number of milliseconds', () => {
    expect(() => guardSessionStore(new MapSessionStore(), { timeout: 0 })).toThrow(
      SessionSecurityError,
    );
    expect(() => guardSessionStore(new MapSessionStore(), { timeout: Number.NaN })).toThrow(
      /timeout \(NaN\) must be a number of milliseconds/,
    );
  });
});

describe('a request whose session cookie arrives with no session', () => {
  it('is a 503 with a clear log when koa-session is not mounted', async () => {
    const log = logger();
    const koa = new Koa();
    koa.use(sessionSecurity({ drafts: false, isAuthenticated: () => true, logger: log }));
    koa.use(pageRoute);
    const origin = await serve(koa);
    const reply = await send(origin, '/', { headers: { ...NAVIGATE, cookie: 'koa.sess=abc' } });
    expect(reply.status).toBe(503);
    expect(reply.text).not.toContain('anonymous');
    expect(log.errors[0]).toContain('mount the session middleware before session-security');
  });

  it('is a 503, not an anonymous visitor, when session-security runs before koa-session', async () => {
    const log = logger();
    const koa = new Koa();
    koa.keys = ['test secret'];
    const store = guardSessionStore(new MapSessionStore());
    koa.use(
      sessionSecurity({
        drafts: false,
        isAuthenticated: (ctx) => Boolean(sessionOf(ctx)?.user),
        logger: log,
      }),
    );
    koa.use(session({ store }, koa));
    koa.use(signInRoute);
    koa.use(pageRoute);
    const origin = await serve(koa);
    const jar = new CookieJar();
    expect((await send(origin, '/sign-in', { method: 'POST' }, jar)).status).toBe(200);
    expect(store.sessions.size).toBe(1);
    const page = await send(origin, '/', { headers: NAVIGATE }, jar);
    expect(page.status).toBe(503);
    expect(page.text).not.toContain('anonymous');
    expect(log.errors[0]).toContain('mount the session middleware before session-security');
  });

  it('is an anonymous visitor when the store no longer has the session (mounted in order)', async () => {
    await start();
    const jar = await signedInAndIdleFor(2);
    await send(current().origin, '/test/sign-out', { method: 'POST' }, jar.clone());
    expect(await current().sessionCount()).toBe(0);
    const page = await send(current().origin, '/', { headers: NAVIGATE }, jar);
    expect(page.status).toBe(200);
    expect(page.text).toContain('anonymous');
  });
});

describe('the browser client', () => {
  it('serves the script and stylesheet: immutable under their hash, 304 on a matching ETag, HEAD without body', async () => {
    await start();
    const script = await send(current().origin, '/session-security/client.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('no-cache');
    expect(script.text.length).toBeGreaterThan(1000);
    const etag = String(script.headers.etag);
    const hash = etag.slice(1, -1);
    const versioned = await send(current().origin, `/session-security/client.css?v=${hash}`);
    expect(versioned.headers['content-type']).toBe('text/css; charset=utf-8');
    const css = await send(
      current().origin,
      `/session-security/client.css?v=${String(versioned.headers.etag).slice(1, -1)}`,
    );
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const again = await send(current().origin, '/session-security/client.js', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const head = await send(current().origin, '/session-security/client.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('clientTags renders the tags for a signed-in page, with the catalogue and nonce, and nothing when anonymous', async () => {
    await start();
    expect((await send(current().origin, '/test/page')).text).toBe('');
    const jar = await signedInAndIdleFor(20);
    // A passive page load: the config shows the idle time this request's own step found.
    const page = await send(
      current().origin,
      '/test/page?lang=fr&nonce=abc123',
      { headers: { 'x-session-security': 'passive' } },
      jar,
    );
    expect(page.text).toMatch(/<link rel="stylesheet" href="\/session-security\/client\.css\?v=/);
    expect(page.text).toMatch(
      /<script src="\/session-security\/client\.js\?v=[^"]+" defer nonce="abc123">/,
    );
    const config = JSON.parse(
      /<script type="application\/json"[^>]*>(.*?)<\/script>/s.exec(page.text)?.[1] ?? '{}',
    );
    expect(config).toMatchObject({ pingUrl: '/session-security/ping', idleFor: 20, lang: 'fr' });
    expect(config.messages).toBeDefined();
    const configOnly = await send(current().origin, '/test/page?script=false', {}, jar);
    expect(configOnly.text).not.toContain('client.js');
  });
});

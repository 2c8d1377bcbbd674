// The Fastify adapter over real HTTP: what Fastify would otherwise decide itself (404/405, 415,
// 413, duplicated JSON keys, rolling cookies, store errors as 500s), sign-out with a request in
// flight, the client's assets and tags. The protocol itself is the conformance suite's.

import cookie from '@fastify/cookie';
import session, { type FastifySessionOptions, type SessionStore } from '@fastify/session';
import Fastify, { type FastifyInstance, type FastifyRequest, type Session } from 'fastify';
import { SessionSecurityError, type SessionSecurityOptions } from 'session-security';
import {
  type FastifySessionSecurity,
  guardSessionStore,
  SessionStoreUnavailableError,
  sessionSecurity,
} from 'session-security/fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ConformanceApp,
  formsInFlight,
  type HarnessOptions,
  testLogger,
} from '../conformance/harness.js';
import { fastifyHarness } from '../conformance/harness-fastify.js';
import {
  CookieJar,
  FakeClock,
  NAVIGATE,
  type Reply,
  SAME_ORIGIN_FETCH,
  send,
  sendSlowly,
} from '../support/http.js';

const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
const FORM_POST = { ...NAVIGATE, 'content-type': 'application/x-www-form-urlencoded' };

let app: ConformanceApp | undefined;
let own: OwnApp | undefined;
afterEach(async () => {
  await app?.close();
  await own?.close();
  app = undefined;
  own = undefined;
});

/** The conformance harness's Fastify app. */
async function start(options?: HarnessOptions): Promise<ConformanceApp> {
  app = await fastifyHarness.start(options);
  return app;
}

/** Any app with an origin: the harness's or one of this file's own. */
type Served = { origin: string };
const getPing = (
  on: Served,
  jar?: CookieJar,
  headers: Record<string, string> = SAME_ORIGIN_FETCH,
) => send(on.origin, '/session-security/ping', { headers }, jar);
const postPing = (
  on: Served,
  jar: CookieJar | undefined,
  body: string,
  headers: Record<string, string> = JSON_POST,
) => send(on.origin, '/session-security/ping', { method: 'POST', headers, body }, jar);

/** Signs in to the harness's app, starts the clock with a first ping, then lets it idle. */
async function signedInAndIdleFor(seconds: number) {
  if (app === undefined) throw new Error('start the app first');
  const jar = await app.signIn();
  expect((await getPing(app, jar)).status).toBe(200);
  app.clock.advance(seconds);
  return jar;
}

interface OwnApp {
  origin: string;
  clock: FakeClock;
  logger: ReturnType<typeof testLogger>;
  /** The sessions the MemoryStore holds, by id. */
  sessions: Map<string, Session>;
  /** POST /form requests past session-security, not yet answered. */
  formsInFlight(): number;
  signIn(): Promise<CookieJar>;
  close(): Promise<void>;
}

/**
 * A Fastify app of this file's own, for what the harness does not offer: access to the store, a
 * store of the test's choosing, no error handler of the app's, routes in an encapsulated plugin.
 */
async function startOwn(
  setup: {
    store?: (memory: InstanceType<typeof session.MemoryStore>) => SessionStore;
    security?: Partial<SessionSecurityOptions<FastifyRequest>>;
    session?: Partial<FastifySessionOptions>;
    routes?: (app: FastifyInstance, security: FastifySessionSecurity) => void;
  } = {},
): Promise<OwnApp> {
  const clock = new FakeClock();
  const logger = testLogger();
  const sessions = new Map<string, Session>();
  const memory = new session.MemoryStore(sessions);
  const fastify = Fastify();
  await fastify.register(cookie);
  await fastify.register(session, {
    secret: 'a test secret of at least thirty-two characters',
    saveUninitialized: false,
    cookie: { secure: false, maxAge: 3_600_000 },
    store: setup.store ? setup.store(memory) : memory,
    ...setup.session,
  });
  const security = sessionSecurity({
    drafts: false,
    loginUrl: '/login',
    isAuthenticated: (request) => typeof request.session.user === 'string',
    clock,
    logger,
    ...setup.security,
  });
  await fastify.register(security);
  let formsInFlight = 0;
  // After session-security's onRequest hook, before the body is read.
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && request.url.split('?')[0] === '/form') {
      formsInFlight++;
      reply.raw.on('close', () => formsInFlight--);
    }
  });
  fastify.post('/sign-in', async (request) => {
    await request.session.regenerate();
    request.session.set('user', 'ada');
    await security.start(request);
    return { signedIn: true };
  });
  setup.routes?.(fastify, security);
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  const address = fastify.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const origin = `http://127.0.0.1:${address.port}`;
  own = {
    origin,
    clock,
    logger,
    sessions,
    formsInFlight: () => formsInFlight,
    async signIn() {
      const jar = new CookieJar();
      const reply = await send(origin, '/sign-in', { method: 'POST' }, jar);
      expect(reply.status).toBe(200);
      return jar;
    },
    async close() {
      fastify.server.closeAllConnections();
      await fastify.close();
    },
  };
  return own;
}

function expectLibraryError(reply: Reply, status: number, error: RegExp) {
  expect(reply.status).toBe(status);
  expect(reply.headers['cache-control']).toBe('no-store');
  expect(reply.json?.status).toBe('error');
  expect(String(reply.json?.error)).toMatch(error);
}

describe('the library’s routes come before Fastify’s routing and body parsing', () => {
  it.each([
    ['PUT', '/session-security/ping', 'GET, POST'],
    ['PATCH', '/session-security/ping', 'GET, POST'],
    ['DELETE', '/session-security/ping', 'GET, POST'],
    ['OPTIONS', '/session-security/ping', 'GET, POST'],
    ['GET', '/session-security/logout', 'POST'],
    ['PUT', '/session-security/client.js', 'GET, HEAD'],
  ])(
    'answers %s %s with 405 and Allow: %s, where Fastify has no route (404)',
    async (method, path, allow) => {
      const served = await start();
      const reply = await send(
        served.origin,
        path,
        { method, headers: { origin: 'https://evil.example' } },
        await served.signIn(),
      );
      expectLibraryError(reply, 405, /is not allowed on/);
      expect(reply.headers.allow).toBe(allow);
    },
  );

  it('answers HEAD of the ping 405 too, although Fastify makes HEAD routes of GET ones', async () => {
    const served = await start();
    const reply = await send(served.origin, '/session-security/ping', { method: 'HEAD' });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, POST');
  });

  it('checks the origin before the content type (403 before 415)', async () => {
    const served = await start();
    const reply = await postPing(served, await served.signIn(), 'sinceActivity=1', {
      origin: 'https://evil.example',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expectLibraryError(reply, 403, /origin/);
  });

  it.each([
    ['text/plain', 'x'.repeat(5000)],
    ['application/x-www-form-urlencoded', 'sinceActivity=1'],
    ['application/json-patch+json', '{"sinceActivity":1}'],
  ])(
    'answers a %s body 415 itself, before its size (the harness parses forms)',
    async (type, body) => {
      const served = await start();
      const reply = await postPing(served, await served.signIn(), body, {
        ...SAME_ORIGIN_FETCH,
        'content-type': type,
      });
      expectLibraryError(reply, 415, /send application\/json/);
    },
  );

  it('answers a POST without Content-Type 415, where Fastify would hand an empty body on', async () => {
    const served = await start();
    const reply = await send(
      served.origin,
      '/session-security/ping',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      await served.signIn(),
    );
    expectLibraryError(reply, 415, /Content-Type is missing/);
  });

  it('answers a body over 1 KB 413 (Fastify’s own limit is 1 MB), before the session (413 before 401)', async () => {
    const served = await start();
    const body = `{"sinceActivity":1,"pad":"${'x'.repeat(2000)}"}`;
    expectLibraryError(await postPing(served, undefined, body), 413, /larger than 1024 bytes/);
    const jar = await signedInAndIdleFor(50);
    expectLibraryError(await postPing(served, jar, body), 413, /larger than 1024 bytes/);
    expect((await getPing(served, jar)).json?.idleFor).toBe(50);
  });

  it('checks the session before the body (401 before 400)', async () => {
    const served = await start();
    const reply = await postPing(served, undefined, '{"sinceActivity": ');
    expect(reply.status).toBe(401);
    expect(reply.json).toEqual({ status: 'anonymous' });
  });

  it('answers bad JSON 400 with its own message, not Fastify’s parser’s', async () => {
    const served = await start();
    const jar = await signedInAndIdleFor(50);
    const reply = await postPing(served, jar, '{"sinceActivity": ');
    expectLibraryError(reply, 400, /the body is not valid JSON/);
    expect(reply.json?.code).toBeUndefined();
    expect((await getPing(served, jar)).json?.idleFor).toBe(50);
  });

  it('refuses duplicated JSON keys 400, which Fastify’s parser would merge into the last', async () => {
    const served = await start();
    const jar = await signedInAndIdleFor(50);
    const reply = await postPing(served, jar, '{"sinceActivity": 1000, "sinceActivity": 0}');
    expectLibraryError(reply, 400, /sinceActivity appears 2 times/);
    expect((await getPing(served, jar)).json?.idleFor).toBe(50);
  });

  it('merges a well-formed ping', async () => {
    const served = await start();
    const jar = await signedInAndIdleFor(50);
    const reply = await postPing(served, jar, '{"sinceActivity": 5}');
    expect(reply.status).toBe(200);
    expect(reply.json?.idleFor).toBe(5);
  });

  it('answers an unknown route under the prefix 404 with its own body', async () => {
    const served = await start();
    const reply = await send(served.origin, '/session-security/pong');
    expectLibraryError(reply, 404, /not a session-security route/);
  });
});

describe('rolling session cookies', () => {
  it('renews the cookie on a GET ping but never extends the session', async () => {
    const served = await start();
    const jar = await signedInAndIdleFor(0);
    for (let elapsed = 100; elapsed < 900; elapsed += 100) {
      served.clock.advance(100);
      const reply = await getPing(served, jar);
      // @fastify/session's rolling: the cookie is set again on every answer.
      expect(reply.headers['set-cookie']?.[0]).toMatch(/^sessionId=/);
      expect(reply.json?.idleFor).toBe(elapsed);
    }
    served.clock.advance(100);
    expect((await getPing(served, jar)).json).toEqual({ status: 'expired', reason: 'idle' });
  });

  it('renews the cookie of a passive request without extending the session', async () => {
    const served = await start({ security: { passive: ['/api/poll'] } });
    const jar = await signedInAndIdleFor(600);
    const poll = await send(served.origin, '/api/poll', { headers: SAME_ORIGIN_FETCH }, jar);
    expect(poll.json).toEqual({ user: 'ada' });
    expect(poll.headers['set-cookie']).toBeDefined();
    expect((await getPing(served, jar)).json?.idleFor).toBe(600);
  });
});

describe('expiry on routes Fastify does not know', () => {
  it('redirects an expired navigation to an unmatched route 303 with next, not 404', async () => {
    const served = await start({ security: { loginUrl: '/login' } });
    const jar = await signedInAndIdleFor(900);
    const reply = await send(served.origin, '/no/such/page?x=1', { headers: NAVIGATE }, jar);
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/login?next=%2Fno%2Fsuch%2Fpage%3Fx%3D1&reason=idle');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(jar.header()).toBeUndefined();
  });

  it('redirects an expired form POST before its body is parsed, with the form’s page as next', async () => {
    const served = await start({ security: { loginUrl: '/login' } });
    const jar = await signedInAndIdleFor(900);
    const reply = await send(
      served.origin,
      '/form',
      {
        method: 'POST',
        headers: { ...FORM_POST, referer: `${served.origin}/form?draft=1` },
        body: 'note=too+late',
      },
      jar,
    );
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/login?next=%2Fform%3Fdraft%3D1&reason=idle');
    expect(reply.text).not.toContain('too late');
  });

  it('covers the routes of encapsulated plugins registered after it', async () => {
    const served = await startOwn({
      routes: (fastify) => {
        fastify.register(async (child) => {
          child.get('/reports', async (request) => ({ user: request.session.user ?? null }));
        });
      },
    });
    const jar = await served.signIn();
    served.clock.advance(600);
    const active = await send(served.origin, '/reports', { headers: SAME_ORIGIN_FETCH }, jar);
    expect(active.json).toEqual({ user: 'ada' });
    expect((await getPing(served, jar)).json?.idleFor).toBe(0);
    served.clock.advance(900);
    const expired = await send(served.origin, '/reports', { headers: NAVIGATE }, jar);
    expect(expired.status).toBe(303);
    expect(expired.headers.location).toBe('/login?next=%2Freports&reason=idle');
  });
});

describe('sign-out with a request in flight', () => {
  const appSignOut = (served: Served, jar: CookieJar) =>
    send(served.origin, '/test/sign-out', { method: 'POST', headers: SAME_ORIGIN_FETCH }, jar);
  const libraryLogout = (served: Served, jar: CookieJar) =>
    send(
      served.origin,
      '/session-security/logout',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      jar,
    );

  it.each([
    ["the app's own sign-out through security.signOut(request, reply)", appSignOut],
    ["the library's logout route", libraryLogout],
  ])('cannot sign the old cookie in again after %s', async (_name, signOut) => {
    const served = await start();
    const jar = await signedInAndIdleFor(2);
    const oldCookie = jar.clone();
    const slow = sendSlowly(
      served.origin,
      '/form',
      { method: 'POST', headers: FORM_POST, body: 'note=written+before+the+sign-out' },
      jar.clone(),
    );
    // The onRequest hooks run on the headers; the body parser then waits for the rest.
    await formsInFlight(served);
    const out = await signOut(served, jar);
    expect(out.status).toBe(200);
    expect(out.headers['clear-site-data']).toBe('"cache"');
    expect(out.headers['set-cookie']?.join()).toMatch(/^sessionId=;.*Expires=Thu, 01 Jan 1970/);
    expect(jar.header()).toBeUndefined();
    slow.finish();
    // The request in flight completes, and @fastify/session (rolling) saves its copy back.
    const late = await slow.reply;
    expect(late.status).toBe(200);
    expect(late.json).toEqual({ note: 'written before the sign-out' });
    expect((await getPing(served, oldCookie)).json).toEqual({
      status: 'anonymous',
      reason: 'logout',
    });
    const page = await send(served.origin, '/', { headers: NAVIGATE }, oldCookie.clone());
    expect(page.text).toContain('anonymous');
    expect((await getPing(served, oldCookie)).json).toEqual({ status: 'anonymous' });
  });

  it('leaves no signed-in session in the store once the saved-back copy comes back', async () => {
    const served = await startOwn({
      routes: (fastify, security) => {
        fastify.post('/logout', async (request, reply) => {
          await security.signOut(request, reply);
          return reply.redirect('/login', 303);
        });
        fastify.addContentTypeParser(
          'application/x-www-form-urlencoded',
          { parseAs: 'string' },
          (_request, body, done) =>
            done(null, Object.fromEntries(new URLSearchParams(String(body)))),
        );
        fastify.post('/form', async (request) => ({ body: request.body }));
      },
    });
    const jar = await served.signIn();
    const oldCookie = jar.clone();
    const slow = sendSlowly(
      served.origin,
      '/form',
      { method: 'POST', headers: FORM_POST, body: 'note=x' },
      jar.clone(),
    );
    await formsInFlight(served);
    const out = await send(served.origin, '/logout', { method: 'POST', headers: FORM_POST }, jar);
    expect(out.status).toBe(303);
    expect(served.sessions.size).toBe(0);
    slow.finish();
    expect((await slow.reply).status).toBe(200);
    expect([...served.sessions.values()].filter((data) => data.user)).toHaveLength(1);
    expect((await getPing(served, oldCookie)).json).toEqual({
      status: 'anonymous',
      reason: 'logout',
    });
    expect([...served.sessions.values()].filter((data) => data.user)).toEqual([]);
  });

  it('clears a session cookie of another name and prefix', async () => {
    const served = await startOwn({ session: { cookieName: 'app.sid', cookiePrefix: 's:' } });
    const jar = await served.signIn();
    expect(jar.header()).toMatch(/^app\.sid=s:/);
    const out = await libraryLogout(served, jar);
    expect(out.json).toEqual({ status: 'anonymous' });
    expect(out.headers['set-cookie']?.join()).toMatch(/^app\.sid=;.*Expires=Thu, 01 Jan 1970/);
    expect(jar.header()).toBeUndefined();
    expect(served.sessions.size).toBe(0);
  });

  it('refuses signOut from another origin with 403, and the user stays signed in', async () => {
    const served = await start();
    const jar = await signedInAndIdleFor(2);
    const reply = await send(
      served.origin,
      '/test/sign-out',
      {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      },
      jar,
    );
    expect(reply.status).toBe(403);
    expect(reply.headers['clear-site-data']).toBeUndefined();
    expect((await getPing(served, jar)).status).toBe(200);
    expect(served.appErrors).toEqual([]);
  });

  it('calls the logout hook with the Fastify request instead of destroying the session', async () => {
    const ended: string[] = [];
    const served = await start({
      security: {
        logout: (request: FastifyRequest) => {
          ended.push(String(request.session.user));
          delete request.session.user;
        },
      },
    });
    const jar = await signedInAndIdleFor(2);
    expect((await libraryLogout(served, jar)).json).toEqual({ status: 'anonymous' });
    expect(ended).toEqual(['ada']);
    expect(jar.header()).toMatch(/^sessionId=/);
    expect((await getPing(served, jar)).json).toEqual({ status: 'anonymous' });
    await send(served.origin, '/test/sign-in-same-session', { method: 'POST' }, jar);
    expect((await getPing(served, jar)).json?.idleFor).toBe(0);
  });
});

describe('when the session store fails', () => {
  it('answers 503, not 500, while reads fail, and the same cookie is signed in afterwards', async () => {
    const down = { on: false };
    const served = await start({
      sessionStoreFails: () => down.on,
      security: { loginUrl: '/login' },
    });
    const jar = await signedInAndIdleFor(10);
    down.on = true;
    for (const [path, headers] of [
      ['/', NAVIGATE],
      ['/session-security/ping', SAME_ORIGIN_FETCH],
      ['/api/data', SAME_ORIGIN_FETCH],
    ] as const) {
      const reply = await send(served.origin, path, { headers }, jar.clone());
      expect(reply.status).toBe(503);
      expect(reply.text).not.toMatch(/ada|ECONNREFUSED/);
    }
    expect(served.appErrors).toEqual([]);
    // Logged once for the three, with the store's own words, which the client never saw.
    expect(served.logger.errors).toHaveLength(1);
    expect(served.logger.errors[0]).toBe(
      'session-security: the session store could not read a session: connect ECONNREFUSED 127.0.0.1:6379 (1 time(s) since the last report; answering 503)',
    );
    down.on = false;
    const back = await getPing(served, jar);
    expect(back.status).toBe(200);
    expect(back.json?.idleFor).toBe(10);
  });

  it('answers 503 when the session cannot be saved at the end of the request', async () => {
    const failing = { set: false };
    const served = await start({
      sessionStoreFails: (operation) => failing.set && operation === 'set',
    });
    const jar = await signedInAndIdleFor(10);
    failing.set = true;
    const data = await send(
      served.origin,
      '/api/data',
      { headers: SAME_ORIGIN_FETCH },
      jar.clone(),
    );
    expect(data.status).toBe(503);
    expect(data.text).not.toContain('ada');
    expect(served.appErrors).toEqual([]);
    failing.set = false;
    expect((await getPing(served, jar)).json?.status).toBe('active');
  });

  it('answers 503 with Retry-After through Fastify’s default error handler when the store hangs', async () => {
    const hang = { on: false };
    const served = await startOwn({
      store: (memory) => {
        const get = memory.get.bind(memory);
        memory.get = (id, callback) => {
          if (!hang.on) get(id, callback);
        };
        return guardSessionStore(memory, { timeout: 50, logger: testLogger() });
      },
    });
    const jar = await served.signIn();
    hang.on = true;
    const began = Date.now();
    const reply = await getPing(served, jar.clone());
    expect(Date.now() - began).toBeLessThan(1000);
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('5');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.json?.message).toMatch(
      /^session-security: the session store could not read a session/,
    );
    hang.on = false;
    expect((await getPing(served, jar)).status).toBe(200);
  });
});

describe('guardSessionStore', () => {
  const callbackOf = (run: (callback: (error?: unknown) => void) => void) =>
    new Promise<unknown>((resolve) => run((error) => resolve(error)));

  it('passes a read that reports ENOENT (no such session) through unchanged', async () => {
    const notFound = Object.assign(new Error('no such session'), { code: 'ENOENT' });
    const store = guardSessionStore(
      { get: (_id, callback) => callback(notFound), set: () => {}, destroy: () => {} },
      { logger: testLogger() },
    );
    expect(await callbackOf((callback) => store.get('id', callback))).toBe(notFound);
  });

  it('turns any other failure of get, set or destroy into a SessionStoreUnavailableError (503)', async () => {
    const logger = testLogger();
    const down = (...args: unknown[]) => (args.at(-1) as (error: Error) => void)(new Error('down'));
    const store = guardSessionStore({ get: down, set: down, destroy: down }, { logger });
    const errors = [
      await callbackOf((callback) => store.get('id', callback)),
      await callbackOf((callback) =>
        store.set('id', { cookie: { originalMaxAge: null } }, callback),
      ),
      await callbackOf((callback) => store.destroy('id', callback)),
      await callbackOf((callback) => store.destroy('id', callback)),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect((error as SessionStoreUnavailableError).statusCode).toBe(503);
    }
    // One line per kind a minute: read, save, destroy.
    expect(logger.errors).toHaveLength(3);
  });

  it('refuses a timeout that is not a positive number of milliseconds', () => {
    const store = { get: () => {}, set: () => {}, destroy: () => {} };
    expect(() => guardSessionStore(store, { timeout: 0 })).toThrow(SessionSecurityError);
    expect(() => guardSessionStore(store, { timeout: Number.NaN })).toThrow(/timeout \(NaN\)/);
  });
});

describe('registration', () => {
  it('refuses to register without @fastify/session, naming it', async () => {
    const fastify = Fastify();
    await fastify.register(cookie);
    const security = sessionSecurity({ drafts: false, isAuthenticated: () => false });
    await expect(fastify.register(security).ready()).rejects.toThrow(/@fastify\/session/);
    await fastify.close();
  });
});

describe('the client', () => {
  it('renders no tags for an anonymous request and the config for a signed-in one', async () => {
    const served = await start({ security: { loginUrl: '/login' } });
    expect((await send(served.origin, '/test/page')).text).toBe('');
    const jar = await signedInAndIdleFor(30);
    const page = (await send(served.origin, '/test/page?lang=fr&nonce=abc123', {}, jar)).text;
    expect(page).toMatch(
      /<link rel="stylesheet" href="\/session-security\/client\.css\?v=[\w-]+">/,
    );
    expect(page).toContain('id="session-security-config"');
    expect(page).toContain('nonce="abc123"');
    expect(page).toContain('"pingUrl":"/session-security/ping"');
    expect(page).toContain('"loginUrl":"/login"');
    expect(page).toMatch(/<script src="\/session-security\/client\.js\?v=[\w-]+"/);
    const configOnly = (await send(served.origin, '/test/page?script=false', {}, jar)).text;
    expect(configOnly).not.toContain('client.js');
  });

  it('serves the script and stylesheet: immutable under their hash, revalidated by ETag', async () => {
    const served = await start();
    const jar = await signedInAndIdleFor(0);
    const page = (await send(served.origin, '/test/page', {}, jar)).text;
    const scriptUrl = /src="([^"]+client\.js\?v=[^"]+)"/.exec(page)?.[1] as string;
    const versioned = await send(served.origin, scriptUrl);
    expect(versioned.status).toBe(200);
    expect(versioned.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(versioned.text).toContain('session-security');
    const css = await send(served.origin, '/session-security/client.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('no-cache');
    const etag = String(css.headers.etag);
    const again = await send(served.origin, '/session-security/client.css', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const head = await send(served.origin, scriptUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('refuses the assets to another site', async () => {
    const served = await start();
    const reply = await send(served.origin, '/session-security/client.js', {
      headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
    });
    expect(reply.status).toBe(403);
  });
});

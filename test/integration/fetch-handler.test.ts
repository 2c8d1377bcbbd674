// The Web-standard handler of session-security/hono with plain Request/Response and no server:
// a Next.js-style route handler over a Map-based session the app loads from its own cookie.

import {
  LeaseRefusedError,
  type SessionSecurityEvent,
  SessionSecurityRequestError,
} from 'session-security';
import {
  errorResponse,
  type SessionSecurityHandler,
  type SessionSecurityHandlerOptions,
  sessionSecurityHandler,
  type WebSession,
} from 'session-security/web';
import { describe, expect, it } from 'vitest';
import { deferred } from '../support/deferred.js';
import { FakeClock, NAVIGATE, SAME_ORIGIN_FETCH } from '../support/http.js';

const ORIGIN = 'http://app.test';
const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };

/** Sessions in a Map, named by a `sid` cookie; `down` makes loading fail as a store outage does. */
class MapSessions {
  readonly sessions = new Map<string, Map<string, unknown>>();
  down = false;
  #next = 0;

  create(values: Record<string, unknown> = {}): string {
    const id = `s${++this.#next}`;
    this.sessions.set(id, new Map(Object.entries(values)));
    return id;
  }

  /** The request's session; undefined without a cookie, one it could not load while the store is down. */
  load(request: Request): (WebSession & { current: () => string | undefined }) | undefined {
    const sid = /(?:^|;\s*)sid=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
    if (sid === undefined) return undefined;
    if (this.down) {
      const nothing = () => undefined;
      const unread = { id: () => sid, get: nothing, set: nothing, delete: nothing };
      return {
        ...unread,
        destroy: nothing,
        regenerate: nothing,
        current: () => sid,
        unavailable: true,
      };
    }
    let id: string | undefined = sid;
    if (!this.sessions.has(sid)) this.sessions.set(sid, new Map());
    const data = () => (id === undefined ? undefined : this.sessions.get(id));
    return {
      current: () => id,
      id: () => id,
      get: (key) => data()?.get(key),
      set: (key, value) => {
        data()?.set(key, value);
      },
      delete: (key) => {
        data()?.delete(key);
      },
      destroy: () => {
        if (id !== undefined) this.sessions.delete(id);
        id = undefined;
      },
      regenerate: () => {
        if (id !== undefined) this.sessions.delete(id);
        id = this.create();
      },
    };
  }
}

function setUp(options: Partial<SessionSecurityHandlerOptions> = {}) {
  const clock = new FakeClock();
  const sessions = new MapSessions();
  const errors: string[] = [];
  const security = sessionSecurityHandler({
    drafts: false,
    expireAfter: 900,
    warnAfter: 780,
    loginUrl: '/login',
    isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
    clock,
    logger: { warn: () => {}, error: (message) => errors.push(message) },
    ...options,
  });
  return { clock, sessions, errors, security, ...routeHandler(security, sessions) };
}

/** The shape of a Next.js route handler (and middleware) using the handler. */
function routeHandler(security: SessionSecurityHandler, sessions: MapSessions) {
  async function pageRoute(request: Request): Promise<Response> {
    const session = sessions.load(request);
    const refused = await security.check(request, session);
    if (refused) return refused;
    const user = session?.get('user');
    const head = security.clientTags(request, session, { lang: 'en' });
    return new Response(
      `<head>${head}</head><p>${typeof user === 'string' ? user : 'anonymous'}</p>`,
      {
        headers: { 'content-type': 'text/html' },
      },
    );
  }
  /** `app/session-security/[...route]/route.ts`: the library's routes, 404 for the rest. */
  async function library(request: Request): Promise<Response> {
    return (
      (await security.handle(request, sessions.load(request))) ??
      new Response(null, { status: 404 })
    );
  }
  return { pageRoute, library };
}

const request = (path: string, init: RequestInit & { sid?: string } = {}) => {
  const { sid, headers, ...rest } = init;
  return new Request(`${ORIGIN}${path}`, {
    ...rest,
    headers: { ...(headers as Record<string, string>), ...(sid ? { cookie: `sid=${sid}` } : {}) },
  });
};
const ping = (sid?: string) =>
  request('/session-security/ping', { headers: SAME_ORIGIN_FETCH, sid });

describe('handle(request, session)', () => {
  it("answers the library's routes and leaves every other request untouched", async () => {
    const { sessions, security, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    const first = await library(ping(sid));
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.json()).toMatchObject({ status: 'active', idleFor: 0, expireAfter: 900 });
    const other = request('/dashboard', { headers: NAVIGATE, sid });
    expect(await security.handle(other, sessions.load(other))).toBeUndefined();
    expect(sessions.sessions.get(sid)?.has('sessionSecurity')).toBe(true);
    const script = await library(request('/session-security/client.js'));
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await script.text()).length).toBeGreaterThan(1000);
  });

  it('merges a POST ping and refuses a cross-origin one first', async () => {
    const { clock, sessions, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    clock.advance(60);
    const body = '{"sinceActivity": 4}';
    const posted = await library(
      request('/session-security/ping', { method: 'POST', headers: JSON_POST, body, sid }),
    );
    expect((await posted.json()).idleFor).toBe(4);
    const foreign = await library(
      request('/session-security/ping', {
        method: 'POST',
        headers: { ...JSON_POST, origin: 'https://evil.example' },
        body,
        sid,
      }),
    );
    expect(foreign.status).toBe(403);
  });

  it('refuses a streamed body over 1 KB with 413 without reading it all', async () => {
    const { sessions, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    let pulls = 0;
    const chunk = new TextEncoder().encode('x'.repeat(512));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        if (pulls > 2000)
          controller.close(); // a 1 MB body, if it were all read
        else controller.enqueue(chunk);
      },
    });
    const reply = await library(
      new Request(`${ORIGIN}/session-security/ping`, {
        method: 'POST',
        headers: { ...JSON_POST, cookie: `sid=${sid}` },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(reply.status).toBe(413);
    expect(pulls).toBeLessThan(10);
  });

  it('refuses a declared Content-Length over 1 KB without reading the body at all', async () => {
    const { sessions, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.close();
      },
    });
    const reply = await library(
      new Request(`${ORIGIN}/session-security/ping`, {
        method: 'POST',
        headers: { ...JSON_POST, cookie: `sid=${sid}`, 'content-length': '5000' },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(reply.status).toBe(413);
    expect(pulls).toBeLessThanOrEqual(1); // at most the stream's own first pull, never a read
  });

  it('answers 400 to a body that fails mid-way (the client hung up), and records nothing', async () => {
    const { clock, sessions, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    clock.advance(30);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"sinceAct'));
        controller.error(new Error('aborted'));
      },
    });
    const reply = await library(
      new Request(`${ORIGIN}/session-security/ping`, {
        method: 'POST',
        headers: { ...JSON_POST, cookie: `sid=${sid}` },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(reply.status).toBe(400);
    expect((await (await library(ping(sid))).json()).idleFor).toBe(30);
  });
});

describe('check(request, session)', () => {
  it('lets a live session through and records its activity', async () => {
    const { clock, sessions, pageRoute, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    clock.advance(100);
    const page = await pageRoute(request('/reports?year=2026', { headers: NAVIGATE, sid }));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<p>ada</p>');
    expect(html).toContain('"pingUrl":"/session-security/ping"');
    expect(html).toContain('"idleFor":0');
    expect((await (await library(ping(sid))).json()).idleFor).toBe(0);
  });

  it('redirects an expired page load 303 to the login page with next, and ends the session', async () => {
    const { clock, sessions, pageRoute, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    clock.advance(900);
    const page = await pageRoute(request('/reports?year=2026', { headers: NAVIGATE, sid }));
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Freports%3Fyear%3D2026&reason=idle');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(sessions.sessions.has(sid)).toBe(false);
  });

  it('answers an expired fetch 401 JSON', async () => {
    const { clock, sessions, pageRoute, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    clock.advance(901);
    const data = await pageRoute(request('/api/data', { headers: SAME_ORIGIN_FETCH, sid }));
    expect(data.status).toBe(401);
    expect(await data.json()).toEqual({ status: 'expired', reason: 'idle' });
  });

  it('goes on with a regenerated, anonymous session for an expired page load without loginUrl', async () => {
    const { clock, sessions, security, library } = setUp({ loginUrl: undefined });
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    clock.advance(900);
    const page = request('/', { headers: NAVIGATE, sid });
    const session = sessions.load(page);
    expect(await security.check(page, session)).toBeUndefined();
    expect(session?.current()).not.toBe(sid);
    expect(session?.get('user')).toBeUndefined();
    expect(security.clientTags(page, session)).toBe('');
  });

  it('answers 503 when the request names a session its store could not load (unavailable)', async () => {
    const { sessions, errors, pageRoute, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    sessions.down = true;
    const page = await pageRoute(request('/', { headers: NAVIGATE, sid }));
    expect(page.status).toBe(503);
    expect(await page.json()).toMatchObject({ status: 'error' });
    expect((await library(ping(sid))).status).toBe(503);
    expect(errors.length).toBeGreaterThan(0);
    sessions.down = false;
    expect((await library(ping(sid))).status).toBe(200);
  });

  it('treats a request without a session (undefined) as anonymous', async () => {
    const { pageRoute, library } = setUp();
    const page = await pageRoute(request('/', { headers: NAVIGATE }));
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<head></head><p>anonymous</p>');
    const reply = await library(ping());
    expect(reply.status).toBe(401);
    expect(await reply.json()).toEqual({ status: 'anonymous' });
  });

  it("takes the app's origin from X-Forwarded-* only with trustProxy", async () => {
    const proxied = {
      ...JSON_POST,
      origin: 'https://app.example.com',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.com',
    };
    for (const [trustProxy, status] of [
      [true, 200],
      [false, 403],
    ] as const) {
      const { sessions, library } = setUp({ trustProxy });
      const sid = sessions.create({ user: 'ada' });
      const reply = await library(
        request('/session-security/ping', {
          method: 'POST',
          headers: proxied,
          body: '{"sinceActivity":0}',
          sid,
        }),
      );
      expect(reply.status).toBe(status);
    }
  });
});

describe('start, signOut and clientTags', () => {
  it('start(request, session) starts a fresh clock in the same session', async () => {
    const { clock, sessions, security, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    clock.advance(500);
    const signIn = request('/login', { method: 'POST', headers: NAVIGATE, sid });
    const session = sessions.load(signIn);
    if (!session) throw new Error('no session');
    await security.start(signIn, session);
    expect(security.clientTags(signIn, session, { script: false })).toContain('"idleFor":0');
    clock.advance(3);
    expect((await (await library(ping(sid))).json()).idleFor).toBe(3);
  });

  it('signOut ends the session for good and hands back Clear-Site-Data', async () => {
    const { sessions, security, library } = setUp({ clearSiteData: ['cache', 'storage'] });
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    const out = request('/logout', { method: 'POST', headers: SAME_ORIGIN_FETCH, sid });
    const headers = await security.signOut(out, sessions.load(out));
    expect(headers.get('clear-site-data')).toBe('"cache", "storage"');
    expect(sessions.sessions.has(sid)).toBe(false);
    // The same id comes back (a copy saved back): it opens nothing.
    sessions.sessions.set(sid, new Map([['user', 'ada']]));
    expect(await (await library(ping(sid))).json()).toEqual({
      status: 'anonymous',
      reason: 'logout',
    });
  });

  it('signOut refuses another origin with a SessionSecurityRequestError that errorResponse answers 403', async () => {
    const { sessions, security, library } = setUp();
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    const out = request('/logout', {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      sid,
    });
    const failure = await security.signOut(out, sessions.load(out)).catch((error) => error);
    expect(failure).toBeInstanceOf(SessionSecurityRequestError);
    const answer = errorResponse(failure, out);
    expect(answer?.status).toBe(403);
    expect((await library(ping(sid))).status).toBe(200);
    expect(errorResponse(new Error('other'))).toBeUndefined();
  });
});

describe("the lock's unlock of a request that names no session (its cookie cleared at expiry)", () => {
  /** A handler with the lock over `sessions`; `newSession` (when on) records what it made. */
  const lockedHandler = (sessions: MapSessions, errors: string[], made?: WebSession[]) =>
    sessionSecurityHandler({
      expireAfter: 900,
      warnAfter: 780,
      isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
      logger: { warn: () => {}, error: (message) => errors.push(message) },
      userId: ({ session }) => String(session.get('user') ?? ''),
      draftSecret: 'a drafts secret of at least thirty-two characters',
      lock: {
        async verify({ session }, credentials) {
          if (credentials.type !== 'password' || credentials.password !== 'pw') return false;
          await session.regenerate();
          await session.set('user', credentials.username);
          return true;
        },
      },
      ...(made
        ? {
            newSession: () => {
              const session = sessions.load(request('/', { sid: sessions.create() }));
              made.push(session as WebSession);
              return session as WebSession;
            },
          }
        : {}),
    });
  const unlock = () =>
    request('/session-security/unlock', {
      method: 'POST',
      headers: { ...JSON_POST, origin: ORIGIN },
      body: '{"username":"ada","password":"pw"}',
    });

  it("signs in on the app's new session from newSession, its clock started there", async () => {
    const { sessions, errors } = setUp();
    const made: WebSession[] = [];
    const reply = await lockedHandler(sessions, errors, made).handle(unlock(), undefined);
    expect(reply?.status).toBe(200);
    expect(await reply?.json()).toMatchObject({ status: 'active', idleFor: 0 });
    expect(made).toHaveLength(1);
    expect(made[0]?.get('user')).toBe('ada');
    expect(made[0]?.get('sessionSecurity')).toBeDefined();
    expect(errors).toEqual([]);
  });

  it('answers 500 without newSession, signing nobody in, and the log says why', async () => {
    const { sessions, errors } = setUp();
    const reply = await lockedHandler(sessions, errors).handle(unlock(), undefined);
    expect(reply?.status).toBe(500);
    expect(await reply?.json()).toEqual({
      status: 'error',
      error: "newSession failed; the server's log says why",
    });
    expect(errors.join('\n')).toContain(
      'POST /session-security/unlock named no session, and sessionSecurityHandler has no newSession(request)',
    );
  });

  it('refuses a newSession that is not a function', () => {
    expect(() =>
      sessionSecurityHandler({ isAuthenticated: () => false, newSession: 'yes' as never }),
    ).toThrow('newSession ("yes") must be a function (request)');
  });
});

describe('hold(request, session, work, options)', () => {
  /** Work the test settles by hand. */

  it('keeps the sign-in alive past expireAfter while the work runs, and idle time counts from its end', async () => {
    const events: SessionSecurityEvent[] = [];
    const { clock, sessions, security, library } = setUp({ onEvent: (e) => void events.push(e) });
    const sid = sessions.create({ user: 'ada' });
    await library(ping(sid));
    const route = request('/reports', { method: 'POST', headers: SAME_ORIGIN_FETCH, sid });
    const session = sessions.load(route);
    expect(await security.check(route, session)).toBeUndefined();
    const work = deferred<{ rows: number }>();
    const held = security.hold(route, session, work.promise, { maxSeconds: 3600 });
    await expect.poll(() => events.some((event) => event.type === 'lease-held')).toBe(true);
    clock.advance(2000); // past expireAfter (900 s)
    const during = await library(ping(sid));
    expect(during.status).toBe(200);
    expect(await during.json()).toMatchObject({ status: 'active', idleFor: 0 });
    work.resolve({ rows: 1280 });
    expect(await held).toEqual({ rows: 1280 });
    clock.advance(899);
    expect((await library(ping(sid))).status).toBe(200);
    clock.advance(1); // 900 s after the work settled
    const after = await library(ping(sid));
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual({ status: 'expired', reason: 'idle' });
  });

  it('rejects an anonymous request with a 401 LeaseRefusedError, and calls no work', async () => {
    const { security } = setUp();
    const anonymous = request('/reports', { method: 'POST', headers: SAME_ORIGIN_FETCH });
    let called = false;
    const work = async () => {
      called = true;
      return 'done';
    };
    const refused = await security
      .hold(anonymous, undefined, work, { maxSeconds: 60 })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LeaseRefusedError);
    expect(refused).toMatchObject({ reason: 'no-sign-in', status: 401 });
    expect(errorResponse(refused, anonymous)?.status).toBe(401);
    expect(called).toBe(false);
  });
});

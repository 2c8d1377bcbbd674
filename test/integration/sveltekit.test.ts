// The SvelteKit handle of session-security/sveltekit without a browser or a build: the hook is
// called with RequestEvents made as SvelteKit makes them (its cookies, locals, `setHeaders`, the
// data request's stripped URL), and a `resolve` that renders a page as SvelteKit does (the
// hook's `transformPageChunk`, the headers and cookies of the request). The forms of SvelteKit's
// client (data and action redirects) are the ones SvelteKit 2.70 itself answers to a `redirect()`
// thrown from `handle`; the browser test (test/e2e/sveltekit.test.ts) runs them in SvelteKit.

import type { RequestEvent } from '@sveltejs/kit';
import type { ActivityStore, SessionSecurityEvent } from 'session-security';
import {
  errorResponse,
  LeaseRefusedError,
  RecentSignInRequiredError,
  type SessionSecurityLocals,
  SessionStoreUnavailableError,
  type SvelteKitSessionSecurity,
  type SvelteKitSessionSecurityOptions,
  sessionSecurity,
  type WebSession,
} from 'session-security/sveltekit';
import { describe, expect, it } from 'vitest';
import { sessionObjectStore } from '../../src/server/store.js';
import { deferred } from '../support/deferred.js';
import { FakeClock, NAVIGATE, SAME_ORIGIN_FETCH } from '../support/http.js';
import { runHandle as run } from '../support/sveltekit-events.js';

const ORIGIN = 'http://app.test';

/** The request's locals as the app declares them in src/app.d.ts (here without the declaration). */
const locals = (event: RequestEvent) =>
  event.locals as { sessionSecurity: SessionSecurityLocals; session?: WebSession | undefined };

/** Sessions in a Map, named by a `sid` cookie read through `event.cookies`, as the example's. */
class MapSessions {
  readonly sessions = new Map<string, Map<string, unknown>>();
  down = false;
  #next = 0;

  create(values: Record<string, unknown> = {}): string {
    const id = `s${++this.#next}`;
    this.sessions.set(id, new Map(Object.entries(values)));
    return id;
  }

  /** The `session` option: undefined without a live one; unavailable while the store is down. */
  load = (event: RequestEvent): WebSession | undefined => {
    const sid = event.cookies.get('sid');
    if (sid === undefined) return undefined;
    const nothing = () => undefined;
    if (this.down) {
      return {
        id: () => sid,
        get: nothing,
        set: nothing,
        delete: nothing,
        destroy: nothing,
        regenerate: nothing,
        unavailable: true,
      };
    }
    if (!this.sessions.has(sid)) return undefined;
    const session = this.#session(event, sid);
    locals(event).session = session;
    return session;
  };

  #session(event: RequestEvent, sid: string): WebSession {
    let id: string | undefined = sid;
    const data = () => (id === undefined ? undefined : this.sessions.get(id));
    return {
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
        event.cookies.delete('sid', { path: '/' });
      },
      regenerate: () => {
        if (id !== undefined) this.sessions.delete(id);
        id = this.create();
        event.cookies.set('sid', id, { path: '/' });
      },
    };
  }
}

const request = (path: string, init: RequestInit & { sid?: string } = {}) => {
  const { sid, headers, ...rest } = init;
  return new Request(`${ORIGIN}${path}`, {
    ...rest,
    headers: { ...(headers as Record<string, string>), ...(sid ? { cookie: `sid=${sid}` } : {}) },
  });
};

/** What SvelteKit's client sends for a data request (client navigation, `invalidateAll()`). */
const dataRequest = (path: string, sid: string) =>
  request(`${path === '/' ? '' : path}/__data.json?x-sveltekit-invalidated=01`, {
    headers: SAME_ORIGIN_FETCH,
    sid,
  });
/** What `use:enhance` sends for a form action. */
const enhancedAction = (sid: string, page = '/') =>
  request(`${page}?/save`, {
    method: 'POST',
    headers: {
      ...SAME_ORIGIN_FETCH,
      accept: 'application/json',
      'x-sveltekit-action': 'true',
      'content-type': 'application/x-www-form-urlencoded',
      origin: ORIGIN,
      referer: `${ORIGIN}${page}`,
    },
    body: 'note=hello',
    sid,
  });
const pageLoad = (path: string, sid?: string) =>
  request(path, { headers: NAVIGATE, ...(sid ? { sid } : {}) });

/** A store that fails, as a stopped Redis does, while `down.on` is set. */
function failingStore(clock: FakeClock) {
  const working = sessionObjectStore({ now: () => clock.now(), logger: console });
  const down = { on: false };
  const store = new Proxy(working, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (down.on) throw new Error('the store is down');
        return value.apply(target, args);
      };
    },
  }) as ActivityStore;
  return { store, down };
}

function setUp(options: Partial<SvelteKitSessionSecurityOptions> = {}) {
  const clock = new FakeClock();
  const sessions = new MapSessions();
  const errors: string[] = [];
  const security = sessionSecurity({
    drafts: false,
    expireAfter: 900,
    warnAfter: 780,
    loginUrl: '/login',
    isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
    userId: ({ session }) => String(session.get('user') ?? ''),
    clock,
    logger: { warn: () => {}, error: (message) => errors.push(message) },
    session: sessions.load,
    ...options,
  });
  return { clock, sessions, errors, security };
}

/** A sign-in as the app's login action makes it: the user in the session, then `start`. */
async function signIn(security: SvelteKitSessionSecurity, sessions: MapSessions): Promise<string> {
  const sid = sessions.create();
  const { response } = await run(security, pageLoad('/login', sid), {
    route: async (event) => {
      locals(event).session?.set('user', 'ada');
      await locals(event).sessionSecurity.start();
    },
  });
  expect(response.status).toBe(200);
  return sid;
}

describe('session-security/sveltekit: the handle', () => {
  it("answers the library's own routes itself, and never resolves them", async () => {
    const { sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    const ping = await run(
      security,
      request('/session-security/ping', { headers: SAME_ORIGIN_FETCH, sid }),
    );
    expect(ping.resolved).toBe(false);
    expect(ping.response.status).toBe(200);
    expect(await ping.response.json()).toMatchObject({ status: 'active' });
    const script = await run(security, request('/session-security/client.js'));
    expect(script.resolved).toBe(false);
    expect(script.response.status).toBe(200);
    expect(script.response.headers.get('content-type')).toMatch(/javascript/);
    const config = await run(
      security,
      request('/session-security/config', { headers: SAME_ORIGIN_FETCH, sid }),
    );
    expect(config.response.status).toBe(200);
    expect(await config.response.json()).toMatchObject({ status: 'active' });
  });

  it('refuses a ping that another origin made (403), and nothing further is read', async () => {
    const { sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    const { response, resolved } = await run(
      security,
      request('/session-security/ping', {
        method: 'POST',
        headers: {
          origin: 'https://evil.example',
          'content-type': 'application/json',
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'cors',
        },
        body: JSON.stringify({ activity: 0 }),
        sid,
      }),
    );
    expect(resolved).toBe(false);
    expect(response.status).toBe(403);
  });

  it('puts the methods bound to the request in event.locals.sessionSecurity, and the tags in the page', async () => {
    const { sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    let seen: unknown;
    const { response, event } = await run(security, pageLoad('/', sid), {
      route: async (given) => {
        seen = await locals(given).sessionSecurity.signIns.list();
      },
    });
    const html = await response.text();
    expect(html).toMatch(
      /<script type="application\/json" id="session-security-config">[^<]*"lang":"de"[^<]*<\/script>\n<script src="\/session-security\/client\.js\?v=[^"]+" defer><\/script>\n<\/head>/,
    );
    expect(seen).toMatchObject([{ current: true }]);
    expect(locals(event).sessionSecurity.clientTags()).toContain('session-security-config');
    expect(security.clientTags(event, { lang: 'fr' })).toContain('"lang":"fr"');
    // An anonymous page has no tags.
    const anonymous = await run(security, pageLoad('/'));
    expect(await anonymous.response.text()).not.toContain('session-security');
  });

  it('counts a data request (client navigation, invalidate) as passive: the sign-in ends on time', async () => {
    const { clock, sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    clock.advance(600);
    const refresh = await run(security, dataRequest('/', sid), { data: true });
    expect(refresh.resolved).toBe(true);
    expect(refresh.response.status).toBe(200);
    // A sub-request (a load's `fetch` on the server) is passive too.
    const sub = await run(security, request('/api/items', { sid }), { sub: true });
    expect(sub.resolved).toBe(true);
    clock.advance(301); // 901 s after the sign-in's last activity
    const page = await run(security, pageLoad('/', sid));
    expect(page.response.status).toBe(303);
    expect(page.response.headers.get('location')).toBe('/login?next=%2F&reason=idle');
  });

  it('counts a form action posted by use:enhance (x-sveltekit-action) as activity', async () => {
    const { clock, sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    clock.advance(600);
    let acted = false;
    const action = await run(security, enhancedAction(sid), { route: () => (acted = true) });
    expect(acted).toBe(true);
    expect(action.response.status).toBe(200);
    clock.advance(600); // 1200 s after the sign-in, 600 s after the action
    const page = await run(security, pageLoad('/', sid));
    expect(page.response.status).toBe(200);
  });

  it('sends an expired page load to the login page: 303 with next and reason, never cached, its cookie cleared', async () => {
    const { clock, sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    clock.advance(901);
    const { response, resolved } = await run(security, pageLoad('/reports?tab=2', sid));
    expect(resolved).toBe(false);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login?next=%2Freports%3Ftab%3D2&reason=idle');
    expect(response.headers.get('cache-control')).toBe('no-store');
    // Cleared by the session's destroy() through event.cookies, though handle answered itself.
    expect(response.headers.get('set-cookie')).toBe('sid=; Path=/; Max-Age=0; HttpOnly');
    expect(sessions.sessions.has(sid)).toBe(false);
  });

  it("answers an expired data request with SvelteKit's data redirect, to the page's login", async () => {
    const { clock, sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    clock.advance(901);
    const { response, resolved } = await run(security, dataRequest('/reports', sid), {
      data: true,
    });
    expect(resolved).toBe(false);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toEqual({
      type: 'redirect',
      location: '/login?next=%2Freports&reason=idle',
    });
  });

  it("answers an expired enhanced form action with the action's redirect (ActionResult)", async () => {
    const { clock, sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    clock.advance(901);
    let acted = false;
    const { response } = await run(security, enhancedAction(sid, '/notes'), {
      route: () => (acted = true),
    });
    expect(acted).toBe(false);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      type: 'redirect',
      status: 303,
      location: '/login?next=%2Fnotes&reason=idle',
    });
  });

  it('starts the clock of a sign-in the route made without start, after the route', async () => {
    const { clock, sessions, security } = setUp();
    // A visitor without a session signs in: the route makes the session and sets its user.
    const { response } = await run(security, pageLoad('/login'), {
      route: (event) => {
        const id = sessions.create({ user: 'ada' });
        event.cookies.set('sid', id, { path: '/' });
      },
    });
    const sid = /sid=(s\d+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
    expect(sid).toBeDefined();
    // Its clock started when it signed in, not at its next request.
    expect(sessions.sessions.get(sid ?? '')?.get('sessionSecurity')).toBeDefined();
    clock.advance(901);
    const page = await run(security, pageLoad('/', sid));
    expect(page.response.status).toBe(303);
    expect(page.response.headers.get('location')).toBe('/login?next=%2F&reason=idle');
  });

  it('starts the clock of a session the sign-in made in the request (locals.start finds it)', async () => {
    const { sessions, security } = setUp();
    let cookie = '';
    const { response } = await run(security, pageLoad('/login'), {
      route: async (event) => {
        const id = sessions.create({ user: 'ada' });
        event.cookies.set('sid', id, { path: '/' });
        cookie = id;
        await locals(event).sessionSecurity.start();
      },
    });
    expect(response.status).toBe(200);
    expect(sessions.sessions.get(cookie)?.get('sessionSecurity')).toBeDefined();
  });

  it('signs out for good from a form action, with Clear-Site-Data on the answer', async () => {
    const { sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    const { response } = await run(
      security,
      request('/?/signOut', { method: 'POST', headers: { ...NAVIGATE, origin: ORIGIN }, sid }),
      { route: (event) => locals(event).sessionSecurity.signOut() },
    );
    expect(response.headers.get('clear-site-data')).toBe('"cache"');
    expect(sessions.sessions.has(sid)).toBe(false);
    // The old cookie names nothing now.
    const again = await run(security, pageLoad('/', sid));
    expect(again.response.status).toBe(200);
    expect(await again.response.text()).not.toContain('session-security');
  });

  it('answers 503 when the activity store fails, and when the session could not be loaded', async () => {
    const clock = new FakeClock();
    const { store, down } = failingStore(clock);
    const { sessions, security } = setUp({ clock, store });
    const sid = await signIn(security, sessions);
    down.on = true;
    const page = await run(security, pageLoad('/', sid));
    expect(page.resolved).toBe(false);
    expect(page.response.status).toBe(503);
    const ping = await run(
      security,
      request('/session-security/ping', { headers: SAME_ORIGIN_FETCH, sid }),
    );
    expect(ping.response.status).toBe(503);
    down.on = false;
    sessions.down = true;
    const unloaded = await run(security, dataRequest('/', sid), { data: true });
    expect(unloaded.resolved).toBe(false);
    expect(unloaded.response.status).toBe(503);
  });

  it("answers 503 when the session loader throws the library's store error", async () => {
    const { security } = setUp({
      session: () => {
        throw new SessionStoreUnavailableError('load', 'the session store timed out');
      },
    });
    const { response, resolved } = await run(security, pageLoad('/', 'x'));
    expect(resolved).toBe(false);
    expect(response.status).toBe(503);
  });

  it('leaves the tags to the app with injectClientTags: false', async () => {
    const { sessions, security } = setUp({ injectClientTags: false });
    const sid = await signIn(security, sessions);
    const { response, event } = await run(security, pageLoad('/', sid));
    expect(await response.text()).not.toContain('session-security');
    expect(locals(event).sessionSecurity.clientTags({ nonce: 'abc' })).toContain('nonce="abc"');
  });
  it('requireRecentSignIn(maxAge) goes on for a recent sign-in, and rejects an older one with the answer to send', async () => {
    const { clock, sessions, security } = setUp();
    const sid = await signIn(security, sessions);
    let outcome: unknown;
    const capture = async (path: string, maxAge: number, headers: Record<string, string>) => {
      outcome = undefined;
      await run(security, request(path, { headers, sid }), {
        route: async (event) => {
          outcome = await locals(event)
            .sessionSecurity.requireRecentSignIn(maxAge)
            .then(
              () => 'recent',
              (error: unknown) => error,
            );
        },
      });
      return outcome;
    };
    clock.advance(30);
    expect(await capture('/settings', 60, NAVIGATE)).toBe('recent');
    clock.advance(31);
    const older = await capture('/settings', 60, NAVIGATE);
    expect(older).toBeInstanceOf(RecentSignInRequiredError);
    const error = older as RecentSignInRequiredError;
    expect(error.location).toBe('/login?next=%2Fsettings&reason=reauth');
    // An endpoint called by fetch answers 401 reauth, which the client's fetch asks again for.
    const fetched = await capture('/api/password', 60, SAME_ORIGIN_FETCH);
    const answer = errorResponse(fetched, request('/api/password', { headers: SAME_ORIGIN_FETCH }));
    expect(answer?.status).toBe(401);
    expect(answer?.headers.get('x-session-security')).toBe('reauth');
    expect(await answer?.json()).toMatchObject({ status: 'reauth', maxAge: 60 });
    // The same through the security's own method, by the event.
    let direct: unknown;
    await run(security, pageLoad('/settings', sid), {
      route: async (event) => {
        direct = await security.requireRecentSignIn(event, 60).catch((caught: unknown) => caught);
      },
    });
    expect(direct).toBeInstanceOf(RecentSignInRequiredError);
  });
});

describe('session-security/sveltekit: hold', () => {
  /** Work the test settles by hand. */

  it('locals.sessionSecurity.hold(work) keeps the sign-in alive past expireAfter while the work runs, and idle time counts from its end', async () => {
    const events: SessionSecurityEvent[] = [];
    const { clock, sessions, security } = setUp({ onEvent: (e) => void events.push(e) });
    const sid = await signIn(security, sessions);
    const work = deferred<string>();
    let held: Promise<string> | undefined;
    const { response } = await run(security, enhancedAction(sid, '/reports'), {
      route: (event) => {
        held = locals(event).sessionSecurity.hold(work.promise, { maxSeconds: 3600 });
      },
    });
    expect(response.status).toBe(200);
    await expect.poll(() => events.some((event) => event.type === 'lease-held')).toBe(true);
    const poll = () => run(security, dataRequest('/', sid), { data: true });
    clock.advance(2000); // past expireAfter (900 s)
    expect((await poll()).resolved).toBe(true);
    work.resolve('done');
    expect(await held).toBe('done');
    clock.advance(899);
    expect((await poll()).resolved).toBe(true);
    clock.advance(1); // 900 s after the work settled
    const page = await run(security, pageLoad('/', sid));
    expect(page.response.status).toBe(303);
    expect(page.response.headers.get('location')).toBe('/login?next=%2F&reason=idle');
  });

  it('security.hold(event, work) holds by the event, and rejects an anonymous request with a 401 LeaseRefusedError', async () => {
    const events: SessionSecurityEvent[] = [];
    const { clock, sessions, security } = setUp({ onEvent: (e) => void events.push(e) });
    const sid = await signIn(security, sessions);
    const work = deferred<number>();
    let held: Promise<number> | undefined;
    await run(security, pageLoad('/reports', sid), {
      route: (event) => {
        held = security.hold(event, () => work.promise, { maxSeconds: 3600, label: 'report' });
      },
    });
    await expect.poll(() => events.some((event) => event.type === 'lease-held')).toBe(true);
    clock.advance(1000);
    expect((await run(security, dataRequest('/', sid), { data: true })).resolved).toBe(true);
    work.resolve(1280);
    expect(await held).toBe(1280);
    expect(events.find((event) => event.type === 'lease-ended')).toMatchObject({
      how: 'settled',
      label: 'report',
      seconds: 1000,
    });
    let refused: unknown;
    await run(security, pageLoad('/reports'), {
      route: async (event) => {
        refused = await locals(event)
          .sessionSecurity.hold(async () => 'never', { maxSeconds: 60 })
          .catch((error: unknown) => error);
      },
    });
    expect(refused).toBeInstanceOf(LeaseRefusedError);
    expect(refused).toMatchObject({ reason: 'no-sign-in', status: 401 });
  });
});

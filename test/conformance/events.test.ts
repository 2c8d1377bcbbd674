// Conformance: the audit events of `onEvent` (docs/guide/operations.md: Audit events), over real HTTP, against every adapter
// and store: each event at the moment it happens, with exact values, once only, and never the
// session id; a failing hook changes no answer.

import type { SessionSecurityEvent } from 'session-security';
import { describe, expect, it } from 'vitest';
import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import { type ConformanceApp, type HarnessOptions, inFlightFormPost } from './harness.js';

const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
/** The harness's timeouts, as a store takes them. */
const HARNESS_TIMEOUTS = { expireAfterMs: 900_000, warnAfterMs: 780_000, absoluteTimeoutMs: 0 };
/** What every event of a sign-in of ada carries besides its marker. */
const ADA = { userId: 'ada', data: { tenant: 't1' } };

/**
 * What in a jar could name the session: each cookie's value, URL-decoded, without
 * express-session's `s:` and without a signature after the last `.`.
 */
function sessionIdsIn(jar: CookieJar): string[] {
  return [...jar.cookies.values()].flatMap((value) => {
    const decoded = decodeURIComponent(value).replace(/^s:/, '');
    const dot = decoded.lastIndexOf('.');
    return [value, decoded, ...(dot > 0 ? [decoded.slice(0, dot)] : [])];
  });
}

describe.each(CASES)('%s with the %s store', (_framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  let app: ConformanceApp;
  let t0: number;
  const events: SessionSecurityEvent[] = [];

  /** Starts an app that records every event (with `data` from eventData) and runs no sweep timer. */
  const start = async (security: HarnessOptions['security'] = {}) => {
    // The file's earlier tests share the Redis index: end their sign-ins so that sweeps see
    // this test's only.
    await adapter.store()?.revoke?.({ everyone: true }, HARNESS_TIMEOUTS);
    events.length = 0;
    app = await adapter.start({
      security: {
        sweepInterval: 0,
        onEvent: (event: SessionSecurityEvent) => {
          events.push(event);
        },
        eventData: () => ({ tenant: 't1' }),
        ...security,
      },
    });
    t0 = app.clock.now();
    return app;
  };
  /** Signs `user` in with `security.start`, as both stores need; a jar holding the session. */
  const signInAs = async (user = 'ada', headers: Record<string, string> = {}) => {
    const jar = new CookieJar();
    const reply = await send(
      app.origin,
      `/test/sign-in?start=1&user=${user}`,
      { method: 'POST', headers },
      jar,
    );
    expect(reply.status).toBe(200);
    return jar;
  };
  const ping = (jar?: CookieJar, headers: Record<string, string> = SAME_ORIGIN_FETCH) =>
    send(app.origin, '/session-security/ping', { headers }, jar);
  const postPing = (
    jar: CookieJar | undefined,
    body: string,
    headers: Record<string, string> = JSON_POST,
  ) => send(app.origin, '/session-security/ping', { method: 'POST', headers, body }, jar);
  /** The sign-in's marker, from a GET ping (which records no activity). */
  const markerOf = async (jar: CookieJar) => {
    const reply = await ping(jar);
    expect(reply.status).toBe(200);
    return reply.json?.session as string;
  };
  const logout = (jar: CookieJar) =>
    send(
      app.origin,
      '/session-security/logout',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      jar,
    );
  const sweep = async () => {
    const reply = await send(app.origin, '/test/sign-ins/sweep', { method: 'POST' });
    expect(reply.status).toBe(200);
    return reply.json?.expired;
  };
  const at = (seconds: number) => t0 + seconds * 1000;

  describe('signed-in', () => {
    it('is reported at start(), with the timeouts the sign-in keeps, its user and data', async () => {
      await start();
      const jar = await signInAs();
      const signIn = await markerOf(jar);
      expect(events).toEqual([
        {
          type: 'signed-in',
          at: t0,
          signIn,
          ...ADA,
          expireAfter: 900,
          warnAfter: 780,
          absoluteTimeout: 0,
        },
      ]);
    });

    if (storeKind === 'default') {
      it('is reported at a sign-in that did not call start(), once, at the sign-in', async () => {
        await start();
        const jar = await app.signIn();
        expect(events.map((event) => event.type)).toEqual(['signed-in']);
        app.clock.advance(7);
        expect(
          (await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar)).json,
        ).toEqual({ user: 'ada' });
        const signIn = await markerOf(jar);
        expect(events).toEqual([
          {
            type: 'signed-in',
            at: t0,
            signIn,
            ...ADA,
            expireAfter: 900,
            warnAfter: 780,
            absoluteTimeout: 0,
          },
        ]);
      });
    }
  });

  describe('extended', () => {
    it('is reported for a POST ping with "extend": true, and for no other ping', async () => {
      await start();
      const jar = await signInAs();
      const signIn = await markerOf(jar);
      events.length = 0;
      app.clock.advance(100);
      expect((await postPing(jar, '{"sinceActivity": 0}')).status).toBe(200);
      expect((await postPing(jar, '{"sinceActivity": 0, "extend": false}')).status).toBe(200);
      expect((await ping(jar)).status).toBe(200);
      expect(events).toEqual([]);
      app.clock.advance(50);
      const extended = await postPing(jar, '{"sinceActivity": 3, "extend": true}');
      expect(extended.status).toBe(200);
      expect(extended.json?.idleFor).toBe(3);
      expect(events).toEqual([{ type: 'extended', at: at(150), signIn, ...ADA }]);
    });
  });

  describe('expired', () => {
    it('is reported by the next request after an idle expiry, with idle time and length', async () => {
      await start();
      const jar = await signInAs();
      const signIn = await markerOf(jar);
      app.clock.advance(100);
      expect((await postPing(jar, '{"sinceActivity": 0}')).status).toBe(200);
      events.length = 0;
      app.clock.advance(950);
      const reply = await ping(jar);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
      expect(events).toEqual([
        {
          type: 'expired',
          at: at(1050),
          signIn,
          ...ADA,
          reason: 'idle',
          idleSeconds: 900,
          lengthSeconds: 1000,
          endedAt: at(1000),
          foundBy: 'request',
        },
      ]);
      expect((await ping(jar)).json).toEqual({ status: 'anonymous' });
      expect(events).toHaveLength(1);
    });

    it('is reported for an absolute expiry, with the absoluteTimeout in signed-in', async () => {
      await start({ absoluteTimeout: 600 });
      const jar = await signInAs();
      const signIn = await markerOf(jar);
      expect(events).toEqual([
        {
          type: 'signed-in',
          at: t0,
          signIn,
          ...ADA,
          expireAfter: 900,
          warnAfter: 780,
          absoluteTimeout: 600,
        },
      ]);
      app.clock.advance(300);
      expect((await postPing(jar, '{"sinceActivity": 0}')).status).toBe(200);
      app.clock.advance(310);
      events.length = 0;
      const reply = await ping(jar);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'expired', reason: 'absolute' });
      expect(events).toEqual([
        {
          type: 'expired',
          at: at(610),
          signIn,
          ...ADA,
          reason: 'absolute',
          idleSeconds: 300,
          lengthSeconds: 600,
          endedAt: at(600),
          foundBy: 'request',
        },
      ]);
    });

    it('is reported by the sweep for a sign-in nobody comes back to, once, even when its cookie comes back', async () => {
      await start();
      const jar = await signInAs();
      const signIn = await markerOf(jar);
      events.length = 0;
      app.clock.advance(899);
      expect(await sweep()).toBe(0);
      app.clock.advance(101);
      expect(await sweep()).toBe(1);
      const expired = {
        type: 'expired',
        at: at(1000),
        signIn,
        ...ADA,
        reason: 'idle',
        idleSeconds: 900,
        lengthSeconds: 900,
        endedAt: at(900),
        foundBy: 'sweep',
      };
      expect(events).toEqual([expired]);
      expect(await sweep()).toBe(0);
      app.clock.advance(5);
      const reply = await ping(jar);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
      expect(await sweep()).toBe(0);
      expect(events).toEqual([expired]);
    });

    it('is reported once for each sign-in when two sweeps run at once', async () => {
      await start();
      const ada = await markerOf(await signInAs('ada'));
      const bob = await markerOf(await signInAs('bob'));
      events.length = 0;
      app.clock.advance(901);
      const counts = await Promise.all([sweep(), sweep()]);
      expect(Number(counts[0]) + Number(counts[1])).toBe(2);
      const found = events
        .map((event) => (event.type === 'expired' ? [event.signIn, event.userId] : event.type))
        .sort();
      expect(found).toEqual(
        [
          [ada, 'ada'],
          [bob, 'bob'],
        ].sort(),
      );
    });
  });

  if (storeKind !== 'default') {
    describe('sign-in-lost', () => {
      it('is reported, logged and told (reason lost) when a live sign-in has no record: its ping, then its page load', async () => {
        await start({ loginUrl: '/login' });
        const jar = await signInAs();
        const signIn = await markerOf(jar);
        app.clock.advance(60);
        await adapter.loseRecord(signIn); // eviction, FLUSHALL, a restart without persistence
        expect((await ping(jar)).json).toEqual({ status: 'expired', reason: 'lost' });
        expect(events.filter((event) => event.type !== 'signed-in')).toEqual([
          { type: 'sign-in-lost', at: at(60), signIn, foundBy: 'request' },
        ]);
        expect(app.logger.errors.join('\n')).toMatch(
          /1 sign-in\(s\) had no record in the store before their deadline \(lost/,
        );
        // A page load of another lost sign-in goes to the login page, which says why.
        const other = await signInAs();
        await adapter.loseRecord(await markerOf(other));
        const page = await send(app.origin, '/', { headers: NAVIGATE }, other);
        expect(page.status).toBe(303);
        expect(page.headers.location).toBe('/login?next=%2F&reason=lost');
        expect(events.filter((event) => event.type === 'sign-in-lost')).toHaveLength(2);
      });

      it('is reported when a page names a sign-in of which the store has no record (its session went too)', async () => {
        await start();
        const jar = await signInAs();
        const signIn = await markerOf(jar);
        await adapter.loseRecord(signIn);
        const reply = await send(
          app.origin,
          '/session-security/ping',
          { headers: { ...SAME_ORIGIN_FETCH, 'x-session-security-sign-in': signIn } },
          new CookieJar(),
        );
        expect(reply.json).toEqual({ status: 'expired', reason: 'lost' });
        expect(events.filter((event) => event.type === 'sign-in-lost')).toEqual([
          { type: 'sign-in-lost', at: at(0), signIn, foundBy: 'ping' },
        ]);
        expect(app.logger.errors.join('\n')).toMatch(/1 ping\(s\) named a sign-in the store/);
      });
    });
  }

  describe('signed-out', () => {
    it.each([
      ['the logout route', '/session-security/logout'],
      ["the app's signOut(req)", '/test/sign-out'],
    ])('is reported for %s, with the length of the sign-in', async (_name, path) => {
      await start();
      const jar = await signInAs();
      const signIn = await markerOf(jar);
      events.length = 0;
      app.clock.advance(42);
      const reply = await send(
        app.origin,
        path,
        { method: 'POST', headers: SAME_ORIGIN_FETCH },
        jar,
      );
      expect(reply.status).toBe(200);
      expect(events).toEqual([
        { type: 'signed-out', at: at(42), signIn, ...ADA, how: 'logout', lengthSeconds: 42 },
      ]);
    });
  });

  describe('refused', () => {
    const big = `{"sinceActivity": 1, "pad": "${'x'.repeat(1100)}"}`;
    it.each([
      [
        'a ping from another site',
        'cross-origin',
        403,
        {
          method: 'GET',
          path: '/session-security/ping',
          headers: { origin: 'https://evil.example' },
        },
      ],
      [
        'a ping that is not JSON (415)',
        'unsupported-media-type',
        415,
        {
          method: 'POST',
          path: '/session-security/ping',
          headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'text/plain' },
          body: '{"sinceActivity": 0}',
        },
      ],
      [
        'a ping over 1 KB (413)',
        'body-too-large',
        413,
        { method: 'POST', path: '/session-security/ping', headers: JSON_POST, body: big },
      ],
      [
        'an unknown route under the prefix (404)',
        'not-found',
        404,
        { method: 'GET', path: '/session-security/pong', headers: SAME_ORIGIN_FETCH },
      ],
      [
        'a method the route does not take (405)',
        'method-not-allowed',
        405,
        { method: 'PUT', path: '/session-security/ping', headers: SAME_ORIGIN_FETCH },
      ],
      [
        'a ping body that is not JSON (400)',
        'bad-request',
        400,
        { method: 'POST', path: '/session-security/ping', headers: JSON_POST, body: 'not json' },
      ],
      [
        'a ping whose extend is not a boolean (400)',
        'bad-request',
        400,
        {
          method: 'POST',
          path: '/session-security/ping',
          headers: JSON_POST,
          body: '{"sinceActivity": 0, "extend": "yes"}',
        },
      ],
    ])('is reported for %s, as %s', async (_name, reason, status, request) => {
      await start();
      const jar = await signInAs();
      const signIn = await markerOf(jar);
      events.length = 0;
      app.clock.advance(3);
      const { path, ...options } = request;
      const reply = await send(app.origin, path, options, jar);
      expect(reply.status).toBe(status);
      expect(events).toEqual([
        { type: 'refused', at: at(3), reason, method: request.method, path, signIn },
      ]);
      // Turned away, and nothing else: the sign-in lives on.
      expect((await ping(jar)).status).toBe(200);
      expect(events).toHaveLength(1);
    });

    it('is reported as ended-sign-in when the cookie of a sign-in ended elsewhere comes back', async () => {
      await start();
      const mine = await signInAs();
      const other = await signInAs();
      const signIn = await markerOf(other);
      const ended = await send(
        app.origin,
        '/test/sign-ins/end',
        { method: 'POST', headers: JSON_POST, body: JSON.stringify({ signIn }) },
        mine,
      );
      expect(ended.json).toEqual({ ended: true });
      events.length = 0;
      app.clock.advance(4);
      const reply = await ping(other);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'expired', reason: 'revoked' });
      expect(events).toEqual([
        {
          type: 'refused',
          at: at(4),
          reason: 'ended-sign-in',
          method: 'GET',
          path: '/session-security/ping',
          signIn,
        },
      ]);
    });

    it('is reported as ended-sign-in when a copy saved back after a logout comes back', async () => {
      await start();
      const jar = await signInAs();
      const signIn = await markerOf(jar);
      const oldCookie = jar.clone();
      app.clock.advance(2);
      const slow = await inFlightFormPost(app, jar, 'in+flight');
      expect((await logout(jar)).status).toBe(200);
      slow.finish();
      expect((await slow.reply).status).toBe(200);
      // The plugin saves the copy back only when it changed: express-session and koa-session
      // save none when the clock lives in Redis, and then nothing of the sign-in comes back.
      const copies = await app.sessionCount();
      expect(copies).toBeLessThanOrEqual(1);
      events.length = 0;
      const reply = await ping(oldCookie);
      expect(reply.status).toBe(401);
      // A copy that came back is found signed out, and says so.
      expect(reply.json).toEqual(
        copies === 1 ? { status: 'anonymous', reason: 'logout' } : { status: 'anonymous' },
      );
      const refused = {
        type: 'refused',
        at: at(2),
        reason: 'ended-sign-in',
        method: 'GET',
        path: '/session-security/ping',
        signIn,
      };
      expect(events).toEqual(copies === 1 ? [refused] : []);
    });
  });

  describe('what every event holds', () => {
    it('never holds the session id, and names each sign-in by the marker its ping gives', async () => {
      await start({ loginUrl: '/login' });
      const sessionIds = new Set<string>();
      const seen = (jar: CookieJar) => {
        for (const id of sessionIdsIn(jar)) sessionIds.add(id);
      };
      const first = await signInAs('ada', { 'user-agent': 'curl/8.5.0' });
      seen(first);
      const m1 = await markerOf(first);
      app.clock.advance(10);
      expect((await postPing(first, '{"sinceActivity": 1, "extend": true}')).status).toBe(200);
      expect((await ping(first, { origin: 'https://evil.example' })).status).toBe(403);
      expect((await send(app.origin, '/session-security/nope', {}, first)).status).toBe(404);
      expect((await postPing(first, '{"sinceActivity": "x"}')).status).toBe(400);
      seen(first);
      app.clock.advance(1000);
      expect((await send(app.origin, '/', { headers: NAVIGATE }, first)).status).toBe(303);
      seen(first);
      const second = await signInAs('bob');
      seen(second);
      const m2 = await markerOf(second);
      app.clock.advance(30);
      expect(
        (await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, second)).status,
      ).toBe(200);
      seen(second);
      expect((await logout(second)).status).toBe(200);
      const third = await signInAs('ada');
      seen(third);
      const m3 = await markerOf(third);
      app.clock.advance(2000);
      expect(await sweep()).toBe(1);

      const ids = [...sessionIds].filter((id) => id.length >= 8);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect([m1, m2, m3]).not.toContain(id);
      for (const event of events) {
        const json = JSON.stringify(event);
        for (const id of ids) expect(json).not.toContain(id);
      }
      expect(new Set([m1, m2, m3]).size).toBe(3);
      expect(events.map((event) => [event.type, event.signIn, event.userId])).toEqual([
        ['signed-in', m1, 'ada'],
        ['extended', m1, 'ada'],
        ['refused', m1, undefined],
        ['refused', m1, undefined],
        ['refused', m1, undefined],
        ['expired', m1, 'ada'],
        ['signed-in', m2, 'bob'],
        ['signed-out', m2, 'bob'],
        ['signed-in', m3, 'ada'],
        ['expired', m3, 'ada'],
      ]);
      for (const event of events) {
        if (event.type !== 'refused') expect(event.data).toEqual({ tenant: 't1' });
      }
    });
  });

  describe('an onEvent that fails', () => {
    it.each([
      [
        'throws',
        () => {
          throw new Error('the audit log is down');
        },
      ],
      ['returns a rejected promise', () => Promise.reject(new Error('the audit log is down'))],
    ])('changes no answer when it %s, and is logged', async (_name, onEvent) => {
      await start({ onEvent });
      const jar = await signInAs();
      const status = await ping(jar);
      expect(status.status).toBe(200);
      expect(status.json).toMatchObject({ status: 'active', idleFor: 0, expireIn: 900 });
      app.clock.advance(10);
      const extended = await postPing(jar, '{"sinceActivity": 0, "extend": true}');
      expect(extended.status).toBe(200);
      expect(extended.json?.idleFor).toBe(0);
      expect((await ping(jar, { origin: 'https://evil.example' })).status).toBe(403);
      const out = await logout(jar);
      expect(out.status).toBe(200);
      expect(out.json).toEqual({ status: 'anonymous' });
      expect((await ping(jar)).json).toEqual({ status: 'anonymous' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(app.logger.errors).toEqual([
        'session-security: onEvent failed (1 time(s) since the last report)',
      ]);
      expect(app.appErrors).toEqual([]);
    });
  });
});

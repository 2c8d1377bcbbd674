// Conformance: a sign-in's own timeouts (per-user options), and a user's sign-ins listed and ended
// from elsewhere (`security.signIns`), over real HTTP, against every adapter and store. Sign-ins
// call `security.start`, as the Redis store needs.

import type { SessionSecurityEvent } from 'session-security';
import { describe, expect, it } from 'vitest';
import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import type { ConformanceApp, HarnessOptions } from './harness.js';

const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
/** The harness's timeouts, as a store takes them. */
const HARNESS_TIMEOUTS = { expireAfterMs: 900_000, warnAfterMs: 780_000, absoluteTimeoutMs: 0 };
const FIREFOX_ON_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const REVOKED = { status: 'expired', reason: 'revoked' };

describe.each(CASES)('%s with the %s store', (_framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  let app: ConformanceApp;
  let t0: number;
  const events: SessionSecurityEvent[] = [];

  /** Starts an app that records every event and runs no sweep timer. */
  const start = async (security: HarnessOptions['security'] = {}) => {
    // The file's earlier tests share the Redis index: end their sign-ins so that lists and
    // counts see this test's only.
    await adapter.store()?.revoke?.({ everyone: true }, HARNESS_TIMEOUTS);
    events.length = 0;
    app = await adapter.start({
      security: {
        sweepInterval: 0,
        onEvent: (event: SessionSecurityEvent) => {
          events.push(event);
        },
        ...security,
      },
    });
    t0 = app.clock.now();
    return app;
  };
  /** The user of a request, for per-user options (read once the app has started). */
  const userOf = (req: unknown) => app.userOf(req);
  /** Signs `user` in with `security.start`; a jar holding the session. */
  const signInAs = async (user: string, userAgent?: string) => {
    const jar = new CookieJar();
    const reply = await send(
      app.origin,
      `/test/sign-in?start=1&user=${user}`,
      { method: 'POST', headers: userAgent === undefined ? {} : { 'user-agent': userAgent } },
      jar,
    );
    expect(reply.status).toBe(200);
    return jar;
  };
  const ping = (jar: CookieJar) =>
    send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
  /** The sign-in's marker, from a GET ping (which records no activity). */
  const markerOf = async (jar: CookieJar) => {
    const reply = await ping(jar);
    expect(reply.status).toBe(200);
    return reply.json?.session as string;
  };
  const list = (jar?: CookieJar) =>
    send(app.origin, '/test/sign-ins', { headers: SAME_ORIGIN_FETCH }, jar);
  const post = (path: string, jar?: CookieJar, body?: unknown) =>
    send(
      app.origin,
      `/test/sign-ins${path}`,
      body === undefined
        ? { method: 'POST', headers: SAME_ORIGIN_FETCH }
        : { method: 'POST', headers: JSON_POST, body: JSON.stringify(body) },
      jar,
    );
  const at = (seconds: number) => t0 + seconds * 1000;
  /** The signed-out events, by marker. */
  const signedOut = () =>
    events
      .filter((event) => event.type === 'signed-out')
      .sort((a, b) => String(a.signIn).localeCompare(String(b.signIn)));
  const revokedEvent = (signIn: string, userId: string, atSeconds: number, startedAt = 0) => ({
    type: 'signed-out',
    at: at(atSeconds),
    signIn,
    userId,
    how: 'revoked',
    lengthSeconds: atSeconds - startedAt,
  });
  const byMarker = (a: { signIn: string }, b: { signIn: string }) =>
    a.signIn.localeCompare(b.signIn);

  describe("a sign-in's own timeouts", () => {
    /** Signs in ada and bob at t0; their first pings. */
    async function adaAndBob() {
      const ada = await signInAs('ada');
      const bob = await signInAs('bob');
      return { ada, bob, adaPing: await ping(ada), bobPing: await ping(bob) };
    }

    it.each([
      ['a function', (req: unknown) => (userOf(req) === 'bob' ? 300 : 900)],
      ['an async function', async (req: unknown) => (userOf(req) === 'bob' ? 300 : 900)],
    ])(
      'gives each user the expireAfter of %s, kept with the sign-in',
      async (_name, expireAfter) => {
        // warnAfter left to follow each sign-in's expireAfter (the harness's 780 is over 300).
        await start({ expireAfter, warnAfter: undefined });
        const { ada, bob, adaPing, bobPing } = await adaAndBob();
        expect(bobPing.json).toMatchObject({ expireAfter: 300, warnAfter: 225, expireIn: 300 });
        expect(adaPing.json).toMatchObject({ expireAfter: 900, warnAfter: 780, expireIn: 900 });
        expect(
          events.map((e) => e.type === 'signed-in' && [e.userId, e.expireAfter, e.warnAfter]),
        ).toEqual([
          ['ada', 900, 780],
          ['bob', 300, 225],
        ]);
        app.clock.advance(299);
        expect((await ping(bob)).json).toMatchObject({ status: 'active', expireIn: 1 });
        app.clock.advance(1);
        const expired = await ping(bob);
        expect(expired.status).toBe(401);
        expect(expired.json).toEqual({ status: 'expired', reason: 'idle' });
        const alive = await ping(ada);
        expect(alive.status).toBe(200);
        expect(alive.json).toMatchObject({ idleFor: 300, expireIn: 600, expireAfter: 900 });
        expect(app.logger.errors).toEqual([]);
      },
    );

    it.each([
      [
        'returns a second over a year',
        () => 365 * 24 * 3600 + 1,
        'expireAfter(req) returned 31536001',
      ],
      ['returns NaN', () => Number.NaN, 'expireAfter(req) returned NaN'],
      [
        'throws',
        () => {
          throw new Error('no plan for this user');
        },
        'expireAfter(req) threw (Error: no plan for this user)',
      ],
    ])(
      'gives the static timeouts and logs it when the function %s',
      async (_name, expireAfter, says) => {
        await start({ expireAfter });
        const bob = await signInAs('bob');
        const reply = await ping(bob);
        expect(reply.status).toBe(200);
        expect(reply.json).toMatchObject({ expireAfter: 900, warnAfter: 780, expireIn: 900 });
        expect(app.logger.errors).toHaveLength(1);
        expect(app.logger.errors[0]).toContain(says);
        expect(app.logger.errors[0]).toContain(
          'this sign-in keeps the static timeouts (expireAfter 900 s, warnAfter 780 s, absoluteTimeout 0 s)',
        );
        app.clock.advance(900);
        expect((await ping(bob)).json).toEqual({ status: 'expired', reason: 'idle' });
      },
    );

    it("keeps a preset's limit: a looser value gives the static one and is logged, a tighter one is used", async () => {
      await start({
        preset: 'pci-dss-4',
        expireAfter: (req: unknown) => (userOf(req) === 'bob' ? 1800 : 600),
        warnAfter: undefined,
      });
      const { adaPing, bobPing } = await adaAndBob();
      expect(bobPing.json).toMatchObject({ expireAfter: 900, warnAfter: 780 });
      expect(adaPing.json).toMatchObject({ expireAfter: 600, warnAfter: 480 });
      expect(app.logger.errors).toHaveLength(1);
      expect(app.logger.errors[0]).toContain('expireAfter(req) returned 1800');
      expect(app.logger.errors[0]).toContain('pci-dss-4');
    });
  });

  describe('signIns.list', () => {
    it("lists the user's own live sign-ins, newest activity first, the asking one current", async () => {
      await start();
      const firefox = await signInAs('ada', FIREFOX_ON_LINUX);
      app.clock.advance(10);
      const chrome = await signInAs('ada', CHROME_ON_WINDOWS);
      app.clock.advance(5);
      const bob = await signInAs('bob', FIREFOX_ON_LINUX);
      const [fromFirefox, fromChrome, fromBob] = [
        await markerOf(firefox),
        await markerOf(chrome),
        await markerOf(bob),
      ];
      app.clock.advance(5);
      const reply = await list(firefox);
      expect(reply.status).toBe(200);
      // The asking request is activity: Firefox's sign-in is the latest active.
      expect(JSON.parse(reply.text)).toEqual([
        {
          signIn: fromFirefox,
          startedAt: t0,
          lastActiveAt: at(20),
          device: 'Firefox 133 on Linux',
          current: true,
        },
        {
          signIn: fromChrome,
          startedAt: at(10),
          lastActiveAt: at(10),
          device: 'Chrome 131 on Windows',
          current: false,
        },
      ]);
      app.clock.advance(1);
      expect(JSON.parse((await list(chrome)).text)).toEqual([
        expect.objectContaining({ signIn: fromChrome, lastActiveAt: at(21), current: true }),
        expect.objectContaining({ signIn: fromFirefox, lastActiveAt: at(20), current: false }),
      ]);
      expect(JSON.parse((await list(bob)).text)).toEqual([
        {
          signIn: fromBob,
          startedAt: at(15),
          lastActiveAt: at(21),
          device: 'Firefox 133 on Linux',
          current: true,
        },
      ]);
    });

    it('leaves out a sign-in that expired', async () => {
      await start();
      const old = await signInAs('ada');
      app.clock.advance(600);
      const fresh = await signInAs('ada');
      const marker = await markerOf(fresh);
      app.clock.advance(300);
      expect(JSON.parse((await list(fresh)).text)).toEqual([
        expect.objectContaining({ signIn: marker, current: true }),
      ]);
      expect((await ping(old)).json).toEqual({ status: 'expired', reason: 'idle' });
    });

    it('answers an anonymous request 401, and every per-user route too', async () => {
      await start();
      const reply = await list();
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({
        status: 'error',
        error: 'session-security: the request is not signed in',
      });
      expect((await post('/end', undefined, { signIn: 'x' })).status).toBe(401);
      expect((await post('/end-all', undefined, { keepCurrent: false })).status).toBe(401);
      expect(app.appErrors).toEqual([]);
    });
  });

  describe('signIns.end', () => {
    it("ends another of the user's sign-ins: its next ping answers 401 revoked", async () => {
      await start();
      const mine = await signInAs('ada');
      const other = await signInAs('ada');
      const [myMarker, otherMarker] = [await markerOf(mine), await markerOf(other)];
      app.clock.advance(12);
      const reply = await post('/end', mine, { signIn: otherMarker });
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ ended: true });
      expect(signedOut()).toEqual([revokedEvent(otherMarker, 'ada', 12)]);
      const revoked = await ping(other);
      expect(revoked.status).toBe(401);
      expect(revoked.json).toEqual(REVOKED);
      expect((await ping(other)).json).toEqual({ status: 'anonymous' });
      expect((await ping(mine)).status).toBe(200);
      expect(JSON.parse((await list(mine)).text)).toEqual([
        expect.objectContaining({ signIn: myMarker, current: true }),
      ]);
      // Ended already: nothing more to end.
      expect((await post('/end', mine, { signIn: otherMarker })).json).toEqual({ ended: false });
      expect(signedOut()).toHaveLength(1);
    });

    it('sends the next page load of an ended sign-in to the login page with reason=revoked', async () => {
      await start({ loginUrl: '/login' });
      const mine = await signInAs('ada');
      const other = await signInAs('ada');
      const fetched = await signInAs('ada');
      for (const ended of [other, fetched]) {
        const signIn = await markerOf(ended);
        expect((await post('/end', mine, { signIn })).json).toEqual({ ended: true });
      }
      const page = await send(app.origin, '/reports?page=2', { headers: NAVIGATE }, other);
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/login?next=%2Freports%3Fpage%3D2&reason=revoked');
      expect((await send(app.origin, '/', { headers: NAVIGATE }, other)).text).toContain(
        'anonymous',
      );
      const data = await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, fetched);
      expect(data.status).toBe(401);
      expect(data.json).toEqual(REVOKED);
    });

    it("cannot end another user's sign-in", async () => {
      await start();
      const ada = await signInAs('ada');
      const bob = await signInAs('bob');
      const bobs = await markerOf(bob);
      const reply = await post('/end', ada, { signIn: bobs });
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ ended: false });
      expect((await ping(bob)).status).toBe(200);
      expect(signedOut()).toEqual([]);
    });
  });

  describe('signIns.end and endAll from another origin', () => {
    const FOREIGN: [string, Record<string, string>][] = [
      ['a foreign Origin', { origin: 'http://evil.example', 'content-type': 'application/json' }],
      ['Origin: null', { origin: 'null', 'content-type': 'application/json' }],
      [
        'Sec-Fetch-Site: same-site',
        {
          'sec-fetch-site': 'same-site',
          'sec-fetch-mode': 'cors',
          'content-type': 'application/json',
        },
      ],
      [
        'Sec-Fetch-Site: cross-site',
        {
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'no-cors',
          'content-type': 'text/plain',
        },
      ],
    ];

    it.each(FOREIGN)(
      'are refused for a request with %s: 403, and every sign-in lives',
      async (_name, headers) => {
        await start();
        const mine = await signInAs('ada');
        const other = await signInAs('ada');
        const others = await markerOf(other);
        const foreign = (path: string, body: unknown) =>
          send(
            app.origin,
            `/test/sign-ins${path}`,
            { method: 'POST', headers, body: JSON.stringify(body) },
            mine,
          );
        expect((await foreign('/end', { signIn: others })).status).toBe(403);
        expect((await foreign('/end-all', { keepCurrent: true })).status).toBe(403);
        expect((await foreign('/end-all', { keepCurrent: false })).status).toBe(403);
        expect((await ping(other)).status).toBe(200);
        expect((await ping(mine)).status).toBe(200);
        expect(signedOut()).toEqual([]);
        expect(events.filter((event) => event.type === 'refused')).toHaveLength(3);
      },
    );
  });

  describe('maxSignInsPerUser', () => {
    it("ends the user's least recently active sign-in past the limit (end-oldest), and no other user's", async () => {
      await start({ maxSignInsPerUser: 2 });
      const bob = await signInAs('bob');
      const first = await signInAs('ada');
      const firstMarker = await markerOf(first);
      app.clock.advance(10);
      const second = await signInAs('ada');
      app.clock.advance(10);
      // The first sign-in is used again: the second is now the least recently active.
      expect(
        (await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, first)).status,
      ).toBe(200);
      const secondMarker = await markerOf(second);
      app.clock.advance(10);
      const third = await signInAs('ada');
      expect((await ping(second)).json).toEqual(REVOKED);
      expect((await ping(first)).status).toBe(200);
      expect((await ping(third)).status).toBe(200);
      expect((await ping(bob)).status).toBe(200);
      expect(signedOut()).toEqual([
        { ...revokedEvent(secondMarker, 'ada', 30, 10), how: 'replaced' },
      ]);
      expect(firstMarker).not.toBe(secondMarker);
    });

    it("refuses the sign-in past the limit with onMaxSignIns: 'refuse': start(req) throws a 429 the app can show", async () => {
      await start({ maxSignInsPerUser: 2, onMaxSignIns: 'refuse' });
      const first = await signInAs('ada');
      const second = await signInAs('ada');
      const jar = new CookieJar();
      const refused = await send(
        app.origin,
        '/test/sign-in?start=1&user=ada',
        { method: 'POST', headers: SAME_ORIGIN_FETCH },
        jar,
      );
      expect(refused.status).toBe(429);
      expect((await ping(first)).status).toBe(200);
      expect((await ping(second)).status).toBe(200);
      expect(signedOut()).toEqual([]);
      expect(events.filter((event) => event.type === 'sign-in-refused')).toEqual([
        { type: 'sign-in-refused', at: t0, reason: 'max-sign-ins', userId: 'ada' },
      ]);
      // Once one of them signs out, the next sign-in is let in.
      expect(
        (
          await send(
            app.origin,
            '/session-security/logout',
            { method: 'POST', headers: SAME_ORIGIN_FETCH },
            first,
          )
        ).status,
      ).toBe(200);
      await signInAs('ada');
    });
  });

  describe("the default store's memory of sign-ins", () => {
    it('refuses the sign-ins of a user past signInMemory.perUser with 429, and another user signs in', async () => {
      if (storeKind !== 'default') {
        // The bound belongs to the default store: with another store it is a configuration error.
        await expect(start({ signInMemory: { perUser: 3 } })).rejects.toThrow(
          /signInMemory bounds the default store/,
        );
        return;
      }
      await start({ signInMemory: { perUser: 3 } });
      for (let i = 0; i < 3; i++) {
        const jar = await signInAs('mallory');
        await send(
          app.origin,
          '/session-security/logout',
          { method: 'POST', headers: SAME_ORIGIN_FETCH },
          jar,
        );
      }
      const refused = await send(app.origin, '/test/sign-in?start=1&user=mallory', {
        method: 'POST',
        headers: SAME_ORIGIN_FETCH,
      });
      expect(refused.status).toBe(429);
      // Without start(), the sign-in is ended before its session is saved: an anonymous visitor.
      const jar = new CookieJar();
      await send(app.origin, '/test/sign-in?user=mallory', { method: 'POST' }, jar);
      expect((await ping(jar)).json).toEqual({ status: 'anonymous' });
      expect(
        events.filter((event) => event.type === 'sign-in-refused').map((event) => event.reason),
      ).toEqual(['user-memory-full', 'user-memory-full']);
      expect((await ping(await signInAs('ada'))).status).toBe(200);
      // Once mallory's ended sign-ins lapse (expireAfter after their end), there is room again.
      app.clock.advance(900);
      await signInAs('mallory');
    });
  });

  describe('signIns.endAll, endUser, endEveryone', () => {
    /** Three sign-ins of ada and one of bob, at t0, with their markers. */
    async function fourSignIns() {
      const jars = {
        mine: await signInAs('ada'),
        second: await signInAs('ada'),
        third: await signInAs('ada'),
        bob: await signInAs('bob'),
      };
      const markers = {
        mine: await markerOf(jars.mine),
        second: await markerOf(jars.second),
        third: await markerOf(jars.third),
        bob: await markerOf(jars.bob),
      };
      app.clock.advance(30);
      return { jars, markers };
    }

    it("with keepCurrent ends the user's other sign-ins only", async () => {
      await start();
      const { jars, markers } = await fourSignIns();
      const reply = await post('/end-all', jars.mine, { keepCurrent: true });
      expect(reply.json).toEqual({ ended: 2 });
      expect(signedOut()).toEqual(
        [revokedEvent(markers.second, 'ada', 30), revokedEvent(markers.third, 'ada', 30)].sort(
          byMarker,
        ),
      );
      expect((await ping(jars.second)).json).toEqual(REVOKED);
      expect((await ping(jars.third)).json).toEqual(REVOKED);
      expect((await ping(jars.mine)).status).toBe(200);
      expect((await ping(jars.bob)).status).toBe(200);
    });

    it('without keepCurrent ends every sign-in of the user, the asking one too', async () => {
      await start();
      const { jars, markers } = await fourSignIns();
      const reply = await post('/end-all', jars.mine, { keepCurrent: false });
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ ended: 3 });
      expect(signedOut()).toEqual(
        [
          revokedEvent(markers.mine, 'ada', 30),
          revokedEvent(markers.second, 'ada', 30),
          revokedEvent(markers.third, 'ada', 30),
        ].sort(byMarker),
      );
      for (const jar of [jars.mine, jars.second, jars.third]) {
        expect((await ping(jar)).json).toEqual(REVOKED);
      }
      expect((await ping(jars.bob)).status).toBe(200);
    });

    it('endUser ends every sign-in of the named user only', async () => {
      await start();
      const { jars, markers } = await fourSignIns();
      const reply = await post('/end-user', undefined, { userId: 'bob' });
      expect(reply.json).toEqual({ ended: 1 });
      expect(signedOut()).toEqual([revokedEvent(markers.bob, 'bob', 30)]);
      expect((await ping(jars.bob)).json).toEqual(REVOKED);
      for (const jar of [jars.mine, jars.second, jars.third]) {
        expect((await ping(jar)).status).toBe(200);
      }
      expect((await post('/end-user', undefined, { userId: 'bob' })).json).toEqual({ ended: 0 });
    });

    it('endEveryone ends every sign-in of every user', async () => {
      await start();
      const { jars, markers } = await fourSignIns();
      const reply = await post('/end-everyone');
      expect(reply.json).toEqual({ ended: 4 });
      expect(signedOut()).toEqual(
        [
          revokedEvent(markers.mine, 'ada', 30),
          revokedEvent(markers.second, 'ada', 30),
          revokedEvent(markers.third, 'ada', 30),
          revokedEvent(markers.bob, 'bob', 30),
        ].sort(byMarker),
      );
      for (const jar of Object.values(jars)) expect((await ping(jar)).json).toEqual(REVOKED);
      expect((await post('/end-everyone')).json).toEqual({ ended: 0 });
      expect(app.appErrors).toEqual([]);
    });
  });
});

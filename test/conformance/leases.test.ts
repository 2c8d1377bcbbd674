// Conformance: leases (docs/guide/leases.md) against every adapter and store, on each app's fake
// clock. The browser's lease (`POST {prefix}/lease`) and the app's (`security.hold`, through the
// harnesses' `POST /test/hold`) keep a sign-in alive past expireAfter while they hold (the ping
// answers `idleFor: 0`), never past the absolute timeout; idle time counts from their end; a
// sign-out ends them; no lease is taken on an expired sign-in, for another origin, for an
// anonymous visitor, or (the browser's) without the `leases` option.

import { LeaseRefusedError, type SessionSecurityEvent } from 'session-security';
import { describe, expect, it } from 'vitest';
import { deferred } from '../support/deferred.js';
import { CookieJar, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import type { ConformanceApp, HarnessOptions } from './harness.js';

const LEASE = '/session-security/lease';
const PING = '/session-security/ping';
const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
const SECURITY = {
  expireAfter: 60,
  warnAfter: 30,
  absoluteTimeout: 3600,
  leases: { maxSeconds: 600 },
} as const;
/** The message of a refused lease (no live sign-in), in every framework's answer. */
const NO_SIGN_IN = 'no lease without a live sign-in';

/**
 * How each harness's `POST /test/hold` (`security.hold`) reaches its framework's error path for a
 * refused lease (harness.ts, ConformanceApp): every harness has the route (Next's through the web
 * handler it gives `nextSessionSecurity`, NestJS's through the injected `SessionSecurity`), and
 * each answers the refusal with its status. `appError`: the harness keeps it in `appErrors` (none
 * does: Express's `storeUnavailableHandler` answers it, Hono's `onError` as the README's does,
 * Koa, Fastify and node:http by the error's status, Next and NestJS by the library's answer).
 */
const APP_HOLD: Readonly<Record<string, { appError: boolean }>> = {
  express: { appError: false },
  fastify: { appError: false },
  koa: { appError: false },
  hono: { appError: false },
  'node:http': { appError: false },
  next: { appError: false },
  'nestjs-express': { appError: false },
  'nestjs-fastify': { appError: false },
};

/** Work the test settles by hand. */

describe.each(CASES)('%s with the %s store', (framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  const appHold = APP_HOLD[framework];
  let app: ConformanceApp;
  let events: SessionSecurityEvent[] = [];

  /** Starts the app with the suite's timeouts and `leases` (or the `security` given). */
  const start = async (
    security: HarnessOptions['security'] = SECURITY,
    more: Omit<HarnessOptions, 'security'> = {},
  ) => {
    events = [];
    app = await adapter.start({
      ...more,
      security: {
        ...security,
        onEvent: (event: SessionSecurityEvent) => {
          events.push(event);
        },
      },
    });
    return app;
  };
  /** A GET ping: passive, it records no activity. */
  const ping = (jar: CookieJar) => send(app.origin, PING, { headers: SAME_ORIGIN_FETCH }, jar);
  /** The browser's lease route, with a JSON body. */
  const lease = (jar: CookieJar | undefined, body: unknown, headers: Record<string, string> = {}) =>
    send(
      app.origin,
      LEASE,
      { method: 'POST', headers: { ...JSON_POST, ...headers }, body: JSON.stringify(body) },
      jar,
    );
  /** The app's hold (`POST /test/hold`), as a fetch of the page. */
  const hold = (jar: CookieJar | undefined, maxSeconds = 900) =>
    send(
      app.origin,
      `/test/hold?maxSeconds=${maxSeconds}`,
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      jar,
    );
  const leasesHeld = (by: 'client' | 'server') =>
    events.filter((event) => event.type === 'lease-held' && event.by === by);

  it("lists the harness in the table of the app's hold", () => {
    expect(appHold).toBeDefined();
  });

  describe("the browser's lease", () => {
    it('holds the sign-in past expireAfter (idleFor 0), and idle time counts from its end', async () => {
      await start();
      const jar = await app.signIn();
      const held = await lease(jar, { hold: { label: 'upload' } });
      expect(held.status).toBe(200);
      expect(held.json).toEqual({
        status: 'held',
        lease: expect.any(String),
        maxSeconds: 600,
      });
      app.clock.advance(300);
      const during = await ping(jar);
      expect(during.status).toBe(200);
      expect(during.json).toMatchObject({ status: 'active', idleFor: 0 });
      const released = await lease(jar, { end: held.json?.lease });
      expect(released.status).toBe(200);
      expect(released.json).toEqual({ status: 'released' });
      app.clock.advance(59);
      const still = await ping(jar);
      expect(still.status).toBe(200);
      expect(still.json).toMatchObject({ status: 'active', idleFor: 59 });
      app.clock.advance(1);
      const after = await ping(jar);
      expect(after.status).toBe(401);
      expect(after.json).toMatchObject({ status: 'expired', reason: 'idle' });
      expect(leasesHeld('client')).toEqual([
        expect.objectContaining({ lease: held.json?.lease, label: 'upload', maxSeconds: 600 }),
      ]);
      expect(events.find((event) => event.type === 'lease-ended')).toMatchObject({
        lease: held.json?.lease,
        by: 'client',
        how: 'settled',
        seconds: 300,
      });
      expect(app.appErrors).toEqual([]);
    });

    it('never holds it past the absolute timeout', async () => {
      await start({ ...SECURITY, leases: { maxSeconds: 7200 } });
      const jar = await app.signIn();
      const held = await lease(jar, { hold: { maxSeconds: 7200 } });
      expect(held.status).toBe(200);
      expect(held.json).toMatchObject({ status: 'held', maxSeconds: 7200 });
      app.clock.advance(3599);
      const alive = await ping(jar);
      expect(alive.status).toBe(200);
      expect(alive.json).toMatchObject({ status: 'active', idleFor: 0 });
      app.clock.advance(1);
      const ended = await ping(jar);
      expect(ended.status).toBe(401);
      expect(ended.json).toMatchObject({ status: 'expired', reason: 'absolute' });
    });

    it('ends with a sign-out: a copy of the cookie gets 401 on the lease route and the ping', async () => {
      await start();
      const jar = await app.signIn();
      const held = await lease(jar, { hold: {} });
      expect(held.status).toBe(200);
      const copy = jar.clone();
      const signedOut = await send(
        app.origin,
        '/test/sign-out',
        { method: 'POST', headers: SAME_ORIGIN_FETCH },
        jar,
      );
      expect(signedOut.status).toBe(200);
      expect((await lease(copy, { end: held.json?.lease })).status).toBe(401);
      const again = await lease(copy, { hold: {} });
      expect(again.status).toBe(401);
      expect(again.json).toEqual({ status: 'anonymous' });
      expect((await ping(copy)).status).toBe(401);
      // Nothing the lease held is left to come back: later, the copy is still refused.
      app.clock.advance(30);
      expect((await ping(copy)).status).toBe(401);
      expect((await lease(copy, { hold: {} })).status).toBe(401);
    });

    it('is taken on no expired sign-in: 401 expired, as a ping is, and nothing revives it', async () => {
      await start();
      const jar = await app.signIn();
      app.clock.advance(60);
      const late = await lease(jar, { hold: {} });
      expect(late.status).toBe(401);
      expect(late.json).toMatchObject({ status: 'expired', reason: 'idle' });
      expect((await ping(jar)).status).toBe(401);
      expect((await lease(jar, { hold: {} })).status).toBe(401);
      expect(leasesHeld('client')).toEqual([]);
    });

    it('refuses another origin (403, no lease taken) and an anonymous visitor (401)', async () => {
      await start();
      const jar = await app.signIn();
      const cross = await lease(jar, { hold: {} }, { origin: 'https://evil.example' });
      expect(cross.status).toBe(403);
      const nobody = await lease(new CookieJar(), { hold: {} });
      expect(nobody.status).toBe(401);
      expect(nobody.json).toEqual({ status: 'anonymous' });
      expect(leasesHeld('client')).toEqual([]);
      // The refused lease holds nothing: the sign-in idles out as it would have.
      app.clock.advance(60);
      expect((await ping(jar)).status).toBe(401);
    });

    it('is no route (404) without the leases option', async () => {
      const { leases: _off, ...withoutLeases } = SECURITY;
      await start(withoutLeases);
      const jar = await app.signIn();
      expect((await lease(jar, { hold: {} })).status).toBe(404);
      expect((await lease(jar, { end: 'any' })).status).toBe(404);
      expect(leasesHeld('client')).toEqual([]);
    });
  });

  describe("the app's lease (security.hold through POST /test/hold)", () => {
    it('holds the sign-in while its work runs, answers what the work gives, and idle time counts from its end', async () => {
      const work = deferred<string>();
      let calls = 0;
      await start(SECURITY, {
        work: () => {
          calls++;
          return work.promise;
        },
      });
      const jar = await app.signIn();
      const answer = hold(jar);
      // Awaited below; should a check before fail, the app's close ends it: no unhandled rejection.
      answer.catch(() => {});
      // The lease is taken (then the work called): the request waits on the work.
      await expect.poll(() => leasesHeld('server').length).toBe(1);
      expect(leasesHeld('server')[0]).toMatchObject({ label: 'report', maxSeconds: 900 });
      app.clock.advance(300);
      const during = await ping(jar);
      expect(during.status).toBe(200);
      expect(during.json).toMatchObject({ status: 'active', idleFor: 0 });
      work.resolve('the quarterly report');
      const reply = await answer;
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ held: 'the quarterly report' });
      expect(calls).toBe(1);
      app.clock.advance(59);
      expect((await ping(jar)).status).toBe(200);
      app.clock.advance(1);
      const after = await ping(jar);
      expect(after.status).toBe(401);
      expect(after.json).toMatchObject({ status: 'expired', reason: 'idle' });
      expect(events.find((event) => event.type === 'lease-ended')).toMatchObject({
        by: 'server',
        how: 'settled',
        label: 'report',
        seconds: 300,
      });
      expect(app.appErrors).toEqual([]);
    });

    it('refuses an anonymous request with 401 and never calls the work', async () => {
      let calls = 0;
      await start(SECURITY, {
        work: async () => {
          calls++;
          return 'done';
        },
      });
      for (const jar of [new CookieJar(), undefined]) {
        const refused = await hold(jar);
        expect(refused.status).toBe(401);
        expect(refused.text).toContain(NO_SIGN_IN);
      }
      expect(calls).toBe(0);
      expect(leasesHeld('server')).toEqual([]);
      // The refusal is the framework's to answer, never a 500 of the app's.
      const kept = appHold?.appError ? 2 : 0;
      expect(app.appErrors).toHaveLength(kept);
      for (const error of app.appErrors) {
        expect(error).toBeInstanceOf(LeaseRefusedError);
        expect(error).toMatchObject({ status: 401, reason: 'no-sign-in' });
      }
    });
  });
});

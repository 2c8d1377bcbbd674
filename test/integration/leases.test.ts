// Leases through HTTP on Express and express-session with the default store, on a fake clock:
// the browser's `POST {prefix}/lease` and the app's `security.hold(req, work)`. A lease keeps the
// sign-in alive past expireAfter while its work runs, never past the absolute timeout; idle time
// counts from its end; a sign-out ends it; other origins, anonymous visitors, bad bodies and an
// app without the option get nothing.

import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityStore, SessionSecurityEvent } from '../../src/index.js';
import { sessionObjectStore } from '../../src/server/store.js';
import { deferred } from '../support/deferred.js';
import { startTestApp } from '../support/express-app.js';
import { type CookieJar, SAME_ORIGIN_FETCH, send } from '../support/http.js';

const LEASE = '/session-security/lease';

type App = Awaited<ReturnType<typeof startTestApp>>;
const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** Work the test settles by hand. */

/** The default store, whose hold and release fail while `failing` says so (a store that stops). */
function faultyStore(now: () => number) {
  const store = sessionObjectStore({ now, logger: { warn: () => {}, error: () => {} } });
  const failing = { hold: false, release: false };
  const fault = () =>
    Promise.reject(Object.assign(new Error('connection lost'), { code: 'ECONNRESET' }));
  const faulty: ActivityStore = Object.assign(Object.create(store) as ActivityStore, {
    hold: (...args: Parameters<NonNullable<ActivityStore['hold']>>) =>
      failing.hold ? fault() : (store.hold?.(...args) ?? fault()),
    release: (...args: Parameters<NonNullable<ActivityStore['release']>>) =>
      failing.release ? fault() : (store.release?.(...args) ?? fault()),
  });
  return { faulty, failing };
}

async function start(
  leases: { maxSeconds?: number } | null = { maxSeconds: 600 },
  store?: (now: () => number) => ActivityStore,
) {
  const events: SessionSecurityEvent[] = [];
  let work = deferred<string>();
  let clock: { now(): number } | undefined;
  const app = await startTestApp({
    security: {
      expireAfter: 60,
      warnAfter: 30,
      absoluteTimeout: 3600,
      ...(leases && { leases }),
      ...(store && { store: store(() => clock?.now() ?? 0) }),
      onEvent: (event) => {
        events.push(event);
      },
    },
    routes: (express, security) => {
      express.post('/report', (req, res, next) => {
        security.hold(req, work.promise, { maxSeconds: 900, label: 'report' }).then(
          (report) => res.json({ report }),
          (error: unknown) => next(error),
        );
      });
    },
  });
  apps.push(app);
  clock = app.clock;
  const jar = await app.signIn();
  const post = (body: unknown, headers: Record<string, string> = {}, as: CookieJar = jar) =>
    send(
      app.origin,
      LEASE,
      {
        method: 'POST',
        headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      },
      as,
    );
  // Passive: asking records no activity.
  const page = () =>
    send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
  const poll = () =>
    send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
  return {
    app,
    jar,
    events,
    post,
    page,
    poll,
    newWork: () => {
      work = deferred<string>();
      return work;
    },
    work: () => work,
    /** Asks for a report (its work is the test's): answered once the work settles. */
    async report(as: CookieJar = jar) {
      const answer = send(
        app.origin,
        '/report',
        { method: 'POST', headers: SAME_ORIGIN_FETCH },
        as,
      );
      await expect.poll(() => events.some((event) => event.type === 'lease-held')).toBe(true);
      // In an object: returned as it is, the answer would be awaited with this call.
      return { reply: answer };
    },
  };
}

describe('the browser lease (POST {prefix}/lease)', () => {
  it('holds the sign-in past expireAfter, idle for no time, and idle time counts from its release', async () => {
    const t = await start();
    const held = await t.post({ hold: { label: 'upload' } });
    expect(held.status).toBe(200);
    expect(held.json).toMatchObject({ status: 'held', maxSeconds: 600 });
    t.app.clock.advance(300);
    const during = await t.poll();
    expect(during.json).toMatchObject({ status: 'active', idleFor: 0, expireIn: 60 });
    expect((await t.post({ end: held.json?.lease })).json).toEqual({ status: 'released' });
    t.app.clock.advance(59);
    expect((await t.page()).status).toBe(200);
    t.app.clock.advance(1);
    const after = await t.page();
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({ reason: 'idle' });
    const kinds = t.events.map((event) => event.type);
    expect(kinds).toEqual(expect.arrayContaining(['lease-held', 'lease-ended', 'expired']));
    expect(t.events.find((event) => event.type === 'lease-ended')).toMatchObject({
      by: 'client',
      how: 'settled',
      lease: held.json?.lease,
      seconds: 300,
    });
  });

  it("never holds longer than the server's maxSeconds, whatever the browser asks", async () => {
    const t = await start({ maxSeconds: 120 });
    const held = await t.post({ hold: { maxSeconds: 100_000 } });
    expect(held.json).toMatchObject({ status: 'held', maxSeconds: 120 });
    t.app.clock.advance(179);
    expect((await t.page()).status).toBe(200);
    t.app.clock.advance(1);
    expect((await t.page()).status).toBe(401);
  });

  it('never passes the absolute timeout', async () => {
    const t = await start({ maxSeconds: 7200 });
    await t.post({ hold: {} });
    t.app.clock.advance(3599);
    expect((await t.page()).status).toBe(200);
    t.app.clock.advance(1);
    const ended = await t.page();
    expect(ended.status).toBe(401);
    expect(ended.json).toMatchObject({ reason: 'absolute' });
  });

  it('ends with a sign-out: its release revives nothing, and a copy of the cookie takes no new lease', async () => {
    const t = await start();
    const held = await t.post({ hold: {} });
    const copy = t.jar.clone();
    await send(t.app.origin, '/test/sign-out', { method: 'POST' }, t.jar);
    expect((await t.post({ end: held.json?.lease }, {}, copy)).status).toBe(401);
    // The session is gone: the copy's cookie names none.
    const again = await t.post({ hold: {} }, {}, copy);
    expect(again.status).toBe(401);
    expect(again.json).toEqual({ status: 'anonymous' });
  });

  it('is taken on no expired sign-in: answered 401 expired, as a ping is', async () => {
    const t = await start();
    t.app.clock.advance(60);
    const late = await t.post({ hold: {} });
    expect(late.status).toBe(401);
    expect(late.json).toMatchObject({ status: 'expired', reason: 'idle' });
  });

  it('refuses other origins, anonymous visitors and bad bodies, and answers 404 without the option', async () => {
    const t = await start();
    const cross = await t.post({ hold: {} }, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    const anonymous = await t.post({ hold: {} }, {}, (await start()).jar.clone());
    expect([200, 401]).toContain(anonymous.status);
    const nobody = await send(t.app.origin, LEASE, {
      method: 'POST',
      headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' },
      body: '{"hold":{}}',
    });
    expect(nobody.status).toBe(401);
    expect(nobody.json).toEqual({ status: 'anonymous' });
    for (const body of [
      { hold: { maxSeconds: -1 } },
      { hold: { label: 'a\nb' } },
      { hold: { label: 'x'.repeat(65) } },
      { hold: {}, end: 'x' },
      { end: 42 },
      [],
    ]) {
      const refused = await t.post(body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
    const form = await send(
      t.app.origin,
      LEASE,
      {
        method: 'POST',
        headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'text/plain' },
        body: '{"hold":{}}',
      },
      t.jar,
    );
    expect(form.status).toBe(415);
    const off = await start(null);
    expect((await off.post({ hold: {} })).status).toBe(404);
  });

  it('ends nothing for a lease id the browser made up, and reports nothing for it', async () => {
    const t = await start();
    await t.post({ hold: {} });
    const made = await t.post({ end: 'made-up.1700000000000.600' });
    expect(made.json).toEqual({ status: 'released' });
    t.app.clock.advance(300);
    expect((await t.poll()).json).toMatchObject({ idleFor: 0 });
    expect(t.events.filter((event) => event.type === 'lease-ended')).toEqual([]);
  });

  it("cannot end another sign-in's lease: its id means nothing in another session", async () => {
    const t = await start();
    const held = await t.post({ hold: {} });
    const other = await t.app.signIn();
    expect((await t.post({ end: held.json?.lease }, {}, other)).json).toEqual({
      status: 'released',
    });
    t.app.clock.advance(300);
    expect((await t.poll()).json).toMatchObject({ status: 'active', idleFor: 0 });
  });

  it('answers 503 when the store fails to take it, and no lease is left', async () => {
    let failing = { hold: false, release: false };
    const t = await start({ maxSeconds: 600 }, (now) => {
      const made = faultyStore(now);
      failing = made.failing;
      return made.faulty;
    });
    failing.hold = true;
    const refused = await t.post({ hold: {} });
    expect(refused.status).toBe(503);
    expect(t.events).toContainEqual(
      expect.objectContaining({ type: 'store-failed', operation: 'lease' }),
    );
    t.app.clock.advance(60);
    expect((await t.page()).status).toBe(401);
  });

  it('refuses a 17th live lease of one sign-in (429)', async () => {
    const t = await start();
    for (let i = 0; i < 16; i++) expect((await t.post({ hold: {} })).status).toBe(200);
    expect((await t.post({ hold: {} })).status).toBe(429);
  });
});

describe("the app's lease (security.hold(req, work))", () => {
  it('holds the sign-in while the work runs, and answers what the work gives', async () => {
    const t = await start();
    const work = t.newWork();
    const { reply: report } = await t.report();
    t.app.clock.advance(500);
    expect((await t.page()).status).toBe(200);
    work.resolve('done');
    expect((await report).json).toEqual({ report: 'done' });
    t.app.clock.advance(59);
    expect((await t.page()).status).toBe(200);
    t.app.clock.advance(1);
    expect((await t.page()).status).toBe(401);
    expect(t.events.find((event) => event.type === 'lease-ended')).toMatchObject({
      by: 'server',
      how: 'settled',
      label: 'report',
      seconds: 500,
    });
  });

  it('ends the lease when the work fails, and the failure reaches the app', async () => {
    const t = await start();
    const work = t.newWork();
    const { reply: report } = await t.report();
    work.reject(new Error('the report failed'));
    expect((await report).status).toBe(500);
    expect(t.app.appErrors).toHaveLength(1);
    t.app.clock.advance(60);
    expect((await t.page()).status).toBe(401);
  });

  it('reports a lease whose sign-in was signed out meanwhile as ended with it', async () => {
    const t = await start();
    const work = t.newWork();
    const { reply: report } = await t.report(t.jar.clone());
    await send(t.app.origin, '/test/sign-out', { method: 'POST' }, t.jar);
    work.resolve('done');
    await report;
    expect(t.events.find((event) => event.type === 'lease-ended')).toMatchObject({
      how: 'sign-in-ended',
    });
  });

  it("answers the work's answer when the store fails to end the lease, which then lapses at its maxSeconds", async () => {
    let failing = { hold: false, release: false };
    const t = await start({ maxSeconds: 600 }, (now) => {
      const made = faultyStore(now);
      failing = made.failing;
      return made.faulty;
    });
    failing.release = true;
    const work = t.newWork();
    const { reply: report } = await t.report();
    work.resolve('done');
    expect((await report).json).toEqual({ report: 'done' });
    expect(t.events).toContainEqual(
      expect.objectContaining({ type: 'store-failed', operation: 'lease' }),
    );
    // Never ended: it holds to its maxSeconds (900 s), then idle time counts from there.
    t.app.clock.advance(959);
    expect((await t.page()).status).toBe(200);
    t.app.clock.advance(1);
    expect((await t.page()).status).toBe(401);
  });

  it('refuses an anonymous request with a 401 LeaseRefusedError, and bad options with a TypeError', async () => {
    const t = await start();
    const anonymous = await send(t.app.origin, '/report', {
      method: 'POST',
      headers: SAME_ORIGIN_FETCH,
    });
    expect(anonymous.status).toBe(401);
    expect(t.app.appErrors[0]).toMatchObject({ name: 'LeaseRefusedError', reason: 'no-sign-in' });
    await expect(
      t.app.security.hold({} as never, Promise.resolve(1), { maxSeconds: 0 }),
    ).rejects.toThrow(/maxSeconds \(0\) must be a number of seconds above 0/);
  });
});

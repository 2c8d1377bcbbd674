// Leases in the Redis store (src/stores/redis.ts: the hold and release scripts) against the run's
// Redis, through both clients: a lease taken on one instance holds the sign-in on every other (one
// keeping copies of records, too), idle time counts from its end, it never passes the absolute
// timeout, a sign-out or revocation ends it, a copy never outlives a release, and the sweep and
// the list of sign-ins count it. Then through HTTP: `security.hold(req, work)` on one Express
// instance holds the sign-in on another sharing the same Redis.

import { randomUUID } from 'node:crypto';
import type express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import { type RedisStoreOptions, redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecurityState, statusOf, type Timeouts } from '../../src/core/policy.js';
import type { ActivityStore, SessionAccess, Touch } from '../../src/core/store.js';
import { type ClientKind, type Connection, countedClients } from '../support/counted-redis.js';
import { startTestApp } from '../support/express-app.js';
import { fakeSession } from '../support/fake-session.js';
import { FakeClock, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { testRedisPort } from '../support/test-redis.js';

const RUN_PREFIX = `session-security-leases:${randomUUID()}:`;
const T0 = 1_700_000_000_000;
const GRACE_MS = 3_600_000;
/** 100 s: a step (a hundredth) of 1 s. */
const TIMEOUTS: Timeouts = { expireAfterMs: 100_000, warnAfterMs: 80_000, absoluteTimeoutMs: 0 };
/** 1,500 s: a step of 15 s, so a copy stays usable for its age through a test. */
const LONG: Timeouts = { expireAfterMs: 1_500_000, warnAfterMs: 1_400_000, absoluteTimeoutMs: 0 };
const BOUND_MS = 300;
const quietLogger = { warn: () => {}, error: () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let admin: Redis;
let prefixCount = 0;
const newPrefix = () => `${RUN_PREFIX}${++prefixCount}:`;
const closers: (() => unknown)[] = [];

beforeAll(() => {
  admin = new Redis({ host: '127.0.0.1', port: testRedisPort() });
});

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${RUN_PREFIX}*`, 'COUNT', 1000);
    if (keys.length > 0) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  admin.disconnect();
});

const [ioredis, nodeRedis] = countedClients(testRedisPort, (close) => closers.push(close));

const markerOf = (session: SessionAccess) => (session.read() as { id: string }).id;

/** The state of an active step (fails the test on any other). */
function activeState(touch: Touch | { kind: 'too-many' }): { state: SecurityState; nowMs: number } {
  if (touch.kind !== 'active') throw new Error(`not active: ${JSON.stringify(touch)}`);
  return touch;
}

/** The ping's status of an active step. */
const statusOfStep = (touch: Touch, timeouts = TIMEOUTS) => {
  const { state, nowMs } = activeState(touch);
  return statusOf(state, nowMs, timeouts);
};

/**
 * Two instances on one test clock: A without copies, B keeping copies (its own connection and
 * subscriber), a sign-in started on A at T0 that both sessions name.
 */
async function twoInstances(
  kind: ClientKind,
  timeouts = TIMEOUTS,
  extra: Partial<RedisStoreOptions> = {},
) {
  let clockMs = T0;
  const clock = {
    now: () => clockMs,
    set: (ms: number) => {
      clockMs = ms;
    },
  };
  const prefix = newPrefix();
  const aConnection = await kind.connect();
  const bConnection = await kind.connect();
  const common = { prefix, now: clock.now, logger: quietLogger, ...extra };
  const a = redisStore({ client: aConnection.client, ...common });
  const b = redisStore({
    client: bConnection.client,
    subscriber: bConnection.subscriber,
    cacheBound: BOUND_MS,
    ...common,
  });
  const shared = { value: undefined as unknown };
  const { session: onA } = fakeSession(shared);
  const { session: onB } = fakeSession(shared);
  await a.start(onA, timeouts, { userId: `user-${randomUUID()}` });
  const marker = markerOf(onA);
  return { clock, prefix, a, b, bConnection, onA, onB, marker, key: `${prefix}${marker}` };
}

/** Passive steps on B until one is answered from its copy (no script about the key), within 3 s. */
async function untilCopied(
  store: ActivityStore,
  connection: Connection,
  session: SessionAccess,
  key: string,
  timeouts = TIMEOUTS,
): Promise<Touch> {
  const until = Date.now() + 3000;
  for (;;) {
    connection.reset();
    const touch = await store.touch(session, undefined, timeouts);
    expect(touch.kind).toBe('active');
    if (connection.callsOn(key) === 0) return touch;
    if (Date.now() > until) throw new Error('the copy was never used');
    await sleep(20);
  }
}

/**
 * Passive steps on `store` until `done` says so, or the cache's bound (and a margin) passed: what a
 * copy answers once a message published in Redis has reached its process.
 */
async function stepUntil(
  store: ActivityStore,
  session: SessionAccess,
  done: (touch: Touch) => boolean,
  timeouts = TIMEOUTS,
): Promise<Touch> {
  const startedAt = performance.now();
  for (;;) {
    const touch = await store.touch(session, undefined, timeouts);
    if (done(touch) || performance.now() - startedAt > BOUND_MS + 100) return touch;
    await sleep(5);
  }
}

/** The record's remaining TTL, checked to be `ms` (less the test's own time). */
async function expectTtl(key: string, ms: number) {
  const ttl = await admin.pttl(key);
  expect(ttl).toBeGreaterThan(ms - 1000);
  expect(ttl).toBeLessThanOrEqual(ms);
}

/** The lease fields of a record. */
async function leaseFields(key: string): Promise<Record<string, string>> {
  const record = await admin.hgetall(key);
  return Object.fromEntries(Object.entries(record).filter(([field]) => field.startsWith('lease:')));
}

describe.each([ioredis, nodeRedis])('leases in the Redis store, $name', (kind) => {
  it('a lease taken on A holds the sign-in on B past expireAfter, idle for no time; B drops its copy without the lease', async () => {
    const { clock, a, b, bConnection, onA, onB, marker, key } = await twoInstances(kind);
    await untilCopied(b, bConnection, onB, key);

    clock.set(T0 + 10_000);
    const held = await a.hold?.(onA, { id: 'upload', forMs: 300_000 }, TIMEOUTS);
    expect(held).toEqual({
      kind: 'active',
      state: {
        lastActivity: T0,
        startedAt: T0,
        id: marker,
        userId: expect.any(String),
        heldUntil: T0 + 310_000,
      },
      nowMs: T0 + 10_000,
    });
    // The lease and the derived `held` in the record; no activity recorded; the TTL covers it.
    expect(await admin.hgetall(key)).toMatchObject({
      lastActivity: String(T0),
      'lease:upload': String(T0 + 310_000),
      held: String(T0 + 310_000),
    });
    await expectTtl(key, 310_000 + 100_000 - 10_000 + GRACE_MS);

    // B's copy (no lease in it) is dropped by the hold's message: B's next step learns the lease.
    clock.set(T0 + 50_000);
    const learned = await stepUntil(
      b,
      onB,
      (touch) => activeState(touch).state.heldUntil !== undefined,
    );
    expect(activeState(learned).state.heldUntil).toBe(T0 + 310_000);
    expect(statusOfStep(learned)).toMatchObject({ idleFor: 0, expireIn: 100, warnIn: 80 });

    // 200 s without activity, twice expireAfter: alive on B, from its copy and from Redis alike.
    clock.set(T0 + 200_000);
    bConnection.reset();
    const fromCopy = await b.touch(onB, undefined, TIMEOUTS);
    expect(bConnection.callsOn(key)).toBe(0);
    expect(statusOfStep(fromCopy)).toMatchObject({ idleFor: 0, expireIn: 100 });
    const ping = await b.touch(onB, undefined, TIMEOUTS, false, true);
    expect(bConnection.callsOn(key)).toBe(1);
    expect(activeState(ping).state).toMatchObject({ lastActivity: T0, heldUntil: T0 + 310_000 });
    expect(statusOfStep(ping)).toMatchObject({ idleFor: 0, expireIn: 100 });
    // Activity written meanwhile keeps the TTL to the lease's end + expireAfter.
    expect(activeState(await a.touch(onA, 0, TIMEOUTS)).state.lastActivity).toBe(T0 + 200_000);
    await expectTtl(key, 410_000 - 200_000 + GRACE_MS);
  });

  it("the session's hint of the deadline follows a lease, and comes back at the next step after its release", async () => {
    // A minute of grace: the hint is rewritten once the deadline moved on by half of it.
    const { clock, a, b, onA, onB, marker } = await twoInstances(kind, TIMEOUTS, {
      graceSeconds: 60,
    });
    const hint = () => (onA.read() as { until: number }).until;
    expect(hint()).toBe(T0 + 100_000);
    await a.hold?.(onA, { id: 'upload', forMs: 300_000 }, TIMEOUTS);
    expect(hint()).toBe(T0 + 400_000);
    clock.set(T0 + 50_000);
    await a.release?.(marker, 'upload', TIMEOUTS);
    // Never ahead of the deadline: a record that timed out is not taken for one Redis lost.
    await b.touch(onB, undefined, TIMEOUTS, false, true);
    expect(hint()).toBe(T0 + 150_000);
  });

  it('a release: idle time counts from it, on every instance', async () => {
    const { clock, a, b, onA, onB, marker, key } = await twoInstances(kind);
    await a.hold?.(onA, { id: 'report', forMs: 300_000 }, TIMEOUTS);
    clock.set(T0 + 150_000);
    const released = await a.release?.(marker, 'report', TIMEOUTS);
    expect(released).toEqual({
      lastActivity: T0,
      startedAt: T0,
      id: marker,
      userId: expect.any(String),
      heldUntil: T0 + 150_000,
    });
    const record = await admin.hgetall(key);
    expect(record['lease:report']).toBeUndefined();
    expect(record).toMatchObject({ heldTo: String(T0 + 150_000), held: String(T0 + 150_000) });
    await expectTtl(key, 100_000 + GRACE_MS);
    // Releasing it again ends nothing, and changes nothing.
    expect(await a.release?.(marker, 'report', TIMEOUTS)).toBeUndefined();
    expect(await admin.hget(key, 'held')).toBe(String(T0 + 150_000));

    clock.set(T0 + 249_999);
    expect(statusOfStep(await b.touch(onB, undefined, TIMEOUTS))).toMatchObject({
      idleFor: 99.999,
    });
    clock.set(T0 + 250_000);
    expect(await b.touch(onB, undefined, TIMEOUTS)).toEqual({
      kind: 'ended',
      reason: 'idle',
      found: expect.objectContaining({ lastActivity: T0, heldUntil: T0 + 150_000 }),
    });
  });

  it('a lease never released holds until its end, then idle time counts from there', async () => {
    const { clock, a, b, onA, onB, marker, key } = await twoInstances(kind);
    await a.hold?.(onA, { id: 'forgotten', forMs: 50_000 }, TIMEOUTS);
    clock.set(T0 + 149_999);
    expect(statusOfStep(await b.touch(onB, undefined, TIMEOUTS))).toMatchObject({
      idleFor: 99.999,
      expireIn: 0.001,
    });
    clock.set(T0 + 150_000);
    expect(await b.touch(onB, undefined, TIMEOUTS)).toMatchObject({
      kind: 'ended',
      reason: 'idle',
      found: { heldUntil: T0 + 50_000 },
    });
    // Its release, once the sign-in expired, does nothing.
    const record = await admin.hgetall(key);
    expect(await a.release?.(marker, 'forgotten', TIMEOUTS)).toBeUndefined();
    expect(await admin.hgetall(key)).toEqual(record);
  });

  it('a lapsed lease is dropped by the next hold, its end kept: releasing it then changes nothing', async () => {
    const { clock, a, onA, marker, key } = await twoInstances(kind);
    await a.hold?.(onA, { id: 'first', forMs: 50_000 }, TIMEOUTS);
    clock.set(T0 + 60_000);
    const second = await a.hold?.(onA, { id: 'second', forMs: 10_000 }, TIMEOUTS);
    expect(activeState(second as Touch).state.heldUntil).toBe(T0 + 70_000);
    expect(await leaseFields(key)).toEqual({ 'lease:second': String(T0 + 70_000) });
    expect(await admin.hget(key, 'heldTo')).toBe(String(T0 + 50_000));
    // Lapsed and forgotten: no live lease by that id, nothing ended.
    expect(await a.release?.(marker, 'first', TIMEOUTS)).toBeUndefined();
    expect(await admin.hget(key, 'held')).toBe(String(T0 + 70_000));
    await expectTtl(key, 70_000 + 100_000 - 60_000 + GRACE_MS);
  });

  it('a lease never passes the absolute timeout', async () => {
    const timeouts = { expireAfterMs: 100_000, warnAfterMs: 80_000, absoluteTimeoutMs: 150_000 };
    const { clock, a, b, onA, onB, key } = await twoInstances(kind, timeouts);
    clock.set(T0 + 10_000);
    const held = await a.hold?.(onA, { id: 'long', forMs: 1_000_000 }, timeouts);
    expect(activeState(held as Touch).state).toMatchObject({ startedAt: T0 });
    // Its TTL stops at the absolute deadline, not the lease's.
    await expectTtl(key, 140_000 + GRACE_MS);
    clock.set(T0 + 149_999);
    expect(statusOfStep(await b.touch(onB, undefined, timeouts), timeouts)).toMatchObject({
      idleFor: 0,
      expireIn: 0.001,
      absolute: true,
    });
    clock.set(T0 + 150_000);
    expect(await b.touch(onB, 0, timeouts)).toMatchObject({ kind: 'ended', reason: 'absolute' });
    expect(await admin.hget(key, 'ended')).toBe('absolute');
  });

  it.each(['logout', 'revoked'] as const)(
    'a sign-in ended on B (%s) ends its lease on A: A releases nothing and revives nothing, and a hold then answers ended',
    async (reason) => {
      const { clock, a, b, onA, onB, marker, key } = await twoInstances(kind);
      await a.hold?.(onA, { id: 'upload', forMs: 300_000 }, TIMEOUTS);
      clock.set(T0 + 5000);
      if (reason === 'logout') {
        expect(await b.end(onB, 'logout', TIMEOUTS)).toMatchObject({ heldUntil: T0 + 300_000 });
      } else {
        const userId = (await admin.hget(key, 'user')) as string;
        expect(await b.revoke?.({ userId, signIn: marker }, TIMEOUTS)).toHaveLength(1);
      }
      const record = await admin.hgetall(key);
      expect(record.ended).toBe(reason);
      const ttl = await admin.pttl(key);

      clock.set(T0 + 10_000);
      expect(await a.release?.(marker, 'upload', TIMEOUTS)).toBeUndefined();
      expect(await a.hold?.(onA, { id: 'again', forMs: 300_000 }, TIMEOUTS)).toEqual({
        kind: 'ended',
        reason,
      });
      expect(await admin.hgetall(key)).toEqual(record);
      expect(await admin.pttl(key)).toBeLessThanOrEqual(ttl);
      expect(await a.touch(onA, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason });
    },
  );

  it('a hold never revives a sign-in: one that expired is recorded so (found), one never started is ended', async () => {
    const { clock, a, onA, key } = await twoInstances(kind);
    clock.set(T0 + 100_000);
    expect(await a.hold?.(onA, { id: 'late', forMs: 300_000 }, TIMEOUTS)).toEqual({
      kind: 'ended',
      reason: 'idle',
      found: expect.objectContaining({ lastActivity: T0, startedAt: T0 }),
    });
    expect(await admin.hget(key, 'ended')).toBe('idle');
    expect(await leaseFields(key)).toEqual({});
    await expectTtl(key, GRACE_MS);

    const { session: stranger } = fakeSession({ value: { id: `never-started-${randomUUID()}` } });
    expect(await a.hold?.(stranger, { id: 'x', forMs: 1000 }, TIMEOUTS)).toEqual({
      kind: 'ended',
      reason: 'idle',
    });
    expect(
      await admin.exists(`${key.slice(0, key.lastIndexOf(':') + 1)}${markerOf(stranger)}`),
    ).toBe(0);
  });

  it('refuses a 17th live lease (too-many); the same id again only moves its end; a lease ended or lapsed frees its place', async () => {
    const { clock, a, onA, marker, key } = await twoInstances(kind);
    for (let i = 0; i < 16; i++) {
      const held = await a.hold?.(onA, { id: `l${i}`, forMs: 10_000 + i }, TIMEOUTS);
      expect(held?.kind).toBe('active');
    }
    expect(await a.hold?.(onA, { id: 'l16', forMs: 10_000 }, TIMEOUTS)).toEqual({
      kind: 'too-many',
    });
    expect(Object.keys(await leaseFields(key))).toHaveLength(16);
    // The same id again: taken anew, to its new end (here a shorter one: held drops to l14's).
    const again = await a.hold?.(onA, { id: 'l15', forMs: 1000 }, TIMEOUTS);
    expect(activeState(again as Touch).state.heldUntil).toBe(T0 + 10_014);
    await a.release?.(marker, 'l0', TIMEOUTS);
    expect((await a.hold?.(onA, { id: 'l16', forMs: 10_000 }, TIMEOUTS))?.kind).toBe('active');
    expect(await a.hold?.(onA, { id: 'l17', forMs: 10_000 }, TIMEOUTS)).toEqual({
      kind: 'too-many',
    });
    // Past every end: the lapsed ones are dropped, and a new one is taken.
    clock.set(T0 + 20_000);
    expect((await a.hold?.(onA, { id: 'later', forMs: 10_000 }, TIMEOUTS))?.kind).toBe('active');
    expect(await leaseFields(key)).toEqual({ 'lease:later': String(T0 + 30_000) });
    // l15's first end was replaced, l0 ended at T0: the latest end is l14's.
    expect(await admin.hget(key, 'heldTo')).toBe(String(T0 + 10_014));
  });

  it("a copy on B never answers a sign-in alive past expireAfter since A's release (the stale copy)", async () => {
    const { clock, a, b, bConnection, onA, onB, marker, key } = await twoInstances(kind, LONG);
    await a.hold?.(onA, { id: 'upload', forMs: 3_000_000 }, LONG);
    clock.set(T0 + 1000);
    // B answers from a copy holding the lease: its deadline is the lease's end + expireAfter.
    const copied = await untilCopied(b, bConnection, onB, key, LONG);
    expect(activeState(copied).state.heldUntil).toBe(T0 + 3_000_000);

    clock.set(T0 + 20_000);
    expect(await a.release?.(marker, 'upload', LONG)).toMatchObject({ heldUntil: T0 + 20_000 });
    // Idle for expireAfter since the release; the old copy would say alive until T0 + 4,500 s.
    clock.set(T0 + 20_000 + LONG.expireAfterMs);
    const after = await stepUntil(b, onB, (touch) => touch.kind !== 'active', LONG);
    expect(after).toMatchObject({ kind: 'ended', reason: 'idle' });
  });

  it('the sweep leaves a held sign-in, and sweeps it expireAfter after its lease ended (released, or lapsed)', async () => {
    const { clock, a, onA, marker } = await twoInstances(kind);
    const sweep = async (at: number) => {
      clock.set(at);
      return (await a.sweep?.(TIMEOUTS)) ?? [];
    };
    await a.hold?.(onA, { id: 'upload', forMs: 600_000 }, TIMEOUTS);
    expect(await sweep(T0 + 200_000)).toEqual([]);
    expect(await sweep(T0 + 299_000)).toEqual([]);
    clock.set(T0 + 300_000);
    await a.release?.(marker, 'upload', TIMEOUTS);
    expect(await sweep(T0 + 399_999)).toEqual([]);
    expect(await sweep(T0 + 400_000)).toEqual([
      {
        reason: 'idle',
        state: expect.objectContaining({ id: marker, lastActivity: T0, heldUntil: T0 + 300_000 }),
      },
    ]);

    const lapsed = await twoInstances(kind);
    await lapsed.a.hold?.(lapsed.onA, { id: 'forgotten', forMs: 50_000 }, TIMEOUTS);
    lapsed.clock.set(T0 + 149_999);
    expect(await lapsed.a.sweep?.(TIMEOUTS)).toEqual([]);
    lapsed.clock.set(T0 + 150_000);
    expect(await lapsed.a.sweep?.(TIMEOUTS)).toMatchObject([
      { reason: 'idle', state: { id: lapsed.marker, heldUntil: T0 + 50_000 } },
    ]);
  });

  it("the list of a user's sign-ins counts a held sign-in live, and shows no lease", async () => {
    const { clock, a, onA, marker, key } = await twoInstances(kind);
    const userId = (await admin.hget(key, 'user')) as string;
    await a.hold?.(onA, { id: 'upload', forMs: 300_000 }, TIMEOUTS);
    clock.set(T0 + 200_000);
    expect(await a.signIns?.(userId, TIMEOUTS)).toEqual([
      { id: marker, lastActivity: T0, startedAt: T0, userId },
    ]);
    clock.set(T0 + 400_000);
    expect(await a.signIns?.(userId, TIMEOUTS)).toEqual([]);
  });
});

describe('leases through HTTP: security.hold on one Express instance, a request on another', () => {
  type App = Awaited<ReturnType<typeof startTestApp>>;

  /** Two Express instances on one Redis, one session store and one clock; A has a `/work` route. */
  async function twoApps() {
    const clock = new FakeClock(T0);
    const prefix = newPrefix();
    const sessions = new session.MemoryStore();
    const clients = await Promise.all([nodeRedis.connect(), nodeRedis.connect()]);
    const security = { expireAfter: 10, warnAfter: 5, clock, loginUrl: '/login' };
    let appA: express.Express | undefined;
    const a: App = await startTestApp({
      store: sessions,
      before: (app) => {
        appA = app;
      },
      security: {
        ...security,
        store: redisStore({ client: clients[0].client, prefix, now: () => clock.ms }),
      },
    });
    const b: App = await startTestApp({
      store: sessions,
      security: {
        ...security,
        store: redisStore({
          client: clients[1].client,
          subscriber: clients[1].subscriber,
          cacheBound: BOUND_MS,
          prefix,
          now: () => clock.ms,
        }),
      },
    });
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    // The work the test controls: the lease is taken before it is asked for.
    let finish: (value: string) => void = () => {};
    let taken: () => void = () => {};
    const leaseTaken = new Promise<void>((resolve) => {
      taken = resolve;
    });
    appA?.post('/work', (req, res, next) => {
      const work = () => {
        taken();
        return new Promise<string>((resolve) => {
          finish = resolve;
        });
      };
      a.security.hold(req, work, { maxSeconds: 30 }).then((value) => res.json({ value }), next);
    });
    return { clock, a, b, leaseTaken, finish: (value: string) => finish(value) };
  }

  const ping = (app: App, jar: Parameters<typeof send>[3]) =>
    send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);

  it.each([
    { request: 'a fetch', headers: SAME_ORIGIN_FETCH, path: '/api/data', status: 401 },
    { request: 'a page load', headers: NAVIGATE, path: '/', status: 303 },
  ])(
    'while A works, B keeps the sign-in past expireAfter; once the work settled and expireAfter passed, B answers $request $status',
    async ({ headers, path, status }) => {
      const { clock, a, b, leaseTaken, finish } = await twoApps();
      const jar = await a.signIn({ start: true });
      const work = send(a.origin, '/work', { method: 'POST', headers: SAME_ORIGIN_FETCH }, jar);
      await leaseTaken;

      // 15 s after the last activity (expireAfter is 10 s): B serves the request.
      clock.advance(15);
      const during = await send(b.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
      expect(during.status, during.text).toBe(200);
      expect(during.json).toEqual({ user: 'ada' });
      // 12 s after that activity, the work still running: idle for no time.
      clock.advance(12);
      const held = await ping(b, jar);
      expect(held.status, held.text).toBe(200);
      expect(held.json).toMatchObject({ status: 'active', idleFor: 0, expireIn: 10 });

      finish('done');
      const settled = await work;
      expect(settled.status, settled.text).toBe(200);
      expect(settled.json).toEqual({ value: 'done' });

      // Idle since the work settled: alive until expireAfter has passed since then.
      clock.advance(9.999);
      const before = await ping(b, jar);
      expect(before.json).toMatchObject({ status: 'active', idleFor: 9.999 });
      clock.advance(0.001);
      const after = await send(b.origin, path, { headers }, jar);
      expect(after.status, after.text).toBe(status);
      if (status === 303) expect(after.headers.location).toMatch(/reason=idle/);
      else expect(after.json).toMatchObject({ reason: 'idle' });
    },
  );
});

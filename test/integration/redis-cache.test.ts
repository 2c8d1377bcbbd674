// The Redis store's copies of records (the `subscriber` option, src/stores/redis-cache.ts)
// against a real redis-server of this file's own, through both clients: requests answered
// without a round trip, activity written once a step, and what must hold against them. A
// sign-out, "end all" or expiry on one instance is honoured by every other within cacheBound
// (in milliseconds when nothing fails); a stalled Redis (SIGSTOP, CLIENT PAUSE) or a dropped
// subscription stops the copies within cacheBound, so requests fail (503) instead of living on.

import { Redis } from 'ioredis';
import { type RedisClient, type RedisStoreOptions, redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionSecurityConfigError } from '../../src/core/errors.js';
import type { Timeouts } from '../../src/core/policy.js';
import type { ActivityStore, SessionAccess, Touch } from '../../src/core/store.js';
import { type ClientKind, type Connection, countedClients } from '../support/counted-redis.js';
import { fakeSession } from '../support/fake-session.js';
import { type PrivateRedis, startRedisServer } from '../support/redis-server.js';

const T0 = 1_700_000_000_000;
/** 100 s: a step (a hundredth) of 1 s. */
const TIMEOUTS: Timeouts = { expireAfterMs: 100_000, warnAfterMs: 80_000, absoluteTimeoutMs: 0 };
const STEP_MS = 1000;
/** 1,500 s: a step of 15 s, so a copy is not refreshed for its age within a test. */
const LONG: Timeouts = { expireAfterMs: 1_500_000, warnAfterMs: 1_400_000, absoluteTimeoutMs: 0 };
const BOUND_MS = 300;
const quietLogger = { warn: () => {}, error: () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: PrivateRedis;
let admin: Redis;
let prefixCount = 0;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis({ host: '127.0.0.1', port: redis.port, retryStrategy: () => 20 });
  admin.on('error', () => {});
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  admin.disconnect();
  await redis.kill('SIGCONT');
  await redis.close();
});

const [ioredis, nodeRedis] = countedClients(
  () => redis.port,
  (close) => closers.push(close),
);

const markerOf = (session: SessionAccess) => (session.read() as { id: string }).id;

/** A test clock, shared by the instances of one test (Redis's own clock is tested elsewhere). */
function testClock() {
  let now = T0;
  return { now: () => now, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

/** A store with copies, on its own connection, and that connection's counts. */
async function instance(
  kind: ClientKind,
  prefix: string,
  extra: Partial<RedisStoreOptions> = {},
): Promise<{ store: ActivityStore; connection: Connection }> {
  const connection = await kind.connect();
  const store = redisStore({
    client: connection.client,
    subscriber: connection.subscriber,
    cacheBound: BOUND_MS,
    commandTimeout: 250,
    prefix,
    logger: quietLogger,
    ...extra,
  });
  return { store, connection };
}

/** Touches until `ready` says the answer came from the copy (no script about the key), within 3 s. */
async function untilCopied(
  store: ActivityStore,
  connection: Connection,
  session: SessionAccess,
  key: string,
  timeouts = TIMEOUTS,
) {
  const until = Date.now() + 3000;
  for (;;) {
    connection.reset();
    const touch = await store.touch(session, undefined, timeouts);
    expect(touch.kind).toBe('active');
    if (connection.callsOn(key) === 0) return;
    if (Date.now() > until) throw new Error('the copy was never used');
    await sleep(20);
  }
}

/** Redis's clock, in milliseconds. */
async function redisMs(): Promise<number> {
  const [seconds, micros] = await admin.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

const newPrefix = () => `cache-test-${++prefixCount}:`;

/** Two instances on one test clock: a sign-in started on A, its copy in use on B. */
async function copiedOnTwo(kind: ClientKind) {
  const clock = testClock();
  const prefix = newPrefix();
  const a = await instance(kind, prefix, { now: clock.now });
  const b = await instance(kind, prefix, { now: clock.now });
  const { session: onA, shared } = fakeSession();
  const { session: onB } = fakeSession(shared);
  await a.store.start(onA, TIMEOUTS);
  const key = `${prefix}${markerOf(onA)}`;
  await untilCopied(b.store, b.connection, onB, key);
  return { clock, a, b, onA, onB, key };
}

/** One instance on a test clock, with a sign-in started and its copy in use. */
async function copiedSignIn(kind: ClientKind) {
  const clock = testClock();
  const prefix = newPrefix();
  const { store, connection } = await instance(kind, prefix, { now: clock.now });
  const { session } = fakeSession();
  await store.start(session, TIMEOUTS);
  const key = `${prefix}${markerOf(session)}`;
  await untilCopied(store, connection, session, key);
  return { clock, store, connection, session, key };
}

describe.each([ioredis, nodeRedis])('redisStore with a subscriber, $name', (kind) => {
  it('answers an active sign-in from its copy, writing its activity once a step', async () => {
    const { clock, store, connection, session, key } = await copiedSignIn(kind);

    connection.reset();
    const answers: Touch[] = [];
    for (let i = 0; i < 50; i++) {
      clock.advance(19);
      answers.push(await store.touch(session, 0, TIMEOUTS));
    }
    // 950 ms of activity, under a step: no script at all, and each answer to the millisecond.
    expect(connection.callsOn(key)).toBe(0);
    expect(answers.at(-1)).toMatchObject({
      kind: 'active',
      state: { lastActivity: T0 + 950 },
      nowMs: T0 + 950,
    });
    expect(await admin.hget(key, 'lastActivity')).toBe(String(T0));

    clock.advance(60); // a step past the record
    const written = await store.touch(session, 0, TIMEOUTS);
    expect(connection.callsOn(key)).toBe(1);
    expect(written).toMatchObject({ kind: 'active', state: { lastActivity: T0 + 1010 } });
    expect(await admin.hget(key, 'lastActivity')).toBe(String(T0 + 1010));
  });

  it('a sign-out or "end all" on one instance is honoured by another within cacheBound', async () => {
    const prefix = newPrefix();
    const a = await instance(kind, prefix);
    const b = await instance(kind, prefix);
    const delays: number[] = [];
    for (const end of ['sign-out', 'end all'] as const) {
      const { session: onA, shared } = fakeSession();
      const { session: onB } = fakeSession(shared);
      await a.store.start(onA, LONG, { userId: 'ada' });
      const key = `${prefix}${markerOf(onA)}`;
      await untilCopied(b.store, b.connection, onB, key, LONG);

      if (end === 'sign-out') await a.store.end(onA, 'logout', LONG);
      else await a.store.revoke?.({ everyone: true }, LONG);
      const endedAt = performance.now();
      let touch: Touch;
      // Each try after a turn of the event loop, where the subscription's messages arrive.
      for (;;) {
        touch = await b.store.touch(onB, 0, LONG);
        if (touch.kind !== 'active' || performance.now() - endedAt > BOUND_MS + 100) break;
        await sleep(5);
      }
      delays.push(performance.now() - endedAt);
      expect(touch).toEqual({ kind: 'ended', reason: end === 'sign-out' ? 'logout' : 'revoked' });
      // Within the bound, and in practice at once: the message came before the next touch.
      expect(delays.at(-1)).toBeLessThanOrEqual(BOUND_MS);
    }
    console.info(
      `${kind.name}: ends reached the other instance after ${delays.map((d) => d.toFixed(1)).join(', ')} ms`,
    );
  });

  it('an exact step (the ping) reads and records Redis itself: activity through one instance is seen through another at once', async () => {
    const { clock, a, b, onA, onB, key } = await copiedOnTwo(kind);
    clock.advance(1500);
    // A POST ping through A: written at once (a second's resolution, as without copies).
    a.connection.reset();
    await a.store.touch(onA, 200, TIMEOUTS, false, true);
    expect(a.connection.callsOn(key)).toBe(1);
    expect(await admin.hget(key, 'lastActivity')).toBe(String(T0 + 1300));
    // Through B: its copy still says T0; a GET ping asks Redis.
    expect(await b.store.touch(onB, undefined, TIMEOUTS)).toMatchObject({
      state: { lastActivity: T0 },
    });
    expect(await b.store.touch(onB, undefined, TIMEOUTS, false, true)).toMatchObject({
      kind: 'active',
      state: { lastActivity: T0 + 1300 },
    });
  });

  it("reckons Redis's clock from its quickest replies: a slow first reply is replaced by a quicker one", async () => {
    // Redis's own clock (no `now`): answers from the copy use this process's estimate of it.
    const { store, connection } = await instance(kind, newPrefix(), { commandTimeout: 2000 });
    const { session } = fakeSession();
    const exactTouch = () => store.touch(session, undefined, TIMEOUTS, false, true);
    // The first replies come 400 ms late: an estimate 200 ms off.
    connection.delayReplies(400);
    await store.start(session, TIMEOUTS);
    await exactTouch();
    // Later replies come 70 ms late (a loaded machine): each bounds the estimate within 35 ms,
    // and the quickest bound wins (a loaded machine may add to it: 60 ms are allowed).
    connection.delayReplies(70);
    for (let i = 0; i < 3; i++) await exactTouch();
    connection.delayReplies(0);
    const before = await redisMs();
    const fromCopy = await store.touch(session, undefined, TIMEOUTS);
    const after = await redisMs();
    expect(fromCopy.kind).toBe('active');
    const nowMs = (fromCopy as Touch & { kind: 'active' }).nowMs;
    expect(nowMs).toBeGreaterThanOrEqual(before - 60);
    expect(nowMs).toBeLessThanOrEqual(after + 60);
  });

  it("a sign-in's own timeouts set its step: its activity is written once its own step, not the options' longer one", async () => {
    const clock = testClock();
    const prefix = newPrefix();
    const a = await instance(kind, prefix, { now: clock.now });
    const b = await instance(kind, prefix, { now: clock.now });
    const { session: onA, shared } = fakeSession();
    const { session: onB } = fakeSession(shared);
    // The options' step is 15 s; this sign-in's own expireAfter of 100 s makes its step 1 s.
    await a.store.start(onA, LONG, { timeouts: TIMEOUTS });
    const key = `${prefix}${markerOf(onA)}`;
    await untilCopied(a.store, a.connection, onA, key, LONG);

    clock.advance(STEP_MS + 200); // a step of its own past the record: the script writes it
    a.connection.reset();
    expect(await a.store.touch(onA, 0, LONG)).toMatchObject({
      kind: 'active',
      state: { lastActivity: T0 + STEP_MS + 200 },
    });
    expect(a.connection.callsOn(key)).toBe(1);
    expect(await admin.hget(key, 'lastActivity')).toBe(String(T0 + STEP_MS + 200));
    // Another instance, which never saw that activity, finds the sign-in live up to its real deadline.
    clock.set(T0 + STEP_MS + 200 + TIMEOUTS.expireAfterMs - 1);
    expect((await b.store.touch(onB, undefined, LONG)).kind).toBe('active');
  });

  it("an expiry is honoured without waiting for anyone: a copy is not used within a step of the record's deadline", async () => {
    const { clock, a, b, onA, onB, key } = await copiedOnTwo(kind);

    clock.set(T0 + TIMEOUTS.expireAfterMs - STEP_MS);
    b.connection.reset();
    expect((await b.store.touch(onB, undefined, TIMEOUTS)).kind).toBe('active');
    expect(b.connection.callsOn(key)).toBe(1); // asked Redis
    clock.set(T0 + TIMEOUTS.expireAfterMs);
    expect(await a.store.touch(onA, undefined, TIMEOUTS)).toMatchObject({ reason: 'idle' });
    expect(await b.store.touch(onB, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'idle' });
  });

  it('activity answered from the copy and not written yet still counts at the deadline', async () => {
    const { clock, store, connection, session, key } = await copiedSignIn(kind);
    clock.advance(600);
    connection.reset();
    await store.touch(session, 0, TIMEOUTS); // from the copy: the record still says T0
    expect(connection.callsOn(key)).toBe(0);
    expect(await admin.hget(key, 'lastActivity')).toBe(String(T0));

    // Past the record's deadline, before the real one: the activity goes along, and counts.
    clock.set(T0 + TIMEOUTS.expireAfterMs + 300);
    expect(await store.touch(session, undefined, TIMEOUTS)).toMatchObject({
      kind: 'active',
      state: { lastActivity: T0 + 600 },
    });
    expect(await admin.hget(key, 'lastActivity')).toBe(String(T0 + 600));
    clock.set(T0 + 600 + TIMEOUTS.expireAfterMs);
    expect(await store.touch(session, undefined, TIMEOUTS)).toEqual({
      kind: 'ended',
      reason: 'idle',
      found: expect.objectContaining({ lastActivity: T0 + 600 }),
    });
  });

  it("the sweep leaves a record live for a step past its deadline (an instance's activity not written yet), then ends it", async () => {
    const clock = testClock();
    const prefix = newPrefix();
    const { store } = await instance(kind, prefix, { now: clock.now });
    const { session } = fakeSession();
    await store.start(session, TIMEOUTS);
    clock.set(T0 + TIMEOUTS.expireAfterMs + STEP_MS - 1);
    expect(await store.sweep?.(TIMEOUTS)).toEqual([]);
    expect(await store.signIns?.('nobody', TIMEOUTS)).toEqual([]);
    clock.set(T0 + TIMEOUTS.expireAfterMs + STEP_MS);
    expect(await store.sweep?.(TIMEOUTS)).toEqual([
      expect.objectContaining({
        reason: 'idle',
        state: expect.objectContaining({ lastActivity: T0 }),
      }),
    ]);
  });

  it('stops using its copies within cacheBound when Redis stalls (SIGSTOP, CLIENT PAUSE): requests fail, none lives on', async () => {
    const prefix = newPrefix();
    const { store, connection } = await instance(kind, prefix);
    const { session } = fakeSession();
    await store.start(session, LONG);
    const key = `${prefix}${markerOf(session)}`;
    for (const stall of ['SIGSTOP', 'CLIENT PAUSE'] as const) {
      await untilCopied(store, connection, session, key, LONG);
      if (stall === 'SIGSTOP') await redis.kill('SIGSTOP');
      else await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
      const stalledAt = performance.now();
      await sleep(BOUND_MS + 50);
      // Past the bound: the copy is not used, and Redis does not answer within commandTimeout.
      await expect(store.touch(session, 0, LONG)).rejects.toThrow(/did not answer|not ready/);
      expect(performance.now() - stalledAt).toBeLessThan(3000);
      if (stall === 'SIGSTOP') await redis.kill('SIGCONT');
      else await admin.call('CLIENT', 'UNPAUSE');
      // Back: answered by Redis, then from a copy again.
      const until = Date.now() + 5000;
      for (;;) {
        try {
          expect((await store.touch(session, 0, LONG)).kind).toBe('active');
          break;
        } catch (error) {
          if (Date.now() > until) throw error;
          await sleep(50);
        }
      }
    }
    await untilCopied(store, connection, session, key, LONG);
  });

  it('drops its copies when the subscription drops: a sign-out sent meanwhile is not missed', async () => {
    const prefix = newPrefix();
    const a = await instance(kind, prefix);
    const b = await instance(kind, prefix);
    const { session: onA, shared } = fakeSession();
    const { session: onB } = fakeSession(shared);
    await a.store.start(onA, LONG);
    const key = `${prefix}${markerOf(onA)}`;
    await untilCopied(b.store, b.connection, onB, key, LONG);
    // Every subscriber of this Redis loses its connection; the sign-out is published while
    // they are away, so no instance hears it.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await a.store.end(onA, 'logout', LONG);
    await sleep(BOUND_MS + 50);
    expect(await b.store.touch(onB, 0, LONG)).toEqual({ kind: 'ended', reason: 'logout' });

    // And the copies come back once the subscription does.
    const { session: again } = fakeSession();
    await b.store.start(again, LONG);
    await untilCopied(b.store, b.connection, again, `${prefix}${markerOf(again)}`, LONG);
  });

  it('refuses the command connection as subscriber, a client of no known shape, a bad cacheBound and a bad waitReplicas', async () => {
    const { client, subscriber } = await kind.connect();
    expect(() => redisStore({ client, subscriber: client })).toThrow(SessionSecurityConfigError);
    expect(() => redisStore({ client, subscriber: client })).toThrow(/subscriber.*duplicate/);
    expect(() => redisStore({ client, subscriber: {} as RedisClient })).toThrow(
      /subscriber \(\{\}\) must be a second ioredis or node-redis/,
    );
    for (const cacheBound of [0, -1, Number.NaN, 120_000]) {
      expect(() => redisStore({ client, subscriber, cacheBound })).toThrow(/cacheBound/);
    }
    for (const waitReplicas of [-1, 1.5, Number.NaN, 65, '1' as unknown as number]) {
      expect(() => redisStore({ client, waitReplicas })).toThrow(
        /waitReplicas .*a whole number of replicas from 0 to 64/,
      );
    }
    expect(() => redisStore({ client, waitReplicas: 0 })).not.toThrow();
  });
});

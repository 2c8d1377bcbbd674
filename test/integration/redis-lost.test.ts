// A sign-in record that Redis lost (evicted, flushed, not persisted) is told apart from one that
// timed out: the session holds a hint of the deadline (`until`), and a record missing before
// `until + graceSeconds` was lost. Against the run's Redis under this run's own key prefix
// (deleted afterwards); the test's clock is passed to the store, and a record "timing out" is
// its key deleted at the time Redis would drop it.

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RedisClient, redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Timeouts } from '../../src/core/policy.js';
import { FakeSession } from '../support/fake-session.js';
import { testRedisPort } from '../support/test-redis.js';

const PREFIX = `session-security-test:${randomUUID()}:`;
const T0 = 1_700_000_000_000;
const GRACE_SECONDS = 600;
const GRACE_MS = GRACE_SECONDS * 1000;
const TIMEOUTS: Timeouts = { expireAfterMs: 900_000, warnAfterMs: 780_000, absoluteTimeoutMs: 0 };

let client: Redis;
let clockMs = T0;
const errors: string[] = [];
const logger = { warn: () => {}, error: (message: string) => errors.push(message) };
const makeStore = (graceSeconds = GRACE_SECONDS) =>
  redisStore({ client, prefix: PREFIX, graceSeconds, now: () => clockMs, logger });
const markerOf = (session: FakeSession) => (session.read() as { id: string }).id;
const hintOf = (session: FakeSession) => (session.read() as { until: number }).until;

beforeAll(async () => {
  client = new Redis({ host: '127.0.0.1', port: testRedisPort() });
  await new Promise((resolve) => client.once('ready', resolve));
});

afterAll(async () => {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  client.disconnect();
});

async function signedIn(store = makeStore(), timeouts = TIMEOUTS) {
  clockMs = T0;
  const session = new FakeSession(randomUUID());
  await store.start(session, timeouts);
  return { store, session, key: `${PREFIX}${markerOf(session)}` };
}

describe('a sign-in whose record Redis lost', () => {
  it('is ended as lost, not idle, on its next request, and stays ended', async () => {
    const { store, session, key } = await signedIn();
    clockMs = T0 + 60_000;
    expect((await store.touch(session, 0, TIMEOUTS)).kind).toBe('active');
    await client.del(key); // eviction, FLUSHALL, a restart without persistence
    clockMs = T0 + 61_000;
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'lost' });
    expect(await store.touch(session, undefined, TIMEOUTS)).toEqual({
      kind: 'ended',
      reason: 'lost',
    });
    // Nothing brought it back.
    expect(await client.exists(key)).toBe(0);
  });

  it('is idle when the record is missing at or past the hint plus graceSeconds (it timed out)', async () => {
    const { store, session, key } = await signedIn();
    await client.del(key);
    clockMs = T0 + TIMEOUTS.expireAfterMs + GRACE_MS - 1;
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'lost' });
    clockMs = T0 + TIMEOUTS.expireAfterMs + GRACE_MS;
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'idle' });
  });

  it('is idle for a session written before hints (a marker only): it cannot be told apart', async () => {
    const { store, session, key } = await signedIn();
    session.write({ id: markerOf(session) });
    await client.del(key);
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'idle' });
  });

  it('is told to an anonymous ping that names it (endedReason), as are the reasons Redis keeps', async () => {
    const { store, session, key } = await signedIn();
    const marker = markerOf(session);
    // A browser without a session names a live sign-in: its session was lost. The same answer
    // as for a missing record: a ping learns nothing of whether a marker lives.
    expect(await store.endedReason?.(marker)).toBe('lost');
    expect((await store.touch(session, 0, TIMEOUTS)).kind).toBe('active'); // it ended nothing
    await client.del(key);
    expect(await store.endedReason?.(marker)).toBe('lost');
    const other = await signedIn(store);
    await store.end(other.session, 'logout', TIMEOUTS);
    expect(await store.endedReason?.(markerOf(other.session))).toBe('logout');
  });

  it('rewrites the hint only when the deadline moved on by more than half the grace', async () => {
    const { store, session } = await signedIn();
    expect(hintOf(session)).toBe(T0 + TIMEOUTS.expireAfterMs);
    let writes = 0;
    const write = session.write.bind(session);
    session.write = (value: unknown) => {
      writes++;
      write(value);
    };
    // Activity every 10 minutes (within expireAfter) for 2 hours: the deadline moves 120 minutes,
    // the hint follows in steps of more than 5 minutes (half of 600 s).
    for (let minute = 10; minute <= 120; minute += 10) {
      clockMs = T0 + minute * 60_000;
      expect((await store.touch(session, 0, TIMEOUTS)).kind).toBe('active');
      const deadline = clockMs + TIMEOUTS.expireAfterMs;
      expect(deadline - hintOf(session)).toBeLessThanOrEqual(GRACE_MS / 2);
    }
    expect(writes).toBe(12);
    // Activity every 2 minutes: the deadline moves 2 minutes at a time, the hint every third
    // (at minutes 126, 132, 138, 144, 150).
    writes = 0;
    for (let minute = 122; minute <= 150; minute += 2) {
      clockMs = T0 + minute * 60_000;
      await store.touch(session, 0, TIMEOUTS);
    }
    expect(writes).toBe(5);
  });

  it('holds for any activity: a record lost before its deadline is lost, one timed out is idle', async () => {
    const store = makeStore();
    await fc.assert(
      fc.asyncProperty(
        // Gaps between requests (each within expireAfter, so the sign-in lives), the activity
        // offset each reports, and when the record goes: before the deadline, or when Redis's
        // TTL would drop it (deadline + grace) or later.
        fc.array(
          fc.record({
            gapMs: fc.integer({ min: 0, max: TIMEOUTS.expireAfterMs - 1 }),
            offsetMs: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 60_000 })),
          }),
          { maxLength: 12 },
        ),
        fc.boolean(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (steps, lostBeforeDeadline, where) => {
          clockMs = T0;
          const session = new FakeSession(randomUUID());
          const started = await store.start(session, TIMEOUTS);
          let deadline = started.nowMs + TIMEOUTS.expireAfterMs;
          for (const { gapMs, offsetMs } of steps) {
            if (clockMs + gapMs >= deadline) break;
            clockMs += gapMs;
            const touch = await store.touch(session, offsetMs, TIMEOUTS);
            if (touch.kind !== 'active') throw new Error(`ended early: ${JSON.stringify(touch)}`);
            deadline = touch.state.lastActivity + TIMEOUTS.expireAfterMs;
          }
          await client.del(`${PREFIX}${markerOf(session)}`);
          clockMs = lostBeforeDeadline
            ? clockMs + Math.floor(where * (deadline - clockMs - 1))
            : deadline + GRACE_MS + Math.floor(where * GRACE_MS);
          const reason = lostBeforeDeadline ? 'lost' : 'idle';
          expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("the store's mark", () => {
  it('logs once Redis lost its data: the mark this process saw is gone', async () => {
    const store = makeStore();
    const { session } = await signedIn(store); // the first sign-in sets and sees the mark
    await expect.poll(() => client.exists(`${PREFIX}mark`)).toBe(1);
    expect(errors).toEqual([]);
    // As FLUSHALL would, under this test's prefix only: the record and the mark go.
    await client.del(`${PREFIX}mark`, `${PREFIX}${markerOf(session)}`);
    clockMs = T0 + 1000;
    expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'lost' });
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toMatch(/Redis lost the store's data .*FLUSHALL.*reason lost/);
    // The mark is set again, so the next loss is logged too (at most once per 5 s).
    expect(await client.exists(`${PREFIX}mark`)).toBe(1);
  });
});

describe('a sign-out whose write Redis lost (a crash before the append-only file was synced)', () => {
  /** Connects a client of its own (its connection is killed), and how to find its connection id. */
  async function ownClient(kind: 'ioredis' | 'node-redis') {
    if (kind === 'ioredis') {
      const own = new Redis({ host: '127.0.0.1', port: testRedisPort() });
      own.on('error', () => {});
      await new Promise((resolve) => own.once('ready', resolve));
      return { own, id: async () => Number(await own.client('ID')), close: () => own.disconnect() };
    }
    const own = createClient({ socket: { host: '127.0.0.1', port: testRedisPort() } });
    own.on('error', () => {});
    await own.connect();
    return { own, id: () => own.clientId(), close: () => own.destroy() };
  }

  it.each(['ioredis', 'node-redis'] as const)(
    'is recorded again when %s is ready again, and logged; nothing else is',
    async (kind) => {
      const { own, id, close } = await ownClient(kind);
      try {
        const store = redisStore({
          client: own as RedisClient,
          prefix: PREFIX,
          graceSeconds: GRACE_SECONDS,
          now: () => clockMs,
          logger,
        });
        const { session, key } = await signedIn(store);
        const live = await signedIn(store); // a sign-in nobody ended
        const copy = session.copy(); // the session as Redis will have it back
        await store.end(session, 'logout', TIMEOUTS);
        expect(await client.hget(key, 'ended')).toBe('logout');
        errors.length = 0;
        // Redis comes back without the sign-out's last write: the record lives again.
        await client.hdel(key, 'ended');
        await client.pexpire(key, TIMEOUTS.expireAfterMs + GRACE_MS);
        // This process remembers the sign-out it made: it refuses the sign-in without asking.
        expect(await store.touch(copy.copy(), 0, TIMEOUTS)).toEqual({
          kind: 'ended',
          reason: 'logout',
        });
        await client.client('KILL', 'ID', String(await id()));
        await expect.poll(() => client.hget(key, 'ended'), { timeout: 5000 }).toBe('logout');
        expect(await store.touch(copy, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'logout' });
        expect((await store.touch(live.session, 0, TIMEOUTS)).kind).toBe('active');
        // Logged once the store has the replay's answer, which the test's other connection may
        // see first: wait for the line rather than read it at once.
        await expect
          .poll(() => errors)
          .toEqual([
            expect.stringMatching(
              /^session-security: 1 sign-out\(s\) recorded just before .* were recorded again$/,
            ),
          ]);
      } finally {
        await close();
      }
    },
  );
});

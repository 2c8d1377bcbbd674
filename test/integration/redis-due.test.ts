// The Redis store's lists of sign-ins by due time (src/stores/redis.ts: due buckets), on the run's
// Redis with a test clock: no key lists every sign-in; the sweep reports each sign-in nobody came
// back to exactly once, at the first sweep past its deadline and never before, whatever the
// timeouts (past the horizon too), the activity and the times of the sweeps (fast-check); "end
// everyone" reaches every live sign-in; sign-ins listed by an earlier version in one set are still
// reached; a sweep walks only the buckets that exist.

import fc from 'fast-check';
import { createClient } from 'redis';
import { redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Timeouts } from '../../src/core/policy.js';
import type { SessionAccess } from '../../src/core/store.js';
import { FakeSession } from '../support/fake-session.js';
import { startRedisServer } from '../support/redis-server.js';
import { testRedisUrl } from '../support/test-redis.js';

type Client = ReturnType<typeof createClient>;

const T0 = 1_800_000_000_000;
const MINUTE = 60_000;
const OPTIONS: Timeouts = {
  expireAfterMs: 10 * MINUTE,
  warnAfterMs: 8 * MINUTE,
  absoluteTimeoutMs: 0,
};
const quietLogger = { warn: () => {}, error: () => {} };

let client: Client;
let prefixCount = 0;
const RUN = `ss-due-${process.pid}-${Date.now()}:`;

beforeAll(async () => {
  client = createClient({ url: testRedisUrl() });
  await client.connect();
});

afterAll(async () => {
  for await (const keys of client.scanIterator({ MATCH: `${RUN}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
  await client.close();
});

let sessionCount = 0;
const fakeSession = (): SessionAccess => new FakeSession(`sid-${++sessionCount}`);

const markerOf = (session: SessionAccess) => (session.read() as { id: string }).id;

/** A store on its own prefix with a test clock. */
function newStore() {
  const prefix = `${RUN}${++prefixCount}:`;
  let now = T0;
  const store = redisStore({ client, prefix, now: () => now, logger: quietLogger });
  return {
    store,
    prefix,
    clock: {
      now: () => now,
      set(ms: number) {
        now = ms;
      },
    },
  };
}

/** The keys of a prefix that start with `start`. */
async function keysOf(prefix: string, start: string): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of client.scanIterator({ MATCH: `${prefix}${start}*`, COUNT: 500 })) {
    found.push(...keys);
  }
  return found;
}

/** The due lists of a prefix (not the cursor), and what they hold. */
async function dueLists(prefix: string): Promise<Map<string, string[]>> {
  const lists = new Map<string, string[]>();
  for (const key of await keysOf(prefix, 'due:')) {
    if (!key.endsWith(':buckets')) lists.set(key, await client.sMembers(key));
  }
  return lists;
}

describe('the Redis store lists sign-ins by due time', () => {
  it('keeps no key that lists every sign-in: 320 sign-ins over 16 minutes, at most a minute of a shard in one set', async () => {
    const { store, prefix, clock } = newStore();
    for (let i = 0; i < 320; i++) {
      clock.set(T0 + Math.floor(i / 20) * MINUTE);
      await store.start(fakeSession(), OPTIONS, { userId: `user-${i % 40}` });
    }
    const lists = await dueLists(prefix);
    const sizes = [...lists.values()].map((members) => members.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(320);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(20);
    expect(lists.size).toBeGreaterThan(16 * 4);
    expect(await client.exists(`${prefix}index:all`)).toBe(0);
    // Every set of the prefix: a user's holds that user's only.
    for (const key of await keysOf(prefix, 'index:')) {
      expect(await client.sCard(key)).toBe(8);
    }
  });

  it('reports each sign-in nobody came back to at the first sweep past its deadline, once, never before (fast-check)', async () => {
    // Own timeouts from half a minute to 3 hours (past the one-hour horizon), activity at random
    // times, sweeps at random times, one store per run.
    const signIn = fc.record({
      startMin: fc.integer({ min: 0, max: 30 }),
      expireAfterMin: fc.constantFrom(0.5, 1, 7, 45, 61, 180),
      activityMin: fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(signIn, { minLength: 1, maxLength: 8 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 420 }), { minLength: 1, maxLength: 12 }),
        async (signIns, sweepMinutes) => {
          const { store, clock } = newStore();
          const deadlines = new Map<string, number>();
          // Events in time order: starts, activity (a touch reaches it only while it lives), sweeps.
          type Step =
            | { at: number; kind: 'start'; index: number }
            | { at: number; kind: 'touch'; index: number }
            | { at: number; kind: 'sweep' };
          const steps: Step[] = [];
          signIns.forEach((s, index) => {
            steps.push({ at: s.startMin * MINUTE, kind: 'start', index });
            for (const m of s.activityMin) {
              steps.push({ at: (s.startMin + m) * MINUTE + 1, kind: 'touch', index });
            }
          });
          for (const m of sweepMinutes) steps.push({ at: m * MINUTE + 2, kind: 'sweep' });
          steps.sort((a, b) => a.at - b.at);
          const sessions = new Map<number, SessionAccess>();
          const reported = new Map<string, number>();
          for (const step of steps) {
            clock.set(T0 + step.at);
            if (step.kind === 'start') {
              const session = fakeSession();
              const own = ownTimeouts(signIns[step.index]?.expireAfterMin ?? 1);
              await store.start(session, OPTIONS, { timeouts: own });
              sessions.set(step.index, session);
              deadlines.set(markerOf(session), clock.now() + own.expireAfterMs);
            } else if (step.kind === 'touch') {
              const session = sessions.get(step.index);
              if (!session) continue;
              const marker = markerOf(session);
              const touch = await store.touch(session, 0, OPTIONS);
              const deadline = deadlines.get(marker) ?? 0;
              // Activity past the deadline does not revive it; before, it moves the deadline.
              if (clock.now() < deadline) {
                expect(touch.kind).toBe('active');
                const own = ownTimeouts(signIns[step.index]?.expireAfterMin ?? 1);
                deadlines.set(marker, clock.now() + own.expireAfterMs);
              } else {
                expect(touch.kind).toBe('ended');
                // When this request found the expiry, no sweep may report it again.
                if (touch.kind === 'ended' && touch.found) {
                  reported.set(marker, (reported.get(marker) ?? 0) + 1);
                }
              }
            } else {
              for (const { state } of (await store.sweep?.(OPTIONS)) ?? []) {
                const deadline = deadlines.get(state.id);
                expect(deadline).toBeDefined();
                expect(clock.now()).toBeGreaterThanOrEqual(deadline ?? Number.POSITIVE_INFINITY);
                reported.set(state.id, (reported.get(state.id) ?? 0) + 1);
              }
            }
          }
          // Every sign-in past its deadline at the last sweep was reported, each once (by a
          // sweep, or by the request that found it); a later one at most once, by a request.
          const lastSweep = T0 + Math.max(...sweepMinutes) * MINUTE + 2;
          for (const [marker, deadline] of deadlines) {
            const count = reported.get(marker) ?? 0;
            if (lastSweep >= deadline) expect(count).toBe(1);
            else expect(count).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it('ends every live sign-in of everyone: due now, in minutes, and past the horizon', async () => {
    const { store, prefix, clock } = newStore();
    const sessions: SessionAccess[] = [];
    for (const minutes of [0.5, 10, 300, 24 * 60]) {
      const session = fakeSession();
      await store.start(session, OPTIONS, { timeouts: ownTimeouts(minutes), userId: 'ada' });
      sessions.push(session);
    }
    // Listed within the hour ahead at most, whatever their timeouts: the list of buckets stays short.
    const buckets = (await client.zRange(`${prefix}due:buckets`, 0, -1)).map(Number);
    expect(Math.max(...buckets)).toBeLessThanOrEqual(Math.floor((T0 + 3_600_000) / MINUTE));
    clock.set(T0 + 20_000);
    await store.sweep?.(OPTIONS);
    const ended = await store.revoke?.({ everyone: true }, OPTIONS);
    expect(ended?.map((state) => state.id).sort()).toEqual(sessions.map(markerOf).sort());
    for (const session of sessions) {
      expect(await store.touch(session, 0, OPTIONS)).toEqual({ kind: 'ended', reason: 'revoked' });
    }
    expect(await keysOf(prefix, 'index:all')).toEqual([]);
  });

  it('reaches sign-ins an earlier version listed in one set: the sweep lists them by due time and drops the set, "end everyone" ends them', async () => {
    const { store, prefix, clock } = newStore();
    const legacy = fakeSession();
    const other = fakeSession();
    await store.start(legacy, OPTIONS);
    await store.start(other, OPTIONS);
    // As an earlier version left them: listed in index:all only.
    for (const key of (await dueLists(prefix)).keys()) await client.del(key);
    await client.sAdd(`${prefix}index:all`, [markerOf(legacy), markerOf(other)]);

    clock.set(T0 + MINUTE);
    expect(await store.sweep?.(OPTIONS)).toEqual([]);
    expect(await client.exists(`${prefix}index:all`)).toBe(0);
    const listed = [...(await dueLists(prefix)).values()].flat().sort();
    expect(listed).toEqual([markerOf(legacy), markerOf(other)].sort());
    clock.set(T0 + OPTIONS.expireAfterMs);
    expect((await store.sweep?.(OPTIONS))?.map(({ state }) => state.id).sort()).toEqual(listed);

    // And "end everyone" before any sweep ran.
    const { store: second, prefix: secondPrefix } = newStore();
    const old = fakeSession();
    await second.start(old, OPTIONS);
    for (const key of (await dueLists(secondPrefix)).keys()) await client.del(key);
    await client.sAdd(`${secondPrefix}index:all`, markerOf(old));
    expect((await second.revoke?.({ everyone: true }, OPTIONS))?.map((s) => s.id)).toEqual([
      markerOf(old),
    ]);
  });

  it('still lists a sign-in started after Redis lost its data (FLUSHALL): the sweep finds it', async () => {
    const redis = await startRedisServer();
    const own = createClient({ url: redis.url });
    await own.connect();
    try {
      let now = T0;
      const store = redisStore({ client: own, now: () => now, logger: quietLogger });
      const before = fakeSession();
      await store.start(before, OPTIONS);
      await own.flushAll();
      // A request finds its record gone: the store sees the loss of data (its mark).
      expect(await store.touch(before, 0, OPTIONS)).toMatchObject({ kind: 'ended' });
      await expect.poll(() => own.exists('session-security:mark')).toBe(1);
      const after = fakeSession();
      await store.start(after, OPTIONS);
      now = T0 + OPTIONS.expireAfterMs;
      expect((await store.sweep?.(OPTIONS))?.map(({ state }) => state.id)).toEqual([
        markerOf(after),
      ]);
    } finally {
      await own.close();
      await redis.close();
    }
  });

  it('walks only the buckets that exist: a sweep a day later sends a few dozen scripts, not thousands', async () => {
    const { store, clock } = newStore();
    const sessions = [fakeSession(), fakeSession()];
    for (const session of sessions) await store.start(session, OPTIONS);
    clock.set(T0 + 24 * 3_600_000);
    const evalSha = vi.spyOn(client, 'evalSha');
    try {
      const swept = await store.sweep?.(OPTIONS);
      expect(swept?.map(({ state }) => state.id).sort()).toEqual(sessions.map(markerOf).sort());
      // The list of buckets, the 16 sets of the one bucket (read, then dropped), the two
      // sign-ins, the old list, the bucket taken off the list.
      expect(evalSha.mock.calls.length).toBeLessThan(60);
    } finally {
      evalSha.mockRestore();
    }
    // A clock that went back: buckets ahead of it wait for their time.
    const late = fakeSession();
    await store.start(late, OPTIONS);
    clock.set(T0);
    expect(await store.sweep?.(OPTIONS)).toEqual([]);
    clock.set(T0 + 24 * 3_600_000 + OPTIONS.expireAfterMs);
    expect((await store.sweep?.(OPTIONS))?.map(({ state }) => state.id)).toEqual([markerOf(late)]);
  });
});

/** A sign-in's own timeouts of `minutes` idle time. */
function ownTimeouts(minutes: number): Timeouts {
  const expireAfterMs = minutes * MINUTE;
  return { expireAfterMs, warnAfterMs: Math.floor(expireAfterMs * 0.8), absoluteTimeoutMs: 0 };
}

// Unit tests of leases in the policy (src/core/policy.ts) and the default store
// (src/server/store.ts), on a fake clock: a lease holds a sign-in's idle clock while its work runs
// and never its absolute one; it ends with its work, at its maximum, or with its sign-in; it
// never revives a sign-in; one sign-in cannot hold more than MAX_LEASES_PER_SIGN_IN.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deadlineOf,
  decide,
  encodeState,
  idleSince,
  randomId,
  readState,
  type SecurityState,
  statusOf,
} from '../../../src/core/policy.js';
import { MAX_LEASES_PER_SIGN_IN } from '../../../src/core/store.js';
import { sessionObjectStore } from '../../../src/server/store.js';
import { FakeSession } from '../../support/fake-session.js';

const S = 1000;
const TIMEOUTS = { expireAfterMs: 60 * S, warnAfterMs: 50 * S, absoluteTimeoutMs: 600 * S };
const T0 = 1_700_000_000_000;

function setup() {
  let nowMs = T0;
  const store = sessionObjectStore({
    now: () => nowMs,
    logger: { warn: () => {}, error: () => {} },
  });
  const session = new FakeSession('sid');
  return {
    store,
    session,
    advance: (seconds: number) => {
      nowMs += seconds * S;
    },
    now: () => nowMs,
    async signIn() {
      const started = await store.start(session, TIMEOUTS, { userId: 'ada' });
      return started.state.id;
    },
    /** A passive request of the session: alive, and its idle seconds, or why it ended. */
    async look() {
      const step = await store.touch(session, undefined, TIMEOUTS);
      return step.kind === 'active'
        ? { alive: true, idleFor: statusOf(step.state, step.nowMs, TIMEOUTS).idleFor }
        : { alive: false, reason: step.reason };
    },
    hold: (id: string, seconds: number) =>
      store.hold?.(session, { id, forMs: seconds * S }, TIMEOUTS) ?? Promise.reject(),
  };
}

describe('a lease in the policy', () => {
  it('counts idle time from no earlier than the lease: now while it holds, its end once it ended', () => {
    expect(idleSince({ lastActivity: 10, heldUntil: 90 }, 50)).toBe(50);
    expect(idleSince({ lastActivity: 10, heldUntil: 90 }, 120)).toBe(90);
    expect(idleSince({ lastActivity: 100, heldUntil: 90 }, 120)).toBe(100);
    expect(idleSince({ lastActivity: 10 }, 120)).toBe(10);
  });

  it('holds the idle deadline and never the absolute one, and is never stored in the session', () => {
    const state: SecurityState = { lastActivity: 0, startedAt: 0, id: 'a', heldUntil: 700 * S };
    // Held at 100 s past expireAfter: alive, idle for no time.
    const held = decide(state, 160 * S, undefined, TIMEOUTS, randomId);
    expect(held.outcome).toBe('continue');
    expect(statusOf(state, 160 * S, TIMEOUTS)).toMatchObject({ idleFor: 0, expireIn: 60 });
    // The absolute timeout ends it whatever the lease.
    expect(decide(state, 600 * S, undefined, TIMEOUTS, randomId)).toEqual({
      outcome: 'expired',
      reason: 'absolute',
    });
    expect(deadlineOf(state, TIMEOUTS)).toBe(600 * S);
    expect(readState(encodeState(state))).toEqual({ lastActivity: 0, startedAt: 0, id: 'a' });
  });

  it('is equal to activity at the end of the lease, whatever the times (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (last, held, now) => {
          const state = { lastActivity: last * S, startedAt: 0, id: 'a', heldUntil: held * S };
          const nowMs = Math.max(last, now) * S;
          const asActivity = {
            lastActivity: Math.max(last * S, Math.min(nowMs, held * S)),
            startedAt: 0,
            id: 'a',
          };
          const a = decide(state, nowMs, undefined, TIMEOUTS, randomId).outcome;
          const b = decide(asActivity, nowMs, undefined, TIMEOUTS, randomId).outcome;
          expect(a).toBe(b);
        },
      ),
    );
  });
});

describe('a lease in the default store', () => {
  it('keeps a sign-in alive past expireAfter while it holds, idle for no time', async () => {
    const t = setup();
    await t.signIn();
    const held = await t.hold('upload', 300);
    expect(held).toMatchObject({ kind: 'active', state: { heldUntil: T0 + 300 * S } });
    t.advance(200);
    expect(await t.look()).toEqual({ alive: true, idleFor: 0 });
  });

  it('counts idle time from its release, and ends the sign-in expireAfter after it', async () => {
    const t = setup();
    const marker = await t.signIn();
    await t.hold('upload', 300);
    t.advance(100);
    const after = await t.store.release?.(marker, 'upload', TIMEOUTS);
    expect(after?.heldUntil).toBe(T0 + 100 * S);
    t.advance(59);
    expect(await t.look()).toEqual({ alive: true, idleFor: 59 });
    t.advance(1);
    expect(await t.look()).toEqual({ alive: false, reason: 'idle' });
  });

  it('holds no longer than its maxSeconds when its work never settles', async () => {
    const t = setup();
    await t.signIn();
    await t.hold('stuck', 100);
    t.advance(159);
    expect(await t.look()).toEqual({ alive: true, idleFor: 59 });
    t.advance(1);
    expect(await t.look()).toEqual({ alive: false, reason: 'idle' });
  });

  it('ends nothing for an unknown or lapsed lease, nor twice for one', async () => {
    const t = setup();
    const marker = await t.signIn();
    await t.hold('short', 10);
    await t.hold('long', 100);
    expect(await t.store.release?.(marker, 'never-taken', TIMEOUTS)).toBeUndefined();
    t.advance(20);
    expect(await t.store.release?.(marker, 'short', TIMEOUTS)).toBeUndefined();
    expect(await t.store.release?.(marker, 'long', TIMEOUTS)).toMatchObject({
      heldUntil: T0 + 20 * S,
    });
    expect(await t.store.release?.(marker, 'long', TIMEOUTS)).toBeUndefined();
  });

  it('never passes the absolute timeout', async () => {
    const t = setup();
    await t.signIn();
    await t.hold('long', 3600);
    t.advance(599);
    expect((await t.look()).alive).toBe(true);
    t.advance(1);
    expect(await t.look()).toEqual({ alive: false, reason: 'absolute' });
  });

  it('holds while any of several leases does: releasing one leaves the other', async () => {
    const t = setup();
    const marker = await t.signIn();
    await t.hold('a', 300);
    await t.hold('b', 300);
    t.advance(10);
    await t.store.release?.(marker, 'a', TIMEOUTS);
    t.advance(100);
    expect(await t.look()).toEqual({ alive: true, idleFor: 0 });
    await t.store.release?.(marker, 'b', TIMEOUTS);
    t.advance(60);
    expect(await t.look()).toEqual({ alive: false, reason: 'idle' });
  });

  it('ends with a sign-out: a release afterwards revives nothing, and no lease is taken on it', async () => {
    const t = setup();
    const marker = await t.signIn();
    await t.hold('upload', 300);
    const copy = t.session.copy();
    await t.store.end(t.session, 'logout', TIMEOUTS);
    expect(await t.store.release?.(marker, 'upload', TIMEOUTS)).toBeUndefined();
    // A copy of the session saved back by a request in flight finds the sign-in ended.
    const step = await t.store.hold?.(copy, { id: 'again', forMs: 300 * S }, TIMEOUTS);
    expect(step).toEqual({ kind: 'ended', reason: 'logout' });
  });

  it('ends with "end all": the revoked sign-in is refused at once, lease or not', async () => {
    const t = setup();
    await t.signIn();
    await t.hold('upload', 300);
    await t.store.revoke?.({ userId: 'ada' }, TIMEOUTS);
    expect(await t.look()).toEqual({ alive: false, reason: 'revoked' });
  });

  it('is never taken on an expired sign-in (no revival), and records the expiry', async () => {
    const t = setup();
    const marker = await t.signIn();
    t.advance(60);
    expect(await t.hold('late', 300)).toMatchObject({ kind: 'ended', reason: 'idle' });
    expect(await t.store.endedReason?.(marker)).toBe('idle');
  });

  it('is not activity: the sign-in list keeps the last activity of its user', async () => {
    const t = setup();
    await t.signIn();
    await t.hold('upload', 300);
    t.advance(120);
    const [listed] = (await t.store.signIns?.('ada', TIMEOUTS)) ?? [];
    expect(listed).toMatchObject({ lastActivity: T0 });
    expect(listed).not.toHaveProperty('heldUntil');
  });

  it(`refuses a lease past ${MAX_LEASES_PER_SIGN_IN} live ones, and takes one again once one ends`, async () => {
    const t = setup();
    const marker = await t.signIn();
    for (let i = 0; i < MAX_LEASES_PER_SIGN_IN; i++) {
      expect((await t.hold(`l${i}`, 300)).kind).toBe('active');
    }
    expect(await t.hold('one-more', 300)).toEqual({ kind: 'too-many' });
    await t.store.release?.(marker, 'l0', TIMEOUTS);
    expect((await t.hold('one-more', 300)).kind).toBe('active');
  });

  it('lets lapsed leases free their place (they end at their maximum)', async () => {
    const t = setup();
    await t.signIn();
    for (let i = 0; i < MAX_LEASES_PER_SIGN_IN; i++) await t.hold(`l${i}`, 10);
    t.advance(11);
    expect((await t.hold('after', 300)).kind).toBe('active');
  });

  it('keeps a held sign-in from the sweep until expireAfter past its lease', async () => {
    const t = setup();
    const marker = await t.signIn();
    await t.hold('upload', 100);
    t.advance(150);
    expect(await t.store.sweep?.(TIMEOUTS)).toEqual([]);
    t.advance(10);
    const swept = (await t.store.sweep?.(TIMEOUTS)) ?? [];
    expect(swept.map(({ state, reason }) => [state.id, reason])).toEqual([[marker, 'idle']]);
  });
});

describe('leases against a model (property)', () => {
  type Op =
    | { op: 'advance'; seconds: number }
    | { op: 'activity' }
    | { op: 'hold'; id: number; seconds: number }
    | { op: 'release'; id: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 90 }) }),
    fc.record({ op: fc.constant('activity' as const) }),
    fc.record({
      op: fc.constant('hold' as const),
      id: fc.integer({ min: 0, max: 3 }),
      seconds: fc.integer({ min: 1, max: 200 }),
    }),
    fc.record({ op: fc.constant('release' as const), id: fc.integer({ min: 0, max: 3 }) }),
  );

  it('is alive exactly while neither its idle time (counted from its activity or its leases) nor its absolute time ran out, and never again after', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
        const t = setup();
        const marker = await t.signIn();
        // The model: times in seconds from the sign-in.
        let now = 0;
        let last = 0;
        let endedLeases = Number.NEGATIVE_INFINITY;
        const live = new Map<number, number>();
        let ended = false;
        const alive = () => {
          let held = endedLeases;
          for (const until of live.values()) held = Math.max(held, Math.min(now, until));
          return now < Math.max(last, held) + 60 && now < 600;
        };
        for (const step of ops) {
          if (step.op === 'advance') {
            now += step.seconds;
            t.advance(step.seconds);
            for (const [id, until] of live) {
              if (until <= now) {
                live.delete(id);
                endedLeases = Math.max(endedLeases, until);
              }
            }
            continue;
          }
          // Each step first finds whether the sign-in is over: over for good once it is.
          ended ||= !alive();
          if (step.op === 'activity') {
            const touched = await t.store.touch(t.session, 0, TIMEOUTS);
            expect(touched.kind).toBe(ended ? 'ended' : 'active');
            if (!ended) last = now;
          } else if (step.op === 'hold') {
            const held = await t.hold(`l${step.id}`, step.seconds);
            expect(held.kind).toBe(ended ? 'ended' : 'active');
            if (!ended) live.set(step.id, now + step.seconds);
          } else {
            const after = await t.store.release?.(marker, `l${step.id}`, TIMEOUTS);
            const wasLive = !ended && live.has(step.id);
            expect(after !== undefined).toBe(wasLive);
            if (wasLive) {
              live.delete(step.id);
              endedLeases = Math.max(endedLeases, now);
            }
          }
        }
        ended ||= !alive();
        expect((await t.look()).alive).toBe(!ended);
      }),
      { numRuns: 300 },
    );
  });
});

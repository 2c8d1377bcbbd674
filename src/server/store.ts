// The default activity store: a sign-in's clock in the session object, and the memory of ended
// sign-ins in this process. Applies the core's policy; holds no framework code.

import type { Logger } from '../core/options.js';
import { decide, randomId, readState, type SecurityState, type Timeouts } from '../core/policy.js';
import type { ActivityStore, SessionAccess } from '../core/store.js';
import { DEFAULT_MAX_TOMBSTONES, type EndReason, Tombstones } from '../core/tombstones.js';

export type { ActivityStore, SessionAccess, Touch } from '../core/store.js';

/** A clock in milliseconds, and where warnings go. */
export interface SessionObjectStoreOptions {
  now: () => number;
  logger: Logger;
}

/**
 * The default store: the clock lives in the session object (`session.sessionSecurity`), so it is
 * kept wherever the framework keeps sessions; the memory of ended sign-ins lives in this process.
 */
export function sessionObjectStore({ now, logger }: SessionObjectStoreOptions): ActivityStore {
  const ended = new Tombstones();
  const latest = new LatestActivity();
  const markerKey = (id: string) => `m:${id}`;
  const sessionKey = (id: string) => `s:${id}`;
  let lastEvictionWarningMs = -Infinity;

  /** Reads the state; a damaged record counts as expired, never as a fresh start. */
  function stored(session: SessionAccess): SecurityState | undefined | 'invalid' {
    const state = readState(session.read());
    if (state === 'invalid') {
      logger.error('session-security: the stored security state is damaged; ending the session');
    }
    return state;
  }

  /** Why this session's sign-in already ended, when it has: a copy saved back by a request that was in flight. */
  function endedReason(
    session: SessionAccess,
    state: SecurityState | undefined | 'invalid',
    nowMs: number,
  ): EndReason | undefined {
    const sessionId = session.id();
    const byMarker =
      state !== undefined && state !== 'invalid'
        ? ended.find(markerKey(state.id), nowMs)
        : undefined;
    return (
      byMarker ?? (sessionId === undefined ? undefined : ended.find(sessionKey(sessionId), nowMs))
    );
  }

  /**
   * Remembers a sign-in as ended, by its marker and by its session id, for as long as it could
   * otherwise live: no copy of it holds a `lastActivity` later than now, so none outlives
   * now + expireAfter (nor its absolute deadline).
   */
  function bury(
    session: SessionAccess,
    state: SecurityState | undefined | 'invalid',
    nowMs: number,
    reason: EndReason,
    { expireAfterMs, absoluteTimeoutMs }: Timeouts,
  ): void {
    const idleUntil = nowMs + expireAfterMs;
    const keys: [string, number][] = [];
    if (state !== undefined && state !== 'invalid') {
      const absoluteUntil =
        absoluteTimeoutMs > 0 ? state.startedAt + absoluteTimeoutMs : Number.POSITIVE_INFINITY;
      keys.push([markerKey(state.id), Math.min(idleUntil, absoluteUntil)]);
    }
    const sessionId = session.id();
    // A session that comes back without a clock must not start a new one for this sign-in.
    if (sessionId !== undefined) keys.push([sessionKey(sessionId), idleUntil]);
    for (const [key, until] of keys) {
      if (until <= nowMs || ended.add(key, nowMs, until, reason)) continue;
      if (nowMs - lastEvictionWarningMs >= 60_000) {
        lastEvictionWarningMs = nowMs;
        logger.warn(
          'session-security: too many sign-ins ended within expireAfter to remember them all in memory; the oldest are forgotten. Keep them in a shared store (Redis) instead',
        );
      }
    }
  }

  /**
   * A slow request saves its copy of the session at its end, over the activity a ping or another
   * request recorded meanwhile: the latest time this process recorded wins over the copy's.
   */
  function withLatest(state: SecurityState | undefined, nowMs: number) {
    const known = state === undefined ? undefined : latest.get(state.id);
    return state !== undefined && known !== undefined && known > state.lastActivity
      ? { ...state, lastActivity: Math.min(known, nowMs) }
      : state;
  }

  return {
    async touch(session, activityOffsetMs, timeouts) {
      const nowMs = now();
      const state = stored(session);
      const endedBefore = endedReason(session, state, nowMs);
      if (endedBefore !== undefined) return { kind: 'ended', reason: endedBefore };
      if (state === 'invalid') {
        bury(session, state, nowMs, 'idle', timeouts);
        return { kind: 'ended', reason: 'idle' };
      }
      const restored = withLatest(state, nowMs);
      const activityAt = activityOffsetMs === undefined ? undefined : nowMs - activityOffsetMs;
      // The sign-in's first tracked request starts its clock (no start() was called).
      const decision = decide(restored, nowMs, activityAt, timeouts, randomId);
      if (decision.outcome === 'expired') {
        bury(session, state, nowMs, decision.reason, timeouts);
        return { kind: 'ended', reason: decision.reason };
      }
      if (decision.write || restored !== state) {
        await session.write(decision.state);
        latest.set(decision.state.id, decision.state.lastActivity, nowMs, timeouts.expireAfterMs);
      }
      return { kind: 'active', state: decision.state, nowMs };
    },

    async prepare(session) {
      if (session.read() !== undefined) return;
      const nowMs = now();
      if (endedReason(session, undefined, nowMs) !== undefined) return;
      await session.write({ lastActivity: nowMs, startedAt: nowMs, id: randomId() });
    },

    async start(session) {
      const nowMs = now();
      // An explicit new sign-in in a session whose earlier sign-in ended (a logout hook that
      // kept the session id): the session id is free again; the old marker stays ended.
      const sessionId = session.id();
      if (sessionId !== undefined) ended.delete(sessionKey(sessionId));
      const state = { lastActivity: nowMs, startedAt: nowMs, id: randomId() };
      await session.write(state);
      return { kind: 'active', state, nowMs };
    },

    async end(session, reason, timeouts) {
      bury(session, stored(session), now(), reason, timeouts);
    },

    peek(session, timeouts) {
      const nowMs = now();
      const state = readState(session.read());
      if (state === undefined || state === 'invalid') return undefined;
      const endedBefore = endedReason(session, state, nowMs);
      if (endedBefore !== undefined) return { kind: 'ended', reason: endedBefore };
      const decision = decide(withLatest(state, nowMs), nowMs, undefined, timeouts, randomId);
      return decision.outcome === 'expired'
        ? { kind: 'ended', reason: decision.reason }
        : { kind: 'active', state: decision.state, nowMs };
    },
  };
}

/**
 * The latest activity this process recorded per sign-in, so that a copy of the session saved back
 * by a slow request cannot move it back. Bounded: an entry older than expireAfter is worthless
 * (its sign-in has expired) and is dropped; past the bound the oldest go first.
 */
class LatestActivity {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = DEFAULT_MAX_TOMBSTONES) {
    this.#maxEntries = maxEntries;
  }

  get(id: string): number | undefined {
    return this.#entries.get(id);
  }

  set(id: string, lastActivityMs: number, nowMs: number, expireAfterMs: number): void {
    this.#entries.delete(id); // re-inserted last: entries stay in the order they were recorded
    this.#entries.set(id, lastActivityMs);
    for (const [oldest, at] of this.#entries) {
      if (at + expireAfterMs > nowMs && this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
  }
}

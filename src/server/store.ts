// Where a sign-in's clock lives: the interface every store implements (the session object by
// default, Redis for many instances), and the session-object store. The lifecycle decides what
// to answer; a store applies the core's policy to its record, in one step per request.

import type { Logger } from '../core/options.js';
import {
  decide,
  type ExpiryReason,
  randomId,
  readState,
  type SecurityState,
  type Timeouts,
} from '../core/policy.js';
import { type EndReason, Tombstones } from '../core/tombstones.js';

/** How the lifecycle reaches the session of one request. */
export interface SessionAccess {
  /** False when the framework has no session for the request (its store failed). */
  exists(): boolean;
  /** The framework's id of the session (the one its cookie names), when it has one. */
  id(): string | undefined;
  /** What session-security keeps in the session (`session.sessionSecurity`), as stored. */
  read(): unknown;
  write(value: unknown): void | Promise<void>;
  clear(): void | Promise<void>;
  /**
   * Ends the session (the `logout` hook, or the adapter's default) and drops the state. With
   * `keepSession` the request goes on to the app, which needs a fresh anonymous session;
   * without it no session is left at all (the library answers the request itself).
   */
  end(keepSession: boolean): Promise<void>;
}

/** The result of one request's step: the sign-in lives (with its state), or it is over and why. */
export type Touch =
  | { kind: 'active'; state: SecurityState; nowMs: number }
  | { kind: 'ended'; reason: EndReason };

/**
 * A store of sign-in clocks. Each method is one step on the store (one round trip for a remote
 * store): expiry is checked before anything is recorded, activity is recorded as a maximum, and
 * a sign-in that ended is remembered as ended for as long as a copy of it could come back.
 */
export interface ActivityStore {
  /**
   * Decides one request of a signed-in session.
   *
   * @param activityOffsetMs - how long ago this request saw activity: 0 for an active request,
   *   a ping's `sinceActivity` in milliseconds, undefined for a request that records none
   * @returns the state after the request, or why the sign-in is over (an expiry found now is
   *   recorded as the end of the sign-in before this returns)
   */
  touch(
    session: SessionAccess,
    activityOffsetMs: number | undefined,
    timeouts: Timeouts,
  ): Promise<Touch>;
  /** Starts the clock of a new sign-in in this session. */
  start(session: SessionAccess, timeouts: Timeouts): Promise<Touch & { kind: 'active' }>;
  /** Remembers the sign-in of this session as ended (before the session itself is ended). */
  end(session: SessionAccess, reason: EndReason, timeouts: Timeouts): Promise<void>;
  /** The state as the page's client config should see it, without a round trip; undefined when unknown. */
  peek(session: SessionAccess, timeouts: Timeouts): Touch | undefined;
  /**
   * Called first on every request of a signed-in session, whatever its answer (a 404 under the
   * prefix, an asset). The session-object store starts a missing clock there, so that no copy
   * of the session saved back by such a request lacks one. Optional.
   */
  prepare?(session: SessionAccess, timeouts: Timeouts): Promise<void>;
}

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
      const activityAt = activityOffsetMs === undefined ? undefined : nowMs - activityOffsetMs;
      // The sign-in's first tracked request starts its clock (no start() was called).
      const decision = decide(state, nowMs, activityAt, timeouts, randomId);
      if (decision.outcome === 'expired') {
        bury(session, state, nowMs, decision.reason, timeouts);
        return { kind: 'ended', reason: decision.reason };
      }
      if (decision.write) await session.write(decision.state);
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
      const decision = decide(state, nowMs, undefined, timeouts, randomId);
      return decision.outcome === 'expired'
        ? { kind: 'ended', reason: decision.reason satisfies ExpiryReason }
        : { kind: 'active', state: decision.state, nowMs };
    },
  };
}

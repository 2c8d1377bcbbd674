// The interface every activity store implements (the session object by default, Redis for many
// instances), and how a store reaches one request's session. Types only: no I/O here.

import type { SecurityState, Timeouts } from './policy.js';
import type { EndReason } from './tombstones.js';

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

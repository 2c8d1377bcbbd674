// The interface every activity store implements (the session object by default, Redis for many
// instances), and how a store reaches one request's session. Types only: no I/O here.

import type { SecurityState, SignInFacts, Timeouts } from './policy.js';
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
  /**
   * Optional: what keeps the whole session in its cookie, when the session plugin has no store
   * on the server (koa-session's default, cookie-session); undefined otherwise. The lifecycle
   * then warns once, with the default store: a sign-out cannot delete a copy of such a cookie.
   */
  cookieHeld?(): string | undefined;
  /**
   * Optional: saves the session to its store now, before the answer is sent. For a session plugin
   * that saves it only once the answer has begun (express-session, koa-session), whose failure
   * the client never hears of: the lock's unlock saves first, so that it never answers a sign-in
   * that was not kept.
   */
  save?(): Promise<void>;
}

/** The result of one request's step: the sign-in lives (with its state), or it is over and why. */
export type Touch =
  | { kind: 'active'; state: SecurityState; nowMs: number }
  | {
      kind: 'ended';
      reason: EndReason;
      /** Set when this very step found the expiry (not a sign-in that had ended before): the sign-in as it stood. */
      found?: SecurityState;
    };

/**
 * A lease to take on a sign-in: its id (random, unique within the sign-in) and how long it may
 * hold the sign-in at most, from the store's now (a store with a clock of its own, such as
 * Redis's, counts from its own).
 */
export interface LeaseRequest {
  id: string;
  forMs: number;
}

/** The answer to a lease: taken (with the sign-in's state, held), the sign-in over, or too many leases. */
export type Held = Touch | { kind: 'too-many' };

/** The most leases one sign-in may hold at once: one account cannot grow the store's memory with them. */
export const MAX_LEASES_PER_SIGN_IN = 16;

/** One live sign-in, as the list of a user's sign-ins shows it. */
export interface SignInRecord extends SignInFacts {
  /** The sign-in's marker (the `session` of the ping). */
  id: string;
  startedAt: number;
  lastActivity: number;
}

/** A sign-in a sweep found past its deadline and recorded as ended: the sign-in, and why. */
export interface SweptSignIn {
  state: SecurityState;
  reason: 'idle' | 'absolute';
}

/**
 * Which sign-ins to end from elsewhere: one of a user's (`signIn`), all of a user's but one
 * (`except`: "sign out everywhere else"), all of a user's, or every user's.
 */
export type RevokeTarget =
  | { userId: string; signIn?: string; except?: string }
  | { everyone: true };

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
   * @param withFacts - whether the state must carry the sign-in's user and data (for an event)
   * @param exact - whether the step must read and record the store itself, not a copy a remote
   *   store keeps in this process: the ping, the client's rare moment of agreement with the server
   * @returns the state after the request, or why the sign-in is over (an expiry found now is
   *   recorded as the end of the sign-in before this returns); the answer itself when the store
   *   has it at once (the default store: the request then goes on with no promise), else a promise
   */
  touch(
    session: SessionAccess,
    activityOffsetMs: number | undefined,
    timeouts: Timeouts,
    withFacts?: boolean,
    exact?: boolean,
  ): Touch | Promise<Touch>;
  /** Starts the clock of a new sign-in in this session, keeping its facts. */
  start(
    session: SessionAccess,
    timeouts: Timeouts,
    facts?: SignInFacts,
  ): Promise<Touch & { kind: 'active' }>;
  /**
   * Remembers the sign-in of this session as ended (before the session itself is ended).
   *
   * @returns the sign-in as it stood, when this call ended it
   */
  end(
    session: SessionAccess,
    reason: EndReason,
    timeouts: Timeouts,
  ): Promise<SecurityState | undefined>;
  /** The state as the page's client config should see it, without a round trip; undefined when unknown. */
  peek(session: SessionAccess, timeouts: Timeouts): Touch | undefined;
  /**
   * Called first on every request of a signed-in session whose session holds no clock yet
   * (`session.read()` is undefined), whatever its answer (a 404 under the prefix, an asset). The
   * session-object store starts the missing clock there, so that no copy of the session saved
   * back by such a request lacks one. Optional.
   *
   * @returns the new sign-in's state when it started one
   */
  prepare?(
    session: SessionAccess,
    timeouts: Timeouts,
    facts?: SignInFacts,
  ): Promise<SecurityState | undefined>;
  /**
   * How the sign-in with this marker ended, while the store still remembers it (an anonymous
   * ping naming its page's sign-in learns whether it was signed out or expired); `lost` when
   * the browser has no session of a sign-in that did not end (a store that can tell). Optional.
   */
  endedReason?(marker: string): Promise<EndReason | undefined>;
  /**
   * The live sign-ins of a user (started with a `userId`). Optional: a store without it has no
   * list of sign-ins.
   */
  signIns?(userId: string, timeouts: Timeouts): Promise<SignInRecord[]>;
  /**
   * Ends sign-ins from elsewhere: their next request finds them ended (`revoked`).
   *
   * @returns the sign-ins this call ended
   */
  revoke?(target: RevokeTarget, timeouts: Timeouts): Promise<SecurityState[]>;
  /**
   * Records as ended every known sign-in past its deadline, so that one nobody comes back to
   * still gets its `expired` event; each is returned by exactly one sweep, on any instance.
   */
  sweep?(timeouts: Timeouts): Promise<SweptSignIn[]>;
  /**
   * Holds the sign-in of this session for the lease's length at most, in one step that checks
   * first that it lives (no lease revives a sign-in that ended or expired). Refuses a lease past
   * 16 live ones (`MAX_LEASES_PER_SIGN_IN`). Optional: a store without it holds no leases.
   *
   * @returns the sign-in's state with its `heldUntil`, why it is over, or `too-many`
   */
  hold?(session: SessionAccess, lease: LeaseRequest, timeouts: Timeouts): Promise<Held>;
  /**
   * Ends a lease of the sign-in with this marker: its idle time counts from now (or from the
   * lease's own end, when it lapsed before). Does nothing once the sign-in ended (a sign-out or
   * revocation ends its leases with it) or when the lease is unknown.
   *
   * @returns the sign-in's state after the release, or undefined when it is gone or ended, or
   *   holds no live lease by that id (never taken, released already, or lapsed and forgotten)
   */
  release?(marker: string, lease: string, timeouts: Timeouts): Promise<SecurityState | undefined>;
  /**
   * Takes `name` once, on every instance that shares the store: true the first time, false while
   * it lives (`ttlMs`). The lock's passkeys claim each challenge so. Optional: without it a
   * challenge is claimed in this process only.
   */
  claimOnce?(name: string, ttlMs: number): Promise<boolean>;
}

// The audit events (docs/guide/operations.md: Audit events, the `onEvent` option) and the metrics are built on. Types and
// small pure helpers only: the lifecycle and the stores emit them.

import type { SignInRefusal } from './errors.js';
import type { ExpiryReason } from './policy.js';
import type { PassiveWhy } from './request.js';
import type { EndReason } from './tombstones.js';

/** What every event carries. Never a session id: `signIn` is the sign-in's opaque marker. */
export interface EventBase {
  /** When the library saw it, in milliseconds since the epoch (the app's clock). */
  at: number;
  /** The sign-in's marker (the `session` of the ping), when the event belongs to one. */
  signIn?: string;
  /** The signed-in user's id (the `userId` option, taken at sign-in), when known. */
  userId?: string;
  /** What the app attached at sign-in (the `eventData` option), when known. */
  data?: Readonly<Record<string, string | number | boolean | null>>;
}

/** A sign-in started its clock, with the timeouts it keeps (seconds). */
export interface SignedInEvent extends EventBase {
  type: 'signed-in';
  signIn: string;
  expireAfter: number;
  warnAfter: number;
  /** 0 when off. */
  absoluteTimeout: number;
}

/** The user chose to stay signed in (the warning's button, or `extend()`). */
export interface ExtendedEvent extends EventBase {
  type: 'extended';
  signIn: string;
}

/**
 * A sign-in expired. `at` is when the library found out (the next request of the sign-in, or the
 * sweep for one nobody came back to); `endedAt` is the deadline it passed.
 */
export interface ExpiredEvent extends EventBase {
  type: 'expired';
  signIn: string;
  reason: ExpiryReason;
  /** Seconds without activity at the deadline (nor a lease: counted from the last one's end). */
  idleSeconds: number;
  /**
   * When the sign-in's last lease ended, when a lease held it (milliseconds since the epoch):
   * its idle time counted from there. At `endedAt` for a lease the absolute timeout cut short.
   */
  leaseEndedAt?: number;
  /** Seconds from sign-in to the deadline. */
  lengthSeconds: number;
  /** The deadline, in milliseconds since the epoch. */
  endedAt: number;
  /** Who found it: a request of the sign-in, or the sweep. */
  foundBy: 'request' | 'sweep';
}

/**
 * A sign-in was ended on purpose: by its user (`logout`), ended from elsewhere (`revoked`:
 * "sign out everywhere", or the app ending every sign-in), or ended because its user signed in
 * once more than `maxSignInsPerUser` allows (`replaced`: the least recently active goes).
 */
export interface SignedOutEvent extends EventBase {
  type: 'signed-out';
  signIn: string;
  how: 'logout' | 'revoked' | 'replaced';
  /** Seconds from sign-in to now, when the store knew the start. */
  lengthSeconds?: number;
}

/**
 * A sign-in's record was missing from the store before its deadline (`lost`): Redis evicted it,
 * was flushed, or restarted without persistence. Its user was signed out and told so (reason
 * `lost`; drafts are kept). Found by a request of the sign-in, whose session's hint of the
 * deadline shows the record should still be there; or by an anonymous ping of a page that names
 * the sign-in (`ping`: the store has no record of it, which also happens when the page slept
 * more than `graceSeconds` past its deadline; that page's client then says `idle`).
 */
export interface SignInLostEvent extends EventBase {
  type: 'sign-in-lost';
  signIn: string;
  foundBy: 'request' | 'ping';
}

/** Why the library turned a request away. */
export type RefusedReason =
  | 'cross-origin'
  | 'bad-request'
  | 'body-too-large'
  | 'unsupported-media-type'
  | 'method-not-allowed'
  | 'not-found'
  | 'no-session'
  | 'ended-sign-in'
  | 'credentials';

/** A request the library turned away. `signIn` is the marker the session named, if any. */
export interface RefusedEvent extends EventBase {
  type: 'refused';
  reason: RefusedReason;
  method: string;
  /** The path, without the query. */
  path: string;
}

/** A store operation failed (the request was answered 503, or a sign-out went on without it). */
export interface StoreFailedEvent extends EventBase {
  type: 'store-failed';
  operation: 'touch' | 'start' | 'end' | 'prepare' | 'session' | 'list' | 'sweep' | 'lease';
  /** The failure's kind: its name and code, never its message (which may carry ids). */
  error: string;
}

/**
 * A new sign-in was refused (`start` threw a `SignInRefusedError`, or a sign-in made without
 * `start` was ended at once): its user has `maxSignInsPerUser` sign-ins (`max-sign-ins`, with
 * `onMaxSignIns: 'refuse'`), or the default store's memory is full for this user
 * (`user-memory-full`) or for the process (`memory-full`).
 */
export interface SignInRefusedEvent extends EventBase {
  type: 'sign-in-refused';
  reason: SignInRefusal;
}

/**
 * A lease began: work its user started (an upload, an import, a report) holds the sign-in while
 * it runs, `maxSeconds` at most and never past the absolute timeout. Not a person's input.
 */
export interface LeaseHeldEvent extends EventBase {
  type: 'lease-held';
  signIn: string;
  /** The lease's id, random, for the matching `lease-ended`. */
  lease: string;
  /** What the app called the work (`label`), when it did. */
  label?: string;
  /** Taken by the app on the server (`security.hold`) or by the browser (`sessionSecurity.hold`). */
  by: 'server' | 'client';
  maxSeconds: number;
  /** The latest it may hold the sign-in to, in milliseconds since the epoch. */
  until: number;
}

/**
 * A lease ended: its work settled (`settled`), settled after its `maxSeconds` had run out
 * (`lapsed`: the sign-in was held no longer), or found its sign-in over (`sign-in-ended`: a
 * sign-out, "end all", the absolute timeout). Idle time counts from its end.
 */
export interface LeaseEndedEvent extends EventBase {
  type: 'lease-ended';
  signIn: string;
  /** The `lease` of its `lease-held` event. */
  lease: string;
  /** The app's label, for the app's leases (the browser's are matched by `lease`). */
  label?: string;
  by: 'server' | 'client';
  how: 'settled' | 'lapsed' | 'sign-in-ended';
  /** Seconds from its start to its end. */
  seconds: number;
}

/**
 * Why a request did what it did to its sign-in's clock (a {@link TraceEvent}): a request of the
 * app (`request`: the user's navigation, the page's own fetch), the client's ping reporting the
 * user's input (`ping`) or their "Stay signed in" (`stay`), a request that only read the clock
 * (`read`: a GET ping, the config), one marked passive (`passive-header`), a prefetch, one
 * another origin or site made (`elsewhere`), a `passive` rule (`passive-rule`), or the sign-in
 * found over (`ended`).
 */
export type TraceWhy = 'request' | 'ping' | 'stay' | 'read' | PassiveWhy | 'ended';

/**
 * With the `trace` option: what one request of a sign-in did to its clock, and why. `activity`
 * starts its idle time again, `passive` only read it, `ended` found the sign-in over (`reason`).
 */
export interface TraceEvent extends EventBase {
  type: 'trace';
  signIn: string;
  method: string;
  /** The path, without the query. */
  path: string;
  counted: 'activity' | 'passive' | 'ended';
  why: TraceWhy;
  /** What decided it: the `passive` rule (`passive[0] /api/poll`), the input a ping reported. */
  detail?: string;
  /** For `ended`: why the sign-in is over. */
  reason?: EndReason;
  /** After the request, while the sign-in lives: seconds idle, and until it ends. */
  idleFor?: number;
  expireIn?: number;
  /** A lease holds it: its idle time waits for the lease's end. */
  held?: true;
}

/** Every audit event. */
export type SessionSecurityEvent =
  | SignedInEvent
  | ExtendedEvent
  | ExpiredEvent
  | SignedOutEvent
  | SignInLostEvent
  | RefusedEvent
  | SignInRefusedEvent
  | StoreFailedEvent
  | LeaseHeldEvent
  | LeaseEndedEvent
  | TraceEvent;

export type SessionSecurityEventType = SessionSecurityEvent['type'];

/**
 * What the library reports to metrics: every audit event, and every ping by method. The
 * `session-security/opentelemetry` module makes one; an app may write its own.
 */
export interface MetricsRecorder {
  event(event: SessionSecurityEvent): void;
  ping(method: 'GET' | 'POST'): void;
}

/** A failure's kind for logs and events: its name and code, not its message (which may carry ids). */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}

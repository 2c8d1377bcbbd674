// The error family of session-security: every error the library throws is one of these.
// Messages say what was wrong, the value received and what is expected.

import { REAUTH_HEADERS } from './protocol.js';
/** Base class of every error thrown by session-security. */
export class SessionSecurityError extends Error {
  constructor(message: string) {
    super(`session-security: ${message}`);
    this.name = 'SessionSecurityError';
  }
}

/**
 * A bad option, thrown at construction so a misconfigured app fails at start-up,
 * not on the first request.
 *
 * @example
 * ```ts
 * try { sessionSecurity({ expireAfter: -1, isAuthenticated }) }
 * catch (e) { if (e instanceof SessionSecurityConfigError) console.error(e.option) } // 'expireAfter'
 * ```
 */
export class SessionSecurityConfigError extends SessionSecurityError {
  /** The name of the option that was wrong. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.name = 'SessionSecurityConfigError';
    this.option = option;
  }
}

/** Renders a received value for an error message: strings quoted, objects abridged. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value instanceof RegExp) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    return json && json.length <= 60 ? json : 'an object';
  }
  return String(value);
}

/**
 * A request the library refuses to act on, with the HTTP status to answer (Express and most
 * frameworks answer an error's `status`). Thrown by `signOut(req)` for a request that another
 * origin made: a page elsewhere must not sign users out.
 */
export class SessionSecurityRequestError extends SessionSecurityError {
  /** The HTTP status to answer (Express, Koa). */
  readonly status: number;
  /** The same status, under the name Fastify reads. */
  readonly statusCode: number;
  /** The message is safe to show: it holds nothing secret. */
  readonly expose = true;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'SessionSecurityRequestError';
    this.status = status;
    this.statusCode = status;
  }
}

/**
 * A session store operation that failed or took too long: answered 503, never a sign-out. The
 * session store guards of the adapters throw it; frameworks answer its `status` / `statusCode`.
 *
 * @example
 * ```ts
 * app.setErrorHandler((error, request, reply) => {
 *   if (error instanceof SessionStoreUnavailableError) return reply.code(503).headers(error.headers).send();
 *   return reply.send(error);
 * });
 * ```
 */
export class SessionStoreUnavailableError extends SessionSecurityError {
  /** The HTTP status to answer (Express, Koa). */
  readonly status = 503;
  /** The same status, under the name Fastify reads. */
  readonly statusCode = 503;
  /** The message is safe to show: it names the operation only, never the store's own error. */
  readonly expose = true;
  /** Why the store failed (its own error: may name hosts and ports), for the logs only. */
  readonly reason: string;
  /** The headers to answer with, which Fastify's and Koa's default error handlers send. */
  readonly headers: Readonly<Record<string, string>> = {
    'retry-after': '5',
    'cache-control': 'no-store',
  };

  constructor(operation: string, reason: string, options?: { cause?: unknown }) {
    // Why: frameworks show an exposed message to the client; the store's error stays in the logs.
    super(`the session store could not ${operation} a session`);
    this.name = 'SessionStoreUnavailableError';
    this.reason = reason;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Why a new sign-in was refused. */
export type SignInRefusal = 'max-sign-ins' | 'user-memory-full' | 'memory-full';

/**
 * A new sign-in the library refused, thrown by `start(req)`: the user already has
 * `maxSignInsPerUser` sign-ins (with `onMaxSignIns: 'refuse'`), or the default store's memory of
 * sign-ins is full (this user's share, or the whole process's). Its `status` is 429 for the first
 * two (show the user `message`, or your own words), 503 with `Retry-After` for the last.
 *
 * @example
 * ```ts
 * const refused = new SignInRefusedError('memory-full', 'try again in a minute');
 * refused.status; // 503
 * refused.headers['retry-after']; // '60'
 * refused.message; // 'session-security: try again in a minute'
 * ```
 */
export class SignInRefusedError extends SessionSecurityRequestError {
  /** Why the sign-in was refused. */
  readonly reason: SignInRefusal;
  /** The headers to answer with (`Retry-After` when the process's memory is full). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(reason: SignInRefusal, message: string) {
    super(reason === 'memory-full' ? 503 : 429, message);
    this.name = 'SignInRefusedError';
    this.reason = reason;
    this.headers =
      reason === 'memory-full'
        ? { 'retry-after': '60', 'cache-control': 'no-store' }
        : { 'cache-control': 'no-store' };
  }
}

/**
 * The request needs a recent sign-in and this one is older than `maxAge` (or there is none),
 * thrown by `requireRecentSignIn(req, maxAge)` before what matters (a password change, a
 * payment). Its `status` is 401 with `Cache-Control: no-store`; the library's error answers
 * (`errorReply`, Express's `storeUnavailableHandler`, `errorResponse`, the NestJS filter) send a
 * page load a 303 to `location` (the login page, with `next` and `reason=reauth`) and anything
 * else `401 {"status":"reauth","reason":"reauth","maxAge":…}`, which the browser client's `fetch` turns into a
 * sign-in in place and a retry.
 *
 * @example
 * ```ts
 * const error = new RecentSignInRequiredError(300, '/login?next=%2Fpassword&reason=reauth');
 * error.status; // 401
 * error.reason; // 'reauth'
 * ```
 */
export class RecentSignInRequiredError extends SessionSecurityRequestError {
  /** What the answer says: sign in again. */
  readonly reason = 'reauth';
  /** The most seconds since the sign-in that the request allowed. */
  readonly maxAge: number;
  /** Where a page load goes to sign in again, or undefined without `loginUrl`. */
  readonly location: string | undefined;
  /**
   * The headers to answer with (`X-Session-Security: reauth`, `Cache-Control: no-store`), which
   * Express's, Fastify's and Koa's default error handlers send.
   */
  readonly headers: Readonly<Record<string, string>> = REAUTH_HEADERS;

  constructor(maxAge: number, location: string | undefined) {
    super(401, `this needs a sign-in less than ${maxAge} s old: sign in again`);
    this.name = 'RecentSignInRequiredError';
    this.maxAge = maxAge;
    this.location = location;
  }
}

/**
 * A lease the library could not take (`security.hold`, or the browser's `hold`): the request has
 * no live sign-in (`no-sign-in`, 401), or its sign-in holds as many leases as it may
 * (`too-many`, 429). The work itself is the app's: a function is not called, a promise runs on
 * without a lease.
 *
 * @example
 * ```ts
 * const refused = new LeaseRefusedError('no-sign-in');
 * refused.status; // 401
 * ```
 */
export class LeaseRefusedError extends SessionSecurityRequestError {
  constructor(readonly reason: 'no-sign-in' | 'too-many') {
    super(
      reason === 'no-sign-in' ? 401 : 429,
      reason === 'no-sign-in'
        ? 'session-security: no lease without a live sign-in'
        : 'session-security: this sign-in holds as many leases as it may',
    );
    this.name = 'LeaseRefusedError';
  }
}

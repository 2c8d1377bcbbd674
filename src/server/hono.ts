// Hono 4 middleware over the fetch-style adapter (session-security/web): binds a Hono context
// and its session to the lifecycle and copies its outcomes onto the context's response. Holds no
// policy (ARCHITECTURE.md); hono-sessions' glue is in hono-sessions.ts.

import type { Context, MiddlewareHandler, Next } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import { SessionSecurityError } from '../core/errors.js';
import type { SessionSecurityOptions } from '../core/options.js';
import { type RequestState, type WebAdapterOptions, WebBinding } from '../web/binding.js';
import { bodyOf, throwAnswerable } from '../web/response.js';
import type { WebSession } from '../web/session.js';
import { honoSessions } from './hono-sessions.js';
import type { HoldOptions } from './lifecycle/leases.js';
import { appMethods, type SessionSecurityMethods } from './methods.js';

export {
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
} from '../core/errors.js';
export type { WebAdapterOptions } from '../web/binding.js';
export { errorResponse } from '../web/response.js';
export type { WebSession } from '../web/session.js';
export {
  guardSessionStore,
  type HonoSessionStore,
  type HonoSessionsCookie,
  honoSessions,
} from './hono-sessions.js';

import { isPromise } from './maybe.js';
import type { Outcome } from './outcome.js';

export type { SessionStoreGuardOptions as HonoSessionStoreGuardOptions } from './store-guard.js';

/**
 * Options of the Hono middleware: the options (docs/guide/options.md: Options) over Hono's `Context`, and the adapter's own.
 *
 * @example
 * ```ts
 * const options: HonoSessionSecurityOptions = {
 *   isAuthenticated: (c) => Boolean(c.get('session').get('user')),
 *   session: (c) => honoSessions(c, { cookieName: 'sid', path: '/app' }),
 * };
 * ```
 */
export interface HonoSessionSecurityOptions
  extends SessionSecurityOptions<Context>,
    WebAdapterOptions {
  /**
   * The request's session as a WebSession, or undefined when it names none. Default:
   * {@link honoSessions} (hono-sessions' `c.get('session')`); for a cookie with another name, a
   * prefix, a path or a domain, pass `(c) => honoSessions(c, { … })`.
   */
  session?: (c: Context) => WebSession | undefined;
}

/**
 * The Hono middleware, with what an app calls from its handlers. `start` and `signOut` throw
 * the library's errors with the `getResponse()` by which Hono's default error handler answers
 * them (503, 403, 429), as HTTPException.
 *
 * @example
 * ```ts
 * const security: HonoSessionSecurity = sessionSecurity({ isAuthenticated, userId, draftSecret });
 * app.use(security);
 * app.post('/logout', async (c) => {
 *   await security.signOut(c); // sets Clear-Site-Data on the answer
 *   return c.redirect('/login', 303);
 * });
 * ```
 */
export interface HonoSessionSecurity extends MiddlewareHandler, SessionSecurityMethods<Context> {
  /** Signs the user out for good, and sets `Clear-Site-Data` on the answer. */
  signOut(c: Context): Promise<void>;
}

/** The context variable under which the middleware keeps its per-request state (`c.set`). */
const STATE_VARIABLE = 'sessionSecurity';

/**
 * Server-enforced inactivity timeout for Hono 4, over a session middleware mounted before it
 * (hono-sessions with a server-side store by default; `session` adapts any other). Answers the
 * ping protocol under `prefix`, and refuses expired requests of the app (303 to `loginUrl`, 401,
 * 503).
 *
 * @param options - the options of docs/guide/options.md (`isAuthenticated(c)` required), `trustProxy` and `session`
 * @returns the middleware, with `start(c)`, `signOut(c)`, `signIns` and `clientTags(c)`
 * @throws SessionSecurityConfigError at construction for a bad option
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { MemoryStore, sessionMiddleware } from 'hono-sessions';
 * import { guardSessionStore, sessionSecurity } from 'session-security/hono';
 *
 * const app = new Hono();
 * app.use(sessionMiddleware({ store: guardSessionStore(new MemoryStore()), expireAfterSeconds: 3600 }));
 * const security = sessionSecurity({
 *   expireAfter: 900,
 *   loginUrl: '/login',
 *   isAuthenticated: (c) => typeof c.get('session').get('user') === 'string',
 *   userId: (c) => String(c.get('session').get('user') ?? ''),
 *   draftSecret: process.env.DRAFT_SECRET,
 * });
 * app.use(security);
 * ```
 */
export function sessionSecurity(options: HonoSessionSecurityOptions): HonoSessionSecurity {
  const { trustProxy, session = honoSessions, ...securityOptions } = options;
  if (typeof session !== 'function') {
    throw new SessionSecurityError(
      `session (${typeof session}) must be a function (c) => WebSession | undefined, or be left out for hono-sessions`,
    );
  }
  const binding = new WebBinding<Context>(securityOptions, { trustProxy });
  const { lifecycle } = binding;

  /** The state of this request, made once by the middleware and found again by the methods. */
  function stateOf(c: Context): RequestState<Context> {
    const known = c.get(STATE_VARIABLE) as RequestState<Context> | undefined;
    if (known !== undefined) return known;
    const state = binding.bind(c.req.raw, session(c), () => c);
    c.set(STATE_VARIABLE, state);
    return state;
  }

  // Not an async function: a request decided at once goes on to the app with no promise of ours.
  const middleware: MiddlewareHandler = function sessionSecurity(c, next) {
    const state = stateOf(c);
    try {
      const outcome = lifecycle.handle(state.facts, state.access);
      const answered: Promise<Response | undefined> = isPromise(outcome)
        ? outcome.then<Response | undefined>((known) => answer(known, c, state, next))
        : Promise.resolve(answer(outcome, c, state, next));
      return answered;
    } catch (error) {
      return Promise.reject(error);
    }
  };

  /** Goes on to the app, or answers the request itself. Made once, not per request. */
  function answer(
    outcome: Outcome,
    c: Context,
    { facts, access }: RequestState<Context>,
    next: Next,
  ): Promise<undefined> | Response {
    // hono-sessions saves after its own `await next()`, once this settles. passOn's promise
    // resolves with nothing: it is returned as it is, with no promise more.
    if (outcome.kind === 'next') {
      return lifecycle.passOn(facts, access, next) as Promise<unknown> as Promise<undefined>;
    }
    // Through the context, so headers set before (the session cookie) are kept.
    const init = { status: outcome.status as StatusCode, headers: outcome.headers };
    return c.newResponse(bodyOf(outcome), init);
  }

  const methods = appMethods(lifecycle, (c: Context) => {
    const { facts, access } = stateOf(c);
    return { req: c, facts, session: access };
  });
  return Object.assign(middleware, {
    start: (c: Context) => methods.start(c).catch(throwAnswerable),
    signIns: methods.signIns,
    signOut: async (c: Context) => {
      const headers = await methods.signOut(c).catch(throwAnswerable);
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
    },
    clientTags: methods.clientTags,
    // Answerable by Hono's default error handler, as a page load or a fetch of this request.
    requireRecentSignIn: (c: Context, maxAge: number) =>
      methods
        .requireRecentSignIn(c, maxAge)
        .catch((error: unknown) => throwAnswerable(error, c.req.raw)),
    // A refused lease answerable by Hono's default error handler; the work's own errors as they are.
    hold: <T>(c: Context, work: Promise<T> | (() => Promise<T>), options: HoldOptions) =>
      methods.hold(c, work, options).catch((error: unknown) => throwAnswerable(error, c.req.raw)),
  });
}

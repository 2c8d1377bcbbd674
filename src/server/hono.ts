// The Web-standard (Request/Response) adapter, and Hono middleware over it: translates fetch-style
// requests and a small WebSession for the lifecycle, and its outcomes back into Responses. Holds
// no policy; imports only types from hono, so an app without Hono (Next.js) can use the handler.

import type { Context, MiddlewareHandler } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import {
  SessionSecurityError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
} from '../core/errors.js';
import { resolveOptions, type SessionSecurityOptions } from '../core/options.js';
import { answers } from '../core/protocol.js';
import { isNavigation } from '../core/request.js';
import type { ClientTagsOptions } from './html.js';
import {
  type BodyRead,
  createLifecycle,
  type Lifecycle,
  type Outcome,
  type Reply,
  type RequestFacts,
  type SessionAccess,
  type SignInManagement,
} from './lifecycle.js';
import { JSON_CONTENT_TYPE } from './outcome.js';
import {
  guardMethods,
  type SessionStoreGuardOptions as HonoSessionStoreGuardOptions,
  storeGuard,
} from './store-guard.js';

export type { HonoSessionStoreGuardOptions };
export { SessionSecurityRequestError, SessionStoreUnavailableError };

/** Where session-security keeps its state in the session, as every adapter does. */
const STATE_KEY = 'sessionSecurity';
/** The cookie hono-sessions names its session with, unless told otherwise. */
const DEFAULT_SESSION_COOKIE_NAME = 'session';

/**
 * A session as session-security needs it, for runtimes without a standard session object (the
 * Fetch API: Hono, Next.js route handlers). Wrap your session library's object in one; for
 * hono-sessions, {@link honoSessions} does it.
 *
 * @example
 * ```ts
 * // A session kept in a Map of the app's own, loaded from its cookie by the app.
 * const webSession: WebSession = {
 *   id: () => sid,
 *   get: (key) => data.get(key),
 *   set: (key, value) => void data.set(key, value),
 *   delete: (key) => void data.delete(key),
 *   destroy: () => sessions.delete(sid), // and clear the cookie in the app's response
 *   regenerate: () => rotate(sid), // a fresh, empty session under a new id
 * };
 * ```
 */
export interface WebSession {
  /** The session's id, the one its cookie names; undefined while it has none. */
  id(): string | undefined;
  /** A value of the session; undefined when absent. */
  get(key: string): unknown;
  /** Sets a value; it must reach the session's store by the end of the request. */
  set(key: string, value: unknown): void | Promise<void>;
  /** Removes a value. */
  delete(key: string): void | Promise<void>;
  /**
   * Ends the session: removes it from its store and has the response clear its cookie (the
   * session library's own way). Afterwards `get` returns undefined and `set`/`delete` do nothing
   * that lasts: no session is left for the rest of the request.
   */
  destroy(): void | Promise<void>;
  /**
   * Replaces the session by a fresh, empty one under a new id (its cookie set in the response),
   * so the request can go on as anonymous. Used when an expired page load goes on to the app.
   */
  regenerate(): void | Promise<void>;
}

/**
 * What `isAuthenticated`, `logout` and passive predicates receive from {@link sessionSecurityHandler}.
 *
 * @example
 * ```ts
 * const isAuthenticated = ({ session }: WebRequestContext) => typeof session.get('user') === 'string';
 * ```
 */
export interface WebRequestContext {
  request: Request;
  /** The request's session; an empty one of this request only when the app passed none. */
  session: WebSession;
}

/**
 * How the app's origin and a missing session are told, for both the handler and the middleware.
 *
 * @example
 * ```ts
 * sessionSecurityHandler({ isAuthenticated, trustProxy: true, sessionCookieName: 'sid' });
 * ```
 */
export interface WebAdapterOptions {
  /**
   * Take the app's origin from `X-Forwarded-Proto` and `X-Forwarded-Host` (their first value)
   * instead of the request's URL. Only behind a reverse proxy that sets both and overwrites what
   * clients send: a client could otherwise name any origin. Default false.
   */
  trustProxy?: boolean;
  /**
   * The name of the session cookie as the browser sends it (with any `__Secure-` prefix). A
   * request that carries it but comes without a session (its store failed to load it) gets 503,
   * never an anonymous pass; so give a cookie that names no stored session a new, empty session,
   * not undefined. Default `'session'` (hono-sessions).
   */
  sessionCookieName?: string;
}

/**
 * Options of {@link sessionSecurityHandler}: the options (README: Options), over a {@link WebRequestContext}, and the adapter's own.
 *
 * @example
 * ```ts
 * const options: SessionSecurityHandlerOptions = {
 *   expireAfter: 900,
 *   isAuthenticated: ({ session }) => Boolean(session.get('user')),
 *   sessionCookieName: 'sid',
 * };
 * ```
 */
export type SessionSecurityHandlerOptions = SessionSecurityOptions<WebRequestContext> &
  WebAdapterOptions;

/**
 * The Web-standard handler: the library's routes, the policy for other requests, and what an app calls.
 *
 * @example
 * ```ts
 * const security: SessionSecurityHandler = sessionSecurityHandler({ isAuthenticated });
 * const refused = await security.check(request, session);
 * ```
 */
export interface SessionSecurityHandler {
  /**
   * Answers the library's own routes (`{prefix}/ping`, `{prefix}/logout`, the client's assets);
   * undefined for any other request, untouched. Pass `undefined` as the session when the
   * request has none (see {@link WebAdapterOptions.sessionCookieName}).
   *
   * @example
   * ```ts
   * // app/session-security/[...route]/route.ts
   * export const GET = async (request: Request) =>
   *   (await security.handle(request, await loadSession(request))) ?? new Response(null, { status: 404 });
   * ```
   */
  handle(request: Request, session: WebSession | undefined): Promise<Response | undefined>;
  /**
   * Applies the policy to one of the app's requests (and answers the library's routes as
   * `handle` does): undefined to go on, or the Response to send instead (303 to the login page
   * with `next`, 401 JSON, 503). Call it once per request, before the app reads the session.
   *
   * @example
   * ```ts
   * const refused = await security.check(request, session);
   * if (refused) return refused;
   * ```
   */
  check(request: Request, session: WebSession | undefined): Promise<Response | undefined>;
  /**
   * Starts a fresh inactivity clock at sign-in (required with an external store such as Redis;
   * optional with the default when the session is regenerated at sign-in).
   *
   * @example
   * ```ts
   * await session.regenerate();
   * await session.set('user', user);
   * await security.start(request, session);
   * ```
   */
  start(request: Request, session: WebSession): Promise<void>;
  /**
   * Signs the user out for good: ends the session (`logout`, or `session.destroy()`), remembers
   * the sign-in as ended so that no request in flight can save it back. Resolves with the
   * headers to add to the app's answer (`Clear-Site-Data`). A request another origin made is
   * refused: it rejects with a `SessionSecurityRequestError` (status 403; see {@link errorResponse}).
   *
   * @example
   * ```ts
   * const headers = await security.signOut(request, session);
   * headers.set('location', '/login');
   * return new Response(null, { status: 303, headers });
   * ```
   */
  signOut(request: Request, session: WebSession | undefined): Promise<Headers>;
  /**
   * The signed-in user's sign-ins: list them, end one or all ("sign out everywhere"), end every
   * sign-in of a user or of everyone. Needs the `userId` option. Ask for the password again
   * before ending sessions (ASVS V7.5.2).
   *
   * @example
   * ```ts
   * const mine = await security.signIns.list({ request, session }); // [{ signIn, startedAt, lastActiveAt, device, current }]
   * await security.signIns.endAll({ request, session }, { keepCurrent: true });
   * ```
   */
  signIns: SignInManagement<{ request: Request; session: WebSession | undefined }>;
  /**
   * The browser client's tags for a page of a signed-in session; `''` for anonymous requests.
   * Call it after `check` for the same `Request`.
   *
   * @example
   * ```ts
   * const head = security.clientTags(request, session, { lang: 'en' });
   * ```
   */
  clientTags(
    request: Request,
    session: WebSession | undefined,
    options?: ClientTagsOptions,
  ): string;
}

/**
 * Server-enforced inactivity timeout for Web-standard `Request`/`Response` handlers (Next.js
 * route handlers and middleware on the Node.js runtime, any fetch-style server), over a
 * {@link WebSession} the app loads. Node.js runtimes are the scope. An edge runtime would be
 * supported only if this module needed no `node:` import, and it needs three: the lifecycle
 * imports `node:util` (debuglog) and the asset server `node:crypto` and `node:fs`; in Next.js,
 * set `runtime = 'nodejs'` for the route handlers and the middleware that use it.
 *
 * @param options - the options of the README's Options (`isAuthenticated` required) and {@link WebAdapterOptions}
 * @returns `handle`, `check`, `start`, `signOut` and `clientTags`
 * @throws SessionSecurityConfigError at construction for a bad option
 * @example
 * ```ts
 * import { sessionSecurityHandler } from 'session-security/hono';
 *
 * export const security = sessionSecurityHandler({
 *   expireAfter: 900,
 *   loginUrl: '/login',
 *   isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
 * });
 * ```
 */
export function sessionSecurityHandler(
  options: SessionSecurityHandlerOptions,
): SessionSecurityHandler {
  const { trustProxy, sessionCookieName, ...securityOptions } = options;
  const adapter = webAdapter<WebRequestContext>(securityOptions, { trustProxy, sessionCookieName });
  const { lifecycle, prefix } = adapter;
  /** One context per Request, so that `check` and then `clientTags` see the same request step. */
  const contexts = new WeakMap<Request, RequestState<WebRequestContext>>();

  function stateOf(request: Request, session: WebSession | undefined) {
    const known = contexts.get(request);
    if (known && known.given === session) return known;
    const state = adapter.bind(request, session, (webSession) => ({
      request,
      session: webSession,
    }));
    contexts.set(request, state);
    return state;
  }

  async function check(request: Request, session: WebSession | undefined) {
    const state = stateOf(request, session);
    return toResponse(await lifecycle.handle(state.facts, state.access));
  }

  return {
    handle: (request, session) =>
      isUnder(prefix, pathOf(request)) ? check(request, session) : Promise.resolve(undefined),
    check,
    start: (request, session) => {
      const state = stateOf(request, session);
      return lifecycle.start(state.facts, state.access);
    },
    signIns: lifecycle.signIns(
      ({ request, session }: { request: Request; session: WebSession | undefined }) => {
        const state = stateOf(request, session);
        return { req: state.req, session: state.access, facts: state.facts };
      },
    ),
    signOut: async (request, session) => {
      const state = stateOf(request, session);
      return new Headers(await lifecycle.signOut(state.facts, state.access));
    },
    clientTags: (request, session, tagOptions) => {
      const state = stateOf(request, session);
      return adapter.clientTags(state, tagOptions);
    },
  };
}

/**
 * Options of the Hono middleware: the options (README: Options) over Hono's `Context`, and the adapter's own.
 *
 * @example
 * ```ts
 * const options: HonoSessionSecurityOptions = {
 *   isAuthenticated: (c) => Boolean(c.get('session').get('user')),
 *   session: (c) => honoSessions(c, { cookieName: 'sid', path: '/app' }),
 *   sessionCookieName: 'sid',
 * };
 * ```
 */
export interface HonoSessionSecurityOptions
  extends SessionSecurityOptions<Context>,
    WebAdapterOptions {
  /**
   * The request's session as a {@link WebSession}, or undefined when there is none. Default:
   * {@link honoSessions} (hono-sessions' `c.get('session')`, its cookie named `sessionCookieName`);
   * for a cookie with a prefix, a path or a domain, pass `(c) => honoSessions(c, { … })`.
   */
  session?: (c: Context) => WebSession | undefined;
}

/**
 * The Hono middleware, with what an app calls from its handlers.
 *
 * @example
 * ```ts
 * const security: HonoSessionSecurity = sessionSecurity({ isAuthenticated });
 * app.use(security);
 * ```
 */
export interface HonoSessionSecurity extends MiddlewareHandler {
  /**
   * Starts a fresh inactivity clock at sign-in (required with an external store such as Redis).
   *
   * @example
   * ```ts
   * app.post('/login', async (c) => {
   *   c.set('session_key_rotation', true); // hono-sessions: a new session id
   *   c.get('session').set('user', 'ada');
   *   await security.start(c);
   *   return c.redirect('/', 303);
   * });
   * ```
   */
  start(c: Context): Promise<void>;
  /**
   * Signs the user out for good (see the handler's `signOut`) and sets `Clear-Site-Data` on the
   * answer. A request another origin made rejects with a `SessionSecurityRequestError` that
   * Hono's default error handler answers 403 (it carries `getResponse()`, like HTTPException).
   *
   * @example
   * ```ts
   * app.post('/logout', async (c) => {
   *   await security.signOut(c);
   *   return c.redirect('/login', 303);
   * });
   * ```
   */
  signOut(c: Context): Promise<void>;
  /**
   * The signed-in user's sign-ins: list them, end one or all ("sign out everywhere"), end every
   * sign-in of a user or of everyone. Needs the `userId` option. Ask for the password again
   * before ending sessions (ASVS V7.5.2).
   *
   * @example
   * ```ts
   * const mine = await security.signIns.list(c); // [{ signIn, startedAt, lastActiveAt, device, current }]
   * await security.signIns.endAll(c, { keepCurrent: true });
   * ```
   */
  signIns: SignInManagement<Context>;
  /**
   * The browser client's tags for a page of a signed-in session; `''` for anonymous requests.
   *
   * @example
   * ```ts
   * app.get('/', (c) => c.html(`<head>${security.clientTags(c, { lang: 'en' })}</head>…`));
   * ```
   */
  clientTags(c: Context, options?: ClientTagsOptions): string;
}

/** The context variable under which the middleware keeps its per-request state (`c.set`). */
const HONO_STATE_VARIABLE = 'sessionSecurity';

/**
 * Server-enforced inactivity timeout for Hono 4, over a session middleware mounted before it
 * (hono-sessions with a server-side store by default; `session` adapts any other). Answers the
 * ping protocol under `prefix`, and refuses expired requests of the app (303 to `loginUrl`, 401,
 * 503). Node.js runtimes only (see {@link sessionSecurityHandler}).
 *
 * @param options - the options of the README's Options (`isAuthenticated(c)` required), {@link WebAdapterOptions} and `session`
 * @returns the middleware, with `start(c)`, `signOut(c)` and `clientTags(c)`
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
 * });
 * app.use(security);
 * ```
 */
export function sessionSecurity(options: HonoSessionSecurityOptions): HonoSessionSecurity {
  const { trustProxy, sessionCookieName, session, ...securityOptions } = options;
  const cookieName = sessionCookieName ?? DEFAULT_SESSION_COOKIE_NAME;
  const sessionOf = session ?? ((c: Context) => honoSessions(c, { cookieName }));
  if (typeof sessionOf !== 'function') {
    throw new SessionSecurityError(
      `session (${typeof session}) must be a function (c) => WebSession | undefined, or be left out for hono-sessions`,
    );
  }
  const adapter = webAdapter<Context>(securityOptions, { trustProxy, sessionCookieName });
  const { lifecycle } = adapter;

  /** The state of this request, made once by the middleware and found again by the methods. */
  function stateOf(c: Context): RequestState<Context> {
    const known = c.get(HONO_STATE_VARIABLE) as RequestState<Context> | undefined;
    if (known !== undefined) return known;
    const state = adapter.bind(c.req.raw, sessionOf(c), () => c);
    c.set(HONO_STATE_VARIABLE, state);
    return state;
  }

  const middleware: MiddlewareHandler = async function sessionSecurity(c, next) {
    const state = stateOf(c);
    const outcome = await lifecycle.handle(state.facts, state.access);
    if (outcome.kind === 'next') {
      if (!lifecycle.settles(state.access)) return next();
      await next();
      // hono-sessions saves after its own `await next()`, once this returns.
      await lifecycle.settle(state.facts, state.access);
      return;
    }
    // Through the context, so headers set before (the session cookie) are kept.
    return c.newResponse(bodyOf(outcome), {
      status: outcome.status as StatusCode,
      headers: outcome.headers,
    });
  };

  return Object.assign(middleware, {
    start: async (c: Context) => {
      try {
        await lifecycle.start(stateOf(c).facts, stateOf(c).access);
      } catch (error) {
        // Hono's default error handler answers an error that carries its response: 503, 429.
        const ours =
          error instanceof SessionSecurityRequestError ||
          error instanceof SessionStoreUnavailableError;
        throw ours ? answerable(error) : error;
      }
    },
    signIns: lifecycle.signIns((c: Context) => {
      const state = stateOf(c);
      return { req: c, session: state.access, facts: state.facts };
    }),
    signOut: async (c: Context) => {
      const state = stateOf(c);
      let headers: Readonly<Record<string, string>>;
      try {
        headers = await lifecycle.signOut(state.facts, state.access);
      } catch (error) {
        const ours =
          error instanceof SessionSecurityRequestError ||
          error instanceof SessionStoreUnavailableError;
        throw ours ? answerable(error) : error;
      }
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
    },
    clientTags: (c: Context, tagOptions?: ClientTagsOptions) =>
      adapter.clientTags(stateOf(c), tagOptions),
  });
}

/** The parts of hono-sessions' `Session` this adapter uses (hono-sessions 0.8). */
interface HonoSessionsSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  forget(key: string): void;
  deleteSession(): void;
  getCache(): { _id?: string; _data: Record<string, unknown> };
}

/**
 * How {@link honoSessions} finds and clears the session cookie: as given to hono-sessions' `sessionMiddleware`.
 *
 * @example
 * ```ts
 * const cookie: HonoSessionsCookie = { cookieName: 'sid', path: '/', prefix: 'host' };
 * ```
 */
export interface HonoSessionsCookie {
  /** hono-sessions' `sessionCookieName`, without its prefix. Default `'session'`. */
  cookieName?: string;
  /** The `path`, `domain` and `prefix` of hono-sessions' `cookieOptions`. */
  path?: string;
  domain?: string;
  prefix?: 'secure' | 'host';
}

/**
 * Adapts hono-sessions 0.8 (`c.get('session')`) to a {@link WebSession}; undefined when no
 * session middleware ran. Use it as a model for another Hono session middleware. Limits, from
 * hono-sessions itself: `destroy()` only marks the session, which hono-sessions deletes from its
 * store at the end of the request (hono-sessions never clears the cookie: this adapter adds the
 * `Set-Cookie` that does); `regenerate()` empties the session and asks for a new id
 * (`session_key_rotation`), which hono-sessions gives it at the end of the request, so `id()`
 * names the old one until then. hono-sessions also creates and stores a session, and sets its
 * cookie, for every request that comes without one (it has no `saveUninitialized: false`), so
 * anonymous requests get a cookie whatever session-security does. Use a server-side store: with
 * `CookieStore` there is no session to delete on the server, and a copy of the cookie stays valid
 * wherever the sign-out is not remembered (README, "Sign-out and expiry are final").
 *
 * @param c - the request's context, after hono-sessions' `sessionMiddleware`
 * @param cookie - the session cookie's name, path, domain and prefix, as given to hono-sessions
 * @example
 * ```ts
 * sessionSecurity({ isAuthenticated, session: (c) => honoSessions(c, { cookieName: 'sid' }), sessionCookieName: 'sid' });
 * ```
 */
export function honoSessions(c: Context, cookie: HonoSessionsCookie = {}): WebSession | undefined {
  const session = c.get('session') as HonoSessionsSession | undefined;
  if (session === undefined || session === null) return undefined;
  let destroyed = false;
  const forgetAll = () => {
    for (const key of Object.keys(session.getCache()._data)) session.forget(key);
  };
  return {
    id: () => session.getCache()._id,
    get: (key) => (destroyed ? undefined : (session.get(key) ?? undefined)),
    set: (key, value) => {
      if (!destroyed) session.set(key, value);
    },
    delete: (key) => session.forget(key),
    destroy: () => {
      destroyed = true;
      forgetAll();
      session.deleteSession();
      c.header('set-cookie', expiredCookie(cookie), { append: true });
    },
    regenerate: () => {
      forgetAll();
      c.set('session_key_rotation', true);
    },
  };
}

/** A `Set-Cookie` value that makes the browser drop the session cookie. */
function expiredCookie({ cookieName, path, domain, prefix }: HonoSessionsCookie): string {
  const base = cookieName ?? DEFAULT_SESSION_COOKIE_NAME;
  const name =
    prefix === 'secure' ? `__Secure-${base}` : prefix === 'host' ? `__Host-${base}` : base;
  const attributes = [
    `${name}=`,
    'Max-Age=0',
    'Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    `Path=${prefix === 'host' ? '/' : (path ?? '/')}`,
  ];
  if (domain !== undefined && prefix !== 'host') attributes.push(`Domain=${domain}`);
  if (prefix !== undefined) attributes.push('Secure');
  return attributes.join('; ');
}

/**
 * The store interface of hono-sessions 0.8 (`Store`): what {@link guardSessionStore} wraps.
 *
 * @example
 * ```ts
 * const store: HonoSessionStore = new MemoryStore();
 * ```
 */
export interface HonoSessionStore {
  getSessionById(sessionId?: string): unknown;
  createSession(sessionId: string, initialData: never): unknown;
  persistSessionData(sessionId: string, sessionData: never): unknown;
  deleteSession(sessionId: string): unknown;
}

const STORE_VERBS = {
  getSessionById: 'read',
  createSession: 'create',
  persistSessionData: 'save',
  deleteSession: 'destroy',
} as const;

/**
 * Makes a hono-sessions store fail fast and answerably: an operation that fails or takes longer
 * than `timeout` throws a `SessionStoreUnavailableError` that Hono's default error handler
 * answers 503 (it carries `getResponse()`; with your own `onError`, use {@link errorResponse}).
 * hono-sessions takes a failed read for a missing session and makes a new one, whose cookie
 * would replace the user's: right after a failed read, the guard fails the creation too, so the
 * request gets 503 and the user stays signed in. Changes the store in place and returns it.
 *
 * @example
 * ```ts
 * app.use(sessionMiddleware({ store: guardSessionStore(new MyRedisStore(client), { timeout: 1000 }) }));
 * ```
 */
export function guardSessionStore<S extends HonoSessionStore>(
  store: S,
  options: HonoSessionStoreGuardOptions = {},
): S {
  const guard = storeGuard(options);
  /**
   * Set when a read fails, until the next turn of the event loop: hono-sessions creates the new
   * session in the same turn (only awaits in between), which must then fail too.
   */
  let readJustFailed = false;
  return guardMethods(store, STORE_VERBS, (method, verb, name) => {
    const guarded = guard.promiseStyle(verb, (...args) =>
      name === 'createSession' && readJustFailed
        ? Promise.reject(new Error("the session store failed to read this request's session"))
        : method(...args),
    );
    return async function answerableStoreCall(...args) {
      try {
        return await guarded(...args);
      } catch (error) {
        if (name === 'getSessionById') {
          readJustFailed = true;
          setTimeout(() => {
            readJustFailed = false;
          }, 0);
        }
        throw error instanceof SessionStoreUnavailableError ? answerable(error) : error;
      }
    };
  });
}

/**
 * The answer to an error of session-security, for a fetch handler's or Hono's `onError`: 503 for
 * a `SessionStoreUnavailableError` (JSON, or a short plain page for a page load, with
 * `Retry-After: 5`), the error's status for a `SessionSecurityRequestError` (403 from `signOut`);
 * undefined for any other error.
 *
 * @example
 * ```ts
 * app.onError((error, c) => errorResponse(error, c.req.raw) ?? c.text('Internal Server Error', 500));
 * ```
 */
export function errorResponse(error: unknown, request?: Request): Response | undefined {
  if (error instanceof SessionStoreUnavailableError) {
    const unavailable = answers.unavailable();
    const headers = new Headers({ ...unavailable.headers, ...error.headers });
    if (request !== undefined && isNavigation(headerGetter(request.headers))) {
      headers.set('content-type', 'text/plain; charset=utf-8');
      return new Response('The service is unavailable for a moment. Please try again.', {
        status: unavailable.status,
        headers,
      });
    }
    return jsonResponse(unavailable.status, unavailable.body, headers);
  }
  if (error instanceof SessionSecurityRequestError) {
    return jsonResponse(
      error.status,
      { status: 'error', error: error.message },
      new Headers({ 'cache-control': 'no-store' }),
    );
  }
  return undefined;
}

/** Gives an error the `getResponse()` by which Hono's default error handler answers it (as HTTPException). */
function answerable<E extends Error>(error: E): E {
  return Object.assign(error, { getResponse: () => errorResponse(error) });
}

/** One request as an adapter keeps it: the framework's request, its facts and its session. */
interface RequestState<Req> {
  req: Req;
  facts: RequestFacts<Req>;
  access: WebSessionAccess<Req>;
  /** The session the app passed, to tell a later call with another one. */
  given: WebSession | undefined;
}

/** What the handler and the middleware share: the lifecycle, and how a request is bound to it. */
function webAdapter<Req extends object>(
  options: SessionSecurityOptions<Req>,
  { trustProxy = false, sessionCookieName = DEFAULT_SESSION_COOKIE_NAME }: WebAdapterOptions,
) {
  if (typeof sessionCookieName !== 'string' || sessionCookieName === '') {
    throw new SessionSecurityError(
      `sessionCookieName (${String(sessionCookieName)}) must be the name of the session cookie, e.g. 'session'`,
    );
  }
  const resolved = resolveOptions(options);
  const lifecycle: Lifecycle<Req> = createLifecycle(resolved);

  function bind(
    request: Request,
    given: WebSession | undefined,
    reqFor: (session: WebSession) => Req,
  ): RequestState<Req> {
    // Without a session, a request carrying the session cookie lost it to a store failure (503);
    // one without the cookie is anonymous, with an empty session of its own.
    const missing = given === undefined && hasCookie(request, sessionCookieName);
    const session = given ?? emptySession();
    const req = reqFor(session);
    return {
      req,
      facts: new WebFacts(req, request, trustProxy),
      access: new WebSessionAccess(req, session, missing, resolved.logout),
      given,
    };
  }

  function clientTags(state: RequestState<Req>, tagOptions?: ClientTagsOptions): string {
    return lifecycle.clientTags(state.req, state.access, tagOptions);
  }

  return { lifecycle, prefix: resolved.prefix, bind, clientTags };
}

/** The session of one request as the lifecycle sees it; made for every request, so a class. */
class WebSessionAccess<Req> implements SessionAccess {
  #ended = false;
  constructor(
    private readonly req: Req,
    private readonly session: WebSession,
    private readonly missing: boolean,
    private readonly logout: ((req: Req) => void | Promise<void>) | undefined,
  ) {}
  exists(): boolean {
    return !this.missing && !this.#ended;
  }
  id(): string | undefined {
    return this.session.id();
  }
  read(): unknown {
    return this.session.get(STATE_KEY);
  }
  write(value: unknown): void | Promise<void> {
    return this.session.set(STATE_KEY, value);
  }
  clear(): void | Promise<void> {
    return this.session.delete(STATE_KEY);
  }
  async end(keepSession: boolean): Promise<void> {
    if (this.logout) await this.logout(this.req);
    else await (keepSession ? this.session.regenerate() : this.session.destroy());
    // Whatever the hook did, no clock survives it: a later sign-in starts afresh.
    await this.session.delete(STATE_KEY);
    if (!keepSession && !this.logout) this.#ended = true;
  }
}

/** A session for a request that came without one: anonymous, and kept nowhere. */
function emptySession(): WebSession {
  const values = new Map<string, unknown>();
  return {
    id: () => undefined,
    get: (key) => values.get(key),
    set: (key, value) => {
      values.set(key, value);
    },
    delete: (key) => {
      values.delete(key);
    },
    destroy: () => values.clear(),
    regenerate: () => values.clear(),
  };
}

/** What the lifecycle needs to know of a request; made for every request, so a class. */
class WebFacts<Req> implements RequestFacts<Req> {
  readonly method: string;
  readonly path: string;
  readonly url: string;
  readonly header: (name: string) => string | undefined;
  #origin: string | undefined;
  constructor(
    readonly req: Req,
    private readonly request: Request,
    private readonly trustProxy: boolean,
  ) {
    const url = new URL(request.url);
    this.method = request.method;
    this.path = url.pathname;
    this.url = `${url.pathname}${url.search}`;
    this.header = headerGetter(request.headers);
  }
  get appOrigin(): string {
    this.#origin ??= appOrigin(this.request, this.trustProxy);
    return this.#origin;
  }
  readBody(limitBytes: number): Promise<BodyRead> {
    return readBody(this.request, limitBytes);
  }
}

function headerGetter(headers: Headers): (name: string) => string | undefined {
  return (name) => headers.get(name) ?? undefined;
}

/** The app's origin: the request's URL, or the proxy's `X-Forwarded-*` when it is trusted. */
function appOrigin(request: Request, trustProxy: boolean): string {
  try {
    const url = new URL(request.url);
    if (!trustProxy) return url.origin;
    const first = (name: string) => request.headers.get(name)?.split(',')[0]?.trim() || undefined;
    const proto = first('x-forwarded-proto') ?? url.protocol.slice(0, -1);
    return new URL(`${proto}://${first('x-forwarded-host') ?? url.host}`).origin;
  } catch {
    return ''; // no usable host: no Origin can match it
  }
}

/**
 * Reads the body stream up to a limit: stops reading past it (the rest is never buffered), and
 * reports a stream that fails (the client hung up) as cut off.
 */
async function readBody(request: Request, limitBytes: number): Promise<BodyRead> {
  const declared = request.headers.get('content-length');
  if (Number(declared ?? 0) > limitBytes) return { kind: 'tooLarge' };
  // Already read by someone else: what was sent can no longer be checked.
  if (request.bodyUsed) return { kind: 'aborted' };
  // A declared length within the limit bounds the body (the HTTP parser holds the client to it):
  // text() reads it whole, which @hono/node-server does straight from Node's request, without
  // making the web stream that a reader needs (with it, the ping cost 583 us of CPU, not 172).
  if (declared !== null && /^\d+$/.test(declared)) {
    try {
      return { kind: 'text', text: await request.text() };
    } catch {
      return { kind: 'aborted' };
    }
  }
  if (request.body === null) return { kind: 'text', text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limitBytes) {
        // Released, not cancelled: a Node server drains the rest and can still answer.
        reader.releaseLock();
        return { kind: 'tooLarge' };
      }
      chunks.push(value);
    }
  } catch {
    return { kind: 'aborted' };
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { kind: 'text', text: new TextDecoder().decode(bytes) };
}

/** Whether the request carries the named cookie. */
function hasCookie(request: Request, name: string): boolean {
  const header = request.headers.get('cookie');
  if (header === null) return false;
  return header.split(';').some((pair) => pair.split('=')[0]?.trim() === name);
}

function pathOf(request: Request): string {
  return new URL(request.url).pathname;
}

function isUnder(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

function jsonResponse(status: number, body: unknown, headers: Headers): Response {
  headers.set('content-type', JSON_CONTENT_TYPE);
  return new Response(JSON.stringify(body), { status, headers });
}

/**
 * A reply's body as a Response takes it. A string stays a string: @hono/node-server writes it in
 * one go, where a body read back as a stream costs a web stream per answer.
 */
function bodyOf(reply: Reply): string | Uint8Array<ArrayBuffer> | null {
  return typeof reply.body === 'string' || reply.body === null ? reply.body : bytesOf(reply.body);
}

/** The lifecycle's outcome as a Response; undefined when the request goes on to the app. */
function toResponse(outcome: Outcome): Response | undefined {
  if (outcome.kind === 'next') return undefined;
  return new Response(bodyOf(outcome), { status: outcome.status, headers: outcome.headers });
}

/** The bytes of a Buffer as a plain Uint8Array over the same memory (no copy). */
function bytesOf(buffer: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength);
}

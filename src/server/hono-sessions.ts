// Glue for hono-sessions 0.8: its session as a WebSession, the cookie of an ended session
// cleared (hono-sessions never clears it), and the guard of its store (a failed or slow store
// answers 503, and a session that could not be read is told from one the store no longer has).
// No policy of session-security.

import type { Context } from 'hono';
import { SessionStoreUnavailableError } from '../core/errors.js';
import { answerable } from '../web/response.js';
import type { WebSession } from '../web/session.js';
import { guardMethods, type SessionStoreGuardOptions, storeGuard } from './store-guard.js';

/** The cookie hono-sessions names its session with, unless told otherwise. */
export const DEFAULT_SESSION_COOKIE_NAME = 'session';

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
 * The mark {@link guardSessionStore} puts on the session data it hands hono-sessions in place of
 * a session it could not read: this request's own, so no other request is affected.
 */
const UNREAD = Symbol('session-security: the store could not read this session');

type MaybeUnread = { [UNREAD]?: true } | null | undefined;

const isUnread = (data: unknown) => (data as MaybeUnread)?.[UNREAD] === true;

/**
 * Adapts hono-sessions 0.8 (`c.get('session')`) to a WebSession; undefined when no session
 * middleware ran. Use it as a model for another Hono session middleware. Limits, from
 * hono-sessions itself: `destroy()` only marks the session, which hono-sessions deletes from its
 * store at the end of the request (hono-sessions never clears the cookie: this adapter adds the
 * `Set-Cookie` that does); `regenerate()` empties the session and asks for a new id
 * (`session_key_rotation`), which hono-sessions gives it at the end of the request, so `id()`
 * names the old one until then. hono-sessions also creates and stores a session, and sets its
 * cookie, for every request that comes without one (it has no `saveUninitialized: false`), so
 * anonymous requests get a cookie whatever session-security does. Use a server-side store: with
 * `CookieStore` there is no session to delete on the server, and a copy of the cookie stays valid
 * wherever the sign-out is not remembered (docs/guide/behaviour.md, "Sign-out and expiry are final").
 *
 * @param c - the request's context, after hono-sessions' `sessionMiddleware`
 * @param cookie - the session cookie's name, path, domain and prefix, as given to hono-sessions
 * @example
 * ```ts
 * sessionSecurity({ isAuthenticated, userId, draftSecret, session: (c) => honoSessions(c, { cookieName: 'sid' }) });
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
    unavailable: isUnread(session.getCache()),
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
 * answers 503 (it carries `getResponse()`; with your own `onError`, use `errorResponse`).
 * hono-sessions takes a failed read for a missing session and would make a new one, whose
 * cookie would replace the user's: instead the guard hands it an empty session marked as
 * unread, under the same id, which the middleware answers 503 and which is never saved (a
 * save or a new id for it fails with 503), so the user stays signed in. Changes the store in
 * place and returns it.
 *
 * @example
 * ```ts
 * // `store`: your hono-sessions store (a server-side one: Redis, SQL…)
 * app.use(sessionMiddleware({ store: guardSessionStore(store, { timeout: 1000 }) }));
 * ```
 */
export function guardSessionStore<S extends HonoSessionStore>(
  store: S,
  options: SessionStoreGuardOptions = {},
): S {
  const guard = storeGuard(options);
  return guardMethods(store, STORE_VERBS, (method, verb, name) => {
    const guarded = guard.promiseStyle(verb, method);
    return async function answerableStoreCall(...args) {
      if (name !== 'deleteSession' && isUnread(args[1])) {
        // The session this request could not read: writing it would replace the stored one.
        throw answerable(new SessionStoreUnavailableError(verb, 'its read had failed'));
      }
      try {
        return await guarded(...args);
      } catch (error) {
        if (name === 'getSessionById' && error instanceof SessionStoreUnavailableError) {
          return { _data: {}, _expire: null, _delete: false, _accessed: null, [UNREAD]: true };
        }
        throw error instanceof SessionStoreUnavailableError ? answerable(error) : error;
      }
    };
  });
}

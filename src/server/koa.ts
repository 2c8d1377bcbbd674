// The Koa adapter: translates Koa + koa-session requests for the lifecycle and its outcomes back
// into responses, and guards koa-session's external store. Holds no policy.

import type { Context, Next } from 'koa';
import { SessionStoreUnavailableError } from '../core/errors.js';
import { resolveOptions, type SessionSecurityOptions } from '../core/options.js';
import { bodyParsedEarlier, readNodeBody } from './body.js';
import {
  type BodyRead,
  createLifecycle,
  type RequestFacts,
  type SessionAccess,
} from './lifecycle.js';
import { appMethods, type SessionSecurityMethods } from './methods.js';
import { NodeFacts, type NodeRequestSource, originOf } from './node-facts.js';
import { guardMethods, type SessionStoreGuardOptions, storeGuard } from './store-guard.js';

export { type SessionStoreGuardOptions, SessionStoreUnavailableError };

/**
 * The middleware, with what an app calls at sign-in, in its pages and at sign-out.
 *
 * @example
 * ```ts
 * const security: KoaSessionSecurity = sessionSecurity({ isAuthenticated: (ctx) => Boolean(ctx.session?.user) });
 * app.use(security);
 * ```
 */
export interface KoaSessionSecurity extends SessionSecurityMethods<Context> {
  /**
   * The middleware itself: mount it right after koa-session, before your routes and body parsers.
   *
   * @example
   * ```ts
   * app.use(session({ store, key: 'sid' }, app));
   * app.use(security);
   * ```
   */
  (ctx: Context, next: Next): Promise<void>;
  /**
   * Signs the user out for good, from the app's own sign-out route: ends the session (the `logout`
   * hook, or `ctx.session = null`: koa-session then destroys it and clears its cookie), remembers
   * the sign-in as ended so that no request still in flight can save it back, and sends
   * `Clear-Site-Data` (`clearSiteData`). A request that another origin made is refused: it
   * rejects with a `SessionSecurityRequestError` whose `status` is 403, which Koa answers.
   *
   * @example
   * ```ts
   * app.use(async (ctx, next) => {
   *   if (ctx.method !== 'POST' || ctx.path !== '/logout') return next();
   *   await security.signOut(ctx);
   *   ctx.status = 303;
   *   ctx.redirect('/login');
   * });
   * ```
   */
  signOut(ctx: Context): Promise<void>;
}

/** What the adapter uses of a koa-session 7 session (`ctx.session`). */
interface KoaSession {
  [key: string]: unknown;
  /** The key of the session in an external store (koa-session's session id); undefined for cookie sessions. */
  readonly externalKey?: string | undefined;
  /** True when koa-session made this session rather than loading it. */
  isNew?: boolean;
  toJSON(): Record<string, unknown>;
  regenerate(): Promise<void> | undefined;
}

/** The koa-session properties of a context, which @types/koa does not declare. */
interface KoaSessionContext {
  session?: KoaSession | null;
  sessionOptions?: { key?: string; signed?: boolean; store?: unknown };
}

const sessionContext = (ctx: Context) => ctx as unknown as KoaSessionContext;

/**
 * Server-enforced inactivity timeout for Koa 3 with koa-session 7, and the ping protocol under
 * `prefix`. The state lives in `ctx.session.sessionSecurity`. Give koa-session an external
 * `store` (wrapped in {@link guardSessionStore}): its key is the session id that ended sign-ins
 * are remembered by; a session held whole in the cookie has the limits the README describes.
 *
 * @param options - the options of the README's Options; `isAuthenticated(ctx)` is required
 * @returns the middleware, with `start`, `clientTags` and `signOut`
 * @throws SessionSecurityConfigError at construction for a bad option
 * @example
 * ```ts
 * import Koa from 'koa';
 * import session from 'koa-session';
 * import { guardSessionStore, sessionSecurity } from 'session-security/koa';
 *
 * const app = new Koa();
 * app.keys = [process.env.SESSION_SECRET!];
 * app.use(session({ store: guardSessionStore(myStore) }, app));
 * const security = sessionSecurity({ expireAfter: 900, loginUrl: '/login', isAuthenticated: (ctx) => Boolean(ctx.session?.user) });
 * app.use(security);
 * ```
 */
export function sessionSecurity(options: SessionSecurityOptions<Context>): KoaSessionSecurity {
  const resolved = resolveOptions(options);
  const lifecycle = createLifecycle(resolved);

  const access = (ctx: Context): SessionAccess => new KoaSessionAccess(ctx, resolved.logout);

  const middleware = async function sessionSecurity(ctx: Context, next: Next): Promise<void> {
    const session = access(ctx);
    const requestFacts = koaFacts(ctx);
    const outcome = await lifecycle.handle(requestFacts, session);
    if (outcome.kind === 'next') {
      if (!lifecycle.settles(session)) return next();
      await next();
      // koa-session commits after its own `await next()`, once this returns.
      await lifecycle.settle(requestFacts, session);
      return;
    }
    ctx.status = outcome.status;
    ctx.set(outcome.headers);
    if (outcome.body !== null) ctx.body = outcome.body;
  };

  const methods = appMethods(lifecycle, (ctx: Context) => ({
    req: ctx,
    facts: koaFacts(ctx),
    session: access(ctx),
  }));
  return Object.assign(middleware, methods, {
    signOut: async (ctx: Context) => {
      const headers = await methods.signOut(ctx);
      if (!ctx.headerSent) ctx.set(headers);
    },
  });
}

/** The session of one request as the lifecycle sees it; made for every request, so a class. */
class KoaSessionAccess implements SessionAccess {
  constructor(
    private readonly ctx: Context,
    private readonly logout: ((ctx: Context) => void | Promise<void>) | undefined,
  ) {}
  private get session(): KoaSession | null | undefined {
    return sessionContext(this.ctx).session;
  }
  /**
   * koa-session never hands a request on without a session: a store error is thrown (a 503 with
   * {@link guardSessionStore}). But a session read before koa-session's middleware ran is a new,
   * empty one whatever the cookie says; with a guarded store that is told apart from a session the
   * store no longer has, and is no session at all rather than an anonymous visitor.
   */
  exists(): boolean {
    const session = this.session;
    if (session == null) return false;
    if (session.isNew !== true) return true;
    const { key, signed, store } = sessionContext(this.ctx).sessionOptions ?? {};
    if (key === undefined || !guardedStores.has(store as object)) return true;
    const cookie = this.ctx.cookies.get(key, { signed: signed !== false });
    return cookie === undefined || lookedUp.has(this.ctx);
  }
  id(): string | undefined {
    return this.session?.externalKey;
  }
  read(): unknown {
    return this.session?.sessionSecurity;
  }
  write(value: unknown): void {
    const session = this.session;
    if (session) session.sessionSecurity = value;
  }
  clear(): void {
    const session = this.session;
    if (session) delete session.sessionSecurity;
  }
  async end(keepSession: boolean): Promise<void> {
    const { ctx } = this;
    if (this.logout) await this.logout(ctx);
    else if (keepSession) await regenerate(ctx);
    // koa-session destroys the session and clears its cookie when it commits, at the end of the
    // request (a store failure then is the guard's 503); `ctx.session` is null from now on.
    else sessionContext(ctx).session = null;
    // Whatever the hook did, no clock survives it: a later sign-in starts afresh.
    const session = this.session;
    if (session) delete session.sessionSecurity;
  }
}

/**
 * A fresh anonymous session under a new key. koa-session's `regenerate()` keeps the data and
 * changes only the key (destroying the old one), so the data goes first.
 */
async function regenerate(ctx: Context): Promise<void> {
  const session = sessionContext(ctx).session;
  if (!session) return;
  for (const key of Object.keys(session.toJSON())) delete session[key];
  await session.regenerate();
}

/** Where Koa's requests give their origin (`app.proxy`) and their body. */
const koaRequests: NodeRequestSource<Context> = {
  origin: (ctx) => originOf(ctx.protocol, ctx.host),
  readBody,
};

function koaFacts(ctx: Context): RequestFacts<Context> {
  return new NodeFacts(ctx, ctx.method, ctx.path, ctx.originalUrl, ctx.req.headers, koaRequests);
}

/**
 * Reads the raw body up to a limit. When a body parser ran first, the stream is spent and its
 * result is in `ctx.request` (`rawBody` keeps duplicated keys; `body` has merged them: mount
 * session-security first).
 */
function readBody(ctx: Context, limitBytes: number): Promise<BodyRead> {
  const parsed = ctx.request as { body?: unknown; rawBody?: unknown };
  if (ctx.req.readableEnded || parsed.body !== undefined || typeof parsed.rawBody === 'string') {
    return Promise.resolve(bodyParsedEarlier(parsed.rawBody, parsed.body, limitBytes));
  }
  return readNodeBody(ctx.req, limitBytes);
}

/**
 * An external store of koa-session 7: `get`, `set` and `destroy`, each returning a Promise.
 *
 * @example
 * ```ts
 * const sessions = new Map<string, string>();
 * const store: KoaSessionStore = {
 *   get: async (key) => JSON.parse(sessions.get(key) ?? 'null'),
 *   set: async (key, data) => void sessions.set(key, JSON.stringify(data)),
 *   destroy: async (key) => void sessions.delete(key),
 * };
 * ```
 */
export interface KoaSessionStore {
  get(key: string, maxAge: unknown, data: { rolling?: boolean; ctx?: unknown }): Promise<unknown>;
  set(key: string, session: unknown, maxAge: unknown, data: { ctx?: unknown }): Promise<void>;
  destroy(key: string, data: { ctx?: unknown }): Promise<void>;
}

/** Stores wrapped by {@link guardSessionStore}, and the requests whose session they looked up. */
const guardedStores = new WeakSet<object>();
const lookedUp = new WeakSet<object>();

const VERBS = { get: 'read', set: 'save', destroy: 'destroy' } as const;

/**
 * Makes a koa-session external store fail fast: each `get`, `set` and `destroy` that fails or
 * takes longer than `timeout` rejects with a {@link SessionStoreUnavailableError}, which Koa
 * answers 503 (with `Retry-After: 5` and `Cache-Control: no-store`) instead of a 500 or a request
 * that waits in a Redis client's offline queue. Changes the store in place and returns it.
 *
 * @param store - the store handed to koa-session's `store` option
 * @param options - the time limit in milliseconds (default 1000) and the logger (default `console`)
 * @returns the same store
 * @throws SessionSecurityError for a timeout that is not a number of milliseconds above 0
 * @example
 * ```ts
 * app.use(session({ store: guardSessionStore(redisSessionStore, { timeout: 1000 }) }, app));
 * ```
 */
export function guardSessionStore<S extends KoaSessionStore>(
  store: S,
  options: SessionStoreGuardOptions = {},
): S {
  const guard = storeGuard(options);
  guardMethods(store, VERBS, (method, verb, name) => {
    const guarded = guard.promiseStyle(verb, method);
    if (name !== 'get') return guarded;
    // A read that answered: a new session for this request now means the store has none.
    return async function guardedGet(...args) {
      const session = await guarded(...args);
      const ctx = (args.at(-1) as { ctx?: unknown } | undefined)?.ctx;
      if (typeof ctx === 'object' && ctx !== null) lookedUp.add(ctx);
      return session;
    };
  });
  guardedStores.add(store);
  return store;
}

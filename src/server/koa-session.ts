// Glue for koa-session 7: the session of one Koa request as the lifecycle reads and ends it, and
// the guard of koa-session's external store (a failed or slow store answers 503, and a session
// the store no longer has is told from one that could not be read). No policy of session-security.

import type { Context } from 'koa';
import type { SessionAccess } from '../core/store.js';
import { guardMethods, type SessionStoreGuardOptions, storeGuard } from './store-guard.js';

/** What the adapter uses of a koa-session 7 session (`ctx.session`). */
interface KoaSession {
  [key: string]: unknown;
  /** The key of the session in an external store (koa-session's session id); undefined for cookie sessions. */
  readonly externalKey?: string | undefined;
  /** True when koa-session made this session rather than loading it. */
  isNew?: boolean;
  toJSON(): Record<string, unknown>;
  regenerate(): Promise<void> | undefined;
  /** Commits the session now (its store and cookie). */
  save(): Promise<void> | undefined;
}

/** The koa-session properties of a context, which @types/koa does not declare. */
interface KoaSessionContext {
  session?: KoaSession | null;
  sessionOptions?: { key?: string; signed?: boolean; store?: unknown; ContextStore?: unknown };
}

const sessionContext = (ctx: Context) => ctx as unknown as KoaSessionContext;

/** The session of one request as the lifecycle sees it; made for every request, so a class. */
export class KoaSessionAccess implements SessionAccess {
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
    if (key === undefined || !marked(store, GUARDED)) return true;
    const cookie = this.ctx.cookies.get(key, { signed: signed !== false });
    return cookie === undefined || marked(this.ctx, LOOKED_UP);
  }
  id(): string | undefined {
    return this.session?.externalKey;
  }
  cookieHeld(): string | undefined {
    const options = sessionContext(this.ctx).sessionOptions;
    return options && options.store === undefined && options.ContextStore === undefined
      ? 'koa-session has no store, so it keeps the session in its cookie'
      : undefined;
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
  async save(): Promise<void> {
    await this.session?.save();
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

/**
 * The marks {@link guardSessionStore} leaves: on a store it wraps, and on a request (its `ctx`)
 * whose session such a store looked up. Each on its own object: no state shared between requests.
 */
const GUARDED = Symbol('session-security: a guarded store');
const LOOKED_UP = Symbol('session-security: the store looked this session up');

const marked = (target: unknown, mark: symbol) =>
  typeof target === 'object' && target !== null && Reflect.get(target, mark) === true;

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
      if (typeof ctx === 'object' && ctx !== null) Reflect.set(ctx, LOOKED_UP, true);
      return session;
    };
  });
  Reflect.set(store, GUARDED, true);
  return store;
}

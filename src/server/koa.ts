// The Koa adapter: translates Koa + koa-session requests for the lifecycle and its outcomes back
// into responses (koa-session's own glue and store guard: koa-session.ts). Holds no policy.

import type { Context, Next } from 'koa';
import { SessionStoreUnavailableError } from '../core/errors.js';
import { resolveOptions, type SessionSecurityOptions } from '../core/options.js';
import { bodyParsedEarlier, readNodeBody } from './body.js';
import { KoaSessionAccess } from './koa-session.js';
import {
  type BodyRead,
  createLifecycle,
  type RequestFacts,
  type SessionAccess,
} from './lifecycle.js';
import { isPromise } from './maybe.js';
import { appMethods, type SessionSecurityMethods } from './methods.js';
import { NodeFacts, type NodeRequestSource, originOf } from './node-facts.js';
import type { Outcome } from './outcome.js';
import type { SessionStoreGuardOptions } from './store-guard.js';

export { guardSessionStore, type KoaSessionStore } from './koa-session.js';
export { type SessionStoreGuardOptions, SessionStoreUnavailableError };

/**
 * The middleware, with what an app calls at sign-in, in its pages and at sign-out.
 *
 * @example
 * ```ts
 * const security: KoaSessionSecurity = sessionSecurity({
 *   isAuthenticated: (ctx) => Boolean(ctx.session?.user),
 *   drafts: false, // or userId and draftSecret (docs/guide/behaviour.md: Drafts kept across sign-in)
 * });
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

/**
 * Server-enforced inactivity timeout for Koa 3 with koa-session 7, and the ping protocol under
 * `prefix`. The state lives in `ctx.session.sessionSecurity`. Give koa-session an external
 * `store` (wrapped in {@link guardSessionStore}): its key is the session id that ended sign-ins
 * are remembered by; a session held whole in the cookie has the limits docs/guide/behaviour.md describes.
 *
 * @param options - the options of docs/guide/options.md; `isAuthenticated(ctx)` is required
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
 * const security = sessionSecurity({
 *   expireAfter: 900,
 *   loginUrl: '/login',
 *   isAuthenticated: (ctx) => Boolean(ctx.session?.user),
 *   userId: (ctx) => ctx.session?.user ?? '', // drafts: forms kept for the same user
 *   draftSecret: process.env.DRAFT_SECRET,
 * });
 * app.use(security);
 * ```
 */
export function sessionSecurity(options: SessionSecurityOptions<Context>): KoaSessionSecurity {
  const resolved = resolveOptions(options);
  const lifecycle = createLifecycle(resolved);

  const access = (ctx: Context): SessionAccess => new KoaSessionAccess(ctx, resolved.logout);

  // Not an async function: a request decided at once goes on to the app with no promise of ours.
  const middleware = function sessionSecurity(ctx: Context, next: Next): Promise<void> {
    const session = access(ctx);
    const requestFacts = koaFacts(ctx);
    try {
      const outcome = lifecycle.handle(requestFacts, session);
      return isPromise(outcome)
        ? outcome.then((known) => answer(known, ctx, requestFacts, session, next))
        : Promise.resolve(answer(outcome, ctx, requestFacts, session, next));
    } catch (error) {
      return Promise.reject(error);
    }
  };

  /** Goes on to the app, or answers the request itself. Made once, not per request. */
  function answer(
    outcome: Outcome,
    ctx: Context,
    requestFacts: RequestFacts<Context>,
    session: SessionAccess,
    next: Next,
  ): Promise<void> | undefined {
    // koa-session commits after its own `await next()`, once this settles.
    if (outcome.kind === 'next') return lifecycle.passOn(requestFacts, session, next);
    ctx.status = outcome.status;
    ctx.set(outcome.headers);
    if (outcome.body !== null) ctx.body = outcome.body;
    return undefined;
  }

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

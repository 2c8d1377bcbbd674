// The Fastify 5 adapter (@fastify/session 11): translates Fastify requests for the lifecycle and
// its outcomes back into replies, from an onRequest hook. Holds no policy.

import type {} from '@fastify/cookie';
import type { FastifySessionObject, SessionStore } from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SessionStoreUnavailableError } from '../core/errors.js';
import { resolveOptions, type SessionSecurityOptions } from '../core/options.js';
import type { SecurityState } from '../core/policy.js';
import { readNodeBody } from './body.js';
import type { ClientTagsOptions } from './html.js';
import { createLifecycle, type RequestFacts, type SessionAccess } from './lifecycle.js';
import { appMethods, type SessionSecurityMethods } from './methods.js';
import { NodeFacts, type NodeRequestSource, originOf, pathOf } from './node-facts.js';
import { guardMethods, type SessionStoreGuardOptions, storeGuard } from './store-guard.js';

export type { ClientTagsOptions, SessionStoreGuardOptions };
export { SessionStoreUnavailableError };

declare module 'fastify' {
  interface Session {
    /** The inactivity clock of session-security, or with an external store only its sign-in's marker. */
    sessionSecurity?: string | SecurityState | { id: string };
  }
}

/**
 * The plugin, with what an app calls at sign-in, on its pages and at sign-out.
 *
 * @example
 * ```ts
 * const security: FastifySessionSecurity = sessionSecurity({ isAuthenticated: (request) => Boolean(request.session.user) });
 * await app.register(security); // after @fastify/cookie and @fastify/session
 * ```
 */
export interface FastifySessionSecurity extends SessionSecurityMethods<FastifyRequest> {
  /** The plugin itself: `await app.register(security)`. Registers no route, only a global hook. */
  (instance: FastifyInstance): Promise<void>;
  /**
   * Signs the user out for good, from the app's own sign-out route: ends the session (the
   * `logout` hook, or `request.session.destroy()`: no session is left for the rest of the
   * request), remembers the sign-in as ended so that no request still in flight can save it
   * back, clears the session cookie and sends `Clear-Site-Data` (`clearSiteData`). A request
   * that another origin made is refused: it rejects with a `SessionSecurityRequestError` whose
   * `statusCode` is 403, which Fastify answers as such, and nothing is ended.
   *
   * @example
   * ```ts
   * app.post('/logout', async (request, reply) => {
   *   await security.signOut(request, reply);
   *   return reply.redirect('/login', 303);
   * });
   * ```
   */
  signOut(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/**
 * Server-enforced inactivity timeout for Fastify 5 with @fastify/session, and the ping protocol
 * under `prefix`. Register it on the root instance, after `@fastify/cookie` and
 * `@fastify/session` (Fastify refuses it otherwise). It is not encapsulated (as a fastify-plugin
 * would be): its `onRequest` hook runs for every route of the app, in every plugin, and for
 * unmatched ones, before Fastify's routing answers (404) and before any body parsing (415, 413,
 * merged duplicate JSON keys), so the library's own checks keep their order. A store error of
 * @fastify/session is Fastify's error: wrap the store with {@link guardSessionStore} to make it 503.
 *
 * @param options - the options of the README's Options; `isAuthenticated(request)` is required
 * @returns the plugin, with `start`, `clientTags` and `signOut`
 * @throws SessionSecurityConfigError at construction for a bad option
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import cookie from '@fastify/cookie';
 * import session from '@fastify/session';
 * import { guardSessionStore, sessionSecurity } from 'session-security/fastify';
 *
 * const app = Fastify();
 * await app.register(cookie);
 * await app.register(session, { secret: process.env.SESSION_SECRET!, saveUninitialized: false, store: guardSessionStore(new session.MemoryStore()) });
 * const security = sessionSecurity({ expireAfter: 900, loginUrl: '/login', isAuthenticated: (request) => Boolean(request.session.user) });
 * await app.register(security);
 * ```
 */
export function sessionSecurity(
  options: SessionSecurityOptions<FastifyRequest>,
): FastifySessionSecurity {
  const resolved = resolveOptions(options);
  const lifecycle = createLifecycle(resolved);

  const access = (request: FastifyRequest, reply?: FastifyReply): SessionAccess =>
    new FastifySessionAccess(request, reply, resolved.logout);

  // Why onRequest: later, Fastify has already answered unknown routes, content types and sizes
  // on its own and merged duplicated JSON keys; @fastify/session's onRequest has run before it.
  async function sessionSecurityHook(request: FastifyRequest, reply: FastifyReply) {
    const outcome = await lifecycle.handle(fastifyFacts(request), access(request, reply));
    if (outcome.kind === 'next') return;
    return reply
      .code(outcome.status)
      .headers(outcome.headers)
      .send(outcome.body ?? undefined);
  }

  /**
   * After the handler: a sign-in made without `start` gets its clock at once. @fastify/session
   * saved the session in its own onSend, registered before this one, so it is saved again.
   * Callback style: a signed-in request costs one synchronous check.
   */
  function sessionSecuritySettle(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (error: Error | null, payload?: unknown) => void,
  ): void {
    const session = access(request, reply);
    if (!lifecycle.settles(session)) {
      done(null, payload);
      return;
    }
    lifecycle
      .settle(fastifyFacts(request), session)
      .then((started) => (started ? request.session.save() : undefined))
      // A failed save leaves the session as the app saved it: its next request starts the clock.
      .catch(() => undefined)
      .then(() => done(null, payload));
  }

  const plugin = async function sessionSecurity(instance: FastifyInstance): Promise<void> {
    instance.addHook('onRequest', sessionSecurityHook);
    instance.addHook('onSend', sessionSecuritySettle);
  };
  // What fastify-plugin sets: the hook belongs to the instance that registers it, not to a child.
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'session-security',
    [Symbol.for('plugin-meta')]: {
      name: 'session-security',
      fastify: '5.x',
      dependencies: ['@fastify/cookie', '@fastify/session'],
    },
  });

  const bind = (request: FastifyRequest, reply?: FastifyReply) => ({
    req: request,
    facts: fastifyFacts(request),
    session: access(request, reply),
  });
  return Object.assign(plugin, appMethods(lifecycle, bind), {
    signOut: async (request: FastifyRequest, reply: FastifyReply) => {
      const { facts, session } = bind(request, reply);
      const headers = await lifecycle.signOut(facts, session);
      if (!reply.sent) reply.headers(headers);
    },
  });
}

/** The session of one request as the lifecycle sees it; made for every request, so a class. */
class FastifySessionAccess implements SessionAccess {
  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply | undefined,
    private readonly logout: ((request: FastifyRequest) => void | Promise<void>) | undefined,
  ) {}
  /** @fastify/session sets `{}` before it has a session, and `null` once one is destroyed. */
  private session(): FastifySessionObject | undefined {
    const session = this.request.session as FastifySessionObject | null | undefined;
    return typeof session?.sessionId === 'string' ? session : undefined;
  }
  exists(): boolean {
    return this.session() !== undefined;
  }
  id(): string | undefined {
    return this.session()?.sessionId;
  }
  read(): unknown {
    return this.session()?.sessionSecurity;
  }
  write(value: unknown): void {
    this.request.session.sessionSecurity = value as string | SecurityState | { id: string };
  }
  clear(): void {
    delete this.request.session.sessionSecurity;
  }
  async end(keepSession: boolean): Promise<void> {
    const ended = this.session();
    if (this.logout) await this.logout(this.request);
    else if (keepSession) await this.request.session.regenerate();
    else await this.request.session.destroy();
    // Whatever the hook did, no clock survives it: a later sign-in starts afresh.
    const after = this.session();
    if (after) delete after.sessionSecurity;
    if (ended && after?.sessionId !== ended.sessionId) this.clearCookie(ended);
  }
  /**
   * Clears the cookie that named an ended session. @fastify/session does not expose its cookie's
   * name: it is the cookie whose value is `<cookiePrefix><id>.<signature>` for the ended id (the
   * signature may be an older secret's). A new session that @fastify/session saves sets its own
   * cookie after this, which then wins.
   */
  private clearCookie(ended: FastifySessionObject): void {
    const { reply, request } = this;
    if (reply === undefined || reply.sent) return;
    const signedId = `${ended.sessionId}.`;
    for (const [name, value] of Object.entries(request.cookies ?? {})) {
      if (typeof value !== 'string' || !value.includes(signedId)) continue;
      reply.clearCookie(name, {
        path: ended.cookie.path ?? '/',
        ...(ended.cookie.domain ? { domain: ended.cookie.domain } : {}),
      });
    }
  }
}

/** Where Fastify's requests give their origin (its `trustProxy`) and their body. */
const fastifyRequests: NodeRequestSource<FastifyRequest> = {
  origin: (request) => originOf(request.protocol, request.host),
  // In the onRequest hook, before Fastify's own parsing. Spent by an earlier onRequest hook of
  // the app: nothing left to read, and no 'end' to wait for.
  readBody: (request, limitBytes) =>
    request.raw.readableEnded
      ? Promise.resolve({ kind: 'aborted' })
      : readNodeBody(request.raw, limitBytes),
};

function fastifyFacts(request: FastifyRequest): RequestFacts<FastifyRequest> {
  const { url } = request;
  return new NodeFacts(request, request.method, pathOf(url), url, request.headers, fastifyRequests);
}

const VERBS = { get: 'read', set: 'save', destroy: 'destroy' } as const;

/**
 * Makes a @fastify/session store fail fast and answer 503: each `get`, `set` and `destroy` that
 * fails or takes longer than `timeout` calls back with a {@link SessionStoreUnavailableError}
 * (`statusCode` 503, and `headers` with `Retry-After: 5` that Fastify's default error handler
 * sends), instead of a 500 or a request waiting in a Redis client's offline queue.
 * @fastify/session hands a failed read to Fastify's error handling, so a request carrying a
 * session cookie never goes on as an anonymous visitor; a custom error handler should answer
 * `error.statusCode`. A read that reports `ENOENT` (no such session) is passed through as such.
 * Changes the store in place and returns it; the store's error is logged, not sent to the client.
 *
 * @example
 * ```ts
 * import session from '@fastify/session';
 * import { guardSessionStore } from 'session-security/fastify';
 *
 * const store = guardSessionStore(new RedisStore({ client }), { timeout: 1000 });
 * await app.register(session, { secret, store, saveUninitialized: false });
 * ```
 */
export function guardSessionStore<S extends SessionStore>(
  store: S,
  options: SessionStoreGuardOptions = {},
): S {
  const guard = storeGuard(options);
  return guardMethods(store, VERBS, (method, verb, name) =>
    guard.callbackStyle(verb, method, name === 'get' ? isNotFound : undefined),
  );
}

/** @fastify/session reads an `ENOENT` error from `get` as "no such session": not a failure. */
function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

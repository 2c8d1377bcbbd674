// Glue for Fastify 5 and @fastify/session 11: a request's facts, the session of one request as
// the lifecycle reads and ends it (and the cookie of an ended session cleared), the guard of
// @fastify/session's store, and the plugin's registration. No policy of session-security.

import type { FastifySessionObject, SessionStore } from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecurityState } from '../core/policy.js';
import type { SessionAccess } from '../core/store.js';
import { readNodeBody } from './body.js';
import type { Lifecycle, RequestFacts } from './lifecycle.js';
import { isPromise, type Maybe } from './maybe.js';
import { NodeFacts, type NodeRequestSource, originOf, pathOf } from './node-facts.js';
import type { Outcome, Reply } from './outcome.js';
import { guardMethods, type SessionStoreGuardOptions, storeGuard } from './store-guard.js';

/** The session of one request as the lifecycle sees it; made for every request, so a class. */
export class FastifySessionAccess implements SessionAccess {
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
 * import cookie from '@fastify/cookie';
 * import session from '@fastify/session';
 * import { guardSessionStore } from 'session-security/fastify';
 *
 * const store = guardSessionStore(new RedisStore({ client }), { timeout: 1000 });
 * await app.register(cookie);
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

export function fastifyFacts(request: FastifyRequest): RequestFacts<FastifyRequest> {
  const { url } = request;
  return new NodeFacts(request, request.method, pathOf(url), url, request.headers, fastifyRequests);
}

/**
 * Registers the plugin as fastify-plugin would: its hooks belong to the instance that registers
 * it (the root), not to a child context, so they run for every route of the app.
 */
export function asRootPlugin(plugin: (instance: FastifyInstance) => Promise<void>): void {
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'session-security',
    [Symbol.for('plugin-meta')]: {
      name: 'session-security',
      fastify: '5.x',
      dependencies: ['@fastify/cookie', '@fastify/session'],
    },
  });
}

/** Sends the lifecycle's reply as it is. */
export function sendReply(reply: FastifyReply, outcome: Reply): void {
  reply
    .code(outcome.status)
    .headers(outcome.headers)
    .send(outcome.body ?? undefined);
}

/**
 * The `onSend` hook that settles a request after the handler: a sign-in made without `start`
 * gets its clock at once. @fastify/session saved the session in its own onSend, registered
 * before this one, so it is saved again. Callback style: a signed-in request costs one
 * synchronous check.
 */
export function settleOnSend(
  lifecycle: Lifecycle<FastifyRequest>,
  access: (request: FastifyRequest, reply: FastifyReply) => SessionAccess,
) {
  return function sessionSecuritySettle(
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
  };
}

/**
 * The `onRequest` hook over a lifecycle: the library's routes and the policy for every other
 * request. Why onRequest: later, Fastify has already answered unknown routes, content types and
 * sizes on its own and merged duplicated JSON keys; @fastify/session's onRequest has run before
 * it. Callback style, not an async function: a request decided at once goes on with no promise.
 */
export function onRequestHook(
  lifecycle: Lifecycle<FastifyRequest>,
  access: (request: FastifyRequest, reply: FastifyReply) => SessionAccess,
) {
  /** Goes on (done), or answers the request itself. Made once, not per request. */
  function answer(outcome: Outcome, reply: FastifyReply, done: (error?: Error) => void): void {
    if (outcome.kind === 'next') done();
    // A hook that sends the reply does not call done: Fastify goes no further.
    else sendReply(reply, outcome);
  }
  return function sessionSecurityHook(
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    let outcome: Maybe<Outcome>;
    try {
      outcome = lifecycle.handle(fastifyFacts(request), access(request, reply));
    } catch (error) {
      done(error as Error);
      return;
    }
    if (isPromise(outcome)) {
      outcome.then(
        (known) => answer(known, reply, done),
        (error: Error) => done(error),
      );
    } else answer(outcome, reply, done);
  };
}

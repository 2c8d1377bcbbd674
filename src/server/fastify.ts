// The Fastify 5 adapter (@fastify/session 11): translates Fastify requests for the lifecycle and
// its outcomes back into replies, from an onRequest hook (@fastify/session's own glue and store
// guard: fastify-session.ts). Holds no policy.

import type {} from '@fastify/cookie';
import type {} from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SessionStoreUnavailableError } from '../core/errors.js';
import { resolveOptions, type SessionSecurityOptions } from '../core/options.js';
import type { SecurityState } from '../core/policy.js';
import {
  asRootPlugin,
  FastifySessionAccess,
  fastifyFacts,
  onRequestHook,
  settleOnSend,
} from './fastify-session.js';
import type { ClientTagsOptions } from './html.js';
import { createLifecycle, type SessionAccess } from './lifecycle.js';
import { appMethods, type SessionSecurityMethods } from './methods.js';
import type { SessionStoreGuardOptions } from './store-guard.js';

export { guardSessionStore } from './fastify-session.js';
export type { ClientTagsOptions, SessionStoreGuardOptions };
export { SessionStoreUnavailableError };

declare module 'fastify' {
  interface Session {
    /** The inactivity clock of session-security, or with an external store only its sign-in's marker. */
    sessionSecurity?: string | SecurityState | { id: string };
  }
}

/**
 * The plugin (see {@link sessionSecurity}), with what an app calls at sign-in, on its pages and
 * at sign-out.
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
 * @param options - the options of docs/guide/options.md; `isAuthenticated(request)` is required
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
 * const security = sessionSecurity({
 *   expireAfter: 900,
 *   loginUrl: '/login',
 *   isAuthenticated: (request) => Boolean(request.session.user),
 *   userId: (request) => request.session.user ?? '', // drafts: forms kept for the same user
 *   draftSecret: process.env.DRAFT_SECRET,
 * });
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

  const sessionSecurityHook = onRequestHook(lifecycle, access);
  const sessionSecuritySettle = settleOnSend(lifecycle, access);

  const plugin = async function sessionSecurity(instance: FastifyInstance): Promise<void> {
    instance.addHook('onRequest', sessionSecurityHook);
    instance.addHook('onSend', sessionSecuritySettle);
  };
  asRootPlugin(plugin);

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

// What the fetch handler and the Hono middleware share: the lifecycle, and how one request and
// its session are bound to it. No policy of session-security.

import type { SessionSecurityOptions } from '../core/options.js';
import { type ResolvedOptions, resolveOptions } from '../core/options.js';
import type { ClientTagsOptions } from '../server/html.js';
import { createLifecycle, type Lifecycle, type RequestFacts } from '../server/lifecycle.js';
import { WebFacts } from './request.js';
import { emptySession, type WebSession, WebSessionAccess } from './session.js';

/**
 * How the app's origin is told, for both the handler and the middleware.
 *
 * @example
 * ```ts
 * sessionSecurityHandler({ isAuthenticated, userId, draftSecret, trustProxy: true });
 * ```
 */
export interface WebAdapterOptions {
  /**
   * Take the app's origin from `X-Forwarded-Proto` and `X-Forwarded-Host` (their first value)
   * instead of the request's URL. Only behind a reverse proxy that sets both and overwrites what
   * clients send: a client could otherwise name any origin. Default false.
   */
  trustProxy?: boolean;
}

/** One request as an adapter keeps it: the framework's request, its facts and its session. */
export interface RequestState<Req> {
  req: Req;
  facts: RequestFacts<Req>;
  access: WebSessionAccess<Req>;
  /** The session the app passed, to tell a later call with another one. */
  given: WebSession | undefined;
}

/** The lifecycle over fetch-style requests, and how a request is bound to it. */
export class WebBinding<Req extends object> {
  readonly lifecycle: Lifecycle<Req>;
  readonly options: ResolvedOptions<Req>;
  readonly #trustProxy: boolean;

  constructor(options: SessionSecurityOptions<Req>, { trustProxy = false }: WebAdapterOptions) {
    this.options = resolveOptions(options);
    this.lifecycle = createLifecycle(this.options);
    this.#trustProxy = trustProxy;
  }

  /** A request without a session is anonymous, with an empty session of its own. */
  bind(
    request: Request,
    given: WebSession | undefined,
    reqFor: (session: WebSession) => Req,
  ): RequestState<Req> {
    const session = given ?? emptySession();
    const req = reqFor(session);
    return {
      req,
      facts: new WebFacts(req, request, this.#trustProxy),
      access: new WebSessionAccess(req, session, this.options.logout),
      given,
    };
  }

  clientTags(state: RequestState<Req>, tagOptions?: ClientTagsOptions): string {
    return this.lifecycle.clientTags(state.req, state.access, tagOptions);
  }
}

// The request lifecycle of DESIGN §3, shared by every adapter: the library's routes and the
// policy for every other request, over a small SessionAccess. Holds no framework code.

import { debuglog } from 'node:util';
import { SessionSecurityRequestError } from '../core/errors.js';
import type { ResolvedOptions } from '../core/options.js';
import { type ActiveStatus, statusOf } from '../core/policy.js';
import {
  type Answer,
  answers,
  clearSiteDataHeader,
  isJsonContentType,
  loginLocation,
  MAX_BODY_BYTES,
  parsePingBody,
  ROUTES,
  type Route,
} from '../core/protocol.js';
import {
  crossOriginReason,
  type HeaderGetter,
  isNavigation,
  isPassive,
  returnPath,
} from '../core/request.js';
import type { ActivityStore, SessionAccess, Touch } from '../core/store.js';
import { logThrottle } from '../core/throttle.js';
import type { EndReason } from '../core/tombstones.js';
import { type AssetRoute, clientAssets, isAssetRoute } from './assets.js';
import { draftsConfig } from './drafts.js';
import { type ClientTagsOptions, renderClientTags } from './html.js';
import { sessionObjectStore } from './store.js';

export type { SessionAccess } from '../core/store.js';

const debug = debuglog('session-security');

/** The result of reading a request body with a size limit: the text, too large, or cut off by the client. */
export type BodyRead = { kind: 'text'; text: string } | { kind: 'tooLarge' } | { kind: 'aborted' };

/** What an adapter tells the lifecycle about one request. */
export interface RequestFacts<Req> {
  /** The framework's request, handed to `isAuthenticated`, `logout` and passive predicates. */
  req: Req;
  method: string;
  /** The path without the query, as routes and passive rules see it. */
  path: string;
  /** The path and query, for the `next` of a login redirect. */
  url: string;
  header: HeaderGetter;
  /** The app's own origin, from the framework's trusted-proxy settings. */
  appOrigin: string;
  /** Reads the body as text; reports `tooLarge` past `limitBytes` without buffering the rest, `aborted` when the client gave up. */
  readBody(limitBytes: number): Promise<BodyRead>;
}

/** What the adapter must do with the request. */
export type Outcome =
  | { kind: 'next' }
  | { kind: 'answer'; answer: Answer }
  | { kind: 'redirect'; location: string }
  | { kind: 'asset'; status: 200 | 304; headers: Record<string, string>; body?: Buffer };

const NEXT: Outcome = { kind: 'next' };
const answer = (a: Answer): Outcome => ({ kind: 'answer', answer: a });

/** The lifecycle bound to one set of resolved options. */
export interface Lifecycle<Req> {
  /** Decides one request; the adapter translates the outcome. */
  handle(facts: RequestFacts<Req>, session: SessionAccess): Promise<Outcome>;
  /** Starts the clock of a new sign-in: both times now, a new marker. */
  start(req: Req, session: SessionAccess): Promise<void>;
  /**
   * Ends the sign-in for good (the app's own sign-out): no request in flight can bring it back;
   * no session is left.
   *
   * @throws SessionSecurityRequestError (403) when another origin made the request
   */
  signOut(facts: RequestFacts<Req>, session: SessionAccess): Promise<void>;
  /** The `Clear-Site-Data` an explicit sign-out sends, or undefined for none. */
  readonly clearSiteData: string | undefined;
  /**
   * The status of a live session for a page's client config, from this request's own step on
   * the store (no second round trip); undefined without a live session.
   */
  clientStatus(req: Req, session: SessionAccess): ActiveStatus | undefined;
  /**
   * The client's tags for a page of a live session (the status, and the drafts key of the
   * request's user), or `''` without one.
   */
  clientTags(req: Req, session: SessionAccess, tagOptions?: ClientTagsOptions): string;
}

/**
 * Binds the lifecycle to resolved options.
 *
 * @example
 * ```ts
 * const lifecycle = createLifecycle(resolveOptions({ isAuthenticated }));
 * const outcome = await lifecycle.handle(facts, session); // { kind: 'next' } for an anonymous request
 * ```
 */
export function createLifecycle<Req extends object>(options: ResolvedOptions<Req>): Lifecycle<Req> {
  const { clock, logger, prefix } = options;
  const store: ActivityStore =
    options.store ?? sessionObjectStore({ now: () => clock.now(), logger });
  const clearSiteData = clearSiteDataHeader(options.clearSiteData);
  /**
   * Each request's latest step on the store, for its page's client config: a property of the
   * request under a symbol of this lifecycle's own (not a WeakMap: made and dropped for every
   * request, WeakMap entries cost the garbage collector more than the whole step).
   */
  const touchedKey = Symbol('session-security: touched');
  const touched = {
    get: (req: object): Touch | undefined => (req as Record<symbol, Touch | undefined>)[touchedKey],
    set: (req: object, value: Touch) => {
      (req as Record<symbol, Touch | undefined>)[touchedKey] = value;
    },
    delete: (req: object) => {
      (req as Record<symbol, Touch | undefined>)[touchedKey] = undefined;
    },
  };
  const throttle = logThrottle();
  const loginPath =
    options.loginUrl?.startsWith('/') === true
      ? new URL(options.loginUrl, 'http://placeholder.invalid').pathname
      : undefined;

  /** Runs a store operation; a failure is logged and answered 503, never a sign-out nor a pass. */
  async function guarded<T>(
    operation: () => T | Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; outcome: Outcome }> {
    try {
      return { ok: true, value: await operation() };
    } catch (error) {
      // One line per kind of failure a minute, not one per request, while a store is down.
      const count = throttle(`store: ${describeFailure(error)}`, clock.now());
      if (count !== undefined) {
        logger.error(
          `session-security: the store failed (${count} request(s) answered 503 since the last report of this failure)`,
          error,
        );
      }
      return { ok: false, outcome: answer(answers.unavailable()) };
    }
  }

  /** One step on the store for a signed-in request, remembered for the page's client config. */
  async function touch(facts: RequestFacts<Req>, session: SessionAccess, offsetMs?: number) {
    const result = await guarded(() => store.touch(session, offsetMs, options));
    if (result.ok) touched.set(facts.req, result.value);
    return result;
  }

  /**
   * Ends the session of a sign-in that is over (`reason` says why; the store has recorded it)
   * and answers the request.
   */
  async function endSession(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    reason: EndReason,
    forRoute: boolean,
  ): Promise<Outcome> {
    debug('%s %s: sign-in ended (%s)', facts.method, facts.path, reason);
    touched.delete(facts.req);
    const outcome = endedOutcome(facts, reason, forRoute);
    // The app goes on only after a NEXT, and then needs a session: a fresh anonymous one.
    const ended = await guarded(() => session.end(outcome.kind === 'next'));
    return ended.ok ? outcome : ended.outcome;
  }

  /** What a request whose sign-in ended gets: an expiry is told to the client; after a sign-out it goes on as anonymous. */
  function endedOutcome(facts: RequestFacts<Req>, reason: EndReason, forRoute: boolean): Outcome {
    if (reason === 'logout') return forRoute ? answer(answers.anonymous()) : NEXT;
    if (forRoute || !isNavigation(facts.header)) return answer(answers.expired(reason));
    // Why 303: a POST that finds the session expired must come back as a GET of the login page.
    // The login page itself goes on: a sign-in posted with an expired cookie must work.
    if (options.loginUrl !== undefined && facts.path !== loginPath) {
      const next = returnPath(facts.method, facts.url, facts.header, facts.appOrigin);
      return { kind: 'redirect', location: loginLocation(options.loginUrl, next, reason) };
    }
    return NEXT; // a fresh anonymous session: the app's own authentication takes over
  }

  /**
   * Ends a sign-in on purpose (the logout route, `signOut`): the store remembers it as ended
   * first, then the session goes, even when the store failed (the user asked to leave).
   */
  async function signOutSession(req: Req, session: SessionAccess): Promise<Outcome | undefined> {
    touched.delete(req);
    const recorded = await guarded(() => store.end(session, 'logout', options));
    const ended = await guarded(() => session.end(false));
    if (!recorded.ok) return recorded.outcome;
    return ended.ok ? undefined : ended.outcome;
  }

  async function handleRoute(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    authenticated: boolean,
  ): Promise<Outcome> {
    const route = facts.path.slice(prefix.length);
    if (!Object.hasOwn(ROUTES, route)) return answer(answers.notFound(facts.path));
    const allowed: readonly string[] = ROUTES[route as Route];
    if (!allowed.includes(facts.method)) {
      return answer(answers.methodNotAllowed(route as Route, facts.method));
    }
    const crossOrigin = crossOriginReason(facts.header, facts.appOrigin, options.trustedOrigins);
    if (crossOrigin !== undefined) return answer(answers.forbidden(crossOrigin));

    if (isAssetRoute(route)) return serveAsset(facts, route);

    const isPing = route === '/ping';
    const readsBody = isPing && facts.method === 'POST';
    // Why JSON only: a cross-site HTML form cannot send application/json without a preflight.
    if (readsBody && !isJsonContentType(facts.header('content-type'))) {
      return answer(answers.unsupportedMediaType(facts.header('content-type')));
    }
    const body = readsBody ? await facts.readBody(MAX_BODY_BYTES) : undefined;
    if (body?.kind === 'tooLarge') return answer(answers.tooLarge());
    if (body?.kind === 'aborted') {
      debug('%s %s: the client gave up sending its body', facts.method, facts.path);
      return answer(answers.badRequest('the body was cut off before its end'));
    }

    if (!authenticated) {
      if (session.read() !== undefined) {
        const cleared = await guarded(() => session.clear());
        if (!cleared.ok) return cleared.outcome;
      }
      return answer(isPing ? answers.anonymous() : signedOut());
    }
    if (!isPing) {
      debug('%s %s: signed out', facts.method, facts.path);
      return (await signOutSession(facts.req, session)) ?? answer(signedOut());
    }

    const ping = body?.kind === 'text' ? parsePingBody(body.text) : undefined;
    // Expiry first, in the same step: a ping must never revive an expired session. A
    // malformed ping records nothing, but an expired session is still told so (401 before 400).
    const offsetMs = ping?.ok ? ping.sinceActivitySeconds * 1000 : undefined;
    const step = await touch(facts, session, offsetMs);
    if (!step.ok) return step.outcome;
    if (step.value.kind === 'ended') return endSession(facts, session, step.value.reason, true);
    if (ping?.ok === false) return answer(answers.badRequest(ping.error));
    return answer(answers.active(statusOf(step.value.state, step.value.nowMs, options)));
  }

  /** The answer of the library's explicit sign-out: anonymous now, and the browser's cache cleared. */
  function signedOut(): Answer {
    const signedOutAnswer = answers.signedOut();
    if (clearSiteData !== undefined) signedOutAnswer.headers['clear-site-data'] = clearSiteData;
    return signedOutAnswer;
  }

  /** Logs a request without a session, at most once a minute: a client can send many. */
  function reportMissingSession(now: number) {
    const count = throttle('no session', now);
    if (count === undefined) return;
    logger.error(
      `session-security: ${count} request(s) had no session: mount the session middleware before session-security, and check its store`,
    );
  }

  async function handle(facts: RequestFacts<Req>, session: SessionAccess): Promise<Outcome> {
    if (!session.exists()) {
      // A target that is not a path (`OPTIONS *`) gets no session from any framework, and
      // reaches no page to protect.
      if (!facts.url.startsWith('/')) return NEXT;
      reportMissingSession(clock.now());
      return answer(answers.unavailable());
    }
    const authenticated = await options.isAuthenticated(facts.req);
    if (authenticated && store.prepare) {
      const prepared = await guarded(() => store.prepare?.(session, options));
      if (!prepared.ok) return prepared.outcome;
    }
    if (facts.path === prefix || facts.path.startsWith(`${prefix}/`)) {
      return handleRoute(facts, session, authenticated);
    }
    if (!authenticated) {
      // An anonymous session keeps no clock, so the next sign-in starts a fresh one.
      if (session.read() === undefined) return NEXT;
      const cleared = await guarded(() => session.clear());
      return cleared.ok ? NEXT : cleared.outcome;
    }

    const passive = isPassive(
      facts.req,
      facts.path,
      facts.header,
      options.passive,
      () => facts.appOrigin,
    );
    const step = await touch(facts, session, passive ? undefined : 0);
    if (!step.ok) return step.outcome;
    if (step.value.kind === 'ended') return endSession(facts, session, step.value.reason, false);
    if (debug.enabled)
      debug('%s %s: %s', facts.method, facts.path, passive ? 'passive' : 'activity');
    return NEXT;
  }

  async function start(req: Req, session: SessionAccess): Promise<void> {
    touched.set(req, await store.start(session, options));
  }

  async function signOut(facts: RequestFacts<Req>, session: SessionAccess): Promise<void> {
    // The logout route's rule: a page elsewhere (a form, a beacon) must not sign users out.
    const crossOrigin = crossOriginReason(facts.header, facts.appOrigin, options.trustedOrigins);
    if (crossOrigin !== undefined) throw new SessionSecurityRequestError(403, crossOrigin);
    if (!session.exists()) return;
    debug('signed out by the app');
    touched.delete(facts.req);
    await store.end(session, 'logout', options);
    await session.end(false);
  }

  function clientStatus(req: Req, session: SessionAccess): ActiveStatus | undefined {
    const step = touched.get(req) ?? (session.exists() ? store.peek(session, options) : undefined);
    return step?.kind === 'active' ? statusOf(step.state, step.nowMs, options) : undefined;
  }

  function clientTags(req: Req, session: SessionAccess, tagOptions?: ClientTagsOptions): string {
    const status = clientStatus(req, session);
    if (!status) return '';
    const src = () => `${prefix}/drafts.js?v=${clientAssets()['/drafts.js'].hash}`;
    const drafts = options.drafts ? draftsConfig(options.drafts, req, src()) : undefined;
    return renderClientTags(status, { ...options, drafts }, tagOptions);
  }

  return { handle, start, signOut, clientStatus, clientTags, clearSiteData };
}

/** Serves the client's script or stylesheet: immutable under its hash, revalidated without it. */
function serveAsset<Req>(facts: RequestFacts<Req>, route: AssetRoute): Outcome {
  const asset = clientAssets()[route];
  const etag = `"${asset.hash}"`;
  const version = new URLSearchParams(facts.url.split('?')[1] ?? '').get('v');
  const headers = {
    'content-type': asset.contentType,
    'cache-control': version === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
  };
  if (facts.header('if-none-match') === etag) return { kind: 'asset', status: 304, headers };
  return {
    kind: 'asset',
    status: 200,
    headers,
    ...(facts.method === 'HEAD' ? {} : { body: asset.body }),
  };
}

/** A failure's kind for the log: its name and code, not its message (which may carry ids). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}

// The request lifecycle of DESIGN §3, shared by every adapter: the library's routes and the
// policy for every other request, over a small SessionAccess. Holds no framework code.

import { debuglog } from 'node:util';
import { SessionSecurityRequestError } from '../core/errors.js';
import type { ResolvedOptions } from '../core/options.js';
import {
  type ActiveStatus,
  decide,
  randomId,
  readState,
  type SecurityState,
  statusOf,
} from '../core/policy.js';
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
import { type EndReason, Tombstones } from '../core/tombstones.js';

import { type AssetRoute, clientAssets, isAssetRoute } from './assets.js';

const debug = debuglog('session-security');

/** The result of reading a request body with a size limit: the text, too large, or cut off by the client. */
export type BodyRead = { kind: 'text'; text: string } | { kind: 'tooLarge' } | { kind: 'aborted' };

/** The security state as read from the session: a state, none, or a damaged value. */
type StoredState = SecurityState | undefined | 'invalid';

/** A signed-in session's state, or why its sign-in is already over. */
type SignIn =
  | { ended: EndReason; stored: StoredState }
  | { ended: undefined; stored: SecurityState | undefined };

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

/** How the lifecycle reaches the session of one request. */
export interface SessionAccess {
  /** False when the framework has no session for the request (its store failed). */
  exists(): boolean;
  /** The framework's id of the session (the one its cookie names), when it has one. */
  id(): string | undefined;
  /** The stored security state, as stored (validated by the lifecycle). */
  read(): unknown;
  write(state: SecurityState): void | Promise<void>;
  clear(): void | Promise<void>;
  /**
   * Ends the session (the `logout` hook, or the adapter's default) and drops the state. With
   * `keepSession` the request goes on to the app, which needs a fresh anonymous session;
   * without it no session is left at all (the library answers the request itself).
   */
  end(keepSession: boolean): Promise<void>;
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
  start(session: SessionAccess): Promise<void>;
  /**
   * Ends the sign-in for good (the app's own sign-out): no request in flight can bring it back;
   * no session is left.
   *
   * @throws SessionSecurityRequestError (403) when another origin made the request
   */
  signOut(facts: RequestFacts<Req>, session: SessionAccess): Promise<void>;
  /** The `Clear-Site-Data` an explicit sign-out sends, or undefined for none. */
  readonly clearSiteData: string | undefined;
  /** The status of a live session for a page's client config; undefined without one. */
  clientStatus(session: SessionAccess): ActiveStatus | undefined;
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
export function createLifecycle<Req>(options: ResolvedOptions<Req>): Lifecycle<Req> {
  const { clock, logger, prefix } = options;
  const clearSiteData = clearSiteDataHeader(options.clearSiteData);
  const ended = new Tombstones();
  const markerKey = (id: string) => `m:${id}`;
  const sessionKey = (id: string) => `s:${id}`;
  let lastEvictionWarningMs = -Infinity;
  let lastMissingSessionLogMs = -Infinity;
  let missingSessionsUnlogged = 0;
  const loginPath =
    options.loginUrl?.startsWith('/') === true
      ? new URL(options.loginUrl, 'http://placeholder.invalid').pathname
      : undefined;

  /** Runs a store operation; a failure is logged and answered 503, never a sign-out nor a pass. */
  async function guarded(operation: () => unknown): Promise<Outcome | undefined> {
    try {
      await operation();
      return undefined;
    } catch (error) {
      logger.error('session-security: the session store failed; answering 503', error);
      return answer(answers.unavailable());
    }
  }

  /** Reads the state; a damaged record counts as expired, never as a fresh start. */
  function storedState(session: SessionAccess): StoredState {
    const stored = readState(session.read());
    if (stored === 'invalid') {
      logger.error('session-security: the stored security state is damaged; ending the session');
    }
    return stored;
  }

  /**
   * Remembers a sign-in as ended, by its marker and by its session id, for as long as it could
   * otherwise live: no copy of it holds a `lastActivity` later than now, so none outlives
   * now + expireAfter (nor its absolute deadline).
   */
  function bury(session: SessionAccess, stored: StoredState, now: number, reason: EndReason) {
    const idleUntil = now + options.expireAfterMs;
    const keys: [string, number][] = [];
    if (stored !== undefined && stored !== 'invalid') {
      const absoluteUntil =
        options.absoluteTimeoutMs > 0 ? stored.startedAt + options.absoluteTimeoutMs : Infinity;
      keys.push([markerKey(stored.id), Math.min(idleUntil, absoluteUntil)]);
    }
    const sessionId = session.id();
    // A session that comes back without a clock must not start a new one for this sign-in.
    if (sessionId !== undefined) keys.push([sessionKey(sessionId), idleUntil]);
    for (const [key, until] of keys) {
      if (until <= now || ended.add(key, now, until, reason)) continue;
      if (now - lastEvictionWarningMs >= 60_000) {
        lastEvictionWarningMs = now;
        logger.warn(
          'session-security: too many sign-ins ended within expireAfter to remember them all in memory; the oldest are forgotten. Keep them in a shared store (Redis) instead',
        );
      }
    }
  }

  /** Why this session's sign-in has already ended, when it has: a copy saved back by a request that was in flight. */
  function endedReason(session: SessionAccess, stored: StoredState, now: number) {
    const sessionId = session.id();
    const byMarker =
      stored !== undefined && stored !== 'invalid'
        ? ended.find(markerKey(stored.id), now)
        : undefined;
    return (
      byMarker ?? (sessionId === undefined ? undefined : ended.find(sessionKey(sessionId), now))
    );
  }

  /** Ends a sign-in for good (`reason` says why) and answers the request. */
  async function endSignIn(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    stored: StoredState,
    reason: EndReason,
    forRoute: boolean,
  ): Promise<Outcome> {
    debug('%s %s: sign-in ended (%s)', facts.method, facts.path, reason);
    bury(session, stored, clock.now(), reason);
    const outcome = endedOutcome(facts, reason, forRoute);
    // The app goes on only after a NEXT, and then needs a session: a fresh anonymous one.
    const failed = await guarded(() => session.end(outcome.kind === 'next'));
    return failed ?? outcome;
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
   * The state of a signed-in session, or why its sign-in is over: damaged (read as expired), or
   * already ended by a sign-out or an expiry that a saved-back copy hides.
   */
  function checkSignIn(session: SessionAccess, now: number): SignIn {
    const stored = storedState(session);
    const ended = endedReason(session, stored, now);
    if (ended !== undefined) return { ended, stored };
    return stored === 'invalid' ? { ended: 'idle', stored } : { ended: undefined, stored };
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
      if (session.read() !== undefined) await guarded(() => session.clear());
      return answer(isPing ? answers.anonymous() : signedOut());
    }
    const now = clock.now();
    if (!isPing) {
      debug('%s %s: signed out', facts.method, facts.path);
      bury(session, storedState(session), now, 'logout');
      return (await guarded(() => session.end(false))) ?? answer(signedOut());
    }

    const signIn = checkSignIn(session, now);
    if (signIn.ended !== undefined) {
      return endSignIn(facts, session, signIn.stored, signIn.ended, true);
    }
    // Expiry first: a ping must never revive an expired session.
    const current = decide(signIn.stored, now, undefined, options, randomId);
    if (current.outcome === 'expired') {
      return endSignIn(facts, session, signIn.stored, current.reason, true);
    }

    let state = current.state;
    let write = current.write;
    if (body?.kind === 'text') {
      const ping = parsePingBody(body.text);
      if (!ping.ok) return answer(answers.badRequest(ping.error));
      const merged = decide(state, now, now - ping.sinceActivitySeconds * 1000, options, randomId);
      if (merged.outcome === 'continue') {
        state = merged.state;
        write ||= merged.write;
      }
    }
    if (write) {
      const failed = await guarded(() => session.write(state));
      if (failed) return failed;
    }
    return answer(answers.active(statusOf(state, now, options)));
  }

  /** The answer of the library's explicit sign-out: anonymous now, and the browser's cache cleared. */
  function signedOut(): Answer {
    const signedOutAnswer = answers.signedOut();
    if (clearSiteData !== undefined) signedOutAnswer.headers['clear-site-data'] = clearSiteData;
    return signedOutAnswer;
  }

  /** Logs a request without a session, at most once a minute: a client can send many. */
  function reportMissingSession(now: number) {
    missingSessionsUnlogged++;
    if (now - lastMissingSessionLogMs < 60_000) return;
    logger.error(
      `session-security: ${missingSessionsUnlogged} request(s) had no session: mount the session middleware before session-security, and check its store`,
    );
    lastMissingSessionLogMs = now;
    missingSessionsUnlogged = 0;
  }

  /**
   * Starts the clock of a signed-in session that has none (its sign-in's first request), unless
   * its session id belongs to an ended sign-in. Every request that passes here, whatever its
   * answer, leaves a clock in its copy of the session: a copy saved back without one could
   * otherwise start a new clock for an ended sign-in once the memory of that end has lapsed.
   */
  async function ensureClock(session: SessionAccess): Promise<Outcome | undefined> {
    if (session.read() !== undefined) return undefined;
    const now = clock.now();
    if (endedReason(session, undefined, now) !== undefined) return undefined;
    return guarded(() => session.write({ lastActivity: now, startedAt: now, id: randomId() }));
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
    if (authenticated) {
      const failed = await ensureClock(session);
      if (failed) return failed;
    }
    if (facts.path === prefix || facts.path.startsWith(`${prefix}/`)) {
      return handleRoute(facts, session, authenticated);
    }
    if (!authenticated) {
      // An anonymous session keeps no clock, so the next sign-in starts a fresh one.
      if (session.read() !== undefined) return (await guarded(() => session.clear())) ?? NEXT;
      return NEXT;
    }

    const now = clock.now();
    const signIn = checkSignIn(session, now);
    if (signIn.ended !== undefined) {
      return endSignIn(facts, session, signIn.stored, signIn.ended, false);
    }
    const passive = isPassive(
      facts.req,
      facts.path,
      facts.header,
      options.passive,
      facts.appOrigin,
    );
    const decision = decide(signIn.stored, now, passive ? undefined : now, options, randomId);
    if (decision.outcome === 'expired') {
      return endSignIn(facts, session, signIn.stored, decision.reason, false);
    }
    if (decision.write) {
      debug('%s %s: activity recorded', facts.method, facts.path);
      return (await guarded(() => session.write(decision.state))) ?? NEXT;
    }
    return NEXT;
  }

  async function start(session: SessionAccess): Promise<void> {
    const now = clock.now();
    // An explicit new sign-in in a session whose earlier sign-in ended (a logout hook that kept
    // the session id): the session id is free again; the old marker stays ended.
    const sessionId = session.id();
    if (sessionId !== undefined) ended.delete(sessionKey(sessionId));
    await session.write({ lastActivity: now, startedAt: now, id: randomId() });
  }

  async function signOut(facts: RequestFacts<Req>, session: SessionAccess): Promise<void> {
    // The logout route's rule: a page elsewhere (a form, a beacon) must not sign users out.
    const crossOrigin = crossOriginReason(facts.header, facts.appOrigin, options.trustedOrigins);
    if (crossOrigin !== undefined) throw new SessionSecurityRequestError(403, crossOrigin);
    if (!session.exists()) return;
    debug('signed out by the app');
    bury(session, storedState(session), clock.now(), 'logout');
    await session.end(false);
  }

  function clientStatus(session: SessionAccess): ActiveStatus | undefined {
    const stored = session.exists() ? readState(session.read()) : undefined;
    if (stored === undefined || stored === 'invalid') return undefined;
    const now = clock.now();
    if (endedReason(session, stored, now) !== undefined) return undefined;
    const decision = decide(stored, now, undefined, options, randomId);
    return decision.outcome === 'continue' ? statusOf(decision.state, now, options) : undefined;
  }

  return { handle, start, signOut, clientStatus, clearSiteData };
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

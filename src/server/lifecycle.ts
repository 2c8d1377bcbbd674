// The request lifecycle of DESIGN §3, shared by every adapter: the library's routes and the
// policy for every other request, over a small SessionAccess. Holds no framework code.

import { debuglog } from 'node:util';
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

import { type AssetRoute, clientAssets, isAssetRoute } from './assets.js';

const debug = debuglog('session-security');

/** The result of reading a request body with a size limit. */
export type BodyRead = { tooLarge: true } | { tooLarge: false; text: string };

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
  /** Reads the body as text; reports `tooLarge` past `limitBytes` without buffering the rest. */
  readBody(limitBytes: number): Promise<BodyRead>;
}

/** How the lifecycle reaches the session of one request. */
export interface SessionAccess {
  /** False when the framework has no session for the request (its store failed). */
  exists(): boolean;
  /** The stored security state, as stored (validated by the lifecycle). */
  read(): unknown;
  write(state: SecurityState): void | Promise<void>;
  clear(): void | Promise<void>;
  /** Ends the session (the `logout` hook or the adapter's default) and drops the state. */
  end(): Promise<void>;
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
  function storedState(session: SessionAccess): SecurityState | undefined | 'invalid' {
    const stored = readState(session.read());
    if (stored === 'invalid') {
      logger.error('session-security: the stored security state is damaged; ending the session');
    }
    return stored;
  }

  async function expire(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    reason: 'idle' | 'absolute',
    forRoute: boolean,
  ): Promise<Outcome> {
    debug('%s %s: session expired (%s)', facts.method, facts.path, reason);
    const failed = await guarded(() => session.end());
    if (failed) return failed;
    if (forRoute || !isNavigation(facts.header)) return answer(answers.expired(reason));
    // Why 303: a POST that finds the session expired must come back as a GET of the login page.
    // The login page itself goes on: a sign-in posted with an expired cookie must work.
    if (options.loginUrl !== undefined && facts.path !== loginPath) {
      const next = returnPath(facts.method, facts.url, facts.header, facts.appOrigin);
      return { kind: 'redirect', location: loginLocation(options.loginUrl, next, reason) };
    }
    return NEXT; // a fresh anonymous session: the app's own authentication takes over
  }

  async function handleRoute(facts: RequestFacts<Req>, session: SessionAccess): Promise<Outcome> {
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
    if (body?.tooLarge) return answer(answers.tooLarge());

    if (!(await options.isAuthenticated(facts.req))) {
      if (session.read() !== undefined) await guarded(() => session.clear());
      return answer(isPing ? answers.anonymous() : answers.signedOut());
    }
    if (!isPing) {
      debug('%s %s: signed out', facts.method, facts.path);
      return (await guarded(() => session.end())) ?? answer(answers.signedOut());
    }

    const now = clock.now();
    const stored = storedState(session);
    if (stored === 'invalid') return expire(facts, session, 'idle', true);
    // Expiry first: a ping must never revive an expired session.
    const current = decide(stored, now, undefined, options, randomId);
    if (current.outcome === 'expired') return expire(facts, session, current.reason, true);

    let state = current.state;
    let write = current.write;
    if (body !== undefined) {
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

  async function handle(facts: RequestFacts<Req>, session: SessionAccess): Promise<Outcome> {
    if (!session.exists()) {
      logger.error(
        'session-security: the request has no session: mount the session middleware before session-security, and check its store',
      );
      return answer(answers.unavailable());
    }
    if (facts.path === prefix || facts.path.startsWith(`${prefix}/`)) {
      return handleRoute(facts, session);
    }
    if (!(await options.isAuthenticated(facts.req))) {
      // An anonymous session keeps no clock, so the next sign-in starts a fresh one.
      if (session.read() !== undefined) return (await guarded(() => session.clear())) ?? NEXT;
      return NEXT;
    }

    const now = clock.now();
    const stored = storedState(session);
    if (stored === 'invalid') return expire(facts, session, 'idle', false);
    const passive = isPassive(
      facts.req,
      facts.path,
      facts.header,
      options.passive,
      options.trustedOrigins,
    );
    const decision = decide(stored, now, passive ? undefined : now, options, randomId);
    if (decision.outcome === 'expired') return expire(facts, session, decision.reason, false);
    if (decision.write) {
      debug('%s %s: activity recorded', facts.method, facts.path);
      return (await guarded(() => session.write(decision.state))) ?? NEXT;
    }
    return NEXT;
  }

  async function start(session: SessionAccess): Promise<void> {
    const now = clock.now();
    await session.write({ lastActivity: now, startedAt: now, id: randomId() });
  }

  function clientStatus(session: SessionAccess): ActiveStatus | undefined {
    const stored = session.exists() ? readState(session.read()) : undefined;
    if (stored === undefined || stored === 'invalid') return undefined;
    const now = clock.now();
    const decision = decide(stored, now, undefined, options, randomId);
    return decision.outcome === 'continue' ? statusOf(decision.state, now, options) : undefined;
  }

  return { handle, start, clientStatus };
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

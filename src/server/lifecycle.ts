// The request lifecycle (README: What counts as activity, The ping protocol), shared by every
// adapter: the library's routes and the policy for every other request, over a small
// SessionAccess. Holds no framework code.

import { debuglog } from 'node:util';
import {
  SessionSecurityConfigError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
  SignInRefusedError,
} from '../core/errors.js';
import {
  describeFailure,
  type EventBase,
  type RefusedReason,
  type SessionSecurityEvent,
  type SignedOutEvent,
  type SignInLostEvent,
  type StoreFailedEvent,
} from '../core/events.js';
import { type ResolvedOptions, signInTimeouts } from '../core/options.js';
import {
  type ActiveStatus,
  deadlineOf,
  MAX_TIMEOUT_MS,
  markerOfStored,
  type SecurityState,
  type SignInFacts,
  statusOf,
  timeoutsOf,
} from '../core/policy.js';
import {
  type Answer,
  answers,
  clearSiteDataHeader,
  isJsonContentType,
  loginLocation,
  MAX_BODY_BYTES,
  namedSignIn,
  parsePingBody,
  ROUTES,
  type Route,
  SIGN_IN_HEADER,
} from '../core/protocol.js';
import {
  crossOriginReason,
  type HeaderGetter,
  isNavigation,
  isPassive,
  returnPath,
} from '../core/request.js';
import type { ActivityStore, RevokeTarget, SessionAccess, Touch } from '../core/store.js';
import { logThrottle } from '../core/throttle.js';
import type { EndReason } from '../core/tombstones.js';
import { describeUserAgent } from '../core/user-agent.js';
import { type AssetRoute, clientAssets, isAssetRoute } from './assets.js';
import { draftsConfig } from './drafts.js';
import { type ClientTagsOptions, renderClientTags } from './html.js';
import { jsonReply, NEXT, type Outcome, redirectReply } from './outcome.js';
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

export type { Outcome, Reply } from './outcome.js';

const answer = jsonReply;

/** One of a user's live sign-ins, as `signIns.list(req)` gives it. */
export interface SignInSummary {
  /** The sign-in's opaque marker: what `signIns.end(req, signIn)` takes. Never the session id. */
  signIn: string;
  /** When it started, in milliseconds since the epoch. */
  startedAt: number;
  /** Its latest activity, in milliseconds since the epoch. */
  lastActiveAt: number;
  /** A short browser and OS summary, e.g. "Firefox 133 on Linux". */
  device: string;
  /** Whether it is the sign-in of the request that asked. */
  current: boolean;
}

/**
 * A user's sign-ins, and ending them from elsewhere (OWASP ASVS 5.0 V7.4.5, V7.5.2). Needs the
 * `userId` option. An ended sign-in's next request is turned away (its tabs go to the login page
 * at their next ping). Ask for the password again before ending sessions.
 */
export interface SignInManagement<R> {
  /** The live sign-ins of the request's user, the current one marked. */
  list(req: R): Promise<SignInSummary[]>;
  /** Ends one of the request's user's sign-ins; false when the user has no such live sign-in. */
  end(req: R, signIn: string): Promise<boolean>;
  /** Ends every sign-in of the request's user ("sign out everywhere"); `keepCurrent` spares this one. Returns how many ended. */
  endAll(req: R, options?: { keepCurrent?: boolean }): Promise<number>;
  /** Ends every sign-in of a user, e.g. from an admin page or when the password changes. */
  endUser(userId: string): Promise<number>;
  /** Ends every sign-in of every user (after a breach). */
  endEveryone(): Promise<number>;
  /** Finds the sign-ins nobody came back to that are past their deadline now (runs every `sweepInterval` by itself). */
  sweep(): Promise<number>;
}

/** The lifecycle bound to one set of resolved options. */
export interface Lifecycle<Req> {
  /**
   * Decides one request; the adapter sends a reply as it is, or hands the request on. May answer
   * synchronously: await it either way.
   */
  handle(facts: RequestFacts<Req>, session: SessionAccess): Outcome | Promise<Outcome>;
  /** Whether a request that went on to the app needs {@link Lifecycle.settle} after the app's handler. */
  settles(session: SessionAccess): boolean;
  /**
   * After the app's handler, before the session is saved: starts the clock of a sign-in the
   * handler made without `start`. Never throws (a store failure is reported).
   *
   * @returns true when it wrote a clock into the session
   */
  settle(facts: RequestFacts<Req>, session: SessionAccess): Promise<boolean>;
  /** Starts the clock of a new sign-in: both times now, a new marker, the sign-in's own timeouts. */
  start(facts: RequestFacts<Req>, session: SessionAccess): Promise<void>;
  /**
   * Ends the sign-in for good (the app's own sign-out): no request in flight can bring it back;
   * no session is left.
   *
   * @returns the headers the app's answer must carry (`Clear-Site-Data`, per `clearSiteData`)
   * @throws SessionSecurityRequestError (403) when another origin made the request
   */
  signOut(
    facts: RequestFacts<Req>,
    session: SessionAccess,
  ): Promise<Readonly<Record<string, string>>>;
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
  /** The sign-in management for an adapter's own request type. */
  signIns<R>(
    reach: (r: R) => { req: Req; session: SessionAccess; facts: RequestFacts<Req> },
  ): SignInManagement<R>;
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
    options.store ??
    sessionObjectStore({
      now: () => clock.now(),
      logger,
      ...(options.signInMemory && {
        maxSignIns: options.signInMemory.total,
        maxSignInsPerUser: options.signInMemory.perUser,
      }),
    });
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
  // The default store reads a page's status back from the session at no cost (`peek`); only a
  // remote store needs the request's own step kept for it (setting a property on every request
  // costs more than the whole step of the default store).
  const keepsSteps = options.store !== undefined;
  const throttle = logThrottle();
  const loginPath =
    options.loginUrl?.startsWith('/') === true
      ? new URL(options.loginUrl, 'http://placeholder.invalid').pathname
      : undefined;
  const observed = options.onEvent !== undefined || options.metrics !== undefined;

  /** Hands an event to the hook and the metrics; neither is awaited, and neither can fail a request. */
  function emit(event: SessionSecurityEvent): void {
    if (!observed) return;
    try {
      options.metrics?.event(event);
    } catch (error) {
      hookFailed('the metrics recorder', error);
    }
    if (options.onEvent === undefined) return;
    try {
      const result = options.onEvent(event);
      if (result instanceof Promise) result.catch((error: unknown) => hookFailed('onEvent', error));
    } catch (error) {
      hookFailed('onEvent', error);
    }
  }

  /** Logs a failing hook or recorder, once per kind of failure a minute. */
  function hookFailed(what: string, error: unknown): void {
    const count = throttle(`${what}: ${describeFailure(error)}`, clock.now());
    if (count !== undefined) {
      logger.error(
        `session-security: ${what} failed (${count} time(s) since the last report)`,
        error,
      );
    }
  }

  function countPing(method: 'GET' | 'POST'): void {
    try {
      options.metrics?.ping(method);
    } catch (error) {
      hookFailed('the metrics recorder', error);
    }
  }

  /** What every event of a sign-in carries: its marker, and what was kept of it at sign-in. */
  function about(state: SignInFacts & { id: string }): Omit<EventBase, 'at'> & { signIn: string } {
    return {
      signIn: state.id,
      ...(state.userId !== undefined && { userId: state.userId }),
      ...(state.data !== undefined && { data: state.data }),
    };
  }

  /** The marker the session names, if any (for events about a request, never the session id). */
  function markerIn(session: SessionAccess): string | undefined {
    if (!session.exists()) return undefined;
    return markerOfStored(session.read());
  }

  /** Reports a request the library turned away (with the marker its session names, if any). */
  function reportRefused(
    facts: RequestFacts<Req>,
    session: SessionAccess | undefined,
    reason: RefusedReason,
  ): void {
    if (!observed) return;
    const signIn = session && markerIn(session);
    emit({
      type: 'refused',
      at: clock.now(),
      reason,
      method: facts.method,
      path: facts.path,
      ...(signIn !== undefined && { signIn }),
    });
  }

  /** Turns a request away: reported, then answered. */
  function refuse(
    facts: RequestFacts<Req>,
    session: SessionAccess | undefined,
    reason: RefusedReason,
    outcome: Answer,
  ): Outcome {
    reportRefused(facts, session, reason);
    return answer(outcome);
  }

  /** Runs a store operation; a failure is logged and answered 503, never a sign-out nor a pass. */
  async function guarded<T>(
    operation: () => T | Promise<T>,
    name: StoreFailedEvent['operation'],
  ): Promise<
    { ok: true; value: T } | { ok: false; outcome: Outcome; refused?: SignInRefusedError }
  > {
    try {
      return { ok: true, value: await operation() };
    } catch (error) {
      if (error instanceof SignInRefusedError) {
        // Not a failure: the store has no room for one more sign-in (reported as refused).
        signInRefused(undefined, error);
        return { ok: false, outcome: answer(refusedAnswer(error)), refused: error };
      }
      failed(name, error);
      return { ok: false, outcome: answer(answers.unavailable()) };
    }
  }

  /** A refused sign-in, as the request that met the refusal is answered. */
  function refusedAnswer(error: SignInRefusedError): Answer {
    return {
      status: error.status,
      headers: { ...error.headers },
      body: { status: 'error', error: error.message },
    };
  }

  /** Requests whose `start(req)` was refused: the sign-in they made is not saved. */
  const refusedRequests = new WeakSet<object>();

  /** Refusals already reported, with their user: a refusal is reported once on its way up. */
  const reportedRefusals = new WeakSet<SignInRefusedError>();

  /** Reports a new sign-in the library refused (the error `start` throws, or a sign-in ended at once). */
  function signInRefused(userId: string | undefined, error: SignInRefusedError): void {
    if (reportedRefusals.has(error)) return;
    reportedRefusals.add(error);
    emit({
      type: 'sign-in-refused',
      at: clock.now(),
      reason: error.reason,
      ...(userId !== undefined && { userId }),
    });
  }

  /**
   * Makes room for one more sign-in of `userId` under `maxSignInsPerUser`: ends the least
   * recently active ones (`replaced`), or refuses. Not atomic: sign-ins of one user made at the
   * same moment on several instances may each find room.
   *
   * @throws SignInRefusedError with `onMaxSignIns: 'refuse'`
   */
  async function limitSignIns(userId: string | undefined): Promise<void> {
    const max = options.maxSignInsPerUser;
    const { signIns: listOf, revoke } = store;
    if (max === undefined || userId === undefined || !listOf || !revoke) return;
    const live = await listOf.call(store, userId, options);
    const over = live.length - max + 1;
    if (over <= 0) return;
    if (options.onMaxSignIns === 'refuse') {
      throw new SignInRefusedError(
        'max-sign-ins',
        `this account already has ${live.length} sign-in(s), the most allowed (${max}): sign out of one of them first`,
      );
    }
    const oldest = live.sort((a, b) => a.lastActivity - b.lastActivity).slice(0, over);
    for (const signIn of oldest) {
      const ended = await revoke.call(store, { userId, signIn: signIn.id }, options);
      for (const state of ended) signedOutEvent(state, 'replaced');
    }
  }

  /**
   * Starts a new sign-in's clock through the store (`start`, or `prepare` for a sign-in made
   * without it), within `maxSignInsPerUser`. A refusal is reported and thrown.
   *
   * @throws SignInRefusedError, or the store's error
   */
  async function beginSignIn(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    how: 'start' | 'prepare',
  ): Promise<SecurityState | undefined> {
    const kept = await factsOf(facts);
    try {
      await limitSignIns(kept.userId);
      if (how === 'prepare') return await store.prepare?.(session, options, kept);
      const step = await store.start(session, options, kept);
      touched.set(facts.req, step);
      return step.state;
    } catch (error) {
      if (error instanceof SignInRefusedError) signInRefused(kept.userId, error);
      throw error;
    }
  }

  /**
   * A sign-in made without `start` that was refused: it never began, so its session is ended
   * (the app sees an anonymous visitor; `start` in its sign-in route would show the reason).
   */
  async function endRefusedSignIn(session: SessionAccess, keepSession: boolean) {
    return guarded(() => session.end(keepSession), 'session');
  }

  /**
   * Reports a sign-in the store lost (its record vanished before its deadline): an event each
   * time, one log line a minute, since a flush or eviction loses many at once.
   */
  function lost(signIn: string | undefined, foundBy: SignInLostEvent['foundBy']): void {
    if (signIn !== undefined) emit({ type: 'sign-in-lost', at: clock.now(), signIn, foundBy });
    const count = throttle(`lost: ${foundBy}`, clock.now());
    if (count === undefined) return;
    logger.error(
      foundBy === 'request'
        ? `session-security: ${count} sign-in(s) had no record in the store before their deadline (lost: the store evicted or lost data), and were signed out with reason lost; give Redis maxmemory-policy noeviction and persistence`
        : `session-security: ${count} ping(s) named a sign-in the store has no record of (lost, or ended more than graceSeconds ago), and were told reason lost`,
    );
  }

  /** Reports a store failure: one log line per kind of failure a minute, an event each time. */
  function failed(name: StoreFailedEvent['operation'], error: unknown): void {
    const kind = describeFailure(error);
    emit({ type: 'store-failed', at: clock.now(), operation: name, error: kind });
    const count = throttle(`store: ${kind}`, clock.now());
    if (count !== undefined) {
      logger.error(
        `session-security: the store failed (${count} request(s) answered 503 since the last report of this failure)`,
        error,
      );
    }
  }

  /**
   * What a new sign-in keeps: its own timeouts (per-user options), its user, the app's event
   * data and a browser summary. A per-user value that breaks the rules gives the static values.
   */
  async function factsOf(facts: RequestFacts<Req>): Promise<SignInFacts> {
    const kept: SignInFacts = {};
    if (options.perUser) {
      const own = await signInTimeouts(facts.req, options);
      if (own.error !== undefined) {
        logger.error(
          `session-security: ${own.error}; this sign-in keeps the static timeouts (expireAfter ${options.expireAfterMs / 1000} s, warnAfter ${options.warnAfterMs / 1000} s, absoluteTimeout ${options.absoluteTimeoutMs / 1000} s)`,
        );
      }
      kept.timeouts = own.timeouts;
    }
    if (options.userId) {
      const userId = options.userId(facts.req);
      if (typeof userId === 'string' && userId !== '') kept.userId = userId;
      else {
        logger.error(
          `session-security: userId(req) returned ${typeof userId === 'string' ? 'an empty string' : typeof userId} at sign-in, not a user id; this sign-in is left out of the user's list of sign-ins`,
        );
      }
      kept.agent = describeUserAgent(facts.header('user-agent'));
    }
    if (options.eventData) {
      const data = eventDataOf(options.eventData, facts.req);
      if (typeof data === 'string')
        logger.error(`session-security: ${data}; it is left out of the events`);
      else kept.data = data;
    }
    return kept;
  }

  function signedIn(state: SecurityState): void {
    if (!observed) return;
    const t = timeoutsOf(state, options);
    emit({
      type: 'signed-in',
      at: clock.now(),
      ...about(state),
      expireAfter: t.expireAfterMs / 1000,
      warnAfter: t.warnAfterMs / 1000,
      absoluteTimeout: t.absoluteTimeoutMs / 1000,
    });
  }

  function expired(
    state: SecurityState,
    reason: 'idle' | 'absolute',
    foundBy: 'request' | 'sweep',
  ) {
    if (!observed) return;
    const endedAt = deadlineOf(state, timeoutsOf(state, options));
    emit({
      type: 'expired',
      at: clock.now(),
      ...about(state),
      reason,
      idleSeconds: Math.max(0, endedAt - state.lastActivity) / 1000,
      lengthSeconds: Math.max(0, endedAt - state.startedAt) / 1000,
      endedAt,
      foundBy,
    });
  }

  function signedOutEvent(state: SecurityState | undefined, how: SignedOutEvent['how']): void {
    if (!observed || state === undefined) return;
    const at = clock.now();
    const lengthSeconds = Math.max(0, at - state.startedAt) / 1000;
    emit({ type: 'signed-out', at, ...about(state), how, lengthSeconds });
  }

  /** One step on the store for a signed-in request, remembered for the page's client config. */
  async function touch(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    offsetMs?: number,
    withFacts = false,
  ) {
    const result = await guarded(() => store.touch(session, offsetMs, options, withFacts), 'touch');
    if (result.ok && keepsSteps) touched.set(facts.req, result.value);
    return result;
  }

  /**
   * Ends the session of a sign-in that is over (`reason` says why; the store has recorded it)
   * and answers the request.
   */
  async function endSession(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    step: Touch & { kind: 'ended' },
    forRoute: boolean,
  ): Promise<Outcome> {
    const { reason } = step;
    debug('%s %s: sign-in ended (%s)', facts.method, facts.path, reason);
    if (step.found && (reason === 'idle' || reason === 'absolute')) {
      expired(step.found, reason, 'request');
    } else if (reason === 'lost') {
      lost(markerIn(session), 'request');
    } else if (reason === 'logout' || reason === 'revoked') {
      // The cookie of a sign-in that was signed out came back: a tab left open, or a replay.
      reportRefused(facts, session, 'ended-sign-in');
    }
    touched.delete(facts.req);
    const outcome = endedOutcome(facts, reason, forRoute);
    // The app goes on only after a NEXT, and then needs a session: a fresh anonymous one.
    const ended = await guarded(() => session.end(outcome.kind === 'next'), 'session');
    return ended.ok ? outcome : ended.outcome;
  }

  /** What a request whose sign-in ended gets: an expiry is told to the client; after a sign-out it goes on as anonymous. */
  function endedOutcome(facts: RequestFacts<Req>, reason: EndReason, forRoute: boolean): Outcome {
    if (reason === 'logout') return forRoute ? answer(answers.anonymous('logout')) : NEXT;
    if (forRoute || !isNavigation(facts.header)) return answer(answers.expired(reason));
    // Why 303: a POST that finds the session expired must come back as a GET of the login page.
    // The login page itself goes on: a sign-in posted with an expired cookie must work.
    if (options.loginUrl !== undefined && facts.path !== loginPath) {
      const next = returnPath(facts.method, facts.url, facts.header, facts.appOrigin);
      return redirectReply(loginLocation(options.loginUrl, next, reason));
    }
    return NEXT; // a fresh anonymous session: the app's own authentication takes over
  }

  /**
   * Sign-outs the store failed to record (Redis stalled), by marker: kept in this process, which
   * refuses their sign-ins meanwhile, and tried again every second until the store answers. What
   * remains: another instance knows nothing of them until then, and they are lost if this process
   * dies first (the browser client, which tries the sign-out again itself, then carries it).
   */
  const pendingSignOuts = new Map<string, string | undefined>();
  let retryingSignOuts: ReturnType<typeof setInterval> | undefined;
  let retryRunning = false;

  /** Keeps the sign-out of this session's sign-in until the store records it. */
  function holdSignOut(session: SessionAccess): void {
    const marker = markerIn(session);
    if (marker === undefined || pendingSignOuts.has(marker)) return;
    pendingSignOuts.set(marker, session.id());
    logger.error(
      `session-security: a sign-out could not be recorded (the store failed); this process refuses that sign-in and tries again every second (${pendingSignOuts.size} waiting)`,
    );
    retryingSignOuts ??= setInterval(() => void retrySignOuts(), 1000);
    retryingSignOuts.unref?.();
  }

  async function retrySignOuts(): Promise<void> {
    if (retryRunning) return;
    retryRunning = true;
    try {
      for (const [marker, sessionId] of pendingSignOuts) {
        // The store needs the sign-in's marker (and the default store the session id) only.
        const held: SessionAccess = {
          exists: () => true,
          id: () => sessionId,
          read: () => ({ id: marker }),
          write: () => undefined,
          clear: () => undefined,
          end: async () => undefined,
        };
        const state = await store.end(held, 'logout', options);
        pendingSignOuts.delete(marker);
        signedOutEvent(state, 'logout');
      }
    } catch {
      // Still failing: the next round tries again.
    } finally {
      retryRunning = false;
      if (pendingSignOuts.size === 0 && retryingSignOuts !== undefined) {
        clearInterval(retryingSignOuts);
        retryingSignOuts = undefined;
      }
    }
  }

  /**
   * Ends a sign-in on purpose (the logout route): the store remembers it as ended first, then
   * the session goes, even when the store failed (then the sign-out is held, and the answer is
   * 503: the client tries again).
   */
  async function signOutSession(req: Req, session: SessionAccess): Promise<Outcome | undefined> {
    touched.delete(req);
    const recorded = await guarded(() => store.end(session, 'logout', options), 'end');
    // Not recorded (the store failed): held in this process until the store answers, the
    // session ended all the same, and the answer 503, so that the client tries again.
    if (recorded.ok) signedOutEvent(recorded.value, 'logout');
    else holdSignOut(session);
    const ended = await guarded(() => session.end(false), 'session');
    if (!recorded.ok) return recorded.outcome;
    return ended.ok ? undefined : ended.outcome;
  }

  async function handleRoute(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    authenticated: boolean,
  ): Promise<Outcome> {
    const route = facts.path.slice(prefix.length);
    if (!Object.hasOwn(ROUTES, route)) {
      return refuse(facts, session, 'not-found', answers.notFound(facts.path));
    }
    const allowed: readonly string[] = ROUTES[route as Route];
    if (!allowed.includes(facts.method)) {
      const refusal = answers.methodNotAllowed(route as Route, facts.method);
      return refuse(facts, session, 'method-not-allowed', refusal);
    }
    const crossOrigin = crossOriginReason(facts.header, facts.appOrigin, options.trustedOrigins);
    if (crossOrigin !== undefined) {
      return refuse(facts, session, 'cross-origin', answers.forbidden(crossOrigin));
    }

    if (isAssetRoute(route)) return serveAsset(facts, route);

    const isPing = route === '/ping';
    if (isPing) countPing(facts.method as 'GET' | 'POST');
    const readsBody = isPing && facts.method === 'POST';
    // Why JSON only: a cross-site HTML form cannot send application/json without a preflight.
    if (readsBody && !isJsonContentType(facts.header('content-type'))) {
      const refusal = answers.unsupportedMediaType(facts.header('content-type'));
      return refuse(facts, session, 'unsupported-media-type', refusal);
    }
    const body = readsBody ? await facts.readBody(MAX_BODY_BYTES) : undefined;
    if (body?.kind === 'tooLarge') {
      return refuse(facts, session, 'body-too-large', answers.tooLarge());
    }
    if (body?.kind === 'aborted') {
      debug('%s %s: the client gave up sending its body', facts.method, facts.path);
      return answer(answers.badRequest('the body was cut off before its end'));
    }

    if (!authenticated) {
      if (session.read() !== undefined) {
        const cleared = await guarded(() => session.clear(), 'session');
        if (!cleared.ok) return cleared.outcome;
      }
      return answer(isPing ? await anonymousPing(facts) : signedOut());
    }
    if (!isPing) {
      debug('%s %s: signed out', facts.method, facts.path);
      return (await signOutSession(facts.req, session)) ?? answer(signedOut());
    }

    const ping = body?.kind === 'text' ? parsePingBody(body.text) : undefined;
    // Expiry first, in the same step: a ping must never revive an expired session. A
    // malformed ping records nothing, but an expired session is still told so (401 before 400).
    // At most MAX_TIMEOUT_MS: a live sign-in saw activity less than its idle limit (a year at
    // most) ago, so input from longer ago changes nothing, and every store gets a finite offset
    // (1e306 s is Infinity in ms: a store refusing it would answer 503, a fake outage).
    const offsetMs = ping?.ok
      ? Math.min(ping.sinceActivitySeconds * 1000, MAX_TIMEOUT_MS)
      : undefined;
    const extend = observed && ping?.ok === true && ping.extend;
    const step = await touch(facts, session, offsetMs, extend);
    if (!step.ok) return step.outcome;
    if (step.value.kind === 'ended') return endSession(facts, session, step.value, true);
    if (ping?.ok === false) {
      return refuse(facts, session, 'bad-request', answers.badRequest(ping.error));
    }
    const { state, nowMs } = step.value;
    if (extend) emit({ type: 'extended', at: clock.now(), ...about(state) });
    return answer(answers.active(statusOf(state, nowMs, options)));
  }

  /**
   * An anonymous ping, told how the sign-in its page names ended when the store remembers it:
   * after a sign-out in another tab (whose new cookie this tab now sends) the answer says
   * `logout`, and every tab deletes its drafts; after an expiry they keep them.
   */
  async function anonymousPing(facts: RequestFacts<Req>): Promise<Answer> {
    const marker = namedSignIn(facts.header(SIGN_IN_HEADER));
    if (marker === undefined || !store.endedReason) return answers.anonymous();
    let reason: EndReason | undefined;
    try {
      reason = await store.endedReason(marker);
    } catch (error) {
      // Only the reason is missing: the answer is the same anonymous one without it.
      debug(
        '%s %s: the store could not say how the sign-in ended: %s',
        facts.method,
        facts.path,
        error,
      );
    }
    if (reason === undefined) return answers.anonymous();
    if (reason === 'lost') lost(marker, 'ping');
    return reason === 'logout' ? answers.anonymous('logout') : answers.expired(reason);
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

  /** Runs the sweep every `sweepInterval`, from the first sign-in on; the timer never keeps the process alive. */
  let sweeping: ReturnType<typeof setInterval> | undefined;
  function sweepSoon(): void {
    if (sweeping !== undefined || options.sweepIntervalMs === 0 || !store.sweep) return;
    sweeping = setInterval(() => void sweep().catch(() => undefined), options.sweepIntervalMs);
    sweeping.unref?.();
  }

  async function sweep(): Promise<number> {
    const sweepIn = store.sweep?.bind(store);
    if (!sweepIn) return 0;
    const swept = await reported('sweep', () => sweepIn(options));
    for (const { state, reason } of swept) expired(state, reason, 'sweep');
    return swept.length;
  }

  /** Runs a store operation for the app (not for a request): a failure is reported, then thrown. */
  async function reported<T>(name: StoreFailedEvent['operation'], operation: () => Promise<T>) {
    try {
      return await operation();
    } catch (error) {
      failed(name, error);
      throw error;
    }
  }

  async function handle(facts: RequestFacts<Req>, session: SessionAccess): Promise<Outcome> {
    if (!session.exists()) {
      // A target that is not a path (`OPTIONS *`) gets no session from any framework, and
      // reaches no page to protect.
      if (!facts.url.startsWith('/')) return NEXT;
      reportMissingSession(clock.now());
      return refuse(facts, undefined, 'no-session', answers.unavailable());
    }
    if (pendingSignOuts.size > 0) {
      const marker = markerIn(session);
      if (marker !== undefined && pendingSignOuts.has(marker)) {
        // Signed out while the store failed: over here, whatever the store still says.
        const isRoute = facts.path === prefix || facts.path.startsWith(`${prefix}/`);
        return endSession(facts, session, { kind: 'ended', reason: 'logout' }, isRoute);
      }
    }
    let authenticated = await options.isAuthenticated(facts.req);
    // A sign-in without a clock (the app did not call start()) starts one here; a session that
    // holds one (every other request) costs no call.
    if (authenticated && store.prepare && session.read() === undefined) {
      const prepared = await guarded(() => beginSignIn(facts, session, 'prepare'), 'prepare');
      if (prepared.ok && prepared.value !== undefined) {
        signedIn(prepared.value);
        sweepSoon();
      } else if (!prepared.ok && prepared.refused && prepared.refused.reason !== 'memory-full') {
        // Refused for this user: the sign-in never began; the request goes on anonymous. (A full
        // process answers 503 instead: its sign-ins are not refused for good.)
        const ended = await endRefusedSignIn(session, true);
        if (!ended.ok) return ended.outcome;
        authenticated = false;
      } else if (!prepared.ok) return prepared.outcome;
    }
    const isRoute = facts.path === prefix || facts.path.startsWith(`${prefix}/`);
    if (isRoute) {
      return handleRoute(facts, session, authenticated);
    }
    if (!authenticated) {
      // An anonymous session keeps no clock, so the next sign-in starts a fresh one.
      if (session.read() === undefined) return NEXT;
      const cleared = await guarded(() => session.clear(), 'session');
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
    if (step.value.kind === 'ended') return endSession(facts, session, step.value, false);
    if (debug.enabled)
      debug('%s %s: %s', facts.method, facts.path, passive ? 'passive' : 'activity');
    return NEXT;
  }

  /**
   * Whether a request that went on to the app may have signed the user in without a clock: its
   * session holds none (anonymous, or its sign-in ended in this request). Only then do adapters
   * call {@link settle}, after the app's handler; a signed-in request costs nothing more.
   */
  function settles(session: SessionAccess): boolean {
    return store.prepare !== undefined && session.exists() && session.read() === undefined;
  }

  /**
   * After the app's handler, before the session is saved: a request that signed the user in
   * without `start(req)` starts its clock now. Otherwise the clock would start at the sign-in's
   * first later request: a cookie unused for a month would then come back as a fresh sign-in,
   * its absolute timeout counted from then. A store failure is reported; the next request tries
   * again.
   *
   * @returns true when it started a clock in the session (the adapter saves the session then, if
   *   the framework saved it already)
   */
  async function settle(facts: RequestFacts<Req>, session: SessionAccess): Promise<boolean> {
    try {
      if (!settles(session) || !(await options.isAuthenticated(facts.req))) return false;
      if (refusedRequests.has(facts.req)) {
        // start(req) was refused in this request (and reported): the sign-in is not saved.
        await endRefusedSignIn(session, true);
        return false;
      }
      const prepared = await guarded(() => beginSignIn(facts, session, 'prepare'), 'prepare');
      if (prepared.ok) {
        if (prepared.value === undefined) return false;
        signedIn(prepared.value);
        sweepSoon();
        return true;
      }
      // Refused (or the store failed): no sign-in is saved without its clock.
      await endRefusedSignIn(session, true);
      return false;
    } catch (error) {
      // The app's answer is already made: the next request starts the clock instead.
      hookFailed('starting the clock after the handler', error);
      return false;
    }
  }

  async function start(facts: RequestFacts<Req>, session: SessionAccess): Promise<void> {
    let state: SecurityState | undefined;
    try {
      state = await beginSignIn(facts, session, 'start');
    } catch (error) {
      if (error instanceof SignInRefusedError) {
        refusedRequests.add(facts.req);
        throw error;
      }
      // Reported once a minute here; the app answers the typed error 503, with no stack trace.
      failed('start', error);
      throw new SessionStoreUnavailableError('start', describeFailure(error), { cause: error });
    }
    if (state !== undefined) signedIn(state);
    sweepSoon();
  }

  /**
   * The logout route's rule for every sign-out the app makes on a request (`signOut`, and ending
   * sign-ins): a page elsewhere (a form, a beacon) must not sign users out.
   *
   * @throws SessionSecurityRequestError (403) for a request from another origin
   */
  function refuseCrossOrigin(facts: RequestFacts<Req>, session: SessionAccess): void {
    const crossOrigin = crossOriginReason(facts.header, facts.appOrigin, options.trustedOrigins);
    if (crossOrigin === undefined) return;
    reportRefused(facts, session, 'cross-origin');
    throw new SessionSecurityRequestError(403, crossOrigin);
  }

  /** What the answer to the app's own sign-out carries: the browser's cache cleared. */
  const signOutHeaders: Readonly<Record<string, string>> = Object.freeze(
    clearSiteData === undefined
      ? ({} as Record<string, string>)
      : { 'clear-site-data': clearSiteData },
  );

  async function signOut(facts: RequestFacts<Req>, session: SessionAccess) {
    await endSignIn(facts, session);
    return signOutHeaders;
  }

  async function endSignIn(facts: RequestFacts<Req>, session: SessionAccess): Promise<void> {
    refuseCrossOrigin(facts, session);
    if (!session.exists()) return;
    debug('signed out by the app');
    touched.delete(facts.req);
    // An anonymous session without a clock has no sign-in to remember as ended: anybody can make
    // such sessions, and each would take a place in the default store's memory.
    if (session.read() === undefined && !(await options.isAuthenticated(facts.req))) {
      await session.end(false);
      return;
    }
    let state: SecurityState | undefined;
    try {
      state = await store.end(session, 'logout', options);
    } catch (error) {
      failed('end', error);
      // The user asked to leave: held until the store answers, the session ended all the same.
      holdSignOut(session);
      await session.end(false);
      throw new SessionStoreUnavailableError('end', describeFailure(error), { cause: error });
    }
    signedOutEvent(state, 'logout');
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

  /** The store's sign-in methods, or a clear error naming what is missing. */
  function management() {
    const { signIns, revoke } = store;
    if (!signIns || !revoke) {
      throw new SessionSecurityConfigError(
        'store',
        'the store keeps no list of sign-ins (it has no signIns and revoke methods): use the default store or redisStore',
      );
    }
    return { signIns: signIns.bind(store), revoke: revoke.bind(store) };
  }

  /** The request's user, or a 401 for a request that is not signed in. */
  async function userOf(req: Req): Promise<string> {
    if (!options.userId) {
      throw new SessionSecurityConfigError(
        'userId',
        "listing and ending a user's sign-ins needs the userId option: (req) => string giving the signed-in user's id",
      );
    }
    if (!(await options.isAuthenticated(req))) {
      throw new SessionSecurityRequestError(401, 'the request is not signed in');
    }
    const userId = options.userId(req);
    if (typeof userId !== 'string' || userId === '') {
      throw new SessionSecurityRequestError(401, 'userId(req) gave no user id for this request');
    }
    return userId;
  }

  /** Ends sign-ins from elsewhere, in one pass over the store's index (one walk, never one per sign-in). */
  async function revoke(target: RevokeTarget): Promise<number> {
    const { revoke: revokeIn } = management();
    const ended = await reported('end', () => revokeIn(target, options));
    for (const state of ended) signedOutEvent(state, 'revoked');
    return ended.length;
  }

  function signIns<R>(
    reach: (r: R) => { req: Req; session: SessionAccess; facts: RequestFacts<Req> },
  ): SignInManagement<R> {
    return {
      async list(r) {
        const { req, session } = reach(r);
        const userId = await userOf(req);
        const current = markerIn(session);
        const { signIns: listOf } = management();
        const records = await reported('list', () => listOf(userId, options));
        return records
          .map((record) => ({
            signIn: record.id,
            startedAt: record.startedAt,
            lastActiveAt: record.lastActivity,
            device: record.agent ?? describeUserAgent(undefined),
            current: record.id === current,
          }))
          .sort((a, b) => b.lastActiveAt - a.lastActiveAt);
      },
      async end(r, signIn) {
        const { req, session, facts } = reach(r);
        refuseCrossOrigin(facts, session);
        if (typeof signIn !== 'string' || signIn === '') return false;
        return (await revoke({ userId: await userOf(req), signIn })) > 0;
      },
      async endAll(r, endOptions) {
        const { req, session, facts } = reach(r);
        refuseCrossOrigin(facts, session);
        const userId = await userOf(req);
        const current = endOptions?.keepCurrent ? markerIn(session) : undefined;
        return revoke(current === undefined ? { userId } : { userId, except: current });
      },
      async endUser(userId) {
        if (typeof userId !== 'string' || userId === '') {
          throw new TypeError(
            `session-security: endUser(userId) needs a user id, got ${typeof userId}`,
          );
        }
        return revoke({ userId });
      },
      endEveryone: () => revoke({ everyone: true }),
      sweep,
    };
  }

  return {
    handle,
    settles,
    settle,
    start,
    signOut,
    clientStatus,
    clientTags,
    signIns,
  };
}

/** The most JSON that `eventData` may attach to a sign-in: it is kept with the sign-in. */
const MAX_EVENT_DATA_BYTES = 1024;

/** The app's event data for a sign-in, or why it cannot be kept. */
function eventDataOf<Req>(
  eventData: (req: Req) => unknown,
  req: Req,
): NonNullable<SignInFacts['data']> | string {
  let data: unknown;
  try {
    data = eventData(req);
  } catch (error) {
    return `eventData(req) threw (${describeFailure(error)})`;
  }
  const flat =
    data !== null &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    Object.values(data).every(
      (v) => v === null || ['string', 'boolean'].includes(typeof v) || Number.isFinite(v),
    );
  if (!flat) {
    return 'eventData(req) must return an object of strings, finite numbers, booleans and nulls';
  }
  const size = new TextEncoder().encode(JSON.stringify(data)).length;
  if (size > MAX_EVENT_DATA_BYTES) {
    return `eventData(req) returned ${size} bytes of JSON, more than ${MAX_EVENT_DATA_BYTES}`;
  }
  return data as NonNullable<SignInFacts['data']>;
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
  if (facts.header('if-none-match') === etag) {
    return { kind: 'reply', status: 304, headers, body: null };
  }
  return { kind: 'reply', status: 200, headers, body: facts.method === 'HEAD' ? null : asset.body };
}

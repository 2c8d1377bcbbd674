// The request lifecycle (ARCHITECTURE.md, "A request's path"), shared by every adapter: the
// library's routes and the policy for every other request, over a small SessionAccess. Holds no
// framework code.

import {
  RecentSignInRequiredError,
  SessionStoreUnavailableError,
  SignInRefusedError,
} from '../core/errors.js';
import { describeFailure } from '../core/events.js';
import type { ResolvedOptions } from '../core/options.js';
import { type ActiveStatus, MAX_TIMEOUT_MS, type SecurityState, statusOf } from '../core/policy.js';
import { answers } from '../core/protocol.js';
import { type HeaderGetter, type PassiveWhy, passiveWhy } from '../core/request.js';
import type { SignInManagement } from '../core/sign-ins.js';
import type { ActivityStore, SessionAccess, Touch } from '../core/store.js';
import { debug } from './debug.js';
import { pageDrafts } from './drafts.js';
import { type ClientTagsOptions, renderClientTags } from './html.js';
import { type Core, coreOf } from './lifecycle/core.js';
import { HeldSignOuts } from './lifecycle/held-sign-outs.js';
import { type HoldOptions, holdWhile } from './lifecycle/leases.js';
import { crossOriginRefusal, signInManagement, sweeper } from './lifecycle/management.js';
import { type Guarded, Report } from './lifecycle/report.js';
import { routeHandler } from './lifecycle/routes.js';
import { beginSignIn } from './lifecycle/sign-in.js';
import { endSession, loginFor, refuse, touch } from './lifecycle/steps.js';
import { isPromise, type Maybe } from './maybe.js';
import { NEXT, type Outcome } from './outcome.js';
import { sessionObjectStore } from './store.js';

export type { SessionAccess } from '../core/store.js';

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

export type { SignInManagement, SignInSummary } from '../core/sign-ins.js';
export type { Outcome, Reply } from './outcome.js';

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
  /**
   * Hands a request the lifecycle passed on to the rest of a middleware chain that can be
   * awaited (`next` resolves once the app has answered: Koa, Hono), then settles it, before the
   * session middleware saves the session on its way back.
   */
  passOn(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    next: () => Promise<unknown>,
  ): Promise<void>;
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
   * Remembers the sign-in of a session as ended when its session library ends the session
   * itself (a sign-out or a revocation made by the library, e.g. better-auth's), so that no copy
   * of it comes back: the session is not ended here, and no origin is checked.
   *
   * @throws SessionStoreUnavailableError when the store failed (the sign-out is then held in
   *   this process's memory)
   */
  endSignIn(session: SessionAccess, how: 'logout' | 'revoked'): Promise<void>;
  /** The headers a sign-out's answer carries (`Clear-Site-Data`, per `clearSiteData`). */
  readonly signOutHeaders: Readonly<Record<string, string>>;
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
  /**
   * Runs `work` under a lease on the request's sign-in (src/server/lifecycle/leases.ts): it holds
   * the sign-in while the work runs, `maxSeconds` at most.
   */
  hold<T>(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    work: Promise<T> | (() => Promise<T>),
    options: HoldOptions,
  ): Promise<T>;
  /**
   * Throws a {@link RecentSignInRequiredError} unless the request's sign-in began less than
   * `maxAgeSeconds` ago (its `startedAt`, reset by every new sign-in, the lock's included).
   *
   * @throws TypeError when `maxAgeSeconds` is not a number of seconds above 0
   */
  requireRecentSignIn(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    maxAgeSeconds: number,
  ): Promise<void>;
  /** The sign-in management for an adapter's own request type. */
  signIns<R>(
    reach: (r: R) => { req: Req; session: SessionAccess; facts: RequestFacts<Req> },
  ): SignInManagement<R>;
}

/**
 * Binds the lifecycle to resolved options: the parts in src/server/lifecycle/ (the report, the
 * library's routes and their order of checks, beginning a sign-in, the sign-outs held while the
 * store fails, the sign-in management), composed over one store.
 *
 * @example
 * ```ts
 * import { resolveOptions } from 'session-security/adapter';
 *
 * const lifecycle = createLifecycle(resolveOptions({ isAuthenticated, drafts: false }));
 * const outcome = await lifecycle.handle(facts, session); // { kind: 'next' } for an anonymous request
 * ```
 */
export function createLifecycle<Req extends object>(options: ResolvedOptions<Req>): Lifecycle<Req> {
  return new RequestLifecycle(options);
}

/** The lifecycle of createLifecycle: its parts, composed over one store. */
class RequestLifecycle<Req extends object> implements Lifecycle<Req> {
  private readonly core: Core<Req>;
  private readonly held: HeldSignOuts;
  private readonly handleRoute: ReturnType<typeof routeHandler<Req>>;
  private readonly sweep: ReturnType<typeof sweeper<Req>>;
  /** Requests whose `start(req)` was refused: the sign-in they made is not saved. */
  private readonly refusedRequests = new WeakSet<object>();
  /** Whether the first request's session was looked at for a cookie-held session. */
  private sessionKindChecked = false;

  constructor(private readonly options: ResolvedOptions<Req>) {
    const { clock, logger } = options;
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
    const report = new Report(options as ResolvedOptions<never>);
    this.core = coreOf(options, store, report);
    this.held = new HeldSignOuts(store, options as ResolvedOptions<never>, report);
    this.handleRoute = routeHandler(this.core, this.held, (facts, session) =>
      this.start(facts, session),
    );
    this.sweep = sweeper(this.core);
  }

  private isRoute(path: string): boolean {
    const { prefix } = this.options;
    return path === prefix || path.startsWith(`${prefix}/`);
  }

  /**
   * A sign-in made without `start` that was refused: it never began, so its session is ended
   * (the app sees an anonymous visitor; `start` in its sign-in route would show the reason).
   */
  private endRefusedSignIn(session: SessionAccess) {
    return this.core.report.guarded(() => session.end(true), 'session');
  }

  /** Starts the clock of a signed-in session that has none (the app did not call start()). */
  private async prepare(facts: RequestFacts<Req>, session: SessionAccess) {
    const { core } = this;
    const prepared = await core.report.guarded(
      () => beginSignIn(core, facts, session, 'prepare'),
      'prepare',
    );
    if (prepared.ok && prepared.value !== undefined) {
      core.report.signedIn(prepared.value);
      this.sweep.soon();
    }
    return prepared;
  }

  /**
   * Decides one request. Synchronous as long as everything it calls is (`isAuthenticated`, the
   * store's step and the session's writes): a page request of a signed-in session with the
   * default store allocates no promise.
   */
  handle(facts: RequestFacts<Req>, session: SessionAccess): Maybe<Outcome> {
    const { core, options } = this;
    if (!session.exists()) {
      // A target that is not a path (`OPTIONS *`) gets no session from any framework, and
      // reaches no page to protect.
      if (!facts.url.startsWith('/')) return NEXT;
      core.report.missingSession();
      return refuse(core, facts, undefined, 'no-session', answers.unavailable());
    }
    if (!this.sessionKindChecked) this.checkSessionKind(session);
    if (this.held.holds(session)) {
      // Signed out while the store failed: over here, whatever the store still says.
      const ended = { kind: 'ended', reason: 'logout' } as const;
      return endSession(core, facts, session, ended, this.isRoute(facts.path));
    }
    const authenticated = options.isAuthenticated(facts.req);
    return isPromise(authenticated)
      ? authenticated.then((known) => this.handleKnown(facts, session, known))
      : this.handleKnown(facts, session, authenticated);
  }

  /**
   * Once, at the first request with a session: a session kept whole in its cookie, with the
   * default store, weakens sign-out (docs/guide/behaviour.md: Cookie-held sessions). Said once, not refused.
   */
  private checkSessionKind(session: SessionAccess): void {
    this.sessionKindChecked = true;
    const held = session.cookieHeld?.();
    if (held === undefined || this.options.store !== undefined) return;
    this.options.logger.warn(
      `session-security: ${held}. A sign-out then cannot delete a copy of the cookie taken before it (another tab, a request in flight, a thief): only this process remembers the sign-out, until it restarts. Keep sessions on the server (give the session middleware a store), or keep the sign-in clocks in Redis (session-security/redis); see "Cookie-held sessions" in the docs (docs/guide/behaviour.md)`,
    );
  }

  /** {@link handle} once it is known whether the request is signed in. */
  private handleKnown(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    authenticated: boolean,
    prepared = false,
  ): Maybe<Outcome> {
    // A sign-in without a clock (the app did not call start()) starts one here; a session that
    // holds one (every other request) costs no call.
    if (!prepared && authenticated && this.core.store.prepare && session.read() === undefined) {
      return this.handlePrepared(facts, session);
    }
    if (this.isRoute(facts.path)) return this.handleRoute(facts, session, authenticated);
    if (!authenticated) {
      // An anonymous session keeps no clock, so the next sign-in starts a fresh one.
      if (session.read() === undefined) return NEXT;
      return this.clearAnonymous(session);
    }
    const { core, options } = this;
    const why = passiveWhy(facts.req, facts.path, facts.header, options.passive, facts);
    const step = touch(core, facts, session, why === undefined ? 0 : undefined);
    return isPromise(step)
      ? step.then((result) => this.stepped(facts, session, result, why))
      : this.stepped(facts, session, step, why);
  }

  /** A signed-in request after its step: on to the app, or its session ended. */
  private stepped(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    result: Guarded<Touch>,
    passive: PassiveWhy | undefined,
  ): Maybe<Outcome> {
    if (!result.ok) return result.outcome;
    const step = result.value;
    if (step.kind === 'ended') return endSession(this.core, facts, session, step, false);
    if (this.options.trace)
      this.core.report.traced(facts, step.state, step.nowMs, passive ?? 'request');
    if (debug.enabled) debug('%s %s: %s', facts.method, facts.path, passive ?? 'activity');
    return NEXT;
  }

  /** A signed-in request whose session holds no clock: started here, then handled. */
  private async handlePrepared(facts: RequestFacts<Req>, session: SessionAccess) {
    let authenticated = true;
    const prepared = await this.prepare(facts, session);
    if (!prepared.ok && prepared.refused && prepared.refused.reason !== 'memory-full') {
      // Refused for this user: the sign-in never began; the request goes on anonymous. (A full
      // process answers 503 instead: its sign-ins are not refused for good.)
      const ended = await this.endRefusedSignIn(session);
      if (!ended.ok) return ended.outcome;
      authenticated = false;
    } else if (!prepared.ok) return prepared.outcome;
    return this.handleKnown(facts, session, authenticated, true);
  }

  private async clearAnonymous(session: SessionAccess): Promise<Outcome> {
    const cleared = await this.core.report.guarded(() => session.clear(), 'session');
    return cleared.ok ? NEXT : cleared.outcome;
  }

  /**
   * Whether a request that went on to the app may have signed the user in without a clock: its
   * session holds none (anonymous, or its sign-in ended in this request). Only then do adapters
   * call {@link settle}, after the app's handler; a signed-in request costs nothing more.
   */
  settles(session: SessionAccess): boolean {
    return (
      this.core.store.prepare !== undefined && session.exists() && session.read() === undefined
    );
  }

  passOn(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    next: () => Promise<unknown>,
  ): Promise<void> {
    // A signed-in request (the usual case) goes on with no promise of this library's own.
    if (!this.settles(session)) return next() as Promise<void>;
    return next().then(async () => {
      await this.settle(facts, session);
    });
  }

  /**
   * After the app's handler, before the session is saved: a request that signed the user in
   * without `start(req)` starts its clock now. Otherwise the clock would start at the sign-in's
   * first later request: a cookie unused for a month would then come back as a fresh sign-in,
   * its absolute timeout counted from then. A store failure is reported; the next request tries
   * again.
   */
  async settle(facts: RequestFacts<Req>, session: SessionAccess): Promise<boolean> {
    try {
      if (!this.settles(session) || !(await this.options.isAuthenticated(facts.req))) return false;
      if (this.refusedRequests.has(facts.req)) {
        // start(req) was refused in this request (and reported): the sign-in is not saved.
        await this.endRefusedSignIn(session);
        return false;
      }
      const prepared = await this.prepare(facts, session);
      if (prepared.ok) return prepared.value !== undefined;
      // Refused (or the store failed): no sign-in is saved without its clock.
      await this.endRefusedSignIn(session);
      return false;
    } catch (error) {
      // The app's answer is already made: the next request starts the clock instead.
      this.core.report.hookFailed('starting the clock after the handler', error);
      return false;
    }
  }

  async start(facts: RequestFacts<Req>, session: SessionAccess): Promise<void> {
    const { report } = this.core;
    let state: SecurityState | undefined;
    try {
      state = await beginSignIn(this.core, facts, session, 'start');
    } catch (error) {
      if (error instanceof SignInRefusedError) {
        this.refusedRequests.add(facts.req);
        throw error;
      }
      // Reported once a minute here; the app answers the typed error 503, with no stack trace.
      report.failed('start', error);
      throw new SessionStoreUnavailableError('start', describeFailure(error), { cause: error });
    }
    if (state !== undefined) report.signedIn(state);
    this.sweep.soon();
  }

  async signOut(facts: RequestFacts<Req>, session: SessionAccess) {
    const { core, options } = this;
    crossOriginRefusal(core, facts, session);
    if (!session.exists()) return this.core.signOutHeaders;
    debug('signed out by the app');
    core.steps.delete(facts.req);
    // An anonymous session without a clock has no sign-in to remember as ended: anybody can make
    // such sessions, and each would take a place in the default store's memory.
    if (session.read() === undefined && !(await options.isAuthenticated(facts.req))) {
      await session.end(false);
      return this.core.signOutHeaders;
    }
    try {
      await this.endSignIn(session, 'logout');
    } finally {
      // The user asked to leave: the session ends even when the store failed (the sign-out is
      // then held until the store answers).
      await session.end(false);
    }
    return this.core.signOutHeaders;
  }

  get signOutHeaders(): Readonly<Record<string, string>> {
    return this.core.signOutHeaders;
  }

  async endSignIn(session: SessionAccess, how: 'logout' | 'revoked'): Promise<void> {
    const { core, options } = this;
    let state: SecurityState | undefined;
    try {
      state = await core.store.end(session, how, options);
    } catch (error) {
      core.report.failed('end', error);
      this.held.hold(session);
      throw new SessionStoreUnavailableError('end', describeFailure(error), { cause: error });
    }
    core.report.signedOut(state, how);
  }

  clientStatus(req: Req, session: SessionAccess): ActiveStatus | undefined {
    const { steps, store } = this.core;
    const step =
      steps.get(req) ?? (session.exists() ? store.peek(session, this.options) : undefined);
    return step?.kind === 'active' ? statusOf(step.state, step.nowMs, this.options) : undefined;
  }

  clientTags(req: Req, session: SessionAccess, tagOptions?: ClientTagsOptions): string {
    const { options } = this;
    const status = this.clientStatus(req, session);
    if (!status) return '';
    return renderClientTags(status, { ...options, drafts: pageDrafts(options, req) }, tagOptions);
  }

  hold<T>(
    _facts: RequestFacts<Req>,
    session: SessionAccess,
    work: Promise<T> | (() => Promise<T>),
    options: HoldOptions,
  ): Promise<T> {
    return holdWhile(this.core, session, work, options);
  }

  async requireRecentSignIn(
    facts: RequestFacts<Req>,
    session: SessionAccess,
    maxAgeSeconds: number,
  ): Promise<void> {
    if (
      typeof maxAgeSeconds !== 'number' ||
      !(maxAgeSeconds > 0) ||
      maxAgeSeconds * 1000 > MAX_TIMEOUT_MS
    ) {
      throw new TypeError(
        `session-security: requireRecentSignIn's maxAge (${String(maxAgeSeconds)}) must be a number of seconds above 0, a year at most`,
      );
    }
    const { core, options } = this;
    const { steps, store } = core;
    let step =
      steps.get(facts.req) ?? (session.exists() ? store.peek(session, options) : undefined);
    // A request the middleware did not see (a Next.js route handler after the proxy), with a store
    // that keeps no copy in the session (Redis): a passive step reads its sign-in.
    if (step === undefined && session.exists() && (await options.isAuthenticated(facts.req))) {
      const read = await touch(core, facts, session, undefined);
      if (!read.ok) throw new SessionStoreUnavailableError('read', 'the activity store failed');
      step = read.value;
    }
    const recent =
      step?.kind === 'active' && step.nowMs - step.state.startedAt < maxAgeSeconds * 1000;
    if (recent) return;
    debug('%s %s: the sign-in is older than %d s', facts.method, facts.path, maxAgeSeconds);
    throw new RecentSignInRequiredError(maxAgeSeconds, loginFor(core, facts, 'reauth'));
  }

  signIns<R>(
    reach: (r: R) => { req: Req; session: SessionAccess; facts: RequestFacts<Req> },
  ): SignInManagement<R> {
    return signInManagement(this.core, () => this.sweep.sweep(), reach);
  }
}

// session-security/sveltekit: SvelteKit 2 over the fetch-style adapter (session-security/web). A
// `handle` hook binds each RequestEvent and the app's session to the lifecycle: it answers the
// library's routes, applies the policy to every other request (SvelteKit's data requests and
// server-side fetches passive), answers an ended sign-in in the form SvelteKit's client follows,
// puts the request's methods in `event.locals.sessionSecurity` and the client's tags in the page.
// Holds no policy (ARCHITECTURE.md).

import type { Handle, RequestEvent, ResolveOptions } from '@sveltejs/kit';
import { SessionSecurityConfigError, SessionSecurityError } from '../core/errors.js';
import type { SessionSecurityOptions } from '../core/options.js';
import type { ClientTagsOptions } from '../server/html.js';
import type { HoldOptions } from '../server/lifecycle/leases.js';
import type { SignInManagement, SignInSummary } from '../server/lifecycle.js';
import { type RequestState, type WebAdapterOptions, WebBinding } from '../web/binding.js';
import { errorResponse } from '../web/response.js';
import type { WebSession } from '../web/session.js';
import {
  asNavigation,
  isKitBackground,
  type KitRequestKind,
  kindOf,
  kitResponse,
  pageLang,
  recordingCookies,
  withTags,
} from './requests.js';

export {
  LeaseRefusedError,
  RecentSignInRequiredError,
  SessionSecurityConfigError,
  SessionSecurityError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
  SignInRefusedError,
} from '../core/errors.js';
export { safeNextPath } from '../core/next.js';
export type { ClientTagsOptions } from '../server/html.js';
export type { SignInManagement, SignInSummary } from '../server/lifecycle.js';
export type { WebAdapterOptions } from '../web/binding.js';
export { errorResponse } from '../web/response.js';
export type { WebSession } from '../web/session.js';

/**
 * What `isAuthenticated`, `userId`, `logout` and passive predicates receive from
 * {@link sessionSecurity}: the request's event and its session.
 *
 * @example
 * ```ts
 * const isAuthenticated = ({ session }: SvelteKitRequestContext) => typeof session.get('user') === 'string';
 * ```
 */
export interface SvelteKitRequestContext {
  /** The request's event. Its `cookies` write through to SvelteKit's. */
  event: RequestEvent;
  /** The request's session; an empty one of this request only when the loader found none. */
  session: WebSession;
}

/**
 * Options of {@link sessionSecurity}: the options (docs/guide/options.md: Options) over a
 * {@link SvelteKitRequestContext}, how to load the request's session, and where the client's
 * tags go.
 *
 * @example
 * ```ts
 * const options: SvelteKitSessionSecurityOptions = {
 *   expireAfter: 900,
 *   loginUrl: '/login',
 *   isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
 *   session: (event) => loadSession(event),
 * };
 * ```
 */
export interface SvelteKitSessionSecurityOptions
  extends SessionSecurityOptions<SvelteKitRequestContext>,
    WebAdapterOptions {
  /**
   * The request's session (SvelteKit has none of its own): `undefined` when the request names
   * none (it is anonymous), a session with `unavailable: true` when its store could not load it
   * (the answer is 503, never an anonymous pass). Cookies it writes through `event.cookies`
   * reach the answer, the library's own answers included.
   */
  session: (event: RequestEvent) => WebSession | undefined | Promise<WebSession | undefined>;
  /**
   * Whether `handle` puts the client's tags at the end of the `<head>` of each page it renders
   * for a signed-in session (`transformPageChunk`). A function gives the tags' options for a
   * request (`nonce` for a strict CSP), or `false` for none. Default true, with the `lang` of
   * the page's `<html>`. With `false`, put `locals.sessionSecurity.clientTags()` in the page
   * yourself.
   */
  injectClientTags?: boolean | ((event: RequestEvent) => ClientTagsOptions | false);
}

/**
 * A signed-in user's sign-ins, for the request's own user: list them, end one or all.
 *
 * @example
 * ```ts
 * const mine = await event.locals.sessionSecurity.signIns.list(); // [{ signIn, device, current, … }]
 * await event.locals.sessionSecurity.signIns.endAll({ keepCurrent: true });
 * ```
 */
export interface RequestSignIns {
  /** The live sign-ins of the request's user, the current one marked. */
  list(): Promise<SignInSummary[]>;
  /** Ends one of the user's sign-ins; false when the user has no such live sign-in. */
  end(signIn: string): Promise<boolean>;
  /** Ends every sign-in of the user ("sign out everywhere"); `keepCurrent` spares this one. */
  endAll(options?: { keepCurrent?: boolean }): Promise<number>;
}

/**
 * What `handle` puts in `event.locals.sessionSecurity` for load functions, form actions and
 * endpoints: the library's methods bound to the request. Declare it in `src/app.d.ts`:
 * `interface Locals { sessionSecurity: SessionSecurityLocals }`.
 *
 * @example
 * ```ts
 * export const actions = {
 *   save: async ({ locals }: RequestEvent) => {
 *     locals.sessionSecurity.clientTags(); // '' once the sign-in is over
 *   },
 * };
 * ```
 */
export interface SessionSecurityLocals {
  /**
   * Starts a fresh inactivity clock at sign-in, after the session holds its user. Without it,
   * `handle` starts it after the route. Rejects with `SignInRefusedError` when a limit refuses
   * the sign-in, and `SessionStoreUnavailableError` when the store failed.
   */
  start(): Promise<void>;
  /**
   * Signs the user out for good (the session ends, and no request in flight can bring it back),
   * and sets `Clear-Site-Data` on the answer (`setHeaders`). Resolves with those headers, for an
   * endpoint that builds its own Response. Rejects with a `SessionSecurityRequestError` (403)
   * when another origin made the request.
   */
  signOut(): Promise<Headers>;
  /** The client's tags for a page of a signed-in session; `''` otherwise. */
  clientTags(options?: ClientTagsOptions): string;
  /**
   * Before what matters (a password change, a payment): resolves when the request's sign-in
   * began less than `maxAge` seconds ago, else rejects with a `RecentSignInRequiredError`. An
   * endpoint answers it with `errorResponse(error, request)` (`401 {"status":"reauth"}`, which the
   * client's `fetch` asks again for in place; a page load: a `303` to the login page); a form
   * action or load sends the user to `error.location` with SvelteKit's `redirect(303, …)`.
   */
  requireRecentSignIn(maxAge: number): Promise<void>;
  /**
   * Holds the request's sign-in while `work` runs (an import, a report the user asked for): a
   * lease, kept in the store, that ends when the work settles and lasts `maxSeconds` at most. It
   * is not the user's input: it never passes the absolute timeout, a sign-out ends it, and idle
   * time counts from its end. Pass a function to have it called once the lease is taken.
   * Resolves or rejects as the work does; rejects with a `LeaseRefusedError` when the request has
   * no live sign-in (401) or holds 16 leases already (429), and a `SessionStoreUnavailableError`
   * (503) when the store failed (an endpoint answers both with `errorResponse(error, request)`).
   *
   * @example
   * ```ts
   * const buildReport = async () => ({ rows: 1280 });
   * const report = await event.locals.sessionSecurity.hold(buildReport, { maxSeconds: 1800, label: 'report' });
   * ```
   */
  hold<T>(work: Promise<T> | (() => Promise<T>), options: HoldOptions): Promise<T>;
  /** The request's user's sign-ins (needs the `userId` option). */
  readonly signIns: RequestSignIns;
}

/**
 * What {@link sessionSecurity} returns: the `handle` hook, and the library's methods for a
 * request the hook has seen (the same as `event.locals.sessionSecurity`).
 *
 * @example
 * ```ts
 * const security: SvelteKitSessionSecurity = sessionSecurity({ isAuthenticated, session: loadSession });
 * export const handle = security.handle;
 * ```
 */
export interface SvelteKitSessionSecurity {
  /**
   * The hook: the library's routes under `prefix`, the policy for every other request, the
   * request's methods in `event.locals.sessionSecurity`, the client's tags in the page, and
   * after the route, the clock of a sign-in made without `start`. Composes with `sequence()`.
   */
  readonly handle: Handle;
  /** {@link SessionSecurityLocals.start} for the event of a request `handle` has seen. */
  start(event: RequestEvent): Promise<void>;
  /** {@link SessionSecurityLocals.signOut} for the event of a request `handle` has seen. */
  signOut(event: RequestEvent): Promise<Headers>;
  /** {@link SessionSecurityLocals.clientTags} for the event of a request `handle` has seen. */
  clientTags(event: RequestEvent, options?: ClientTagsOptions): string;
  /** {@link SessionSecurityLocals.requireRecentSignIn} for the event of a request `handle` has seen. */
  requireRecentSignIn(event: RequestEvent, maxAge: number): Promise<void>;
  /** {@link SessionSecurityLocals.hold} for the event of a request `handle` has seen. */
  hold<T>(
    event: RequestEvent,
    work: Promise<T> | (() => Promise<T>),
    options: HoldOptions,
  ): Promise<T>;
  /**
   * Sign-in management: a request's user's sign-ins (by its event), a user's, everyone's.
   * Needs the `userId` option. Ask for the password again before ending sessions (ASVS V7.5.2).
   */
  readonly signIns: SignInManagement<RequestEvent>;
}

/** One request as the hook keeps it, found again by its `locals` (shared by every copy of its event). */
interface EventState {
  state: RequestState<SvelteKitRequestContext>;
  /** The request as the lifecycle checked it, to bind a session the route made later. */
  checked: Request;
  /** The event whose cookies are recorded, which the loader and the options' functions receive. */
  recording: RequestEvent;
  /** `Clear-Site-Data` was set on this request's answer already (`setHeaders` takes a header once). */
  signedOut: boolean;
}

/**
 * Server-enforced inactivity timeout for SvelteKit 2, over a session the app loads. Page loads
 * and form actions (native or `use:enhance`) count as activity; data requests (client
 * navigations, `invalidate()`), server-side fetches and remote queries are passive. Once the
 * sign-in is over, a page load gets a 303 to `loginUrl` with `next` and `reason`, and a data
 * request or an enhanced action the redirect SvelteKit's client follows there.
 *
 * @param options - the options of docs/guide/options.md (`isAuthenticated` required), `session`, `trustProxy` and `injectClientTags`
 * @returns `handle`, with `start`, `signOut`, `clientTags`, `requireRecentSignIn`, `hold` and `signIns`
 * @throws SessionSecurityConfigError at construction for a bad option
 * @example
 * ```ts
 * // src/hooks.server.ts
 * import { sequence } from '@sveltejs/kit/hooks';
 * import { sessionSecurity } from 'session-security/sveltekit';
 *
 * const security = sessionSecurity({
 *   expireAfter: 900,
 *   loginUrl: '/login',
 *   isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
 *   userId: ({ session }) => String(session.get('user') ?? ''),
 *   session: loadSession,
 * });
 * export const handle = sequence(security.handle);
 * ```
 */
export function sessionSecurity(
  options: SvelteKitSessionSecurityOptions,
): SvelteKitSessionSecurity {
  const { trustProxy, session: load, injectClientTags = true, ...securityOptions } = options;
  if (typeof load !== 'function') {
    throw new SessionSecurityConfigError(
      'session',
      `session (${typeof load}) must be a function (event) => WebSession | undefined, which loads the request's session`,
    );
  }
  const passive = [kitBackground, ...(securityOptions.passive ?? [])];
  const binding = new WebBinding<SvelteKitRequestContext>(
    { ...securityOptions, passive },
    { trustProxy },
  );
  const { lifecycle } = binding;
  const { prefix } = binding.options;
  const states = new WeakMap<object, EventState>();

  function known(event: RequestEvent): EventState {
    const found = states.get(event.locals);
    if (found === undefined) {
      throw new SessionSecurityError(
        "session-security's handle did not see this request: export it from src/hooks.server.ts (in sequence())",
      );
    }
    return found;
  }

  /**
   * The request's state with the session it has now: a request that came without one (the
   * loader found none) may have made one since (a sign-in), which the loader finds through the
   * cookies the route set.
   */
  async function current(event: RequestEvent): Promise<EventState> {
    const found = known(event);
    if (found.state.given !== undefined) return found;
    const later = await load(found.recording);
    if (later === undefined) return found;
    found.state = binding.bind(found.checked, later, (session) => ({
      event: found.recording,
      session,
    }));
    return found;
  }

  const signIns = lifecycle.signIns((event: RequestEvent) => {
    const { state } = known(event);
    return { req: state.req, session: state.access, facts: state.facts };
  });

  async function start(event: RequestEvent): Promise<void> {
    const { facts, access } = (await current(event)).state;
    return lifecycle.start(facts, access);
  }

  async function signOut(event: RequestEvent): Promise<Headers> {
    const found = await current(event);
    const { facts, access } = found.state;
    const headers = await lifecycle.signOut(facts, access);
    if (!found.signedOut && Object.keys(headers).length > 0) {
      found.signedOut = true;
      event.setHeaders({ ...headers });
    }
    return new Headers(headers);
  }

  function clientTags(event: RequestEvent, tagOptions?: ClientTagsOptions): string {
    return binding.clientTags(known(event).state, tagOptions);
  }

  async function requireRecentSignIn(event: RequestEvent, maxAge: number): Promise<void> {
    const { facts, access } = (await current(event)).state;
    await lifecycle.requireRecentSignIn(facts, access, maxAge);
  }

  const hold: SvelteKitSessionSecurity['hold'] = async (event, work, holdOptions) => {
    const { facts, access } = (await current(event)).state;
    return lifecycle.hold(facts, access, work, holdOptions);
  };

  const handle: Handle = async ({ event, resolve }) => {
    const recording = recordingCookies(event);
    const path = event.url.pathname;
    const kind: KitRequestKind = kindOf(event);
    const ours =
      kind !== 'data' && !event.isSubRequest && (path === prefix || path.startsWith(`${prefix}/`));
    let given: WebSession | undefined;
    try {
      given = await load(recording.event);
    } catch (error) {
      const refused = errorResponse(error, event.request);
      if (refused === undefined) throw error;
      return refused;
    }
    // SvelteKit's client asks for data and actions by fetch: checked as the page's navigation,
    // an ended sign-in gets the core's redirect, given to the client in its own form.
    const checked = !ours && kind !== 'page' ? asNavigation(event) : event.request;
    const state = binding.bind(checked, given, (session) => ({ event: recording.event, session }));
    states.set(event.locals, { state, checked, recording: recording.event, signedOut: false });
    const outcome = await lifecycle.handle(state.facts, state.access);
    if (outcome.kind === 'reply') {
      return kitResponse(outcome, ours ? 'page' : kind, recording.written());
    }
    const methods = { start, signOut, clientTags, requireRecentSignIn, hold, signIns };
    Object.assign(event.locals, { sessionSecurity: localsFor(event, methods) });
    const response = await resolve(event, injection(event, injectClientTags, clientTags));
    // A sign-in the route made without start() gets its clock now, before an outer hook saves
    // the session; a signed-in request costs nothing more.
    const after = await current(event).catch(() => states.get(event.locals));
    const settling = after?.state ?? state;
    if (lifecycle.settles(settling.access)) await lifecycle.settle(settling.facts, settling.access);
    return response;
  };

  return { handle, start, signOut, clientTags, requireRecentSignIn, hold, signIns };
}

/** SvelteKit's own background requests (data requests, server-side fetches): passive. */
function kitBackground({ event }: SvelteKitRequestContext): boolean {
  return isKitBackground(event);
}

/** The request's methods, for `event.locals.sessionSecurity`. */
function localsFor(
  event: RequestEvent,
  methods: Omit<SvelteKitSessionSecurity, 'handle'>,
): SessionSecurityLocals {
  const { signIns } = methods;
  return {
    start: () => methods.start(event),
    signOut: () => methods.signOut(event),
    clientTags: (tagOptions) => methods.clientTags(event, tagOptions),
    requireRecentSignIn: (maxAge) => methods.requireRecentSignIn(event, maxAge),
    hold: (work, holdOptions) => methods.hold(event, work, holdOptions),
    signIns: {
      list: () => signIns.list(event),
      end: (signIn) => signIns.end(event, signIn),
      endAll: (endOptions) => signIns.endAll(event, endOptions),
    },
  };
}

/** The page's tags before its `</head>`, once, for a signed-in session. */
function injection(
  event: RequestEvent,
  injectClientTags: NonNullable<SvelteKitSessionSecurityOptions['injectClientTags']>,
  clientTags: SvelteKitSessionSecurity['clientTags'],
): ResolveOptions | undefined {
  if (injectClientTags === false) return undefined;
  const given = injectClientTags === true ? {} : injectClientTags(event);
  if (given === false) return undefined;
  let done = false;
  return {
    transformPageChunk: ({ html }) => {
      if (done) return html;
      const tags = clientTags(event, { lang: pageLang(html), ...given });
      const injected = tags === '' ? html : withTags(html, tags);
      if (injected === undefined) return html;
      done = true;
      return injected;
    },
  };
}

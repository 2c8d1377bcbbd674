// The fetch-style handler (`session-security/web`): the lifecycle over standard `Request`s and
// `Response`s and a session the app loads, for Next.js route handlers and middleware, Bun, Deno
// and any fetch-style server. No policy of session-security (ARCHITECTURE.md).

import { describeValue, SessionSecurityConfigError } from '../core/errors.js';
import type { SessionSecurityOptions } from '../core/options.js';
import { answers } from '../core/protocol.js';
import type { ClientTagsOptions } from '../server/html.js';
import type { HoldOptions } from '../server/lifecycle/leases.js';
import type { SignInManagement } from '../server/lifecycle.js';
import { jsonReply } from '../server/outcome.js';
import { type RequestState, type WebAdapterOptions, WebBinding } from './binding.js';
import { recentSignInResponse, toResponse } from './response.js';
import type { WebSession } from './session.js';

/**
 * What `isAuthenticated`, `logout` and passive predicates receive from {@link sessionSecurityHandler}.
 *
 * @example
 * ```ts
 * const isAuthenticated = ({ session }: WebRequestContext) => typeof session.get('user') === 'string';
 * ```
 */
export interface WebRequestContext {
  request: Request;
  /** The request's session; an empty one of this request only when the app passed none. */
  session: WebSession;
}

/**
 * Options of {@link sessionSecurityHandler}: the options (docs/guide/options.md: Options), over a {@link WebRequestContext}, and the adapter's own.
 *
 * @example
 * ```ts
 * const options: SessionSecurityHandlerOptions = {
 *   expireAfter: 900,
 *   isAuthenticated: ({ session }) => Boolean(session.get('user')),
 *   trustProxy: true,
 * };
 * ```
 */
export type SessionSecurityHandlerOptions = SessionSecurityOptions<WebRequestContext> &
  WebAdapterOptions & {
    /**
     * A new, empty session of the app's for a request that names none, to sign in on: the lock's
     * `POST {prefix}/unlock` needs one when the browser's session cookie was cleared at expiry
     * (the lock's `verify` signs the user in on it, as the app's login does). Its cookie goes out
     * the app's own way. Without it, such an unlock cannot sign anyone in: a `500`, and the log
     * says so.
     */
    newSession?: (request: Request) => WebSession | Promise<WebSession>;
  };

/**
 * The fetch-style handler: the library's routes, the policy for other requests, and what an app
 * calls. Every method takes the request and its session: `undefined` when the request names no
 * session (it is anonymous), a session with `unavailable: true` when its store could not load it
 * (503).
 *
 * @example
 * ```ts
 * const security: SessionSecurityHandler = sessionSecurityHandler({ isAuthenticated, userId, draftSecret });
 * const refused = await security.check(request, session);
 * ```
 */
export interface SessionSecurityHandler {
  /**
   * Answers the library's own routes (`{prefix}/ping`, `{prefix}/logout`, the client's assets);
   * undefined for any other request, untouched.
   *
   * @example
   * ```ts
   * // app/session-security/[...route]/route.ts
   * export const GET = async (request: Request) =>
   *   (await security.handle(request, await loadSession(request))) ?? new Response(null, { status: 404 });
   * ```
   */
  handle(request: Request, session: WebSession | undefined): Promise<Response | undefined>;
  /**
   * Applies the policy to one of the app's requests (and answers the library's routes as
   * `handle` does): undefined to go on, or the Response to send instead (303 to the login page
   * with `next`, 401 JSON, 503). Call it once per request, before the app reads the session.
   *
   * @example
   * ```ts
   * export async function GET(request: Request): Promise<Response> {
   *   const session = loadSession(request);
   *   const refused = await security.check(request, session);
   *   if (refused) return refused; // 303 to the login page, 401, 503
   *   return new Response(`<head>${security.clientTags(request, session)}</head>…`);
   * }
   * ```
   */
  check(request: Request, session: WebSession | undefined): Promise<Response | undefined>;
  /**
   * Starts a fresh inactivity clock at sign-in (or let `settle` start it after the route;
   * without either, it starts at the sign-in's next request).
   *
   * @example
   * ```ts
   * await session.regenerate();
   * await session.set('user', user);
   * await security.start(request, session);
   * ```
   */
  start(request: Request, session: WebSession): Promise<void>;
  /**
   * After a route handler that may have signed the user in without `start` (and before the
   * session is saved): starts that sign-in's clock now. Without it, the clock would start at the
   * sign-in's next request: a cookie unused for a month would come back as a fresh sign-in.
   * Costs nothing for a request that was signed in already. Never throws (a store failure is
   * reported; the next request tries again).
   *
   * @returns true when it started a clock
   * @example
   * ```ts
   * export async function signIn(request: Request): Promise<Response> {
   *   const session = loadSession(request);
   *   const answer = await signInRoute(request, session); // the app's own sign-in, without start
   *   await security.settle(request, session);
   *   return answer;
   * }
   * ```
   */
  settle(request: Request, session: WebSession | undefined): Promise<boolean>;
  /**
   * Signs the user out for good: ends the session (`logout`, or `session.destroy()`), remembers
   * the sign-in as ended so that no request in flight can save it back. Resolves with the
   * headers to add to the app's answer (`Clear-Site-Data`). A request another origin made is
   * refused: it rejects with a `SessionSecurityRequestError` (status 403; see `errorResponse`).
   *
   * @example
   * ```ts
   * export async function POST(request: Request): Promise<Response> {
   *   const headers = await security.signOut(request, loadSession(request)); // Clear-Site-Data
   *   headers.set('location', '/login');
   *   return new Response(null, { status: 303, headers });
   * }
   * ```
   */
  signOut(request: Request, session: WebSession | undefined): Promise<Headers>;
  /**
   * The signed-in user's sign-ins: list them, end one or all ("sign out everywhere"), end every
   * sign-in of a user or of everyone. Needs the `userId` option. Ask for the password again
   * before ending sessions (ASVS V7.5.2).
   *
   * @example
   * ```ts
   * const mine = await security.signIns.list({ request, session }); // [{ signIn, startedAt, lastActiveAt, device, current }]
   * await security.signIns.endAll({ request, session }, { keepCurrent: true });
   * ```
   */
  signIns: SignInManagement<{ request: Request; session: WebSession | undefined }>;
  /**
   * Asks for a recent sign-in before what matters (a password change, a payment): resolves with
   * the answer to send when the request's sign-in began `maxAge` seconds ago or more (a 303 to
   * the login page with `reason=reauth` for a page load, `401 {"status":"reauth"}` otherwise,
   * which the browser client's `security.fetch` turns into a sign-in in place and a retry), or
   * undefined when it is recent enough. Call it after `check` for the same `Request`.
   *
   * @throws TypeError when `maxAge` is not a number of seconds above 0
   * @example
   * ```ts
   * const refused = await security.requireRecentSignIn(request, session, 300);
   * const answer = refused ?? Response.json({ changed: true }); // refused: 401, or 303 for a page load
   * ```
   */
  requireRecentSignIn(
    request: Request,
    session: WebSession | undefined,
    maxAge: number,
  ): Promise<Response | undefined>;
  /**
   * Holds the request's sign-in while `work` runs (an import, a report the user asked for): a
   * lease, kept in the store, that ends when the work settles and lasts `maxSeconds` at most. It
   * is not the user's input: it never passes the absolute timeout, a sign-out ends it, and idle
   * time counts from its end. Pass a function to have it called once the lease is taken. Call it
   * after `check` for the same `Request`. Resolves or rejects as the work does; rejects with a
   * `LeaseRefusedError` when the request has no live sign-in (401) or holds 16 leases already
   * (429), a `SessionStoreUnavailableError` (503) when the store failed (`errorResponse` answers
   * both), and a `TypeError` when `maxSeconds` is not a number of seconds above 0.
   *
   * @example
   * ```ts
   * const buildReport = async () => ({ rows: 1280 });
   * async function reports(request: Request): Promise<Response> {
   *   const session = loadSession(request);
   *   const refused = await security.check(request, session);
   *   if (refused) return refused; // 303 to the login page, 401, 503
   *   const report = await security.hold(request, session, buildReport, { maxSeconds: 1800, label: 'report' });
   *   return Response.json(report);
   * }
   * const answer = await reports(request);
   * ```
   */
  hold<T>(
    request: Request,
    session: WebSession | undefined,
    work: Promise<T> | (() => Promise<T>),
    options: HoldOptions,
  ): Promise<T>;
  /**
   * The browser client's tags for a page of a signed-in session; `''` for anonymous requests.
   * Call it after `check` for the same `Request`.
   *
   * @example
   * ```ts
   * const head = security.clientTags(request, session, { lang: 'en' });
   * ```
   */
  clientTags(
    request: Request,
    session: WebSession | undefined,
    options?: ClientTagsOptions,
  ): string;
}

/**
 * Server-enforced inactivity timeout for fetch-style `Request`/`Response` handlers (Next.js route
 * handlers and middleware, Bun, Deno, any fetch-style server), over a {@link WebSession} the app
 * loads. Its code needs no `node:` module: it loads wherever the Fetch API and `URL` exist.
 *
 * @param options - the options of docs/guide/options.md (`isAuthenticated` required) and {@link WebAdapterOptions}
 * @returns `handle`, `check`, `start`, `settle`, `signOut`, `signIns`, `clientTags`, `requireRecentSignIn` and `hold`
 * @throws SessionSecurityConfigError at construction for a bad option
 * @example
 * ```ts
 * import { sessionSecurityHandler } from 'session-security/web';
 *
 * export const security = sessionSecurityHandler({
 *   expireAfter: 900,
 *   loginUrl: '/login',
 *   isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
 *   userId: ({ session }) => String(session.get('user') ?? ''),
 *   draftSecret: process.env.DRAFT_SECRET,
 * });
 * ```
 */
export function sessionSecurityHandler(
  options: SessionSecurityHandlerOptions,
): SessionSecurityHandler {
  const { trustProxy, newSession, ...securityOptions } = options;
  if (newSession !== undefined && typeof newSession !== 'function') {
    throw new SessionSecurityConfigError(
      'newSession',
      `newSession (${describeValue(newSession)}) must be a function (request) => a new, empty WebSession of the app's`,
    );
  }
  const binding = new WebBinding<WebRequestContext>(securityOptions, { trustProxy });
  const { lifecycle } = binding;
  const { prefix } = binding.options;
  /** One state per Request, so that `check` and then `clientTags` see the same request step. */
  const states = new WeakMap<Request, RequestState<WebRequestContext>>();

  function stateOf(request: Request, session: WebSession | undefined) {
    const known = states.get(request);
    if (known && known.given === session) return known;
    const state = binding.bind(request, session, (webSession) => ({
      request,
      session: webSession,
    }));
    states.set(request, state);
    return state;
  }

  async function check(request: Request, given: WebSession | undefined) {
    let session = given;
    const unlocking =
      given === undefined &&
      binding.options.lock !== undefined &&
      request.method === 'POST' &&
      new URL(request.url).pathname === `${prefix}/unlock`;
    if (unlocking) {
      // The lock signs in again on a session of the app's: a new one when the request named none.
      // Without one, a sign-in would live in this request only: the tab would unlock, and its
      // next request find nobody signed in.
      if (newSession === undefined) {
        binding.options.logger.error(
          `session-security: POST ${prefix}/unlock named no session, and sessionSecurityHandler has no newSession(request) to sign in on: nobody was signed in`,
        );
        return toResponse(jsonReply(answers.hookFailed('newSession')));
      }
      session = await newSession(request);
    }
    const state = stateOf(request, session);
    return toResponse(await lifecycle.handle(state.facts, state.access));
  }

  return {
    handle: (request, session) => {
      const path = new URL(request.url).pathname;
      const ours = path === prefix || path.startsWith(`${prefix}/`);
      return ours ? check(request, session) : Promise.resolve(undefined);
    },
    check,
    start: (request, session) => {
      const state = stateOf(request, session);
      return lifecycle.start(state.facts, state.access);
    },
    settle: (request, session) => {
      if (session === undefined) return Promise.resolve(false);
      const state = stateOf(request, session);
      return lifecycle.settle(state.facts, state.access);
    },
    signIns: lifecycle.signIns(
      ({ request, session }: { request: Request; session: WebSession | undefined }) => {
        const state = stateOf(request, session);
        return { req: state.req, session: state.access, facts: state.facts };
      },
    ),
    signOut: async (request, session) => {
      const state = stateOf(request, session);
      return new Headers(await lifecycle.signOut(state.facts, state.access));
    },
    clientTags: (request, session, tagOptions) =>
      binding.clientTags(stateOf(request, session), tagOptions),
    requireRecentSignIn: (request, session, maxAge) => {
      const state = stateOf(request, session);
      const asked = lifecycle.requireRecentSignIn(state.facts, state.access, maxAge);
      return recentSignInResponse(asked, request);
    },
    hold: (request, session, work, holdOptions) => {
      const state = stateOf(request, session);
      return lifecycle.hold(state.facts, state.access, work, holdOptions);
    },
  };
}

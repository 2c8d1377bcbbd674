// session-security/better-auth: idle and absolute timeouts on better-auth's sessions, as a
// better-auth plugin (docs/guide/better-auth.md). better-auth finds the session; the lifecycle
// decides, as for every adapter (ARCHITECTURE.md, "A request's path"). Each sign-in's clock is a
// column of better-auth's session table (src/better-auth/session.ts).

import type { AuthContext, BetterAuthPlugin } from 'better-auth';
import { SessionSecurityConfigError } from '../core/errors.js';
import type { SessionSecurityOptions } from '../core/options.js';
import type { ClientTagsOptions } from '../server/html.js';
import type { HoldOptions } from '../server/lifecycle/leases.js';
import type { SignInManagement } from '../server/lifecycle.js';
import { type WebAdapterOptions, WebBinding } from '../web/binding.js';
import { type BetterAuthRequest, BetterAuthSecurity } from './plugin.js';
import { CLOCK_FIELD } from './session.js';

export {
  LeaseRefusedError,
  RecentSignInRequiredError,
  SessionSecurityConfigError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
  SignInRefusedError,
} from '../core/errors.js';
export { errorResponse } from '../web/response.js';
export { type BetterAuthRequest, ENDED_HEADER } from './plugin.js';
export type { FoundSession } from './session.js';

/** Where the library's routes are, by default: under better-auth's own base path. */
const DEFAULT_PREFIX = '/api/auth/session-security';

/**
 * The options (docs/guide/options.md) over a {@link BetterAuthRequest}, but those better-auth
 * answers: who is signed in (`isAuthenticated`, `userId`) and how a sign-in ends (`logout`).
 *
 * @example
 * ```ts
 * const options: BetterAuthSecurityOptions = { expireAfter: 900, absoluteTimeout: 8 * 3600, loginUrl: '/login' };
 * ```
 */
export type BetterAuthSecurityOptions = Omit<
  SessionSecurityOptions<BetterAuthRequest>,
  'isAuthenticated' | 'userId' | 'logout'
> &
  WebAdapterOptions;

/**
 * The plugin, and what an app calls on its own requests. Each method takes the standard
 * `Request` (its cookie names the better-auth session).
 */
export interface SessionSecurityPlugin extends BetterAuthPlugin {
  id: 'session-security';
  /**
   * Applies the policy to one of the app's requests: undefined to go on, or the Response to send
   * instead (303 to the login page with `next` and `reason`, 401 JSON, 503). Call it once per
   * request, before the app reads the session.
   */
  check(request: Request): Promise<Response | undefined>;
  /** Answers the library's routes (`auth.handler` does it already under its base path); undefined for any other request. */
  handle(request: Request): Promise<Response | undefined>;
  /** The browser client's tags for a page of a signed-in request; `''` otherwise. Call it after `check`. */
  clientTags(request: Request, options?: ClientTagsOptions): Promise<string>;
  /**
   * Signs out for good: the sign-in is remembered as ended and better-auth's session row
   * deleted. Resolves with the headers to add to the answer (`Clear-Site-Data`, and the cookies
   * cleared). Rejects with a `SessionSecurityRequestError` (403) for another origin's request.
   */
  signOut(request: Request): Promise<Headers>;
  /**
   * Before what matters (a password change, a payment): resolves undefined when the request's
   * sign-in began less than `maxAge` seconds ago, else the Response to send: `401
   * {"status":"reauth"}` with `X-Session-Security: reauth` (the client's `fetch` asks again in
   * place and retries), or for a page load a `303` to the login page with `reason=reauth`.
   *
   * @example
   * ```ts
   * async function changePassword(request: Request): Promise<Response> {
   *   const refused = await security.requireRecentSignIn(request, 300); // signed in < 5 min ago
   *   if (refused) return refused;
   *   return Response.json({ changed: true });
   * }
   * ```
   */
  requireRecentSignIn(request: Request, maxAge: number): Promise<Response | undefined>;
  /**
   * Holds the request's sign-in while `work` runs (an import, a report the user asked for): a
   * lease, kept in the store, that ends when the work settles and lasts `maxSeconds` at most. It
   * is not the user's input: it never passes the absolute timeout, a sign-out ends it, and idle
   * time counts from its end. Pass a function to have it called once the lease is taken.
   * Resolves or rejects as the work does (no Response of its own): rejects with a
   * `LeaseRefusedError` when the request has no live sign-in (401) or holds 16 leases already
   * (429), and a `SessionStoreUnavailableError` (503) when the store failed; `errorResponse`
   * answers both.
   *
   * @example
   * ```ts
   * const buildReport = async () => ({ rows: 1280 });
   * app.post('/reports', async (c) => {
   *   const report = await security.hold(c.req.raw, buildReport, { maxSeconds: 1800, label: 'report' });
   *   return c.json(report);
   * });
   * ```
   */
  hold<T>(
    request: Request,
    work: Promise<T> | (() => Promise<T>),
    options: HoldOptions,
  ): Promise<T>;
  /** The request's user's sign-ins, over better-auth's sessions: ending one deletes its row. */
  signIns: SignInManagement<Request>;
}

/**
 * The better-auth plugin: idle and absolute timeouts on better-auth's sessions, better-auth's
 * own session reads passive, the reason an expired session ended given to its client, and
 * sign-outs that nothing brings back.
 *
 * @throws SessionSecurityConfigError for a bad option
 * @example
 * ```ts
 * import { betterAuth } from 'better-auth';
 * import { sessionSecurity } from 'session-security/better-auth';
 *
 * export const security = sessionSecurity({ expireAfter: 900, absoluteTimeout: 8 * 3600, loginUrl: '/login' });
 * export const auth = betterAuth({ database, emailAndPassword: { enabled: true }, plugins: [security] });
 * ```
 */
export function sessionSecurity(options: BetterAuthSecurityOptions = {}): SessionSecurityPlugin {
  const { trustProxy, ...given } = options as BetterAuthSecurityOptions & Record<string, unknown>;
  for (const name of ['isAuthenticated', 'userId', 'logout'] as const) {
    if (given[name] !== undefined) {
      throw new SessionSecurityConfigError(
        name,
        `better-auth tells who is signed in and ends its sessions itself: leave ${name} out`,
      );
    }
  }
  const security = new BetterAuthSecurity(
    new WebBinding<BetterAuthRequest>(
      {
        prefix: DEFAULT_PREFIX,
        ...(given as Omit<SessionSecurityOptions<BetterAuthRequest>, 'isAuthenticated'>),
        isAuthenticated: (r) => r.session !== undefined,
        userId: (r) => r.user?.id ?? '',
      },
      { trustProxy },
    ),
  );
  const plugin = {
    id: 'session-security',
    schema: {
      session: {
        fields: {
          [CLOCK_FIELD]: { type: 'string', required: false, input: false, returned: false },
        },
      },
    },
    init(auth: AuthContext) {
      const { secondaryStorage, session: sessionOptions } = auth.options;
      if (secondaryStorage && !sessionOptions?.storeSessionInDatabase) {
        throw new SessionSecurityConfigError(
          'secondaryStorage',
          "better-auth keeps its sessions outside the database (secondaryStorage): session-security keeps each sign-in's clock in better-auth's session table; set session.storeSessionInDatabase: true",
        );
      }
      security.start(auth);
      const session = {
        create: { after: security.onCreate },
        delete: { before: security.onDelete },
      };
      return { options: { databaseHooks: { session } } };
    },
    // The library's routes under better-auth's base path, answered through `auth.handler`.
    onRequest: async (request: Request) => {
      if (!security.ours(request)) return;
      return { response: (await security.check(request)) ?? new Response(null, { status: 404 }) };
    },
    hooks: {
      after: [
        {
          matcher: (ctx: { path?: string }) => ctx.path === '/get-session',
          handler: security.onGetSession,
        },
      ],
    },
    check: (request: Request) => security.check(request),
    handle: (request: Request) =>
      security.ours(request) ? security.check(request) : Promise.resolve(undefined),
    clientTags: async (request: Request, tagOptions?: ClientTagsOptions) =>
      security.binding.clientTags((await security.bound(request)).state, tagOptions),
    signOut: (request: Request) => security.signOut(request),
    requireRecentSignIn: (request: Request, maxAge: number) =>
      security.requireRecentSignIn(request, maxAge),
    hold: <T>(request: Request, work: Promise<T> | (() => Promise<T>), holdOptions: HoldOptions) =>
      security.hold(request, work, holdOptions),
    signIns: security.signIns(),
  } satisfies BetterAuthPlugin & Record<string, unknown>;
  return plugin as unknown as SessionSecurityPlugin;
}

// What every adapter hands the app besides its middleware (start a clock, the client's tags, the
// sign-in management, sign-out), written once over the framework's own request type. An adapter
// says how to reach a request's facts and session; its sign-out copies the headers it is given.

import type { ClientTagsOptions } from './html.js';
import type { HoldOptions } from './lifecycle/leases.js';
import type { Lifecycle, RequestFacts, SessionAccess, SignInManagement } from './lifecycle.js';

/** One request as the lifecycle needs it: the framework's request, its facts and its session. */
export interface Bound<Req> {
  req: Req;
  facts: RequestFacts<Req>;
  session: SessionAccess;
}

/**
 * What an app calls on a request of its framework (`R`: Express's `req`, Koa's `ctx`, Hono's `c`).
 *
 * @example
 * ```ts
 * app.post('/login', async (req, res) => {
 *   req.session.user = 'ada';
 *   await security.start(req);
 *   res.redirect(303, '/');
 * });
 * ```
 */
export interface SessionSecurityMethods<R> {
  /**
   * Starts a fresh inactivity clock for a new sign-in. With the default store it is optional
   * (the first request of a signed-in session without a clock starts one); with an external
   * store such as Redis, call it at sign-in. Rejects with a `SignInRefusedError` when a limit
   * refuses the sign-in, and a `SessionStoreUnavailableError` (503) when the store failed.
   */
  start(r: R): Promise<void>;
  /**
   * The tags that put the browser client on a page of a signed-in session (stylesheet, JSON
   * config with the page's catalogue, deferred script); `''` for an anonymous request. Call it
   * in the page's handler, after the middleware has run for the request.
   *
   * @example
   * ```ts
   * const head = security.clientTags(req, { lang: 'fr', nonce });
   * ```
   */
  clientTags(r: R, options?: ClientTagsOptions): string;
  /**
   * The signed-in user's sign-ins: list them, end one or all ("sign out everywhere"), end every
   * sign-in of a user or of everyone. Needs the `userId` option. Ask for the password again
   * before ending sessions (ASVS V7.5.2).
   *
   * @example
   * ```ts
   * const mine = await security.signIns.list(req); // [{ signIn, startedAt, lastActiveAt, device, current }]
   * await security.signIns.endAll(req, { keepCurrent: true });
   * ```
   */
  signIns: SignInManagement<R>;
  /**
   * Asks for a recent sign-in before what matters (a password change, a payment): rejects with
   * a `RecentSignInRequiredError` when the request's sign-in began `maxAge` seconds ago or more.
   * The library's error answers send a page load to the login page (`reason=reauth`) and a
   * `fetch` `401 {"status":"reauth"}`, which the browser client's `security.fetch` turns into a
   * sign-in in place (the lock) and a retry.
   *
   * @example
   * ```ts
   * app.post('/password', async (req, res) => {
   *   await security.requireRecentSignIn(req, 300); // signed in less than 5 minutes ago
   *   res.json({ changed: true });
   * });
   * ```
   */
  requireRecentSignIn(r: R, maxAge: number): Promise<void>;
  /**
   * Holds the request's sign-in while `work` runs (an import, a report the user asked for): a
   * lease, kept in the store, that ends when the work settles and lasts `maxSeconds` at most. It
   * is not the user's input: it never passes the absolute timeout, a sign-out ends it, and idle
   * time counts from its end. Pass a function to have it called once the lease is taken.
   * Resolves or rejects as the work does; rejects with a `LeaseRefusedError` when the request has
   * no live sign-in (401) or holds 16 leases already (429), and a `SessionStoreUnavailableError`
   * (503) when the store failed.
   *
   * @example
   * ```ts
   * const buildReport = async () => ({ rows: 1280 });
   * app.post('/reports', async (req, res) => {
   *   const report = await security.hold(req, buildReport, { maxSeconds: 1800, label: 'report' });
   *   res.json(report);
   * });
   * ```
   */
  hold<T>(r: R, work: Promise<T> | (() => Promise<T>), options: HoldOptions): Promise<T>;
}

/**
 * The methods of {@link SessionSecurityMethods} for one adapter, and its sign-out: ends the sign-in
 * for good and resolves with the headers the answer must carry (`Clear-Site-Data`).
 */
export function appMethods<R, Req>(
  lifecycle: Lifecycle<Req>,
  bind: (r: R) => Bound<Req>,
): SessionSecurityMethods<R> & { signOut(r: R): Promise<Readonly<Record<string, string>>> } {
  return {
    start: (r) => {
      const { facts, session } = bind(r);
      return lifecycle.start(facts, session);
    },
    clientTags: (r, options) => {
      const { req, session } = bind(r);
      return lifecycle.clientTags(req, session, options);
    },
    signIns: lifecycle.signIns(bind),
    requireRecentSignIn: (r, maxAge) => {
      const { facts, session } = bind(r);
      return lifecycle.requireRecentSignIn(facts, session, maxAge);
    },
    hold: (r, work, options) => {
      const { facts, session } = bind(r);
      return lifecycle.hold(facts, session, work, options);
    },
    signOut: (r) => {
      const { facts, session } = bind(r);
      return lifecycle.signOut(facts, session);
    },
  };
}

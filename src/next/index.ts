// session-security/next: Next.js 16 (App Router) over any fetch-style security, such as the
// better-auth plugin (docs/guide/next.md). The proxy decides each request, with Next's own
// background requests (prefetches, RSC payloads) passive; `verify()` and `action()` check again
// where the page and the Server Action run, so that nothing rests on the proxy alone.

import { headers as requestHeaders } from 'next/headers.js';
import { redirect } from 'next/navigation.js';
import { type NextRequest, NextResponse } from 'next/server.js';
import { cache } from 'react';
import { RecentSignInRequiredError, SessionStoreUnavailableError } from '../core/errors.js';

/**
 * What session-security/next needs of the app's security: a check of one standard `Request`
 * that finds the request's session itself. The better-auth plugin is one; with
 * `session-security/web`, bind the handler to the app's session loader.
 *
 * @example
 * ```ts
 * const fromHandler: NextSecurity = {
 *   check: (request) => handler.check(request, loadSession(request)),
 *   requireRecentSignIn: (request, maxAge) =>
 *     handler.requireRecentSignIn(request, loadSession(request), maxAge),
 * };
 * ```
 */
export interface NextSecurity {
  check(request: Request): Promise<Response | undefined>;
  /**
   * For {@link NextSessionSecurity.requireRecentSignIn}: the better-auth plugin's, or the web
   * handler's bound to the session loader, `(request, maxAge) => handler.requireRecentSignIn(request, loadSession(request), maxAge)`.
   */
  requireRecentSignIn?(request: Request, maxAge: number): Promise<Response | undefined>;
}

/** The header by which the proxy tells the page which URL it renders (for the login's `next`). */
export const URL_HEADER = 'x-session-security-url';

/**
 * What Next.js apps call: `proxy` in `proxy.ts`, `verify()` in Server Components and route
 * handlers, `action()` at the start of each Server Action.
 */
export interface NextSessionSecurity {
  /**
   * The proxy (`proxy.ts`, on Node.js): the policy for each request. Page loads and Server
   * Actions count as activity; prefetches and RSC requests (`Next-Router-Prefetch`, `RSC`,
   * `Sec-Purpose: prefetch`) are passive. Once the sign-in is over, each is sent to the login
   * page with `next` and `reason` (a Server Action by Next's `x-action-redirect`).
   */
  proxy(request: NextRequest): Promise<Response>;
  /**
   * For Server Components and route handlers: checks the request again where it runs (passive:
   * the proxy counted it), and redirects to the login page once the sign-in is over. Once per
   * request, however many components call it.
   *
   * @throws SessionStoreUnavailableError when the session store failed
   */
  verify(): Promise<void>;
  /**
   * For Server Actions, first thing: counts the action as the user's activity and redirects to
   * the login page once the sign-in is over.
   *
   * @throws SessionStoreUnavailableError when the session store failed
   */
  action(): Promise<void>;
  /**
   * Before what matters, in a Server Component or Server Action: goes on when the sign-in began
   * less than `maxAge` seconds ago, else redirects to the login page with `reason=reauth` (the
   * user signs in again, then comes back). A route handler called by `fetch` answers with the
   * security's own `requireRecentSignIn(request, maxAge)` instead: its `401` lets the client's
   * `fetch` ask again in place.
   *
   * @throws Error when the security given to `nextSessionSecurity` has no `requireRecentSignIn`
   */
  requireRecentSignIn(maxAge: number): Promise<void>;
}

/**
 * Next.js 16 over the app's security (the better-auth plugin, or a bound fetch handler).
 *
 * @example
 * ```ts
 * // lib/security.ts: over the better-auth plugin (`timeouts`, in lib/auth.ts)
 * import { nextSessionSecurity } from 'session-security/next';
 * export const security = nextSessionSecurity(timeouts);
 *
 * // proxy.ts
 * export const proxy = security.proxy;
 *
 * // app/page.tsx
 * export default async function Page() {
 *   await security.verify(); // the login page once the sign-in is over
 *   return null;
 * }
 * ```
 */
export function nextSessionSecurity(security: NextSecurity): NextSessionSecurity {
  /** The request the page renders, as the proxy told it (else the host's root), passive. */
  async function current(activity: boolean): Promise<Request> {
    const given = await requestHeaders();
    const host = given.get('host') ?? 'localhost';
    const proto = given.get('x-forwarded-proto')?.split(',')[0]?.trim() || 'http';
    const base = `${proto}://${host}`;
    const told = given.get(URL_HEADER);
    const url = new URL(told?.startsWith('/') ? told : '/', base);
    return new Request(asPageLoad(url), {
      method: activity ? 'POST' : 'GET',
      headers: relabelled(given, !activity),
    });
  }

  /** A refusal where the page runs: Next's redirect to its Location; a store failure thrown. */
  function follow(refused: Response): void {
    const location = refused.headers.get('location');
    if (location !== null) redirect(location);
    if (refused.status >= 500) {
      throw new SessionStoreUnavailableError('touch', `the check answered ${refused.status}`);
    }
  }

  async function enforce(activity: boolean): Promise<void> {
    const refused = await security.check(await current(activity));
    if (refused !== undefined) follow(refused);
  }

  return {
    async proxy(request) {
      const background = isBackground(request.headers);
      const action = request.headers.has('next-action');
      const page = asPageLoad(new URL(request.url));
      const checked =
        background || action
          ? new Request(page, {
              method: request.method,
              headers: relabelled(request.headers, background),
            })
          : request;
      const refused = await security.check(checked);
      if (refused !== undefined)
        return action ? actionRedirect(refused) : absolute(refused, request);
      const forwarded = new Headers(request.headers);
      forwarded.set(URL_HEADER, `${page.pathname}${page.search}`);
      return NextResponse.next({ request: { headers: forwarded } });
    },
    verify: cache(() => enforce(false)),
    action: () => enforce(true),
    async requireRecentSignIn(maxAge) {
      if (typeof security.requireRecentSignIn !== 'function') {
        throw new Error(
          'session-security: requireRecentSignIn needs it of the security given to nextSessionSecurity: the better-auth plugin, or { check, requireRecentSignIn } bound to the web handler',
        );
      }
      const refused = await security.requireRecentSignIn(await current(false), maxAge);
      if (refused === undefined) return;
      follow(refused);
      throw new RecentSignInRequiredError(maxAge, undefined);
    },
  };
}

/**
 * Whether Next's router made the request in the background: a prefetch, or the payload of a
 * Server Component (a client navigation, `router.refresh()`), but not a Server Action. Next
 * takes `RSC` and the prefetch headers off the request its proxy sees (unless
 * `skipProxyUrlNormalize`), but leaves `Next-Url`, which its router sends with each of them.
 */
export function isBackground(headers: Headers): boolean {
  if (headers.has('next-action')) return false;
  return (
    headers.has('next-url') ||
    headers.has('next-router-prefetch') ||
    headers.has('next-router-segment-prefetch') ||
    headers.get('rsc') === '1'
  );
}

/**
 * The headers of a request checked as a page load (so that an ended sign-in is a redirect to
 * the login page, which Next's router follows), passive when asked.
 */
function relabelled(given: Headers, passive: boolean): Headers {
  const headers = new Headers(given);
  headers.set('sec-fetch-mode', 'navigate');
  headers.set('sec-fetch-dest', 'document');
  headers.set('accept', 'text/html');
  if (passive) headers.set('x-session-security', 'passive');
  return headers;
}

/**
 * The answer with an absolute `Location`: Next's proxy adapter parses a redirect's location
 * without a base (a relative one throws, and the request gets a 500), then gives the browser a
 * location on the same host as a path again.
 */
function absolute(refused: Response, request: Request): Response {
  const location = refused.headers.get('location');
  if (location === null) return refused;
  const headers = new Headers(refused.headers);
  headers.set('location', new URL(location, request.url).href);
  return new Response(refused.body, { status: refused.status, headers });
}

/**
 * A Server Action's answer once the sign-in is over: Next's router does not follow a redirect
 * of the action's own request, but the `x-action-redirect` of its protocol (with no Flight data,
 * a full navigation there). Other answers (a 503) go as they are.
 */
function actionRedirect(refused: Response): Response {
  const location = refused.headers.get('location');
  if (location === null) return refused;
  const headers = new Headers(refused.headers);
  headers.delete('location');
  headers.set('x-action-redirect', `${location};push`);
  headers.set('content-type', 'text/plain');
  return new Response(null, { status: 200, headers });
}

/**
 * The URL without Next's cache-busting `_rsc` parameter: the login's `next`, and the URL the
 * app's code is told.
 */
function asPageLoad(url: URL): URL {
  const copy = new URL(url);
  copy.searchParams.delete('_rsc');
  return copy;
}

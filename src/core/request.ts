// What a request's headers say about it: a page navigation, a request another origin made,
// a request that opted out of counting as activity. Pure: headers come in through a getter.

import { safeNextPath } from './next.js';
import type { PassiveRule } from './options.js';

/** Reads one request header by lower-case name; undefined when absent. */
export type HeaderGetter = (name: string) => string | undefined;

/**
 * Whether the request is a page navigation, which gets a redirect rather than JSON.
 * Browsers say so with `Sec-Fetch-Mode: navigate`; older clients without `Sec-Fetch-*`
 * are recognised by an HTML `Accept`.
 */
export function isNavigation(header: HeaderGetter): boolean {
  const mode = header('sec-fetch-mode');
  if (mode !== undefined) return mode === 'navigate';
  if (header('sec-fetch-site') !== undefined || header('sec-fetch-dest') !== undefined) {
    return false;
  }
  return (header('accept') ?? '').toLowerCase().includes('text/html');
}

/**
 * The app's own origin, or a function or an object (a request's facts, whose getter works it
 * out) that gives it: most requests carry no `Origin` or `Referer`, and then it is never needed.
 */
export type AppOrigin = string | (() => string) | { readonly appOrigin: string };

/** The origin an {@link AppOrigin} gives. */
function ownOrigin(appOrigin: AppOrigin): string {
  return typeof appOrigin === 'string'
    ? appOrigin
    : typeof appOrigin === 'function'
      ? appOrigin()
      : appOrigin.appOrigin;
}

/**
 * Whether the request must not count as activity (docs/guide/behaviour.md: What counts as activity), apart from the
 * library's own routes, which the caller handles.
 *
 * Why the origin rule: a page elsewhere (a sibling subdomain, another port, another site)
 * could otherwise keep sessions alive forever with `<img>` tags, frames, click-driven frame
 * navigations or popups. Only the app's own pages and navigations the user started from the
 * browser itself count; a page reached from elsewhere counts once the user interacts with it
 * (its client reports the input through the ping).
 */
export function isPassive<Req>(
  req: Req,
  path: string,
  header: HeaderGetter,
  rules: readonly PassiveRule<Req>[],
  appOrigin: AppOrigin,
): boolean {
  return passiveWhy(req, path, header, rules, appOrigin) !== undefined;
}

/** Why a request does not count as activity (see {@link isPassive}). */
export type PassiveWhy = 'passive-header' | 'prefetch' | 'elsewhere' | 'passive-rule';

/**
 * Why the request must not count as activity ({@link isPassive}), or undefined when it counts:
 * `X-Session-Security: passive`, a prefetch, another origin or site, or a `passive` rule.
 *
 * @example
 * ```ts
 * passiveWhy({}, '/api/poll', () => undefined, ['/api/poll'], 'https://app.example'); // 'passive-rule'
 * ```
 */
export function passiveWhy<Req>(
  req: Req,
  path: string,
  header: HeaderGetter,
  rules: readonly PassiveRule<Req>[],
  appOrigin: AppOrigin,
): PassiveWhy | undefined {
  if ((header('x-session-security') ?? '').trim().toLowerCase() === 'passive') {
    return 'passive-header';
  }
  if (/(^|[\s,;])prefetch($|[\s,;])/i.test(header('sec-purpose') ?? header('purpose') ?? '')) {
    return 'prefetch';
  }
  if (isFromElsewhere(header, appOrigin)) return 'elsewhere';
  return passiveRuleIndex(req, path, rules) < 0 ? undefined : 'passive-rule';
}

/** The index of the first `passive` rule the request matches, or -1. */
export function passiveRuleIndex<Req>(
  req: Req,
  path: string,
  rules: readonly PassiveRule<Req>[],
): number {
  if (rules.length === 0) return -1;
  const comparable = comparablePath(path);
  return rules.findIndex((rule) => matchesRule(rule, req, path, comparable));
}

/**
 * Whether another origin made the request, by every sign a browser gives: a foreign `Origin`
 * (or `null`), a `Sec-Fetch-Site` other than `same-origin` (`none`, the user's own address-bar
 * or bookmark navigation, counts as ours for a top-level navigation only), and, where
 * `Sec-Fetch-*` is absent (older browsers, some proxies), a foreign `Referer`. A request with no
 * sign at all (a non-browser client) is taken as the app's own.
 */
export function isFromElsewhere(header: HeaderGetter, appOrigin: AppOrigin): boolean {
  const origin = header('origin');
  if (origin !== undefined && origin !== ownOrigin(appOrigin)) return true;
  const site = header('sec-fetch-site');
  if (site !== undefined) {
    if (site === 'same-origin') return false;
    const dest = header('sec-fetch-dest');
    const topLevel = header('sec-fetch-mode') === 'navigate' && (dest ?? 'document') === 'document';
    return !(site === 'none' && topLevel);
  }
  if (origin !== undefined) return false;
  const referer = header('referer');
  return referer !== undefined && originOfUrl(referer) !== ownOrigin(appOrigin);
}

function originOfUrl(text: string): string | undefined {
  try {
    return new URL(text).origin;
  } catch {
    return undefined;
  }
}

/**
 * A path as passive rules compare it: lower case, without trailing slashes. Routers match
 * more loosely than exact strings (Express ignores case and one trailing slash by default);
 * a rule that matches more than the router does is harmless, one that matches less is a hole.
 */
function comparablePath(path: string): string {
  const lower = path.toLowerCase();
  // A loop from the end, not /\/+$/: that pattern retries its run of slashes from every start
  // position, so a path of 15,000 slashes and a letter took 0.2 s (quadratic).
  let end = lower.length;
  while (end > 0 && lower.charCodeAt(end - 1) === SLASH) end--;
  return end === 0 ? '/' : lower.slice(0, end);
}

const SLASH = 0x2f;

/** Case-insensitive copies of RegExp rules, made once per rule. */
const insensitiveRules = new WeakMap<RegExp, RegExp>();

function matchesRule<Req>(
  rule: PassiveRule<Req>,
  req: Req,
  path: string,
  comparable: string,
): boolean {
  if (typeof rule === 'function') return rule(req) === true;
  if (rule instanceof RegExp) {
    let insensitive = insensitiveRules.get(rule);
    if (insensitive === undefined) {
      // Without g or y, a RegExp keeps no state between tests.
      // check-regex: the app's own passive rule, copied with other flags; its speed is the app's.
      insensitive = new RegExp(rule.source, `${rule.flags.replace(/[gyi]/g, '')}i`);
      insensitiveRules.set(rule, insensitive);
    }
    return insensitive.test(path) || insensitive.test(comparable);
  }
  const wildcard = rule.endsWith('/*');
  const base = comparablePath(wildcard ? rule.slice(0, -2) : rule);
  if (!wildcard) return comparable === base;
  return comparable === base || comparable.startsWith(base === '/' ? '/' : `${base}/`);
}

/**
 * Whether a call to the library's routes comes from a page this app trusts (docs/reference/protocol.md: The ping protocol;
 * `403`). An `Origin` must be the app's own or a trusted one; without a trusted `Origin`, a
 * `Sec-Fetch-Site` must be `same-origin`. A request with neither header is a non-browser
 * client and is let through: only browsers carry a victim's cookies across sites.
 *
 * @returns undefined when allowed, else the reason, for the 403 answer
 */
export function crossOriginReason(
  header: HeaderGetter,
  appOrigin: string,
  trustedOrigins: ReadonlySet<string>,
): string | undefined {
  const origin = header('origin');
  if (origin !== undefined && trustedOrigins.has(origin)) return undefined;
  if (origin !== undefined && origin !== appOrigin) {
    return `requests from origin ${JSON.stringify(origin)} are not allowed: only ${appOrigin} and trustedOrigins may call session-security`;
  }
  const site = header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') {
    return `Sec-Fetch-Site ${JSON.stringify(site)} is not allowed: session-security answers same-origin requests only`;
  }
  return undefined;
}

/**
 * The path a user should come back to after signing in again, for the `next` of a login
 * redirect. A GET is its own path and query; a form POST cannot be replayed as a GET, so it
 * returns to the page the form was on (a same-origin `Referer`), or nowhere. Whatever
 * `safeNextPath` refuses is left out, so the library never carries a redirect to another host.
 */
export function returnPath(
  method: string,
  url: string,
  header: HeaderGetter,
  appOrigin: string,
): string | undefined {
  if (method === 'GET' || method === 'HEAD') return safeNextPath(url);
  const referer = header('referer');
  if (referer === undefined) return undefined;
  try {
    const page = new URL(referer);
    return page.origin === appOrigin ? safeNextPath(`${page.pathname}${page.search}`) : undefined;
  } catch {
    return undefined;
  }
}

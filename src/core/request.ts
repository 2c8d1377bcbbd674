// What a request's headers say about it: a page navigation, a request another origin made,
// a request that opted out of counting as activity. Pure: headers come in through a getter.

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
 * Whether the request must not count as activity (DESIGN §3 step 4), apart from the
 * library's own routes, which the caller handles.
 *
 * Why the origin rule: a page on a sibling subdomain could otherwise keep sessions alive
 * forever with `<img>` tags or frames; only a navigation the user made counts.
 */
export function isPassive<Req>(
  req: Req,
  path: string,
  header: HeaderGetter,
  rules: readonly PassiveRule<Req>[],
  trustedOrigins: ReadonlySet<string>,
): boolean {
  if ((header('x-session-security') ?? '').trim().toLowerCase() === 'passive') return true;
  if (/(^|[\s,;])prefetch($|[\s,;])/i.test(header('sec-purpose') ?? header('purpose') ?? '')) {
    return true;
  }
  const site = header('sec-fetch-site');
  const origin = header('origin');
  const fromElsewhere = site === 'same-site' || site === 'cross-site';
  const userNavigation =
    header('sec-fetch-user') === '?1' && header('sec-fetch-mode') === 'navigate';
  const trusted = origin !== undefined && trustedOrigins.has(origin);
  if (fromElsewhere && !userNavigation && !trusted) return true;
  return rules.some((rule) => matchesRule(rule, req, path));
}

function matchesRule<Req>(rule: PassiveRule<Req>, req: Req, path: string): boolean {
  if (typeof rule === 'function') return rule(req) === true;
  if (rule instanceof RegExp) {
    rule.lastIndex = 0; // a /g or /y RegExp keeps state between tests
    return rule.test(path);
  }
  if (rule.endsWith('/*')) {
    const base = rule.slice(0, -2);
    return path === base || path.startsWith(`${base}/`);
  }
  return path === rule;
}

/**
 * Whether a call to the library's routes comes from a page this app trusts (DESIGN §3.1
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
 * returns to the page the form was on (a same-origin `Referer`), or nowhere.
 */
export function returnPath(
  method: string,
  url: string,
  header: HeaderGetter,
  appOrigin: string,
): string | undefined {
  if (method === 'GET' || method === 'HEAD') return url;
  const referer = header('referer');
  if (referer === undefined) return undefined;
  try {
    const page = new URL(referer);
    return page.origin === appOrigin ? `${page.pathname}${page.search}` : undefined;
  } catch {
    return undefined;
  }
}

// Reading back the `next` parameter that an expired navigation carries to the login page,
// without opening a redirect to another site. Pure.

const PLACEHOLDER_ORIGIN = 'http://placeholder.invalid';
const MAX_LENGTH = 2048;
/** Characters a URL may carry as they are (RFC 3986 unreserved, sub-delims, ":@/?#") and %XX escapes. */
const PLAIN_URL = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*$/;

/**
 * The path to send a user to after sign-in, or undefined when `value` is not a plain path on
 * this origin. Refuses what a browser could read as another host (`//host`, `/\host`,
 * absolute and `javascript:` URLs, and their percent-encoded, whitespace and control-character
 * variants), and anything a URL parser would rewrite (dot segments, characters it escapes):
 * what it returns is exactly what it was given, so `safeNextPath(safeNextPath(x)) === safeNextPath(x)`.
 *
 * @example
 * ```ts
 * safeNextPath('/reports?page=2'); // '/reports?page=2'
 * safeNextPath('//evil.example');  // undefined
 * safeNextPath('/.//evil.example'); // undefined: a browser would collapse it to //evil.example
 * res.redirect(303, safeNextPath(req.query.next) ?? '/');
 * ```
 */
export function safeNextPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) return undefined;
  // Why a closed set of characters: browsers drop tabs and newlines inside URLs and read "\"
  // as "/", so "/\t/host" and "/\host" are "//host".
  if (!value.startsWith('/') || value.startsWith('//') || !PLAIN_URL.test(value)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  const head = decoded.replace(/[\s\p{Cc}]/gu, '');
  if (head.startsWith('//') || head.startsWith('/\\')) return undefined;
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER_ORIGIN);
  } catch {
    return undefined;
  }
  // Why compare with the input: a parser collapses dot segments ("/a/..//host" is "//host") and
  // escapes characters; an input it would rewrite is refused, never returned rewritten.
  const parsed = `${url.pathname}${url.search}${url.hash}`;
  if (url.origin !== PLACEHOLDER_ORIGIN || parsed !== value) return undefined;
  return value;
}

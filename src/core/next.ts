// Reading back the `next` parameter that an expired navigation carries to the login page,
// without opening a redirect to another site. Pure.

const PLACEHOLDER_ORIGIN = 'http://placeholder.invalid';

/**
 * The path to send a user to after sign-in, or undefined when `value` is not a plain path on
 * this origin. Refuses what a browser could read as another host: `//host`, `/\host`,
 * absolute and `javascript:` URLs, and their percent-encoded, whitespace and control-character
 * variants.
 *
 * @example
 * ```ts
 * safeNextPath('/reports?page=2'); // '/reports?page=2'
 * safeNextPath('//evil.example');  // undefined
 * res.redirect(303, safeNextPath(req.query.next) ?? '/');
 * ```
 */
export function safeNextPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/') || value.length > 2048) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  // Browsers drop tabs and newlines inside URLs and read "\" as "/", so "/\t/host" is "//host".
  if (/[\s\\\p{Cc}]/u.test(value)) return undefined;
  const head = decoded.replace(/[\s\p{Cc}]/gu, '');
  if (head.startsWith('//') || head.startsWith('/\\')) return undefined;
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER_ORIGIN);
  } catch {
    return undefined;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}

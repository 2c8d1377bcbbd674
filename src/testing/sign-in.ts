// signIn: a user signed in to an app over HTTP, for a test on the server (no browser): it posts
// the app's login form and keeps the cookies the app sets, as a browser would, so that the test
// moves its clock and sees the app refuse the next request (docs/guide/testing.md).

/** A user signed in over HTTP: each request carries the cookies the app set. */
export interface SignedInUser {
  /**
   * Sends a request to `path` (relative to the app's origin) with the user's cookies, and keeps
   * the cookies its answer sets or deletes. Redirects are not followed: the test sees them.
   * A request other than GET or HEAD carries the app's `Origin`, as a browser's does. Another
   * origin's URL is refused: the cookies are the app's.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The user's cookies, as a `Cookie` header. */
  readonly cookie: string;
}

/**
 * Signs in through the app's login form over HTTP: asks for the login page (for the cookies some
 * forms need), then posts `fields` to it, form-encoded. The app's answer must set a cookie and
 * not send the user back to the login page.
 *
 * @param loginUrl - where the login form posts, e.g. `http://127.0.0.1:3000/login`
 * @param fields - the form's fields, e.g. `{ username: 'ada', password: 'secret' }`
 * @returns the signed-in user, whose `fetch` carries its cookies
 * @throws Error when the app answered 400 or more, set no cookie, or sent the user back to the login page
 * @example
 * ```ts
 * const ada = await signIn(`${origin}/login`, { username: 'demo', password: 'demo' });
 * console.log((await ada.fetch('/')).status); // 200
 * ```
 */
export async function signIn(
  loginUrl: string | URL,
  fields: Readonly<Record<string, string>>,
): Promise<SignedInUser> {
  const login = new URL(loginUrl);
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const send = async (path: string, init: RequestInit = {}) => {
    const url = new URL(path, login);
    if (url.origin !== login.origin) {
      throw new Error(
        `signIn's fetch sends the user's cookies to ${login.origin} only, not to ${url.origin}`,
      );
    }
    const headers = new Headers(init.headers);
    if (jar.size > 0 && !headers.has('cookie')) headers.set('cookie', cookie());
    const method = (init.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD' && !headers.has('origin')) {
      headers.set('origin', login.origin);
    }
    const answer = await fetch(url, { ...init, headers, redirect: 'manual' });
    keepCookies(jar, answer.headers.getSetCookie());
    return answer;
  };
  await send(login.href);
  const answer = await send(login.href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  if (answer.status >= 400) {
    throw new Error(`signing in at ${login.href} answered ${answer.status}`);
  }
  const location = answer.headers.get('location');
  if (location !== null && new URL(location, login).pathname === login.pathname) {
    throw new Error(`signing in at ${login.href} sent the user back to it (to ${location})`);
  }
  if (jar.size === 0) throw new Error(`signing in at ${login.href} set no cookie`);
  return {
    fetch: send,
    get cookie() {
      return cookie();
    },
  };
}

/** Keeps the cookies of `Set-Cookie` lines in `jar`; an empty value or `Max-Age=0` or less deletes one. */
function keepCookies(jar: Map<string, string>, lines: readonly string[]): void {
  for (const line of lines) {
    const [pair = '', ...attributes] = line.split(';');
    const equals = pair.indexOf('=');
    if (equals <= 0) continue;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    const maxAge = attributes
      .map((attribute) => /^\s*max-age\s*=\s*(-?\d+)\s*$/i.exec(attribute)?.[1])
      .find((found) => found !== undefined);
    const expires = attributes
      .map((attribute) => /^\s*expires\s*=(.*)$/i.exec(attribute)?.[1])
      .find((found) => found !== undefined);
    const expired =
      (maxAge !== undefined && Number(maxAge) <= 0) ||
      (maxAge === undefined && expires !== undefined && Date.parse(expires) <= Date.now());
    if (value === '' || expired) jar.delete(name);
    else jar.set(name, value);
  }
}

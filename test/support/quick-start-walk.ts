// The walk every README app answers (they all have the quick start's routes): run on the apps of
// the README in the repository (test/examples/preludes/whole-app.ts) and installed from the
// packed package in a fresh app (test/integration/package-install.test.ts).

import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from './http.js';

/** The walk: each step's request and the status and text it must answer with. */
const WALK = [
  ['GET', '/login?next=%2F', NAVIGATE, 200, 'Sign in as Ada'],
  ['POST', '/login', NAVIGATE, 303, ''],
  ['GET', '/', NAVIGATE, 200, 'id="session-security-config"'],
  ['GET', '/session-security/ping', SAME_ORIGIN_FETCH, 200, '"status":"active"'],
  ['GET', '/api/notifications', SAME_ORIGIN_FETCH, 200, ''],
  ['POST', '/logout', NAVIGATE, 303, ''],
  ['GET', '/', NAVIGATE, 303, ''],
] as const;

/**
 * Walks an app of the quick start's routes as a browser would: the login form, sign-in as ada,
 * the page with the client's tags, a ping, the passive poll, sign-out, and the page again.
 * Throws at the first step that answers otherwise.
 */
export async function walkQuickStart(origin: string): Promise<void> {
  const jar = new CookieJar();
  for (const [method, path, headers, status, text] of WALK) {
    const body = method === 'POST' && path === '/login' ? 'user=ada&next=%2F' : undefined;
    const type: Record<string, string> = body
      ? { 'content-type': 'application/x-www-form-urlencoded' }
      : {};
    const reply = await send(origin, path, { method, headers: { ...headers, ...type }, body }, jar);
    if (reply.status !== status || !reply.text.includes(text)) {
      throw new Error(
        `${method} ${path} answered ${reply.status} (expected ${status}${text ? ` with ${text}` : ''}): ${reply.text.slice(0, 300)}`,
      );
    }
  }
}

// The walks the docs' whole apps answer: the guides' apps all have the Express quick start's
// routes; README's quick start, in 25 lines, has a page and its sign-in form only. Run on the
// apps in the repository (test/examples/preludes/whole-app.ts, readme-app.ts) and installed from
// the packed package in a fresh app (test/integration/package-install.test.ts).

import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from './http.js';

/** A walk: each step's request, and the status and text it must answer with. */
type Walk = readonly (readonly [string, string, Record<string, string>, number, string])[];

/** The guides' apps. */
const WALK: Walk = [
  ['GET', '/login?next=%2F', NAVIGATE, 200, 'Sign in as Ada'],
  ['POST', '/login', NAVIGATE, 303, ''],
  ['GET', '/', NAVIGATE, 200, 'id="session-security-config"'],
  ['GET', '/session-security/ping', SAME_ORIGIN_FETCH, 200, '"status":"active"'],
  ['GET', '/api/notifications', SAME_ORIGIN_FETCH, 200, ''],
  ['POST', '/logout', NAVIGATE, 303, ''],
  ['GET', '/', NAVIGATE, 303, ''],
];

/** README's quick start: the sign-in form on its page, sign-in, the page with the client's tags, a ping. */
const README_WALK: Walk = [
  ['GET', '/', NAVIGATE, 200, '<form method=post>'],
  ['POST', '/', NAVIGATE, 303, ''],
  ['GET', '/', NAVIGATE, 200, 'id="session-security-config"'],
  ['GET', '/session-security/ping', SAME_ORIGIN_FETCH, 200, '"status":"active"'],
];

/**
 * Walks an app of the quick start's routes as a browser would: the login form, sign-in as ada,
 * the page with the client's tags, a ping, the passive poll, sign-out, and the page again.
 * Throws at the first step that answers otherwise.
 */
export function walkQuickStart(origin: string): Promise<void> {
  return walk(origin, WALK);
}

/** Walks README's quick start: its page with the sign-in form, sign-in, the page again, a ping. */
export function walkReadmeQuickStart(origin: string): Promise<void> {
  return walk(origin, README_WALK);
}

async function walk(origin: string, steps: Walk): Promise<void> {
  const jar = new CookieJar();
  for (const [method, path, headers, status, text] of steps) {
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

// What the preludes share: the environment the examples read (`process.env`), a pino that
// writes nowhere, a request of a signed-in session held in flight, and calling the routes an
// example added with that session's cookie.

import { Writable } from 'node:stream';
import { pino as createPino, type Logger, type LoggerOptions } from 'pino';
import { CookieJar, type Reply, send } from '../support/http.js';

/** The secrets the examples read from the environment: the length the library asks for. */
export const SECRETS = {
  SESSION_SECRET: 'the session secret of the docs examples, at least 32 characters',
  DRAFT_SECRET: 'the drafts secret of the docs examples, at least 32 characters',
};

/**
 * Where the test (test/integration/examples.test.ts) puts the URL of the run's Redis
 * (test/support/global-setup.ts) for the preludes: they import nothing of Vitest, so that
 * compiling the examples compiles none of it.
 */
export const REDIS_URL_VARIABLE = 'DOCS_EXAMPLES_REDIS_URL';

/**
 * Sets what the examples read from `process.env` (the secrets, and REDIS_URL: the run's Redis);
 * returns what puts the environment back.
 */
export function environment(): () => void {
  const redisUrl = process.env[REDIS_URL_VARIABLE];
  if (!redisUrl) throw new Error(`no ${REDIS_URL_VARIABLE}: run the examples through their test`);
  const values: Record<string, string> = { ...SECRETS, REDIS_URL: redisUrl };
  const before = Object.keys(values).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of before) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** pino, writing to nowhere (the examples' lines would fill the test's output). */
export function pino(options: LoggerOptions = {}): Logger {
  return createPino(options, new Writable({ write: (_chunk, _encoding, done) => done() }));
}

export { deferred } from '../support/deferred.js';

/** What a browser sends from a page of the app: a same-origin request. */
const SAME_ORIGIN = {
  'sec-fetch-site': 'same-origin',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
};

/** The form every POST of `exercise` carries: the names the examples' routes read. */
const FORM = 'user=ada&password=secret&next=%2Freports';

/** A browser of a signed-in session on a server: `sign in` is the prelude's own route. */
export async function signedIn(origin: string, signInPath: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const reply = await send(origin, signInPath, { method: 'POST', headers: SAME_ORIGIN }, jar);
  if (reply.status >= 300)
    throw new Error(`the prelude's sign-in answered ${reply.status}: ${reply.text}`);
  return jar;
}

/** A request of the signed-in browser, sent now and answered when the app answers it. */
export function request(
  origin: string,
  jar: CookieJar,
  method: string,
  path: string,
): Promise<Reply> {
  const headers: Record<string, string> = { ...SAME_ORIGIN };
  if (method === 'GET' || method === 'HEAD') return send(origin, path, { method, headers }, jar);
  headers['content-type'] = 'application/x-www-form-urlencoded';
  return send(origin, path, { method, headers, body: FORM }, jar);
}

/**
 * Calls each route an example added (`METHOD /path`) from the signed-in browser, in order:
 * throws when one fails (a 5xx) or is not found.
 */
export async function exercise(
  origin: string,
  jar: CookieJar,
  routes: readonly string[],
): Promise<void> {
  for (const route of routes) {
    const [method = 'GET', path = '/'] = route.split(' ');
    const reply = await request(origin, jar, method, path);
    if (reply.status >= 500 || reply.status === 404) {
      throw new Error(`${route}, the example's route, answered ${reply.status}: ${reply.text}`);
    }
  }
}

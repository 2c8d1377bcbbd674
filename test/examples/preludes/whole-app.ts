// README's whole apps (the Express quick start, Passport, Fastify, Koa, Hono, several instances
// on Redis): each block is an app and needs no names; all have the same routes. After one ran, a
// browser goes through it on the server it started (a fixed port listens on a free one here,
// test/examples/run.ts): the login form, sign-in, the page with the client's tags, a ping, the
// passive poll, sign-out, and the page again.

import type { AddressInfo } from 'node:net';
import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../../support/http.js';
import { environment } from '../context.js';
import type { PreludeHooks } from '../run.js';

const restoreEnvironment = environment();

/** The quick start's walk: each step's request and the status and text it must answer with. */
const STEPS = [
  ['GET', '/login?next=%2F', NAVIGATE, 200, 'Sign in as Ada'],
  ['POST', '/login', NAVIGATE, 303, ''],
  ['GET', '/', NAVIGATE, 200, 'id="session-security-config"'],
  ['GET', '/session-security/ping', SAME_ORIGIN_FETCH, 200, '"status":"active"'],
  ['GET', '/api/notifications', SAME_ORIGIN_FETCH, 200, '[]'],
  ['POST', '/logout', NAVIGATE, 303, ''],
  ['GET', '/', NAVIGATE, 303, ''],
] as const;

export const $example: PreludeHooks = {
  async after({ servers }) {
    const [server] = servers;
    if (servers.length !== 1 || !server)
      throw new Error(`the app started ${servers.length} servers`);
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const jar = new CookieJar();
    for (const [method, path, headers, status, text] of STEPS) {
      const body = method === 'POST' && path === '/login' ? 'user=ada&next=%2F' : undefined;
      const type: Record<string, string> = body
        ? { 'content-type': 'application/x-www-form-urlencoded' }
        : {};
      const reply = await send(
        origin,
        path,
        { method, headers: { ...headers, ...type }, body },
        jar,
      );
      if (reply.status !== status || !reply.text.includes(text)) {
        throw new Error(`${method} ${path} answered ${reply.status} ${reply.text.slice(0, 200)}`);
      }
    }
  },
  async cleanup() {
    restoreEnvironment();
  },
};

// The examples that set a Koa app up from the start: `app`, a Koa app with its cookie keys and
// no middleware yet, and koa-session external stores (`store`, `yourExternalStore`, `myStore`:
// in memory; `redisSessionStore`: in the run's Redis). After the example, the app answers an
// anonymous request without a server error.

import Koa from 'koa';
import session from 'koa-session';
import { createClient } from 'redis';
import { sessionSecurity } from 'session-security/koa';
import { send } from '../../support/http.js';
import { environment, SECRETS } from '../context.js';
import { MemoryStore, RedisSessionStore } from '../koa-stores.js';
import type { PreludeHooks } from '../run.js';

const restoreEnvironment = environment();

export { session, sessionSecurity };
export const store = new MemoryStore();
export const yourExternalStore = new MemoryStore();
export const myStore = new MemoryStore();
const client = createClient({ url: process.env.REDIS_URL });
await client.connect();
export const redisSessionStore = new RedisSessionStore(client, 'docs-examples:koa:');

export const app = new Koa();
app.keys = [SECRETS.SESSION_SECRET];

/** Starts `app` on 127.0.0.1 (a free port) and sends a request; throws on a server error. */
async function answers(path: string, method = 'GET', cookie?: string): Promise<number> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const address = server.address() as { port: number };
    const headers: Record<string, string> = { 'sec-fetch-site': 'same-origin' };
    if (cookie) headers.cookie = cookie;
    const reply = await send(`http://127.0.0.1:${address.port}`, path, { method, headers });
    if (reply.status >= 500)
      throw new Error(`${method} ${path} answered ${reply.status}: ${reply.text}`);
    return reply.status;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

export const $example: PreludeHooks = {
  async after() {
    await answers('/reports');
  },
  async cleanup() {
    client.destroy();
    restoreEnvironment();
  },
};

// The examples that set a Fastify app up from the start: `app`, a Fastify instance with nothing
// registered yet, the session secret, and connect-redis's `RedisStore` with `client`, a
// node-redis client of the run's Redis. After the example, the app must boot (`ready()`).

import { RedisStore } from 'connect-redis';
import Fastify from 'fastify';
import { createClient } from 'redis';
import { sessionSecurity } from 'session-security/fastify';
import { environment } from '../context.js';
import type { PreludeHooks } from '../run.js';

const restoreEnvironment = environment();

export * from '../fastify-context.js';
export { RedisStore, sessionSecurity };
export const app = Fastify();
export const client = createClient({ url: process.env.REDIS_URL });
await client.connect();

export const $example: PreludeHooks = {
  async after() {
    await app.ready();
  },
  async cleanup() {
    try {
      await app.close();
    } finally {
      client.destroy();
      restoreEnvironment();
    }
  },
};

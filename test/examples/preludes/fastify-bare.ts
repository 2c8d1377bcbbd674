// The examples that set a Fastify app up from the start: `app`, a Fastify instance with nothing
// registered yet, the session secret, and connect-redis's `RedisStore` with `client`, a
// node-redis client of the run's Redis. After the example, the app must boot (`ready()`).

import { RedisStore } from 'connect-redis';
import type { FastifyRequest } from 'fastify';
import Fastify from 'fastify';
import { createClient } from 'redis';
import { sessionSecurity } from 'session-security/fastify';
import { environment, SECRETS } from '../context.js';
import type { PreludeHooks } from '../run.js';

declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

const restoreEnvironment = environment();

export { RedisStore, sessionSecurity };
export const secret = SECRETS.SESSION_SECRET;
export const draftSecret = SECRETS.DRAFT_SECRET;
export const isAuthenticated = (request: FastifyRequest) =>
  typeof request.session.user === 'string';
export const userId = (request: FastifyRequest) => request.session.user ?? '';
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

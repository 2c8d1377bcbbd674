// The Redis examples' context: the Express one (./express.ts), and `client`, a node-redis client
// connected to the run's Redis (test/support/global-setup.ts; REDIS_URL points there too), with
// connect-redis's `RedisStore` for sessions.

import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { withExpress } from './express.js';

export * from './express.js';
export { RedisStore };

export const client = createClient({ url: process.env.REDIS_URL });
await client.connect();

export const $example = withExpress(() => client.destroy());

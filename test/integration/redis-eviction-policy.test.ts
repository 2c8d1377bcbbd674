// The Redis store warns at start-up when Redis may evict its records (a maxmemory-policy other than
// noeviction: every record has a TTL), read through INFO memory, with either client. A private
// redis-server of the test's own is set to each policy with CONFIG SET.

import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startRedisServer } from '../support/redis-server.js';
import { sleep } from '../support/sleep.js';

let server: PrivateRedis | undefined;
let port = 0;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  port = server.port;
  admin = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 20 });
  admin.on('error', () => {});
  await new Promise((resolve) => admin.once('ready', resolve));
});
afterAll(async () => {
  admin?.disconnect();
  await server?.close();
});

/** The warnings a store logs within a second of its creation, on a client of either kind. */
async function warningsAtStartUp(kind: 'ioredis' | 'node-redis'): Promise<string[]> {
  const warnings: string[] = [];
  const logger = { warn: (message: string) => warnings.push(message), error: () => {} };
  if (kind === 'ioredis') {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
    await client.connect();
    try {
      redisStore({ client, logger });
      await sleep(300); // real time is the point: a warning that does not come
    } finally {
      client.disconnect();
    }
  } else {
    const client = await createClient({ url: `redis://127.0.0.1:${port}` }).connect();
    try {
      redisStore({ client, logger });
      await sleep(300); // real time is the point: a warning that does not come
    } finally {
      await client.quit();
    }
  }
  return warnings;
}

describe.each(['ioredis', 'node-redis'] as const)("the Redis store's start-up, with %s", (kind) => {
  it.each(['allkeys-lru', 'allkeys-random', 'volatile-lru', 'volatile-ttl'])(
    'warns once that maxmemory-policy %s may evict sign-in records',
    async (policy) => {
      await admin.config('SET', 'maxmemory-policy', policy);
      const warnings = await warningsAtStartUp(kind);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`maxmemory-policy is ${policy}`);
      expect(warnings[0]).toContain('noeviction');
    },
  );

  it('says nothing with noeviction', async () => {
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    expect(await warningsAtStartUp(kind)).toEqual([]);
  });
});

// The adapters and activity stores the conformance suites run against: every server adapter,
// each with the session-object default and with the Redis store (a real Redis: the run's own, test/support/test-redis.ts).

import { Redis } from 'ioredis';
import type { ActivityStore } from 'session-security';
import { redisStore } from 'session-security/redis';
import { afterAll, beforeAll, expect } from 'vitest';
import type { FakeClock } from '../support/http.js';
import { testRedisPort } from '../support/test-redis.js';
import type { ConformanceApp, Harness, HarnessOptions } from './harness.js';
import { expressHarness } from './harness-express.js';
import { fastifyHarness } from './harness-fastify.js';
import { honoHarness } from './harness-hono.js';
import { koaHarness } from './harness-koa.js';
import { nodeHttpHarness } from './harness-node-http.js';

export const HARNESSES: readonly Harness[] = [
  expressHarness,
  fastifyHarness,
  koaHarness,
  honoHarness,
  nodeHttpHarness,
];

export type StoreKind = 'default' | 'redis';
export const STORES: readonly StoreKind[] = ['default', 'redis'];

/** Every adapter with every store, as rows for `describe.each`. */
export const CASES = HARNESSES.flatMap((harness) =>
  STORES.map((store) => [harness.framework, store, harness] as const),
);

/**
 * What a conformance test starts its app with: the adapter's harness, the store under test
 * (its clock is the app's fake clock), and sign-ins that start the clock where the store needs it.
 */
export function useAdapter(harness: Harness, storeKind: StoreKind) {
  const prefix = `ss-conformance-${process.pid}-${Date.now()}-${harness.framework}:`;
  let client: Redis | undefined;
  let current: ConformanceApp | undefined;
  let clock: FakeClock | undefined;
  beforeAll(async () => {
    if (storeKind === 'redis') {
      client = new Redis({ host: '127.0.0.1', port: testRedisPort(), lazyConnect: true });
      await client.connect();
    }
  });
  afterAll(async () => {
    await current?.close();
    if (client) {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
      // The suite ran on Redis, not on a default store that slipped in.
      expect(keys.length).toBeGreaterThan(0);
    }
  });

  function store(): ActivityStore | undefined {
    if (storeKind !== 'redis' || !client) return undefined;
    return redisStore({
      client,
      prefix,
      now: () => clock?.now() ?? Date.now(),
      logger: { warn: () => {}, error: () => {} },
    });
  }

  return {
    /** The activity store under test, on the app's fake clock (undefined for the default). */
    store,
    /** Deletes a sign-in's Redis record, as eviction or FLUSHALL would (Redis store only). */
    async loseRecord(marker: string): Promise<void> {
      if (!client) throw new Error('loseRecord needs the Redis store');
      expect(await client.del(`${prefix}${marker}`)).toBe(1);
    },
    /** Starts a fresh app (closing the previous one); with the Redis store, sign-ins call start. */
    async start(options: HarnessOptions = {}): Promise<ConformanceApp> {
      await current?.close();
      const activityStore = store();
      const app = await harness.start({
        ...options,
        security: { ...(activityStore ? { store: activityStore } : {}), ...options.security },
      });
      clock = app.clock;
      const signIn = app.signIn.bind(app);
      let closed: Promise<void> | undefined;
      current = {
        ...app,
        signIn: (signInOptions) =>
          signIn({ start: storeKind === 'redis' || signInOptions?.start === true }),
        // Once only: a test may close its app before the next start closes it again.
        close: () => {
          closed ??= app.close();
          return closed;
        },
      };
      return current;
    },
    async stop(): Promise<void> {
      await current?.close();
      current = undefined;
    },
  };
}

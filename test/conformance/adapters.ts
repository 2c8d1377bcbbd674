// The adapters and activity stores the conformance suites run against: every server adapter,
// each with the session-object default and with the Redis store on real Redis servers of the
// run's own: one server (test/support/test-redis.ts), and through both clients a Cluster of 3
// primaries and 3 replicas and a Sentinel set-up (test/support/global-setup-topologies.ts).

import { Cluster, Redis } from 'ioredis';
import { createCluster, createSentinel } from 'redis';
import type { ActivityStore } from 'session-security';
import { type RedisClient, redisStore } from 'session-security/redis';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import type { FakeClock } from '../support/http.js';
import { testRedisPort } from '../support/test-redis.js';
import type { ConformanceApp, Harness, HarnessOptions } from './harness.js';
import { expressHarness } from './harness-express.js';
import { fastifyHarness } from './harness-fastify.js';
import { honoHarness } from './harness-hono.js';
import { koaHarness } from './harness-koa.js';
import { nestExpressHarness, nestFastifyHarness } from './harness-nest.js';
import { nextHarness } from './harness-next.js';
import { nodeHttpHarness } from './harness-node-http.js';

export const HARNESSES: readonly Harness[] = [
  expressHarness,
  fastifyHarness,
  koaHarness,
  honoHarness,
  nodeHttpHarness,
  nextHarness,
  nestExpressHarness,
  nestFastifyHarness,
];

export type StoreKind =
  | 'default'
  | 'redis'
  | 'Redis Cluster (ioredis)'
  | 'Redis Cluster (node-redis)'
  | 'Redis Sentinel (ioredis)'
  | 'Redis Sentinel (node-redis)';
export const STORES: readonly StoreKind[] = [
  'default',
  'redis',
  'Redis Cluster (ioredis)',
  'Redis Cluster (node-redis)',
  'Redis Sentinel (ioredis)',
  'Redis Sentinel (node-redis)',
];

/** A connection to the Redis of a store kind: the store's client, and the test's own for its keys. */
interface RedisUnderTest {
  client: RedisClient;
  /** Every key that starts with `prefix` (on every primary of a Cluster). */
  keys(prefix: string): Promise<string[]>;
  del(keys: string[]): Promise<number>;
  close(): Promise<void>;
}

const quiet = () => {};

/** Connects to the Redis a store kind runs on (not for the default store). */
async function connectRedis(kind: StoreKind): Promise<RedisUnderTest> {
  if (kind === 'redis') {
    const client = new Redis({ host: '127.0.0.1', port: testRedisPort(), lazyConnect: true });
    await client.connect();
    return {
      client,
      keys: (prefix) => client.keys(`${prefix}*`),
      del: (keys) => client.del(...keys),
      close: async () => void (await client.quit()),
    };
  }
  if (kind.startsWith('Redis Cluster')) {
    const ports = inject('redisClusterPorts');
    const admin = new Cluster(
      ports.map((port) => ({ host: '127.0.0.1', port })),
      {
        lazyConnect: true,
      },
    );
    admin.on('error', quiet);
    await admin.connect();
    const viaNodeRedis = kind.endsWith('(node-redis)');
    const nodeRedis = viaNodeRedis
      ? createCluster({ rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })) })
      : undefined;
    nodeRedis?.on('error', quiet);
    await nodeRedis?.connect();
    return {
      client: nodeRedis ?? admin,
      async keys(prefix) {
        const primaries = admin.nodes('master');
        return (await Promise.all(primaries.map((node) => node.keys(`${prefix}*`)))).flat();
      },
      // One key per command: a Cluster refuses a DEL of keys in different slots.
      del: async (keys) =>
        (await Promise.all(keys.map((key) => admin.del(key)))).reduce((a, b) => a + b, 0),
      async close() {
        await nodeRedis?.close();
        await admin.quit();
      },
    };
  }
  const { name, ports } = inject('redisSentinel');
  const sentinels = ports.map((port) => ({ host: '127.0.0.1' as const, port }));
  const admin = new Redis({ sentinels, name, lazyConnect: true });
  admin.on('error', quiet);
  await admin.connect();
  const nodeRedis = kind.endsWith('(node-redis)')
    ? createSentinel({ name, sentinelRootNodes: sentinels })
    : undefined;
  nodeRedis?.on('error', quiet);
  await nodeRedis?.connect();
  return {
    client: nodeRedis ?? admin,
    keys: (prefix) => admin.keys(`${prefix}*`),
    del: (keys) => admin.del(...keys),
    async close() {
      await nodeRedis?.close();
      await admin.quit();
    },
  };
}

/** Every adapter with every store, as rows for `describe.each`. */
export const CASES = HARNESSES.flatMap((harness) =>
  STORES.filter((store) => harness.stores?.includes(store) ?? true).map(
    (store) => [harness.framework, store, harness] as const,
  ),
);

/**
 * What a conformance test starts its app with: the adapter's harness, the store under test
 * (its clock is the app's fake clock), and sign-ins that start the clock where the store needs it.
 */
export function useAdapter(harness: Harness, storeKind: StoreKind) {
  const prefix = `ss-conformance-${process.pid}-${Date.now()}-${harness.framework}:`;
  let redis: RedisUnderTest | undefined;
  let current: ConformanceApp | undefined;
  let clock: FakeClock | undefined;
  beforeAll(async () => {
    if (storeKind !== 'default') redis = await connectRedis(storeKind);
  });
  afterAll(async () => {
    await current?.close();
    if (redis) {
      const keys = await redis.keys(prefix);
      if (keys.length > 0) await redis.del(keys);
      await redis.close();
      // The suite ran on Redis, not on a default store that slipped in.
      expect(keys.length).toBeGreaterThan(0);
    }
  });

  function store(): ActivityStore | undefined {
    if (!redis) return undefined;
    return redisStore({
      client: redis.client,
      // Every sign-out acknowledged by a replica where there is one (README: waitReplicas).
      waitReplicas: storeKind === 'redis' ? 0 : 1,
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
      if (!redis) throw new Error('loseRecord needs the Redis store');
      expect(await redis.del([`${prefix}${marker}`])).toBe(1);
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
          signIn({ start: storeKind !== 'default' || signInOptions?.start === true }),
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

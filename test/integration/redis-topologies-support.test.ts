// The test topologies themselves (test/support/redis-cluster.ts, test/support/redis-sentinel.ts):
// a private Redis Cluster and a private Sentinel set-up start, serve keys of different slots to
// ioredis and to node-redis, fail over when their primary is killed, and leave no process once
// closed. After a failover, each client made before the kill writes again within 15 s, but for
// node-redis's cluster client, which never learns of the failover (a new one is used, and the old
// one's fate is noted). The two start side by side; the file takes about 15 s.

import { Cluster, Redis } from 'ioredis';
import { createCluster, createSentinel } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateCluster, startRedisCluster } from '../support/redis-cluster.js';
import { type PrivateSentinel, startRedisSentinel } from '../support/redis-sentinel.js';
import { sleep } from '../support/sleep.js';

let cluster: PrivateCluster | undefined;
let sentinel: PrivateSentinel | undefined;
/** How long each start took, side by side, in milliseconds. */
const startMs = { cluster: 0, sentinel: 0 };

beforeAll(async () => {
  const begin = Date.now();
  const timed = <T>(start: Promise<T>, which: keyof typeof startMs) =>
    start.finally(() => {
      startMs[which] = Date.now() - begin;
    });
  const [clusterStart, sentinelStart] = await Promise.allSettled([
    timed(startRedisCluster(), 'cluster'),
    timed(startRedisSentinel(), 'sentinel'),
  ]);
  if (clusterStart.status === 'fulfilled') cluster = clusterStart.value;
  if (sentinelStart.status === 'fulfilled') sentinel = sentinelStart.value;
  if (clusterStart.status === 'rejected') throw clusterStart.reason;
  if (sentinelStart.status === 'rejected') throw sentinelStart.reason;
}, 45_000);

afterAll(async () => {
  await cluster?.close();
  await sentinel?.close();
});

/** The started topology, or the failure of the start. */
function started<T>(topology: T | undefined): T {
  if (!topology) throw new Error('the topology did not start');
  return topology;
}

/** Whether a process with this pid exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `promise` settles (resolves or rejects) within `ms`. */
async function answersWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const limit = new AbortController();
  const settled = promise.then(
    () => true,
    () => true,
  );
  const answered = await Promise.race([settled, sleep(ms, limit.signal).then(() => false)]);
  limit.abort();
  return answered;
}

/**
 * Runs `write` until it resolves (each try given 2 s); fails after `withinMs` with the last
 * error. A try that is still pending when given up on is left to fail when its client closes.
 */
async function writesAgain(
  client: string,
  write: () => Promise<unknown>,
  withinMs = 15_000,
): Promise<number> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < withinMs) {
    const attempt = write();
    attempt.catch(() => {});
    const limit = new AbortController();
    try {
      const done = await Promise.race([
        attempt.then(() => true),
        sleep(2000, limit.signal).then(() => false),
      ]);
      if (done) return Date.now() - start;
      last = new Error('no answer within 2 s');
    } catch (error) {
      last = error;
      await sleep(100);
    } finally {
      limit.abort();
    }
  }
  throw new Error(`no write of ${client} succeeded within ${withinMs} ms: ${String(last)}`);
}

describe('a private Redis Cluster', () => {
  let ioredis: Cluster;
  let nodeRedis: ReturnType<typeof createCluster>;
  /**
   * One key served by each primary, by the primary's port. Its hash tag (`{…}`) puts the keys
   * written below (`<key>:io`, `<key>:nr`) in its slot.
   */
  const keyOf = new Map<number, string>();

  beforeAll(async () => {
    const topology = started(cluster);
    for (let i = 0; keyOf.size < 3 && i < 1000; i++) {
      const key = `{rt:cluster:${i}}`;
      const port = await topology.primaryOf(key);
      if (!keyOf.has(port)) keyOf.set(port, key);
    }
    ioredis = new Cluster([...topology.rootNodes], {
      clusterRetryStrategy: (times) => (times > 30 ? null : 200),
      slotsRefreshTimeout: 1000,
      redisOptions: { connectTimeout: 1000 },
    });
    ioredis.on('error', () => {}); // the kill below is expected
    nodeRedis = createCluster({
      rootNodes: topology.urls.map((url) => ({ url })),
      defaults: { socket: { connectTimeout: 1000 } },
    });
    nodeRedis.on('error', () => {});
    await nodeRedis.connect();
  });

  afterAll(async () => {
    ioredis?.disconnect();
    nodeRedis?.destroy();
  });

  it('has three primaries, each with a replica, and serves keys of each to both clients', async ({
    annotate,
  }) => {
    const topology = started(cluster);
    await annotate(`started in ${startMs.cluster} ms`);
    expect(await topology.primaries()).toHaveLength(3);
    expect(await topology.replicas()).toHaveLength(3);
    expect(topology.nodes.map((node) => node.initialRole)).toEqual([
      'primary',
      'primary',
      'primary',
      'replica',
      'replica',
      'replica',
    ]);
    expect([...keyOf.keys()].sort((a, b) => a - b)).toEqual(await topology.primaries());

    for (const key of keyOf.values()) {
      await ioredis.set(`${key}:io`, 'ioredis');
      expect(await ioredis.get(`${key}:io`)).toBe('ioredis');
      await nodeRedis.set(`${key}:nr`, 'node-redis');
      expect(await nodeRedis.get(`${key}:nr`)).toBe('node-redis');
    }
    expect(await topology.keys('{rt:cluster:*')).toHaveLength(6);
    await topology.flushAll();
    expect(await topology.keys('{rt:cluster:*')).toEqual([]);
  });

  it("promotes a killed primary's replica; ioredis and a new node-redis client write there", async ({
    annotate,
  }) => {
    const topology = started(cluster);
    const [old, key] = [...keyOf][0] ?? [0, ''];
    const start = Date.now();
    const promoted = await topology.killPrimaryOf(key);
    const failoverMs = Date.now() - start;
    expect(promoted).not.toBe(old);
    expect(await topology.primaryOf(key)).toBe(promoted);
    expect(await topology.primaries()).toContain(promoted);
    expect(await topology.primaries()).not.toContain(old);

    const ioredisMs = await writesAgain('ioredis', () => ioredis.set(`${key}:io`, 'ioredis after'));
    expect(await ioredis.get(`${key}:io`)).toBe('ioredis after');

    // node-redis 5 looks for a new topology only when a node answers MOVED or ASK, which a dead
    // primary never does (seen here with node-redis 5.12): a client made before the kill keeps waiting
    // for the dead node (its commands queue while it reconnects); one made after writes at once.
    const fresh = createCluster({
      rootNodes: topology.urls.map((url) => ({ url })),
      defaults: { socket: { connectTimeout: 1000 } },
    });
    fresh.on('error', () => {}); // the dead root node
    try {
      await fresh.connect();
      const nodeRedisMs = await writesAgain('node-redis', () =>
        fresh.set(`${key}:nr`, 'node-redis after'),
      );
      expect(await fresh.get(`${key}:nr`)).toBe('node-redis after');
      const stale = nodeRedis.set(`${key}:nr`, 'stale node-redis');
      stale.catch(() => {}); // rejected when the client is destroyed
      const staleWrote = await answersWithin(stale, 2000);
      await annotate(
        `failover ${failoverMs} ms; then ioredis wrote after ${ioredisMs} ms, a new node-redis client after ${nodeRedisMs} ms; the node-redis client made before the kill ${staleWrote ? 'wrote' : 'did not write within 2 s'}`,
      );
    } finally {
      fresh.destroy();
    }
  }, 45_000);

  it('leaves no process once closed', async () => {
    const topology = started(cluster);
    ioredis.disconnect();
    nodeRedis.destroy();
    const pids = topology.pids();
    expect(pids).toHaveLength(6);
    await topology.close();
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('a private Redis Sentinel set-up', () => {
  let ioredis: Redis;
  let nodeRedis: ReturnType<typeof createSentinel>;

  beforeAll(async () => {
    const topology = started(sentinel);
    ioredis = new Redis({
      sentinels: [...topology.sentinels],
      name: topology.name,
      connectTimeout: 1000,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => (times > 100 ? null : 200),
      sentinelRetryStrategy: (times) => (times > 100 ? null : 200),
    });
    ioredis.on('error', () => {}); // the kill below is expected
    nodeRedis = createSentinel({
      name: topology.name,
      sentinelRootNodes: [...topology.sentinels],
      nodeClientOptions: { socket: { connectTimeout: 1000 } },
      scanInterval: 1000,
    });
    nodeRedis.on('error', () => {});
    await nodeRedis.connect();
  });

  afterAll(async () => {
    ioredis?.disconnect();
    await nodeRedis?.destroy().catch(() => {});
  });

  it('serves keys from the primary to both clients', async ({ annotate }) => {
    const topology = started(sentinel);
    await annotate(`started in ${startMs.sentinel} ms`);
    const [primary, replica] = topology.servers;
    expect(await topology.primaryPort()).toBe(primary?.port);
    expect(await topology.replicaPorts()).toEqual([replica?.port]);
    for (const key of ['rt:sentinel:a', 'rt:sentinel:b', 'rt:sentinel:c']) {
      await ioredis.set(`${key}:io`, 'ioredis');
      expect(await ioredis.get(`${key}:io`)).toBe('ioredis');
      await nodeRedis.set(`${key}:nr`, 'node-redis');
      expect(await nodeRedis.get(`${key}:nr`)).toBe('node-redis');
    }
    expect(await topology.keys('rt:sentinel:*')).toHaveLength(6);
    await topology.flushAll();
    expect(await topology.keys('rt:sentinel:*')).toEqual([]);
  });

  it('promotes the replica of a killed primary, and both clients write there again', async ({
    annotate,
  }) => {
    const topology = started(sentinel);
    const [primary, replica] = topology.servers;
    const start = Date.now();
    const promoted = await topology.killPrimary();
    const failoverMs = Date.now() - start;
    expect(promoted).toBe(replica?.port);
    expect(await topology.primaryPort()).toBe(replica?.port);
    expect(await topology.replicaPorts()).not.toContain(primary?.port);

    const ioredisMs = await writesAgain('ioredis', () =>
      ioredis.set('rt:sentinel:a', 'ioredis after'),
    );
    const nodeRedisMs = await writesAgain('node-redis', () =>
      nodeRedis.set('rt:sentinel:b', 'node-redis after'),
    );
    expect(await topology.keys('rt:sentinel:*')).toHaveLength(2);
    await annotate(
      `failover ${failoverMs} ms; then ioredis wrote after ${ioredisMs} ms, node-redis after ${nodeRedisMs} ms`,
    );
  }, 45_000);

  it('leaves no process once closed', async () => {
    const topology = started(sentinel);
    ioredis.disconnect();
    await nodeRedis.destroy().catch(() => {});
    const pids = topology.pids();
    expect(pids).toHaveLength(5);
    await topology.close();
    expect(pids.filter(alive)).toEqual([]);
  });
});

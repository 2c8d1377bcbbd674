// The Redis store on a Redis Cluster (3 primaries, 3 replicas) and a Sentinel set-up (a primary, a
// replica, 3 Sentinels) of this file's own (test/support/redis-cluster.ts, redis-sentinel.ts),
// through both clients. The conformance suite runs every scenario on both topologies too
// (test/conformance/adapters.ts); this file checks what belongs to the topologies: a script runs on
// a node that never loaded it, sign-ins spread over every primary are ended by one "end all", a
// subscriber is refused with a Cluster client (no single ordered stream of sign-outs) and works
// under Sentinel, where a sign-out on one instance reaches another within cacheBound. With
// waitReplicas, a sign-out is acknowledged only once a replica holds it: refused (503) while the
// replica is stopped, and kept through a failover once acknowledged.

import { Cluster, Redis } from 'ioredis';
import { createCluster, createSentinel } from 'redis';
import { type RedisClient, redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionSecurityConfigError, SessionStoreUnavailableError } from '../../src/core/errors.js';
import type { Timeouts } from '../../src/core/policy.js';
import type { ActivityStore, SessionAccess } from '../../src/core/store.js';
import { FakeSession } from '../support/fake-session.js';
import { type PrivateCluster, redisCall, startRedisCluster } from '../support/redis-cluster.js';
import { type PrivateSentinel, startRedisSentinel } from '../support/redis-sentinel.js';
import type { PrivateRedis } from '../support/redis-server.js';
import { sleep } from '../support/sleep.js';

const TIMEOUTS: Timeouts = { expireAfterMs: 100_000, warnAfterMs: 80_000, absoluteTimeoutMs: 0 };
const quietLogger = { warn: () => {}, error: () => {} };
const quiet = () => {};

let cluster: PrivateCluster;
let sentinel: PrivateSentinel;
const closers: (() => Promise<unknown>)[] = [];
let prefixCount = 0;
const newPrefix = () => `topology-test-${++prefixCount}:`;

beforeAll(async () => {
  [cluster, sentinel] = await Promise.all([startRedisCluster(), startRedisSentinel()]);
}, 40_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(quiet);
  await Promise.all([cluster?.close(), sentinel?.close()]);
});

/** A session as an adapter hands it to the store; `shared` gives a second instance's view of it. */
function fakeSession(shared?: { value: unknown }) {
  const session = new SharedSession(shared ?? { value: undefined });
  return { session, shared: session.shared };
}

/** A FakeSession whose value lives in `shared`: two instances see one session. */
class SharedSession extends FakeSession {
  constructor(readonly shared: { value: unknown }) {
    super('framework-session-id');
  }
  override read() {
    return this.shared.value;
  }
  override write(value: unknown) {
    this.shared.value = value;
  }
  override clear() {
    this.shared.value = undefined;
  }
  override async end() {
    this.shared.value = undefined;
  }
}

const markerOf = (session: SessionAccess) => (session.read() as { id: string }).id;

interface Topology {
  name: string;
  /** A new connection, connected, closed after the file (call it again for a subscriber). */
  open(): Promise<RedisClient>;
}

/** A topology whose connections `make` builds: errors are quiet, and each is closed at the end. */
function topology<C extends RedisClient & { on(event: 'error', listener: () => void): unknown }>(
  name: string,
  make: () => C & { connect(): Promise<unknown> },
  close: (client: C) => Promise<unknown>,
): Topology {
  return {
    name,
    async open() {
      const client = make();
      client.on('error', quiet);
      await client.connect();
      closers.push(() => close(client));
      return client;
    },
  };
}

const clusterIoredis = topology(
  'Cluster, ioredis',
  () =>
    new Cluster(
      cluster.rootNodes.map((node) => ({ ...node })),
      { lazyConnect: true },
    ),
  (client) => client.quit(),
);

const clusterNodeRedis = topology(
  'Cluster, node-redis',
  () => createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) }),
  (client) => client.close(),
);

const sentinelIoredis = topology(
  'Sentinel, ioredis',
  () =>
    new Redis({
      sentinels: sentinel.sentinels.map((address) => ({ ...address })),
      name: sentinel.name,
      lazyConnect: true,
    }),
  (client) => client.quit(),
);

const sentinelNodeRedis = topology(
  'Sentinel, node-redis',
  () =>
    createSentinel({
      name: sentinel.name,
      sentinelRootNodes: sentinel.sentinels.map((address) => ({ ...address })),
    }),
  (client) => client.close(),
);

describe.each([clusterIoredis, clusterNodeRedis])('the Redis store on a $name', (topology) => {
  it('runs its scripts on primaries that never loaded them (SCRIPT FLUSH on each)', async () => {
    const client = await topology.open();
    const store = redisStore({ client, prefix: newPrefix(), logger: quietLogger });
    const sessions = Array.from({ length: 12 }, () => fakeSession().session);
    for (const session of sessions) await store.start(session, TIMEOUTS);
    for (const port of await cluster.primaries()) await redisCall(port, 'SCRIPT', 'FLUSH');
    for (const session of sessions) {
      expect((await store.touch(session, 0, TIMEOUTS)).kind).toBe('active');
    }
  });

  it('ends every sign-in of everyone, spread over every primary, in one "end all"', async () => {
    const client = await topology.open();
    const prefix = newPrefix();
    const store = redisStore({ client, prefix, logger: quietLogger });
    const sessions = Array.from({ length: 30 }, () => fakeSession().session);
    for (const [i, session] of sessions.entries()) {
      await store.start(session, TIMEOUTS, { userId: `user-${i % 3}` });
    }
    const primaries = new Set(
      await Promise.all(
        sessions.map((session) => cluster.primaryOf(`${prefix}${markerOf(session)}`)),
      ),
    );
    expect(primaries.size).toBe(3);
    expect(await store.signIns?.('user-1', TIMEOUTS)).toHaveLength(10);
    const ended = await store.revoke?.({ everyone: true }, TIMEOUTS);
    expect(ended).toHaveLength(30);
    for (const session of sessions) {
      expect(await store.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'revoked' });
    }
  });

  it('refuses a subscriber, naming the option and why', async () => {
    const client = await topology.open();
    const subscriber = await topology.open();
    expect(() => redisStore({ client, subscriber })).toThrow(SessionSecurityConfigError);
    expect(() => redisStore({ client, subscriber })).toThrow(
      /subscriber is not supported with a Redis Cluster client.*no order between them/,
    );
  });
});

describe.each([sentinelIoredis, sentinelNodeRedis])('the Redis store under $name', (topology) => {
  it('keeps copies with a subscriber: a sign-out on one instance reaches another within cacheBound', async () => {
    const prefix = newPrefix();
    const instance = async (): Promise<ActivityStore> => {
      const client = await topology.open();
      const subscriber = await topology.open();
      return redisStore({ client, subscriber, prefix, cacheBound: 300, logger: quietLogger });
    };
    const [a, b] = [await instance(), await instance()];
    const { session: onA, shared } = fakeSession();
    const { session: onB } = fakeSession(shared);
    await a.start(onA, TIMEOUTS);
    const key = `${prefix}${markerOf(onA)}`;
    // B answers from its copy once it holds one: the record in Redis then stops moving.
    await b.touch(onB, 0, TIMEOUTS);
    await sleep(400); // a heartbeat or two: B's copies are usable
    const admin = await topology.open();
    const before = await readLast(admin, key);
    await b.touch(onB, 0, TIMEOUTS);
    expect(await readLast(admin, key)).toBe(before);

    await a.end(onA, 'logout', TIMEOUTS);
    const endedAt = performance.now();
    for (;;) {
      const touch = await b.touch(onB, 0, TIMEOUTS);
      if (touch.kind === 'ended') {
        expect(touch).toEqual({ kind: 'ended', reason: 'logout' });
        break;
      }
      expect(performance.now() - endedAt).toBeLessThanOrEqual(300);
      await sleep(5);
    }
  });
});

/** The replica (its server) of the primary that holds `key`, in the Cluster or the Sentinel set-up. */
async function replicaOf(topology: Topology, key: string): Promise<PrivateRedis | undefined> {
  if (topology.name.startsWith('Sentinel')) {
    const [port] = await sentinel.replicaPorts();
    return sentinel.servers.find((candidate) => candidate.port === port);
  }
  const primary = await cluster.primaryOf(key);
  for (const port of await cluster.replicas()) {
    const role = (await redisCall(port, 'ROLE')) as unknown[];
    if (Number(role[2]) === primary) {
      const node = cluster.nodes.find((candidate) => candidate.port === port);
      if (node) return node.server;
    }
  }
  return undefined; // a failover earlier in this file left that shard without one
}

// Before the failovers, which take a primary away from the topologies for good.
describe.each([clusterIoredis, clusterNodeRedis, sentinelIoredis, sentinelNodeRedis])(
  'waitReplicas under the $name',
  (topology) => {
    it('acknowledges a sign-out only once a replica holds it: 503 while the replica is stopped, then again once it runs', async () => {
      const client = await topology.open();
      const prefix = newPrefix();
      const store = redisStore({
        client,
        prefix,
        waitReplicas: 1,
        commandTimeout: 600,
        logger: quietLogger,
      });
      const first = fakeSession().session;
      await store.start(first, TIMEOUTS);
      expect(await store.end(first, 'logout', TIMEOUTS)).toMatchObject({ id: expect.any(String) });

      // A sign-in whose primary has a replica.
      let session = fakeSession().session;
      let replica: PrivateRedis | undefined;
      for (let tries = 0; tries < 30 && !replica; tries++) {
        session = fakeSession().session;
        await store.start(session, TIMEOUTS);
        replica = await replicaOf(topology, `${prefix}${markerOf(session)}`);
      }
      if (!replica) throw new Error('no primary with a replica');
      await replica.kill('SIGSTOP');
      try {
        const startedAt = performance.now();
        const refused = store.end(session, 'logout', TIMEOUTS);
        await expect(refused).rejects.toThrow(SessionStoreUnavailableError);
        await expect(refused).rejects.toMatchObject({
          status: 503,
          reason: expect.stringMatching(/0 of the 1 replica\(s\) asked \(waitReplicas\)/),
        });
        // Within the command timeout (600 ms), with a loaded machine's margin.
        expect(performance.now() - startedAt).toBeLessThan(1500);
        // Right after: refused without another WAIT (which would hold the connection again).
        const again = performance.now();
        await expect(store.end(session, 'logout', TIMEOUTS)).rejects.toMatchObject({
          reason: expect.stringMatching(/tried again in a second/),
        });
        expect(performance.now() - again).toBeLessThan(200);
        // This process refuses the sign-in meanwhile.
        expect(await store.touch(session, 0, TIMEOUTS)).toEqual({
          kind: 'ended',
          reason: 'logout',
        });
      } finally {
        await replica?.kill('SIGCONT');
      }
      // Tried again (as the client does): acknowledged once the replica has caught up.
      const until = Date.now() + 5000;
      for (;;) {
        try {
          await store.end(session, 'logout', TIMEOUTS);
          break;
        } catch (error) {
          if (Date.now() > until) throw error;
          await sleep(100);
        }
      }
    });
  },
);

// With ioredis only: a node-redis Cluster client does not follow a failover (README).
describe.each([clusterIoredis, sentinelIoredis])('a failover under the $name', (topology) => {
  it('keeps an acknowledged sign-out (waitReplicas: 1): the promoted replica has it', async () => {
    const client = await topology.open();
    const prefix = newPrefix();
    const store = redisStore({ client, prefix, waitReplicas: 1, logger: quietLogger });
    const sessions = Array.from({ length: 20 }, () => fakeSession().session);
    for (const session of sessions) await store.start(session, TIMEOUTS);
    const key = `${prefix}${markerOf(sessions[0] as SessionAccess)}`;
    // Acknowledged, then the primary dies at once: nothing waits for replication after this.
    for (const session of sessions) await store.end(session, 'logout', TIMEOUTS);
    if (topology.name.startsWith('Sentinel')) await sentinel.killPrimary();
    else await cluster.killPrimaryOf(key);
    const after = redisStore({
      client: await topology.open(),
      prefix,
      logger: quietLogger,
    });
    for (const session of sessions) {
      expect(await after.touch(session, 0, TIMEOUTS)).toEqual({ kind: 'ended', reason: 'logout' });
    }
  }, 30_000);
});

/** The record's lastActivity field, through whichever client. */
async function readLast(client: RedisClient, key: string): Promise<string | null> {
  if (client instanceof Redis) return client.hget(key, 'lastActivity');
  return (client as unknown as { hGet(key: string, field: string): Promise<string | null> }).hGet(
    key,
    'lastActivity',
  );
}

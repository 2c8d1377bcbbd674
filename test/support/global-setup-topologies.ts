// Vitest's global setup of the conformance project (vitest.config.ts), beside
// test/support/global-setup.ts: a Redis Cluster (3 primaries, 3 replicas) and a Sentinel set-up
// (a primary, a replica, 3 Sentinels) of the run's own, on free ports of 127.0.0.1, started side by
// side before any conformance file and stopped after the last. The conformance suite's Redis
// scenarios run on them through both clients (test/conformance/adapters.ts). Runs in Vitest's
// main process: no `vitest` import here.

import type { TestProject } from 'vitest/node';
import { startRedisCluster } from './redis-cluster.js';
import { startRedisSentinel } from './redis-sentinel.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The ports of the run's Cluster nodes. */
    redisClusterPorts: number[];
    /** The run's Sentinel set-up: the primary's name and the Sentinels' ports. */
    redisSentinel: { name: string; ports: number[] };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [cluster, sentinel] = await Promise.allSettled([startRedisCluster(), startRedisSentinel()]);
  const close = async () => {
    for (const started of [cluster, sentinel]) {
      if (started.status === 'fulfilled') await started.value.close();
    }
  };
  if (cluster.status === 'rejected' || sentinel.status === 'rejected') {
    await close();
    throw cluster.status === 'rejected'
      ? cluster.reason
      : (sentinel as PromiseRejectedResult).reason;
  }
  project.provide(
    'redisClusterPorts',
    cluster.value.nodes.map((node) => node.port),
  );
  project.provide('redisSentinel', {
    name: sentinel.value.name,
    ports: sentinel.value.sentinels.map((address) => address.port),
  });
  return close;
}

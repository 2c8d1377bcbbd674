// The rig of `npm run faults` (bench/faults.ts): a private redis-server with an append-only file
// (fsync every second, noeviction), two demo processes (tsx examples/demo/main.ts, as `npm start`
// runs it) keeping sessions (connect-redis) and sign-in clocks (the Redis store) in it, and nginx
// in front of them, round-robin. Everything on 127.0.0.1; every process is stopped by its id.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { defaultWarnAfter } from 'session-security';
import {
  type DemoEnv,
  type DemoInstance,
  type Nginx,
  nginxConfig,
  startDemoProcess,
  startNginx,
  UPSTREAM_HEADER,
} from '../test/e2e/several-instances-support.js';
import { send } from '../test/support/http.js';
import { type PrivateCluster, startRedisCluster } from '../test/support/redis-cluster.js';
import { type PrivateSentinel, startRedisSentinel } from '../test/support/redis-sentinel.js';
import { type PrivateRedis, startRedisServer } from '../test/support/redis-server.js';
import { sleep } from '../test/support/sleep.js';

/** The demo's fixed Redis prefixes (examples/demo/main.ts): sessions, and sign-in clocks. */
export const SESSION_PREFIX = 'session-security-demo:';
export const CLOCK_PREFIX = 'session-security-demo:clock:';

type RedisClient = ReturnType<typeof createClient>;

/** Runs `work` with a client of its own that never reconnects (a fault may take Redis away). */
export async function withRedis<T>(url: string, work: (client: RedisClient) => Promise<T>) {
  const client = createClient({
    url,
    socket: { reconnectStrategy: false, connectTimeout: 3000 },
  });
  client.on('error', () => {}); // the failing command says it
  await client.connect();
  try {
    return await work(client);
  } finally {
    if (client.isOpen) await client.close().catch(() => client.destroy());
  }
}

export interface Rig {
  /** The Redis (with Sentinel: the primary it started with). */
  readonly redis: PrivateRedis;
  /** With Sentinel: the primary, its replica and three Sentinels (bench/faults-inject.ts phase 9). */
  readonly sentinel?: PrivateSentinel;
  /** With a Cluster: 3 primaries and 3 replicas holding the clocks (phase 10; sessions in `redis`). */
  readonly cluster?: PrivateCluster;
  readonly nginx: Nginx;
  readonly env: DemoEnv;
  /** The instances behind nginx now. */
  readonly instances: readonly DemoInstance[];
  /** Marks the start of the phase in every instance's output: `logLines` reads from there. */
  markLogStart(): void;
  /** What every instance of the rig printed since `markLogStart` (killed ones included), by line. */
  logLines(): string[];
  /**
   * SIGKILL of instance `index`'s process group, `downMs` with it dead, then a new instance
   * (a new port: the demo picks one) and nginx reloaded to proxy to it. Resolves when nginx has
   * sent a request to the new instance.
   */
  replaceInstance(index: number, downMs: number): Promise<{ killedAt: number; readyAt: number }>;
  stop(): Promise<void>;
}

/** Writes nginx's configuration for `upstreams` and has it reload (SIGHUP to its master). */
async function reloadNginx(nginx: Nginx, upstreams: string[]): Promise<void> {
  // startNginx keeps its directory to itself; its configuration names it (the pid file).
  const dir = /pid (\S+)\/nginx\.pid;/.exec(nginx.config)?.[1];
  const port = Number(new URL(nginx.origin).port);
  const pid = nginx.process.pid;
  if (!dir || !pid) throw new Error('faults: cannot find the directory or the pid of nginx');
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, upstreams));
  process.kill(pid, 'SIGHUP');
  // Round-robin: within a few requests, one goes to the new instance once the reload is done.
  const wanted = upstreams.at(-1);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const reply = await send(nginx.origin, '/login').catch(() => undefined);
    if (reply && String(reply.headers[UPSTREAM_HEADER]) === wanted) return;
    await sleep(50);
  }
  throw new Error(`faults: nginx did not proxy to ${wanted} within 10 s of its reload`);
}

/** Starts two demo processes at once; stops whichever started when the other fails. */
async function startInstances(env: DemoEnv): Promise<DemoInstance[]> {
  const started = await Promise.allSettled([startDemoProcess(env), startDemoProcess(env)]);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    throw failed.reason;
  }
  return started.map((s) => (s as PromiseFulfilledResult<DemoInstance>).value);
}

/**
 * Starts the rig: Redis (append-only file, `appendfsync everysec`, `noeviction`, no RDB), two demo
 * instances with `expireAfterSeconds`, nginx in front. With `sentinel`, a primary and its replica
 * watched by three Sentinels instead, the demo on them with `REDIS_WAIT_REPLICAS=1`. On a failure,
 * stops what it started.
 */
export async function startRig(
  expireAfterSeconds: number,
  topology: 'one' | 'sentinel' | 'cluster' = 'one',
): Promise<Rig> {
  const watched =
    topology === 'sentinel' ? await startRedisSentinel({ name: 'faults' }) : undefined;
  const cluster = topology === 'cluster' ? await startRedisCluster() : undefined;
  const redis =
    watched?.servers[0] ??
    (await startRedisServer({
      appendOnly: true,
      appendfsync: 'everysec',
      maxmemoryPolicy: 'noeviction',
    }));
  const env: DemoEnv = {
    EXPIRE_AFTER: expireAfterSeconds,
    WARN_AFTER: defaultWarnAfter(expireAfterSeconds),
    SESSION_SECRET: `faults ${process.pid} ${Date.now()}`,
    ...(watched
      ? {
          REDIS_SENTINELS: watched.sentinels.map(({ host, port }) => `${host}:${port}`).join(','),
          REDIS_SENTINEL_NAME: watched.name,
          REDIS_WAIT_REPLICAS: '1',
        }
      : { REDIS_URL: redis.url }),
    ...(cluster
      ? {
          REDIS_CLUSTER: cluster.rootNodes.map(({ host, port }) => `${host}:${port}`).join(','),
          REDIS_WAIT_REPLICAS: '1',
        }
      : {}),
    TRUST_PROXY: '1',
  };
  let instances: DemoInstance[] = [];
  try {
    instances = await startInstances(env);
    const nginx = await startNginx(instances.map((instance) => instance.address));
    return rigOf(redis, watched, cluster, nginx, env, instances);
  } catch (error) {
    await Promise.all(instances.map((instance) => instance.stop()));
    await (watched ?? redis).close();
    await cluster?.close();
    throw error;
  }
}

function rigOf(
  redis: PrivateRedis,
  sentinel: PrivateSentinel | undefined,
  cluster: PrivateCluster | undefined,
  nginx: Nginx,
  env: DemoEnv,
  started: DemoInstance[],
): Rig {
  const instances = [...started];
  /** Every instance the rig ran, and the index of its first output chunk of the phase. */
  const watched = started.map((instance) => ({ instance, from: instance.output.length }));
  return {
    redis,
    ...(sentinel ? { sentinel } : {}),
    ...(cluster ? { cluster } : {}),
    nginx,
    env,
    instances,
    markLogStart() {
      for (const entry of watched) entry.from = entry.instance.output.length;
    },
    logLines() {
      return watched.flatMap(({ instance, from }) =>
        instance.output
          .slice(from)
          .join('')
          .split('\n')
          .filter((line) => line.trim() !== ''),
      );
    },
    async replaceInstance(index, downMs) {
      const dead = instances[index];
      const pid = dead?.process.pid;
      if (!dead || !pid) throw new Error(`faults: no instance ${index} to kill`);
      const killedAt = Date.now();
      process.kill(-pid, 'SIGKILL'); // the group: tsx and the node process running the demo
      await dead.exited;
      await sleep(downMs - (Date.now() - killedAt));
      const fresh = await startDemoProcess(env);
      // Its start-up lines are not the phase's: its output is read from now on.
      watched.push({ instance: fresh, from: fresh.output.length });
      instances[index] = fresh;
      await reloadNginx(
        nginx,
        instances
          .filter((_, i) => i !== index)
          .map((i) => i.address)
          .concat(fresh.address),
      );
      return { killedAt, readyAt: Date.now() };
    },
    async stop() {
      await nginx.stop();
      await Promise.all(watched.map(({ instance }) => instance.stop()));
      await (sentinel ?? redis).close();
      await cluster?.close();
    },
  };
}

// A private Redis Cluster for tests of the Redis store: six redis-servers of the test's own
// (test/support/redis-server.ts), three primaries with one replica each, bound to 127.0.0.1 on
// free ports, each in a directory of its own (its nodes.conf), joined by `redis-cli --cluster
// create`. Ready means every node says `cluster_state:ok`, every node maps the 16 384 slots to
// the same primaries and every replica's link to its primary is up. A test can kill the primary
// of a key and wait for its replica to take over. It never touches the run's Redis
// (test/support/test-redis.ts) nor any server it did not start, and it leaves no process or
// directory behind once closed (a test run that exits first kills its servers: redis-server.ts).
// No Vitest import: the benchmarks and the fault suite may load it too.

import { type ChildProcess, execFile } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './http.js';
import { type PrivateRedis, startRedisServer } from './redis-server.js';
import { sleep } from './sleep.js';

export const REDIS_CLI = process.env.REDIS_CLI_PATH ?? 'redis-cli';

export interface RedisClusterOptions {
  /** `--cluster-node-timeout` in milliseconds: how soon a silent node counts as failed. Default 1000. */
  nodeTimeoutMs?: number;
  /** Milliseconds to wait for the cluster to be ready after `redis-cli --cluster create`. Default 20 000. */
  readyTimeoutMs?: number;
  /** Milliseconds `killPrimaryOf` waits for the replica to take over. Default 15 000. */
  failoverTimeoutMs?: number;
}

/** One redis-server of a cluster. */
export interface ClusterNode {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /**
   * What `redis-cli --cluster create` made the node. A failover changes roles: `primaries()` and
   * `replicas()` read the current ones.
   */
  readonly initialRole: 'primary' | 'replica';
  /** The redis-server (its `process.pid`, its `output`). */
  readonly server: PrivateRedis;
}

export interface PrivateCluster {
  /** The six nodes: the three created primaries first, then the three created replicas. */
  readonly nodes: readonly ClusterNode[];
  /** Every node as ioredis wants it: `new Cluster(cluster.rootNodes)`. */
  readonly rootNodes: readonly { host: '127.0.0.1'; port: number }[];
  /**
   * Every node as node-redis wants it:
   * `createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) })`.
   */
  readonly urls: readonly string[];
  /** The ports of the running nodes that are primaries now (`ROLE` of each), ascending. */
  primaries(): Promise<number[]>;
  /** The ports of the running nodes that are replicas now (`ROLE` of each), ascending. */
  replicas(): Promise<number[]>;
  /** The port of the primary that serves `key`'s slot now (`CLUSTER KEYSLOT`, `CLUSTER SLOTS`). */
  primaryOf(key: string): Promise<number>;
  /**
   * SIGKILLs the primary that serves `key`, then waits until its replica has been promoted, every
   * running node says `cluster_state:ok` and they all agree on the slots; resolves with the new
   * primary's port. With the default node timeout (1 s) this took 2.3–2.6 s on the project's
   * 2-core machine, busy or not. Each primary has one replica: a second kill of the same slot's
   * primary cannot fail over (it throws after `failoverTimeoutMs`).
   */
  killPrimaryOf(key: string): Promise<number>;
  /** `FLUSHALL` on every running primary. */
  flushAll(): Promise<void>;
  /** `KEYS pattern` on every running primary, concatenated (no order). */
  keys(pattern: string): Promise<string[]>;
  /** The pids of every redis-server it started, killed ones included. */
  pids(): number[];
  /** Stops every node (SIGKILL if one does not stop) and removes their directories. */
  close(): Promise<void>;
}

/**
 * Sends one command to 127.0.0.1:port on a connection of its own, closed after the answer: no
 * retries, no offline queue, a second to connect and two to answer. Rejects on an error reply or
 * when the server does not answer. For the admin commands of the test topologies (also
 * test/support/redis-sentinel.ts), never for the code under test.
 */
export async function redisCall(
  port: number,
  command: string,
  ...args: string[]
): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  // The failure reaches the caller through the rejected promise; the event would be unhandled.
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

/** `redisCall`, with `undefined` for a server that is gone or answers an error. */
export async function tryRedisCall(
  port: number,
  command: string,
  ...args: string[]
): Promise<unknown> {
  try {
    return await redisCall(port, command, ...args);
  } catch {
    return undefined;
  }
}

/**
 * Polls `check` every 100 ms until it returns true; throws after `timeoutMs` with `what` and the
 * last thing `check` returned (a sentence saying what is still missing).
 */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<true | string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const result = await check();
    if (result === true) return;
    last = result;
    if (Date.now() >= deadline) break;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms; last seen: ${last}`);
}

/** Whether the child has exited (or was killed). */
const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** A field of an `INFO` or `CLUSTER INFO` answer (`name:value` lines). */
export function infoField(info: unknown, name: string): string | undefined {
  if (typeof info !== 'string') return undefined;
  const line = info.split('\r\n').find((text) => text.startsWith(`${name}:`));
  return line?.slice(name.length + 1);
}

/** `ROLE`'s first element: 'master', 'slave', 'sentinel', or undefined for no answer. */
export async function roleOf(port: number): Promise<string | undefined> {
  const role = await tryRedisCall(port, 'ROLE');
  return Array.isArray(role) && typeof role[0] === 'string' ? role[0] : undefined;
}

/** `CLUSTER SLOTS` as sorted `start-end:port` ranges (the primary of each), or undefined. */
async function slotMap(port: number): Promise<string[] | undefined> {
  const slots = await tryRedisCall(port, 'CLUSTER', 'SLOTS');
  if (!Array.isArray(slots)) return undefined;
  return slots
    .map((range: unknown) => {
      const [start, end, primary] = range as [number, number, [string, number]];
      return { start, end, port: primary[1] };
    })
    .sort((a, b) => a.start - b.start)
    .map(({ start, end, port: owner }) => `${start}-${end}:${owner}`);
}

/** The primary's port for `slot` in a `slotMap`. */
function ownerOf(map: string[], slot: number): number | undefined {
  for (const range of map) {
    const [bounds = '', owner = ''] = range.split(':');
    const [start, end] = bounds.split('-').map(Number);
    if (start !== undefined && end !== undefined && slot >= start && slot <= end) {
      return Number(owner);
    }
  }
  return undefined;
}

/**
 * Runs `redis-cli` with `args` (TERM=dumb: no colour codes in what it prints), killed after
 * `timeoutMs`; resolves with what it printed, rejects with that too.
 */
function runCli(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, TERM: 'dumb' };
    execFile(REDIS_CLI, args, { timeout: timeoutMs, env }, (error, stdout, stderr) => {
      if (!error) return resolve(`${stdout}${stderr}`);
      const why = error.killed ? `did not finish within ${timeoutMs} ms` : error.message;
      reject(new Error(`${REDIS_CLI} ${args.join(' ')}: ${why}\n${stdout}${stderr}`));
    });
  });
}

/**
 * Starts one cluster node. Its cluster bus needs a port of its own too (by default the port +
 * 10 000, which is past 65 535 for most of the ports the system hands out): `--cluster-port`, a
 * second free port; when another process takes that one first, tries another, three times at
 * most.
 */
async function startNode(nodeTimeoutMs: number): Promise<PrivateRedis> {
  for (let attempt = 1; ; attempt++) {
    const busPort = await freePort();
    try {
      return await startRedisServer({
        extraArgs: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          '--cluster-port',
          String(busPort),
          // A primary waits 5 s by default before it syncs a new replica (for others to join).
          '--repl-diskless-sync-delay',
          '0',
        ],
      });
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/i.test(String(error))) throw error;
    }
  }
}

/**
 * Starts a Redis Cluster of the caller's own: six redis-servers on free ports of 127.0.0.1,
 * three primaries and three replicas, no persistence. Took 2.1–2.2 s on the project's 2-core
 * machine.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster();
 * const client = new Cluster([...cluster.rootNodes]);
 * await client.set('a', '1');
 * const newPrimary = await cluster.killPrimaryOf('a'); // its replica took over
 * await cluster.close();
 * ```
 */
export async function startRedisCluster(
  options: RedisClusterOptions = {},
): Promise<PrivateCluster> {
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const failoverTimeoutMs = options.failoverTimeoutMs ?? 15_000;

  const started = await Promise.allSettled(
    Array.from({ length: 6 }, () => startNode(nodeTimeoutMs)),
  );
  const servers = started.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const closeAll = () => Promise.all(servers.map((server) => server.close())).then(() => {});
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await closeAll();
    throw failed.reason;
  }

  const byPort = new Map(servers.map((server) => [server.port, server]));
  const isRunning = (port: number) => {
    const server = byPort.get(port);
    return server !== undefined && !hasExited(server.process);
  };
  const running = () => servers.filter((server) => !hasExited(server.process)).map((s) => s.port);

  /**
   * True when every running node says `cluster_state:ok`, all report the same slot map, and each
   * range's primary runs and answers `ROLE` as master; else what is missing.
   */
  const settled = async (): Promise<true | string> => {
    const ports = running();
    const states = await Promise.all(ports.map((port) => tryRedisCall(port, 'CLUSTER', 'INFO')));
    const notOk = ports.filter((_, i) => infoField(states[i], 'cluster_state') !== 'ok');
    if (notOk.length > 0) return `cluster_state is not ok on ${notOk.join(', ')}`;
    const maps = await Promise.all(ports.map(slotMap));
    const first = maps[0]?.join(' ');
    if (!first || maps.some((map) => map?.join(' ') !== first)) {
      return `the nodes disagree on the slots: ${maps.map((m, i) => `${ports[i]}: ${m?.join(' ')}`).join('; ')}`;
    }
    const owners = [...new Set(maps[0]?.map((range) => Number(range.split(':')[1])))];
    for (const owner of owners) {
      if (!isRunning(owner)) return `slots still served by the stopped node ${owner}`;
      if ((await roleOf(owner)) !== 'master') return `${owner} does not answer ROLE as master`;
    }
    return true;
  };

  /** The ports of the running nodes whose `ROLE` is `role`. */
  const withRole = async (role: 'master' | 'slave'): Promise<number[]> => {
    const ports = running();
    const roles = await Promise.all(ports.map(roleOf));
    return ports.filter((_, i) => roles[i] === role).sort((a, b) => a - b);
  };

  let printed = '';
  try {
    printed = await runCli(
      [
        '--cluster',
        'create',
        ...servers.map((server) => `127.0.0.1:${server.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      readyTimeoutMs,
    );
    // redis-cli returns once the slots are assigned; the replicas may not have attached yet.
    await waitUntil('the Redis Cluster did not become ready', readyTimeoutMs, async () => {
      const ready = await settled();
      if (ready !== true) return ready;
      const known = await Promise.all(servers.map((s) => tryRedisCall(s.port, 'CLUSTER', 'INFO')));
      const partial = servers.filter((_, i) => infoField(known[i], 'cluster_known_nodes') !== '6');
      if (partial.length > 0) {
        return `${partial.map((s) => s.port).join(', ')} know fewer than 6 nodes`;
      }
      const roles = await Promise.all(servers.map((server) => tryRedisCall(server.port, 'ROLE')));
      const replicas = roles.filter((role) => Array.isArray(role) && role[0] === 'slave');
      if (replicas.length !== 3) return `${replicas.length} replicas of 3`;
      // ROLE of a replica: ['slave', host, primary port, link state, offset].
      const unlinked = replicas.filter((role) => (role as unknown[])[3] !== 'connected');
      if (unlinked.length > 0) {
        return `${unlinked.length} replicas not yet synced with their primary`;
      }
      return true;
    });
  } catch (error) {
    await closeAll();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(printed ? `${message}\nredis-cli printed:\n${printed}` : message);
  }

  const primaryPorts = new Set(await withRole('master'));
  const nodes: ClusterNode[] = servers.map((server) => ({
    port: server.port,
    url: server.url,
    initialRole: primaryPorts.has(server.port) ? 'primary' : 'replica',
    server,
  }));
  nodes.sort((a, b) => Number(b.initialRole === 'primary') - Number(a.initialRole === 'primary'));

  /** Asks the running nodes in turn; the answer of the first that gives one. */
  const askAny = async (command: string, ...args: string[]): Promise<unknown> => {
    let lastError: unknown = new Error('no node of the cluster runs');
    for (const port of running()) {
      try {
        return await redisCall(port, command, ...args);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };

  const primaryOf = async (key: string): Promise<number> => {
    const slot = Number(await askAny('CLUSTER', 'KEYSLOT', key));
    for (const port of running()) {
      const map = await slotMap(port);
      const owner = map && ownerOf(map, slot);
      if (owner !== undefined) return owner;
    }
    throw new Error(`no running node of the cluster maps slot ${slot} (key ${key})`);
  };

  return {
    nodes,
    rootNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    urls: nodes.map((node) => node.url),
    primaries: () => withRole('master'),
    replicas: () => withRole('slave'),
    primaryOf,
    async killPrimaryOf(key) {
      const slot = Number(await askAny('CLUSTER', 'KEYSLOT', key));
      const old = await primaryOf(key);
      const server = byPort.get(old);
      if (!server) {
        throw new Error(`the primary of ${key}, port ${old}, is not a node of this cluster`);
      }
      await server.kill('SIGKILL');
      let promoted = 0;
      await waitUntil(
        `no replica took over slot ${slot} (key ${key}) from the killed primary ${old}`,
        failoverTimeoutMs,
        async () => {
          const ready = await settled();
          if (ready !== true) return ready;
          const port = running()[0];
          const map = port === undefined ? undefined : await slotMap(port);
          const owner = map && ownerOf(map, slot);
          if (owner === undefined || owner === old) return `slot ${slot} still maps to ${owner}`;
          promoted = owner;
          return true;
        },
      );
      return promoted;
    },
    async flushAll() {
      await Promise.all((await withRole('master')).map((port) => redisCall(port, 'FLUSHALL')));
    },
    async keys(pattern) {
      const primaries = await withRole('master');
      const found = await Promise.all(primaries.map((port) => redisCall(port, 'KEYS', pattern)));
      return found.flatMap((keys) => (Array.isArray(keys) ? keys.map(String) : []));
    },
    pids: () => servers.flatMap((server) => (server.process.pid ? [server.process.pid] : [])),
    close: closeAll,
  };
}

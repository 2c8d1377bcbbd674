// A private Redis Sentinel set-up for tests of the Redis store: a primary and a replica
// (redis-servers of the test's own, test/support/redis-server.ts) watched by three Sentinels,
// all bound to 127.0.0.1 on free ports, each in a directory of its own (a Sentinel rewrites its
// config file there). There is no redis-sentinel binary here: a Sentinel is
// `redis-server <sentinel.conf> --sentinel`. Ready means the replica's link to the primary is up
// and every Sentinel knows the replica and the two other Sentinels. A test can kill the primary
// and wait for the Sentinels to promote the replica. It never touches the run's Redis
// (test/support/test-redis.ts) nor any server it did not start, and it leaves no process or
// directory behind once closed (a test run that exits first kills them all). No Vitest import:
// the benchmarks and the fault suite may load it too.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './http.js';
import { infoField, redisCall, roleOf, tryRedisCall, waitUntil } from './redis-cluster.js';
import {
  hasExited,
  launch,
  type PrivateRedis,
  startRedisServer,
  stopProcess,
} from './redis-server.js';

export interface RedisSentinelOptions {
  /** The name the Sentinels monitor the primary by (`sentinel monitor <name>`). Default 'ss-primary'. */
  name?: string;
  /** `sentinel down-after-milliseconds`: how soon a silent primary counts as down. Default 1000. */
  downAfterMs?: number;
  /** `sentinel failover-timeout`, milliseconds. Default 3000. */
  failoverTimeoutMs?: number;
  /** Milliseconds to wait for the set-up to be ready. Default 20 000. */
  readyTimeoutMs?: number;
  /** Milliseconds `killPrimary` waits for the Sentinels to promote the replica. Default 20 000. */
  promoteTimeoutMs?: number;
}

/** A Sentinel's address, as ioredis (`sentinels`) and node-redis (`sentinelRootNodes`) take it. */
export interface SentinelAddress {
  readonly host: '127.0.0.1';
  readonly port: number;
}

export interface PrivateSentinel {
  /** The monitored primary's name: ioredis's `name`, node-redis's `name`. */
  readonly name: string;
  /** The three Sentinels. */
  readonly sentinels: readonly SentinelAddress[];
  /** The data servers: the first started as the primary, the second as its replica. */
  readonly servers: readonly PrivateRedis[];
  /** The current primary's port, as a Sentinel reports it (`SENTINEL GET-MASTER-ADDR-BY-NAME`). */
  primaryPort(): Promise<number>;
  /** The ports of the replicas a Sentinel knows and does not hold for down or disconnected. */
  replicaPorts(): Promise<number[]>;
  /**
   * SIGKILLs the current primary, then waits until every running Sentinel reports another one
   * and it answers `ROLE` as master; resolves with its port. With the defaults (down after 1 s)
   * this took 2.2–2.4 s on the project's 2-core machine, busy or not (down, agreed down, a
   * Sentinel elected leader, the replica promoted, the others told). There is one replica: a
   * second call has nothing to promote and throws after `promoteTimeoutMs`.
   */
  killPrimary(): Promise<number>;
  /** `FLUSHALL` on the current primary. */
  flushAll(): Promise<void>;
  /** `KEYS pattern` on the current primary. */
  keys(pattern: string): Promise<string[]>;
  /** The pids of every process it started (data servers and Sentinels), killed ones included. */
  pids(): number[];
  /**
   * Stops the Sentinels, then the data servers (SIGKILL if one does not stop), and removes their
   * directories.
   */
  close(): Promise<void>;
}

/** A running Sentinel of this file. */
interface SentinelProcess {
  readonly port: number;
  readonly dir: string;
  readonly child: ChildProcess;
  readonly output: string[];
}

/**
 * Spawns a Sentinel on `port` with a config file of its own in `dir`, and waits for PING; fails
 * with what it printed when it exits or stays silent (a process killed if the run exits first).
 */
async function launchSentinel(
  port: number,
  dir: string,
  config: string[],
  timeoutMs: number,
): Promise<SentinelProcess> {
  const file = join(dir, 'sentinel.conf');
  writeFileSync(
    file,
    `${[`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, ...config].join('\n')}\n`,
  );
  const args = [file, '--sentinel', '--port', String(port)];
  const { child, output } = await launch(args, timeoutMs, 'Sentinel');
  return { port, dir, child, output };
}

/** Starts a Sentinel on a free port, in a new directory; another port if that one was taken. */
async function startSentinel(config: string[], timeoutMs: number): Promise<SentinelProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'private-sentinel-'));
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchSentinel(await freePort(), dir, config, timeoutMs);
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/i.test(String(error))) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** A `SENTINEL REPLICAS` or `SENTINEL SENTINELS` answer: one `[field, value, …]` array each. */
function records(answer: unknown): Record<string, string>[] {
  if (!Array.isArray(answer)) return [];
  return answer.map((flat: unknown) => {
    const record: Record<string, string> = {};
    const fields = Array.isArray(flat) ? flat.map(String) : [];
    for (let i = 0; i + 1 < fields.length; i += 2)
      record[fields[i] as string] = fields[i + 1] as string;
    return record;
  });
}

/** Whether a Sentinel holds the instance of these `flags` for down or unreachable. */
const isDown = (flags: string | undefined) =>
  (flags ?? '').split(',').some((flag) => ['s_down', 'o_down', 'disconnected'].includes(flag));

/**
 * Starts a Sentinel set-up of the caller's own: a primary and a replica, watched by three
 * Sentinels (quorum 2), on free ports of 127.0.0.1, no persistence. Took 2.2 s on the project's
 * 2-core machine (mostly the Sentinels finding each other through the primary, every 2 s).
 *
 * @example
 * ```ts
 * const sentinel = await startRedisSentinel();
 * const client = new Redis({ sentinels: [...sentinel.sentinels], name: sentinel.name });
 * await client.set('a', '1');
 * const newPrimary = await sentinel.killPrimary(); // the replica was promoted
 * await sentinel.close();
 * ```
 */
export async function startRedisSentinel(
  options: RedisSentinelOptions = {},
): Promise<PrivateSentinel> {
  const name = options.name ?? 'ss-primary';
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const promoteTimeoutMs = options.promoteTimeoutMs ?? 20_000;
  const servers: PrivateRedis[] = [];
  const sentinels: SentinelProcess[] = [];

  const close = async () => {
    await Promise.all(sentinels.map((sentinel) => stopProcess(sentinel.child, 5000)));
    for (const sentinel of sentinels) rmSync(sentinel.dir, { recursive: true, force: true });
    await Promise.all(servers.map((server) => server.close()));
  };

  const runningSentinels = () => sentinels.filter((sentinel) => !hasExited(sentinel.child));

  /** Asks the running Sentinels in turn; the answer of the first that gives one. */
  const askSentinel = async (...args: string[]): Promise<unknown> => {
    let lastError: unknown = new Error('no Sentinel runs');
    for (const sentinel of runningSentinels()) {
      try {
        return await redisCall(sentinel.port, 'SENTINEL', ...args);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };

  /** The primary's port a Sentinel reports, or undefined when it does not answer. */
  const reportedPrimary = async (port: number): Promise<number | undefined> => {
    const address = await tryRedisCall(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
    return Array.isArray(address) ? Number(address[1]) : undefined;
  };

  try {
    // A primary waits 5 s by default before it syncs a new replica (for others to join).
    const primary = await startRedisServer({ extraArgs: ['--repl-diskless-sync-delay', '0'] });
    servers.push(primary);
    const replica = await startRedisServer({
      extraArgs: ['--replicaof', '127.0.0.1', String(primary.port)],
    });
    servers.push(replica);
    await waitUntil(
      `the replica ${replica.port} did not sync with the primary ${primary.port}`,
      readyTimeoutMs,
      async () => {
        const link = infoField(
          await tryRedisCall(replica.port, 'INFO', 'replication'),
          'master_link_status',
        );
        return link === 'up' || `master_link_status:${link}`;
      },
    );

    const config = [
      'sentinel resolve-hostnames no',
      `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3000}`,
    ];
    const started = await Promise.allSettled(
      [1, 2, 3].map(() => startSentinel(config, readyTimeoutMs)),
    );
    for (const result of started) if (result.status === 'fulfilled') sentinels.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;

    await waitUntil(
      'the Sentinels did not find the replica and each other',
      readyTimeoutMs,
      async () => {
        for (const sentinel of sentinels) {
          const replicas = records(
            await tryRedisCall(sentinel.port, 'SENTINEL', 'REPLICAS', name),
          ).filter((record) => Number(record.port) === replica.port && !isDown(record.flags));
          if (replicas.length === 0) return `Sentinel ${sentinel.port} does not know the replica`;
          const others = records(await tryRedisCall(sentinel.port, 'SENTINEL', 'SENTINELS', name));
          if (others.length < sentinels.length - 1) {
            return `Sentinel ${sentinel.port} knows ${others.length} other Sentinels of ${sentinels.length - 1}`;
          }
        }
        return true;
      },
    );
  } catch (error) {
    const logs = sentinels.map((s) => `Sentinel ${s.port}:\n${s.output.join('')}`).join('\n');
    await close();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(logs ? `${message}\n${logs}` : message);
  }

  const primaryPort = async (): Promise<number> => {
    const address = await askSentinel('GET-MASTER-ADDR-BY-NAME', name);
    if (!Array.isArray(address)) throw new Error(`no Sentinel knows a primary named ${name}`);
    return Number(address[1]);
  };

  return {
    name,
    sentinels: sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port })),
    servers,
    primaryPort,
    async replicaPorts() {
      return records(await askSentinel('REPLICAS', name))
        .filter((record) => !isDown(record.flags))
        .map((record) => Number(record.port))
        .sort((a, b) => a - b);
    },
    async killPrimary() {
      const old = await primaryPort();
      const server = servers.find((candidate) => candidate.port === old);
      if (!server) throw new Error(`the primary ${old} is not a server of this set-up`);
      await server.kill('SIGKILL');
      let promoted = 0;
      await waitUntil(
        `the Sentinels did not promote a replica after the primary ${old} was killed`,
        promoteTimeoutMs,
        async () => {
          const reports = await Promise.all(runningSentinels().map((s) => reportedPrimary(s.port)));
          const first = reports[0];
          if (first === undefined || first === old || reports.some((port) => port !== first)) {
            return `the Sentinels report ${reports.join(', ')} as the primary`;
          }
          const role = await roleOf(first);
          if (role !== 'master') return `${first} answers ROLE as ${role}`;
          promoted = first;
          return true;
        },
      );
      return promoted;
    },
    async flushAll() {
      await redisCall(await primaryPort(), 'FLUSHALL');
    },
    async keys(pattern) {
      const found = await redisCall(await primaryPort(), 'KEYS', pattern);
      return Array.isArray(found) ? found.map(String) : [];
    },
    pids: () =>
      [...servers.map((server) => server.process), ...sentinels.map((s) => s.child)].flatMap(
        (child) => (child.pid ? [child.pid] : []),
      ),
    close,
  };
}

// The faults of `npm run faults` (bench/faults.ts), one per phase, injected while the users run:
// Redis shut down, killed, frozen, paused, flushed, made to evict; one demo instance killed.
// Each resolves when the fault is over (Redis or the instance is back), with what it did.

import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../test/support/sleep.js';
import type { Rig } from './faults-rig.js';
import { CLOCK_PREFIX, SESSION_PREFIX, withRedis } from './faults-rig.js';

export interface FaultTiming {
  /** How long Redis stays down after SHUTDOWN or SIGKILL, and an instance after SIGKILL. */
  downMs: number;
}

export interface FaultOutcome {
  startedAt: number;
  /** When the fault was over: Redis answering again, the pause lapsed, the instance proxied to. */
  endedAt: number;
  /** What the fault did, in numbers (keys before and after, evictions, down time). */
  notes: string[];
  /** The demo's keys the fault took away (`all` for FLUSHALL), for faults that lose data. */
  lost?: Set<string> | 'all';
}

export interface Fault {
  /** 0 for the baseline. */
  id: number;
  name: string;
  /**
   * Whether Redis keeps every acknowledged write through it: then a signed-in user told signed
   * out is a wrongful sign-out, and the run fails on one.
   */
  keepsData: boolean;
  /** Whether a signed-out user is judged against the records that survived (faults that lose data). */
  judgedByRecords: boolean;
  /**
   * A fault that loses acknowledged sign-outs (a crash): milliseconds after Redis is back during
   * which a revival is the stated outcome (an instance serving a sign-out another instance has
   * not recorded again yet), reported apart; a revival later fails the run.
   */
  revivalWindowMs?: number;
  /**
   * Where the demo keeps its data: one Redis (the default); a primary and its replica watched by
   * Sentinels; or sessions on one Redis and clocks on a Cluster. With either, REDIS_WAIT_REPLICAS=1.
   */
  topology?: 'one' | 'sentinel' | 'cluster';
  inject(rig: Rig, timing: FaultTiming): Promise<FaultOutcome>;
}

/** Keys of the demo (sessions and sign-in clocks) in Redis now. */
async function demoKeys(url: string): Promise<{ sessions: number; clocks: number }> {
  return withRedis(url, async (client) => {
    let sessions = 0;
    let clocks = 0;
    for await (const keys of client.scanIterator({ MATCH: `${SESSION_PREFIX}*`, COUNT: 1000 })) {
      for (const key of keys) {
        if (key.startsWith(CLOCK_PREFIX)) clocks++;
        else sessions++;
      }
    }
    return { sessions, clocks };
  });
}

/** The demo's keys in Redis now, by name. */
async function demoKeySet(url: string): Promise<Set<string>> {
  return withRedis(url, async (client) => {
    const found = new Set<string>();
    for await (const keys of client.scanIterator({ MATCH: `${SESSION_PREFIX}*`, COUNT: 1000 })) {
      for (const key of keys) found.add(key);
    }
    return found;
  });
}

const describeKeys = (keys: { sessions: number; clocks: number }) =>
  `${keys.sessions} session keys, ${keys.clocks} sign-in clock keys`;

/** The append-only file Redis writes to now: the newest `*.incr.aof` of its `appendonlydir`. */
function currentAof(dir: string): string {
  const aofDir = join(dir, 'appendonlydir');
  const sequence = (name: string) => Number(/\.(\d+)\.incr\.aof$/.exec(name)?.[1] ?? -1);
  const newest = readdirSync(aofDir)
    .filter((name) => sequence(name) >= 0)
    .sort((a, b) => sequence(b) - sequence(a))[0];
  if (newest === undefined) throw new Error(`faults: no incremental append-only file in ${aofDir}`);
  return join(aofDir, newest);
}

/**
 * SIGKILL of Redis, `whileDead` (which may change its files, and says what it did), then Redis
 * started again from its append-only file `downMs` after the kill: what Redis held just before
 * the kill, against what it gives back.
 */
async function killAndRestart(
  rig: Rig,
  downMs: number,
  whileDead?: (killedAt: number) => string,
): Promise<FaultOutcome> {
  const before = await demoKeySet(rig.redis.url);
  const startedAt = Date.now();
  await rig.redis.kill('SIGKILL');
  const done = whileDead?.(startedAt);
  await sleep(downMs - (Date.now() - startedAt));
  await rig.redis.restart();
  const endedAt = Date.now();
  const after = await demoKeySet(rig.redis.url);
  const lost = new Set([...before].filter((key) => !after.has(key)));
  return {
    startedAt,
    endedAt,
    lost,
    notes: [
      `down ${endedAt - startedAt} ms`,
      ...(done === undefined ? [] : [done]),
      `${before.size} demo keys just before the kill, ${after.size} after the restart, ${lost.size} of the earlier ones gone (a sign-out deletes its session key)`,
    ],
  };
}

/** Waits until the current redis-server has exited (after SHUTDOWN). */
async function exited(rig: Rig, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const child = rig.redis.process;
  while (child.exitCode === null && child.signalCode === null) {
    if (Date.now() > deadline) throw new Error(`redis-server did not exit within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Waits (20 s at most) until the primary on `port` has a replica online again. */
async function untilReplicaOnline(port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const info = await withRedis(`redis://127.0.0.1:${port}`, (client) =>
      client.info('replication'),
    ).catch(() => '');
    if (/^connected_slaves:[1-9]/m.test(info) && /state=online/.test(info)) return;
    if (Date.now() > deadline) {
      throw new Error('faults: the old primary did not come back as a replica within 20 s');
    }
    await sleep(100);
  }
}

/**
 * A failover: `kill` SIGKILLs the primary on port `old` and resolves with its promoted replica's
 * port; `downMs` after the kill, `restart` brings the old primary back, as its operator would,
 * and the fault is over once it is the new primary's replica.
 */
async function failOver(
  downMs: number,
  old: number,
  kill: () => Promise<number>,
  restart: () => Promise<void>,
  what = '',
): Promise<FaultOutcome> {
  const startedAt = Date.now();
  const promoted = await kill();
  const promotedAt = Date.now();
  await sleep(downMs - (promotedAt - startedAt));
  await restart();
  await untilReplicaOnline(promoted);
  const endedAt = Date.now();
  return {
    startedAt,
    endedAt,
    notes: [
      `primary ${old}${what} killed, replica ${promoted} promoted after ${promotedAt - startedAt} ms; the old primary back as its replica ${endedAt - promotedAt} ms later`,
    ],
  };
}

export const FAULTS: readonly Fault[] = [
  {
    id: 0,
    name: 'baseline (no fault)',
    keepsData: true,
    judgedByRecords: false,
    async inject() {
      const now = Date.now();
      return { startedAt: now, endedAt: now, notes: [] };
    },
  },
  {
    id: 1,
    name: 'Redis SHUTDOWN, started again from its append-only file',
    keepsData: true,
    judgedByRecords: false,
    async inject(rig, { downMs }) {
      const before = await demoKeySet(rig.redis.url);
      const startedAt = Date.now();
      // The connection closes as Redis exits: the command has no answer to give.
      await withRedis(rig.redis.url, (client) => client.sendCommand(['SHUTDOWN'])).catch(() => {});
      await exited(rig, 10_000);
      await sleep(downMs - (Date.now() - startedAt));
      await rig.redis.restart();
      const endedAt = Date.now();
      const after = await demoKeySet(rig.redis.url);
      const missing = [...before].filter((key) => !after.has(key)).length;
      return {
        startedAt,
        endedAt,
        notes: [
          `down ${endedAt - startedAt} ms`,
          `${before.size} demo keys before SHUTDOWN, ${after.size} after the restart, ${missing} of the earlier ones gone (a sign-out deletes its session key)`,
        ],
      };
    },
  },
  {
    id: 2,
    name: 'Redis SIGKILL, started again (AOF everysec)',
    keepsData: false,
    judgedByRecords: true,
    inject: (rig, { downMs }) => killAndRestart(rig, downMs),
  },
  {
    id: 3,
    name: 'Redis SIGSTOP for 3 s, then SIGCONT',
    keepsData: true,
    judgedByRecords: false,
    async inject(rig) {
      const startedAt = Date.now();
      await rig.redis.kill('SIGSTOP');
      try {
        await sleep(3000);
      } finally {
        await rig.redis.kill('SIGCONT');
      }
      return { startedAt, endedAt: Date.now(), notes: [] };
    },
  },
  {
    id: 4,
    name: 'Redis CLIENT PAUSE 2000 ALL',
    keepsData: true,
    judgedByRecords: false,
    async inject(rig) {
      const startedAt = Date.now();
      await withRedis(rig.redis.url, (client) =>
        client.sendCommand(['CLIENT', 'PAUSE', '2000', 'ALL']),
      );
      await sleep(2000 - (Date.now() - startedAt));
      return { startedAt, endedAt: Date.now(), notes: [] };
    },
  },
  {
    id: 5,
    name: 'Redis FLUSHALL',
    keepsData: false,
    judgedByRecords: true,
    async inject(rig) {
      const before = await demoKeys(rig.redis.url);
      const startedAt = Date.now();
      await withRedis(rig.redis.url, (client) => client.sendCommand(['FLUSHALL']));
      const endedAt = Date.now();
      return { startedAt, endedAt, lost: 'all', notes: [`flushed: ${describeKeys(before)}`] };
    },
  },
  {
    id: 6,
    name: 'Redis evicts (allkeys-lru, a small maxmemory, filled with junk)',
    keepsData: false,
    judgedByRecords: true,
    async inject(rig) {
      const before = await demoKeys(rig.redis.url);
      const startedAt = Date.now();
      const lost = new Set<string>();
      const notes = await withRedis(rig.redis.url, async (client) => {
        // Redis names each key it evicts on a channel: exactly the records lost.
        const listener = client.duplicate();
        listener.on('error', () => {});
        await listener.connect();
        await client.configSet('notify-keyspace-events', 'Ee');
        await listener.subscribe('__keyevent@0__:evicted', (key) => {
          if (key.startsWith(SESSION_PREFIX)) lost.add(key);
        });
        const used = Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1]);
        if (!Number.isFinite(used)) throw new Error('faults: INFO memory gave no used_memory');
        const evictedBefore = Number(/^evicted_keys:(\d+)/m.exec(await client.info('stats'))?.[1]);
        // A little room above what Redis holds now, then junk written until about a quarter of
        // the demo's keys is gone (LRU picks the least recently used among a sample: idle and
        // ended sign-ins first, but any of them), or 16 MB of junk at most.
        const maxmemory = used + 256 * 1024;
        await client.configSet('maxmemory-policy', 'allkeys-lru');
        await client.configSet('maxmemory', String(maxmemory));
        const target = Math.floor((before.sessions + before.clocks) * 0.75);
        const value = 'x'.repeat(1024);
        let junk = 0;
        let now = before;
        try {
          while (junk < 16_384 && now.sessions + now.clocks > target) {
            // Small batches: each evicts a little, so the fill stops close to its target.
            const batch = client.multi();
            for (let i = 0; i < 8; i++) batch.set(`faults-junk:${junk++}`, value);
            await batch.exec();
            now = await demoKeys(rig.redis.url);
          }
        } finally {
          // The fault ends: Redis configured as it should be again (nothing more is evicted).
          await client.configSet('maxmemory', '0');
          await client.configSet('maxmemory-policy', 'noeviction');
          await sleep(100); // the last notifications on their way
          await client.configSet('notify-keyspace-events', '');
          await listener.close().catch(() => listener.destroy());
        }
        const evicted =
          Number(/^evicted_keys:(\d+)/m.exec(await client.info('stats'))?.[1]) - evictedBefore;
        return [
          `maxmemory ${Math.round(maxmemory / 1024)} KiB (used ${Math.round(used / 1024)} KiB + 256 KiB), ${junk} junk keys of 1 KiB written, ${evicted} keys evicted, ${lost.size} of them the demo's`,
          `before: ${describeKeys(before)}; after: ${describeKeys(now)}`,
        ];
      });
      return { startedAt, endedAt: Date.now(), lost, notes };
    },
  },
  {
    id: 7,
    name: 'SIGKILL of one demo instance, restarted',
    keepsData: true,
    judgedByRecords: false,
    async inject(rig, { downMs }) {
      const { killedAt, readyAt } = await rig.replaceInstance(0, downMs);
      return {
        startedAt: killedAt,
        endedAt: readyAt,
        notes: [
          `instance down ${readyAt - killedAt} ms (killed, ${downMs} ms dead, a new process started, nginx reloaded)`,
        ],
      };
    },
  },
  {
    id: 8,
    name: 'Redis crash: SIGKILL, and the last second of its append-only file lost',
    keepsData: false,
    judgedByRecords: true,
    // node-redis reconnects after up to 2 s plus 200 ms; then the instance that recorded a lost
    // sign-out records it again at once.
    revivalWindowMs: 3000,
    async inject(rig, { downMs }) {
      // A machine that crashes loses what the kernel had not written to disk: with `appendfsync
      // everysec`, about the last second. Made here by cutting the append-only file back to its
      // size of one second before the kill (Redis loads a file cut mid-command).
      const aof = currentAof(rig.redis.dir);
      const sizes: { at: number; size: number }[] = [];
      const sampleUntil = Date.now() + 1300;
      while (Date.now() < sampleUntil) {
        sizes.push({ at: Date.now(), size: statSync(aof).size });
        await sleep(50);
      }
      return killAndRestart(rig, downMs, (killedAt) => {
        const killedSize = statSync(aof).size;
        const synced = sizes.filter(({ at }) => at <= killedAt - 1000).at(-1) ?? sizes[0];
        if (synced === undefined) {
          throw new Error('faults: no size of the append-only file sampled');
        }
        truncateSync(aof, synced.size);
        return `append-only file cut from ${killedSize} to ${synced.size} bytes (its size ${killedAt - synced.at} ms before the kill)`;
      });
    },
  },
  {
    id: 9,
    name: 'Sentinel: the primary SIGKILLed, its replica promoted (waitReplicas 1)',
    // Replication is asynchronous: activity written in the last moment before the kill may be
    // lost (sign-outs are not: each waited for the replica), so sign-outs are counted, not failed.
    keepsData: false,
    judgedByRecords: false,
    topology: 'sentinel',
    async inject(rig, { downMs }) {
      const sentinel = rig.sentinel;
      if (!sentinel) throw new Error('faults: phase 9 needs the Sentinel rig');
      const old = await sentinel.primaryPort();
      const server = sentinel.servers.find((candidate) => candidate.port === old);
      if (!server) throw new Error(`faults: no server on the old primary's port ${old}`);
      // The Sentinels make the old primary a replica of the new one once it is back: sign-outs
      // can be acknowledged again (waitReplicas 1).
      return failOver(
        downMs,
        old,
        () => sentinel.killPrimary(),
        () => server.restart(),
      );
    },
  },
  {
    id: 10,
    name: 'Cluster (the clocks): a primary SIGKILLed, its replica promoted (waitReplicas 1)',
    // As phase 9: activity written in the last moment before the kill may be lost.
    keepsData: false,
    judgedByRecords: false,
    topology: 'cluster',
    async inject(rig, { downMs }) {
      const cluster = rig.cluster;
      if (!cluster) throw new Error('faults: phase 10 needs the Cluster rig');
      // The primary of the list of due minutes: every sign-in and every sweep reaches it.
      const key = `${CLOCK_PREFIX}due:buckets`;
      const old = await cluster.primaryOf(key);
      const node = cluster.nodes.find((candidate) => candidate.port === old);
      if (!node) throw new Error(`faults: no node on the old primary's port ${old}`);
      // The old primary comes back with its cluster configuration: a replica of the promoted one.
      return failOver(
        downMs,
        old,
        () => cluster.killPrimaryOf(key),
        () => node.server.restart(),
        ` (of ${key})`,
      );
    },
  },
];

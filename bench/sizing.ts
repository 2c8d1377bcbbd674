// The measurements behind SIZING.md: what the Redis store keeps per sign-in and what one Redis
// process does per second, on a redis-server of its own (127.0.0.1, a free port, no persistence).
// Sign-ins are started through the store itself, with the README setup's facts (a user, the
// browser's description, a small data object), three per user:
//
//   1. memory: `used_memory` at 0, 10,000, 100,000 and SIZING_MAX sign-ins (default 1,000,000),
//      per sign-in; what the 10,000 predict for the largest size, against what it measured;
//   2. the keys: the largest set (no key lists every sign-in) and the number of keys;
//   3. an ended sign-in: `MEMORY USAGE` of its record, kept graceSeconds after its end;
//   4. throughput: touch scripts a second (a page request of an active sign-in without copies)
//      from 64 concurrent callers for 5 s, with Redis's own CPU time over them.
//
// Run: `npx tsx bench/sizing.ts` (SIZING_MAX=100000 for a quick run). Prints Markdown.

import { Redis } from 'ioredis';
import type { Timeouts } from '../src/core/policy.js';
import type { SessionAccess } from '../src/core/store.js';
import { redisStore } from '../src/stores/redis.js';
import { FakeSession } from '../test/support/fake-session.js';
import { startRedisServer } from '../test/support/redis-server.js';

const MAX = Number(process.env.SIZING_MAX ?? 1_000_000);
const CHECKPOINTS = [10_000, 100_000, MAX].filter((n, i, all) => n <= MAX && all.indexOf(n) === i);
const CONCURRENCY = 256;
const TIMEOUTS: Timeouts = { expireAfterMs: 900_000, warnAfterMs: 780_000, absoluteTimeoutMs: 0 };
const AGENT = 'Firefox 133 on Linux';
const DATA = { app: 'demo', role: 'user' };

let sessionCount = 0;
const session = (): SessionAccess => new FakeSession(`sid-${++sessionCount}`);

async function usedMemory(admin: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await admin.info('memory'))?.[1]);
}

async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
  return field('used_cpu_sys') + field('used_cpu_user');
}

/** Runs `work(i)` for i in [from, to) with CONCURRENCY in flight. */
async function inParallel(from: number, to: number, work: (i: number) => Promise<unknown>) {
  let next = from;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < to) await work(next++);
    }),
  );
}

const redis = await startRedisServer({ maxmemoryPolicy: 'noeviction' });
const admin = new Redis({ host: '127.0.0.1', port: redis.port });
const client = new Redis({ host: '127.0.0.1', port: redis.port });
const prefix = 'sizing:';
// Sign-ins spread evenly over an hour of Redis's time (the store's test clock), as a day's
// sign-ins spread over its hours: the due lists hold a minute's sign-ins each.
const T0 = Date.now();
let simulated = 0;
const store = redisStore({
  client,
  prefix,
  now: () => T0 + (simulated / MAX) * 3_600_000,
  logger: { warn: () => {}, error: () => {} },
});
const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  console.error(line);
};

try {
  await new Promise((resolve) => client.once('ready', resolve));
  const sessions: SessionAccess[] = [];
  const base = await usedMemory(admin);
  say(`## Sizing run: ${new Date().toISOString()}`);
  say();
  say(
    `Redis ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1]} on 127.0.0.1, no persistence; ${MAX.toLocaleString('en')} sign-ins started through the store, spread over an hour of Redis's time (${Math.round(MAX / 60).toLocaleString('en')} a minute), each with a user (3 sign-ins a user), the browser's description and \`data\` ${JSON.stringify(DATA)}; \`expireAfter\` 900 s.`,
  );
  say();
  say(
    '| live sign-ins | used_memory above empty | per sign-in | keys | largest set | seconds to start them |',
  );
  say('| ---: | ---: | ---: | ---: | ---: | ---: |');
  let started = 0;
  const perSignIn: number[] = [];
  for (const checkpoint of CHECKPOINTS) {
    const t0 = performance.now();
    await inParallel(started, checkpoint, async (i) => {
      const s = session();
      simulated = i;
      await store.start(s, TIMEOUTS, {
        userId: `user-${Math.floor(i / 3)}`,
        agent: AGENT,
        data: DATA,
      });
      if (i < 20_000) sessions.push(s);
    });
    const seconds = (performance.now() - t0) / 1000;
    started = checkpoint;
    const bytes = (await usedMemory(admin)) - base;
    perSignIn.push(bytes / checkpoint);
    let largest = 0;
    for await (const keys of admin.scanStream({ match: `${prefix}due:*`, count: 1000 })) {
      for (const key of keys as string[]) {
        if (!key.endsWith(':buckets')) largest = Math.max(largest, await admin.scard(key));
      }
    }
    say(
      `| ${checkpoint.toLocaleString('en')} | ${(bytes / 2 ** 20).toFixed(1)} MiB | ${Math.round(bytes / checkpoint)} B | ${(await admin.dbsize()).toLocaleString('en')} | ${largest} | ${seconds.toFixed(1)} |`,
    );
  }
  const predicted = (perSignIn[0] ?? 0) * MAX;
  const measured = (perSignIn.at(-1) ?? 0) * MAX;
  say();
  say(
    `The 10,000 predicted ${(predicted / 2 ** 20).toFixed(0)} MiB for ${MAX.toLocaleString('en')}; measured ${(measured / 2 ** 20).toFixed(0)} MiB (${((measured / predicted - 1) * 100).toFixed(1)} %).`,
  );

  // An ended sign-in: its record stays graceSeconds with its end.
  const ended = sessions.slice(0, 1000);
  const live = sessions.slice(1000, 2000);
  const markerOf = (s: SessionAccess) => (s.read() as { id: string }).id;
  const sizeOf = async (list: SessionAccess[]) => {
    let total = 0;
    for (const s of list) total += Number(await admin.memory('USAGE', `${prefix}${markerOf(s)}`));
    return total / list.length;
  };
  const liveRecord = await sizeOf(live);
  for (const s of ended) await store.end(s, 'logout', TIMEOUTS);
  say(
    `A live sign-in's record (MEMORY USAGE of its hash): ${Math.round(liveRecord)} B; an ended one's, kept graceSeconds after its end: ${Math.round(await sizeOf(ended))} B.`,
  );

  // Throughput: touch scripts (each a page request of an active sign-in without copies).
  const touching = sessions.slice(2000, 20_000);
  const cpuBefore = await redisCpuSeconds(admin);
  const t0 = performance.now();
  let touches = 0;
  const until = t0 + 5000;
  await Promise.all(
    Array.from({ length: 64 }, async (_, lane) => {
      let i = lane;
      while (performance.now() < until) {
        const s = touching[i % touching.length] as SessionAccess;
        await store.touch(s, 0, TIMEOUTS);
        touches++;
        i += 64;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await redisCpuSeconds(admin)) - cpuBefore;
  say(
    `Touch scripts: ${Math.round(touches / seconds).toLocaleString('en')} a second from 64 callers in one Node process for ${seconds.toFixed(1)} s; Redis used ${(cpu / seconds).toFixed(2)} of a core, ${((cpu / touches) * 1e6).toFixed(1)} µs of CPU per script.`,
  );
  console.log(lines.join('\n'));
} finally {
  client.disconnect();
  admin.disconnect();
  await redis.close();
}

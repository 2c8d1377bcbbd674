// `npm run bench`, the server part: what session-security costs a server, per framework (Express,
// Fastify, Koa, Hono, each with its real session plugin: bench/server-apps.ts), each number
// against a baseline measured in the same run, the two taking turns (medians after a warm-up):
//   1. req/s of an authenticated JSON page (every request counts as activity) for many signed-in
//      sessions, with and without session-security, and the CPU per request of the apps' process:
//      default store (sessions in the framework's memory store), and Redis store (sessions in
//      Redis too, without and with session-security);
//   2. Express only: express-session `rolling: true` (no session-security) against the same page;
//   3. POST /session-security/ping against a trivial JSON POST route of the same app;
//   4. the heap each sign-in holds, with and without session-security (a child with --expose-gc);
//   5. untimed, Express with sessions in Redis: Redis commands per request (MONITOR), and the
//      session rewrites the Redis store saves.
// The apps run in child processes (bench/server-child.ts, one per framework), so that autocannon
// does not share their event loop. The library is the built package (dist/). Every Redis key of
// the run starts with one prefix and is deleted at the end. Numbers are reported, never asserted.
//
// Environment (default; under BENCH_QUICK=1, a check that it runs rather than a measurement):
// BENCH_DURATION seconds per sample (2; 1), BENCH_ROUNDS (10; 1), BENCH_WARMUP seconds per
// contender (1; 0.5), BENCH_FRAMEWORKS (express,fastify,koa,hono), BENCH_SESSIONS per app (1000; 200), BENCH_CONNECTIONS (20),
// BENCH_MEMORY_SIGN_INS (10000; 1000), BENCH_COUNT_SESSIONS (20; 10), BENCH_COUNT_ROUNDS (10; 3).
// At the defaults about 12 minutes on 2 cores (10 of load); quick about 80 s. More, shorter rounds:
// on a shared machine the load of its neighbours changes within seconds, and so do the ratios.
// Alone: `npm run build && npx tsx bench/server.ts`. Where the time goes: bench/server-profile.ts.

import { pathToFileURL } from 'node:url';
import { type BenchRow, type BenchSection, ratio, renderReport } from './report.js';
import {
  type AppSpec,
  appName,
  FRAMEWORKS,
  type Framework,
  runsSessionSecurity,
} from './server-apps.js';
import {
  allCommands,
  COUNT_SETUPS,
  type Counts,
  countCommands,
  libraryCommands,
} from './server-counts.js';
import {
  type Comparison,
  type Contender,
  checkAnswers,
  closeAgent,
  compare,
  type LoadRequest,
  type LoadSettings,
  signInMany,
  startChild,
  stopChildren,
  stopLoad,
} from './server-load.js';
import { measureMemory } from './server-memory.js';
import { connectRedis, deleteKeys, redisCpuMicros, redisScriptCalls } from './server-redis.js';

const QUICK = Boolean(process.env.BENCH_QUICK);

/** A number from the environment within bounds, or the default (the quick one under BENCH_QUICK). */
function setting(name: string, fallback: number, quick: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return QUICK ? quick : fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(
      `server bench: ${name}=${JSON.stringify(text)} must be a number from ${min} to ${max}`,
    );
  }
  return value;
}

const PAGE_GOAL = 0.95;
const REDIS_GOAL = 0.9;
const PING_GOAL = 0.9;

interface Settings extends LoadSettings {
  sessions: number;
  memorySignIns: number;
  countSessions: number;
  countRounds: number;
}

function readSettings(): Settings {
  return {
    duration: setting('BENCH_DURATION', 2, 1, 0.5, 600),
    rounds: Math.round(setting('BENCH_ROUNDS', 10, 1, 1, 50)),
    warmup: setting('BENCH_WARMUP', 1, 0.5, 0, 60),
    connections: Math.round(setting('BENCH_CONNECTIONS', 20, 20, 1, 1000)),
    sessions: Math.round(setting('BENCH_SESSIONS', 1000, 200, 1, 100_000)),
    memorySignIns: Math.round(setting('BENCH_MEMORY_SIGN_INS', 10_000, 1000, 100, 1_000_000)),
    countSessions: Math.round(setting('BENCH_COUNT_SESSIONS', 20, 10, 1, 10_000)),
    countRounds: Math.round(setting('BENCH_COUNT_ROUNDS', 10, 3, 1, 1000)),
  };
}

/** The apps of one framework's child process, and the comparisons made on them. */
interface FrameworkPlan {
  framework: Framework;
  specs: AppSpec[];
  comparisons: PlannedComparison[];
}

interface PlannedComparison {
  name: string;
  a: { spec: AppSpec; kind: LoadRequest; label: string };
  b: { spec: AppSpec; kind: LoadRequest; label: string };
  goal?: number;
  /** Redis takes part: its CPU per request is read too. */
  redis: boolean;
}

function planFor(framework: Framework): FrameworkPlan {
  const spec = (sessions: AppSpec['sessions'], security: AppSpec['security'], rolling = false) =>
    ({ framework, sessions, security, ...(rolling ? { rolling } : {}) }) satisfies AppSpec;
  const baseline = spec('memory', 'none');
  const withDefault = spec('memory', 'default');
  // An app that puts session-security's clock in Redis keeps its sessions there too, so the
  // Redis store is measured against the same app with sessions in Redis (their own round trips
  // already in every request), not against memory sessions: connect-redis for Express and
  // Fastify, bench/redis-session-stores.ts for Koa and Hono (startApp refuses a framework
  // without one).
  const redisBaseline = spec('redis', 'none');
  const withRedis = spec('redis', 'redis');
  const rolling = spec('memory', 'none', true);
  const specs = [baseline, withDefault, redisBaseline, withRedis];
  // The parts of the price, each against the same baseline (see AppSpec.security).
  const noop = spec('memory', 'noop');
  const guardOnly = spec('memory', 'guard');
  specs.push(noop);
  if (framework === 'express') specs.push(rolling, guardOnly);
  const comparisons: PlannedComparison[] = [
    {
      name: `${framework}, default store: page with / without session-security`,
      a: { spec: baseline, kind: 'page', label: `${framework} without` },
      b: { spec: withDefault, kind: 'page', label: `${framework} with (default store)` },
      goal: PAGE_GOAL,
      redis: false,
    },
    {
      name: `${framework}, Redis store: page with / without session-security`,
      a: { spec: redisBaseline, kind: 'page', label: `${framework} without (redis sessions)` },
      b: { spec: withRedis, kind: 'page', label: `${framework} with (Redis store)` },
      goal: REDIS_GOAL,
      redis: true,
    },
  ];
  comparisons.push({
    name: `${framework}: page with a no-op async ${framework === 'fastify' ? 'onRequest hook' : 'middleware'} / without (what one more costs)`,
    a: { spec: baseline, kind: 'page', label: `${framework} without` },
    b: { spec: noop, kind: 'page', label: `${framework} no-op` },
    redis: false,
  });
  if (framework === 'express') {
    comparisons.push({
      name: 'express: page with guardSessionStore only / without (the store guard alone)',
      a: { spec: baseline, kind: 'page', label: 'express without' },
      b: { spec: guardOnly, kind: 'page', label: 'express guardSessionStore only' },
      redis: false,
    });
    comparisons.push({
      name: 'express: page with express-session rolling: true / without (no session-security)',
      a: { spec: baseline, kind: 'page', label: 'express without' },
      b: { spec: rolling, kind: 'page', label: 'express rolling: true' },
      redis: false,
    });
  }
  comparisons.push({
    name: `${framework}, default store: POST ping / POST /api/echo (same app)`,
    a: { spec: withDefault, kind: 'echo', label: `${framework} POST /api/echo` },
    b: { spec: withDefault, kind: 'ping', label: `${framework} POST ping` },
    goal: PING_GOAL,
    redis: false,
  });
  return { framework, specs, comparisons };
}

const us = (value: number) => `${value.toFixed(0)} us`;

/** A ratio's 95 % interval as printed after it (its coverage is in the notes); nothing without one. */
const intervalText = (interval: Comparison['interval']) =>
  interval === undefined
    ? ' (too few rounds for a 95 % interval)'
    : ` (95 % CI ${interval.low.toFixed(2)}-${interval.high.toFixed(2)})`;

/** The two rows of a comparison: the ratio (with its goal), and the CPU per request. */
function rowsOf(planned: PlannedComparison, result: Comparison): BenchRow[] {
  const cpu = (side: 'a' | 'b') =>
    result.redisCpu === undefined
      ? result.appCpu[side]
      : result.appCpu[side] + result.redisCpu[side];
  const cpuText = (side: 'a' | 'b') =>
    result.redisCpu === undefined
      ? us(result.appCpu[side])
      : `${us(result.appCpu[side])} + Redis ${result.redisCpu[side].toFixed(1)} us`;
  const extra = cpu('b') - cpu('a');
  const scripts = result.scripts === undefined ? [] : [scriptsRow(planned, result.scripts)];
  return [
    {
      name: `${planned.name}: req/s`,
      value: `${ratio(result.ratio)}${intervalText(result.interval)}`,
      ...(planned.goal === undefined
        ? {}
        : { goal: `>= ${planned.goal.toFixed(2)}`, met: result.ratio >= planned.goal }),
    },
    {
      name: `${planned.name}: CPU per request`,
      value: `${cpuText('b')} / ${cpuText('a')} (${extra >= 0 ? '+' : ''}${extra.toFixed(0)} us; ${ratio(cpu('a') / cpu('b'))} as a req/s ratio if CPU-bound)`,
    },
    ...scripts,
  ];
}

/**
 * session-security's Redis commands per page request under the load (scripts Redis ran, with
 * minus without, over all the rounds; the store's heartbeats count too). A request sends at
 * most one script, so a mean of at most 0.05 means at least 95 % of requests send none.
 */
function scriptsRow(planned: PlannedComparison, scripts: { a: number; b: number }): BenchRow {
  const own = scripts.b - scripts.a;
  return {
    name: `${planned.name}: session-security's Redis commands per page request`,
    value: `${own.toFixed(3)} (at least ${(100 * (1 - Math.max(0, own))).toFixed(1)} % of requests send none)`,
    goal: '<= 0.05',
    met: own <= 0.05,
  };
}

/** The req/s behind a comparison's ratio, for the notes. */
function detailOf(planned: PlannedComparison, result: Comparison): string {
  const range = (values: number[]) =>
    `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
  return `${planned.name}: ${Math.round(result.rps.b)} / ${Math.round(result.rps.a)} req/s (medians; per-round ratios ${range(result.perRound)}); p99 ${result.p99.b} / ${result.p99.a} ms`;
}

/** Runs one framework's child process and its comparisons. */
async function measureFramework(
  plan: FrameworkPlan,
  settings: Settings,
  runPrefix: string,
  meters: { cpu: () => Promise<number>; scripts: () => Promise<number> },
): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const child = startChild(plan.specs, `${runPrefix}${plan.framework}:`);
  try {
    const origins = await child.ready;
    const originOf = (spec: AppSpec) => origins[plan.specs.indexOf(spec)] as string;
    const cookies = new Map<AppSpec, string[]>();
    const started = Date.now();
    for (const spec of plan.specs) {
      const signedIn = await signInMany(originOf(spec), settings.sessions);
      const kinds: LoadRequest[] = runsSessionSecurity(spec) ? ['page', 'ping', 'echo'] : ['page'];
      await checkAnswers(spec, originOf(spec), signedIn[0] as string, kinds);
      cookies.set(spec, signedIn);
    }
    console.error(
      `  ${plan.framework}: signed in ${plan.specs.length} x ${settings.sessions} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s (${plan.specs.map(appName).join(', ')})`,
    );
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    for (const planned of plan.comparisons) {
      console.error(`  ${planned.name}`);
      const contender = (side: PlannedComparison['a']): Contender => ({
        label: side.label,
        origin: originOf(side.spec),
        kind: side.kind,
        cookies: cookies.get(side.spec) as string[],
      });
      const result = await compare(
        contender(planned.a),
        contender(planned.b),
        settings,
        {
          app: () => child.cpu(),
          ...(planned.redis ? { redis: meters.cpu, scripts: meters.scripts } : {}),
        },
        (line) => console.error(line),
      );
      rows.push(...rowsOf(planned, result));
      notes.push(detailOf(planned, result));
    }
    return { rows, notes };
  } finally {
    await child.stop();
  }
}

function countRows(counts: Record<(typeof COUNT_SETUPS)[number], Counts>): BenchRow[] {
  const per = (value: number, c: Counts) => value / c.requests;
  const redis = counts.redis;
  const evalsha = per(redis.commands.get('EVALSHA') ?? 0, redis);
  const saved = counts.default.sessionWrites - redis.sessionWrites;
  return [
    {
      name: 'express, sessions in Redis: Redis commands per page request (round trips), without / Redis store / default store',
      value: COUNT_SETUPS.map((setup) =>
        per(allCommands(counts[setup]), counts[setup]).toFixed(2),
      ).join(' / '),
    },
    {
      // One page request per session every 1.1 s of the fake clock: with copies of records, a
      // script once a step (9 s at 900 s) per sign-in, and the store's heartbeats.
      name: "express, Redis store with subscriber, a request per session every 1.1 s: session-security's own commands per page request (EVALSHA)",
      value: `${per(libraryCommands(redis), redis).toFixed(2)} (EVALSHA ${evalsha.toFixed(2)})`,
    },
    {
      name: 'express, sessions in Redis: session rewrites (connect-redis set) saved by the Redis store over the default store',
      value: `${saved} of ${counts.default.sessionWrites} (${counts.default.sessionWriteBytes - redis.sessionWriteBytes} bytes) over ${redis.requests} requests`,
    },
  ];
}

/** BENCH_FRAMEWORKS=express,hono runs some frameworks only (all by default). */
function frameworksToRun(): Framework[] {
  const names = process.env.BENCH_FRAMEWORKS?.split(',').map((name) => name.trim());
  if (names === undefined) return [...FRAMEWORKS];
  for (const name of names) {
    if (!(FRAMEWORKS as readonly string[]).includes(name)) {
      throw new Error(
        `server bench: BENCH_FRAMEWORKS names "${name}"; the frameworks are ${FRAMEWORKS.join(', ')}`,
      );
    }
  }
  return FRAMEWORKS.filter((framework) => names.includes(framework));
}

export async function run(): Promise<BenchSection[]> {
  const settings = readSettings();
  const runPrefix = `bench-server-${process.pid}-${Date.now()}:`;
  const plans = frameworksToRun().map(planFor);
  const comparisons = plans.reduce((n, plan) => n + plan.comparisons.length, 0);
  const loadSeconds = comparisons * 2 * (settings.warmup + settings.rounds * settings.duration);
  // A run far longer than planned (a stuck server, a starved machine) stops and cleans up.
  const limitSeconds = Math.ceil(loadSeconds + 240 + settings.memorySignIns / 100);
  let stoppedBy: string | undefined;
  let abort: (error: Error) => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    abort = reject;
  });
  const stopWith = (reason: string, message: string) => {
    stoppedBy = reason;
    stopLoad();
    abort(new Error(message));
  };
  const watchdog = setTimeout(
    () =>
      stopWith(
        'timeout',
        `server bench: stopped after ${limitSeconds} s (about ${Math.round(loadSeconds)} s of load planned)`,
      ),
    limitSeconds * 1000,
  );
  const onSignal = (signal: NodeJS.Signals) => stopWith(signal, `server bench: ${signal}`);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  console.error(
    `  ${comparisons} comparisons, ${Math.round(loadSeconds)} s of load, then memory and counts; stops itself after ${limitSeconds} s`,
  );
  const client = await connectRedis();
  const started = Date.now();
  try {
    const work = measureAll(settings, plans, runPrefix, client);
    work.catch(() => {}); // once stopped, its late failure is expected
    const { rows, notes } = await Promise.race([work, aborted]);
    const redisVersion = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? '?';
    return [
      {
        title: 'server',
        rows,
        notes: [
          `${QUICK ? 'BENCH_QUICK: a check that it runs, not a measurement. ' : ''}Settings: ${settings.sessions} signed-in sessions per app, each request the next session's cookies (autocannon setupRequest), ${settings.connections} connections; per comparison a warm-up of ${settings.warmup} s each, then ${settings.rounds} round(s) of one ${settings.duration} s sample each, the order swapped every round (A B, B A, …); a ratio is the median of the per-round ratios (B / A of the same round), with its distribution-free interval (order statistics: at least 95 % coverage, the coverage it has for that many rounds printed; 10 rounds: the 2nd lowest to the 2nd highest ratio); CPU per request is the median per sample of the apps' process CPU time (user + system) over its 2xx answers (and Redis's, from INFO cpu, where it takes part). ${Math.round((Date.now() - started) / 1000)} s in all.`,
          'Apps (bench/server-apps.ts), one child process per framework, on 127.0.0.1: Express 5 + express-session (resave false, saveUninitialized false; MemoryStore), Fastify 5 + @fastify/cookie + @fastify/session (its MemoryStore), Koa 3 + koa-session 7 with an external store in memory (server-side, JSON per session, as examples/koa/app.ts: koa-session has no built-in one), Hono 4 + @hono/node-server + hono-sessions 0.8 (its MemoryStore); in the Redis rows every one keeps its sessions in Redis instead (below). "with" = the README setup: sessionSecurity({ expireAfter: 900, isAuthenticated, userId, draftSecret }) mounted after the session plugin, the session store wrapped in guardSessionStore (and storeUnavailableHandler for Express); the sweep timer at its default 60 s. "without" = the same app without either.',
          `Page: GET /api/account, small JSON, sec-fetch-site same-origin (activity). Ping: POST /session-security/ping {"sinceActivity": 0}; echo: POST /api/echo with the same body, read by the framework's own JSON parsing (express.json(), Fastify's, a small event-based reader for Koa (as raw-body), c.req.json() for Hono), answering {"ok":true}; both content-type application/json, sec-fetch-site same-origin, on the app with session-security (default store).`,
          `Redis store (${redisVersion} on 127.0.0.1:6379, a node-redis client per app): on both sides the sessions are in Redis, through connect-redis for Express and @fastify/session, and through the bench's own small stores (bench/redis-session-stores.ts: GET, SET PX, DEL of JSON; no Redis store for them is installed) for koa-session and hono-sessions; "with" adds session-security's Redis store, "without" is the same app with the same sessions. koa-session reads the session once per request (GET) and writes it only when it changed; hono-sessions writes it back on every request (it stamps _accessed: GET + SET).`,
          'The rolling comparison has no goal: express-session rolling: true rewrites the session on every request, so it cannot tell a poll from a person.',
          ...notes,
        ],
      },
    ];
  } finally {
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopChildren();
    try {
      const deleted = await deleteKeys(client, runPrefix);
      console.error(
        `  deleted the run's last ${deleted} Redis key(s) (the children delete their own)`,
      );
    } finally {
      await client.close().catch(() => client.destroy());
      closeAgent();
    }
    if (stoppedBy !== undefined) {
      console.error(`server bench: stopped (${stoppedBy}); everything it started is stopped`);
      // Interrupted: end as the signal would have, now that all is cleaned up.
      if (stoppedBy !== 'timeout') process.kill(process.pid, stoppedBy);
    }
  }
}

async function measureAll(
  settings: Settings,
  plans: FrameworkPlan[],
  runPrefix: string,
  client: Awaited<ReturnType<typeof connectRedis>>,
): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const plan of plans) {
    const result = await measureFramework(plan, settings, runPrefix, {
      cpu: () => redisCpuMicros(client),
      scripts: () => redisScriptCalls(client),
    });
    rows.push(...result.rows);
    notes.push(...result.notes);
  }

  console.error(`  memory: ${settings.memorySignIns} sign-ins per app (a child with --expose-gc)`);
  const memory = await measureMemory(runPrefix, settings.memorySignIns, (line) =>
    console.error(line),
  );
  const { baseline, withSecurity } = memory.perSession;
  rows.push({
    name: `express, default store: heap per sign-in held by session-security (${memory.signIns} sign-ins, with minus without)`,
    value: `${Math.round(withSecurity - baseline)} bytes`,
  });
  notes.push(
    `Memory: Express + express-session MemoryStore, users signed in through the app's sign-in route (regenerate, then start()), ${memory.signIns} sign-ins per app after 200 to warm it; heap used after global.gc() (a child run with --expose-gc), before and after, per sign-in: ${Math.round(withSecurity)} bytes with session-security, ${Math.round(baseline)} bytes without (the session in MemoryStore, as JSON).`,
  );

  console.error(
    `  counts: ${settings.countSessions} sessions x ${settings.countRounds} rounds per setup (MONITOR)`,
  );
  const counts = await countCommands(
    client,
    runPrefix,
    settings.countSessions,
    settings.countRounds,
  );
  rows.push(...countRows(counts));
  notes.push(
    `Counts (untimed): Express with sessions in Redis (connect-redis), without / with the Redis store / with the default store; ${settings.countSessions} sessions signed in, then ${settings.countRounds} rounds in which each loads the page once, a fake clock moving 1.1 s between rounds; commands of the app's client between two markers, as MONITOR saw them. The Redis store's script runs its HMGET/HSET/PEXPIRE inside Redis (one round trip).`,
  );
  return { rows, notes };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(renderReport(await run()));
}

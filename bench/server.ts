// `npm run bench:server` (and the end of `npm run bench`): what session-security costs a server.
// Three setups of one Express 5 app, each with express-session (resave false, saveUninitialized
// false) and connect-redis on a node-redis client, on 127.0.0.1 with Redis on 127.0.0.1:6379:
//   baseline  no session-security;
//   redis     session-security with the Redis store (session-security/redis);
//   default   session-security with the clock in the session object.
// Measured in one run, each against the baseline of the same run (absolute numbers are noise):
//   1. requests per second of a small JSON page for many signed-in sessions, every request
//      counting as activity; the setups take turns round after round (medians, ratios); and the
//      CPU time each request cost the app's process and Redis over the same samples (steadier
//      than req/s on a shared machine, where the load generator, the app and Redis share cores);
//   2. Redis commands per request, untimed, from MONITOR: session-security's own (EVALSHA) apart
//      from connect-redis's GET/SET/EXPIRE;
//   3. session rewrites (connect-redis `set` calls) over the same requests: what the Redis store
//      saves over the default store, which rewrites the session for activity once a second.
// The library is the built package (dist/). The servers of (1) run in a child process (this file with --serve), so that autocannon does not
// share their event loop. Every key of the run starts with one prefix and is deleted at the end.
// Performance is measured here, never asserted in tests.
//
// Environment: BENCH_DURATION (seconds per sample, 5), BENCH_ROUNDS (5), BENCH_WARMUP (seconds
// per setup, 3), BENCH_SESSIONS (signed-in sessions per setup, 200), BENCH_CONNECTIONS (20),
// BENCH_COUNT_SESSIONS (20) and BENCH_COUNT_ROUNDS (10) for the untimed counts.

import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import type { ExpressSessionSecurity } from 'session-security/express';

// The built package (`npm run build`, which `npm run bench` runs first), as users run it: the
// TypeScript sources through tsx would carry the transform's own per-function costs.
const built = async <T>(path: string): Promise<T> => {
  const url = new URL(`../dist/${path}`, import.meta.url);
  try {
    return (await import(url.href)) as T;
  } catch (error) {
    throw new Error(
      `server bench: cannot load ${fileURLToPath(url)}: run \`npm run build\` first (${(error as Error).message})`,
    );
  }
};
const { sessionSecurity } =
  await built<typeof import('session-security/express')>('server/express.js');
const { redisStore } = await built<typeof import('session-security/redis')>('stores/redis.js');

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

type Setup = 'baseline' | 'redis' | 'default';
const SETUPS: readonly Setup[] = ['baseline', 'redis', 'default'];
const LABELS: Record<Setup, string> = {
  baseline: 'baseline',
  redis: 'Redis store',
  default: 'session-object default',
};

/** A whole-number (or, with `integer: false`, any) setting from the environment, within bounds. */
function setting(name: string, fallback: number, min: number, max: number, integer = true): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new Error(
      `server bench: ${name}=${JSON.stringify(text)} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
    );
  }
  return value;
}

const DURATION = setting('BENCH_DURATION', 5, 1, 600, false);
const ROUNDS = setting('BENCH_ROUNDS', 5, 1, 50);
const WARMUP = setting('BENCH_WARMUP', 3, 0, 60, false);
const SESSIONS = setting('BENCH_SESSIONS', 200, 1, 100_000);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 20, 1, 1000);
const COUNT_SESSIONS = setting('BENCH_COUNT_SESSIONS', 20, 1, 10_000);
const COUNT_ROUNDS = setting('BENCH_COUNT_ROUNDS', 10, 1, 1000);

const REDIS_URL = 'redis://127.0.0.1:6379';
const SECRET = 'server bench secret';
const EXPIRE_AFTER = 900;
const RATIO_GOAL = 0.9;
const PAGE = '/api/account';
/** What a page's own fetch sends: same-origin, so every request counts as activity. */
const ACTIVITY_HEADERS = {
  accept: 'application/json',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-mode': 'cors',
  'sec-fetch-dest': 'empty',
};
/** Between the count runs' rounds: past session-security's once-a-second write interval. */
const COUNT_STEP_MS = 1100;
/** Commands session-security sends; everything else on the client is connect-redis's. */
const LIBRARY_COMMANDS = new Set(['EVALSHA', 'EVAL', 'EVALSHA_RO', 'EVAL_RO', 'SCRIPT']);

type Client = ReturnType<typeof createClient>;
interface Listening {
  origin: string;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The app under test, in the three setups.

interface AppOptions {
  /** The start of every key this app writes. */
  prefix: string;
  /** A fake clock for session-security (and the Redis store's `now`); the real one otherwise. */
  clock?: { now(): number };
  /** Called on every session write (connect-redis `set`) with the size of the session. */
  onSessionWrite?: (bytes: number) => void;
}

function buildApp(setup: Setup, client: Client, options: AppOptions): express.Express {
  const sessions = new RedisStore({ client, prefix: `${options.prefix}sess:` });
  const { onSessionWrite } = options;
  if (onSessionWrite) {
    const set = sessions.set.bind(sessions);
    sessions.set = (sid, data, callback) => {
      onSessionWrite(Buffer.byteLength(JSON.stringify(data)));
      return set(sid, data, callback);
    };
  }
  const app = express();
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, store: sessions }));
  let security: ExpressSessionSecurity | undefined;
  if (setup !== 'baseline') {
    const { clock } = options;
    const logger = {
      warn: (message: string) => console.error(`[${setup}] ${message}`),
      error: (message: string, error?: unknown) => console.error(`[${setup}] ${message}`, error),
    };
    security = sessionSecurity({
      drafts: false,
      expireAfter: EXPIRE_AFTER,
      isAuthenticated: (req) => typeof req.session.user === 'string',
      logger,
      ...(clock ? { clock } : {}),
      ...(setup === 'redis'
        ? {
            store: redisStore({
              client,
              prefix: `${options.prefix}clock:`,
              logger,
              ...(clock ? { now: () => clock.now() } : {}),
            }),
          }
        : {}),
    });
    app.use(security);
  }
  app.post('/sign-in', (req, res, next) => {
    req.session.regenerate(async (error: unknown) => {
      if (error) return next(error);
      try {
        req.session.user = String(req.query.user ?? 'ada');
        if (security) await security.start(req);
        res.json({ user: req.session.user });
      } catch (failure) {
        next(failure);
      }
    });
  });
  // The page: a small JSON answer of a signed-in user, the same in every setup.
  app.get(PAGE, (req, res) => {
    if (typeof req.session.user !== 'string') {
      res.status(401).json({ error: 'not signed in' });
      return;
    }
    res.json({ user: req.session.user, plan: 'standard', unread: 3, locale: 'en' });
  });
  return app;
}

async function listen(app: express.Express): Promise<Listening> {
  const server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function connectRedis(): Promise<Client> {
  const client = createClient({
    url: REDIS_URL,
    socket: { connectTimeout: 5000, reconnectStrategy: false },
  });
  client.on('error', (error: Error) => console.error(`server bench: Redis: ${error.message}`));
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `server bench: no Redis answers on 127.0.0.1:6379 (npm test starts one): ${(error as Error).message}`,
    );
  }
  return client;
}

/** Deletes every key under `prefix` (SCAN + DEL); returns how many. */
async function deleteKeys(client: Client, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) deleted += await client.del(keys);
  }
  return deleted;
}

/** Settles with `work`, or rejects after `ms`; the timer never outlives it. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// The child process: the three apps of the throughput measurement.

type ServerMessage =
  | { kind: 'ready'; origins: Record<Setup, string> }
  | { kind: 'cpu'; micros: number }
  | { kind: 'failed'; message: string }
  | { kind: 'cleaned'; deleted: number };

async function serve(): Promise<void> {
  const run = process.env.BENCH_RUN_PREFIX;
  if (!run) throw new Error('server bench: --serve needs BENCH_RUN_PREFIX');
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  process.on('message', (message: { kind?: string }) => {
    if (message?.kind === 'stop') stop();
    if (message?.kind === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ kind: 'cpu', micros: user + system } satisfies ServerMessage);
    }
  });
  process.once('disconnect', stop); // the parent went away: clean up all the same
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const clients: Client[] = [];
  const servers: Listening[] = [];
  try {
    const origins: Partial<Record<Setup, string>> = {};
    for (const setup of SETUPS) {
      // One client per app, as each instance of an app has its own.
      const client = await connectRedis();
      clients.push(client);
      const server = await listen(buildApp(setup, client, { prefix: `${run}${setup}:` }));
      servers.push(server);
      origins[setup] = server.origin;
    }
    process.send?.({
      kind: 'ready',
      origins: origins as Record<Setup, string>,
    } satisfies ServerMessage);
    await stopped;
  } catch (error) {
    if (process.connected) {
      process.send?.({
        kind: 'failed',
        message: String((error as Error)?.stack ?? error),
      } satisfies ServerMessage);
    }
  } finally {
    for (const server of servers) await server.close();
    const [first] = clients;
    if (first) {
      try {
        const deleted = await deleteKeys(first, run);
        if (process.connected) process.send?.({ kind: 'cleaned', deleted } satisfies ServerMessage);
      } catch (error) {
        console.error(`server bench: the server process could not delete its keys: ${error}`);
      }
    }
    for (const client of clients) await client.close().catch(() => client.destroy());
    if (process.connected) process.disconnect();
  }
}

/** Starts the apps' process; `stop()` ends it (and kills it if it does not end within 15 s). */
function startServerProcess(run: string) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: process.execArgv,
    env: { ...process.env, BENCH_RUN_PREFIX: run },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<Record<Setup, string>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('server bench: the server process was not ready within 30 s')),
      30_000,
    );
    child.on('message', (message: ServerMessage) => {
      if (message.kind === 'cpu') return;
      if (message.kind === 'cleaned') {
        console.log(
          `   (the server process stopped and deleted its ${message.deleted} Redis key(s))`,
        );
        return;
      }
      clearTimeout(timer);
      if (message.kind === 'ready') resolve(message.origins);
      else reject(new Error(`server bench: the server process failed: ${message.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server bench: the server process exited (${signal ?? code})`));
    });
  });
  ready.catch(() => {}); // whoever awaits it sees the rejection
  return {
    ready,
    /** The CPU time (user + system, microseconds) the apps' process has used so far. */
    cpu(): Promise<number> {
      return within(
        new Promise<number>((resolve) => {
          const onMessage = (message: ServerMessage) => {
            if (message.kind !== 'cpu') return;
            child.off('message', onMessage);
            resolve(message.micros);
          };
          child.on('message', onMessage);
          child.send({ kind: 'cpu' });
        }),
        5000,
        "reading the server process's CPU time",
      );
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ kind: 'stop' });
      try {
        await within(exited, 15_000, 'stopping the server process');
      } catch {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP from the bench (sign-ins, the count runs): node:http, so the headers are exactly ours.

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

interface Reply {
  status: number;
  setCookie: string[];
  body: string;
}

function send(origin: string, path: string, method = 'GET', cookie?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      new URL(path, origin),
      {
        method,
        agent,
        timeout: 10_000,
        headers: {
          ...ACTIVITY_HEADERS,
          ...(cookie ? { cookie } : {}),
          ...(method === 'POST' ? { 'content-length': '0' } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            setCookie: response.headers['set-cookie'] ?? [],
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    request.on('error', reject);
    request.end();
  });
}

/** Signs user-<index> in; returns the session cookie (`connect.sid=…`). */
async function signIn(origin: string, index: number): Promise<string> {
  const reply = await send(origin, `/sign-in?user=user-${index}`, 'POST');
  const cookie = reply.setCookie.find((line) => line.startsWith('connect.sid='))?.split(';')[0];
  if (reply.status !== 200 || cookie === undefined) {
    throw new Error(`server bench: sign-in failed at ${origin}: ${reply.status} ${reply.body}`);
  }
  return cookie;
}

/** Signs `count` users in, 8 at a time; checks that the first can load the page. */
async function signInMany(origin: string, count: number): Promise<string[]> {
  const cookies: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      cookies[index] = await signIn(origin, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, count) }, worker));
  const check = await send(origin, PAGE, 'GET', cookies[0]);
  if (check.status !== 200 || !check.body.includes('"user-0"')) {
    throw new Error(
      `server bench: a signed-in session cannot load ${PAGE}: ${check.status} ${check.body}`,
    );
  }
  return cookies;
}

// ---------------------------------------------------------------------------------------------
// 1. Requests per second.

interface Sample {
  setup: Setup;
  round: number;
  rps: number;
  p50: number;
  p99: number;
  /** CPU microseconds per answered request: the apps' process, and Redis. */
  appCpu: number;
  redisCpu: number;
}

/** Where the CPU time of a sample is read: the apps' process, and Redis (INFO cpu). */
interface CpuMeters {
  app(): Promise<number>;
  redis(): Promise<number>;
}

/** Redis's own CPU time so far (used_cpu_user + used_cpu_sys), in microseconds. */
async function redisCpu(client: Client): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
  const seconds = field('used_cpu_user') + field('used_cpu_sys');
  if (!Number.isFinite(seconds))
    throw new Error(`server bench: INFO cpu gave no CPU time: ${info}`);
  return seconds * 1e6;
}

let currentCannon: autocannon.Instance | undefined;

/**
 * Loads the page for `seconds` with CONNECTIONS connections; each request carries the next
 * session's cookie, so every session is active all along.
 */
function cannon(origin: string, cookies: string[], seconds: number): Promise<autocannon.Result> {
  let next = 0;
  return new Promise((resolve, reject) => {
    currentCannon = autocannon(
      {
        url: origin,
        connections: CONNECTIONS,
        duration: seconds,
        timeout: 10,
        headers: ACTIVITY_HEADERS,
        requests: [
          {
            method: 'GET',
            path: PAGE,
            setupRequest: (request) => {
              request.headers = { ...request.headers, cookie: cookies[next++ % cookies.length] };
              return request;
            },
          },
        ],
      },
      (error, result) => {
        currentCannon = undefined;
        if (error) reject(error);
        else resolve(result);
      },
    );
  });
}

async function sample(
  setup: Setup,
  round: number,
  origin: string,
  cookies: string[],
  seconds: number,
  meters: CpuMeters,
): Promise<Sample> {
  const [app0, redis0] = [await meters.app(), await meters.redis()];
  const result = await cannon(origin, cookies, seconds);
  const [app1, redis1] = [await meters.app(), await meters.redis()];
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `server bench: ${LABELS[setup]}: ${result.non2xx} non-2xx answers (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors, ${result.timeouts} timeouts: the measurement is void`,
    );
  }
  return {
    setup,
    round,
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    appCpu: (app1 - app0) / result['2xx'],
    redisCpu: (redis1 - redis0) / result['2xx'],
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Pads each column to its widest cell; columns after the first are right-aligned. */
function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `  ${line}`)
    .join('\n');
}

interface Throughput {
  rps: Record<Setup, number>;
  redisRatio: number;
  defaultRatio: number;
  /** Median CPU microseconds per request, app process + Redis, and its ratio to the baseline's. */
  cpu: Record<Setup, number>;
}

async function measureThroughput(
  origins: Record<Setup, string>,
  meters: CpuMeters,
): Promise<Throughput> {
  console.log(
    `\n1. requests per second: GET ${PAGE} (small JSON), ${SESSIONS} signed-in sessions per setup,` +
      `\n   each request the next session's cookie, same-origin (activity), ${CONNECTIONS} connections,` +
      `\n   ${ROUNDS} round(s) of ${DURATION} s per setup, the order rotating each round`,
  );
  const cookies: Partial<Record<Setup, string[]>> = {};
  const started = Date.now();
  for (const setup of SETUPS) cookies[setup] = await signInMany(origins[setup], SESSIONS);
  console.log(
    `   signed in ${SETUPS.length} x ${SESSIONS} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const cookiesOf = (setup: Setup) => cookies[setup] as string[];

  if (WARMUP > 0) {
    const warm: string[] = [];
    for (const setup of SETUPS) {
      const s = await sample(setup, 0, origins[setup], cookiesOf(setup), WARMUP, meters);
      warm.push(`${LABELS[setup]} ${Math.round(s.rps)}`);
    }
    console.log(`   warm-up (${WARMUP} s each, not counted): ${warm.join(', ')} req/s`);
  }

  const samples: Sample[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = SETUPS.map((_, i) => SETUPS[(i + round - 1) % SETUPS.length] as Setup);
    for (const setup of order) {
      const s = await sample(setup, round, origins[setup], cookiesOf(setup), DURATION, meters);
      samples.push(s);
      console.log(
        `   round ${round}/${ROUNDS}  ${LABELS[setup].padEnd(22)} ${Math.round(s.rps).toString().padStart(6)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms` +
          `  CPU/request: app ${s.appCpu.toFixed(0)} us, Redis ${s.redisCpu.toFixed(1)} us`,
      );
    }
  }

  const of = (setup: Setup) => samples.filter((s) => s.setup === setup).map((s) => s.rps);
  const rps = Object.fromEntries(SETUPS.map((setup) => [setup, median(of(setup))])) as Record<
    Setup,
    number
  >;
  const perRound = (setup: Setup) =>
    Array.from(
      { length: ROUNDS },
      (_, i) => (of(setup)[i] as number) / (of('baseline')[i] as number),
    );
  const redisRatio = rps.redis / rps.baseline;
  const defaultRatio = rps.default / rps.baseline;
  const range = (values: number[], digits: number) =>
    `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
  console.log();
  console.log(
    table([
      ['setup', 'median req/s', 'min-max', 'ratio of medians', 'per-round ratio: median (min-max)'],
      ...SETUPS.map((setup) => [
        LABELS[setup],
        Math.round(rps[setup]).toString(),
        range(of(setup), 0),
        setup === 'baseline' ? '1.00' : (rps[setup] / rps.baseline).toFixed(2),
        setup === 'baseline'
          ? ''
          : `${median(perRound(setup)).toFixed(2)} (${range(perRound(setup), 2)})`,
      ]),
    ]),
  );
  console.log(
    `   Redis store / baseline ${redisRatio.toFixed(2)} (goal >= ${RATIO_GOAL}: ${redisRatio >= RATIO_GOAL ? 'met' : 'missed'}); default / baseline ${defaultRatio.toFixed(2)}`,
  );
  // CPU per request: what each setup costs, whatever else the machine was doing meanwhile.
  const cpuOf = (setup: Setup, part: 'appCpu' | 'redisCpu') =>
    median(samples.filter((s) => s.setup === setup).map((s) => s[part]));
  const cpu = Object.fromEntries(
    SETUPS.map((setup) => [setup, cpuOf(setup, 'appCpu') + cpuOf(setup, 'redisCpu')]),
  ) as Record<Setup, number>;
  console.log();
  console.log(
    table([
      [
        'CPU per request (medians)',
        'app process us',
        'Redis us',
        'both us',
        'baseline / this (a req/s ratio if CPU bound)',
      ],
      ...SETUPS.map((setup) => [
        LABELS[setup],
        cpuOf(setup, 'appCpu').toFixed(0),
        cpuOf(setup, 'redisCpu').toFixed(1),
        cpu[setup].toFixed(0),
        (cpu.baseline / cpu[setup]).toFixed(2),
      ]),
    ]),
  );
  console.log(
    '   (the load generator shares the same cores; its CPU per request is the same in every setup and is not counted)',
  );
  const perSession = rps.redis / SESSIONS;
  console.log(
    `   each session got about ${perSession.toFixed(1)} requests a second; session-security records activity at most` +
      `\n   once a second per session, so the default store rewrote each session about ${Math.min(1, perSession).toFixed(1)} time(s) a second` +
      `\n   (a connect-redis SET instead of EXPIRE) and the Redis store updated its hash as often, inside the same EVALSHA`,
  );
  return { rps, redisRatio, defaultRatio, cpu };
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. Redis commands and session rewrites per request, untimed, with a fake clock.

interface Counts {
  requests: number;
  /** Commands this client sent between the marks, by name. */
  commands: Map<string, number>;
  /** connect-redis `set` calls (the wrapper) and the bytes they wrote. */
  sessionWrites: number;
  sessionWriteBytes: number;
}

const MONITOR_LINE = /^\S+ \[\d+ (\S+)\] "([^"]*)"(?: "([^"]*)")?/;

/**
 * Signs COUNT_SESSIONS users in, then makes COUNT_ROUNDS rounds in which each session loads the
 * page once, the fake clock moving 1.1 s between rounds (past the once-a-second write interval).
 * Counts the commands of `client` between two marker commands, as MONITOR saw them.
 */
async function countRequests(
  setup: Setup,
  client: Client,
  address: string,
  seen: string[],
  run: string,
): Promise<Counts> {
  const clock = { ms: Date.now(), now: () => clock.ms };
  let sessionWrites = 0;
  let sessionWriteBytes = 0;
  const app = buildApp(setup, client, {
    prefix: `${run}count-${setup}:`,
    clock,
    onSessionWrite: (bytes) => {
      sessionWrites++;
      sessionWriteBytes += bytes;
    },
  });
  const server = await listen(app);
  try {
    const cookies: string[] = [];
    for (let i = 0; i < COUNT_SESSIONS; i++) cookies.push(await signIn(server.origin, i));
    const startMark = `${run}mark:${setup}:start`;
    const endMark = `${run}mark:${setup}:end`;
    await client.get(startMark);
    sessionWrites = 0;
    sessionWriteBytes = 0;
    let requests = 0;
    for (let round = 0; round < COUNT_ROUNDS; round++) {
      clock.ms += COUNT_STEP_MS;
      for (const cookie of cookies) {
        const reply = await send(server.origin, PAGE, 'GET', cookie);
        if (reply.status !== 200) {
          throw new Error(
            `server bench: ${LABELS[setup]}: ${PAGE} answered ${reply.status} ${reply.body}`,
          );
        }
        requests++;
      }
    }
    const writes = { sessionWrites, sessionWriteBytes };
    await client.get(endMark);
    const deadline = Date.now() + 5000;
    const isMark = (mark: string) => (line: string) => line.includes(`"GET" "${mark}"`);
    while (!seen.some(isMark(endMark))) {
      if (Date.now() > deadline)
        throw new Error('server bench: MONITOR did not show the end mark within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const from = seen.findIndex(isMark(startMark));
    const to = seen.findIndex(isMark(endMark));
    const commands = new Map<string, number>();
    for (const line of seen.slice(from + 1, to)) {
      const match = MONITOR_LINE.exec(line);
      if (!match || match[1] !== address) continue;
      const name = (match[2] ?? '').toUpperCase();
      commands.set(name, (commands.get(name) ?? 0) + 1);
    }
    return { requests, commands, ...writes };
  } finally {
    await server.close();
  }
}

interface CommandReport {
  evalshaPerRequest: number;
  evalshaGoalMet: boolean;
  rewrites: Record<Setup, number>;
  requests: number;
}

async function measureCommands(
  client: Client,
  run: string,
  cleanups: Cleanup[],
): Promise<CommandReport> {
  const requests = COUNT_SESSIONS * COUNT_ROUNDS;
  console.log(
    `\n2. Redis commands per request (untimed, counted with MONITOR on a separate connection): ${COUNT_SESSIONS} sessions` +
      `\n   signed in, then ${COUNT_ROUNDS} rounds in which each loads ${PAGE} once, a fake clock moving 1.1 s between rounds` +
      `\n   (sessionSecurity's clock, the Redis store's now): ${requests} sequential requests per setup`,
  );
  const { addr: address } = await client.clientInfo();
  const monitor = client.duplicate();
  monitor.on('error', (error: Error) => console.error(`server bench: MONITOR: ${error.message}`));
  await monitor.connect();
  cleanups.push({
    what: 'the MONITOR connection',
    run: async () => monitor.isOpen && monitor.destroy(),
  });
  // Only this client's lines are kept: other clients of the same Redis are none of ours.
  const seen: string[] = [];
  await monitor.monitor((line) => {
    const text = String(line);
    if (text.includes(` ${address}] `)) seen.push(text);
  });

  const counts = {} as Record<Setup, Counts>;
  for (const setup of SETUPS)
    counts[setup] = await countRequests(setup, client, address, seen, run);
  monitor.destroy();

  const per = (value: number, of: Counts) => (value / of.requests).toFixed(2);
  const get = (c: Counts, name: string) => c.commands.get(name) ?? 0;
  const library = (c: Counts) =>
    [...c.commands]
      .filter(([name]) => LIBRARY_COMMANDS.has(name))
      .reduce((sum, [, n]) => sum + n, 0);
  const total = (c: Counts) => [...c.commands.values()].reduce((sum, n) => sum + n, 0);
  const others = (c: Counts) =>
    [...c.commands]
      .filter(([name]) => !LIBRARY_COMMANDS.has(name) && !['GET', 'SET', 'EXPIRE'].includes(name))
      .map(([name, n]) => `${name} ${per(n, c)}`)
      .join(', ') || '-';
  console.log();
  console.log(
    table([
      [
        'per request',
        'session-security: EVALSHA',
        'all',
        'connect-redis: GET',
        'SET',
        'EXPIRE',
        'other',
        'round trips',
      ],
      ...SETUPS.map((setup) => {
        const c = counts[setup];
        return [
          LABELS[setup],
          per(get(c, 'EVALSHA'), c),
          per(library(c), c),
          per(get(c, 'GET'), c),
          per(get(c, 'SET'), c),
          per(get(c, 'EXPIRE'), c),
          others(c),
          per(total(c), c),
        ];
      }),
    ]),
  );
  const redis = counts.redis;
  const evalshaPerRequest = get(redis, 'EVALSHA') / redis.requests;
  const evalshaGoalMet = library(redis) === redis.requests;
  const extra = total(redis) / redis.requests - total(counts.baseline) / counts.baseline.requests;
  console.log(
    `   (per request.) Redis store: ${evalshaPerRequest.toFixed(2)} EVALSHA (goal 1: ${evalshaGoalMet ? 'met' : 'missed'}),` +
      ` ${extra.toFixed(2)} round trip(s) more than the baseline; default store: ${per(library(counts.default), counts.default)} of its own,` +
      `\n   its activity rides on connect-redis (a SET of the whole session instead of the EXPIRE of express-session's touch).` +
      `\n   The script's own HMGET/HSET/PEXPIRE run inside Redis, no round trip (not counted).`,
  );

  console.log(
    `\n3. session rewrites (connect-redis set calls after sign-in) over the same ${requests} requests, one per session every 1.1 s:`,
  );
  console.log(
    table([
      ['setup', 'rewrites', 'per request', 'bytes written'],
      ...SETUPS.map((setup) => {
        const c = counts[setup];
        return [
          LABELS[setup],
          String(c.sessionWrites),
          per(c.sessionWrites, c),
          String(c.sessionWriteBytes),
        ];
      }),
    ]),
  );
  for (const setup of SETUPS) {
    const c = counts[setup];
    if (get(c, 'SET') !== c.sessionWrites) {
      console.log(
        `   note: ${LABELS[setup]}: MONITOR saw ${get(c, 'SET')} SET, the set wrapper ${c.sessionWrites}: they should agree`,
      );
    }
  }
  const saved = counts.default.sessionWrites - counts.redis.sessionWrites;
  console.log(
    `   saved by the Redis store: ${saved} of ${counts.default.sessionWrites} rewrites (${counts.default.sessionWriteBytes - counts.redis.sessionWriteBytes} bytes);` +
      ` at most one per active session a second, whatever its request rate`,
  );
  return {
    evalshaPerRequest,
    evalshaGoalMet,
    rewrites: Object.fromEntries(SETUPS.map((s) => [s, counts[s].sessionWrites])) as Record<
      Setup,
      number
    >,
    requests,
  };
}

// ---------------------------------------------------------------------------------------------
// The run: everything it opens is closed, and its keys deleted, whatever happens.

interface Cleanup {
  what: string;
  run: () => Promise<unknown>;
}

async function measure(run: string, cleanups: Cleanup[]): Promise<string> {
  const client = await connectRedis();
  cleanups.push({ what: 'the Redis client', run: () => client.close() });
  cleanups.push({
    what: "the run's Redis keys",
    run: async () => {
      const deleted = await deleteKeys(client, run);
      console.log(`\ncleanup: deleted ${deleted} Redis key(s) under ${run}`);
    },
  });
  const redisVersion = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? '?';
  console.log(
    `server bench: Node ${process.version}, ${availableParallelism()} CPU(s), Redis ${redisVersion} on 127.0.0.1:6379, key prefix ${run}`,
  );
  console.log(
    `setups: ${SETUPS.map((s) => LABELS[s]).join(', ')}; each Express 5 + express-session (resave false,` +
      `\nsaveUninitialized false) + connect-redis (node-redis); session-security with expireAfter ${EXPIRE_AFTER} s, signed in via start(req)`,
  );

  const servers = startServerProcess(run);
  cleanups.push({ what: 'the server process', run: () => servers.stop() });
  const throughput = await measureThroughput(await servers.ready, {
    app: () => servers.cpu(),
    redis: () => redisCpu(client),
  });
  await servers.stop(); // idle from here on: nothing of it should compete with the counts

  const commands = await measureCommands(client, run, cleanups);
  const { redisRatio, defaultRatio, cpu } = throughput;
  return (
    `summary: Redis store ${redisRatio.toFixed(2)}x baseline req/s (goal >= ${RATIO_GOAL}: ${redisRatio >= RATIO_GOAL ? 'met' : 'missed'}),` +
    ` default ${defaultRatio.toFixed(2)}x; CPU per request (app + Redis) baseline/Redis store ${(cpu.baseline / cpu.redis).toFixed(2)},` +
    ` baseline/default ${(cpu.baseline / cpu.default).toFixed(2)}; ${commands.evalshaPerRequest.toFixed(2)} EVALSHA per request (goal 1: ${commands.evalshaGoalMet ? 'met' : 'missed'});` +
    ` ${commands.rewrites.default - commands.rewrites.redis} of ${commands.rewrites.default} session rewrites saved over ${commands.requests} requests`
  );
}

async function main(): Promise<void> {
  const run = `bench-server-${process.pid}-${Date.now()}:`;
  const cleanups: Cleanup[] = [];
  // A run that takes far longer than planned, or is interrupted, stops and cleans up.
  const planned = SETUPS.length * (WARMUP + ROUNDS * DURATION);
  const limitSeconds = Math.ceil(planned + 120 + (SESSIONS * SETUPS.length) / 50);
  let abort: (error: Error) => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    abort = reject;
  });
  let wasAborted = false;
  const stopWith = (error: Error) => {
    wasAborted = true;
    currentCannon?.stop();
    abort(error);
  };
  const watchdog = setTimeout(
    () =>
      stopWith(
        new Error(
          `server bench: stopped after ${limitSeconds} s (planned about ${planned} s of load)`,
        ),
      ),
    limitSeconds * 1000,
  );
  const onSignal = (signal: string) => stopWith(new Error(`server bench: ${signal}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let summary: string | undefined;
  let failure: unknown;
  const work = measure(run, cleanups);
  work.catch(() => {}); // after an abort, its late failure is expected
  try {
    summary = await Promise.race([work, aborted]);
  } catch (error) {
    failure = error;
  }
  clearTimeout(watchdog);
  for (const cleanup of cleanups.reverse()) {
    try {
      await within(cleanup.run(), 15_000, `closing ${cleanup.what}`);
    } catch (error) {
      console.error(`server bench: cleanup of ${cleanup.what} failed: ${(error as Error).message}`);
    }
  }
  agent.destroy();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (failure !== undefined) {
    console.error(failure instanceof Error ? (failure.stack ?? failure.message) : failure);
    console.error('server bench: failed');
    process.exitCode = 1;
    // An aborted measurement may still hold sockets or timers: leave now that all is cleaned up.
    if (wasAborted) process.exit(1);
    return;
  }
  console.log(`\n${summary}`);
}

if (process.argv.includes('--serve')) await serve();
else await main();

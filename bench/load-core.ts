// One load run, shared by `npm run bench` (bench/load.ts) and its small CI version
// (test/integration/load.test.ts): simulated browsers signed in to a real Express app for a
// bounded time, checking that no active session is signed out and that every idle one expires on
// time. Traffic to 127.0.0.1 only; the run stops by itself. Measures and counts, never asserts.
//
// The app (express + express-session + session-security, default store or Redis) runs in a child
// process (this file with --serve-load), so that the load generator does not share its event loop.

import { fork } from 'node:child_process';
import { once, setMaxListeners } from 'node:events';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Request, Response } from 'express';
import { NAVIGATE, SAME_ORIGIN_FETCH } from '../test/support/http.js';
import { sleep } from '../test/support/sleep.js';
import { seeded } from './report.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

/** Where sign-in clocks live: in the session object (express-session's MemoryStore), or Redis. */
export type LoadStore = 'default' | 'redis';

/** Which session-security the app runs: the built package (the bench) or the sources (the tests). */
export type LoadLibrary = 'dist' | 'src';

export interface LoadOptions {
  /** Signed-in sessions (simulated browsers); a tenth of them stay idle. At least 10. */
  sessions: number;
  /** Seconds of load. Long enough for an idle session to expire and be probed after. */
  durationSeconds: number;
  store: LoadStore;
  /** Default 'dist' (run `npm run build` first). */
  library?: LoadLibrary;
  /** Keep-alive sockets shared by every session: the concurrency of the run. Default 100. */
  sockets?: number;
  /** The app's expireAfter in seconds. Default a third of the run, at least 5. */
  expireAfterSeconds?: number;
  /** Milliseconds a request may take before it counts as an error. Default 10 000. */
  requestTimeoutMs?: number;
  /** Seeds the sessions' random timelines, so that two runs send the same schedule. */
  seed?: number;
}

/** What kind of request: each has its own latencies. */
export type RequestKind = 'sign-in' | 'page' | 'post-ping' | 'probe';

export interface Latency {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadResult {
  store: LoadStore;
  library: LoadLibrary;
  sessions: number;
  activeSessions: number;
  idleSessions: number;
  sockets: number;
  durationSeconds: number;
  /** From sign-in of the first session to the answer of the last request. */
  elapsedSeconds: number;
  expireAfterSeconds: number;
  /** As the server reported it in its ping answers (the default rule). */
  warnAfterSeconds: number | undefined;
  /** The mean pause between an active session's requests. */
  browseIntervalMs: number;
  /** Requests answered or failed, of every kind. */
  requests: number;
  requestsByKind: Record<RequestKind, number>;
  /** Unexpected answers (any non-2xx but the expected 401 of a probe after the deadline), network errors, timeouts. */
  errors: number;
  /** 401s for active sessions whose activity the server must have recorded within expireAfter. */
  wrongfulExpiries: number;
  /** Up to 10 descriptions of errors, wrongful expiries and failed probes. */
  failures: string[];
  probes: {
    before: { ok: number; total: number };
    after: { ok: number; total: number };
    /** `expireIn` of the 'before' probes' answers: the server's own view of the deadline. */
    beforeExpireInSeconds: { min: number; max: number } | undefined;
  };
  /** Every request, from the generator's point of view (including waiting for a pooled socket). */
  latency: Latency;
  latencyByKind: Record<RequestKind, Latency>;
  /** How late the generator's timers fired, the worst of the run. */
  maxTimerLagMs: number;
  /** Errors the app logged (session-security's logger, Express's error handler). */
  serverErrors: number;
  /** Redis keys of the run deleted at its end (Redis store only). */
  redisKeysDeleted: number | undefined;
}

const SERVE_FLAG = '--serve-load';
const REDIS_URL = 'redis://127.0.0.1:6379';
const SECRET = 'load bench secret';
/** A tenth of the sessions sign in and then make no request. */
const IDLE_EVERY = 10;
/** One activity step in four is a POST ping (reported input) rather than a page load. */
const PING_SHARE = 0.25;
/** The probes' distance from the idle deadline, as the issue states it. */
const PROBE_OFFSET_MS = 1000;
/** The server records activity at most once a second (policy.ts MIN_WRITE_INTERVAL_MS). */
const WRITE_INTERVAL_MS = 1000;

/** The headers session-security's client sends with a ping (transport.ts), over a same-origin fetch. */
const PING_HEADERS = {
  ...SAME_ORIGIN_FETCH,
  'content-type': 'application/json',
  'x-session-security': 'passive',
};

// ---------------------------------------------------------------------------------------------
// The app, in the child process.

interface ServerConfig {
  store: LoadStore;
  library: LoadLibrary;
  expireAfterSeconds: number;
  /** The start of every Redis key of the run. */
  prefix: string;
  /** How long the server keeps an idle keep-alive socket: longer than the run. */
  keepAliveMs: number;
}

type ServerMessage =
  | { kind: 'ready'; origin: string }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped'; errors: number; errorSamples: string[]; redisKeysDeleted?: number };

async function loadLibrary(library: LoadLibrary) {
  const file = (path: string) =>
    new URL(library === 'dist' ? `../dist/${path}.js` : `../src/${path}.ts`, import.meta.url);
  try {
    const express = (await import(
      file('server/express').href
    )) as typeof import('session-security/express');
    const redis = (await import(
      file('stores/redis').href
    )) as typeof import('session-security/redis');
    return { sessionSecurity: express.sessionSecurity, redisStore: redis.redisStore };
  } catch (error) {
    const hint = library === 'dist' ? ': run `npm run build` first' : '';
    throw new Error(
      `load: cannot load session-security from ${fileURLToPath(file('server/express'))}${hint} (${(error as Error).message})`,
    );
  }
}

async function serve(): Promise<void> {
  const config = JSON.parse(process.env.LOAD_SERVER_CONFIG ?? 'null') as ServerConfig | null;
  if (!config) throw new Error(`load: ${SERVE_FLAG} needs LOAD_SERVER_CONFIG`);
  const { default: express } = await import('express');
  const { default: session } = await import('express-session');
  const { sessionSecurity, redisStore } = await loadLibrary(config.library);

  const errors: string[] = [];
  const logger = {
    warn: () => {},
    error: (message: string, error?: unknown) => {
      errors.push(`${message}${error === undefined ? '' : ` ${error}`}`);
    },
  };
  /** Deletes the run's keys and closes the client; how many keys. */
  let closeRedis = async (): Promise<number | undefined> => undefined;
  let sessions: import('express-session').Store = new session.MemoryStore();
  let activityStore: ReturnType<typeof redisStore> | undefined;
  if (config.store === 'redis') {
    const { createClient } = await import('redis');
    const { RedisStore } = await import('connect-redis');
    const client = createClient({
      url: REDIS_URL,
      socket: { connectTimeout: 5000, reconnectStrategy: false },
    });
    client.on('error', (error: Error) => logger.error('Redis client:', error.message));
    await client.connect();
    // The README setup: a second connection, so that the store answers from its copies.
    const subscriber = client.duplicate();
    subscriber.on('error', (error: Error) => logger.error('Redis subscriber:', error.message));
    await subscriber.connect();
    closeRedis = async () => {
      try {
        return await deleteKeys(client, config.prefix);
      } finally {
        subscriber.destroy();
        await client.close().catch(() => client.destroy());
      }
    };
    sessions = new RedisStore({ client, prefix: `${config.prefix}sess:` });
    activityStore = redisStore({
      client,
      subscriber,
      prefix: `${config.prefix}clock:`,
      logger,
    });
  }

  const app = express();
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, store: sessions }));
  const security = sessionSecurity({
    drafts: false,
    expireAfter: config.expireAfterSeconds,
    isAuthenticated: (req) => typeof req.session.user === 'string',
    logger,
    ...(activityStore ? { store: activityStore } : {}),
  });
  app.use(security);
  app.post('/sign-in', (req, res, next) => {
    req.session.regenerate((error: unknown) => {
      if (error) return next(error);
      req.session.user = String(req.query.user ?? 'user');
      security.start(req).then(() => res.json({ signedIn: true }), next);
    });
  });
  app.get('/page', (req, res) => {
    res.set('cache-control', 'no-store');
    // The app's own check: a session that session-security ended arrives here anonymous.
    if (typeof req.session.user !== 'string') {
      res.status(401).type('html').send('<!doctype html><title>Signed out</title><p>Signed out');
      return;
    }
    res.type('html').send('<!doctype html><title>Account</title><p>Signed in');
  });
  app.use((error: unknown, _req: Request, res: Response, _next: () => void) => {
    logger.error('Express error handler:', error);
    res.status(500).json({ error: 'internal error' });
  });

  const server = createServer(app);
  // Longer than the run: a keep-alive socket the server closed as the client reused it would
  // fail a request that no browser behind a well-configured proxy would see fail.
  server.keepAliveTimeout = config.keepAliveMs;
  server.headersTimeout = config.keepAliveMs + 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  process.on('message', (message: { kind?: string }) => {
    if (message?.kind === 'stop') stop();
  });
  // The parent went away or was interrupted: stop, and delete the keys, all the same.
  process.once('disconnect', stop);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.send?.({ kind: 'ready', origin: `http://127.0.0.1:${port}` } satisfies ServerMessage);
  await stopped;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const redisKeysDeleted = await closeRedis();
  if (process.connected) {
    const report: ServerMessage = {
      kind: 'stopped',
      errors: errors.length,
      errorSamples: errors.slice(0, 5),
      ...(redisKeysDeleted !== undefined ? { redisKeysDeleted } : {}),
    };
    await new Promise<void>((resolve) => process.send?.(report, () => resolve()));
    process.disconnect();
  }
}

/** Starts the app's process; `stop()` ends it (and kills it if it does not end within 15 s). */
async function startServer(config: ServerConfig) {
  // The child is this TypeScript file: run it through tsx, whatever runs this process (tsx for
  // the bench, Vitest for the test).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = fork(fileURLToPath(import.meta.url), [SERVE_FLAG], {
    execArgv: ['--import', tsx],
    env: { ...process.env, LOAD_SERVER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let report: Extract<ServerMessage, { kind: 'stopped' }> | undefined;
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('load: the app process was not ready within 30 s')),
      30_000,
    );
    child.on('message', (message: ServerMessage) => {
      if (message.kind === 'stopped') {
        report = message;
        return;
      }
      clearTimeout(timer);
      if (message.kind === 'ready') resolve(message.origin);
      else reject(new Error(`load: the app process failed: ${message.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`load: the app process exited (${signal ?? code})`));
    });
  });
  ready.catch(() => {}); // whoever awaits it sees the rejection
  return {
    ready,
    /** Stops the app; its report of logged errors, unless it had to be killed. */
    async stop(): Promise<typeof report> {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.send({ kind: 'stop' });
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      return report;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The load generator, in this process.

interface Reply {
  status: number;
  json: Record<string, unknown> | undefined;
  setCookie: string[];
  /** Wall-clock times (Date.now(), the clock the server's process reads too). */
  sentAt: number;
  answeredAt: number;
}

function latencyOf(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    count: sorted.length,
    p50Ms: at(0.5) ?? Number.NaN,
    p99Ms: at(0.99) ?? Number.NaN,
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * Runs the load: starts the app, signs the sessions in over the first part of the run, lets them
 * browse (or stay idle) until the end, stops the app and deletes the run's Redis keys.
 *
 * @throws Error for a setup that cannot be measured (the app does not start, Redis is down, the
 *   run is too short for an idle session to expire), or when the run overruns its limit
 * @example
 * ```ts
 * const result = await runLoad({ sessions: 100, durationSeconds: 10, store: 'default' });
 * result.errors; // 0
 * ```
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { sessions, durationSeconds, store } = options;
  const library = options.library ?? 'dist';
  const sockets = options.sockets ?? 100;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const expireAfterSeconds =
    options.expireAfterSeconds ?? Math.max(5, Math.round(durationSeconds / 3));
  const expireAfterMs = expireAfterSeconds * 1000;
  const durationMs = durationSeconds * 1000;
  // Every few seconds, and often enough that the server's record of an active session's activity
  // stays far younger than expireAfter (see `floor` below): at most 1.8 intervals + 1 s old.
  const browseIntervalMs = Math.min(3000, expireAfterMs / 5);
  // Sign-ins spread over the start of the run, so that the idle deadlines (and probes) spread too.
  const signInWindowMs = Math.min(expireAfterMs / 2, durationMs / 4);
  if (!Number.isInteger(sessions) || sessions < IDLE_EVERY || sessions > 10_000) {
    throw new Error(`load: sessions (${sessions}) must be an integer from ${IDLE_EVERY} to 10000`);
  }
  if (signInWindowMs + expireAfterMs + 2 * PROBE_OFFSET_MS > durationMs) {
    throw new Error(
      `load: durationSeconds (${durationSeconds}) is too short for expireAfter ${expireAfterSeconds} s: an idle session signed in at ${signInWindowMs / 1000} s must be probed after its deadline within the run`,
    );
  }

  const prefix = `bench-load-${process.pid}-${Date.now()}:`;
  // The run's own limit: far more than it needs; then it is stopped, and cleaned up all the same.
  const limitMs = durationMs + 2 * requestTimeoutMs + 30_000;
  const app = await startServer({
    store,
    library,
    expireAfterSeconds,
    prefix,
    keepAliveMs: limitMs + 60_000,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // every waiting session listens to it
  const watchdog = setTimeout(() => abort.abort(), limitMs);
  let generated: Generated | undefined;
  let failure: unknown;
  try {
    generated = await generate({
      origin: await app.ready,
      agent,
      signal: abort.signal,
      sessions,
      durationMs,
      expireAfterMs,
      browseIntervalMs,
      signInWindowMs,
      requestTimeoutMs,
      seed: options.seed ?? 1,
    });
    if (abort.signal.aborted) {
      throw new Error(`load: the run did not end within ${limitMs / 1000} s and was stopped`);
    }
  } catch (error) {
    failure = error;
  }
  clearTimeout(watchdog);
  agent.destroy();
  const report = await app.stop();
  let redisKeysDeleted = report?.redisKeysDeleted;
  // The app deletes its keys as it stops; if it could not (it was killed), this process does.
  if (store === 'redis' && redisKeysDeleted === undefined) {
    try {
      redisKeysDeleted = await withRedis((client) => deleteKeys(client, prefix));
    } catch (error) {
      console.error(`load: could not delete the Redis keys under ${prefix}: ${error}`);
    }
  }
  if (failure !== undefined) throw failure;
  if (!generated) throw new Error('load: the run gave no result');
  if (!report) throw new Error('load: the app process did not report its errors (it was killed)');
  return {
    store,
    library,
    sessions,
    activeSessions: sessions - generated.idleSessions,
    sockets,
    durationSeconds,
    expireAfterSeconds,
    browseIntervalMs,
    ...generated,
    failures: [...generated.failures, ...report.errorSamples.map((e) => `app logged: ${e}`)],
    serverErrors: report.errors,
    redisKeysDeleted,
  };
}

type RedisClient = ReturnType<typeof import('redis').createClient>;

/** Runs `work` with a Redis client of its own, closed afterwards. */
async function withRedis<T>(work: (client: RedisClient) => Promise<T>): Promise<T> {
  const { createClient } = await import('redis');
  const client = createClient({
    url: REDIS_URL,
    socket: { connectTimeout: 5000, reconnectStrategy: false },
  });
  client.on('error', () => {}); // the failing command says it
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.close().catch(() => client.destroy());
  }
}

/** Deletes every key under `prefix` (SCAN + DEL); returns how many. */
async function deleteKeys(client: RedisClient, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) deleted += await client.del(keys);
  }
  return deleted;
}

interface GenerateOptions {
  origin: string;
  agent: Agent;
  /** Aborted by the run's limit: every session stops at its next step. */
  signal: AbortSignal;
  sessions: number;
  durationMs: number;
  expireAfterMs: number;
  browseIntervalMs: number;
  signInWindowMs: number;
  requestTimeoutMs: number;
  seed: number;
}

type Generated = Pick<
  LoadResult,
  | 'idleSessions'
  | 'elapsedSeconds'
  | 'warnAfterSeconds'
  | 'requests'
  | 'requestsByKind'
  | 'errors'
  | 'wrongfulExpiries'
  | 'failures'
  | 'probes'
  | 'latency'
  | 'latencyByKind'
  | 'maxTimerLagMs'
>;

const KINDS: readonly RequestKind[] = ['sign-in', 'page', 'post-ping', 'probe'];

/**
 * The simulated browsers. Session i signs in at i/N of the sign-in window; one in ten then stays
 * idle and is probed around its deadline, the others browse until the end of the run, each one
 * request at a time (as a user does), all of them over the agent's pooled keep-alive sockets.
 */
async function generate(o: GenerateOptions): Promise<Generated> {
  const latencies = Object.fromEntries(KINDS.map((kind) => [kind, [] as number[]])) as Record<
    RequestKind,
    number[]
  >;
  const requestsByKind = Object.fromEntries(KINDS.map((kind) => [kind, 0])) as Record<
    RequestKind,
    number
  >;
  let errors = 0;
  let wrongfulExpiries = 0;
  let maxTimerLagMs = 0;
  let warnAfterSeconds: number | undefined;
  const failures: string[] = [];
  const expireIns: number[] = [];
  const idleSessions = Math.ceil(o.sessions / IDLE_EVERY);
  const probes = {
    before: { ok: 0, total: idleSessions },
    after: { ok: 0, total: idleSessions },
  };
  const fail = (what: string) => {
    if (failures.length < 10) failures.push(what);
  };
  const error = (what: string) => {
    errors++;
    fail(what);
  };

  /** One request; rejects on a network error or after requestTimeoutMs. */
  function call(
    kind: RequestKind,
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    cookie?: string,
    body?: string,
  ): Promise<Reply> {
    requestsByKind[kind]++;
    return new Promise((resolve, reject) => {
      const sentAt = Date.now();
      const started = performance.now();
      const request = httpRequest(
        new URL(path, o.origin),
        {
          method,
          agent: o.agent,
          headers: {
            ...headers,
            ...(cookie !== undefined ? { cookie } : {}),
            ...(method === 'POST'
              ? { 'content-length': String(Buffer.byteLength(body ?? '')) }
              : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', failed);
          response.on('end', () => {
            clearTimeout(timer);
            latencies[kind].push(performance.now() - started);
            const text = Buffer.concat(chunks).toString('utf8');
            let json: Record<string, unknown> | undefined;
            try {
              json = JSON.parse(text) as Record<string, unknown>;
            } catch {
              json = undefined;
            }
            const setCookie = response.headers['set-cookie'] ?? [];
            resolve({
              status: response.statusCode ?? 0,
              json,
              setCookie,
              sentAt,
              answeredAt: Date.now(),
            });
          });
        },
      );
      const timer = setTimeout(
        () => request.destroy(new Error(`no answer within ${o.requestTimeoutMs} ms`)),
        o.requestTimeoutMs,
      );
      function failed(reason: Error) {
        clearTimeout(timer);
        reject(reason);
      }
      request.on('error', failed);
      request.end(body);
    });
  }

  /** Waits until `at` (wall clock); then notes how late the timer fired. */
  async function waitUntil(at: number): Promise<void> {
    await sleep(at - Date.now(), o.signal);
    maxTimerLagMs = Math.max(maxTimerLagMs, Math.round(Date.now() - at));
  }

  const startAt = Date.now() + 100;
  const endAt = startAt + o.durationMs;

  async function signIn(index: number): Promise<{ cookie: string; reply: Reply } | undefined> {
    await waitUntil(startAt + (index / o.sessions) * o.signInWindowMs);
    if (o.signal.aborted) return undefined;
    let reply: Reply;
    try {
      reply = await call('sign-in', 'POST', `/sign-in?user=user-${index}`, SAME_ORIGIN_FETCH);
    } catch (reason) {
      error(`session ${index}: sign-in failed: ${(reason as Error).message}`);
      return undefined;
    }
    const cookie = reply.setCookie
      .map((line) => line.split(';')[0] ?? '')
      .find((pair) => pair.startsWith('connect.sid='));
    if (reply.status !== 200 || cookie === undefined) {
      error(
        `session ${index}: sign-in answered ${reply.status}${cookie ? '' : ' without a session cookie'}`,
      );
      return undefined;
    }
    return { cookie, reply };
  }

  /** A browser in use: a page load every few seconds, now and then a ping reporting input. */
  async function browse(index: number): Promise<void> {
    const signedIn = await signIn(index);
    if (!signedIn) return;
    const { cookie } = signedIn;
    const next = seeded(o.seed * 100_003 + index);
    // The latest activity the server must have recorded, at the earliest: it reads its clock
    // after a request was sent, and a ping reports input sinceActivity seconds before that.
    let floor = signedIn.reply.sentAt;
    let last = signedIn.reply.answeredAt;
    while (!o.signal.aborted) {
      const plannedAt = last + o.browseIntervalMs * (0.7 + 0.6 * next());
      if (plannedAt >= endAt) return;
      await waitUntil(plannedAt);
      if (o.signal.aborted) return;
      const isPing = next() < PING_SHARE;
      const sinceActivity = isPing ? Math.round((next() * o.browseIntervalMs) / 200) / 10 : 0;
      const kind: RequestKind = isPing ? 'post-ping' : 'page';
      let reply: Reply;
      try {
        reply = isPing
          ? await call(
              'post-ping',
              'POST',
              '/session-security/ping',
              PING_HEADERS,
              cookie,
              JSON.stringify({ sinceActivity }),
            )
          : await call('page', 'GET', '/page', NAVIGATE, cookie);
      } catch (reason) {
        error(`session ${index}: ${kind} failed: ${(reason as Error).message}`);
        last = Date.now();
        continue;
      }
      last = reply.answeredAt;
      if (reply.status === 200 && (!isPing || reply.json?.status === 'active')) {
        floor = Math.max(floor, reply.sentAt - sinceActivity * 1000);
        continue;
      }
      if (reply.status === 401) {
        // The server records activity at most once a second, so its lastActivity is at least
        // floor - 1 s; this request reached it by answeredAt. Expired before floor - 1 s +
        // expireAfter is wrongful; later means this generator fell behind its own schedule.
        const idleMs = reply.answeredAt - (floor - WRITE_INTERVAL_MS);
        if (idleMs < o.expireAfterMs) {
          wrongfulExpiries++;
          fail(
            `session ${index}: ${kind} answered 401 ${JSON.stringify(reply.json)} with activity recorded at most ${idleMs} ms before (expireAfter ${o.expireAfterMs} ms)`,
          );
        } else {
          error(
            `session ${index}: ${kind} answered 401 after ${idleMs} ms without activity: the load generator fell behind its schedule`,
          );
        }
        return; // signed out: this browser is done
      }
      error(`session ${index}: ${kind} answered ${reply.status} ${JSON.stringify(reply.json)}`);
    }
  }

  /**
   * A browser left alone after signing in, probed with the GET ping, which never records
   * activity (protocol: only a POST ping reports input), 1 s either side of its deadline.
   */
  async function stayIdle(index: number): Promise<void> {
    const signedIn = await signIn(index);
    if (!signedIn) return;
    const { cookie, reply: started } = signedIn;
    // The server read its clock for the sign-in between sentAt and answeredAt. Before: 1 s
    // before the earliest possible deadline (a margin of the sign-in's round trip on top of the
    // issue's 1 s); after: 1 s after the latest possible one.
    const probe = async (when: 'before' | 'after', at: number) => {
      await waitUntil(at);
      if (o.signal.aborted) return;
      const lateMs = Date.now() - at;
      const deadline =
        when === 'before' ? started.sentAt + o.expireAfterMs : started.answeredAt + o.expireAfterMs;
      let reply: Reply;
      try {
        reply = await call('probe', 'GET', '/session-security/ping', PING_HEADERS, cookie);
      } catch (reason) {
        error(`session ${index}: probe ${when} the deadline failed: ${(reason as Error).message}`);
        return;
      }
      const status = reply.json?.status;
      const right =
        when === 'before'
          ? reply.status === 200 && status === 'active'
          : reply.status === 401 && status === 'expired' && reply.json?.reason === 'idle';
      if (right) {
        probes[when].ok++;
        if (when === 'before') {
          if (typeof reply.json?.expireIn === 'number') expireIns.push(reply.json.expireIn);
          if (typeof reply.json?.warnAfter === 'number') warnAfterSeconds = reply.json.warnAfter;
        }
        return;
      }
      const detail = `session ${index}: probe ${when} the deadline (sent ${reply.sentAt - deadline} ms from it, ${lateMs} ms late, answered in ${reply.answeredAt - reply.sentAt} ms) answered ${reply.status} ${JSON.stringify(reply.json)}`;
      if (reply.status === 200 || reply.status === 401) fail(detail);
      else error(detail);
    };
    await probe('before', started.sentAt + o.expireAfterMs - PROBE_OFFSET_MS);
    await probe('after', started.answeredAt + o.expireAfterMs + PROBE_OFFSET_MS);
  }

  await Promise.all(
    Array.from({ length: o.sessions }, (_, index) =>
      index % IDLE_EVERY === 0 ? stayIdle(index) : browse(index),
    ),
  );
  const all = KINDS.flatMap((kind) => latencies[kind]);
  return {
    idleSessions,
    elapsedSeconds: (Date.now() - startAt) / 1000,
    warnAfterSeconds,
    requests: KINDS.reduce((sum, kind) => sum + requestsByKind[kind], 0),
    requestsByKind,
    errors,
    wrongfulExpiries,
    failures,
    probes: {
      ...probes,
      beforeExpireInSeconds:
        expireIns.length > 0
          ? { min: Math.min(...expireIns), max: Math.max(...expireIns) }
          : undefined,
    },
    latency: latencyOf(all),
    latencyByKind: Object.fromEntries(
      KINDS.map((kind) => [kind, latencyOf(latencies[kind])]),
    ) as Record<RequestKind, Latency>,
    maxTimerLagMs,
  };
}

if (process.argv.includes(SERVE_FLAG)) {
  try {
    await serve();
  } catch (error) {
    const message = String((error as Error)?.stack ?? error);
    const failed: ServerMessage = { kind: 'failed', message };
    // Exits at once: a Redis client or a listening server would keep the process alive.
    if (process.connected) process.send?.(failed, () => process.exit(1));
    else process.exit(1);
  }
}

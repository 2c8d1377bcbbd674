// The apps the server bench loads: one small app per framework, with its real session plugin,
// built with or without session-security (the BUILT package, dist/). Every app has the same
// routes and answers; only the framework, where it keeps sessions and session-security differ.
// Must not: measure anything (bench/server-load.ts does), or write Redis keys outside `prefix`.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { serve as serveHono } from '@hono/node-server';
import { RedisStore } from 'connect-redis';
import express from 'express';
import expressSession from 'express-session';
import Fastify, { type FastifyRequest } from 'fastify';
import { Hono, type Context as HonoContext } from 'hono';
import {
  MemoryStore as HonoMemoryStore,
  type Session as HonoSession,
  sessionMiddleware,
} from 'hono-sessions';
import Koa, { type Context as KoaContext } from 'koa';
import koaSession from 'koa-session';
import type { createClient } from 'redis';
import type { Clock, Logger } from 'session-security';
import { HonoRedisSessionStore, KoaRedisSessionStore } from './redis-session-stores.js';

export type Framework = 'express' | 'fastify' | 'koa' | 'hono';
export const FRAMEWORKS: readonly Framework[] = ['express', 'fastify', 'koa', 'hono'];

/** One app: its framework, where the framework keeps sessions, and session-security (or none). */
export interface AppSpec {
  framework: Framework;
  /**
   * Where the framework's session plugin keeps sessions: its in-memory store, or Redis
   * (connect-redis for express-session and @fastify/session; the bench's own small stores for
   * koa-session and hono-sessions, bench/redis-session-stores.ts, as none installed fits).
   */
  sessions: 'memory' | 'redis';
  /**
   * No session-security; session-security with its default store (the session object); or with
   * its Redis store. The parts of its price: `noop`, an async middleware (a Fastify onRequest
   * hook) that only goes on, where session-security would be (what any middleware costs);
   * Express only, `guard`: the session store wrapped in guardSessionStore and nothing else.
   */
  security: 'none' | 'default' | 'redis' | 'noop' | 'guard';
  /** express-session `rolling: true` (Express only): the session saved on every request. */
  rolling?: boolean;
}

/** Whether the app runs session-security's middleware (with either of its stores). */
export const runsSessionSecurity = (spec: AppSpec): boolean =>
  spec.security === 'default' || spec.security === 'redis';

/** Whether the app loads the library: for session-security, or for its store guard alone. */
const loadsLibrary = (spec: AppSpec): boolean =>
  spec.security !== 'none' && spec.security !== 'noop';

/** The name of an app as the bench prints it and its Redis keys start. */
export const appName = (spec: AppSpec): string =>
  `${spec.framework}-${spec.sessions}-${spec.security}${spec.rolling ? '-rolling' : ''}`;

/**
 * Which frameworks the bench can keep sessions in Redis for: connect-redis for Express and
 * Fastify, bench/redis-session-stores.ts for Koa and Hono. startApp refuses sessions in Redis for
 * a framework without one, so that no Redis row quietly compares against sessions in memory.
 */
export const REDIS_SESSIONS: Record<Framework, boolean> = {
  express: true,
  fastify: true,
  koa: true,
  hono: true,
};

/** The page every app serves to a signed-in user: small JSON, the same in every app. */
export const PAGE = '/api/account';
/** A trivial authenticated JSON POST route of the app (reads the JSON body, answers {ok:true}). */
export const ECHO = '/api/echo';
export const PING = '/session-security/ping';
/** The session-security options every app with it shares, beyond its store. */
export const EXPIRE_AFTER_SECONDS = 900;
const SESSION_SECRET = 'server bench session secret, at least 32 characters';
const DRAFT_SECRET = 'server bench draft secret, at least 32 characters';

type RedisClient = ReturnType<typeof createClient>;

/** What building an app may add to the spec: in-process only (the MONITOR counts). */
export interface BuildOptions {
  /** The start of every Redis key this app writes. */
  prefix: string;
  /** A connected node-redis client, when the spec needs Redis. */
  client?: RedisClient;
  /**
   * A second connection (`client.duplicate()`, connected) for session-security's Redis store:
   * its copies of records (the README setup). Without it the store runs a script per request.
   */
  subscriber?: RedisClient;
  /** session-security's clock (and the Redis store's `now`); the real one otherwise. */
  clock?: Clock;
  /** Called with the size of each session the framework's Redis session store writes (Express). */
  onSessionWrite?: (bytes: number) => void;
}

export interface RunningApp {
  spec: AppSpec;
  origin: string;
  close(): Promise<void>;
}

// The built package (`npm run build`, which `npm run bench` runs first), as users run it: the
// TypeScript sources through tsx would carry the transform's own per-function costs.
async function built<T>(path: string): Promise<T> {
  const url = new URL(`../dist/${path}`, import.meta.url);
  try {
    return (await import(url.href)) as T;
  } catch (error) {
    throw new Error(
      `server bench: cannot load ${fileURLToPath(url)}: run \`npm run build\` first (${(error as Error).message})`,
    );
  }
}
const library = {
  express: () => built<typeof import('session-security/express')>('server/express.js'),
  fastify: () => built<typeof import('session-security/fastify')>('server/fastify.js'),
  koa: () => built<typeof import('session-security/koa')>('server/koa.js'),
  hono: () => built<typeof import('session-security/hono')>('server/hono.js'),
  redis: () => built<typeof import('session-security/redis')>('stores/redis.js'),
};

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}
declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

/** Warnings and errors of session-security, on stderr with the app's name. */
function loggerFor(spec: AppSpec): Logger {
  const name = appName(spec);
  return {
    warn: (message) => console.error(`[${name}] ${message}`),
    error: (message, error) => console.error(`[${name}] ${message}`, error ?? ''),
  };
}

/** session-security's options for an app, as the README's quick start has them. */
async function securityOptions<Req>(
  spec: AppSpec,
  options: BuildOptions,
  user: (req: Req) => string | undefined,
) {
  const logger = loggerFor(spec);
  const { clock } = options;
  let store: import('session-security').ActivityStore | undefined;
  if (spec.security === 'redis') {
    if (!options.client) throw new Error(`server bench: ${appName(spec)} needs a Redis client`);
    const { redisStore } = await library.redis();
    store = redisStore({
      client: options.client,
      prefix: `${options.prefix}clock:`,
      logger,
      ...(options.subscriber ? { subscriber: options.subscriber } : {}),
      ...(clock ? { now: () => clock.now() } : {}),
    });
  }
  return {
    expireAfter: EXPIRE_AFTER_SECONDS,
    isAuthenticated: (req: Req) => typeof user(req) === 'string',
    userId: (req: Req) => user(req) ?? '',
    draftSecret: DRAFT_SECRET,
    logger,
    ...(clock ? { clock } : {}),
    ...(store ? { store } : {}),
  };
}

/** What the page answers a signed-in user. */
const pageBody = (user: string) => ({ user, plan: 'standard', unread: 3, locale: 'en' });
const NOT_SIGNED_IN = { error: 'not signed in' };

/** Builds the app and listens on 127.0.0.1 (a port the OS picks). */
export async function startApp(spec: AppSpec, options: BuildOptions): Promise<RunningApp> {
  if (spec.rolling && spec.framework !== 'express') {
    throw new Error(`server bench: rolling is an express-session option (${appName(spec)})`);
  }
  if (spec.sessions === 'redis' && !REDIS_SESSIONS[spec.framework]) {
    throw new Error(`server bench: no Redis session store is installed for ${spec.framework}`);
  }
  const start = { express: startExpress, fastify: startFastify, koa: startKoa, hono: startHono };
  const { origin, close } = await start[spec.framework](spec, options);
  return { spec, origin, close };
}

type Listening = Omit<RunningApp, 'spec'>;

async function listenNode(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The client of an app whose sessions are in Redis, and where its session keys start. */
function sessionRedis(options: BuildOptions, spec: AppSpec) {
  if (!options.client) throw new Error(`server bench: ${appName(spec)} needs a Redis client`);
  return { client: options.client, prefix: `${options.prefix}sess:` };
}

/** connect-redis for express-session and @fastify/session, counting writes when asked. */
function redisSessions(options: BuildOptions, spec: AppSpec): RedisStore {
  const store = new RedisStore(sessionRedis(options, spec));
  const { onSessionWrite } = options;
  if (onSessionWrite) {
    const set = store.set.bind(store);
    store.set = (sid, data, callback) => {
      onSessionWrite(Buffer.byteLength(JSON.stringify(data)));
      return set(sid, data, callback);
    };
  }
  return store;
}

// ---------------------------------------------------------------------------------------------
// Express 5 + express-session (resave false, saveUninitialized false).

async function startExpress(spec: AppSpec, options: BuildOptions): Promise<Listening> {
  const lib = loadsLibrary(spec) ? await library.express() : undefined;
  const raw =
    spec.sessions === 'redis' ? redisSessions(options, spec) : new expressSession.MemoryStore();
  const secured = lib !== undefined && runsSessionSecurity(spec);
  const app = express();
  app.use(
    expressSession({
      secret: SESSION_SECRET,
      resave: false,
      saveUninitialized: false,
      rolling: spec.rolling === true,
      // As the README tells Express apps: a store failure is a quick 503.
      store: lib ? lib.guardSessionStore(raw, { timeout: 1000, logger: loggerFor(spec) }) : raw,
    }),
  );
  const security = secured
    ? lib.sessionSecurity(
        await securityOptions<express.Request>(spec, options, (req) => req.session.user),
      )
    : undefined;
  if (security) app.use(security);
  if (spec.security === 'noop') {
    app.use(async function noop(_req, _res, next) {
      next();
    });
  }
  app.post('/sign-in', (req, res, next) => {
    req.session.regenerate((error: unknown) => {
      if (error) return next(error);
      req.session.user = String(req.query.user ?? 'ada');
      const started = security ? security.start(req) : Promise.resolve();
      started.then(() => res.json({ user: req.session.user }), next);
    });
  });
  app.get(PAGE, (req, res) => {
    if (typeof req.session.user !== 'string') res.status(401).json(NOT_SIGNED_IN);
    else res.json(pageBody(req.session.user));
  });
  app.post(ECHO, express.json(), (req, res) => {
    if (typeof req.session.user !== 'string') res.status(401).json(NOT_SIGNED_IN);
    else res.json({ ok: true });
  });
  if (secured) app.use(lib.storeUnavailableHandler());
  return listenNode(createServer(app));
}

// ---------------------------------------------------------------------------------------------
// Fastify 5 + @fastify/cookie + @fastify/session (saveUninitialized false).

async function startFastify(spec: AppSpec, options: BuildOptions): Promise<Listening> {
  const lib = loadsLibrary(spec) ? await library.fastify() : undefined;
  const raw =
    spec.sessions === 'redis' ? redisSessions(options, spec) : new fastifySession.MemoryStore();
  const app = Fastify({ logger: false });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: SESSION_SECRET,
    saveUninitialized: false,
    cookie: { secure: false },
    store: (lib
      ? lib.guardSessionStore(raw as fastifySession.SessionStore, {
          timeout: 1000,
          logger: loggerFor(spec),
        })
      : raw) as fastifySession.SessionStore,
  });
  const security = lib
    ? lib.sessionSecurity(
        await securityOptions<FastifyRequest>(spec, options, (request) => request.session.user),
      )
    : undefined;
  if (security) await app.register(security);
  if (spec.security === 'noop') app.addHook('onRequest', async function noop() {});
  app.post('/sign-in', async (request) => {
    await request.session.regenerate();
    const user = (request.query as Record<string, unknown>).user;
    request.session.set('user', typeof user === 'string' ? user : 'ada');
    if (security) await security.start(request);
    return { user: request.session.user };
  });
  app.get(PAGE, async (request, reply) => {
    const { user } = request.session;
    return user === undefined ? reply.code(401).send(NOT_SIGNED_IN) : pageBody(user);
  });
  // Fastify parses the JSON body itself.
  app.post(ECHO, async (request, reply) =>
    request.session.user === undefined ? reply.code(401).send(NOT_SIGNED_IN) : { ok: true },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Koa 3 + koa-session 7 with an external store (the session on the server, its key in the
// cookie): in memory, as examples/koa/app.ts (koa-session has no built-in server-side store), or
// in Redis (bench/redis-session-stores.ts).

/** koa-session's external store in memory; each session kept as JSON, as a real store keeps it. */
class KoaMemoryStore {
  readonly sessions = new Map<string, string>();
  async get(key: string): Promise<unknown> {
    const json = this.sessions.get(key);
    return json === undefined ? undefined : JSON.parse(json);
  }
  async set(key: string, data: unknown): Promise<void> {
    this.sessions.set(key, JSON.stringify(data));
  }
  async destroy(key: string): Promise<void> {
    this.sessions.delete(key);
  }
}

interface KoaAppSession {
  [key: string]: unknown;
  user?: string;
  toJSON(): Record<string, unknown>;
  regenerate(): Promise<void>;
}
const koaSessionOf = (ctx: KoaContext) =>
  (ctx as unknown as { session: KoaAppSession | null }).session;
const koaUser = (ctx: KoaContext) => {
  const user = koaSessionOf(ctx)?.user;
  return typeof user === 'string' ? user : undefined;
};

/** Reads a JSON body from the stream's events, as a body parser (raw-body, koa-bodyparser) does. */
function koaJsonBody(ctx: KoaContext): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    ctx.req.on('data', (chunk: Buffer) => chunks.push(chunk));
    ctx.req.once('error', reject);
    ctx.req.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? {} : JSON.parse(text));
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function startKoa(spec: AppSpec, options: BuildOptions): Promise<Listening> {
  const lib = loadsLibrary(spec) ? await library.koa() : undefined;
  const app = new Koa();
  app.keys = [SESSION_SECRET];
  const redis = spec.sessions === 'redis' ? sessionRedis(options, spec) : undefined;
  const raw = redis ? new KoaRedisSessionStore(redis.client, redis.prefix) : new KoaMemoryStore();
  const store = lib ? lib.guardSessionStore(raw, { timeout: 1000, logger: loggerFor(spec) }) : raw;
  app.use(koaSession({ store, sameSite: 'lax' }, app));
  const security = lib
    ? lib.sessionSecurity(await securityOptions<KoaContext>(spec, options, koaUser))
    : undefined;
  if (security) app.use(security);
  if (spec.security === 'noop')
    app.use(async function noop(_ctx, next) {
      await next();
    });
  app.use(async (ctx, next) => {
    const route = `${ctx.method} ${ctx.path}`;
    const current = koaSessionOf(ctx);
    if (route === 'POST /sign-in' && current) {
      // A new session key at sign-in; koa-session's regenerate() keeps the data, so drop it first.
      for (const key of Object.keys(current.toJSON())) delete current[key];
      await current.regenerate();
      current.user = typeof ctx.query.user === 'string' ? ctx.query.user : 'ada';
      if (security) await security.start(ctx);
      ctx.body = { user: current.user };
    } else if (route === `GET ${PAGE}`) {
      const user = koaUser(ctx);
      ctx.status = user === undefined ? 401 : 200;
      ctx.body = user === undefined ? NOT_SIGNED_IN : pageBody(user);
    } else if (route === `POST ${ECHO}`) {
      await koaJsonBody(ctx);
      const signedIn = koaUser(ctx) !== undefined;
      ctx.status = signedIn ? 200 : 401;
      ctx.body = signedIn ? { ok: true } : NOT_SIGNED_IN;
    } else {
      await next();
    }
  });
  app.on('error', (error: { expose?: unknown }) => {
    if (error.expose !== true) console.error(`[${appName(spec)}]`, error);
  });
  return listenNode(createServer(app.callback()));
}

// ---------------------------------------------------------------------------------------------
// Hono 4 on @hono/node-server + hono-sessions 0.8 with its MemoryStore, or a store in Redis
// (bench/redis-session-stores.ts).

type HonoVariables = {
  session: HonoSession<{ user: string }>;
  session_key_rotation: boolean;
};
const honoUser = (c: HonoContext<{ Variables: HonoVariables }>) => {
  const user = c.get('session').get('user');
  return typeof user === 'string' ? user : undefined;
};

async function startHono(spec: AppSpec, options: BuildOptions): Promise<Listening> {
  const lib = loadsLibrary(spec) ? await library.hono() : undefined;
  const app = new Hono<{ Variables: HonoVariables }>();
  const redis = spec.sessions === 'redis' ? sessionRedis(options, spec) : undefined;
  const raw = redis ? new HonoRedisSessionStore(redis.client, redis.prefix) : new HonoMemoryStore();
  app.use(
    sessionMiddleware({
      store: lib ? lib.guardSessionStore(raw, { timeout: 1000, logger: loggerFor(spec) }) : raw,
      cookieOptions: { path: '/', httpOnly: true, sameSite: 'Lax' },
    }),
  );
  const security = lib
    ? lib.sessionSecurity(
        await securityOptions<HonoContext>(spec, options, (c) =>
          honoUser(c as HonoContext<{ Variables: HonoVariables }>),
        ),
      )
    : undefined;
  if (security) app.use(security);
  if (spec.security === 'noop')
    app.use(async function noop(_c, next) {
      await next();
    });
  app.post('/sign-in', async (c) => {
    c.set('session_key_rotation', true); // a new session id at sign-in
    c.get('session').set('user', c.req.query('user') ?? 'ada');
    if (security) await security.start(c);
    return c.json({ user: honoUser(c) });
  });
  app.get(PAGE, (c) => {
    const user = honoUser(c);
    return user === undefined ? c.json(NOT_SIGNED_IN, 401) : c.json(pageBody(user));
  });
  app.post(ECHO, async (c) => {
    await c.req.json();
    return honoUser(c) === undefined ? c.json(NOT_SIGNED_IN, 401) : c.json({ ok: true });
  });
  if (lib) {
    const { errorResponse } = lib;
    app.onError(
      (error, c) => errorResponse(error, c.req.raw) ?? c.text('Internal Server Error', 500),
    );
  }
  const server = await new Promise<ReturnType<typeof serveHono>>((resolve) => {
    const s = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

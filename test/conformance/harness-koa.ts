import Koa, { type Context, type Next } from 'koa';
import session from 'koa-session';
import { SessionSecurityRequestError } from 'session-security';
import { guardSessionStore, type KoaSessionStore, sessionSecurity } from 'session-security/koa';
import { FakeClock, listen } from '../support/http.js';
import {
  type Harness,
  type HarnessOptions,
  jsonSessionCounts,
  type SessionStoreOperation,
  signInAt,
  TEST_DRAFT_SECRET,
  testLock,
  testLogger,
} from './harness.js';

/** A koa-session external store in memory; each session is kept as JSON, as a real store would. */
export class MapSessionStore implements KoaSessionStore {
  readonly sessions = new Map<string, string>();
  constructor(
    private readonly fails: (operation: SessionStoreOperation) => boolean = () => false,
  ) {}
  async get(key: string): Promise<unknown> {
    this.check('get');
    const json = this.sessions.get(key);
    return json === undefined ? undefined : JSON.parse(json);
  }
  async set(key: string, data: unknown): Promise<void> {
    this.check('set');
    this.sessions.set(key, JSON.stringify(data));
  }
  async destroy(key: string): Promise<void> {
    this.check('destroy');
    this.sessions.delete(key);
  }
  /** As a store whose server is down fails. */
  private check(operation: SessionStoreOperation): void {
    if (this.fails(operation)) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
  }
}

/** What the harness's routes keep in koa-session's session. */
interface AppSession {
  user?: string;
  toJSON(): Record<string, unknown>;
  regenerate(): Promise<void>;
}

const sessionOf = (ctx: Context) => (ctx as unknown as { session: AppSession | null }).session;

/** A fresh session under a new key, as at every sign-in (koa-session's regenerate keeps the data). */
async function regenerate(ctx: Context): Promise<AppSession> {
  const current = sessionOf(ctx);
  if (!current) throw new Error('no session: is koa-session mounted?');
  for (const key of Object.keys(current.toJSON()))
    delete (current as unknown as Record<string, unknown>)[key];
  await current.regenerate();
  return current;
}

/** Sets the session's `user` (the lock's same-session sign-in). */
function setUser(ctx: Context, user: string): void {
  const current = sessionOf(ctx);
  if (current) current.user = user;
}

/** Signs `user` in on a new session (regenerated), as `POST /test/sign-in` and the lock do. */
async function signInAs(ctx: Context, user: string): Promise<void> {
  (await regenerate(ctx)).user = user;
}

/** Reads an `application/x-www-form-urlencoded` body, as a small body parser would. */
async function formBody(ctx: Context): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Reads a JSON body (an empty body is `{}`), as a small body parser would. */
async function jsonBody(ctx: Context): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

type Route = (ctx: Context) => Promise<void> | void;

/** A route that answers a call of `security.signIns` as JSON, or its request error's status. */
function signInsRoute(call: (ctx: Context) => Promise<unknown>): Route {
  return async (ctx) => {
    try {
      ctx.body = await call(ctx);
    } catch (error) {
      if (!(error instanceof SessionSecurityRequestError)) throw error;
      ctx.status = error.status;
      ctx.body = { status: 'error', error: error.message };
    }
  };
}

/** Routes by method and path, without regard to case or a trailing slash, as routers match. */
function routes(table: Record<string, Route>) {
  return async function router(ctx: Context, next: Next): Promise<void> {
    const path = ctx.path.toLowerCase().replace(/(.)\/+$/, '$1');
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    const route = table[`${method} ${path}`];
    if (route) return route(ctx);
    return next();
  };
}

/** The harness's user of a request: the session's `user`, `''` when anonymous. */
const userOf = (ctx: Context): string => String(sessionOf(ctx)?.user ?? '');

export const koaHarness: Harness = {
  framework: 'koa',
  async start(options: HarnessOptions = {}) {
    const clock = new FakeClock();
    const logger = testLogger();
    const memory = new MapSessionStore(options.sessionStoreFails);
    const store = guardSessionStore(memory, {
      timeout: 1000,
      logger,
    });
    const app = new Koa();
    app.keys = ['test secret'];
    if (options.trustProxy) app.proxy = true;
    const appErrors: unknown[] = [];
    // Koa's own rule (its default logger's): an exposed error (the guard's 503, signOut's 403)
    // is answered with its status and is no app error; anything else would be a 500.
    app.on('error', (error: { expose?: unknown; status?: unknown }) => {
      if (error.expose !== true && error.status !== 404) appErrors.push(error);
    });
    app.use(session({ store }, app));
    const security = sessionSecurity({
      expireAfter: 900,
      warnAfter: 780,
      isAuthenticated: (ctx) => typeof sessionOf(ctx)?.user === 'string',
      userId: userOf,
      draftSecret: TEST_DRAFT_SECRET,
      clock,
      logger,
      // No sweep timer: a closed test app's timer would go on sweeping with its own clock.
      sweepInterval: 0,
      ...(options.lock ? { lock: testLock(options.lock, signInAs, setUser) } : {}),
      ...options.security,
    });
    app.use(security);
    let formsInFlight = 0;
    app.use(async (ctx, next) => {
      if (ctx.method !== 'POST' || ctx.path !== '/form') return next();
      formsInFlight++;
      try {
        await next();
      } finally {
        formsInFlight--;
      }
    });
    const user = (ctx: Context) => ({ user: sessionOf(ctx)?.user ?? null });
    // A refusal is thrown to Koa's default error handling: its status and headers, exposed.
    const recent: Route = async (ctx) => {
      await security.requireRecentSignIn(ctx, Number(ctx.query.maxAge));
      ctx.body = { recent: true };
    };
    app.use(
      routes({
        'POST /test/sign-in': async (ctx) => {
          await signInAs(ctx, typeof ctx.query.user === 'string' ? ctx.query.user : 'ada');
          if (ctx.query.start) await security.start(ctx);
          ctx.body = { signedIn: true };
        },
        'POST /test/sign-in-same-session': async (ctx) => {
          const current = sessionOf(ctx);
          if (current) current.user = 'ada';
          await security.start(ctx);
          ctx.body = { signedIn: true };
        },
        'POST /test/sign-out': async (ctx) => {
          await security.signOut(ctx);
          ctx.body = { signedOut: true };
        },
        'POST /test/forget-user': (ctx) => {
          const current = sessionOf(ctx);
          if (current) delete current.user;
          ctx.body = { signedOut: true };
        },
        'GET /test/sign-ins': signInsRoute((ctx) => security.signIns.list(ctx)),
        'POST /test/sign-ins/end': signInsRoute(async (ctx) => ({
          ended: await security.signIns.end(ctx, (await jsonBody(ctx)).signIn as string),
        })),
        'POST /test/sign-ins/end-all': signInsRoute(async (ctx) => ({
          ended: await security.signIns.endAll(ctx, {
            keepCurrent: (await jsonBody(ctx)).keepCurrent === true,
          }),
        })),
        'POST /test/sign-ins/end-user': signInsRoute(async (ctx) => ({
          ended: await security.signIns.endUser((await jsonBody(ctx)).userId as string),
        })),
        'POST /test/sign-ins/end-everyone': signInsRoute(async () => ({
          ended: await security.signIns.endEveryone(),
        })),
        'POST /test/sign-ins/sweep': signInsRoute(async () => ({
          expired: await security.signIns.sweep(),
        })),
        'GET /test/recent': recent,
        'POST /test/recent': recent,
        // A refused lease is thrown to Koa's default error handling too: its status (401), exposed.
        'POST /test/hold': async (ctx) => {
          const held = await security.hold(ctx, options.work ?? (async () => 'done'), {
            maxSeconds: Number(ctx.query.maxSeconds),
            label: 'report',
          });
          ctx.body = { held };
        },
        'POST /form': async (ctx) => {
          ctx.body = { note: (await formBody(ctx)).get('note') };
        },
        'GET /': (ctx) => {
          const name = sessionOf(ctx)?.user;
          ctx.set('cache-control', 'no-store');
          ctx.type = 'html';
          ctx.body = name ? `<p>hello ${name}</p>` : '<p>anonymous</p>';
        },
        'GET /api/data': (ctx) => {
          ctx.body = user(ctx);
        },
        'GET /api/poll': (ctx) => {
          ctx.body = user(ctx);
        },
        'GET /events/stream': (ctx) => {
          ctx.body = user(ctx);
        },
        'GET /test/page': (ctx) => {
          const { lang, nonce, script } = ctx.query as Record<string, string | undefined>;
          ctx.type = 'html';
          ctx.body = security.clientTags(ctx, {
            ...(lang !== undefined ? { lang } : {}),
            ...(nonce !== undefined ? { nonce } : {}),
            script: script !== 'false',
          });
        },
      }),
    );
    const { origin, close } = await listen(app.callback());
    return {
      origin,
      clock,
      logger,
      appErrors,
      userOf: (ctx) => userOf(ctx as Context),
      formsInFlight: () => formsInFlight,
      ...jsonSessionCounts(memory.sessions),
      close,
      signIn: signInAt(origin),
    };
  },
};

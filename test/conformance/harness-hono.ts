// The conformance harness for Hono 4 on @hono/node-server, with hono-sessions 0.8 over a
// server-side in-memory store (JSON copies, as a real store keeps) wrapped in guardSessionStore.

import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type Session, type SessionData, type Store, sessionMiddleware } from 'hono-sessions';
import {
  LeaseRefusedError,
  RecentSignInRequiredError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
} from 'session-security';
import { errorResponse, guardSessionStore, sessionSecurity } from 'session-security/hono';
import { FakeClock } from '../support/http.js';
import {
  type Harness,
  type HarnessOptions,
  type SessionStoreOperation,
  signInAt,
  TEST_DRAFT_SECRET,
  testLock,
  testLogger,
} from './harness.js';

/** A hono-sessions store in memory; each session is kept as JSON, so each request has its own copy. */
export class JsonMemoryStore implements Store {
  readonly sessions = new Map<string, string>();
  constructor(
    private readonly fails: (operation: SessionStoreOperation) => boolean = () => false,
  ) {}
  async getSessionById(sessionId?: string): Promise<SessionData | null> {
    this.check('get');
    const json = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    return json === undefined ? null : (JSON.parse(json) as SessionData);
  }
  async createSession(sessionId: string, initialData: SessionData): Promise<void> {
    this.check('set');
    this.sessions.set(sessionId, JSON.stringify(initialData));
  }
  async persistSessionData(sessionId: string, sessionData: SessionData): Promise<void> {
    this.check('set');
    this.sessions.set(sessionId, JSON.stringify(sessionData));
  }
  async deleteSession(sessionId: string): Promise<void> {
    this.check('destroy');
    this.sessions.delete(sessionId);
  }
  /** As a store whose server is down fails. */
  private check(operation: SessionStoreOperation): void {
    if (this.fails(operation)) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
  }
}

/** What hono-sessions puts on the context. */
type Variables = { session: Session<Record<string, unknown>>; session_key_rotation: boolean };
const sessionOf = (c: Context<{ Variables: Variables }>) => c.get('session');

/** The harness's user of a request: the session's `user`, `''` when anonymous. */
const userOf = (c: Context<{ Variables: Variables }>): string =>
  String(sessionOf(c).get('user') ?? '');

/** Sets the session's `user` (the lock's same-session sign-in). */
const setUser = (c: Context<{ Variables: Variables }>, user: string): void =>
  sessionOf(c).set('user', user);

/** Signs `user` in on a new session, as `POST /test/sign-in` and the lock do. */
function signInAs(c: Context<{ Variables: Variables }>, user: string): void {
  // A new session: hono-sessions gives it a new id at the end of the request.
  const session = sessionOf(c);
  for (const key of Object.keys(session.getCache()._data)) session.forget(key);
  c.set('session_key_rotation', true);
  session.set('user', user);
}

/** A field of the JSON body; undefined for an empty body. */
async function field(c: Context, name: string): Promise<unknown> {
  const text = await c.req.text();
  return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>)[name];
}

/** A route that answers a call of `security.signIns` as JSON, or its request error's status. */
function signInsRoute(call: (c: Context) => Promise<unknown>) {
  return async (c: Context) => {
    try {
      return c.json(await call(c));
    } catch (error) {
      if (!(error instanceof SessionSecurityRequestError)) throw error;
      return c.json(
        { status: 'error', error: error.message },
        error.status as ContentfulStatusCode,
      );
    }
  };
}

export const honoHarness: Harness = {
  framework: 'hono',
  sessionForEveryVisitor: true,
  async start(options: HarnessOptions = {}) {
    const clock = new FakeClock();
    const logger = testLogger();
    const memory = new JsonMemoryStore(options.sessionStoreFails);
    const store = guardSessionStore(memory, { timeout: 1000, logger });
    const app = new Hono<{ Variables: Variables }>();
    app.use(sessionMiddleware({ store, cookieOptions: { path: '/', httpOnly: true } }));
    const security = sessionSecurity({
      expireAfter: 900,
      warnAfter: 780,
      isAuthenticated: (c) => typeof sessionOf(c).get('user') === 'string',
      userId: userOf,
      draftSecret: TEST_DRAFT_SECRET,
      clock,
      logger,
      trustProxy: options.trustProxy === true,
      // No sweep timer: a closed test app's timer would go on sweeping with its own clock.
      sweepInterval: 0,
      ...(options.lock ? { lock: testLock(options.lock, signInAs, setUser) } : {}),
      ...options.security,
    });
    app.use(security);
    let formsInFlight = 0;
    app.use(async (c, next) => {
      if (c.req.method !== 'POST' || c.req.path !== '/form') return next();
      formsInFlight++;
      try {
        await next();
      } finally {
        formsInFlight--;
      }
    });
    app.post('/test/sign-in', async (c) => {
      signInAs(c, c.req.query('user') ?? 'ada');
      if (c.req.query('start')) await security.start(c);
      return c.json({ signedIn: true });
    });
    app.post('/test/sign-in-same-session', async (c) => {
      sessionOf(c).set('user', 'ada');
      await security.start(c);
      return c.json({ signedIn: true });
    });
    app.post('/test/sign-out', async (c) => {
      await security.signOut(c);
      return c.json({ signedOut: true });
    });
    app.post('/test/forget-user', (c) => {
      sessionOf(c).forget('user');
      return c.json({ signedOut: true });
    });
    app.get(
      '/test/sign-ins',
      signInsRoute((c) => security.signIns.list(c)),
    );
    app.post(
      '/test/sign-ins/end',
      signInsRoute(async (c) => ({
        ended: await security.signIns.end(c, (await field(c, 'signIn')) as string),
      })),
    );
    app.post(
      '/test/sign-ins/end-all',
      signInsRoute(async (c) => ({
        ended: await security.signIns.endAll(c, {
          keepCurrent: (await field(c, 'keepCurrent')) === true,
        }),
      })),
    );
    app.post(
      '/test/sign-ins/end-user',
      signInsRoute(async (c) => ({
        ended: await security.signIns.endUser((await field(c, 'userId')) as string),
      })),
    );
    app.post(
      '/test/sign-ins/end-everyone',
      signInsRoute(async () => ({ ended: await security.signIns.endEveryone() })),
    );
    app.post(
      '/test/sign-ins/sweep',
      signInsRoute(async () => ({ expired: await security.signIns.sweep() })),
    );
    app.on(['GET', 'POST'], '/test/recent', async (c) => {
      await security.requireRecentSignIn(c, Number(c.req.query('maxAge')));
      return c.json({ recent: true });
    });
    // A refused lease is thrown to `onError` below, which errorResponse answers (401).
    app.post('/test/hold', async (c) => {
      const held = await security.hold(c, options.work ?? (async () => 'done'), {
        maxSeconds: Number(c.req.query('maxSeconds')),
        label: 'report',
      });
      return c.json({ held });
    });
    app.post('/form', async (c) => {
      const body = await c.req.parseBody();
      return c.json({ note: typeof body.note === 'string' ? body.note : null });
    });
    app.get('/', (c) => {
      c.header('cache-control', 'no-store');
      const user = sessionOf(c)?.get('user');
      return c.html(typeof user === 'string' ? `<p>hello ${user}</p>` : '<p>anonymous</p>');
    });
    for (const path of ['/api/data', '/api/poll', '/events/stream']) {
      app.get(path, (c) => c.json({ user: sessionOf(c)?.get('user') ?? null }));
    }
    app.get('/test/page', (c) => {
      const { lang, nonce, script } = c.req.query();
      return c.html(
        security.clientTags(c, {
          ...(lang !== undefined ? { lang } : {}),
          ...(nonce !== undefined ? { nonce } : {}),
          script: script !== 'false',
        }),
      );
    });
    const appErrors: unknown[] = [];
    app.onError((error, c) => {
      // A store outage is answered 503 as the README tells Hono apps, a refused request for a
      // recent sign-in 401 or 303, a refused lease 401 or 429; anything else is the app's.
      const answered =
        error instanceof SessionStoreUnavailableError ||
        error instanceof RecentSignInRequiredError ||
        error instanceof LeaseRefusedError;
      if (!answered) appErrors.push(error);
      return errorResponse(error, c.req.raw) ?? c.text('Internal Server Error', 500);
    });

    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    const origin = `http://127.0.0.1:${port}`;
    return {
      origin,
      clock,
      logger,
      appErrors,
      userOf: (c) => userOf(c as Context<{ Variables: Variables }>),
      close: () =>
        new Promise<void>((resolve, reject) => {
          if ('closeAllConnections' in server) server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
      formsInFlight: () => formsInFlight,
      sessionCount: async () => memory.sessions.size,
      signedInSessionCount: async () =>
        [...memory.sessions.values()].filter(
          (json) => (JSON.parse(json) as { _data?: { user?: unknown } })._data?.user !== undefined,
        ).length,
      signIn: signInAt(origin),
    };
  },
};

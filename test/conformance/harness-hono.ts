// The conformance harness for Hono 4 on @hono/node-server, with hono-sessions 0.8 over a
// server-side in-memory store (JSON copies, as a real store keeps) wrapped in guardSessionStore.

import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { type Session, type SessionData, type Store, sessionMiddleware } from 'hono-sessions';
import { SessionStoreUnavailableError } from 'session-security';
import { errorResponse, guardSessionStore, sessionSecurity } from 'session-security/hono';
import { CookieJar, FakeClock, send } from '../support/http.js';
import {
  type Harness,
  type HarnessOptions,
  type SessionStoreOperation,
  TEST_DRAFT_SECRET,
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
      userId: (c) => String(sessionOf(c).get('user') ?? ''),
      draftSecret: TEST_DRAFT_SECRET,
      clock,
      logger,
      trustProxy: options.trustProxy === true,
      ...options.security,
    });
    app.use(security);
    app.post('/test/sign-in', async (c) => {
      // A new session: hono-sessions gives it a new id at the end of the request.
      const session = sessionOf(c);
      for (const key of Object.keys(session.getCache()._data)) session.forget(key);
      c.set('session_key_rotation', true);
      session.set('user', 'ada');
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
      // A store outage is answered 503 as the README tells Hono apps; anything else is the app's.
      if (!(error instanceof SessionStoreUnavailableError)) appErrors.push(error);
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
      close: () =>
        new Promise<void>((resolve, reject) => {
          if ('closeAllConnections' in server) server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
      sessionCount: async () => memory.sessions.size,
      async signIn({ start = false } = {}) {
        const jar = new CookieJar();
        const path = start ? '/test/sign-in?start=1' : '/test/sign-in';
        const reply = await send(origin, path, { method: 'POST' }, jar);
        if (reply.status !== 200) throw new Error(`sign-in failed: ${reply.status} ${reply.text}`);
        return jar;
      },
    };
  },
};

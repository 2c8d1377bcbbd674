// The conformance harness for Fastify 5 + @fastify/cookie + @fastify/session (its MemoryStore,
// server-side), with guardSessionStore as the adapter's documentation tells Fastify apps to use it.

import cookie from '@fastify/cookie';
import session from '@fastify/session';
import Fastify, { type FastifyReply, type FastifyRequest, type Session } from 'fastify';
import { SessionSecurityRequestError } from 'session-security';
import { guardSessionStore, sessionSecurity } from 'session-security/fastify';
import { FakeClock } from '../support/http.js';
import {
  failingStore,
  type Harness,
  type HarnessOptions,
  signInAt,
  TEST_DRAFT_SECRET,
  testLock,
  testLogger,
} from './harness.js';

declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

/** A query parameter as one string, or undefined. */
function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** The harness's user of a request: the session's `user`, `''` when anonymous. */
const userOf = (request: FastifyRequest): string => request.session.user ?? '';

/** Sets the session's `user` (the lock's same-session sign-in). */
const setUser = (request: FastifyRequest, user: string): void => request.session.set('user', user);

/** Signs `user` in on a new session (regenerated), as `POST /test/sign-in` and the lock do. */
async function signInAs(request: FastifyRequest, user: string): Promise<void> {
  await request.session.regenerate();
  request.session.set('user', user);
}

/** A route that answers a call of `security.signIns` as JSON, or its request error's status. */
function signInsRoute(call: (request: FastifyRequest) => Promise<unknown>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      return reply.send(await call(request));
    } catch (error) {
      if (!(error instanceof SessionSecurityRequestError)) throw error;
      return reply.code(error.status).send({ status: 'error', error: error.message });
    }
  };
}

/** A field of the JSON body, or undefined. */
const field = (request: FastifyRequest, name: string): unknown =>
  (request.body as Record<string, unknown> | undefined)?.[name];

export const fastifyHarness: Harness = {
  framework: 'fastify',
  async start(options: HarnessOptions = {}) {
    const clock = new FakeClock();
    const logger = testLogger();
    const sessions = new Map<string, Session>();
    const memory = new session.MemoryStore(sessions);
    const store = guardSessionStore(
      options.sessionStoreFails
        ? failingStore(memory, options.sessionStoreFails, ['get', 'set', 'destroy'])
        : memory,
      { timeout: 1000, logger },
    );
    const app = Fastify({ trustProxy: options.trustProxy === true });
    await app.register(cookie);
    await app.register(session, {
      secret: 'test secret that is at least 32 characters long',
      saveUninitialized: false,
      cookie: { secure: false },
      store,
    });
    const security = sessionSecurity({
      expireAfter: 900,
      warnAfter: 780,
      isAuthenticated: (request) => typeof request.session.user === 'string',
      userId: userOf,
      draftSecret: TEST_DRAFT_SECRET,
      clock,
      logger,
      // No sweep timer: a closed test app's timer would go on sweeping with its own clock.
      sweepInterval: 0,
      ...(options.lock ? { lock: testLock(options.lock, signInAs, setUser) } : {}),
      ...options.security,
    });
    await app.register(security);
    let formsInFlight = 0;
    // After session-security's onRequest hook, before the body is read.
    app.addHook('onRequest', async (request, reply) => {
      if (request.method === 'POST' && request.url.split('?')[0] === '/form') {
        formsInFlight++;
        reply.raw.on('close', () => formsInFlight--);
      }
    });
    // No @fastify/formbody here: the app's own body parsing, in a few lines.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );
    const appErrors: unknown[] = [];
    app.setErrorHandler(
      (error: Error & { statusCode?: number; headers?: object }, _request, reply) => {
        const status = error.statusCode ?? 500;
        // With the error's headers, as Fastify's default handler sends them (Retry-After, reauth).
        if (status !== 500) {
          return reply
            .code(status)
            .headers(error.headers ?? {})
            .send({ status: 'error', error: error.message });
        }
        appErrors.push(error);
        return reply.code(500).send({ status: 'error', error: 'internal server error' });
      },
    );

    app.post('/test/sign-in', async (request) => {
      await signInAs(request, queryParam(request, 'user') ?? 'ada');
      if (queryParam(request, 'start')) await security.start(request);
      return { signedIn: true };
    });
    app.post('/test/sign-in-same-session', async (request) => {
      request.session.set('user', 'ada');
      await security.start(request);
      return { signedIn: true };
    });
    app.post('/test/sign-out', async (request, reply) => {
      await security.signOut(request, reply);
      return { signedOut: true };
    });
    app.post('/test/forget-user', async (request) => {
      delete request.session.user;
      return { signedOut: true };
    });
    app.get(
      '/test/sign-ins',
      signInsRoute((request) => security.signIns.list(request)),
    );
    app.post(
      '/test/sign-ins/end',
      signInsRoute(async (request) => ({
        ended: await security.signIns.end(request, field(request, 'signIn') as string),
      })),
    );
    app.post(
      '/test/sign-ins/end-all',
      signInsRoute(async (request) => ({
        ended: await security.signIns.endAll(request, {
          keepCurrent: field(request, 'keepCurrent') === true,
        }),
      })),
    );
    app.post(
      '/test/sign-ins/end-user',
      signInsRoute(async (request) => ({
        ended: await security.signIns.endUser(field(request, 'userId') as string),
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
    app.route({
      method: ['GET', 'POST'],
      url: '/test/recent',
      handler: async (request) => {
        await security.requireRecentSignIn(request, Number(queryParam(request, 'maxAge')));
        return { recent: true };
      },
    });
    // A refused lease is thrown to the error handler above: its status (401), not a 500.
    app.post('/test/hold', async (request) => {
      const held = await security.hold(request, options.work ?? (async () => 'done'), {
        maxSeconds: Number(queryParam(request, 'maxSeconds')),
        label: 'report',
      });
      return { held };
    });
    app.post('/form', async (request) => {
      const note = (request.body as Record<string, unknown> | undefined)?.note;
      return { note: note ?? null };
    });
    app.get('/', async (request, reply) => {
      const user = request.session.user;
      return reply
        .header('cache-control', 'no-store')
        .type('text/html')
        .send(user ? `<p>hello ${user}</p>` : '<p>anonymous</p>');
    });
    for (const path of ['/api/data', '/api/poll', '/events/stream']) {
      app.get(path, async (request) => ({ user: request.session.user ?? null }));
    }
    app.get('/test/page', async (request, reply) => {
      const lang = queryParam(request, 'lang');
      const nonce = queryParam(request, 'nonce');
      return reply.type('text/html').send(
        security.clientTags(request, {
          ...(lang !== undefined ? { lang } : {}),
          ...(nonce !== undefined ? { nonce } : {}),
          script: queryParam(request, 'script') !== 'false',
        }),
      );
    });

    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const origin = `http://127.0.0.1:${address.port}`;
    return {
      origin,
      clock,
      logger,
      appErrors,
      userOf: (request) => userOf(request as FastifyRequest),
      formsInFlight: () => formsInFlight,
      sessionCount: async () => sessions.size,
      signedInSessionCount: async () =>
        [...sessions.values()].filter((data) => data.user !== undefined).length,
      close: async () => {
        app.server.closeAllConnections();
        await app.close();
      },
      signIn: signInAt(origin),
    };
  },
};

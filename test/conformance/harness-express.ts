// The conformance harness for Express 5 + express-session (MemoryStore, server-side), with
// guardSessionStore and storeUnavailableHandler as the README tells Express apps to mount them.

import express from 'express';
import session from 'express-session';
import { SessionSecurityRequestError } from 'session-security';
import {
  guardSessionStore,
  sessionSecurity,
  storeUnavailableHandler,
} from 'session-security/express';
import { formsInFlightCounter } from '../support/express-app.js';
import { FakeClock, listen } from '../support/http.js';
import {
  failingStore,
  type Harness,
  type HarnessOptions,
  signInAt,
  TEST_DRAFT_SECRET,
  testLock,
  testLogger,
} from './harness.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

/** The harness's user of a request: the session's `user`, `''` when anonymous. */
const userOf = (req: express.Request): string => req.session.user ?? '';

/** Sets the session's `user` (the lock's same-session sign-in). */
const setUser = (req: express.Request, user: string): void => {
  req.session.user = user;
};

/** Signs `user` in on a new session (regenerated), as `POST /test/sign-in` and the lock do. */
const signInAs = (req: express.Request, user: string): Promise<void> =>
  new Promise((resolve, reject) =>
    req.session.regenerate((error: unknown) => {
      if (error) return reject(error);
      req.session.user = user;
      resolve();
    }),
  );

/** A route that answers a call of `security.signIns` as JSON, or its request error's status. */
function signInsRoute(call: (req: express.Request) => Promise<unknown>): express.RequestHandler {
  return async (req, res, next) => {
    try {
      res.json(await call(req));
    } catch (error) {
      if (!(error instanceof SessionSecurityRequestError)) return next(error);
      res.status(error.status).json({ status: 'error', error: error.message });
    }
  };
}

/** A field of the JSON body, or undefined. */
const field = (req: express.Request, name: string): unknown =>
  (req.body as Record<string, unknown> | undefined)?.[name];

export const expressHarness: Harness = {
  framework: 'express',
  async start(options: HarnessOptions = {}) {
    const clock = new FakeClock();
    const logger = testLogger();
    const memory = new session.MemoryStore();
    const store = guardSessionStore(
      options.sessionStoreFails
        ? failingStore(memory, options.sessionStoreFails, ['get', 'set', 'destroy', 'touch'])
        : memory,
      { timeout: 1000, logger },
    );
    const app = express();
    if (options.trustProxy) app.set('trust proxy', true);
    app.use(session({ secret: 'test secret', resave: false, saveUninitialized: false, store }));
    const security = sessionSecurity({
      expireAfter: 900,
      warnAfter: 780,
      isAuthenticated: (req) => typeof req.session.user === 'string',
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
    const forms = formsInFlightCounter();
    app.use(forms.count);
    app.post('/test/sign-in', async (req, res, next) => {
      try {
        await signInAs(req, typeof req.query.user === 'string' ? req.query.user : 'ada');
        if (req.query.start) await security.start(req);
        res.json({ signedIn: true });
      } catch (error) {
        next(error);
      }
    });
    app.post('/test/sign-in-same-session', async (req, res, next) => {
      try {
        req.session.user = 'ada';
        await security.start(req);
        res.json({ signedIn: true });
      } catch (error) {
        next(error);
      }
    });
    app.post('/test/sign-out', async (req, res, next) => {
      try {
        await security.signOut(req);
        res.json({ signedOut: true });
      } catch (error) {
        next(error);
      }
    });
    app.post('/test/forget-user', (req, res) => {
      delete req.session.user;
      res.json({ signedOut: true });
    });
    app.get(
      '/test/sign-ins',
      signInsRoute((req) => security.signIns.list(req)),
    );
    app.post(
      '/test/sign-ins/end',
      express.json(),
      signInsRoute(async (req) => ({
        ended: await security.signIns.end(req, field(req, 'signIn') as string),
      })),
    );
    app.post(
      '/test/sign-ins/end-all',
      express.json(),
      signInsRoute(async (req) => ({
        ended: await security.signIns.endAll(req, {
          keepCurrent: field(req, 'keepCurrent') === true,
        }),
      })),
    );
    app.post(
      '/test/sign-ins/end-user',
      express.json(),
      signInsRoute(async (req) => ({
        ended: await security.signIns.endUser(field(req, 'userId') as string),
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
    // A rejection goes to `next(error)` (Express 5): storeUnavailableHandler answers the refusal.
    const recent: express.RequestHandler = async (req, res) => {
      await security.requireRecentSignIn(req, Number(req.query.maxAge));
      res.json({ recent: true });
    };
    app.get('/test/recent', recent);
    app.post('/test/recent', recent);
    // A refused lease goes to `next(error)` as well: storeUnavailableHandler answers none, and
    // Express's final handler answers its status (401).
    app.post('/test/hold', async (req, res) => {
      const held = await security.hold(req, options.work ?? (async () => 'done'), {
        maxSeconds: Number(req.query.maxSeconds),
        label: 'report',
      });
      res.json({ held });
    });
    app.post('/form', express.urlencoded({ extended: false }), (req, res) => {
      res.json({ note: (req.body as Record<string, unknown>).note ?? null });
    });
    app.get('/', (req, res) => {
      res.set('cache-control', 'no-store');
      res
        .type('html')
        .send(req.session.user ? `<p>hello ${req.session.user}</p>` : '<p>anonymous</p>');
    });
    app.get(['/api/data', '/api/poll', '/events/stream'], (req, res) => {
      res.json({ user: req.session.user ?? null });
    });
    app.get('/test/page', (req, res) => {
      const { lang, nonce, script } = req.query as Record<string, string | undefined>;
      res.type('html').send(
        security.clientTags(req, {
          ...(lang !== undefined ? { lang } : {}),
          ...(nonce !== undefined ? { nonce } : {}),
          script: script !== 'false',
        }),
      );
    });
    const appErrors: unknown[] = [];
    app.use(storeUnavailableHandler());
    app.use(
      (
        error: unknown,
        _req: express.Request,
        _res: express.Response,
        next: express.NextFunction,
      ) => {
        appErrors.push(error);
        next(error);
      },
    );
    const server = await listen(app);
    return {
      origin: server.origin,
      clock,
      logger,
      appErrors,
      userOf: (req) => userOf(req as express.Request),
      close: server.close,
      formsInFlight: forms.inFlight,
      signedInSessionCount: () =>
        new Promise<number>((resolve, reject) =>
          memory.all((error: unknown, sessions) =>
            error
              ? reject(error)
              : resolve(Object.values(sessions ?? {}).filter((data) => data?.user).length),
          ),
        ),
      sessionCount: () =>
        new Promise<number>((resolve, reject) =>
          memory.all((error: unknown, sessions) =>
            error ? reject(error) : resolve(Object.keys(sessions ?? {}).length),
          ),
        ),
      signIn: signInAt(server.origin),
    };
  },
};

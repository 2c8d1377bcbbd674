// Test support: a small Express + express-session app around session-security, with test
// routes to sign in and out and a fake clock, for the integration suites.

import express from 'express';
import session from 'express-session';
import type { SessionSecurityOptions } from 'session-security';
import { sessionSecurity } from 'session-security/express';
import { TEST_DRAFT_SECRET } from '../conformance/harness.js';
import { CookieJar, FakeClock, listen, send } from './http.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

export interface TestAppOptions {
  security?: Partial<SessionSecurityOptions<express.Request>>;
  store?: session.Store;
  /** express-session options over the defaults (resave and saveUninitialized false). */
  session?: Partial<session.SessionOptions>;
  /** Runs before session-security (e.g. a body parser or `trust proxy`). */
  before?: (app: express.Express) => void;
  /** Adds the test's own routes, after session-security and the app's routes. */
  routes?: (app: express.Express, security: ReturnType<typeof sessionSecurity>) => void;
}

/**
 * Counts the `POST /form` requests that passed the middleware mounted before `count` and are not
 * answered yet: a test holding one in flight waits on `inFlight()`, not on a fixed delay.
 */
export function formsInFlightCounter(): { count: express.RequestHandler; inFlight: () => number } {
  let inFlight = 0;
  return {
    count(req, res, next) {
      if (req.method === 'POST' && req.path === '/form') {
        inFlight++;
        res.on('close', () => inFlight--);
      }
      next();
    },
    inFlight: () => inFlight,
  };
}

/** Starts the app on 127.0.0.1:0; `signIn()` gives a jar holding a signed-in session. */
export async function startTestApp(options: TestAppOptions = {}) {
  const clock = new FakeClock();
  const logger = {
    warn: () => {},
    errors: [] as string[],
    error(message: string) {
      this.errors.push(message);
    },
  };
  const store = options.store ?? new session.MemoryStore();
  const app = express();
  options.before?.(app);
  app.use(
    session({
      secret: 'test secret',
      resave: false,
      saveUninitialized: false,
      store,
      ...options.session,
    }),
  );
  const security = sessionSecurity({
    expireAfter: 900,
    warnAfter: 780,
    isAuthenticated: (req) => typeof req.session.user === 'string',
    userId: (req) => req.session.user ?? '',
    draftSecret: TEST_DRAFT_SECRET,
    clock,
    logger,
    // No sweep timer: a closed test app's timer would go on sweeping with its own clock.
    sweepInterval: 0,
    ...options.security,
  });
  app.use(security);
  const forms = formsInFlightCounter();
  app.use(forms.count);
  app.post('/test/sign-in', (req, res, next) => {
    req.session.regenerate((error: unknown) => {
      if (error) return next(error);
      req.session.user = 'ada';
      // `?start=1` starts the clock explicitly, as an external store requires.
      const started = req.query.start ? security.start(req) : Promise.resolve();
      started.then(() => res.json({ signedIn: true }), next);
    });
  });
  app.post('/test/sign-in-same-session', async (req, res) => {
    req.session.user = 'ada';
    await security.start(req);
    res.json({ signedIn: true });
  });
  app.post('/test/sign-out', async (req, res, next) => {
    try {
      await security.signOut(req);
      res.json({ signedOut: true });
    } catch (error) {
      next(error);
    }
  });
  // A form post whose body the test may send slowly: a request in flight across a sign-out.
  app.post('/form', express.urlencoded({ extended: false }), (req, res) => {
    res.json({ note: (req.body as Record<string, unknown>).note ?? null });
  });
  app.post('/test/forget-user', (req, res) => {
    delete req.session.user;
    res.json({ signedOut: true });
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
  app.get('/', (req, res) => {
    res.set('cache-control', 'no-store');
    res
      .type('html')
      .send(req.session.user ? `<p>hello ${req.session.user}</p>` : '<p>anonymous</p>');
  });
  app.get(['/api/data', '/api/poll', '/events/stream'], (req, res) => {
    res.json({ user: req.session.user ?? null });
  });
  options.routes?.(app, security);
  /** Errors that reached Express's error handling (an unhandled error: a 500 and a logged stack). */
  const appErrors: unknown[] = [];
  app.use(
    (error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
      appErrors.push(error);
      next(error);
    },
  );
  const server = await listen(app);

  async function signIn({ start = false } = {}): Promise<CookieJar> {
    const jar = new CookieJar();
    const path = start ? '/test/sign-in?start=1' : '/test/sign-in';
    const reply = await send(server.origin, path, { method: 'POST' }, jar);
    if (reply.status !== 200) throw new Error(`sign-in failed: ${reply.status} ${reply.text}`);
    return jar;
  }

  return {
    ...server,
    clock,
    logger,
    appErrors,
    signIn,
    store,
    security,
    formsInFlight: forms.inFlight,
  };
}

// The single-page app's server (examples/spa/): Express with express-session and
// session-security, the JSON API the app calls (POST /api/login, POST /api/logout, GET /api/me)
// and, in production, the built app itself, so that the page, its requests and the session
// cookie share one origin. The app asks GET /session-security/config for its client's config.
//
// Development, in two terminals (Vite proxies /session-security and /api to this server):
//   npx tsx examples/spa/server.ts
//   npx vite examples/spa
// Production (the built files of examples/spa/dist, served here, with index.html for any page):
//   npx vite build examples/spa && NODE_ENV=production npx tsx examples/spa/server.ts
//
// Environment: PORT (default 3000), EXPIRE_AFTER (seconds, default 900), WARN_AFTER (default
// the library's), SESSION_SECRET, STATIC_DIR (the built app; serves it whatever NODE_ENV).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request } from 'express';
import session from 'express-session';
import { type SessionSecurityOptions, safeNextPath } from 'session-security';
import { sessionSecurity } from 'session-security/express';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

export interface AppOptions extends Partial<SessionSecurityOptions<Request>> {
  /**
   * The built app to serve, or false for none (development: Vite serves it). Default
   * STATIC_DIR, else examples/spa/dist when NODE_ENV is production.
   */
  staticDir?: string | false;
}

const builtApp = fileURLToPath(new URL('./dist', import.meta.url));

/** The app; `options` set the built files and override session-security's options (a test's clock). */
export function createApp({ staticDir, ...overrides }: AppOptions = {}): express.Express {
  const app = express();
  // express-session's memory store: one process only; use a shared store in production.
  app.use(
    session({
      secret: process.env.SESSION_SECRET ?? 'change me',
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  // After the session middleware, before the routes and body parsers.
  const security = sessionSecurity({
    expireAfter: Number(process.env.EXPIRE_AFTER ?? 900),
    ...(process.env.WARN_AFTER ? { warnAfter: Number(process.env.WARN_AFTER) } : {}),
    loginUrl: '/', // the app's sign-in form: an expired tab loads /?next=…&reason=idle
    isAuthenticated: (req) => typeof req.session.user === 'string',
    userId: (req) => req.session.user ?? '',
    ...overrides,
  });
  app.use(security);
  app.use(express.json());

  app.post('/api/login', async (req, res) => {
    const user = typeof req.body?.user === 'string' ? req.body.user.trim() : '';
    if (!user) {
      res.status(400).json({ error: 'a user name is required' });
      return;
    }
    // A fresh session at sign-in, and a fresh inactivity clock for it.
    await new Promise<void>((done, fail) =>
      req.session.regenerate((error) => (error ? fail(error) : done())),
    );
    req.session.user = user;
    await security.start(req);
    res.json({ user, next: safeNextPath(req.body.next) ?? '/' });
  });
  app.post('/api/logout', async (req, res) => {
    await security.signOut(req); // final: no request still in flight can sign the user back in
    res.json({ user: null });
  });
  app.get('/api/me', (req, res) => {
    res.set('cache-control', 'no-store').json({ user: req.session.user ?? null });
  });
  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  const dir =
    staticDir ??
    process.env.STATIC_DIR ??
    (process.env.NODE_ENV === 'production' ? builtApp : false);
  if (dir !== false) {
    const root = resolve(dir);
    if (!existsSync(join(root, 'index.html'))) {
      throw new Error(`no built app in ${root}: run npx vite build examples/spa first`);
    }
    // Vite's hashed files never change; index.html is asked for again at each load.
    app.use('/assets', express.static(join(root, 'assets'), { immutable: true, maxAge: '1y' }));
    app.use(express.static(root, { index: false }));
    app.get('/{*page}', (_req, res) => {
      res.set('cache-control', 'no-cache').sendFile(join(root, 'index.html'));
    });
  }
  return app;
}

// Started as a program (not imported, as the test does): listen on PORT.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 3000);
  createApp().listen(port, '127.0.0.1', () => {
    console.log(`The app's server listens on http://127.0.0.1:${port}`);
  });
}

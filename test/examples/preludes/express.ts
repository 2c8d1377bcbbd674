// The Express examples' context: a real Express app with express-session and session-security,
// listening on 127.0.0.1, and `req`/`res`, a page request of a signed-in session held in flight
// (its middleware has run: `security.clientTags(req)` and `signIns.list(req)` work). After the
// example, each route it added is called from that signed-in browser.

import express, { type Request, type Response } from 'express';
import session from 'express-session';
import { sessionSecurity } from 'session-security/express';
import { listen } from '../../support/http.js';
import { deferred, environment, exercise, pino, request, SECRETS, signedIn } from '../context.js';
import type { PreludeHooks } from '../run.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

const restoreEnvironment = environment();

export { express, pino, session, sessionSecurity };
export const secret = SECRETS.SESSION_SECRET;
export const draftSecret = SECRETS.DRAFT_SECRET;
export const isAuthenticated = (req: Request) => typeof req.session.user === 'string';
export const userId = (req: Request) => req.session.user ?? '';
/** A CSP nonce of the page. */
export const nonce = 'cGFnZS1ub25jZQ';
/** The app's password check: every user's password is "secret" here. */
export const passwords = {
  verify: async (user: string, password: unknown) => user !== '' && password === 'secret',
};

export const app = express();
app.use(session({ secret, resave: false, saveUninitialized: false }));
export const security = sessionSecurity({ isAuthenticated, userId, draftSecret, sweepInterval: 0 });
app.use(security);
app.post('/$prelude/sign-in', (req, res, next) => {
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.user = 'ada';
    security.start(req).then(() => res.end('signed in'), next);
  });
});
const held = deferred<{ req: Request; res: Response }>();
app.get('/reports', (req, res) => held.resolve({ req, res }));
const routesBefore = app.router.stack.length;

const server = await listen(app);
const jar = await signedIn(server.origin, '/$prelude/sign-in');
const answered = request(server.origin, jar, 'GET', '/reports?page=2');
export const { req, res } = await held.promise;

/** The routes added after the prelude's, as `METHOD /path`. */
function addedRoutes(): string[] {
  return app.router.stack.slice(routesBefore).flatMap((layer) => {
    const route = layer.route as { path?: unknown; methods?: Record<string, boolean> } | undefined;
    if (!route || typeof route.path !== 'string') return [];
    return Object.keys(route.methods ?? {}).map(
      (method) => `${method.toUpperCase()} ${route.path}`,
    );
  });
}

export const $example: PreludeHooks = {
  async after() {
    await exercise(server.origin, jar, addedRoutes());
  },
  async cleanup() {
    if (!res.headersSent) res.end();
    await answered;
    await server.close();
    restoreEnvironment();
  },
};

/** The hooks of an example that needs this context and one thing more, closed after it. */
export function withExpress(close: () => unknown): PreludeHooks {
  return {
    after: (run) => $example.after?.(run) ?? Promise.resolve(),
    async cleanup() {
      try {
        await $example.cleanup?.();
      } finally {
        await close();
      }
    },
  };
}

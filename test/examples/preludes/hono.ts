// The examples of the Hono middleware: `app`, a Hono app with hono-sessions over a guarded
// in-memory store (`store`), and what the app's options read (`isAuthenticated`, `userId`,
// `draftSecret`). After the example, the app (its own `app` if it made one) answers a page
// load, a sign-in and the routes it added without a server error.

import { type Context, Hono } from 'hono';
import { MemoryStore, sessionMiddleware } from 'hono-sessions';
import { guardSessionStore, honoSessions, sessionSecurity } from 'session-security/hono';
import { environment, SECRETS } from '../context.js';
import type { PreludeHooks } from '../run.js';

const restoreEnvironment = environment();

export { honoSessions, MemoryStore, sessionMiddleware, sessionSecurity };
export const store = new MemoryStore();
export const isAuthenticated = (c: Context) => typeof c.get('session').get('user') === 'string';
export const userId = (c: Context) => String(c.get('session').get('user') ?? '');
export const draftSecret = SECRETS.DRAFT_SECRET;
export const app = new Hono();
app.use(sessionMiddleware({ store: guardSessionStore(store), expireAfterSeconds: 3600 }));

/** The routes of a Hono app, as `METHOD path`, but the middleware (`ALL /*`). */
function routesOf(hono: Hono): string[] {
  return hono.routes
    .filter((route) => route.method !== 'ALL')
    .map((route) => `${route.method} ${route.path}`);
}

/** Hooks that call the app's routes after the example (its own `app`, or `fallback`). */
export function honoHooks(fallback: Hono): PreludeHooks {
  return {
    async after({ locals }) {
      const hono = (locals.app ?? fallback) as Hono;
      for (const route of ['GET /', ...routesOf(hono)]) {
        const [method = 'GET', path = '/'] = route.split(' ');
        const answer = await hono.request(path, {
          method,
          headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' },
        });
        if (answer.status >= 500) {
          throw new Error(`${route} answered ${answer.status}: ${await answer.text()}`);
        }
      }
    },
    async cleanup() {
      restoreEnvironment();
    },
  };
}

export const $example = honoHooks(app);

// The synchronous request path (src/server/maybe.ts): with the default store, a page request of a
// signed-in session goes on to the app before session-security's middleware returns, with no
// promise of the library's; whatever is asynchronous (an async isAuthenticated, a store that
// answers later) still gets the same answers, later. Real Express over loopback.

import express from 'express';
import session from 'express-session';
import type { SessionSecurityOptions } from 'session-security';
import { sessionSecurity } from 'session-security/express';
import { afterEach, describe, expect, it } from 'vitest';
import { CookieJar, listen, SAME_ORIGIN_FETCH, send } from '../support/http.js';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

type Options = Partial<SessionSecurityOptions<express.Request>>;

/** Express with session-security, wrapped to see whether it called next before it returned. */
async function expressApp(options: Options = {}) {
  const app = express();
  app.use(session({ secret: 'sync-path', resave: false, saveUninitialized: false }));
  const security = sessionSecurity({
    expireAfter: 900,
    drafts: false,
    isAuthenticated: (req) => typeof req.session.user === 'string',
    ...options,
  });
  app.use((req, res, next) => {
    let returned = false;
    security(req, res, (error?: unknown) => {
      res.locals.atOnce = !returned;
      next(error);
    });
    returned = true;
  });
  app.post('/sign-in', async (req, res) => {
    req.session.user = 'ada';
    await security.start(req);
    res.json({ ok: true });
  });
  app.get('/page', (_req, res) => res.json({ atOnce: res.locals.atOnce }));
  const server = await listen(app);
  servers.push(server);
  const jar = new CookieJar();
  const page = async () =>
    (await send(server.origin, '/page', { headers: SAME_ORIGIN_FETCH }, jar)).json as {
      atOnce: boolean;
    };
  return { origin: server.origin, jar, page };
}

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

describe('the request path with the default store', () => {
  it('goes on to the app before the middleware returns: an anonymous request, then a signed-in page', async () => {
    const app = await expressApp();
    expect(await app.page()).toEqual({ atOnce: true });
    const signIn = await send(
      app.origin,
      '/sign-in',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      app.jar,
    );
    expect(signIn.status).toBe(200);
    for (let i = 0; i < 3; i++) expect(await app.page()).toEqual({ atOnce: true });
  });

  it('waits, and answers the same, when isAuthenticated is async', async () => {
    const app = await expressApp({
      isAuthenticated: async (req) => typeof req.session.user === 'string',
    });
    await send(app.origin, '/sign-in', { method: 'POST', headers: SAME_ORIGIN_FETCH }, app.jar);
    expect(await app.page()).toEqual({ atOnce: false });
    const ping = await send(
      app.origin,
      '/session-security/ping',
      { headers: SAME_ORIGIN_FETCH },
      app.jar,
    );
    expect(ping.json).toMatchObject({ status: 'active' });
    expect(ping.json?.idleFor).toBeLessThan(2);
  });
});

// The README's sign-in under a limit per user (examples/express/start-or-refuse.ts) in a real
// Express app with express-session: the sign-in past maxSignInsPerUser is refused with 429 and
// the visitor stays signed out; the earlier sign-ins live on.

import express from 'express';
import session from 'express-session';
import { sessionSecurity } from 'session-security/express';
import { afterEach, describe, expect, it } from 'vitest';
import { startOrRefuse } from '../../examples/express/start-or-refuse.js';
import { CookieJar, listen, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function startApp() {
  const app = express();
  app.use(session({ secret: 'test', resave: false, saveUninitialized: false }));
  const security = sessionSecurity({
    isAuthenticated: (req) => typeof req.session.user === 'string',
    userId: (req) => req.session.user ?? '',
    drafts: false,
    maxSignInsPerUser: 2,
    onMaxSignIns: 'refuse',
    logger: { warn: () => {}, error: () => {} },
  });
  app.use(security);
  app.post('/login', (req, res, next) => {
    req.session.regenerate(async (error) => {
      if (error) return next(error);
      req.session.user = 'ada';
      if (await startOrRefuse(security, req, res)) res.redirect(303, '/');
    });
  });
  app.get('/', (req, res) => {
    res.send(req.session.user ? `hello ${req.session.user}` : 'anonymous');
  });
  const server = await listen(app);
  close = server.close;
  return server.origin;
}

describe("the README's sign-in under maxSignInsPerUser with onMaxSignIns: 'refuse'", () => {
  it('refuses the third sign-in of a user with 429 and its message; the visitor stays signed out', async () => {
    const origin = await startApp();
    const signIn = async () => {
      const jar = new CookieJar();
      const reply = await send(origin, '/login', { method: 'POST', headers: NAVIGATE }, jar);
      return { jar, reply };
    };
    const first = await signIn();
    const second = await signIn();
    expect([first.reply.status, second.reply.status]).toEqual([303, 303]);
    const third = await signIn();
    expect(third.reply.status).toBe(429);
    expect(third.reply.text).toBe('Sign out of another device first.');
    expect((await send(origin, '/', { headers: NAVIGATE }, third.jar)).text).toBe('anonymous');
    for (const { jar } of [first, second]) {
      expect((await send(origin, '/', { headers: NAVIGATE }, jar)).text).toBe('hello ada');
      const ping = await send(
        origin,
        '/session-security/ping',
        { headers: SAME_ORIGIN_FETCH },
        jar,
      );
      expect(ping.status).toBe(200);
    }
  });
});

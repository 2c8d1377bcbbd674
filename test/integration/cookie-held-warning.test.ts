// A session kept whole in its cookie weakens sign-out (docs/guide/behaviour.md: Cookie-held sessions): the
// library says so once, at the first request, with the default store, and not with a session
// store on the server or with the Redis store. Real Koa + koa-session (its default is the
// cookie) and real Express + express-session; Express without a sessionStore stands for
// cookie-session, whose requests have a `req.session` and no `req.sessionStore`.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import Koa from 'koa';
import koaSession from 'koa-session';
import { createClient } from 'redis';
import { sessionSecurity as expressSecurity } from 'session-security/express';
import { sessionSecurity as koaSecurity } from 'session-security/koa';
import { redisStore } from 'session-security/redis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MapSessionStore } from '../conformance/harness-koa.js';
import { NAVIGATE, send } from '../support/http.js';
import { testRedisUrl } from '../support/test-redis.js';

const servers: Server[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((done) => server.close(done));
  for (const close of closers.splice(0)) await close();
});

const logger = () => ({ warn: vi.fn<(message: string) => void>(), error: vi.fn() });

async function origin(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Three requests to a Koa app with koa-session given `store` (none: the cookie) and `options`. */
async function koaWarnings(store: MapSessionStore | undefined, options = {}) {
  const log = logger();
  const app = new Koa();
  app.keys = ['a key of at least thirty-two characters!'];
  app.use(koaSession(store ? { store } : {}, app));
  app.use(koaSecurity({ isAuthenticated: () => false, drafts: false, logger: log, ...options }));
  app.use((ctx) => {
    ctx.body = 'ok';
  });
  const at = await origin(app.callback());
  for (let i = 0; i < 3; i++) expect((await send(at, '/', { headers: NAVIGATE })).status).toBe(200);
  return log.warn.mock.calls.map(([message]) => message);
}

describe('a cookie-held session', () => {
  it("koa-session's default (the cookie): one warning that names it, the fix and the README", async () => {
    const warnings = await koaWarnings(undefined);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /koa-session has no store.*cannot delete a copy.*Cookie-held sessions/,
    );
  });

  it('koa-session with a store on the server: no warning', async () => {
    expect(await koaWarnings(new MapSessionStore())).toEqual([]);
  });

  it("koa-session's cookie with the Redis store: no warning (Redis says whether the sign-in ended)", async () => {
    const client = createClient({ url: testRedisUrl() });
    await client.connect();
    closers.push(() => client.quit());
    const store = redisStore({ client, prefix: `cookie-held:${process.pid}:` });
    expect(await koaWarnings(undefined, { store })).toEqual([]);
  });

  it.each([
    ['express-session (a sessionStore)', true, 0],
    ['a cookie session (no sessionStore, as cookie-session)', false, 1],
  ])('Express with %s: %s warning(s)', async (_name, withStore, count) => {
    const log = logger();
    const app = express();
    if (withStore) {
      app.use(session({ secret: 'a secret', resave: false, saveUninitialized: false }));
    } else {
      app.use((req, _res, next) => {
        (req as { session?: object }).session = {};
        next();
      });
    }
    app.use(expressSecurity({ isAuthenticated: () => false, drafts: false, logger: log }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const at = await origin(app);
    for (let i = 0; i < 3; i++)
      expect((await send(at, '/', { headers: NAVIGATE })).status).toBe(200);
    expect(log.warn).toHaveBeenCalledTimes(count);
    if (count) expect(String(log.warn.mock.calls[0]?.[0])).toMatch(/no sessionStore/);
  });
});

// Conformance: `security.requireRecentSignIn(req, maxAge)` (a password change, a payment) against
// every adapter and store, through the harnesses' `GET`/`POST /test/recent?maxAge=N`: allowed
// while the sign-in began less than maxAge seconds ago (the store's now − its startedAt, to the
// ms), refused from then on whatever the activity since, until a new sign-in. How a refusal is
// answered depends on the framework's error path: the library's answers (Express's
// storeUnavailableHandler, Hono's, the NestJS filter, session-security/web's Response) send a
// page load to the login page and anything else `401 {"status":"reauth",…}`; Koa's and Fastify's
// error handlers, and the node:http harness's, send the error's status and headers with a body
// of their own.

import { describe, expect, it } from 'vitest';
import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import type { ConformanceApp, HarnessOptions } from './harness.js';

const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };
const MAX_AGE = 300;
const LOGIN_URL = '/login';

/** How each harness answers a refusal, by the framework's error path (not by what it answers). */
const REFUSAL: Readonly<Record<string, { pageLoad: 'redirect' | '401'; libraryBody: boolean }>> = {
  express: { pageLoad: 'redirect', libraryBody: true },
  fastify: { pageLoad: '401', libraryBody: false },
  koa: { pageLoad: '401', libraryBody: false },
  hono: { pageLoad: 'redirect', libraryBody: true },
  'node:http': { pageLoad: '401', libraryBody: false },
  next: { pageLoad: 'redirect', libraryBody: true },
  'nestjs-express': { pageLoad: 'redirect', libraryBody: true },
  'nestjs-fastify': { pageLoad: 'redirect', libraryBody: true },
};

describe.each(CASES)('%s with the %s store', (framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  const refusal = REFUSAL[framework];
  let app: ConformanceApp;
  const start = async (options: HarnessOptions = { security: { loginUrl: LOGIN_URL } }) => {
    app = await adapter.start(options);
    return app;
  };
  /** Signs in with `security.start(req)`: the sign-in's clock (its startedAt) is now. */
  const signedIn = () => app.signIn({ start: true });
  /** The route as a fetch (GET, or POST with a JSON body) or with the headers given. */
  const recent = (
    jar: CookieJar | undefined,
    {
      method = 'GET',
      maxAge = String(MAX_AGE),
      headers = method === 'POST' ? JSON_POST : SAME_ORIGIN_FETCH,
    }: { method?: string; maxAge?: string; headers?: Record<string, string> } = {},
  ) =>
    send(
      app.origin,
      `/test/recent?maxAge=${maxAge}`,
      { method, headers, ...(method === 'POST' ? { body: '{}' } : {}) },
      jar,
    );
  const getPing = (jar: CookieJar) =>
    send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);

  /** A refusal as a fetch sees it: 401, the reauth headers, and the library's JSON where it answers. */
  function expectRefusedFetch(reply: Awaited<ReturnType<typeof recent>>): void {
    expect(reply.status).toBe(401);
    expect(reply.headers['x-session-security']).toBe('reauth');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers.location).toBeUndefined();
    if (refusal?.libraryBody) {
      expect(reply.json).toEqual({ status: 'reauth', reason: 'reauth', maxAge: MAX_AGE });
    } else {
      // The framework's own body, with the error's (exposed) message.
      expect(reply.text).toContain(`a sign-in less than ${MAX_AGE} s old`);
    }
  }

  it('lists the harness in the table of refusals', () => {
    expect(refusal).toBeDefined();
  });

  it('answers a GET and a POST of a sign-in that just began 200 {"recent":true}', async () => {
    await start();
    const jar = await signedIn();
    for (const method of ['GET', 'POST']) {
      const reply = await recent(jar, { method });
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ recent: true });
    }
  });

  it('allows a sign-in 1 ms short of maxAge and refuses it at exactly maxAge', async () => {
    await start();
    const jar = await signedIn();
    app.clock.advance(MAX_AGE - 0.001);
    const allowed = await recent(jar);
    expect(allowed.status).toBe(200);
    expect(allowed.json).toEqual({ recent: true });
    app.clock.advance(0.001);
    expectRefusedFetch(await recent(jar));
    // A refusal ends nothing: the sign-in goes on.
    const ping = await getPing(jar);
    expect(ping.status).toBe(200);
    expect(ping.json?.status).toBe('active');
    expect(app.appErrors).toEqual([]);
  });

  it('refuses a fetch, GET or POST, with 401 and X-Session-Security: reauth, never a redirect', async () => {
    await start();
    const jar = await signedIn();
    app.clock.advance(MAX_AGE);
    expectRefusedFetch(await recent(jar));
    expectRefusedFetch(await recent(jar, { method: 'POST' }));
    expect(app.appErrors).toEqual([]);
  });

  it(
    refusal?.pageLoad === 'redirect'
      ? 'sends a page load to the login page with next and reason=reauth (303)'
      : "answers a page load with its framework's 401 and the reauth header (no redirect)",
    async () => {
      await start();
      const jar = await signedIn();
      app.clock.advance(MAX_AGE);
      const page = await recent(jar, { headers: NAVIGATE });
      if (refusal?.pageLoad === 'redirect') {
        expect(page.status).toBe(303);
        expect(page.headers.location).toBe(
          `${LOGIN_URL}?next=%2Ftest%2Frecent%3FmaxAge%3D${MAX_AGE}&reason=reauth`,
        );
        expect(page.headers['cache-control']).toBe('no-store');
      } else {
        expect(page.status).toBe(401);
        expect(page.headers['x-session-security']).toBe('reauth');
        expect(page.headers['cache-control']).toBe('no-store');
        expect(page.headers.location).toBeUndefined();
      }
      expect(app.appErrors).toEqual([]);
    },
  );

  it('answers a page load 401 when there is no loginUrl to send it to', async () => {
    await start({});
    const jar = await signedIn();
    app.clock.advance(MAX_AGE);
    const page = await recent(jar, { headers: NAVIGATE });
    expect(page.status).toBe(401);
    expect(page.headers['x-session-security']).toBe('reauth');
    expect(page.headers.location).toBeUndefined();
    expect(app.appErrors).toEqual([]);
  });

  it('is not made recent again by activity, even a ping that extends the session', async () => {
    await start();
    const jar = await signedIn();
    app.clock.advance(MAX_AGE - 10);
    const ping = await send(
      app.origin,
      '/session-security/ping',
      {
        method: 'POST',
        headers: { ...JSON_POST, origin: app.origin },
        body: '{"sinceActivity":0,"extend":true}',
      },
      jar,
    );
    expect(ping.status).toBe(200);
    expect(ping.json?.idleFor).toBe(0);
    expect((await recent(jar)).status).toBe(200);
    app.clock.advance(10);
    expectRefusedFetch(await recent(jar));
    // Much later, with requests in between to keep it from idling out: still refused.
    app.clock.advance(MAX_AGE);
    expectRefusedFetch(await recent(jar));
    app.clock.advance(MAX_AGE);
    expectRefusedFetch(await recent(jar));
    expect((await getPing(jar)).status).toBe(200);
  });

  it('is recent again after a new sign-in, in the same browser', async () => {
    await start();
    const jar = await signedIn();
    app.clock.advance(MAX_AGE);
    expectRefusedFetch(await recent(jar));
    const again = await send(app.origin, '/test/sign-in?start=1', { method: 'POST' }, jar);
    expect(again.status).toBe(200);
    const reply = await recent(jar);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ recent: true });
  });

  it('refuses an anonymous request: no sign-in is no recent sign-in', async () => {
    await start();
    expectRefusedFetch(await recent(new CookieJar()));
    expectRefusedFetch(await recent(undefined));
    expect(app.appErrors).toEqual([]);
  });

  it.each([
    ['0', '0'],
    ['a negative number', '-5'],
    ['not a number', 'abc'],
    ['more than a year', String(366 * 86_400)],
  ])(
    "fails with a 500 and the TypeError in the app's errors for a maxAge that is %s",
    async (_name, maxAge) => {
      await start();
      const jar = await signedIn();
      const reply = await recent(jar, { maxAge });
      expect(reply.status).toBe(500);
      expect(app.appErrors).toHaveLength(1);
      const [error] = app.appErrors;
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain("requireRecentSignIn's maxAge");
      expect((error as Error).message).toContain(`(${Number(maxAge)})`);
    },
  );
});

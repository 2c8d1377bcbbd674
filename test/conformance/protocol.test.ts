// The conformance suite: the ping protocol (docs/reference/protocol.md: The ping protocol) and the per-request
// policy (docs/guide/behaviour.md: What counts as activity), over real HTTP, run against every server adapter with its real session plugin, each
// with the session-object default and with the Redis store. Written once: an adapter that needs a
// rule of its own has found a rule for the core.

import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import type { ActivityStore } from 'session-security';
import { describe, expect, it } from 'vitest';
import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import { type ConformanceApp, faults, type HarnessOptions, inFlightFormPost } from './harness.js';

const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };

describe.each(CASES)('%s with the %s store', (_framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  let app: ConformanceApp;
  const start = async (options?: HarnessOptions) => {
    app = await adapter.start(options);
    return app;
  };
  /** Signs in, starts the session's clock with a first request, then lets it idle. */
  const signedInAndIdleFor = async (seconds: number) => {
    const jar = await app.signIn();
    await getPing(jar);
    app.clock.advance(seconds);
    return jar;
  };
  const getPing = (jar?: CookieJar, headers: Record<string, string> = SAME_ORIGIN_FETCH) =>
    send(app.origin, '/session-security/ping', { headers }, jar);
  const postPing = (
    jar: CookieJar | undefined,
    body: string,
    headers: Record<string, string> = JSON_POST,
  ) => send(app.origin, '/session-security/ping', { method: 'POST', headers, body }, jar);

  describe('GET {prefix}/ping', () => {
    it('answers 401 anonymous without a signed-in session', async () => {
      await start();
      const reply = await getPing();
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'anonymous' });
      expect(reply.headers['cache-control']).toBe('no-store');
    });

    it('reports the status of a signed-in session with every field', async () => {
      await start();
      const jar = await signedInAndIdleFor(30);
      const reply = await getPing(jar);
      expect(reply.status).toBe(200);
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.json).toEqual({
        status: 'active',
        idleFor: 30,
        warnIn: 750,
        expireIn: 870,
        expireAfter: 900,
        warnAfter: 780,
        absolute: false,
        session: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      });
    });

    it('never extends the session', async () => {
      await start();
      const jar = await signedInAndIdleFor(100);
      expect((await getPing(jar)).json?.idleFor).toBe(100);
      app.clock.advance(100);
      expect((await getPing(jar)).json?.idleFor).toBe(200);
    });

    it('keeps the same session marker for one sign-in and a new one after signing in again', async () => {
      await start();
      const jar = await app.signIn();
      const first = (await getPing(jar)).json?.session;
      app.clock.advance(5);
      expect((await getPing(jar)).json?.session).toBe(first);
      const again = await app.signIn();
      expect((await getPing(again)).json?.session).not.toBe(first);
    });

    it('finds an expired session expired, ends it, then answers anonymous', async () => {
      await start();
      const jar = await signedInAndIdleFor(900);
      const reply = await getPing(jar);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
      expect(reply.headers['cache-control']).toBe('no-store');
      expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
    });

    it('lives one ms before expireAfter', async () => {
      await start();
      const jar = await signedInAndIdleFor(899.999);
      const reply = await getPing(jar);
      expect(reply.status).toBe(200);
      expect(reply.json?.expireIn).toBeCloseTo(0.001, 6);
    });
  });

  describe('GET {prefix}/config (single-page apps)', () => {
    const getConfig = (
      jar?: CookieJar,
      query = '',
      headers: Record<string, string> = SAME_ORIGIN_FETCH,
    ) => send(app.origin, `/session-security/config${query}`, { headers }, jar);

    it('answers a signed-in session its status and the config clientTags would write, passively', async () => {
      await start();
      const jar = await signedInAndIdleFor(30);
      const reply = await getConfig(jar);
      expect(reply.status).toBe(200);
      expect(reply.headers['cache-control']).toBe('no-store');
      const { config, ...status } = reply.json as Record<string, unknown>;
      expect(status).toMatchObject({ status: 'active', idleFor: 30, expireAfter: 900 });
      expect(config).toMatchObject({
        pingUrl: '/session-security/ping',
        logoutUrl: '/session-security/logout',
        idleFor: 30,
        warnIn: 750,
        expireIn: 870,
        session: status.session,
        lang: 'en',
        dialogSrc: expect.stringMatching(/^\/session-security\/dialog\.js\?v=/),
      });
      app.clock.advance(100);
      expect((await getConfig(jar)).json?.idleFor).toBe(130); // asking is not activity
      expect((await getPing(jar)).json?.idleFor).toBe(130);
    });

    it('gives the catalogue of ?lang, and English for a language it does not have', async () => {
      await start();
      const jar = await signedInAndIdleFor(1);
      const german = (await getConfig(jar, '?lang=de')).json?.config as Record<string, unknown>;
      expect(german.lang).toBe('de');
      expect(german.messages).toBeTypeOf('object');
      const odd = (await getConfig(jar, '?lang=%3Cscript%3E')).json?.config as Record<
        string,
        unknown
      >;
      expect(odd.lang).toBe('en');
      expect(odd.messages).toBeUndefined();
    });

    it('answers 401 anonymous, and 401 expired with the reason once the session is idle', async () => {
      await start();
      const anonymous = await getConfig();
      expect(anonymous.status).toBe(401);
      expect(anonymous.json).toEqual({ status: 'anonymous' });
      expect(anonymous.headers['clear-site-data']).toBeUndefined();
      const jar = await signedInAndIdleFor(901);
      const expired = await getConfig(jar);
      expect(expired.status).toBe(401);
      expect(expired.json).toEqual({ status: 'expired', reason: 'idle' });
    });

    it('refuses another site (403) and every method but GET (405)', async () => {
      await start();
      const jar = await signedInAndIdleFor(1);
      const crossSite = await getConfig(jar, '', { 'sec-fetch-site': 'cross-site' });
      expect(crossSite.status).toBe(403);
      expect(crossSite.json?.config).toBeUndefined();
      const otherOrigin = await getConfig(jar, '', { origin: 'https://evil.example' });
      expect(otherOrigin.status).toBe(403);
      const post = await send(
        app.origin,
        '/session-security/config',
        { method: 'POST', headers: JSON_POST, body: '{}' },
        jar,
      );
      expect(post.status).toBe(405);
      expect(post.headers.allow).toBe('GET');
      expect((await getPing(jar)).json?.status).toBe('active'); // nothing signed the user out
    });
  });

  describe('POST {prefix}/ping', () => {
    it('merges sinceActivity: lastActivity = max(lastActivity, now - s)', async () => {
      await start();
      const jar = await signedInAndIdleFor(100);
      const reply = await postPing(jar, '{"sinceActivity": 10}');
      expect(reply.status).toBe(200);
      expect(reply.json?.idleFor).toBe(10);
      expect(reply.json?.warnIn).toBe(770);
    });

    it('changes nothing when the reported input is older than the last activity', async () => {
      await start();
      const jar = await signedInAndIdleFor(100);
      expect((await postPing(jar, '{"sinceActivity": 5000}')).json?.idleFor).toBe(100);
      expect((await postPing(jar, '{"sinceActivity": 1e300}')).json?.idleFor).toBe(100);
    });

    it('never revives an expired session, even with sinceActivity 0', async () => {
      await start();
      const jar = await signedInAndIdleFor(900);
      const reply = await postPing(jar, '{"sinceActivity": 0}');
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
      expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
    });

    it('accepts application/json with a charset', async () => {
      await start();
      const jar = await app.signIn();
      const reply = await postPing(jar, '{"sinceActivity": 0}', {
        ...SAME_ORIGIN_FETCH,
        'content-type': 'application/json; charset=utf-8',
      });
      expect(reply.status).toBe(200);
    });

    it('refuses a chunked body over 1 KB that declares no length with 413', async () => {
      await start();
      const jar = await app.signIn();
      const reply = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${app.origin}/session-security/ping`, {
          method: 'POST',
          headers: { ...JSON_POST, cookie: jar.header() ?? '', 'transfer-encoding': 'chunked' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        Readable.from([
          `{"sinceActivity": 1, "pad": "${'x'.repeat(600)}`,
          `${'y'.repeat(600)}"}`,
        ]).pipe(req);
      });
      expect(reply).toBe(413);
    });
  });

  describe('POST {prefix}/logout', () => {
    it('ends the session and answers 200 anonymous', async () => {
      await start();
      const jar = await app.signIn();
      const reply = await send(
        app.origin,
        '/session-security/logout',
        { method: 'POST', headers: SAME_ORIGIN_FETCH },
        jar,
      );
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ status: 'anonymous' });
      expect(reply.headers['cache-control']).toBe('no-store');
      expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
      expect((await send(app.origin, '/', { headers: NAVIGATE }, jar)).text).toContain('anonymous');
    });

    it('answers 200 anonymous when nobody is signed in', async () => {
      await start();
      const reply = await send(app.origin, '/session-security/logout', {
        method: 'POST',
        headers: SAME_ORIGIN_FETCH,
      });
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ status: 'anonymous' });
    });

    it('refuses a logout posted from another site', async () => {
      await start();
      const jar = await app.signIn();
      const reply = await send(
        app.origin,
        '/session-security/logout',
        {
          method: 'POST',
          headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        },
        jar,
      );
      expect(reply.status).toBe(403);
      expect((await getPing(jar)).status).toBe(200);
    });
  });

  describe('refusals and their order', () => {
    it.each([
      ['PUT', '/session-security/ping', 'GET, POST'],
      ['DELETE', '/session-security/ping', 'GET, POST'],
      ['HEAD', '/session-security/ping', 'GET, POST'],
      ['GET', '/session-security/logout', 'POST'],
    ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
      await start();
      const reply = await send(app.origin, path, { method, headers: SAME_ORIGIN_FETCH });
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe(allow);
      expect(reply.headers['cache-control']).toBe('no-store');
    });

    it('answers an unknown route under the prefix with 404 naming the routes', async () => {
      await start();
      const reply = await getPing(undefined).then(() => send(app.origin, '/session-security/pong'));
      expect(reply.status).toBe(404);
      expect(reply.json?.error).toContain('/ping');
    });

    it('checks the method before the origin (405 before 403)', async () => {
      await start();
      const reply = await send(app.origin, '/session-security/ping', {
        method: 'PUT',
        headers: { origin: 'https://evil.example' },
      });
      expect(reply.status).toBe(405);
    });

    it('checks the origin before the content type (403 before 415)', async () => {
      await start();
      const jar = await app.signIn();
      const reply = await postPing(jar, 'sinceActivity=1', {
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(reply.status).toBe(403);
    });

    it('checks the content type before the size (415 before 413)', async () => {
      await start();
      const jar = await app.signIn();
      const reply = await postPing(jar, 'x'.repeat(5000), {
        ...SAME_ORIGIN_FETCH,
        'content-type': 'text/plain',
      });
      expect(reply.status).toBe(415);
    });

    it('checks the size before the session (413 before 401)', async () => {
      await start();
      const reply = await postPing(undefined, `{"sinceActivity":1,"p":"${'x'.repeat(1100)}"}`);
      expect(reply.status).toBe(413);
    });

    it('checks the session before the body (401 before 400)', async () => {
      await start();
      const reply = await postPing(undefined, 'not json');
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'anonymous' });
    });

    it('answers an expired session 401 expired before looking at a malformed body', async () => {
      await start();
      const jar = await signedInAndIdleFor(901);
      const reply = await postPing(jar, '{"sinceActivity": "soon"}');
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
    });
  });

  describe('origin check', () => {
    it('lets a non-browser client without Origin or Sec-Fetch-Site through', async () => {
      await start();
      const jar = await app.signIn();
      expect((await getPing(jar, {})).status).toBe(200);
    });

    it.each([
      ['a foreign Origin', { origin: 'https://evil.example' }],
      ['Origin null', { origin: 'null' }],
      ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
      ['Sec-Fetch-Site none', { 'sec-fetch-site': 'none' }],
    ])('refuses %s with 403 and says why', async (_name, headers) => {
      await start();
      const jar = await app.signIn();
      const reply = await getPing(jar, headers);
      expect(reply.status).toBe(403);
      expect(reply.json?.status).toBe('error');
      expect(String(reply.json?.error)).toMatch(/origin|Sec-Fetch-Site/);
    });

    it('accepts the app’s own Origin', async () => {
      await start();
      const jar = await app.signIn();
      const reply = await postPing(jar, '{"sinceActivity":0}', {
        ...JSON_POST,
        origin: app.origin,
      });
      expect(reply.status).toBe(200);
    });

    it('accepts a trusted origin, also from a sibling site', async () => {
      await start({ security: { trustedOrigins: ['https://admin.example.com'] } });
      const jar = await app.signIn();
      const reply = await postPing(jar, '{"sinceActivity":0}', {
        'content-type': 'application/json',
        origin: 'https://admin.example.com',
        'sec-fetch-site': 'same-site',
      });
      expect(reply.status).toBe(200);
    });

    it('takes the app’s origin from X-Forwarded-* only when trust proxy is on', async () => {
      const proxied = {
        ...JSON_POST,
        origin: 'https://app.example.com',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'app.example.com',
      };
      await start({ trustProxy: true });
      let jar = await app.signIn();
      expect((await postPing(jar, '{"sinceActivity":0}', proxied)).status).toBe(200);
      await app.close();

      await start();
      jar = await app.signIn();
      expect((await postPing(jar, '{"sinceActivity":0}', proxied)).status).toBe(403);
    });
  });

  describe('every other request of a signed-in session', () => {
    it('records an active request as activity', async () => {
      await start();
      const jar = await signedInAndIdleFor(600);
      await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
      expect((await getPing(jar)).json?.idleFor).toBe(0);
    });

    it('redirects an expired navigation 303 to loginUrl with next and reason', async () => {
      await start({ security: { loginUrl: '/login' } });
      const jar = await signedInAndIdleFor(900);
      const reply = await send(
        app.origin,
        '/reports/2024?page=2&sort=a%20b',
        { headers: NAVIGATE },
        jar,
      );
      expect(reply.status).toBe(303);
      // Next's server writes a query out again before its proxy sees it: `a b` as `a+b`.
      const sort = harness.framework.startsWith('next') ? 'a%2Bb' : 'a%2520b';
      expect(reply.headers.location).toBe(
        `/login?next=%2Freports%2F2024%3Fpage%3D2%26sort%3D${sort}&reason=idle`,
      );
      expect(reply.headers['cache-control']).toBe('no-store');
      expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
    });

    it('sends an expired form POST back to the page the form was on', async () => {
      await start({ security: { loginUrl: '/login' } });
      const jar = await signedInAndIdleFor(900);
      const reply = await send(
        app.origin,
        '/orders/42/cancel',
        { method: 'POST', headers: { ...NAVIGATE, referer: `${app.origin}/orders/42?tab=2` } },
        jar,
      );
      expect(reply.status).toBe(303);
      expect(reply.headers.location).toBe('/login?next=%2Forders%2F42%3Ftab%3D2&reason=idle');
    });

    it('gives an expired form POST from another site’s page no next', async () => {
      await start({ security: { loginUrl: '/login' } });
      const jar = await signedInAndIdleFor(900);
      const reply = await send(
        app.origin,
        '/orders/42/cancel',
        { method: 'POST', headers: { ...NAVIGATE, referer: 'https://elsewhere.example/x' } },
        jar,
      );
      expect(reply.headers.location).toBe('/login?reason=idle');
    });

    it('lets a navigation to the login page itself through after ending the expired session', async () => {
      await start({ security: { loginUrl: '/login?lang=fr' } });
      const jar = await signedInAndIdleFor(900);
      const reply = await send(app.origin, '/login?next=%2F', { headers: NAVIGATE }, jar);
      expect(reply.status).toBe(404); // the test app has no login page: the request reached the app
      expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
    });

    it('treats a request without Sec-Fetch-* but with an HTML Accept as a navigation', async () => {
      await start({ security: { loginUrl: '/login' } });
      const jar = await signedInAndIdleFor(900);
      const reply = await send(app.origin, '/', { headers: { accept: 'text/html' } }, jar);
      expect(reply.status).toBe(303);
      expect(reply.headers.location).toBe('/login?next=%2F&reason=idle');
    });

    it('goes on as an anonymous request with a fresh session when there is no loginUrl', async () => {
      await start();
      const jar = await signedInAndIdleFor(900);
      const reply = await send(app.origin, '/', { headers: NAVIGATE }, jar);
      expect(reply.status).toBe(200);
      expect(reply.text).toContain('anonymous');
    });

    it('answers an expired non-navigation 401 JSON', async () => {
      await start({ security: { loginUrl: '/login' } });
      const jar = await signedInAndIdleFor(900);
      const reply = await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
    });

    it('ends the session at the absolute timeout whatever the activity', async () => {
      await start({ security: { absoluteTimeout: 1000, loginUrl: '/login' } });
      const jar = await app.signIn();
      await getPing(jar);
      for (let t = 0; t < 900; t += 100) {
        app.clock.advance(100);
        expect((await send(app.origin, '/', { headers: NAVIGATE }, jar)).status).toBe(200);
      }
      const status = (await getPing(jar)).json;
      expect(status).toMatchObject({ absolute: true, expireIn: 100, warnIn: 0 });
      app.clock.advance(100);
      const reply = await send(app.origin, '/', { headers: NAVIGATE }, jar);
      expect(reply.status).toBe(303);
      expect(reply.headers.location).toBe('/login?next=%2F&reason=absolute');
    });

    it.each([
      ['a path listed in passive', '/api/poll', SAME_ORIGIN_FETCH],
      ['a path under a passive prefix', '/events/stream', SAME_ORIGIN_FETCH],
      [
        'X-Session-Security: passive',
        '/api/data',
        { ...SAME_ORIGIN_FETCH, 'x-session-security': 'passive' },
      ],
      ['Sec-Purpose: prefetch', '/api/data', { ...NAVIGATE, 'sec-purpose': 'prefetch' }],
      [
        'an <img> from a sibling site',
        '/api/data',
        { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
      ],
      [
        'a frame from another site',
        '/',
        {
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'navigate',
          'sec-fetch-dest': 'iframe',
        },
      ],
    ])('does not count %s as activity', async (_name, path, headers) => {
      await start({ security: { passive: ['/api/poll', '/events/*'] } });
      const jar = await signedInAndIdleFor(600);
      expect((await send(app.origin, path, { headers }, jar)).status).toBe(200);
      expect((await getPing(jar)).json?.idleFor).toBe(600);
    });

    it.each([
      [
        'a link the user followed from another site',
        { ...NAVIGATE, 'sec-fetch-site': 'cross-site', 'sec-fetch-user': '?1' },
      ],
      [
        'a click-driven frame navigation from a sibling site',
        {
          ...NAVIGATE,
          'sec-fetch-site': 'same-site',
          'sec-fetch-dest': 'iframe',
          'sec-fetch-user': '?1',
        },
      ],
      ['a request with a foreign Origin and no Sec-Fetch-*', { origin: 'http://evil.example' }],
      ['a request with Origin: null and no Sec-Fetch-*', { origin: 'null' }],
      [
        'a request with a foreign Referer and neither Origin nor Sec-Fetch-*',
        { referer: 'http://evil.example/page', accept: 'text/html' },
      ],
      [
        "a trusted origin's own request (not a ping)",
        {
          origin: 'https://admin.example.com',
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'cors',
        },
      ],
    ])('does not count %s as activity', async (_name, headers) => {
      await start({ security: { trustedOrigins: ['https://admin.example.com'] } });
      const jar = await signedInAndIdleFor(600);
      expect((await send(app.origin, '/api/data', { headers }, jar)).status).toBe(200);
      expect((await getPing(jar)).json?.idleFor).toBe(600);
    });

    it.each([
      ['a same-origin fetch', SAME_ORIGIN_FETCH],
      [
        'a navigation the user typed (Sec-Fetch-Site: none)',
        {
          ...NAVIGATE,
          'sec-fetch-site': 'none',
          'sec-fetch-dest': 'document',
          'sec-fetch-user': '?1',
        },
      ],
      ['a request with its own Origin and no Sec-Fetch-*', { origin: 'APP' }],
      [
        'a request with its own Referer and neither Origin nor Sec-Fetch-*',
        { referer: 'APP/page' },
      ],
      ['a non-browser client (no Origin, Referer or Sec-Fetch-*)', {}],
    ])('counts %s as activity', async (_name, template: Record<string, string>) => {
      await start();
      const jar = await signedInAndIdleFor(600);
      const headers = Object.fromEntries(
        Object.entries(template).map(([name, value]) => [name, value.replace('APP', app.origin)]),
      );
      expect((await send(app.origin, '/api/data', { headers }, jar)).status).toBe(200);
      expect((await getPing(jar)).json?.idleFor).toBe(0);
    });

    it.each(['/API/POLL', '/api/poll/', '/Events/Stream/'])(
      'does not count %s as activity when the rule names it in another case or without the slash',
      async (path) => {
        await start({ security: { passive: ['/api/poll', '/events/*'] } });
        const jar = await signedInAndIdleFor(600);
        // Whether the framework routes it (Express does, case-sensitive routers answer 404), the
        // request reaches the app as signed in and records nothing.
        expect([200, 404]).toContain(
          (await send(app.origin, path, { headers: SAME_ORIGIN_FETCH }, jar)).status,
        );
        expect((await getPing(jar)).json?.idleFor).toBe(600);
      },
    );

    it('writes activity at most once a second', async () => {
      await start();
      const jar = await signedInAndIdleFor(10);
      await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
      app.clock.advance(0.5);
      await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
      expect((await getPing(jar)).json?.idleFor).toBe(0.5);
    });

    it('starts a fresh clock when the app signs the same session in again', async () => {
      await start();
      const jar = await app.signIn();
      await getPing(jar);
      await send(app.origin, '/test/forget-user', { method: 'POST' }, jar);
      app.clock.advance(5000);
      await send(app.origin, '/test/sign-in-same-session', { method: 'POST' }, jar);
      const reply = await getPing(jar);
      expect(reply.status).toBe(200);
      expect(reply.json?.idleFor).toBe(0);
    });

    it('leaves anonymous requests untouched', async () => {
      await start({ security: { loginUrl: '/login' } });
      const reply = await send(app.origin, '/', { headers: NAVIGATE });
      expect(reply.status).toBe(200);
      expect(reply.text).toContain('anonymous');
      const cookies = reply.headers['set-cookie'] ?? [];
      if (harness.sessionForEveryVisitor) {
        // Only the plugin's own new session cookie: nothing cleared, nothing more.
        expect(cookies.length).toBeLessThanOrEqual(1);
        expect(cookies.join('\n')).not.toMatch(/expires=Thu, 01 Jan 1970|max-age=0/i);
      } else {
        expect(cookies).toEqual([]);
      }
    });
  });

  if (storeKind !== 'default') {
    describe('when the activity store fails', () => {
      /** The Redis store under test, failing as a stopped Redis does while `down.on` is set. */
      function failingStore() {
        const working = adapter.store();
        if (!working) throw new Error('no Redis store');
        const down = { on: false };
        const failure = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
        const store: ActivityStore = {
          touch: (...args) => (down.on ? failure() : working.touch(...args)),
          start: (...args) => (down.on ? failure() : working.start(...args)),
          end: (...args) => (down.on ? failure() : working.end(...args)),
          peek: (...args) => working.peek(...args),
        };
        return { store, down, working };
      }

      it('answers 503 to every signed-in request, never a 500, and resumes with the same cookie', async () => {
        const { store, down } = failingStore();
        await start({ security: { store, loginUrl: '/login' } });
        const jar = await signedInAndIdleFor(10);
        down.on = true;
        const page = await send(app.origin, '/', { headers: NAVIGATE }, jar);
        expect(page.status).toBe(503);
        expect(page.text).not.toContain('hello');
        expect((await getPing(jar)).status).toBe(503);
        expect((await postPing(jar, '{"sinceActivity":0}')).status).toBe(503);
        expect(app.appErrors).toEqual([]);
        expect(app.logger.errors.length).toBeGreaterThan(0);
        down.on = false;
        const back = await getPing(jar);
        expect(back.status).toBe(200);
        expect(back.json?.idleFor).toBe(10);
        expect((await send(app.origin, '/', { headers: NAVIGATE }, jar)).text).toContain(
          'hello ada',
        );
        // A sign-out during an outage answers 503, and holds once the store is back.
        down.on = true;
        const logout = await send(
          app.origin,
          '/session-security/logout',
          { method: 'POST', headers: SAME_ORIGIN_FETCH },
          jar.clone(),
        );
        expect(logout.status).toBe(503);
        down.on = false;
        expect((await getPing(jar.clone())).status).toBe(401);
        expect(app.appErrors).toEqual([]);
      });

      it('answers a sign-in whose start() the store failed 503 through the framework, with no 500 and nobody signed in', async () => {
        const { store, down } = failingStore();
        down.on = true;
        await start({ security: { store } });
        const jar = new CookieJar();
        const reply = await send(app.origin, '/test/sign-in?start=1', { method: 'POST' }, jar);
        expect(reply.status).toBe(503);
        expect(reply.text).not.toContain('ECONNREFUSED');
        down.on = false;
        expect((await getPing(jar)).status).toBe(401);
      });

      it('holds a sign-out the store could not record: a copy saved back meanwhile is refused, and the store records it once it answers', async () => {
        const { store, down, working } = failingStore();
        await start({ security: { store, loginUrl: '/login' } });
        const jar = await signedInAndIdleFor(10);
        const marker = String((await getPing(jar)).json?.session);
        const oldCookie = jar.clone();
        // A form post in flight across the sign-out: its copy of the session is saved back.
        const slow = await inFlightFormPost(app, jar, 'in+flight');
        down.on = true;
        const logout = await send(
          app.origin,
          '/session-security/logout',
          { method: 'POST', headers: SAME_ORIGIN_FETCH },
          jar,
        );
        expect(logout.status).toBe(503);
        slow.finish();
        expect((await slow.reply).status).toBe(200);
        down.on = false;
        // The store still holds the sign-in as live; this process knows better.
        const after = await getPing(oldCookie.clone());
        expect(after.status).toBe(401);
        expect(after.json?.status).toBe('anonymous');
        // Within about a second the held sign-out reaches the store, for every instance.
        await expect
          .poll(() => working.endedReason?.(marker), { timeout: 4000, interval: 200 })
          .toBe('logout');
      });
    });
  }

  describe('when the session store fails', () => {
    it('answers 503, never a 500 or a page, and keeps the same cookie signed in once it is back', async () => {
      const { state, fails } = faults('get', 'set', 'destroy');
      await start({ sessionStoreFails: fails, security: { loginUrl: '/login' } });
      const jar = await signedInAndIdleFor(10);
      state.on = true;
      const navigation = await send(app.origin, '/', { headers: NAVIGATE }, jar.clone());
      expect(navigation.status).toBe(503);
      expect(navigation.text).not.toContain('hello');
      const ping = await getPing(jar.clone());
      expect(ping.status).toBe(503);
      const data = await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar.clone());
      expect(data.status).toBe(503);
      expect(data.text).not.toContain('ada');
      expect(app.appErrors).toEqual([]);
      state.on = false;
      const back = await getPing(jar);
      expect(back.status).toBe(200);
      expect(back.json?.status).toBe('active');
      expect((await send(app.origin, '/', { headers: NAVIGATE }, jar)).text).toContain('hello ada');
    });

    it('answers 503 and keeps the session closed rather than letting an expired one through', async () => {
      const { state, fails } = faults('destroy');
      await start({ sessionStoreFails: fails, security: { loginUrl: '/login' } });
      const jar = await signedInAndIdleFor(900);
      state.on = true;
      const oldCookie = jar.clone();
      const navigation = await send(app.origin, '/', { headers: NAVIGATE }, jar);
      expect(navigation.status).toBe(503);
      expect(navigation.text).not.toContain('hello');
      // The old session could not be destroyed, but its cookie still opens nothing.
      const again = await send(app.origin, '/', { headers: NAVIGATE }, oldCookie.clone());
      expect([303, 503]).toContain(again.status);
      expect(again.text).not.toContain('hello');
      expect([401, 503]).toContain((await getPing(oldCookie.clone())).status);
      expect(app.appErrors).toEqual([]);
      state.on = false;
      const after = await getPing(oldCookie);
      expect(after.status).toBe(401);
      expect((await getPing(oldCookie)).json).toEqual({ status: 'anonymous' });
    });

    it('logs a save or touch of the session that fails once the answer has begun, and passes no error on', async () => {
      const { state, fails } = faults('set');
      await start({ sessionStoreFails: fails, security: { loginUrl: '/login' } });
      const jar = await signedInAndIdleFor(10);
      state.on = true;
      // The session is saved (activity in the session object) or touched (the Redis store)
      // after the app's answer: the request gets that answer or a 503, never a 500.
      const data = await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar.clone());
      expect([200, 503]).toContain(data.status);
      const page = await send(app.origin, '/', { headers: NAVIGATE }, jar.clone());
      expect([200, 503]).toContain(page.status);
      expect(app.appErrors).toEqual([]);
      state.on = false;
      expect((await getPing(jar)).json?.status).toBe('active');
    });

    it('holds a sign-out that the store failed to carry out: 503, and the sign-in stays ended', async () => {
      const { state, fails } = faults('destroy');
      await start({ sessionStoreFails: fails, security: { loginUrl: '/login' } });
      const jar = await signedInAndIdleFor(100);
      state.on = true;
      const logout = await send(
        app.origin,
        '/session-security/logout',
        { method: 'POST', headers: SAME_ORIGIN_FETCH },
        jar.clone(),
      );
      expect(logout.status).toBe(503);
      expect(app.appErrors).toEqual([]);
      state.on = false;
      // The session survived, its sign-in remembered as signed out: told once, then gone.
      expect((await getPing(jar)).json).toEqual({ status: 'anonymous', reason: 'logout' });
      expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
    });
  });
});

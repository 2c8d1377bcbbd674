// session-security/better-auth on a real better-auth 1.7 with its data in a real PostgreSQL (a
// private server: test/support/postgres-server.ts), served by the guide's app
// (examples/better-auth/app.ts) on loopback. session-security's clock is the test's; better-auth
// keeps its own (its sessions last 7 days, far beyond these tests).

import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import {
  LeaseRefusedError,
  SessionSecurityConfigError,
  type SessionSecurityEvent,
} from 'session-security';
import { sessionSecurity } from 'session-security/better-auth';
import { redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../examples/better-auth/app.js';
import { deferred } from '../support/deferred.js';
import {
  CookieJar,
  FakeClock,
  freePort,
  NAVIGATE,
  SAME_ORIGIN_FETCH,
  send,
} from '../support/http.js';
import { type PrivatePostgres, startPostgres } from '../support/postgres-server.js';
import { sleep } from '../support/sleep.js';
import { testRedisPort } from '../support/test-redis.js';

let postgres: PrivatePostgres;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await postgres?.stop();
});

type Options = Parameters<typeof createApp>[0];

/** The guide's app on a free port, its tables made, on the test's clock. */
async function startApp(
  options: Partial<Omit<Options, 'origin'>> = {},
  clock = new FakeClock(Date.now()),
) {
  const events: SessionSecurityEvent[] = [];
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const made = createApp({
    ...options,
    origin,
    databaseUrl: postgres.url,
    security: { clock, onEvent: (event) => void events.push(event), ...options.security },
  });
  await made.migrate();
  const server = serve({ fetch: made.app.fetch, port, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  expect((server.address() as AddressInfo).port).toBe(port);
  stops.push(async () => {
    await new Promise((resolve) => server.close(resolve));
    await made.pool.end().catch(() => undefined);
  });
  let users = 0;
  const app = {
    ...made,
    clock,
    events,
    origin,
    /** GET as a browser's navigation, or as the page's fetch. */
    page: (jar: CookieJar, path = '/') => send(origin, path, { headers: NAVIGATE }, jar),
    poll: (jar: CookieJar) =>
      send(origin, '/api/auth/get-session', { headers: SAME_ORIGIN_FETCH }, jar),
    /** Signs a user in through the login form; a new user unless `email` is given. */
    async signIn(email = `user${++users}-${port}@example.com`) {
      const jar = new CookieJar();
      const form = `email=${encodeURIComponent(email)}&password=correct+horse+battery&next=%2F`;
      const reply = await send(
        origin,
        '/login',
        {
          method: 'POST',
          headers: {
            ...NAVIGATE,
            origin,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: form,
        },
        jar,
      );
      expect(reply.status).toBe(303);
      expect(reply.headers.location).toBe('/');
      return { jar, email };
    },
    /** better-auth's session rows of the database, with the plugin's column. */
    async rows() {
      const result = await made.pool.query<{
        id: string;
        userId: string;
        sessionSecurity: string | null;
      }>('select id, "userId", "sessionSecurity" from session');
      return result.rows;
    },
    /** A Request of the app's, with this browser's cookies (for the app's own calls). */
    request: (jar: CookieJar, path = '/') =>
      new Request(`${origin}${path}`, {
        headers: { ...SAME_ORIGIN_FETCH, cookie: jar.header() ?? '' },
      }),
  };
  return app;
}

type App = Awaited<ReturnType<typeof startApp>>;

/** The marker the page's client config carries. */
function markerOf(html: string): string | undefined {
  return /"session":"([^"]+)"/.exec(html)?.[1];
}

describe('session-security/better-auth on better-auth with PostgreSQL', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp();
  }, 60_000);

  it("starts the sign-in's clock at sign-in, in better-auth's session table", async () => {
    const { jar } = await app.signIn();
    const page = await app.page(jar);
    expect(page.status).toBe(200);
    const marker = markerOf(page.text);
    expect(marker).toBeDefined();
    const rows = await app.rows();
    expect(rows.some((row) => row.sessionSecurity?.includes(marker ?? 'none'))).toBe(true);
    // The client's routes are under better-auth's base path.
    expect(page.text).toContain('"pingUrl":"/api/auth/session-security/ping"');
  });

  it("keeps nothing alive by better-auth's own session reads, and tells the reason", async () => {
    const { jar } = await app.signIn();
    for (let i = 0; i < 14; i++) {
      app.clock.advance(60);
      const poll = await app.poll(jar);
      expect(poll.status).toBe(200);
      expect(poll.json?.session).toBeDefined();
    }
    app.clock.advance(61); // 901 s after the sign-in, its only activity
    const ended = await app.poll(jar);
    expect(ended.status).toBe(200);
    expect(ended.text).toBe('null');
    expect(ended.headers['x-session-security-ended']).toBe('idle');
    expect(app.events.at(-1)).toMatchObject({ type: 'expired', reason: 'idle' });
    // The app's own read, better-auth's auth.api.getSession, is told the same.
    const read = await app.auth.api.getSession({ headers: app.request(jar).headers });
    expect(read).toBeNull();
    expect(jar.header() ?? '').not.toContain('session_token');
  });

  it("refuses an ended sign-in to the app's own auth.api.getSession, which counts as no activity", async () => {
    const { jar } = await app.signIn();
    for (let i = 0; i < 3; i++) {
      app.clock.advance(299); // reads at 299, 598 and 897 s: none moves the clock
      const read = await app.auth.api.getSession({ headers: app.request(jar).headers });
      expect(read?.session).toBeDefined();
    }
    app.clock.advance(3); // 900 s after the sign-in, its only activity
    expect(await app.auth.api.getSession({ headers: app.request(jar).headers })).toBeNull();
    expect(app.events.at(-1)).toMatchObject({ type: 'expired', reason: 'idle' });
  });

  it('refuses a better-auth that keeps its sessions outside the database', async () => {
    const { betterAuth } = await import('better-auth');
    const store = new Map<string, string>();
    const auth = betterAuth({
      database: app.pool,
      secret: 'a secret of at least 32 characters for this test',
      baseURL: app.origin,
      secondaryStorage: {
        get: async (key) => store.get(key) ?? null,
        set: async (key, value) => void store.set(key, value),
        delete: async (key) => void store.delete(key),
        getAndDelete: async (key) => {
          const value = store.get(key) ?? null;
          store.delete(key);
          return value;
        },
        increment: async (key) => {
          const value = Number(store.get(key) ?? 0) + 1;
          store.set(key, String(value));
          return value;
        },
      },
      plugins: [sessionSecurity()],
    });
    await expect(auth.$context).rejects.toThrow(/storeSessionInDatabase/);
  });

  it('counts page loads as activity, and sends an expired page load to the login page with its reason', async () => {
    const { jar } = await app.signIn();
    app.clock.advance(800);
    expect((await app.page(jar)).status).toBe(200);
    app.clock.advance(800); // 1,600 s after sign-in, 800 after the page load
    expect((await app.page(jar)).status).toBe(200);
    const before = (await app.rows()).length;
    app.clock.advance(901);
    const expired = await app.page(jar, '/?tab=2');
    expect(expired.status).toBe(303);
    expect(expired.headers.location).toBe('/login?next=%2F%3Ftab%3D2&reason=idle');
    // better-auth's session is gone with it.
    expect((await app.rows()).length).toBe(before - 1);
    expect((await app.poll(jar)).text).toBe('null');
  });

  it('requireRecentSignIn(request, maxAge): undefined for a recent sign-in, the answer to send for an older one', async () => {
    const { jar } = await app.signIn();
    app.clock.advance(30);
    expect(
      await app.security.requireRecentSignIn(app.request(jar, '/password'), 60),
    ).toBeUndefined();
    app.clock.advance(31);
    // The page's fetch: 401 reauth, which the client's fetch asks again for in place.
    const fetched = await app.security.requireRecentSignIn(app.request(jar, '/password'), 60);
    expect(fetched?.status).toBe(401);
    expect(fetched?.headers.get('x-session-security')).toBe('reauth');
    expect(await fetched?.json()).toMatchObject({ status: 'reauth', maxAge: 60 });
    // A page load: to the login page, to sign in again and come back.
    const page = new Request(`${app.origin}/password`, {
      headers: { ...NAVIGATE, cookie: jar.header() ?? '' },
    });
    const navigated = await app.security.requireRecentSignIn(page, 60);
    expect(navigated?.status).toBe(303);
    expect(navigated?.headers.get('location')).toBe('/login?next=%2Fpassword&reason=reauth');
    // Asking ends nothing: the sign-in lives on.
    expect((await app.page(jar)).status).toBe(200);
  });

  it('ends a sign-in at the absolute timeout, however active', async () => {
    const { jar } = await app.signIn();
    for (let elapsed = 0; elapsed + 800 < 8 * 3600; elapsed += 800) {
      app.clock.advance(800);
      expect((await app.page(jar)).status).toBe(200);
    }
    app.clock.advance(800);
    const expired = await app.page(jar);
    expect(expired.status).toBe(303);
    expect(expired.headers.location).toBe('/login?next=%2F&reason=absolute');
  });

  it("answers the client's ping under better-auth's base path, and refuses another origin's", async () => {
    const { jar } = await app.signIn();
    app.clock.advance(600);
    const ping = (origin: string) =>
      send(
        app.origin,
        '/api/auth/session-security/ping',
        {
          method: 'POST',
          headers: { ...SAME_ORIGIN_FETCH, origin, 'content-type': 'application/json' },
          body: JSON.stringify({ sinceActivity: 0 }),
        },
        jar,
      );
    const refused = await ping('https://elsewhere.example');
    expect(refused.status).toBe(403);
    const answered = await ping(app.origin);
    expect(answered.status).toBe(200);
    expect(answered.json).toMatchObject({ status: 'active' });
    // The ping's activity (the person's input) keeps the sign-in: 600 + 800 s after sign-in.
    app.clock.advance(800);
    expect((await app.page(jar)).status).toBe(200);
  });

  it('refuses a forged or tampered session cookie as anonymous', async () => {
    const { jar } = await app.signIn();
    const cookie = jar.cookies.get('better-auth.session_token') ?? '';
    const [token = '', signature = ''] = decodeURIComponent(cookie).split('.');
    for (const forged of [
      `${token}x.${signature}`,
      `${token}.${'A'.repeat(43)}=`,
      token,
      `${token}.${signature}`.replace(/.$/, ''),
    ]) {
      const copy = new CookieJar();
      copy.cookies.set('better-auth.session_token', encodeURIComponent(forged));
      const page = await app.page(copy);
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/login?next=%2F');
    }
  });

  it('maps its list of sign-ins and "sign out everywhere else" onto better-auth\'s sessions', async () => {
    const { jar: first, email } = await app.signIn();
    const { jar: second } = await app.signIn(email);
    const listed = await app.security.signIns.list(app.request(first));
    expect(listed).toHaveLength(2);
    expect(listed.filter((item) => item.current)).toHaveLength(1);
    const ended = await app.security.signIns.endAll(app.request(first), { keepCurrent: true });
    expect(ended).toBe(1);
    // better-auth's own list agrees: one session left, the current one.
    const theirs = await send(
      app.origin,
      '/api/auth/list-sessions',
      { headers: SAME_ORIGIN_FETCH },
      first,
    );
    expect(theirs.status).toBe(200);
    expect(JSON.parse(theirs.text)).toHaveLength(1);
    expect((await app.page(second)).status).toBe(303);
    expect((await app.page(first)).status).toBe(200);
  });

  it('refuses the options better-auth answers itself', () => {
    for (const name of ['isAuthenticated', 'userId', 'logout']) {
      expect(() => sessionSecurity({ [name]: () => true } as never)).toThrow(
        SessionSecurityConfigError,
      );
    }
  });
});

describe("with better-auth's cookie cache (a signed copy of the session in a cookie)", () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({ session: { cookieCache: { enabled: true, maxAge: 3600 } } });
  }, 60_000);

  it('makes sign-out final: a copy of the cookies taken before it is refused', async () => {
    const { jar } = await app.signIn();
    expect((await app.poll(jar)).json?.session).toBeDefined();
    expect(jar.cookies.has('better-auth.session_data')).toBe(true);
    const copy = jar.clone();
    const out = await send(
      app.origin,
      '/logout',
      { method: 'POST', headers: { ...NAVIGATE, origin: app.origin } },
      jar,
    );
    expect(out.status).toBe(303);
    expect(app.events.at(-1)).toMatchObject({ type: 'signed-out', how: 'logout' });
    // better-auth alone would answer the copy from its cookie cache for up to an hour.
    const replayed = await app.poll(copy);
    expect(replayed.text).toBe('null');
    expect((await app.page(copy)).status).toBe(303);
  });

  it("ends in session-security the sessions better-auth revokes (another device's)", async () => {
    const { jar: first, email } = await app.signIn();
    const { jar: second } = await app.signIn(email);
    expect((await app.poll(second)).json?.session).toBeDefined();
    const revoked = await send(
      app.origin,
      '/api/auth/revoke-other-sessions',
      {
        method: 'POST',
        headers: { ...SAME_ORIGIN_FETCH, origin: app.origin, 'content-type': 'application/json' },
        body: '{}',
      },
      first,
    );
    expect(revoked.status).toBe(200);
    expect(app.events.at(-1)).toMatchObject({ type: 'signed-out', how: 'revoked' });
    const replayed = await app.poll(second);
    expect(replayed.text).toBe('null');
    expect(replayed.headers['x-session-security-ended']).toBeUndefined();
    expect((await app.page(second)).status).toBe(303);
    expect((await app.page(first)).status).toBe(200);
  });
});

describe('when the database fails', () => {
  it('answers 503, never lets the request on as anonymous', async () => {
    const app = await startApp();
    const { jar } = await app.signIn();
    expect((await app.page(jar)).status).toBe(200);
    await app.pool.end();
    const page = await app.page(jar);
    expect(page.status).toBe(503);
  });
});

describe('with the Redis store, on two instances of the app', () => {
  it("keeps each sign-in's clock in Redis: activity on one instance counts on the other, and a sign-out on one is final on both", async () => {
    const client = new Redis({ host: '127.0.0.1', port: testRedisPort() });
    stops.push(async () => void (await client.quit()));
    const clock = new FakeClock(Date.now());
    const prefix = `ba-${Date.now()}:`;
    const store = () =>
      redisStore({
        client,
        prefix,
        now: () => clock.now(),
        logger: { warn: () => {}, error: () => {} },
      });
    const one = await startApp({ security: { store: store() } }, clock);
    const two = await startApp({ security: { store: store() } }, clock);
    const { jar } = await one.signIn();
    // The same browser on the other instance (the same database, another origin for the test).
    const copy = jar.clone();
    // better-auth's row holds the marker only; the clock is in Redis.
    const [row] = (await one.rows()).filter((r) => r.sessionSecurity?.includes('"until"'));
    expect(row?.sessionSecurity).toMatch(/"id":/);
    one.clock.advance(800);
    expect((await two.page(copy)).status).toBe(200); // activity on the second instance
    one.clock.advance(800); // 1,600 s after sign-in: alive on the first by the second's activity
    expect((await one.page(jar)).status).toBe(200);
    const out = await send(
      one.origin,
      '/logout',
      { method: 'POST', headers: { ...NAVIGATE, origin: one.origin } },
      jar,
    );
    expect(out.status).toBe(303);
    expect((await two.poll(copy)).text).toBe('null');
    expect((await two.page(copy)).status).toBe(303);
  });
});

describe('the example, started by its one command', () => {
  it('npm run example:better-auth makes its tables and serves the app on PORT', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const output: string[] = [];
    const child = spawn('npm', ['run', '--silent', 'example:better-auth'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, PORT: String(port), DATABASE_URL: postgres.url },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: npm, then tsx
    });
    child.stdout?.on('data', (chunk) => output.push(String(chunk)));
    child.stderr?.on('data', (chunk) => output.push(String(chunk)));
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`it exited:\n${output.join('')}`);
        const answer = await fetch(`${origin}/login`).catch(() => undefined);
        if (answer?.status === 200) break;
        if (Date.now() > deadline) throw new Error(`it did not answer:\n${output.join('')}`);
        await sleep(200);
      }
      const jar = new CookieJar();
      const signedIn = await send(
        origin,
        '/login',
        {
          method: 'POST',
          headers: { ...NAVIGATE, origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: `email=one-command-${port}%40example.com&password=correct+horse+battery&next=%2F`,
        },
        jar,
      );
      expect(signedIn.status).toBe(303);
      const page = await send(origin, '/', { headers: NAVIGATE }, jar);
      expect(page.status).toBe(200);
      expect(page.text).toContain('"pingUrl":"/api/auth/session-security/ping"');
    } finally {
      if (child.pid !== undefined && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-child.pid, 'SIGTERM');
        await Promise.race([exited, sleep(5000)]);
      }
    }
  }, 90_000);
});

describe("security.hold(request, work, options) on better-auth's sessions", () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp();
  }, 60_000);

  /** Work the test settles by hand. */

  it('keeps the sign-in alive past expireAfter while the work runs, and idle time counts from its end', async () => {
    const { jar } = await app.signIn();
    const work = deferred<string>();
    const held = app.security.hold(app.request(jar, '/reports'), work.promise, {
      maxSeconds: 3600,
      label: 'report',
    });
    await expect.poll(() => app.events.some((event) => event.type === 'lease-held')).toBe(true);
    app.clock.advance(2000); // past expireAfter (900 s); better-auth's reads keep nothing alive
    expect((await app.poll(jar)).json?.session).toBeDefined();
    work.resolve('done');
    expect(await held).toBe('done');
    expect(app.events.find((event) => event.type === 'lease-ended')).toMatchObject({
      how: 'settled',
      label: 'report',
      seconds: 2000,
    });
    app.clock.advance(899);
    expect((await app.poll(jar)).json?.session).toBeDefined();
    app.clock.advance(1); // 900 s after the work settled
    const ended = await app.poll(jar);
    expect(ended.text).toBe('null');
    expect(ended.headers['x-session-security-ended']).toBe('idle');
  });

  it('rejects an anonymous request with a 401 LeaseRefusedError, and calls no work', async () => {
    const anonymous = new Request(`${app.origin}/reports`, { headers: SAME_ORIGIN_FETCH });
    let called = false;
    const work = async () => {
      called = true;
      return 'done';
    };
    const refused = await app.security
      .hold(anonymous, work, { maxSeconds: 60 })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LeaseRefusedError);
    expect(refused).toMatchObject({ reason: 'no-sign-in', status: 401 });
    expect(called).toBe(false);
  });
});

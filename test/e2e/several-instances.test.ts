// Several instances behind a load balancer behave as one (README "Several instances: the Redis
// store"): two demo processes sharing Redis (sessions through connect-redis, sign-in clocks
// through session-security/redis), nginx in front of them, round-robin. Every answer through
// nginx says which instance gave it (X-Upstream), and the tests check that consecutive requests
// really alternate, so each claim below is about two processes, not one.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  CookieJar,
  NAVIGATE,
  type Reply,
  SAME_ORIGIN_FETCH,
  send,
  sendSlowly,
} from '../support/http.js';
import { sleep } from '../support/sleep.js';
import { testRedisUrl } from '../support/test-redis.js';
import {
  type DemoInstance,
  type Nginx,
  startDemoProcess,
  startNginx,
  UPSTREAM_HEADER,
} from './several-instances-support.js';
import { launchChromium, openTab, signIn } from './support.js';

/** Seconds: short real timeouts, a 3 s warning window. */
const WARN_AFTER = 3;
const EXPIRE_AFTER = 6;
const WARN_MS = WARN_AFTER * 1000;
const EXPIRE_MS = EXPIRE_AFTER * 1000;
/** Slack for a loaded 2-core machine on anything that should happen "at" a deadline. */
const LATE_MS = 2500;
/** How often the "user" presses a key: faster than the client records input (once a second). */
const KEY_EVERY_MS = 700;
/** What a page loads besides itself: the answers that carry no session decision. */
const STATIC_ASSET = /^\/(favicon\.ico|demo\.css|session-security\/client\.(js|css))$/;
const REDIS_URL = testRedisUrl();
/** The demo's fixed Redis prefixes: the test deletes only the keys of the sign-ins it made. */
const SESSION_PREFIX = 'session-security-demo:';
const CLOCK_PREFIX = 'session-security-demo:clock:';

interface SessionJson {
  sessionSecurity?: { id?: string };
}

let a: DemoInstance;
let b: DemoInstance;
let nginx: Nginx;
/** Redis keys created by this run's sign-ins, deleted at the end. */
const createdKeys = new Set<string>();

beforeAll(async () => {
  const env = {
    EXPIRE_AFTER,
    WARN_AFTER,
    SESSION_SECRET: `several-instances ${process.pid} ${Date.now()}`,
    REDIS_URL,
    TRUST_PROXY: '1',
  };
  const started = await Promise.allSettled([startDemoProcess(env), startDemoProcess(env)]);
  const [first, second] = started;
  if (first.status === 'rejected' || second.status === 'rejected') {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    throw first.status === 'rejected' ? first.reason : (second as PromiseRejectedResult).reason;
  }
  a = first.value;
  b = second.value;
  nginx = await startNginx([a.address, b.address]);
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
  if (createdKeys.size > 0) {
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    // A session still stored names its sign-in's clock (a run that failed early may not have).
    for (const key of [...createdKeys].filter((k) => !k.startsWith(CLOCK_PREFIX))) {
      const stored = await client.get(key);
      const marker = stored ? (JSON.parse(stored) as SessionJson).sessionSecurity?.id : undefined;
      if (marker) createdKeys.add(`${CLOCK_PREFIX}${marker}`);
    }
    await client.del([...createdKeys]);
    await client.quit();
  }
}, 20_000);

/** Which instance gave an answer through nginx: 'A' or 'B', and nothing else (no retry, no mix). */
function instanceOf(headers: Record<string, string | string[] | undefined>): 'A' | 'B' {
  const upstream = headers[UPSTREAM_HEADER];
  if (upstream === a.address) return 'A';
  if (upstream === b.address) return 'B';
  throw new Error(
    `${UPSTREAM_HEADER}: ${JSON.stringify(upstream)} names neither ${a.address} nor ${b.address}`,
  );
}

const other = (instance: 'A' | 'B') => (instance === 'A' ? 'B' : 'A');

type Answer = Reply & { instance: 'A' | 'B'; sentAt: number; receivedAt: number };

/** One request through nginx; the answer says which instance gave it. */
async function viaNginx(
  path: string,
  options: Parameters<typeof send>[2],
  jar: CookieJar,
): Promise<Answer> {
  const sentAt = Date.now();
  const reply = await send(nginx.origin, path, options, jar);
  return { ...reply, instance: instanceOf(reply.headers), sentAt, receivedAt: Date.now() };
}

/** `GET /session-security/ping` as the page's client sends it: reads, never extends. */
const readPing = (jar: CookieJar) =>
  viaNginx('/session-security/ping', { headers: { ...SAME_ORIGIN_FETCH } }, jar);

/** `POST /session-security/ping`: the browser saw input `sinceActivity` seconds ago. */
const reportInput = (jar: CookieJar, sinceActivity: number) =>
  viaNginx(
    '/session-security/ping',
    {
      method: 'POST',
      headers: { ...SAME_ORIGIN_FETCH, origin: nginx.origin, 'content-type': 'application/json' },
      body: JSON.stringify({ sinceActivity }),
    },
    jar,
  );

/** A page load the user makes on the site. */
const loadPage = (jar: CookieJar, path: string) =>
  viaNginx(path, { headers: { ...NAVIGATE } }, jar);

/** The session id in the demo's cookie (`s:<id>.<signature>`). */
function sessionIdOf(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  return /^s:(.+)\.[^.]+$/.exec(decodeURIComponent(cookie))?.[1];
}

/** Notes the Redis keys of a sign-in, to delete them after the run. */
function remember(sessionCookie: string | undefined, marker: unknown): void {
  const sid = sessionIdOf(sessionCookie);
  if (sid) createdKeys.add(`${SESSION_PREFIX}${sid}`);
  if (typeof marker === 'string' && marker !== '') createdKeys.add(`${CLOCK_PREFIX}${marker}`);
}

/** Signs in through the demo's form via nginx; returns when it did (the sign-in's clock starts in between). */
async function signInOverHttp(jar: CookieJar): Promise<{ sentAt: number; receivedAt: number }> {
  const form = await loadPage(jar, '/login?next=%2F');
  expect(form.status).toBe(200);
  expect(form.text).toContain('name="username"');
  const answer = await viaNginx(
    '/login',
    {
      method: 'POST',
      headers: {
        ...NAVIGATE,
        origin: nginx.origin,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'username=demo&password=demo&next=%2F',
    },
    jar,
  );
  expect(answer.status).toBe(303);
  expect(answer.headers.location).toBe('/');
  expect(jar.cookies.get('demo.sid')).toBeDefined();
  remember(jar.cookies.get('demo.sid'), undefined);
  return { sentAt: answer.sentAt, receivedAt: answer.receivedAt };
}

/** The next request through nginx goes to `instance`: send harmless reads until the last went to the other. */
async function steerTo(instance: 'A' | 'B', jar: CookieJar): Promise<void> {
  for (let i = 0; i < 3; i++) {
    if ((await readPing(jar)).instance === other(instance)) return;
  }
  throw new Error('nginx does not alternate between the instances');
}

describe('two demo processes behind nginx, over HTTP', () => {
  it('nginx alternates between the two instances, and both report one signed-in session with one idle clock', async () => {
    const jar = new CookieJar();
    const signedIn = await signInOverHttp(jar);
    const page = await loadPage(jar, '/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('session-security-config');

    const pings: Answer[] = [];
    for (let i = 0; i < 8; i++) {
      pings.push(await readPing(jar));
      await sleep(250);
    }
    const instances = pings.map((p) => p.instance);
    console.log(
      `[several instances] pings answered by ${instances.join(' ')}, idleFor ${pings.map((p) => p.json?.idleFor).join(' ')}`,
    );
    // Round-robin really alternates: every ping went to the other instance than the one before.
    expect(new Set(instances)).toEqual(new Set(['A', 'B']));
    for (let i = 1; i < instances.length; i++) expect(instances[i]).not.toBe(instances[i - 1]);

    for (const ping of pings) {
      expect(ping.status).toBe(200);
      expect(ping.json).toMatchObject({
        status: 'active',
        expireAfter: EXPIRE_AFTER,
        warnAfter: WARN_AFTER,
      });
    }
    const markers = new Set(pings.map((p) => p.json?.session));
    expect(markers.size).toBe(1);
    const [marker] = markers;
    expect(typeof marker).toBe('string');
    remember(jar.cookies.get('demo.sid'), marker);

    // One clock: each idle time lies between what the wall clock allows since the sign-in
    // (the page load may have moved it, never past its own answer), whichever instance said it,
    // and from one ping to the next it grows by the time in between (GET never extends).
    // Each instance times what it answered from its copy by its estimate of Redis's clock, off
    // by at most half its quickest recent round trip to Redis (src/stores/redis.ts, learnClock):
    // 80 ms allow for the round trips of a loaded machine.
    const idle = pings.map((p) => Number(p.json?.idleFor));
    const slackS = 0.08;
    for (const [i, ping] of pings.entries()) {
      const idleFor = idle[i] ?? Number.NaN;
      expect(idleFor).toBeLessThanOrEqual((ping.receivedAt - signedIn.sentAt) / 1000 + slackS);
      expect(idleFor).toBeGreaterThanOrEqual((ping.sentAt - page.receivedAt) / 1000 - slackS);
      expect(Number(ping.json?.expireIn)).toBeCloseTo(EXPIRE_AFTER - idleFor, 2);
    }
    for (let i = 1; i < pings.length; i++) {
      const grew = (idle[i] ?? 0) - (idle[i - 1] ?? 0);
      const before = pings[i - 1] as Answer;
      const now = pings[i] as Answer;
      expect(grew).toBeGreaterThanOrEqual((now.sentAt - before.receivedAt) / 1000 - slackS);
      expect(grew).toBeLessThanOrEqual((now.receivedAt - before.sentAt) / 1000 + slackS);
    }
  });

  it('input reported through one instance (POST ping) is seen by the other (GET ping shows idleFor near 0)', async () => {
    const jar = new CookieJar();
    await signInOverHttp(jar);
    for (let round = 0; round < 2; round++) {
      // Activity is written at most once a second: let the idle time grow first.
      await sleep(1600);
      const before = await readPing(jar);
      expect(before.status).toBe(200);
      expect(Number(before.json?.idleFor)).toBeGreaterThan(1.4);
      remember(jar.cookies.get('demo.sid'), before.json?.session);

      const input = await reportInput(jar, 0);
      expect(input.instance).toBe(other(before.instance));
      expect(input.status).toBe(200);
      expect(Number(input.json?.idleFor)).toBeLessThan(0.3);

      const seen = await readPing(jar);
      expect(seen.instance).toBe(other(input.instance));
      expect(seen.status).toBe(200);
      expect(seen.json?.session).toBe(before.json?.session);
      // No older than the report itself, by the wall clock.
      expect(Number(seen.json?.idleFor)).toBeLessThanOrEqual(
        (seen.receivedAt - input.sentAt) / 1000 + 0.05,
      );
      console.log(
        `[several instances] input reported through ${input.instance}; ${seen.instance} then reports idleFor ${seen.json?.idleFor} (was ${before.json?.idleFor})`,
      );
    }
  });

  it('an expiry found through one instance is an expiry through the other: no page, no ping, no input revives it', async () => {
    const jar = new CookieJar();
    const signedIn = await signInOverHttp(jar);
    const first = await readPing(jar);
    expect(first.status).toBe(200);
    remember(jar.cookies.get('demo.sid'), first.json?.session);
    const oldCookie = jar.clone();

    await sleep(signedIn.receivedAt + EXPIRE_MS + 300 - Date.now());
    // The first request after the deadline, a page load, finds the expiry on one instance…
    const found = await loadPage(jar.clone(), '/');
    expect(found.status).toBe(303);
    expect(found.headers.location).toBe('/login?next=%2F&reason=idle');

    // …and the other instance agrees: input reported there does not bring the sign-in back,
    const input = await reportInput(oldCookie.clone(), 0);
    expect(input.instance).toBe(other(found.instance));
    expect(input.status).toBe(401);
    // nor does a page load there or anywhere after it.
    const answers = [input];
    for (let i = 0; i < 2; i++) {
      const page = await loadPage(oldCookie.clone(), '/');
      expect(page.status).toBe(303);
      expect(page.headers.location).toMatch(/^\/login\?next=%2F/);
      const ping = await readPing(oldCookie.clone());
      expect(ping.status).toBe(401);
      answers.push(page, ping);
    }
    expect(new Set(answers.map((x) => x.instance))).toEqual(new Set(['A', 'B']));
    console.log(
      `[several instances] expiry found through ${found.instance}; then ${answers.map((x) => `${x.instance} ${x.status} ${x.json?.status ?? x.headers.location}`).join(', ')}`,
    );
    // The instance that found it destroyed the session in Redis: to both, the cookie is anonymous.
    for (const x of answers.filter((y) => y.json)) expect(x.json?.status).toBe('anonymous');
  });

  it('a sign-out through one instance signs the session out on the other, even with a slow form post in flight there', async () => {
    const jar = new CookieJar();
    await signInOverHttp(jar);
    const loaded = await loadPage(jar, '/form');
    expect(loaded.status).toBe(200);
    await sleep(1300);
    const idle = await readPing(jar);
    expect(Number(idle.json?.idleFor)).toBeGreaterThan(1.1);
    remember(jar.cookies.get('demo.sid'), idle.json?.session);
    const signedInCookie = jar.clone();

    // A form post to instance B directly, with the headers nginx would pass, whose body arrives
    // slowly: B has run the middleware (and recorded the page's activity) and waits for the rest.
    const nginxHost = new URL(nginx.origin).host;
    const slowJar = jar.clone();
    const slow = sendSlowly(
      b.origin,
      '/form',
      {
        method: 'POST',
        headers: {
          ...NAVIGATE,
          host: nginxHost,
          origin: nginx.origin,
          referer: `${nginx.origin}/form`,
          'x-forwarded-proto': 'http',
          'x-forwarded-for': '127.0.0.1',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `note=${'slow+upload+'.repeat(40)}`,
      },
      slowJar,
    );
    // Proof that B has it in flight: the idle time B's middleware reset is seen through nginx.
    const deadline = Date.now() + 5000;
    let reset: Answer | undefined;
    let previousIdle = Number(idle.json?.idleFor);
    while (Date.now() < deadline) {
      const ping = await readPing(jar);
      expect(ping.status).toBe(200);
      // GET never extends: an idle time that went down was reset by the post's middleware.
      const idleFor = Number(ping.json?.idleFor);
      if (idleFor < previousIdle) {
        reset = ping;
        break;
      }
      previousIdle = idleFor;
      await sleep(50);
    }
    expect(reset, 'the slow form post did not reach instance B').toBeDefined();

    // The user signs out through nginx, which sends it to A.
    await steerTo('A', jar);
    const signOut = await viaNginx(
      '/logout',
      {
        method: 'POST',
        headers: {
          ...NAVIGATE,
          origin: nginx.origin,
          referer: `${nginx.origin}/form`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: '',
      },
      jar,
    );
    expect(signOut.instance).toBe('A');
    expect(signOut.status).toBe(303);
    expect(signOut.headers.location).toBe('/login');
    expect(jar.cookies.get('demo.sid')).toBeUndefined();

    // Signed out on both while the post is still in flight on B.
    const during = [await readPing(signedInCookie.clone()), await readPing(signedInCookie.clone())];
    expect(during.map((x) => x.status)).toEqual([401, 401]);
    expect(new Set(during.map((x) => x.instance))).toEqual(new Set(['A', 'B']));

    // The post ends on B; whatever it answers, it cannot sign the session back in.
    slow.finish();
    const finished = await slow.reply;
    console.log(
      `[several instances] the slow form post in flight on B across the sign-out on A answered ${finished.status}${finished.headers['set-cookie'] ? ' with a cookie' : ''}`,
    );
    expect(finished.status).toBeLessThan(500);
    for (const cookie of [signedInCookie, slowJar]) {
      const after: Answer[] = [];
      for (let i = 0; i < 2; i++) {
        const ping = await readPing(cookie.clone());
        expect(ping.status).toBe(401);
        expect(['anonymous', 'expired']).toContain(ping.json?.status);
        const input = await reportInput(cookie.clone(), 0);
        expect(input.status).toBe(401);
        const page = await loadPage(cookie.clone(), '/form');
        expect(page.status).toBe(303);
        expect(page.headers.location).toMatch(/^\/login\?next=%2Fform/);
        after.push(ping, input, page);
      }
      expect(new Set(after.map((x) => x.instance))).toEqual(new Set(['A', 'B']));
      console.log(
        `[several instances] after the sign-out and the post, ${cookie === slowJar ? "the post's cookie" : 'the old cookie'} gets ${after.map((x) => `${x.instance} ${x.status} ${x.json?.status ?? x.headers.location}`).join(', ')}`,
      );
    }
  });
});

describe('a real Chromium whose requests alternate between the instances', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** A fresh browser whose every answer (pages, assets, pings) is noted with its instance. */
  async function newBrowser() {
    const context = await browser.newContext();
    const answers: { path: string; method: string; instance: 'A' | 'B' }[] = [];
    context.on('response', (response) => {
      const url = new URL(response.url());
      if (url.origin !== nginx.origin) return;
      answers.push({
        path: url.pathname,
        method: response.request().method(),
        instance: instanceOf(response.headers()),
      });
    });
    onTestFinished(async () => {
      await rememberCookies(context);
      await context.close();
    });
    return { context, answers };
  }

  async function rememberCookies(context: BrowserContext): Promise<void> {
    for (const cookie of await context.cookies()) {
      if (cookie.name === 'demo.sid') remember(cookie.value, undefined);
    }
  }

  /** The server's view of the session with the browser's cookies, through nginx (GET never extends). */
  async function serverStatus(context: BrowserContext) {
    const response = await context.request.get(`${nginx.origin}/session-security/ping`);
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status() === 200) remember(undefined, body.session);
    return { status: response.status(), body, instance: instanceOf(response.headers()) };
  }

  async function warningShown(page: Page): Promise<boolean> {
    return (await page.locator('dialog[open]').count()) > 0;
  }

  it('one tab warns at warnAfter, "Stay signed in" resets the idle time on both instances, and without input it reaches the login page with reason=idle after expireAfter', async () => {
    const { context, answers } = await newBrowser();
    const page = await context.newPage();
    const signingInAt = Date.now();
    await signIn(page, nginx.origin, '/');
    await rememberCookies(context);
    await page.evaluate(() => {
      const w = window as Window & { __warnedAt?: number[] };
      w.__warnedAt = [];
      w.sessionSecurity?.addEventListener('warn', () => w.__warnedAt?.push(Date.now()));
    });

    // No warning before warnAfter.
    await sleep(signingInAt + WARN_MS - 600 - Date.now());
    expect(await warningShown(page)).toBe(false);
    expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('active');

    // The warning at warnAfter.
    await page.waitForSelector('dialog[open]', { timeout: WARN_MS + LATE_MS });
    const [warnedAt] = await page.evaluate(
      () => (window as Window & { __warnedAt?: number[] }).__warnedAt ?? [],
    );
    expect(Number(warnedAt)).toBeGreaterThanOrEqual(signingInAt + WARN_MS - 100);
    const before = await serverStatus(context);
    expect(before.status).toBe(200);
    expect(Number(before.body.idleFor)).toBeGreaterThan(WARN_AFTER - 0.5);

    // "Stay signed in" extends: the server's idle time is back near 0, whichever instance says it.
    const extended = page.waitForResponse(
      (r) => r.url().endsWith('/session-security/ping') && r.request().method() === 'POST',
    );
    const extendedAt = Date.now();
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    expect((await extended).status()).toBe(200);
    await page.waitForSelector('dialog[open]', { state: 'detached', timeout: 1000 });
    expect(await warningShown(page)).toBe(false);
    const after = [await serverStatus(context), await serverStatus(context)];
    for (const status of after) {
      expect(status.status).toBe(200);
      expect(Number(status.body.idleFor)).toBeLessThan(1);
      expect(status.body.session).toBe(before.body.session);
    }

    // No input: the login page with reason=idle after expireAfter, not before.
    await page.waitForURL(/\/login\?/, { timeout: EXPIRE_MS + LATE_MS });
    const expiredAt = Date.now();
    expect(page.url()).toBe(`${nginx.origin}/login?next=%2F&reason=idle`);
    expect(expiredAt - extendedAt).toBeGreaterThanOrEqual(EXPIRE_MS - 100);
    expect(await page.textContent('.notice')).toMatch(/inactivity/);
    expect((await serverStatus(context)).status).toBe(401);

    const byInstance = (instance: 'A' | 'B') => answers.filter((x) => x.instance === instance);
    console.log(
      `[several instances] one tab: ${answers.length} answers, ${byInstance('A').length} from A, ${byInstance('B').length} from B; pings ${answers
        .filter((x) => x.path === '/session-security/ping')
        .map((x) => `${x.method} ${x.instance}`)
        .join(', ')}; expired ${expiredAt - extendedAt} ms after "Stay signed in"`,
    );
    // The browser's requests really went to both instances, its pings included.
    // The browser's session requests (pages and pings, not the static assets) went to both.
    const sessionRequests = answers.filter((x) => !STATIC_ASSET.test(x.path));
    expect(new Set(sessionRequests.map((x) => x.instance))).toEqual(new Set(['A', 'B']));
  }, 40_000);

  it('two tabs share one clock: input in one tab keeps the other from warning, whichever instance each asks', async () => {
    const { context, answers } = await newBrowser();
    const first = await context.newPage();
    await signIn(first, nginx.origin, '/');
    await rememberCookies(context);
    const second = await openTab(context, `${nginx.origin}/second`);
    await second.evaluate(() => {
      const w = window as Window & { __warnedAt?: number[] };
      w.__warnedAt = [];
      w.sessionSecurity?.addEventListener('warn', () => w.__warnedAt?.push(Date.now()));
    });
    let maxIdle = 0;
    const statusInstances = new Set<string>();
    const until = Date.now() + WARN_MS + 1500;
    while (Date.now() < until) {
      const next = Date.now() + KEY_EVERY_MS;
      await first.keyboard.press('Shift');
      expect(await warningShown(second)).toBe(false);
      // Two reads back to back: one from each instance, unless a tab's ping came in between.
      for (const { status, body, instance } of [
        await serverStatus(context),
        await serverStatus(context),
      ]) {
        expect(status).toBe(200);
        statusInstances.add(instance);
        maxIdle = Math.max(maxIdle, Number(body.idleFor));
      }
      await sleep(next - Date.now());
    }
    expect(await warningShown(second)).toBe(false);
    expect(await warningShown(first)).toBe(false);
    expect(
      await second.evaluate(() => (window as Window & { __warnedAt?: number[] }).__warnedAt ?? []),
    ).toEqual([]);
    // The input was reported before the server's idle time reached warnAfter, on both instances' view.
    expect(maxIdle).toBeLessThan(WARN_AFTER);
    expect(statusInstances).toEqual(new Set(['A', 'B']));
    expect(second.url()).toBe(`${nginx.origin}/second`);
    const posts = answers.filter((x) => x.path === '/session-security/ping' && x.method === 'POST');
    console.log(
      `[several instances] two tabs: input reported by ${posts.length} POST ping(s) through ${posts.map((x) => x.instance).join(', ')}; max server idle ${maxIdle} s`,
    );
    expect(posts.length).toBeGreaterThan(0);
  }, 30_000);
});

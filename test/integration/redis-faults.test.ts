// Store faults survived: the demo with sessions (connect-redis, guarded) and sign-in clocks (the
// Redis store) in a redis-server of the test's own, which the test stops and starts again (its
// append-only file keeps the data) and freezes (SIGSTOP). While Redis is away, requests get a
// quick 503 and the log one line per kind of failure; when it is back, the same cookie is still
// signed in and nothing was recorded wrongly.

import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { createClient } from 'redis';
import { guardSessionStore } from 'session-security/express';
import { redisStore } from 'session-security/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoApp } from '../../examples/demo/app.js';
import {
  CookieJar,
  FakeClock,
  listen,
  NAVIGATE,
  type Reply,
  SAME_ORIGIN_FETCH,
  send,
} from '../support/http.js';
import { type PrivateRedis, startRedisServer } from '../support/redis-server.js';
import { sleep } from '../support/sleep.js';

let redis: PrivateRedis | undefined;
let client: ReturnType<typeof createClient>;
const clock = new FakeClock();
const errors: string[] = [];
const logger = { warn: () => {}, error: (message: string) => errors.push(message) };
let demo: { origin: string; close: () => Promise<void> };

/** Waits until the app's Redis client is connected again. */
async function clientReady(): Promise<void> {
  for (let i = 0; i < 100 && !client.isReady; i++) {
    await sleep(50);
  }
  expect(client.isReady).toBe(true);
}

beforeAll(async () => {
  // Its append-only file keeps the data across the stop and start below.
  redis = await startRedisServer({ appendOnly: true });
  client = createClient({ url: redis.url });
  client.on('error', () => {}); // the outage is expected; the store and the guard report it
  await client.connect();
  const app = createDemoApp({
    expireAfter: 900,
    warnAfter: 780,
    absoluteTimeout: 0,
    sessionSecret: 'shared secret',
    clock,
    logger,
    store: guardSessionStore(new RedisStore({ client, prefix: 'sess:' }), { logger }),
    activityStore: redisStore({ client, prefix: 'clock:', now: () => clock.now(), logger }),
  });
  demo = await listen(app);
});

afterAll(async () => {
  await demo?.close();
  await client?.close().catch(() => {});
  await redis?.close();
});

async function signIn(): Promise<CookieJar> {
  const jar = new CookieJar();
  const reply = await send(
    demo.origin,
    '/login',
    {
      method: 'POST',
      headers: {
        ...NAVIGATE,
        origin: demo.origin,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'username=demo&password=demo',
    },
    jar,
  );
  expect(reply.status).toBe(303);
  return jar;
}

/** The requests a signed-in browser makes: a page, a GET ping, a POST ping; each timed. */
async function browse(jar: CookieJar): Promise<{ reply: Reply; ms: number }[]> {
  const timed = async (request: Promise<Reply>) => {
    const started = Date.now();
    const reply = await request;
    return { reply, ms: Date.now() - started };
  };
  return [
    await timed(send(demo.origin, '/', { headers: NAVIGATE }, jar.clone())),
    await timed(
      send(demo.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar.clone()),
    ),
    await timed(
      send(
        demo.origin,
        '/session-security/ping',
        {
          method: 'POST',
          headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' },
          body: '{"sinceActivity":0}',
        },
        jar.clone(),
      ),
    ),
  ];
}

async function idleFor(jar: CookieJar): Promise<unknown> {
  const reply = await send(
    demo.origin,
    '/session-security/ping',
    { headers: SAME_ORIGIN_FETCH },
    jar,
  );
  expect(reply.status).toBe(200);
  return reply.json?.idleFor;
}

describe('when Redis stops and starts again', () => {
  it('answers 503 within 2 s while it is down, logs one line per kind, and keeps the user signed in', async () => {
    const jar = await signIn();
    clock.advance(100);
    expect(await idleFor(jar)).toBe(100);
    const cookie = jar.header();

    await redis?.stop();
    errors.length = 0;
    for (let round = 0; round < 3; round++) {
      for (const { reply, ms } of await browse(jar)) {
        expect(reply.status).toBe(503);
        expect(ms).toBeLessThan(2000);
        expect(reply.headers['set-cookie']).toBeUndefined();
        expect(reply.text).not.toMatch(/Sign in|anonymous/);
      }
    }
    // Nine failed requests of two kinds (the session store, the clock store): a line per kind.
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(2);

    await redis?.restart();
    await clientReady();
    const page = await send(demo.origin, '/', { headers: NAVIGATE }, jar);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Welcome, demo');
    expect(jar.header()).toBe(cookie); // the same cookie, no new session
    // Nothing recorded during the outage: the page load just now is the only new activity.
    clock.advance(10);
    expect(await idleFor(jar)).toBe(10);
  });
});

describe('when Redis stops answering (SIGSTOP)', () => {
  it('answers 503 after the command timeout, and resumes with the same cookie on SIGCONT', async () => {
    const jar = await signIn();
    clock.advance(50);
    await redis?.kill('SIGSTOP');
    try {
      for (const { reply, ms } of await browse(jar)) {
        expect(reply.status).toBe(503);
        expect(ms).toBeLessThan(2500);
      }
    } finally {
      await redis?.kill('SIGCONT');
    }
    await clientReady();
    expect(await idleFor(jar)).toBe(50);
    const page = await send(demo.origin, '/', { headers: NAVIGATE }, jar);
    expect(page.text).toContain('Welcome, demo');
  });
});

describe('when express-session hands a request on without a session', () => {
  it('answers 503 to a request that carries a session cookie, never as an anonymous visitor', async () => {
    const store = new session.MemoryStore();
    const app = createDemoApp({
      expireAfter: 900,
      warnAfter: 780,
      absoluteTimeout: 0,
      sessionSecret: 'memory',
      logger: { warn: () => {}, error: () => {} },
      store,
    });
    const server = await listen(app);
    try {
      const jar = new CookieJar();
      await send(
        server.origin,
        '/login',
        {
          method: 'POST',
          headers: {
            ...NAVIGATE,
            origin: server.origin,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'username=demo&password=demo',
        },
        jar,
      );
      store.emit('disconnect'); // as a store reports losing its connection
      const page = await send(server.origin, '/', { headers: NAVIGATE }, jar);
      expect(page.status).toBe(503);
      expect(page.text).not.toContain('Sign in');
      store.emit('connect');
      expect((await send(server.origin, '/', { headers: NAVIGATE }, jar)).text).toContain(
        'Welcome, demo',
      );
    } finally {
      await server.close();
    }
  });
});

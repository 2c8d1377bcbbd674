// Races at the store (django-session-security's bug #1): a slow request that began before a ping
// must not move the last activity back when it ends. Real Express + express-session on
// 127.0.0.1, a fake server clock, a request body held for 2 s of real time while a ping lands.

import { createClient } from 'redis';
import { redisStore } from 'session-security/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestAppOptions } from '../support/express-app.js';
import { type CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send, sendSlowly } from '../support/http.js';

type TestApp = Awaited<ReturnType<typeof startTestApp>>;
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const RUN = `ss-race-${process.pid}-${Date.now()}:`;
let client: ReturnType<typeof createClient>;
beforeAll(async () => {
  client = createClient({ url: 'redis://127.0.0.1:6379' });
  await client.connect();
});
afterAll(async () => {
  for await (const keys of client.scanIterator({ MATCH: `${RUN}*`, COUNT: 100 })) {
    if (keys.length > 0) await client.del(keys);
  }
  await client.close();
});

const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };

/** The server's idle time of the session, read with a GET ping (which never extends it). */
async function idleFor(started: TestApp, jar: CookieJar): Promise<unknown> {
  const reply = await send(
    started.origin,
    '/session-security/ping',
    { headers: SAME_ORIGIN_FETCH },
    jar,
  );
  return reply.json?.idleFor;
}

/**
 * Signs in; at t = 5 s a form post starts (its activity recorded at its start) and its body is
 * held; at t = 15 s a ping reports input; 2 s of real time later the form post ends and its copy
 * of the session is saved. Returns the idle time the server reports at t = 20 s.
 */
async function slowRequestAcrossAPing(
  options: TestAppOptions,
  start: boolean,
  afterSlowRequest: (started: TestApp) => Promise<void> = async () => {},
) {
  const started = await startTestApp(options);
  app = started;
  const jar = await started.signIn({ start });
  expect(
    (await send(started.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar)).status,
  ).toBe(200);
  started.clock.advance(5);
  const slow = sendSlowly(
    started.origin,
    '/form',
    {
      method: 'POST',
      headers: { ...NAVIGATE, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'note=a+long+upload',
    },
    jar.clone(),
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  started.clock.advance(10);
  const ping = await send(
    started.origin,
    '/session-security/ping',
    { method: 'POST', headers: JSON_POST, body: '{"sinceActivity":0}' },
    jar,
  );
  expect(ping.json?.idleFor).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  slow.finish();
  expect((await slow.reply).status).toBe(200);
  await afterSlowRequest(started);
  started.clock.advance(5);
  return idleFor(started, jar);
}

describe('a slow request that began before a ping', () => {
  it('does not move the last activity back with the Redis store', async () => {
    const store = redisStore({ client, prefix: RUN, now: () => (app ? app.clock.now() : 0) });
    expect(await slowRequestAcrossAPing({ security: { store } }, true)).toBe(5);
  });

  it('does not move the last activity back with the session-object default, within one process', async () => {
    // express-session saves the slow request's copy (last activity at t = 5 s) at its end; the
    // store takes the latest time it recorded for the sign-in (t = 15 s), not the copy's.
    expect(await slowRequestAcrossAPing({}, false)).toBe(5);
  });

  it("is needed: express-session does save the slow request's older copy over the ping", async () => {
    let savedLastActivity: unknown;
    let pingAt = 0;
    await slowRequestAcrossAPing({}, false, async (started) => {
      pingAt = started.clock.now();
      const sessions = await new Promise<Record<string, { sessionSecurity?: unknown }>>(
        (resolve, reject) =>
          started.store.all?.((error: unknown, all) =>
            error ? reject(error) : resolve((all ?? {}) as Record<string, never>),
          ),
      );
      const [data] = Object.values(sessions);
      savedLastActivity = (data?.sessionSecurity as { lastActivity?: number })?.lastActivity;
    });
    // The copy saved at the end of the slow request holds its own start (t = 5 s, 10 s before
    // the ping), not the ping's time: only the store's memory of the latest time undoes it.
    expect(savedLastActivity).toBe(pingAt - 10_000);
  });
});

// Races at the store (django-session-security's bug #1): why the session-object default keeps a
// memory of the latest time. The rule itself (a slow request that began before a ping does not
// move the last activity back) is the conformance suite's (test/conformance/sign-out.test.ts);
// here, express-session is shown saving the slow request's older copy over the ping.

import { afterEach, describe, expect, it } from 'vitest';
import { readState } from '../../src/core/policy.js';
import { formsInFlight } from '../conformance/harness.js';
import { startTestApp, type TestAppOptions } from '../support/express-app.js';
import { type CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send, sendSlowly } from '../support/http.js';

type TestApp = Awaited<ReturnType<typeof startTestApp>>;
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
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
 * Signs in; at t = 10 s a form post starts (its activity recorded at its start) and its body is
 * held; at t = 20 s a ping reports input; once it is answered the form post ends and its copy
 * of the session is saved. Returns the idle time the server reports at t = 25 s.
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
  // More than the step by which the session's copy may lag (9 s at expireAfter 900): the slow
  // request's own activity is written to its copy.
  started.clock.advance(10);
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
  await formsInFlight(started);
  started.clock.advance(10);
  const ping = await send(
    started.origin,
    '/session-security/ping',
    { method: 'POST', headers: JSON_POST, body: '{"sinceActivity":0}' },
    jar,
  );
  expect(ping.json?.idleFor).toBe(0);
  slow.finish();
  expect((await slow.reply).status).toBe(200);
  await afterSlowRequest(started);
  started.clock.advance(5);
  return idleFor(started, jar);
}

describe('a slow request that began before a ping', () => {
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
      const saved = readState(data?.sessionSecurity);
      savedLastActivity = typeof saved === 'object' ? saved.lastActivity : saved;
    });
    // The copy saved at the end of the slow request holds its own start (t = 10 s, 10 s before
    // the ping), not the ping's time: only the store's memory of the latest time undoes it.
    expect(savedLastActivity).toBe(pingAt - 10_000);
  });
});

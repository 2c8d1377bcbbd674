// Conformance: a sign-in's clock starts at the sign-in, whether or not the app calls
// `security.start(req)`, against every adapter and store. Without start() the default store
// starts it after the app's handler, before the session is saved; the Redis store cannot tell a
// missing clock from one that timed out, so there a sign-in without start() is expired at its
// first request (the README says start() is required with it).

import type { SessionSecurityEvent } from 'session-security';
import { describe, expect, it } from 'vitest';
import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import type { ConformanceApp, HarnessOptions } from './harness.js';

const DAY_SECONDS = 86_400;

describe.each(CASES)('%s with the %s store', (_framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  let app: ConformanceApp;
  const events: SessionSecurityEvent[] = [];
  const start = async (security: HarnessOptions['security'] = {}) => {
    events.length = 0;
    app = await adapter.start({
      security: { onEvent: (event: SessionSecurityEvent) => void events.push(event), ...security },
    });
    return app;
  };
  /** Signs in through the app's route without security.start(req), as an app that forgot it. */
  const signInWithoutStart = async () => {
    const jar = new CookieJar();
    const reply = await send(app.origin, '/test/sign-in', { method: 'POST' }, jar);
    expect(reply.status).toBe(200);
    return jar;
  };
  const ping = (jar: CookieJar) =>
    send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);

  it('expires a sign-in made without start() whose cookie comes back after 30 idle days', async () => {
    await start();
    const jar = await signInWithoutStart();
    app.clock.advance(30 * DAY_SECONDS);
    const reply = await ping(jar);
    expect(reply.status).toBe(401);
    expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
    const page = await send(app.origin, '/', { headers: NAVIGATE }, jar);
    expect(page.text).toContain('anonymous');
  });

  it('counts the absolute timeout of a sign-in made without start() from the sign-in', async () => {
    await start({ expireAfter: 3000, warnAfter: 2000, absoluteTimeout: 2400 });
    const signInAt = app.clock.now();
    const jar = await signInWithoutStart();
    app.clock.advance(600);
    const reply = await ping(jar);
    if (storeKind !== 'default') {
      // No record without start(): expired, never a fresh clock.
      expect(reply.json).toEqual({ status: 'expired', reason: 'idle' });
      return;
    }
    expect(reply.status).toBe(200);
    // Started at the sign-in: idle 600 s, the absolute deadline 1,800 s away (2,400 from a
    // clock started by this request).
    expect(reply.json).toMatchObject({ idleFor: 600, expireIn: 1800, absolute: true });
    const started = events.filter((event) => event.type === 'signed-in');
    expect(started).toHaveLength(1);
    expect(started[0]?.at).toBe(signInAt);
    app.clock.advance(1800);
    expect((await ping(jar)).json).toEqual({ status: 'expired', reason: 'absolute' });
  });

  it('starts one clock when the app calls start(): the handler-end check adds nothing', async () => {
    await start();
    const jar = await app.signIn({ start: true });
    expect((await ping(jar)).status).toBe(200);
    expect(events.filter((event) => event.type === 'signed-in')).toHaveLength(1);
  });
});

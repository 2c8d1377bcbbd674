// Sign-out is final against what only express-session does (the conformance suite,
// test/conformance/sign-out.test.ts, holds the rules every adapter shares): a session saved back
// by `resave`, or by a route session-security does not see, and a logout hook that keeps the
// session. Real Express + express-session on 127.0.0.1, a fake server clock.

import { connect } from 'node:net';
import type { SessionData } from 'express-session';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestAppOptions } from '../support/express-app.js';
import { type CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';

type TestApp = Awaited<ReturnType<typeof startTestApp>>;
let app: TestApp;
const start = async (options?: TestAppOptions) => {
  app = await startTestApp(options);
  return app;
};
afterEach(async () => {
  await app?.close();
  app = undefined as unknown as TestApp;
});

const getPing = (jar: CookieJar) =>
  send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
const libraryLogout = (jar: CookieJar) =>
  send(app.origin, '/session-security/logout', { method: 'POST', headers: SAME_ORIGIN_FETCH }, jar);
const appSignOut = (jar: CookieJar) =>
  send(app.origin, '/test/sign-out', { method: 'POST', headers: SAME_ORIGIN_FETCH }, jar);

/** Every session the store holds, by id. */
function storedSessions(): Promise<Record<string, SessionData>> {
  return new Promise((resolve, reject) =>
    app.store.all?.((error: unknown, sessions) =>
      error ? reject(error) : resolve((sessions ?? {}) as unknown as Record<string, SessionData>),
    ),
  );
}

/** Signs in, starts the clock, lets 2 s pass (so the next request writes activity). */
async function signedIn(): Promise<CookieJar> {
  const jar = await app.signIn();
  expect((await getPing(jar)).status).toBe(200);
  app.clock.advance(2);
  return jar;
}

describe('a session saved back after its sign-in ended', () => {
  it('cannot come back once the memory of the end lapses: every request leaves a clock in its copy', async () => {
    // resave: true saves even an untouched session, here a ping that never got its whole body.
    await start({ session: { resave: true } });
    const jar = await app.signIn(); // no start(): the session has no clock yet
    const oldCookie = jar.clone();
    const cookie = jar.header() ?? '';
    const aborted = new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(app.origin).port), '127.0.0.1');
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.write(
        [
          'POST /session-security/ping HTTP/1.1',
          'Host: 127.0.0.1',
          'Content-Type: application/json',
          'Sec-Fetch-Site: same-origin',
          'Content-Length: 50',
          `Cookie: ${cookie}`,
          '',
          '{"since',
        ].join('\r\n'),
      );
      setTimeout(async () => {
        await libraryLogout(jar);
        socket.destroy();
      }, 100);
    });
    await aborted;
    // The ping's copy of the session is saved back after the sign-out (which left none).
    await expect.poll(async () => Object.keys(await storedSessions()).length).toBe(1);
    app.clock.advance(901); // past the memory of the sign-out
    const reply = await getPing(oldCookie);
    expect(reply.status).toBe(401);
    expect((await getPing(oldCookie)).status).toBe(401);
  });

  it('does not start a new clock when it comes back without one', async () => {
    await start();
    const jar = await signedIn();
    const before = await storedSessions();
    const [sid] = Object.keys(before);
    expect(sid).toBeDefined();
    const { sessionSecurity: _clock, ...withoutClock } = before[sid as string] as SessionData;
    await appSignOut(jar.clone());
    // A route that session-security does not see saves the session back, without a clock.
    await new Promise<void>((resolve, reject) =>
      app.store.set(sid as string, withoutClock as SessionData, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    expect((await getPing(jar)).json).toEqual({ status: 'anonymous', reason: 'logout' });
    const page = await send(app.origin, '/', { headers: NAVIGATE }, jar);
    expect(page.text).toContain('anonymous');
  });

  it('lets a new sign-in through start(req) in a session whose earlier sign-in ended', async () => {
    await start({
      security: {
        // A logout hook that keeps the session (and its id), as some apps do.
        logout: (req) => {
          delete req.session.user;
        },
      },
    });
    const jar = await signedIn();
    await libraryLogout(jar);
    expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
    await send(app.origin, '/test/sign-in-same-session', { method: 'POST' }, jar);
    const reply = await getPing(jar);
    expect(reply.status).toBe(200);
    expect(reply.json?.idleFor).toBe(0);
  });
});

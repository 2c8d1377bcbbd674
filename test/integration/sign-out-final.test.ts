// Sign-out and expiry are final (DESIGN §3 step 6): no request that was in flight when a sign-in
// ended, and no session saved back over the end, brings it back. Real Express + express-session
// on 127.0.0.1, a fake server clock, request bodies sent slowly to hold requests in flight.

import { connect } from 'node:net';
import type { SessionData } from 'express-session';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestAppOptions } from '../support/express-app.js';
import { type CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send, sendSlowly } from '../support/http.js';

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

const FORM_POST = { ...NAVIGATE, 'content-type': 'application/x-www-form-urlencoded' };
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

/** Starts a form post whose body has not fully arrived; waits until the server has it in flight. */
async function inFlightFormPost(jar: CookieJar) {
  const slow = sendSlowly(
    app.origin,
    '/form',
    { method: 'POST', headers: FORM_POST, body: 'note=written+before+the+sign-out' },
    jar.clone(),
  );
  // The middleware runs on the headers; the body parser then waits for the rest.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return slow;
}

describe('a request in flight across a sign-out', () => {
  it.each([
    ["the library's logout route", libraryLogout],
    ["the app's own sign-out through security.signOut(req)", appSignOut],
  ])('cannot sign the old cookie in again after %s', async (_name, signOut) => {
    await start();
    const jar = await signedIn();
    const oldCookie = jar.clone();
    const slow = await inFlightFormPost(jar);
    expect((await signOut(jar)).status).toBe(200);
    slow.finish();
    // The request in flight completes normally, and express-session saves its copy back.
    expect((await slow.reply).status).toBe(200);
    const reply = await getPing(oldCookie);
    expect(reply.status).toBe(401);
    expect(reply.json).toEqual({ status: 'anonymous' });
    // A page load with the old cookie is anonymous too, and stays so.
    const page = await send(app.origin, '/', { headers: NAVIGATE }, oldCookie.clone());
    expect(page.text).toContain('anonymous');
    expect((await getPing(oldCookie)).json).toEqual({ status: 'anonymous' });
  });

  it('leaves no session of the ended sign-in in the store once the old cookie comes back', async () => {
    await start();
    const jar = await signedIn();
    const oldCookie = jar.clone();
    const slow = await inFlightFormPost(jar);
    await appSignOut(jar);
    slow.finish();
    await slow.reply;
    await getPing(oldCookie);
    const users = Object.values(await storedSessions()).filter((data) => data.user);
    expect(users).toEqual([]);
  });

  it('cannot revive a sign-in that expired while it was in flight', async () => {
    await start();
    const jar = await signedIn();
    const oldCookie = jar.clone();
    const slow = await inFlightFormPost(jar);
    app.clock.advance(901);
    expect((await getPing(jar)).json).toEqual({ status: 'expired', reason: 'idle' });
    slow.finish();
    expect((await slow.reply).status).toBe(200);
    expect((await getPing(oldCookie)).json).toEqual({ status: 'expired', reason: 'idle' });
    expect((await getPing(oldCookie)).json).toEqual({ status: 'anonymous' });
  });

  it('still refuses the saved-back copy when the tombstone has lapsed (expireAfter later)', async () => {
    await start();
    const jar = await signedIn();
    const oldCookie = jar.clone();
    const slow = await inFlightFormPost(jar);
    await libraryLogout(jar);
    slow.finish();
    await slow.reply;
    // The copy's last activity is no later than the sign-out: by now it has expired by itself.
    app.clock.advance(900);
    expect((await getPing(oldCookie)).json).toEqual({ status: 'expired', reason: 'idle' });
  });

  it('cannot revive the sign-in through a second clock started by a concurrent first request', async () => {
    await start();
    // No start(): the first tracked requests of the sign-in each make a clock in their own copy.
    const jar = await app.signIn();
    const oldCookie = jar.clone();
    const slow = await inFlightFormPost(jar);
    expect((await getPing(jar)).status).toBe(200);
    await libraryLogout(jar);
    slow.finish();
    await slow.reply;
    expect((await getPing(oldCookie)).json).toEqual({ status: 'anonymous' });
  });
});

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
    await new Promise((resolve) => setTimeout(resolve, 100)); // the copy is saved back
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
    expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
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

describe('security.signOut(req) from another origin', () => {
  it.each([
    ['a foreign Origin', { origin: 'http://evil.example' }],
    ['Origin: null', { origin: 'null' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }],
  ])('refuses a request with %s: 403, and the user stays signed in', async (_name, headers) => {
    await start();
    const jar = await signedIn();
    const reply = await send(app.origin, '/test/sign-out', { method: 'POST', headers }, jar);
    expect(reply.status).toBe(403);
    expect(reply.headers['clear-site-data']).toBeUndefined();
    expect((await getPing(jar)).status).toBe(200);
    expect(app.appErrors).toHaveLength(1);
    expect((app.appErrors[0] as Error).name).toBe('SessionSecurityRequestError');
  });

  it("signs out a request with the app's own Origin, or with no browser headers at all", async () => {
    await start();
    const own = await signedIn();
    const mine = { origin: app.origin, 'sec-fetch-site': 'same-origin' };
    expect(
      (await send(app.origin, '/test/sign-out', { method: 'POST', headers: mine }, own)).status,
    ).toBe(200);
    expect((await getPing(own)).status).toBe(401);
    const bare = await signedIn();
    expect((await send(app.origin, '/test/sign-out', { method: 'POST' }, bare)).status).toBe(200);
    expect((await getPing(bare)).status).toBe(401);
  });
});

describe('what a sign-out leaves behind', () => {
  it.each([
    ["the library's logout route", libraryLogout],
    ['security.signOut(req)', appSignOut],
  ])('%s removes the session from the store, clears its cookie and the cache', async (_n, out) => {
    await start();
    const jar = await signedIn();
    const cookie = jar.header();
    const reply = await out(jar);
    expect(reply.headers['clear-site-data']).toBe('"cache"');
    const cleared = (reply.headers['set-cookie'] ?? []).find((line) =>
      line.startsWith('connect.sid=;'),
    );
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(jar.header()).toBeUndefined();
    expect(Object.keys(await storedSessions())).toEqual([]);
    expect(cookie).toBeDefined();
  });

  it('sends the Clear-Site-Data types the app chose, and none when it chose none', async () => {
    await start({ security: { clearSiteData: ['cache', 'storage'] } });
    expect((await libraryLogout(await signedIn())).headers['clear-site-data']).toBe(
      '"cache", "storage"',
    );
    await app.close();
    await start({ security: { clearSiteData: [] } });
    expect((await libraryLogout(await signedIn())).headers['clear-site-data']).toBeUndefined();
  });

  it('never sends Clear-Site-Data on expiry, where drafts must survive', async () => {
    await start({ security: { loginUrl: '/login' } });
    const jar = await signedIn();
    app.clock.advance(900);
    const page = await send(app.origin, '/', { headers: NAVIGATE }, jar.clone());
    expect(page.status).toBe(303);
    expect(page.headers['clear-site-data']).toBeUndefined();
    const other = await signedIn();
    app.clock.advance(900);
    const ping = await getPing(other);
    expect(ping.json).toEqual({ status: 'expired', reason: 'idle' });
    expect(ping.headers['clear-site-data']).toBeUndefined();
  });

  it('removes an expired session from the store and clears its cookie', async () => {
    await start({ security: { loginUrl: '/login' } });
    const jar = await signedIn();
    app.clock.advance(900);
    const page = await send(app.origin, '/', { headers: NAVIGATE }, jar);
    expect(page.status).toBe(303);
    expect(jar.header()).toBeUndefined();
    expect(Object.keys(await storedSessions())).toEqual([]);
  });
});

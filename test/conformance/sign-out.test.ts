// Conformance: sign-out and expiry are final (docs/guide/behaviour.md: Sign-out and expiry are final), and last activity only moves
// forward, against every adapter and store. Request bodies are sent slowly to hold requests in
// flight across a sign-out, an expiry or a ping.

import { describe, expect, it } from 'vitest';
import { CookieJar, NAVIGATE, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import { type ConformanceApp, type HarnessOptions, inFlightFormPost } from './harness.js';

/** The note of a form post in flight across a sign-out, form-encoded. */
const WRITTEN_BEFORE = 'written+before+the+sign-out';
const JSON_POST = { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' };

describe.each(CASES)('%s with the %s store', (_framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  let app: ConformanceApp;
  const start = async (options?: HarnessOptions) => {
    app = await adapter.start(options);
    return app;
  };
  const getPing = (jar: CookieJar) =>
    send(app.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar);
  const libraryLogout = (jar: CookieJar) =>
    send(
      app.origin,
      '/session-security/logout',
      { method: 'POST', headers: SAME_ORIGIN_FETCH },
      jar,
    );
  const appSignOut = (jar: CookieJar) =>
    send(app.origin, '/test/sign-out', { method: 'POST', headers: SAME_ORIGIN_FETCH }, jar);

  /** Signs in, starts the clock, lets 2 s pass (so the next request writes activity). */
  async function signedIn(): Promise<CookieJar> {
    const jar = await app.signIn();
    expect((await getPing(jar)).status).toBe(200);
    app.clock.advance(2);
    return jar;
  }

  describe('a request in flight across a sign-out', () => {
    it.each([
      ["the library's logout route", libraryLogout],
      ["the app's own sign-out through security.signOut(req)", appSignOut],
    ])('cannot sign the old cookie in again after %s', async (_name, signOut) => {
      await start();
      const jar = await signedIn();
      const oldCookie = jar.clone();
      const slow = await inFlightFormPost(app, jar, WRITTEN_BEFORE);
      expect((await signOut(jar)).status).toBe(200);
      slow.finish();
      // The request in flight completes normally, and the session plugin saves its copy back.
      const posted = await slow.reply;
      expect(posted.status).toBe(200);
      expect(posted.json).toEqual({ note: 'written before the sign-out' });
      const reply = await getPing(oldCookie);
      expect(reply.status).toBe(401);
      // With reason logout where the session plugin saved the copy back (the sign-in is found ended).
      expect(reply.json?.status).toBe('anonymous');
      // A page load with the old cookie is anonymous too, and stays so.
      const page = await send(app.origin, '/', { headers: NAVIGATE }, oldCookie.clone());
      expect(page.text).toContain('anonymous');
      expect((await getPing(oldCookie)).json).toEqual({ status: 'anonymous' });
    });

    it('leaves no session of the ended sign-in in the store once the old cookie comes back', async () => {
      await start();
      const jar = await signedIn();
      const oldCookie = jar.clone();
      const slow = await inFlightFormPost(app, jar, WRITTEN_BEFORE);
      await appSignOut(jar);
      slow.finish();
      await slow.reply;
      expect((await getPing(oldCookie)).status).toBe(401);
      // hono-sessions keeps a session for every visitor: the old cookie's ping may leave a new,
      // anonymous one (when the request in flight saved no copy back), never a signed-in one.
      expect(await app.signedInSessionCount()).toBe(0);
      expect(await app.sessionCount()).toBeLessThanOrEqual(harness.sessionForEveryVisitor ? 1 : 0);
    });

    it('cannot revive a sign-in that expired while it was in flight', async () => {
      await start();
      const jar = await signedIn();
      const oldCookie = jar.clone();
      const slow = await inFlightFormPost(app, jar, WRITTEN_BEFORE);
      app.clock.advance(901);
      expect((await getPing(jar)).json).toEqual({ status: 'expired', reason: 'idle' });
      slow.finish();
      expect((await slow.reply).status).toBe(200);
      const after = await getPing(oldCookie);
      expect(after.status).toBe(401);
      expect((await getPing(oldCookie)).json).toEqual({ status: 'anonymous' });
    });

    it('still refuses the saved-back copy when the memory of the sign-out has lapsed', async () => {
      await start();
      const jar = await signedIn();
      const oldCookie = jar.clone();
      const slow = await inFlightFormPost(app, jar, WRITTEN_BEFORE);
      await libraryLogout(jar);
      slow.finish();
      await slow.reply;
      // The copy's last activity is no later than the sign-out: by now it has expired by itself.
      app.clock.advance(900);
      const reply = await getPing(oldCookie);
      expect(reply.status).toBe(401);
      expect((await getPing(oldCookie)).status).toBe(401);
    });

    it('cannot revive the sign-in through a second clock started by a concurrent first request', async () => {
      await start();
      const jar = await app.signIn();
      const oldCookie = jar.clone();
      const slow = await inFlightFormPost(app, jar, WRITTEN_BEFORE);
      expect((await getPing(jar)).status).toBe(200);
      await libraryLogout(jar);
      slow.finish();
      await slow.reply;
      expect((await getPing(oldCookie)).json?.status).toBe('anonymous');
      expect((await getPing(oldCookie)).json).toEqual({ status: 'anonymous' });
    });
  });

  describe('how an ended sign-in ended, on the wire', () => {
    /** The page's sign-in marker, as the client reads it from its config (the ping's `session`). */
    const markerOf = async (jar: CookieJar) => String((await getPing(jar)).json?.session);
    /** A ping as the client sends it: naming its page's sign-in. */
    const namedPing = (jar: CookieJar, marker: string) =>
      send(
        app.origin,
        '/session-security/ping',
        { headers: { ...SAME_ORIGIN_FETCH, 'x-session-security-sign-in': marker } },
        jar,
      );

    it.each([
      ["the library's logout route", libraryLogout],
      ['security.signOut(req)', appSignOut],
    ])(
      "tells another tab's anonymous ping that its sign-in was signed out (%s): reason logout",
      async (_name, signOut) => {
        await start();
        const jar = await signedIn();
        const marker = await markerOf(jar);
        expect((await signOut(jar)).status).toBe(200);
        // The other tab sends what the browser now holds: no session, or a fresh anonymous one.
        const reply = await namedPing(jar, marker);
        expect(reply.status).toBe(401);
        expect(reply.json).toEqual({ status: 'anonymous', reason: 'logout' });
        // Without the header nothing is told.
        expect((await getPing(jar)).json).toEqual({ status: 'anonymous' });
      },
    );

    it('answers the old cookie of a signed-out sign-in, saved back or not, with reason logout', async () => {
      await start();
      const jar = await signedIn();
      const marker = await markerOf(jar);
      const oldCookie = jar.clone();
      const slow = await inFlightFormPost(app, jar, WRITTEN_BEFORE);
      await appSignOut(jar);
      slow.finish();
      await slow.reply;
      expect((await namedPing(oldCookie, marker)).json).toEqual({
        status: 'anonymous',
        reason: 'logout',
      });
      expect((await namedPing(oldCookie, marker)).json).toEqual({
        status: 'anonymous',
        reason: 'logout',
      });
    });

    it('tells an anonymous ping that its sign-in was ended from elsewhere (revoked) or expired (idle)', async () => {
      await start();
      const phone = await signedIn();
      const phoneMarker = await markerOf(phone);
      const laptop = await signedIn();
      const ended = await send(
        app.origin,
        '/test/sign-ins/end-all',
        { method: 'POST', headers: JSON_POST, body: '{"keepCurrent":true}' },
        laptop,
      );
      expect(ended.json).toEqual({ ended: 1 });
      expect((await getPing(phone)).json).toEqual({ status: 'expired', reason: 'revoked' });
      expect((await namedPing(phone, phoneMarker)).json).toEqual({
        status: 'expired',
        reason: 'revoked',
      });
      const laptopMarker = await markerOf(laptop);
      app.clock.advance(900);
      expect((await getPing(laptop)).json).toEqual({ status: 'expired', reason: 'idle' });
      expect((await namedPing(laptop, laptopMarker)).json).toEqual({
        status: 'expired',
        reason: 'idle',
      });
    });

    it('tells nothing for a malformed header', async () => {
      await start();
      const live = await signedIn();
      const stranger = await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH });
      expect(stranger.status).toBe(200);
      for (const marker of [`${'x'.repeat(65)}`, '../../etc', ' ']) {
        const reply = await namedPing(new CookieJar(), marker);
        expect(reply.status).toBe(401);
        expect(reply.json).toEqual({ status: 'anonymous' });
      }
      expect((await getPing(live)).status).toBe(200);
    });

    it(
      storeKind !== 'default'
        ? 'tells a ping without a session that names a sign-in that did not end, live or unknown, that it was lost, and ends nothing'
        : 'tells nothing of a live sign-in or one the store never knew',
      async () => {
        await start();
        const live = await signedIn();
        const liveMarker = await markerOf(live);
        for (const marker of [liveMarker, 'A'.repeat(22)]) {
          const reply = await namedPing(new CookieJar(), marker);
          expect(reply.status).toBe(401);
          // Redis keeps every record until graceSeconds past its deadline: a browser without a
          // session naming a sign-in that did not end lost it (the client, past its own
          // deadline, says idle instead); live and unknown look the same, so a ping learns
          // nothing of a marker. The session-object store keeps nothing of a sign-in once its
          // session is gone, so it cannot tell.
          expect(reply.json).toEqual(
            storeKind !== 'default'
              ? { status: 'expired', reason: 'lost' }
              : { status: 'anonymous' },
          );
        }
        expect((await getPing(live)).status).toBe(200);
      },
    );
  });

  describe('security.signOut(req) from another origin', () => {
    it.each([
      ['a foreign Origin', { origin: 'http://evil.example' }],
      ['Origin: null', { origin: 'null' }],
      [
        'Sec-Fetch-Site: same-site',
        { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate' },
      ],
      [
        'Sec-Fetch-Site: cross-site',
        { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
      ],
    ])('refuses a request with %s: 403, and the user stays signed in', async (_name, headers) => {
      await start();
      const jar = await signedIn();
      const reply = await send(app.origin, '/test/sign-out', { method: 'POST', headers }, jar);
      expect(reply.status).toBe(403);
      expect(reply.headers['clear-site-data']).toBeUndefined();
      expect((await getPing(jar)).status).toBe(200);
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
    ])(
      '%s removes the session from the store, clears its cookie and the cache',
      async (_n, out) => {
        await start();
        const jar = await signedIn();
        expect(jar.header()).toBeDefined();
        expect(await app.sessionCount()).toBe(1);
        const reply = await out(jar);
        expect(reply.status).toBe(200);
        expect(reply.headers['clear-site-data']).toBe('"cache"');
        expect(jar.header()).toBeUndefined();
        expect(await app.sessionCount()).toBe(0);
      },
    );

    it('sends the Clear-Site-Data types the app chose, and none when it chose none', async () => {
      await start({ security: { clearSiteData: ['cache', 'storage'] } });
      expect((await libraryLogout(await signedIn())).headers['clear-site-data']).toBe(
        '"cache", "storage"',
      );
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
      expect(await app.sessionCount()).toBe(0);
    });
  });

  describe('last activity only moves forward', () => {
    it('is not moved back by a slow request that began before a ping and ends after it', async () => {
      await start();
      const jar = await app.signIn();
      expect(
        (await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar)).status,
      ).toBe(200);
      // t = 5 s: a form post starts (its activity recorded at its start); its body is held.
      app.clock.advance(5);
      const slow = await inFlightFormPost(app, jar, 'a+long+upload');
      // t = 15 s: a ping reports input.
      app.clock.advance(10);
      const ping = await send(
        app.origin,
        '/session-security/ping',
        { method: 'POST', headers: JSON_POST, body: '{"sinceActivity":0}' },
        jar,
      );
      expect(ping.json?.idleFor).toBe(0);
      // The ping was answered while the form post waited for its body: it ends now, and saves
      // back the session it read before the ping (time is the app's fake clock, not a wait).
      slow.finish();
      expect((await slow.reply).status).toBe(200);
      // t = 20 s: idle since the ping, not since the slow request began.
      app.clock.advance(5);
      expect((await getPing(jar)).json?.idleFor).toBe(5);
    });
  });
});

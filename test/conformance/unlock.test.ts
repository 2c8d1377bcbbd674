// Conformance: the lock's sign-in again in place (the `lock` option), `POST {prefix}/unlock`,
// against every adapter and store, through the harnesses' lock (harness.ts, HarnessOptions.lock):
// verify takes `pw-<user name>` and signs that user in on the framework's session as
// `POST /test/sign-in` does (a regenerated session), or with `lock: 'same-session'` in the
// session as it is. The route exists only with the lock; it is refused as the ping is (405, 403,
// 415, 413, 400) before verify runs; a wrong password is a `401 {"status":"refused"}` and signs
// nobody in; a verify that throws or lies (true without a sign-in) is the app's error, a 500 and
// logged. A success starts a new sign-in (a new marker, a fresh absolute timeout) saved in the
// framework's session, ending the one it replaces, and answers the ping's active status with
// `user`, the drafts key of its user, which every active ping then carries too. With
// `session-security/web` (Next.js), the app's `newSession` gives the unlock of a request that
// names no session (its cookie cleared at expiry) a new session to sign in on.

import type { SessionSecurityEvent } from 'session-security';
import { describe, expect, it } from 'vitest';
import { draftKey } from '../../src/server/drafts.js';
import { SoftAuthenticator } from '../support/authenticator.js';
import { CookieJar, NAVIGATE, type Reply, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { CASES, useAdapter } from './adapters.js';
import {
  type ConformanceApp,
  faults,
  type HarnessOptions,
  inFlightFormPost,
  KEPT_PASSKEYS,
  LOCK_VERIFY_ERROR,
  lockPassword,
  PASSKEY_FIND_FAILS,
  type SessionStoreOperation,
  TEST_DRAFT_SECRET,
  TEST_PASSKEY_ORIGIN,
  TEST_PASSKEYS,
} from './harness.js';

const UNLOCK = '/session-security/unlock';
const PING = '/session-security/ping';
/** The harness's timeouts, as a store takes them. */
const HARNESS_TIMEOUTS = { expireAfterMs: 900_000, warnAfterMs: 780_000, absoluteTimeoutMs: 0 };
/** What a user name's drafts key is: the `user` of an unlock's and a ping's answer. */
const keyOf = (user: string) => draftKey(TEST_DRAFT_SECRET, user);
/** An unlock body of a user name and a password (by default the one the harnesses' lock takes). */
const credentials = (username: string, password = lockPassword(username)) =>
  JSON.stringify({ username, password });
/** A passkey of `user`, kept by the harnesses' lock: the authenticator that holds it. */
async function passkeyOf(user: string): Promise<SoftAuthenticator> {
  const device = new SoftAuthenticator('localhost', TEST_PASSKEY_ORIGIN);
  const who = { id: user, name: user };
  const options = (await TEST_PASSKEYS.registrationOptions(who)) as { challenge: string };
  const kept = await TEST_PASSKEYS.register(who, device.register(options));
  if (!kept) throw new Error(`no passkey was made for ${user}`);
  KEPT_PASSKEYS.set(kept.id, kept);
  return device;
}
/** The 500 of a verify that failed. */
const VERIFY_FAILED = { status: 'error', error: "lock.verify failed; the server's log says why" };

describe.each(CASES)('%s with the %s store', (_framework, storeKind, harness) => {
  const adapter = useAdapter(harness, storeKind);
  let app: ConformanceApp;
  const events: SessionSecurityEvent[] = [];

  /** Starts an app (with the lock unless told otherwise) that records every event. */
  const start = async (options: HarnessOptions = { lock: true }) => {
    // The file's earlier tests share the Redis index: end their sign-ins, so that a list of a
    // user's sign-ins is this test's only.
    await adapter.store()?.revoke?.({ everyone: true }, HARNESS_TIMEOUTS);
    events.length = 0;
    app = await adapter.start({
      ...options,
      security: {
        onEvent: (event: SessionSecurityEvent) => {
          events.push(event);
        },
        ...options.security,
      },
    });
    return app;
  };
  /** The headers of the browser client's unlock: a same-origin fetch of JSON. */
  const unlockHeaders = () => ({
    ...SAME_ORIGIN_FETCH,
    origin: app.origin,
    'content-type': 'application/json',
  });
  const unlock = (
    jar: CookieJar | undefined,
    body: string,
    headers: Record<string, string> = unlockHeaders(),
    method = 'POST',
  ) => send(app.origin, UNLOCK, { method, headers, body }, jar);
  const ping = (jar: CookieJar | undefined) =>
    send(app.origin, PING, { headers: SAME_ORIGIN_FETCH }, jar);
  /** Signs `user` in through `POST /test/sign-in` with `security.start`; a jar holding the session. */
  const signInAs = async (user = 'ada') => {
    const jar = new CookieJar();
    const reply = await send(
      app.origin,
      `/test/sign-in?start=1&user=${user}`,
      { method: 'POST' },
      jar,
    );
    expect(reply.status).toBe(200);
    return jar;
  };
  /** The marker of a jar's live sign-in, from a GET ping (which records no activity). */
  const markerOf = async (jar: CookieJar) => {
    const reply = await ping(jar);
    expect(reply.status).toBe(200);
    return reply.json?.session as string;
  };
  /** Signs `user` in, then lets the sign-in idle out and has a ping find it: an expired jar. */
  const expiredSignIn = async (user = 'ada') => {
    const jar = await signInAs(user);
    const marker = await markerOf(jar);
    app.clock.advance(901);
    const found = await ping(jar);
    expect(found.status).toBe(401);
    expect(found.json).toMatchObject({ status: 'expired', reason: 'idle' });
    return { jar, marker };
  };
  const ofType = <T extends SessionSecurityEvent['type']>(type: T) =>
    events.filter(
      (event): event is Extract<SessionSecurityEvent, { type: T }> => event.type === type,
    );
  /** An unlock's answer of a new sign-in of `user`, just begun: the ping's active status and `user`. */
  function expectSignedInAgain(reply: Reply, user: string): string {
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.json).toEqual({
      status: 'active',
      idleFor: 0,
      warnIn: 780,
      expireIn: 900,
      expireAfter: 900,
      warnAfter: 780,
      absolute: false,
      session: expect.stringMatching(/^[\w-]{22}$/),
      user: keyOf(user),
    });
    return reply.json?.session as string;
  }
  /** The refusal of a request that must not get as far as verify; no sign-in began. */
  function expectRefused(reply: Reply, status: number, reason: string): void {
    expect(reply.status, reply.text).toBe(status);
    expect(reply.json?.status).toBe('error');
    expect(ofType('refused').map((event) => [event.reason, event.method, event.path])).toEqual([
      [reason, reply.status === 405 ? 'GET' : 'POST', UNLOCK],
    ]);
    expect(ofType('signed-in')).toEqual([]);
  }

  /**
   * Signs `user` in, then lets the sign-in idle out and has a page load find it: the app goes on
   * with a fresh anonymous session, and the browser keeps a session cookie.
   */
  const expiredByPageLoad = async (user = 'ada') => {
    const jar = await signInAs(user);
    const marker = await markerOf(jar);
    app.clock.advance(901);
    const page = await send(app.origin, '/', { headers: NAVIGATE }, jar);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<p>anonymous</p>');
    expect(ofType('expired').at(-1)).toMatchObject({ signIn: marker, reason: 'idle' });
    return { jar, marker };
  };
  const apiData = (jar: CookieJar) =>
    send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
  /** The markers of the jar's user's sign-ins (`GET /test/sign-ins`). */
  const signInsOf = async (jar: CookieJar) => {
    const list = await send(app.origin, '/test/sign-ins', { headers: SAME_ORIGIN_FETCH }, jar);
    expect(list.status, list.text).toBe(200);
    return (list.json as unknown as { signIn: string }[]).map(({ signIn }) => signIn);
  };

  describe('without the lock', () => {
    it('has no unlock route: 404 for a POST and a GET, and no sign-in', async () => {
      await start({});
      const jar = await signInAs();
      events.length = 0;
      for (const method of ['POST', 'GET']) {
        const reply = await unlock(jar, credentials('ada'), unlockHeaders(), method);
        expect(reply.status, method).toBe(404);
        expect(reply.json?.status).toBe('error');
      }
      expect(ofType('signed-in')).toEqual([]);
      expect(app.appErrors).toEqual([]);
    });

    it('answers an active ping without `user`', async () => {
      await start({});
      const jar = await signInAs();
      const reply = await ping(jar);
      expect(reply.status).toBe(200);
      expect(reply.json?.status).toBe('active');
      expect(reply.json).not.toHaveProperty('user');
    });
  });

  describe("active pings carry `user`, the drafts key of the sign-in's user", () => {
    it('a ping that extends the sign-in', async () => {
      await start();
      const jar = await signInAs('bob');
      const reply = await send(
        app.origin,
        PING,
        { method: 'POST', headers: unlockHeaders(), body: '{"sinceActivity":0,"extend":true}' },
        jar,
      );
      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({ status: 'active', user: keyOf('bob') });
    });

    it('a GET ping and a POST ping, also after an unlock as another user', async () => {
      await start();
      const jar = await signInAs('bob');
      const get = await ping(jar);
      expect(get.status).toBe(200);
      expect(get.json).toMatchObject({ status: 'active', user: keyOf('bob') });
      const post = await send(
        app.origin,
        PING,
        { method: 'POST', headers: unlockHeaders(), body: '{"sinceActivity":0}' },
        jar,
      );
      expect(post.status).toBe(200);
      expect(post.json).toMatchObject({ status: 'active', user: keyOf('bob') });
      expectSignedInAgain(await unlock(jar, credentials('ada')), 'ada');
      expect((await ping(jar)).json).toMatchObject({ status: 'active', user: keyOf('ada') });
    });

    it('an anonymous ping names nobody', async () => {
      await start();
      const reply = await ping(new CookieJar());
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ status: 'anonymous' });
    });
  });

  describe('refuses before verify, as it refuses a ping', () => {
    it('405 for a GET, with Allow: POST', async () => {
      await start();
      const { jar } = await expiredSignIn();
      events.length = 0;
      const reply = await send(app.origin, UNLOCK, { headers: SAME_ORIGIN_FETCH }, jar);
      expectRefused(reply, 405, 'method-not-allowed');
      expect(reply.headers.allow).toBe('POST');
    });

    it.each([
      ['an Origin of another site', { origin: 'https://evil.example' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ])('403 for %s, however right the password', async (_name, cross) => {
      await start();
      const { jar } = await expiredSignIn();
      events.length = 0;
      const reply = await unlock(jar, credentials('ada'), { ...unlockHeaders(), ...cross });
      expectRefused(reply, 403, 'cross-origin');
      expect((await ping(jar)).status).toBe(401);
      expect(await app.signedInSessionCount()).toBe(0);
    });

    it('415 for a body that is not application/json', async () => {
      await start();
      const { jar } = await expiredSignIn();
      events.length = 0;
      const reply = await unlock(jar, credentials('ada'), {
        ...unlockHeaders(),
        'content-type': 'text/plain',
      });
      expectRefused(reply, 415, 'unsupported-media-type');
      expect(reply.json?.error).toContain('"text/plain"');
      expect((await ping(jar)).status).toBe(401);
      expect(await app.signedInSessionCount()).toBe(0);
    });

    it('413 for a body over 8192 bytes; one of 8192 is read', async () => {
      await start();
      const jar = await signInAs('ada');
      const marker = await markerOf(jar);
      events.length = 0;
      const padded = (bytes: number) => {
        const body = `{"username":"ada","password":"${lockPassword('ada')}","pad":""}`;
        return body.replace('"pad":""', `"pad":"${'x'.repeat(bytes - body.length)}"`);
      };
      expect(Buffer.byteLength(padded(8193))).toBe(8193);
      expectRefused(await unlock(jar, padded(8193)), 413, 'body-too-large');
      expect(await markerOf(jar)).toBe(marker);
      // Longer than a ping may be (1024 bytes), within the unlock's limit.
      expect(expectSignedInAgain(await unlock(jar, padded(8192)), 'ada')).not.toBe(marker);
    });

    it.each([
      ['a missing password', '{"username":"ada"}', 'password must be a string of 1 to 1024'],
      [
        'an empty user name',
        '{"username":"","password":"pw-"}',
        'username must be a string of 1 to 256',
      ],
      [
        'a password that is a number',
        '{"username":"ada","password":1234}',
        'password must be a string',
      ],
      [
        'the user name twice',
        '{"username":"bob","username":"ada","password":"pw-ada"}',
        'username appears more than once',
      ],
      ['a body that is not JSON', 'username=ada&password=pw-ada', 'the body is not valid JSON'],
      ['an array', '["ada","pw-ada"]', 'the body is not an object'],
      [
        'a user name over 256 characters',
        credentials('a'.repeat(257)),
        'username must be a string of 1 to 256',
      ],
    ])('400 for %s, and no sign-in', async (_name, body, error) => {
      await start();
      const { jar } = await expiredSignIn();
      events.length = 0;
      const reply = await unlock(jar, body);
      expectRefused(reply, 400, 'bad-request');
      expect(reply.json?.error).toContain(error);
      expect((await ping(jar)).status).toBe(401);
      expect(await app.signedInSessionCount()).toBe(0);
      expect(app.appErrors).toEqual([]);
    });
  });

  describe('a wrong password', () => {
    it.each([
      ['the password of another user', 'ada', lockPassword('bob')],
      ['a password that is nobody’s', 'ada', 'wrong'],
      ['a user name nobody has a password for', 'nobody', 'pw-somebody'],
    ])(
      'is refused for %s: 401 refused, a refused event, nobody signed in',
      async (_name, user, password) => {
        await start();
        const { jar } = await expiredSignIn();
        events.length = 0;
        const reply = await unlock(jar, credentials(user, password));
        expect(reply.status).toBe(401);
        expect(reply.headers['cache-control']).toBe('no-store');
        expect(reply.json).toEqual({ status: 'refused', error: expect.any(String) });
        expect(ofType('refused')).toEqual([
          expect.objectContaining({ reason: 'credentials', method: 'POST', path: UNLOCK }),
        ]);
        expect(ofType('signed-in')).toEqual([]);
        const after = await ping(jar);
        expect(after.status).toBe(401);
        expect(after.json?.status).toBe('anonymous');
        expect(await app.signedInSessionCount()).toBe(0);
        expect(app.logger.errors).toEqual([]);
        expect(app.appErrors).toEqual([]);
      },
    );

    it('is refused from a browser with no session at all', async () => {
      await start();
      const jar = new CookieJar();
      const reply = await unlock(jar, credentials('ada', 'wrong'));
      expect(reply.status).toBe(401);
      expect(reply.json?.status).toBe('refused');
      expect((await ping(jar)).status).toBe(401);
      expect(await app.signedInSessionCount()).toBe(0);
    });

    it('leaves a live sign-in as it was', async () => {
      await start();
      const jar = await signInAs('ada');
      const marker = await markerOf(jar);
      events.length = 0;
      const reply = await unlock(jar, credentials('bob', lockPassword('ada')));
      expect(reply.status).toBe(401);
      expect(reply.json?.status).toBe('refused');
      expect(ofType('refused')).toEqual([
        expect.objectContaining({ reason: 'credentials', signIn: marker }),
      ]);
      expect(ofType('signed-out')).toEqual([]);
      expect(ofType('signed-in')).toEqual([]);
      expect(await markerOf(jar)).toBe(marker);
      expect((await apiData(jar)).json).toEqual({ user: 'ada' });
    });
  });

  describe('the right password after the sign-in expired', () => {
    it('starts a new sign-in saved in the session: 200 active with a new marker and the user', async () => {
      await start();
      const { jar, marker: old } = await expiredSignIn('ada');
      events.length = 0;
      const marker = expectSignedInAgain(await unlock(jar, credentials('ada')), 'ada');
      expect(marker).not.toBe(old);
      expect(ofType('signed-in')).toEqual([
        expect.objectContaining({ signIn: marker, userId: 'ada', at: app.clock.now() }),
      ]);
      // Nothing to replace: the expired sign-in ended when the ping found it.
      expect(ofType('signed-out')).toEqual([]);
      // The cookies the unlock answered carry the new sign-in.
      const after = await ping(jar);
      expect(after.status).toBe(200);
      expect(after.json).toMatchObject({ status: 'active', session: marker, idleFor: 0 });
      expect((await apiData(jar)).json).toEqual({ user: 'ada' });
      expect(app.logger.errors).toEqual([]);
      expect(app.appErrors).toEqual([]);
    });

    it("signs in another user on the same browser: `user` is that user's key", async () => {
      await start();
      const { jar } = await expiredSignIn('ada');
      const marker = expectSignedInAgain(await unlock(jar, credentials('bob')), 'bob');
      expect(ofType('signed-in').at(-1)).toMatchObject({ signIn: marker, userId: 'bob' });
      expect(await markerOf(jar)).toBe(marker);
      expect((await apiData(jar)).json).toEqual({ user: 'bob' });
    });

    it('signs in a browser that sends no session cookie', async () => {
      await start();
      const jar = new CookieJar();
      const marker = expectSignedInAgain(await unlock(jar, credentials('ada')), 'ada');
      expect(await markerOf(jar)).toBe(marker);
      expect((await apiData(jar)).json).toEqual({ user: 'ada' });
    });

    it('signs in the same user or another after a page load found the expiry', async () => {
      await start();
      for (const user of ['ada', 'bob']) {
        const { jar, marker: old } = await expiredByPageLoad('ada');
        const marker = expectSignedInAgain(await unlock(jar, credentials(user)), user);
        expect(marker).not.toBe(old);
        expect(ofType('signed-in').at(-1)).toMatchObject({ signIn: marker, userId: user });
        expect(await markerOf(jar)).toBe(marker);
        expect((await apiData(jar)).json).toEqual({ user });
      }
      expect(app.logger.errors).toEqual([]);
      expect(app.appErrors).toEqual([]);
    });
  });

  describe('the right password on a live sign-in (asked again before what matters)', () => {
    it('starts a new sign-in in place of the old one, whose cookies no longer pass', async () => {
      await start();
      const jar = await signInAs('ada');
      const old = await markerOf(jar);
      const before = jar.clone();
      app.clock.advance(60);
      events.length = 0;
      const marker = expectSignedInAgain(await unlock(jar, credentials('ada')), 'ada');
      expect(marker).not.toBe(old);
      expect(ofType('signed-in')).toEqual([
        expect.objectContaining({ signIn: marker, userId: 'ada', at: app.clock.now() }),
      ]);
      expect(await markerOf(jar)).toBe(marker);
      // The session was regenerated: the cookies from before name none.
      const stale = await ping(before);
      expect(stale.status).toBe(401);
      expect(stale.json?.status).toBe('anonymous');
      expect(app.logger.errors).toEqual([]);
      expect(app.appErrors).toEqual([]);
    });

    it('ends the sign-in it replaces when verify regenerated the session', async () => {
      await start();
      const jar = await signInAs('ada');
      const old = await markerOf(jar);
      events.length = 0;
      const marker = expectSignedInAgain(await unlock(jar, credentials('ada')), 'ada');
      expect(await signInsOf(jar)).toEqual([marker]);
      expect(ofType('signed-out')).toEqual([
        expect.objectContaining({ signIn: old, userId: 'ada', how: 'replaced' }),
      ]);
    });

    it('ends the sign-in it replaces when verify kept the session: signed-out, replaced', async () => {
      await start({ lock: 'same-session' });
      const jar = await signInAs('ada');
      const old = await markerOf(jar);
      app.clock.advance(60);
      events.length = 0;
      const marker = expectSignedInAgain(await unlock(jar, credentials('ada')), 'ada');
      expect(marker).not.toBe(old);
      expect(events.map(({ type }) => type)).toEqual(['signed-out', 'signed-in']);
      expect(ofType('signed-out')).toEqual([
        expect.objectContaining({ signIn: old, userId: 'ada', how: 'replaced' }),
      ]);
      expect(ofType('signed-in')).toEqual([
        expect.objectContaining({ signIn: marker, userId: 'ada', at: app.clock.now() }),
      ]);
      expect(await signInsOf(jar)).toEqual([marker]);
      expect(await markerOf(jar)).toBe(marker);
      expect(app.logger.errors).toEqual([]);
      expect(app.appErrors).toEqual([]);
    });

    it('gives the new sign-in a fresh absolute timeout', async () => {
      await start({ lock: true, security: { absoluteTimeout: 3600 } });
      const jar = await signInAs('ada');
      // Active all along, to 100 s short of the absolute deadline.
      for (let at = 0; at < 3500; at += 700) {
        app.clock.advance(700);
        expect((await apiData(jar)).json).toEqual({ user: 'ada' });
      }
      const unlocked = await unlock(jar, credentials('ada'));
      expect(unlocked.status, unlocked.text).toBe(200);
      expect(unlocked.json).toMatchObject({ status: 'active', expireIn: 900, absolute: false });
      const marker = unlocked.json?.session as string;
      expect(ofType('signed-in').at(-1)).toMatchObject({
        signIn: marker,
        absoluteTimeout: 3600,
        at: app.clock.now(),
      });
      // Past the old sign-in's absolute deadline: the new one lives on, 3400 s before its own.
      app.clock.advance(200);
      const after = await ping(jar);
      expect(after.status, after.text).toBe(200);
      expect(after.json).toMatchObject({ session: marker, expireIn: 700, absolute: false });
      expect(ofType('expired')).toEqual([]);
    });
  });

  describe("a verify that fails is the app's error: 500, logged, nobody signed in", () => {
    it('a verify that throws', async () => {
      await start();
      const { jar } = await expiredSignIn();
      events.length = 0;
      const reply = await unlock(jar, credentials('throws'));
      expect(reply.status).toBe(500);
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.json).toEqual(VERIFY_FAILED);
      expect(app.logger.errors).toHaveLength(1);
      expect(app.logger.errors[0]).toContain('lock.verify failed');
      expect(app.logger.causes[0]).toBeInstanceOf(Error);
      expect((app.logger.causes[0] as Error).message).toBe(LOCK_VERIFY_ERROR);
      expect(ofType('signed-in')).toEqual([]);
      expect((await ping(jar)).status).toBe(401);
      expect(await app.signedInSessionCount()).toBe(0);
      // The library answered it: nothing reached the framework's error handling.
      expect(app.appErrors).toEqual([]);
    });

    it('a verify that resolves true without signing anyone in', async () => {
      await start();
      const { jar } = await expiredSignIn();
      events.length = 0;
      const reply = await unlock(jar, credentials('liar'));
      expect(reply.status).toBe(500);
      expect(reply.json).toEqual(VERIFY_FAILED);
      expect(app.logger.errors).toHaveLength(1);
      expect(app.logger.errors[0]).toContain('lock.verify failed');
      expect(String(app.logger.causes[0])).toContain('isAuthenticated(req) is false');
      expect(ofType('signed-in')).toEqual([]);
      expect((await ping(jar)).status).toBe(401);
      expect(await app.signedInSessionCount()).toBe(0);
      expect(app.appErrors).toEqual([]);
    });
  });
  describe('a passkey (lock.passkeys)', () => {
    const CHALLENGE = '{"passkey":"challenge"}';
    /** Asks for a challenge with the jar's cookies, and answers it with `device`'s passkey of `user`. */
    const passkeyAnswer = async (jar: CookieJar, device: SoftAuthenticator, user: string) => {
      const reply = await unlock(jar, CHALLENGE);
      expect(reply.status, reply.text).toBe(200);
      expect(reply.headers['cache-control']).toBe('no-store');
      const options = reply.json?.options as { challenge: string; rpId: string };
      expect(reply.json?.status).toBe('passkey');
      expect(options.rpId).toBe('localhost');
      return JSON.stringify({ passkey: device.signIn(options, user) });
    };

    it('signs in the user the passkey proves after the expiry, with a new sign-in; its answer works once', async () => {
      await start();
      const device = await passkeyOf('bob');
      const { jar, marker: old } = await expiredSignIn('ada');
      events.length = 0;
      const answer = await passkeyAnswer(jar, device, 'bob');
      // A challenge signs nobody in and records nothing.
      expect(events).toEqual([]);
      const marker = expectSignedInAgain(await unlock(jar, answer), 'bob');
      expect(marker).not.toBe(old);
      expect(ofType('signed-in').at(-1)).toMatchObject({ signIn: marker, userId: 'bob' });
      expect((await apiData(jar)).json).toEqual({ user: 'bob' });
      // The same answer again, from another browser: its challenge was used.
      const other = new CookieJar();
      const replay = await unlock(other, answer);
      expect(replay.status, replay.text).toBe(401);
      expect(replay.json).toEqual({ status: 'refused', error: 'the passkey was not accepted' });
      expect(ofType('refused').at(-1)).toMatchObject({ reason: 'credentials', path: UNLOCK });
      expect((await ping(other)).status).toBe(401);
      expect(app.logger.errors).toEqual([]);
    });

    it('asked again before what matters, replaces the live sign-in', async () => {
      await start();
      const device = await passkeyOf('ada');
      const jar = await signInAs('ada');
      const old = await markerOf(jar);
      events.length = 0;
      const marker = expectSignedInAgain(
        await unlock(jar, await passkeyAnswer(jar, device, 'ada')),
        'ada',
      );
      expect(marker).not.toBe(old);
      expect(ofType('signed-out')).toEqual([
        expect.objectContaining({ signIn: old, userId: 'ada', how: 'replaced' }),
      ]);
      expect(await signInsOf(jar)).toEqual([marker]);
    });

    it.each([
      ['another key', { wrongKey: true }],
      ['another origin', { origin: 'https://evil.example' }],
    ])(
      'refuses an answer signed with %s: 401 refused, the live sign-in as it was',
      async (_what, spoil) => {
        await start();
        const device = await passkeyOf('ada');
        const jar = await signInAs('ada');
        const old = await markerOf(jar);
        const challenge = await unlock(jar, CHALLENGE);
        const options = challenge.json?.options as { challenge: string };
        events.length = 0;
        const reply = await unlock(
          jar,
          JSON.stringify({ passkey: device.signIn(options, 'ada', spoil) }),
        );
        expect(reply.status, reply.text).toBe(401);
        expect(reply.json?.status).toBe('refused');
        expect(ofType('refused').map((event) => event.reason)).toEqual(['credentials']);
        expect(ofType('signed-in')).toEqual([]);
        expect(await markerOf(jar)).toBe(old);
      },
    );

    it("answers 500 and logs it when the app's passkey table fails; nobody signed in", async () => {
      await start();
      const { jar } = await expiredSignIn();
      events.length = 0;
      const reply = await unlock(jar, JSON.stringify({ passkey: { id: PASSKEY_FIND_FAILS } }));
      expect(reply.status).toBe(500);
      expect(reply.json).toEqual({
        status: 'error',
        error: "lock.passkeys failed; the server's log says why",
      });
      expect(app.logger.errors[0]).toContain('lock.passkeys failed');
      expect((app.logger.causes[0] as Error).message).toBe(LOCK_VERIFY_ERROR);
      expect(ofType('signed-in')).toEqual([]);
      expect(app.appErrors).toEqual([]);
    });

    it('refuses a passkey with anything else in the body, as a bad request', async () => {
      await start();
      const { jar } = await expiredSignIn();
      events.length = 0;
      const reply = await unlock(
        jar,
        '{"passkey":"challenge","username":"ada","password":"pw-ada"}',
      );
      expectRefused(reply, 400, 'bad-request');
      expect(reply.json?.error).toContain('a passkey comes alone');
    });
  });
  describe('a request in flight across an unlock', () => {
    it('cannot bring back the sign-in the unlock replaced, nor undo the new one', async () => {
      await start();
      const jar = await signInAs('ada');
      const old = await markerOf(jar);
      const oldCookie = jar.clone();
      const slow = await inFlightFormPost(app, jar, 'typed+before+the+question');
      events.length = 0;
      const marker = expectSignedInAgain(await unlock(jar, credentials('ada')), 'ada');
      slow.finish();
      // It passed before the unlock: it completes, and its session plugin saves its copy back.
      expect((await slow.reply).status).toBe(200);
      expect(await markerOf(jar)).toBe(marker);
      expect(await signInsOf(jar)).toEqual([marker]);
      const stale = await ping(oldCookie);
      expect(stale.status).toBe(401);
      expect(stale.json?.session).toBeUndefined();
      expect(ofType('signed-in').map((event) => event.signIn)).toEqual([marker]);
      expect(ofType('signed-out')).toEqual([
        expect.objectContaining({ signIn: old, how: 'replaced' }),
      ]);
    });

    it('with a verify that keeps the session, never lets the replaced sign-in live on', async () => {
      await start({ lock: 'same-session' });
      const jar = await signInAs('ada');
      const old = await markerOf(jar);
      const slow = await inFlightFormPost(app, jar, 'typed+before+the+question');
      const marker = expectSignedInAgain(await unlock(jar, credentials('ada')), 'ada');
      slow.finish();
      expect((await slow.reply).status).toBe(200);
      // The copy saved back may be the old sign-in's (same session id): found ended, never live.
      const after = await ping(jar);
      if (after.status === 200) expect(after.json?.session).toBe(marker);
      else expect(after.json?.session).toBeUndefined();
      expect(await signInsOf(await signInAs('ada'))).not.toContain(old);
    });
  });

  describe('when the session store fails during an unlock', () => {
    it('signs nobody in while the session cannot be read, and works once it is back', async () => {
      const { state, fails } = faults('get');
      await start({ lock: true, sessionStoreFails: fails });
      const jar = await signInAs('ada');
      events.length = 0;
      state.on = true;
      const reply = await unlock(jar, credentials('ada'));
      expect(reply.status, reply.text).toBe(503);
      expect(ofType('signed-in')).toEqual([]);
      expect(app.appErrors).toEqual([]);
      state.on = false;
      expectSignedInAgain(await unlock(jar, credentials('ada')), 'ada');
    });

    it.each<[string, SessionStoreOperation[]]>([
      ['saved', ['set']],
      ['replaced (regenerated)', ['destroy']],
      ['read, saved or replaced', ['get', 'set', 'destroy']],
    ])(
      'never answers a sign-in that did not last when the session cannot be %s',
      async (_what, operations) => {
        const { state, fails } = faults(...operations);
        await start({ lock: true, sessionStoreFails: fails });
        const jar = await signInAs('ada');
        app.clock.advance(60);
        state.on = true;
        const reply = await unlock(jar, credentials('ada'));
        state.on = false;
        // A failure the tab can see (it keeps asking), or a sign-in that is really there.
        if (reply.status === 200) {
          const marker = reply.json?.session;
          const now = await ping(jar);
          expect(now.status, now.text).toBe(200);
          expect(now.json?.session).toBe(marker);
        } else {
          // The lock says so and stays (a store guard may answer in plain text).
          expect([500, 503], `${reply.status} ${reply.text}`).toContain(reply.status);
          expect(reply.json?.status).not.toBe('active');
        }
        expect(app.appErrors).toEqual([]);
      },
    );
  });
});

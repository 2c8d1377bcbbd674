// The lock's passkeys on Express (the route is the same on every adapter; the conformance suite
// runs a passkey through each): the page's config offers a passkey only with `lock.passkeys`; a
// lock without them refuses a passkey as a bad request; a challenge that fails is the app's error.

import { createClient } from 'redis';
import type { SessionSecurityEvent } from 'session-security';
import { passkeys, type StoredPasskey } from 'session-security/passkeys';
import { redisStore } from 'session-security/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../support/authenticator.js';
import { startTestApp } from '../support/express-app.js';
import { CookieJar, SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { testRedisUrl } from '../support/test-redis.js';

type App = Awaited<ReturnType<typeof startTestApp>>;
let app: App | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await app?.close();
  app = undefined;
  for (const close of closers.splice(0).reverse()) await close();
});

const verify = () => false;
const UNLOCK = '/session-security/unlock';

function unlock(running: App, body: string, jar?: CookieJar) {
  return send(
    running.origin,
    UNLOCK,
    {
      method: 'POST',
      headers: { ...SAME_ORIGIN_FETCH, origin: running.origin, 'content-type': 'application/json' },
      body,
    },
    jar,
  );
}

/** The `lock` part of the config the page's tags carry. */
async function pageLock(running: App): Promise<unknown> {
  const jar = await running.signIn({ start: true });
  const page = await send(running.origin, '/test/page?script=false', {}, jar);
  const json = /<script type="application\/json"[^>]*>([^<]*)<\/script>/.exec(page.text)?.[1];
  if (json === undefined) throw new Error(`no config in ${page.text}`);
  return (JSON.parse(json) as { lock?: unknown }).lock;
}

describe('the lock without passkeys', () => {
  it('offers none in the page, and refuses a passkey as a bad request', async () => {
    const events: SessionSecurityEvent[] = [];
    app = await startTestApp({
      security: { lock: { verify }, onEvent: (event) => void events.push(event) },
    });
    expect(await pageLock(app)).toEqual({
      src: expect.stringMatching(/^\/session-security\/lock\.js\?v=/),
      unlockUrl: UNLOCK,
    });
    for (const body of ['{"passkey":"challenge"}', '{"passkey":{"id":"abc"}}']) {
      const reply = await unlock(app, body);
      expect(reply.status, body).toBe(400);
      expect(reply.json).toEqual({
        status: 'error',
        error: 'passkeys are not on: the server has no lock.passkeys',
      });
    }
    expect(events.filter((e) => e.type === 'refused').map((e) => e.reason)).toEqual([
      'bad-request',
      'bad-request',
    ]);
  });
});

describe('the lock with passkeys', () => {
  it('offers one in the page', async () => {
    const passkeys = { challenge: async () => ({ challenge: 'c' }), check: async () => undefined };
    app = await startTestApp({ security: { lock: { verify, passkeys } } });
    expect(await pageLock(app)).toMatchObject({ unlockUrl: UNLOCK, passkey: true });
  });

  it('answers 500 and logs it when making a challenge fails', async () => {
    const failure = new Error('no randomness today');
    const passkeys = { challenge: () => Promise.reject(failure), check: async () => undefined };
    app = await startTestApp({ security: { lock: { verify, passkeys } } });
    const reply = await unlock(app, '{"passkey":"challenge"}');
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({
      status: 'error',
      error: "lock.passkeys failed; the server's log says why",
    });
    expect(app.logger.errors.join('\n')).toContain('lock.passkeys failed');
    expect(app.appErrors).toEqual([]);
  });

  it('refuses a lock.passkeys that is not one, saying what it expects', async () => {
    await expect(
      startTestApp({ security: { lock: { verify, passkeys: { challenge() {} } as never } } }),
    ).rejects.toThrow("passkeys({ rpID, origin, secret, find }) from 'session-security/passkeys'");
  });
});

describe('a passkey answer on two instances sharing one Redis', () => {
  it('signs in once: copied to the other instance, the same answer is refused (the challenge is claimed in Redis)', async () => {
    const client = createClient({ url: testRedisUrl() });
    await client.connect();
    closers.push(() => client.quit());
    const prefix = `passkeys-lock:${process.pid}:${Date.now()}:`;
    const kept = new Map<string, StoredPasskey>();
    // Each instance its own passkeys (its own process memory), with the app's one secret and table.
    const instance = () =>
      startTestApp({
        security: {
          store: redisStore({ client, prefix }),
          lock: {
            async verify(req, credentials) {
              if (credentials.type !== 'passkey') return false;
              req.session.user = credentials.userId;
              return true;
            },
            passkeys: passkeys({
              rpID: 'localhost',
              origin: 'http://localhost',
              secret: 'the secret every instance shares, long enough',
              find: (id) => kept.get(id),
            }),
          },
        },
      });
    const first = await instance();
    const second = await instance();
    closers.push(() => second.close());
    app = first;
    const device = new SoftAuthenticator('localhost', 'http://localhost', 0);
    const makers = passkeys({
      rpID: 'localhost',
      origin: 'http://localhost',
      secret: 'the secret every instance shares, long enough',
      find: (id) => kept.get(id),
    });
    const ada = { id: 'ada', name: 'ada' };
    const registration = (await makers.registrationOptions(ada)) as { challenge: string };
    const passkey = await makers.register(ada, device.register(registration));
    if (!passkey) throw new Error('no passkey');
    kept.set(passkey.id, passkey);

    const challenge = await unlock(first, '{"passkey":"challenge"}');
    expect(challenge.status).toBe(200);
    const options = challenge.json?.options as { challenge: string };
    const body = JSON.stringify({ passkey: device.signIn(options, 'ada') });
    const signedIn = await unlock(first, body, new CookieJar());
    expect(signedIn.status, signedIn.text).toBe(200);
    expect(signedIn.json?.status).toBe('active');
    const copied = await unlock(second, body, new CookieJar());
    expect(copied.status, copied.text).toBe(401);
    expect(copied.json).toEqual({ status: 'refused', error: 'the passkey was not accepted' });
    // The claim lives in Redis for the challenge's time left, under the store's prefix.
    const claims = await client.keys(`${prefix}once:passkey:*`);
    expect(claims).toHaveLength(1);
    const ttl = await client.pTTL(claims[0] as string);
    expect(ttl).toBeGreaterThan(100_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });
});

describe("the Redis store's claimOnce", () => {
  it('takes a name once while it lives, and again once it is gone', async () => {
    const client = createClient({ url: testRedisUrl() });
    await client.connect();
    closers.push(() => client.quit());
    const store = redisStore({ client, prefix: `claim-once:${process.pid}:${Date.now()}:` });
    const claimOnce = store.claimOnce?.bind(store);
    if (!claimOnce) throw new Error('the Redis store has no claimOnce');
    expect(await claimOnce('passkey:abc', 150)).toBe(true);
    expect(await claimOnce('passkey:abc', 150)).toBe(false);
    expect(await claimOnce('passkey:other', 150)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await claimOnce('passkey:abc', 150)).toBe(true);
  });
});

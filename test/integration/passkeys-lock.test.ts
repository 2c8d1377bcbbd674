// The lock's passkeys on Express (the route is the same on every adapter; the conformance suite
// runs a passkey through each): the page's config offers a passkey only with `lock.passkeys`; a
// lock without them refuses a passkey as a bad request; a challenge that fails is the app's error.

import type { SessionSecurityEvent } from 'session-security';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp } from '../support/express-app.js';
import { SAME_ORIGIN_FETCH, send } from '../support/http.js';

type App = Awaited<ReturnType<typeof startTestApp>>;
let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const verify = () => false;
const UNLOCK = '/session-security/unlock';

function unlock(running: App, body: string) {
  return send(running.origin, UNLOCK, {
    method: 'POST',
    headers: { ...SAME_ORIGIN_FETCH, origin: running.origin, 'content-type': 'application/json' },
    body,
  });
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

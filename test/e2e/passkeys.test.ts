// Passkeys at the lock, on the demo in Debian's Chromium with a virtual authenticator (CDP's
// WebAuthn domain): a passkey made on the demo's "Change password" page signs a locked page in
// again, keeping its form, with a new sign-in; and it answers "confirm it is you" before what
// matters. The demo is opened on http://localhost: WebAuthn needs a secure context and a domain
// (Chromium refuses 127.0.0.1 as a relying party id).

import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enLock } from '../../src/client/lock.js';
import { launchChromium, serverStatus, signIn } from './support.js';
import { useDemo } from './use-demo.js';

const LOCK = 'dialog.session-security-lock[open]';
const TEXT = 'A new password, half typed.';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** A platform authenticator (Touch ID, Windows Hello) that says yes at once, the user verified. */
async function addAuthenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

/** Makes a passkey on the demo's "Change password" page. */
async function addPasskey(page: Page): Promise<void> {
  await page.click('#add-passkey');
  await page.waitForSelector('#passkey-result:text("Passkey added")');
  expect(await page.textContent('#passkey-count')).toBe('1');
}

/**
 * In a browser of its own with an authenticator, `user` signs in on the demo's "Change password"
 * page and makes a passkey there; then `test` runs, and the browser closes whatever it does.
 */
async function withPasskey(
  origin: string,
  user: string,
  test: (page: Page, authenticator: { cdp: CDPSession; id: string }) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const authenticator = await addAuthenticator(page);
    await signIn(page, origin, '/password', user);
    await addPasskey(page);
    await test(page, authenticator);
  } finally {
    await context.close();
  }
}

function clientState(page: Page, state: string) {
  return page.waitForFunction((wanted) => window.sessionSecurity?.state === wanted, state, {
    timeout: 15_000,
  });
}

async function markerNow(context: BrowserContext, origin: string): Promise<unknown> {
  return (await serverStatus(context, origin)).body.session;
}

describe('a passkey at the lock (expireAfter 8 s, warnAfter 6 s)', () => {
  const demo = useDemo({ expireAfter: 8, warnAfter: 6, lock: true, passkeys: true });

  it('signs a locked page in again with a new sign-in, its form kept; the same answer sent again is refused', {
    timeout: 60_000,
  }, async () => {
    await withPasskey(demo.origin, 'demo', async (page, { cdp, id }) => {
      const context = page.context();
      const [kept] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: id }))
        .credentials;
      expect(kept?.isResidentCredential).toBe(true);
      await page.fill('#new-password', TEXT);
      const before = await markerNow(context, demo.origin);
      const unlocks: { body: string; status: number }[] = [];
      page.on('response', async (response) => {
        const request = response.request();
        if (request.url().endsWith('/session-security/unlock')) {
          unlocks.push({ body: request.postData() ?? '', status: response.status() });
        }
      });

      await clientState(page, 'locked');
      await page.waitForSelector(LOCK);
      const button = page.locator(LOCK).getByRole('button', { name: enLock.passkey });
      await button.click();

      await clientState(page, 'active');
      expect(await page.locator(LOCK).count()).toBe(0);
      expect(await page.inputValue('#new-password')).toBe(TEXT);
      const after = await markerNow(context, demo.origin);
      expect(typeof after).toBe('string');
      expect(after).not.toBe(before);
      // The request for a challenge, then the passkey's answer: both taken.
      await expect.poll(() => unlocks.length).toBe(2);
      expect(unlocks.map(({ status }) => status)).toEqual([200, 200]);
      expect(JSON.parse(unlocks[0]?.body ?? '')).toEqual({ passkey: 'challenge' });
      // The authenticator signed once more.
      const [used] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: id }))
        .credentials;
      expect(used?.signCount).toBeGreaterThan(kept?.signCount ?? 0);

      // Whoever copies that answer cannot sign in with it: its challenge was used.
      const other = await browser.newContext();
      try {
        const replay = await other.request.post(`${demo.origin}/session-security/unlock`, {
          headers: { 'content-type': 'application/json', 'x-session-security': 'passive' },
          data: unlocks[1]?.body,
        });
        expect(replay.status()).toBe(401);
        expect(await replay.json()).toMatchObject({ status: 'refused' });
        expect((await serverStatus(other, demo.origin)).body.status).toBe('anonymous');
      } finally {
        await other.close();
      }
    });
  });

  it('says so in the lock when the passkey is not one the app keeps, and the lock stays', {
    timeout: 60_000,
  }, async () => {
    // Another user than the test above: the demo keeps that one's passkey.
    await withPasskey(demo.origin, 'guest', async (page, { cdp, id }) => {
      const context = page.context();
      // The authenticator forgets it and makes another for the same site: the app never kept that
      // one.
      await cdp.send('WebAuthn.clearCredentials', { authenticatorId: id });
      await cdp.send('WebAuthn.addCredential', {
        authenticatorId: id,
        credential: await unknownPasskey(new URL(demo.origin).hostname),
      });

      await clientState(page, 'locked');
      await page.locator(LOCK).getByRole('button', { name: enLock.passkey }).click();
      await page.waitForSelector(`${LOCK} [role="alert"]:text("${enLock.passkeyRefused}")`);
      expect(await page.evaluate(() => window.sessionSecurity?.state)).toBe('locked');
      expect((await serverStatus(context, demo.origin)).body.status).toBe('anonymous');
      // The password still works.
      await page.locator(LOCK).getByLabel(enLock.username).fill('guest');
      await page.locator(LOCK).getByLabel(enLock.password).fill('guest');
      await page.keyboard.press('Enter');
      await clientState(page, 'active');
    });
  });
});

describe('a passkey before what matters (a sign-in less than 3 s old)', () => {
  const demo = useDemo({
    expireAfter: 60,
    warnAfter: 40,
    lock: true,
    passkeys: true,
    recentSignIn: 3,
  });

  it('answers "confirm it is you" in place, then the change is sent once more', {
    timeout: 60_000,
  }, async () => {
    await withPasskey(demo.origin, 'demo', async (page) => {
      const posts: number[] = [];
      page.on('response', (response) => {
        if (response.request().method() === 'POST' && response.url().endsWith('/password')) {
          posts.push(response.status());
        }
      });
      await page.waitForTimeout(3200);
      await page.fill('#new-password', 'another');
      await page.click('#password-form button');
      await page.waitForSelector(LOCK);
      expect(await page.locator(`${LOCK} h2`).textContent()).toBe(enLock.reauthTitle);
      await page.locator(LOCK).getByRole('button', { name: enLock.passkey }).click();
      await page.waitForSelector('#password-result:text("Password changed")');
      expect(posts).toEqual([401, 200]);
      expect(await page.locator(LOCK).count()).toBe(0);
    });
  });
});

/** A passkey for `rpId` that no app kept: a fresh P-256 key, resident, for a user of its own. */
async function unknownPasskey(rpId: string) {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
  ]);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return {
    credentialId: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64'),
    isResidentCredential: true,
    rpId,
    privateKey: Buffer.from(pkcs8).toString('base64'),
    userHandle: Buffer.from('demo').toString('base64'),
    signCount: 0,
  };
}

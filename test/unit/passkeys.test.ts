// session-security/passkeys against a software authenticator (test/support/authenticator.ts): a
// passkey made and used; then each way in that must stay shut: a challenge it did not make, one
// past its time, one used twice or made for another purpose or user, another origin or site, no
// user verification, another key, another user's handle, a counter that went back. And its options.

import { describe, expect, it } from 'vitest';
import { SessionSecurityConfigError } from '../../src/core/errors.js';
import { type PasskeyOptions, passkeys, type StoredPasskey } from '../../src/passkeys/index.js';
import { FLAGS, SoftAuthenticator, type Spoil } from '../support/authenticator.js';

const ORIGIN = 'https://bank.example';
const RP_ID = 'bank.example';
const SECRET = 'a secret of more than thirty-two characters';
const ADA = { id: 'ada-1', name: 'ada@bank.example' };

/** The passkeys of a test: its store, its clock (ms), and a registered passkey of Ada's. */
async function setUp(given: Partial<PasskeyOptions> = {}, step = 1) {
  const kept = new Map<string, StoredPasskey>();
  const counted: [string, number][] = [];
  const clock = { ms: Date.UTC(2026, 11, 7) };
  const keys = passkeys({
    rpID: RP_ID,
    origin: ORIGIN,
    secret: SECRET,
    find: (id) => kept.get(id),
    counted: (id, counter) => {
      counted.push([id, counter]);
      const passkey = kept.get(id);
      if (passkey) kept.set(id, { ...passkey, counter });
    },
    now: () => clock.ms,
    ...given,
  });
  const device = new SoftAuthenticator(RP_ID, ORIGIN, step);
  const options = (await keys.registrationOptions(ADA)) as { challenge: string };
  const passkey = await keys.register(ADA, device.register(options));
  if (!passkey) throw new Error('the passkey was not registered');
  kept.set(passkey.id, passkey);
  /** Signs in with Ada's passkey against a new challenge, spoiled as asked. */
  const signIn = async (spoil: Spoil = {}) =>
    keys.check(device.signIn((await keys.challenge()) as { challenge: string }, ADA.id, spoil));
  return { keys, kept, counted, clock, device, passkey, signIn };
}

describe('a passkey made and used', () => {
  it('registers a passkey for the user, and signs that user in with it, its counter kept', async () => {
    const { passkey, signIn, kept, counted } = await setUp();
    expect(passkey).toMatchObject({ userId: ADA.id, counter: 0, transports: ['internal'] });
    expect(passkey.publicKey).toBeInstanceOf(Uint8Array);
    expect(await signIn()).toBe(ADA.id);
    expect(counted).toEqual([[passkey.id, 1]]);
    expect(kept.get(passkey.id)?.counter).toBe(1);
    expect(await signIn()).toBe(ADA.id);
    expect(counted.at(-1)).toEqual([passkey.id, 2]);
  });

  it('asks the browser for a verified user and names the site; registration excludes kept passkeys', async () => {
    const { keys, passkey } = await setUp();
    const challenge = await keys.challenge();
    expect(challenge).toMatchObject({
      rpId: RP_ID,
      userVerification: 'required',
      timeout: 120_000,
    });
    // No list: the browser offers any passkey of the site (they are discoverable).
    expect(challenge.allowCredentials).toBeUndefined();
    const options = await keys.registrationOptions(ADA, [passkey]);
    expect(options).toMatchObject({
      rp: { id: RP_ID, name: RP_ID },
      user: {
        name: ADA.name,
        displayName: ADA.name,
        id: Buffer.from(ADA.id).toString('base64url'),
      },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      excludeCredentials: [{ id: passkey.id, type: 'public-key', transports: ['internal'] }],
    });
  });

  it('takes a synced passkey that counts nothing', async () => {
    const { signIn, counted } = await setUp({}, 0);
    expect(await signIn()).toBe(ADA.id);
    expect(await signIn()).toBe(ADA.id);
    expect(counted).toEqual([]);
  });

  it('takes an answer without a user handle (a passkey that is not discoverable) by its id', async () => {
    const { signIn } = await setUp();
    expect(await signIn({ userHandle: undefined })).toBe(ADA.id);
  });
});

describe('the ways in that stay shut', () => {
  it('refuses a challenge it did not make, whatever its shape', async () => {
    const { device, keys } = await setUp();
    for (const challenge of [
      Buffer.alloc(56, 7).toString('base64url'),
      Buffer.alloc(32, 7).toString('base64url'),
      'not base64url!',
      '',
    ]) {
      expect(await keys.check(device.signIn({ challenge }, ADA.id))).toBeUndefined();
    }
  });

  it("refuses one made with another secret (another app's)", async () => {
    const { device, keys } = await setUp();
    const other = await setUp({ secret: `${SECRET} but another` });
    const theirs = (await other.keys.challenge()) as { challenge: string };
    expect(await keys.check(device.signIn(theirs, ADA.id))).toBeUndefined();
  });

  it('refuses a challenge past its time, and takes it just before', async () => {
    const { device, keys, clock } = await setUp({ challengeTimeout: 60 });
    const late = (await keys.challenge()) as { challenge: string };
    const onTime = (await keys.challenge()) as { challenge: string };
    clock.ms += 59_999;
    expect(await keys.check(device.signIn(onTime, ADA.id))).toBe(ADA.id);
    clock.ms += 1;
    expect(await keys.check(device.signIn(late, ADA.id))).toBeUndefined();
  });

  it('takes each challenge once: the same answer, or another answer to it, is refused', async () => {
    const { device, keys } = await setUp({}, 0);
    const options = (await keys.challenge()) as { challenge: string };
    const answer = device.signIn(options, ADA.id);
    expect(await keys.check(answer)).toBe(ADA.id);
    expect(await keys.check(answer)).toBeUndefined();
    expect(await keys.check(device.signIn(options, ADA.id))).toBeUndefined();
  });

  it('does not burn a challenge on an answer that fails: the right one still signs in', async () => {
    const { device, keys } = await setUp();
    const options = (await keys.challenge()) as { challenge: string };
    expect(await keys.check(device.signIn(options, ADA.id, { wrongKey: true }))).toBeUndefined();
    expect(await keys.check(device.signIn(options, ADA.id))).toBe(ADA.id);
  });

  it("refuses a registration's challenge to sign in, and a sign-in's to register", async () => {
    const { device, keys } = await setUp();
    const registration = (await keys.registrationOptions(ADA)) as { challenge: string };
    expect(await keys.check(device.signIn(registration, ADA.id))).toBeUndefined();
    const signIn = (await keys.challenge()) as { challenge: string };
    const fresh = new SoftAuthenticator(RP_ID, ORIGIN);
    expect(await keys.register(ADA, fresh.register(signIn))).toBeUndefined();
  });

  it("refuses a passkey made with another user's registration challenge", async () => {
    const { keys } = await setUp();
    const eve = { id: 'eve-2', name: 'eve@bank.example' };
    const forEve = (await keys.registrationOptions(eve)) as { challenge: string };
    const device = new SoftAuthenticator(RP_ID, ORIGIN);
    expect(await keys.register(ADA, device.register(forEve))).toBeUndefined();
    const forEveAgain = (await keys.registrationOptions(eve)) as { challenge: string };
    expect(await keys.register(eve, device.register(forEveAgain))).toMatchObject({
      userId: eve.id,
    });
  });

  it.each<[string, Spoil]>([
    ['another origin', { origin: 'https://bank.example.evil' }],
    ['another site', { rpId: 'evil.example' }],
    ['a registration (webauthn.create) for a sign-in', { type: 'webauthn.create' }],
    ['no user verification', { flags: FLAGS.UP }],
    ['no user presence', { flags: FLAGS.UV }],
    ['another key', { wrongKey: true }],
    ["another user's handle", { userHandle: Buffer.from('eve-2').toString('base64url') }],
  ])('refuses %s', async (_what, spoil) => {
    const { signIn } = await setUp();
    expect(await signIn(spoil)).toBeUndefined();
  });

  it('refuses a counter that went back (a cloned authenticator)', async () => {
    const { signIn } = await setUp();
    expect(await signIn()).toBe(ADA.id);
    expect(await signIn()).toBe(ADA.id);
    expect(await signIn({ counter: 1 })).toBeUndefined();
  });

  it('refuses a passkey the app does not keep, and answers that are not answers', async () => {
    const { keys, kept, passkey, signIn } = await setUp();
    kept.delete(passkey.id);
    expect(await signIn()).toBeUndefined();
    for (const answer of [undefined, null, 'x', 42, {}, { id: '' }, { id: passkey.id }, []]) {
      expect(await keys.check(answer)).toBeUndefined();
    }
  });

  it("lets the app's own failures through: a failing find is an error, not a refusal", async () => {
    const failure = new Error('the database is down');
    const { keys, device } = await setUp();
    const broken = passkeys({
      rpID: RP_ID,
      origin: ORIGIN,
      secret: SECRET,
      find: () => Promise.reject(failure),
    });
    const options = (await broken.challenge()) as { challenge: string };
    await expect(broken.check(device.signIn(options, ADA.id))).rejects.toBe(failure);
    expect(keys).toBeDefined();
  });

  it("claims through the store's claim when it offers one (the lock's), for the challenge's time left", async () => {
    const { device, keys, clock } = await setUp({}, 0);
    const claims: [string, number][] = [];
    const storeClaim = async (challenge: string, ttlMs: number) => {
      claims.push([challenge, ttlMs]);
      return claims.filter(([seen]) => seen === challenge).length === 1;
    };
    const options = (await keys.challenge()) as { challenge: string };
    clock.ms += 20_000;
    const answer = device.signIn(options, ADA.id);
    expect(await keys.check(answer, storeClaim)).toBe(ADA.id);
    expect(claims).toEqual([[options.challenge, 100_000]]);
    // Another instance's process never saw it: the store says no.
    expect(await keys.check(answer, storeClaim)).toBeUndefined();
    expect(claims).toHaveLength(2);
  });

  it("prefers the app's claimChallenge to the store's", async () => {
    const appClaims: string[] = [];
    const { device, keys } = await setUp({
      claimChallenge: (challenge) => {
        appClaims.push(challenge);
        return true;
      },
    });
    const storeClaim = async () => {
      throw new Error('the store must not be asked');
    };
    const options = (await keys.challenge()) as { challenge: string };
    expect(await keys.check(device.signIn(options, ADA.id), storeClaim)).toBe(ADA.id);
    expect(appClaims.at(-1)).toBe(options.challenge);
  });

  it('claims through claimChallenge when given, once the signature holds', async () => {
    const claims: [string, number][] = [];
    const { signIn, clock } = await setUp({
      claimChallenge: (challenge, expiresAtMs) => {
        claims.push([challenge, expiresAtMs]);
        return claims.length === 1;
      },
    });
    // Registration claimed the first: the shared store says no from now on.
    expect(claims).toHaveLength(1);
    expect(await signIn({ wrongKey: true })).toBeUndefined();
    expect(claims).toHaveLength(1);
    expect(await signIn()).toBeUndefined();
    expect(claims).toHaveLength(2);
    expect(claims[1]?.[1]).toBe(clock.ms + 120_000);
  });
});

describe('its options', () => {
  const valid: PasskeyOptions = {
    rpID: RP_ID,
    origin: ORIGIN,
    secret: SECRET,
    find: () => undefined,
  };
  const error = (options: unknown) => {
    try {
      passkeys(options as PasskeyOptions);
    } catch (caught) {
      expect(caught).toBeInstanceOf(SessionSecurityConfigError);
      return (caught as Error).message;
    }
    throw new Error('no error');
  };

  it.each([
    ['rpID', { rpID: 'https://bank.example' }, 'a domain name'],
    ['rpID', { rpID: 'Bank.Example' }, 'lower case'],
    ['origin', { origin: 'bank.example' }, 'an origin'],
    ['origin', { origin: ['https://bank.example/login'] }, 'no path'],
    ['find', { find: undefined }, 'a function (id)'],
    ['challengeTimeout', { challengeTimeout: 5 }, 'from 10 to 600'],
    ['unknown', { rpId: RP_ID }, 'rpId'],
  ])('refuses a wrong %s, saying what it expects', (_name, change, expected) => {
    expect(error({ ...valid, ...change })).toContain(expected);
  });

  it('never echoes a short secret', () => {
    const message = error({ ...valid, secret: 'hunter2' });
    expect(message).toContain('7 characters');
    expect(message).not.toContain('hunter2');
  });

  it('refuses a user id WebAuthn cannot carry (over 64 bytes), or none', async () => {
    const keys = passkeys(valid);
    await expect(keys.registrationOptions({ id: 'é'.repeat(33), name: 'x' })).rejects.toThrow(
      '66 bytes',
    );
    await expect(keys.registrationOptions({ id: '', name: 'x' })).rejects.toThrow('non-empty');
  });
});

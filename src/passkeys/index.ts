// Passkeys for the lock (docs/guide/lock.md: Passkeys): sign in again in place with WebAuthn. The
// library makes the challenge and checks the passkey's signature with @simplewebauthn/server (an
// optional peer); the app keeps its users' passkeys and, through `lock.verify`, signs the user in.
// Must not: accept a challenge it did not make, one past its time, or one twice; take a passkey
// for a user other than the one it was registered to; load any `node:` module (it runs wherever
// the web entry runs).

import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { aFunction, checkOptions, listOf, matching, refuse, satisfying } from '../core/checks.js';
import { describeValue, SessionSecurityConfigError } from '../core/errors.js';
import type { LockPasskeys } from '../core/options.js';

export type { LockPasskeys } from '../core/options.js';

/** A passkey as the app keeps it: what {@link Passkeys.register} gave, its counter kept up to date. */
export interface StoredPasskey {
  /** The credential's id (base64url), by which {@link PasskeyOptions.find} finds it. */
  readonly id: string;
  /** The user it signs in: the `id` it was registered for. */
  readonly userId: string;
  /** Its public key (COSE). */
  readonly publicKey: Uint8Array;
  /** How many times the authenticator says it was used (0 for most synced passkeys). */
  readonly counter: number;
  /** How the browser may reach it (`internal`, `hybrid`, `usb`…), when it said. */
  readonly transports?: readonly string[];
}

/** The options of {@link passkeys}. */
export interface PasskeyOptions {
  /** The relying party's id: the site's domain (`example.com`; `localhost` in development). */
  rpID: string;
  /** The site's name, shown by the browser when a passkey is made. Default: `rpID`. */
  rpName?: string;
  /** The origin (or origins) the pages are served from, e.g. `https://example.com`. */
  origin: string | readonly string[];
  /** At least 32 characters, kept secret: it signs the challenges, so none need be stored. */
  secret: string;
  /** The app's passkey with this credential id, or undefined. */
  find(id: string): StoredPasskey | undefined | Promise<StoredPasskey | undefined>;
  /** Keeps a passkey's new counter after it signed in. Optional: most passkeys count nothing. */
  counted?(id: string, counter: number): void | Promise<void>;
  /**
   * Resolves true the first time it sees a challenge, false after: each challenge signs in once.
   * Default: at the lock, the store's (the Redis store claims it in Redis, for every instance);
   * elsewhere, and with the default store, remembered in this process until it expires. Give one
   * on a store the instances share when neither holds, e.g. Redis `SET key 1 NX PXAT expiresAtMs`.
   */
  claimChallenge?(challenge: string, expiresAtMs: number): boolean | Promise<boolean>;
  /** How long a challenge holds, in seconds, from 10 to 600. Default: 120. */
  challengeTimeout?: number;
  /** The current time in milliseconds since the epoch, for tests. Default: `Date.now`. */
  now?: () => number;
}

/** The user a passkey is made for. */
export interface PasskeyUser {
  /** The app's user id: at most 64 bytes in UTF-8 (WebAuthn's limit); the lock's `verify` gets it. */
  readonly id: string;
  /** The name the browser shows with the passkey (an email, a user name). */
  readonly name: string;
  /** A friendlier name. Default: `name`. */
  readonly displayName?: string;
}

/**
 * Passkeys for the lock (give it as `lock.passkeys`), and the two steps by which the app's own
 * page makes one.
 */
export interface Passkeys extends LockPasskeys {
  /**
   * The options of `navigator.credentials.create()` for a new passkey of `user`, as JSON (the
   * browser's `PublicKeyCredential.parseCreationOptionsFromJSON` takes them).
   *
   * @param existing - the user's passkeys already kept, so that an authenticator makes no second one
   */
  registrationOptions(
    user: PasskeyUser,
    existing?: readonly StoredPasskey[],
  ): Promise<Record<string, unknown>>;
  /**
   * Checks the browser's answer to those options (`credential.toJSON()`): the passkey to keep
   * for `user`, or undefined when it does not hold (another user's challenge, too late, twice).
   */
  register(user: PasskeyUser, response: unknown): Promise<StoredPasskey | undefined>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** The parts of a challenge: when it expires, a nonce, and the MAC of both and its purpose. */
const EXPIRY_BYTES = 8;
const NONCE_BYTES = 16;
const MAC_BYTES = 32;
const CHALLENGE_BYTES = EXPIRY_BYTES + NONCE_BYTES + MAC_BYTES;
/** WebAuthn's limit on a user handle. */
const MAX_USER_ID_BYTES = 64;

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  // base64 to base64url: `-` for `+`, `_` for `/`, no padding.
  return btoa(binary).replace(/[+/=]/g, (char) => (char === '+' ? '-' : char === '/' ? '_' : ''));
}

function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Equal bytes, in a time that does not depend on where they differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

const passkeyChecks = {
  rpID: {
    check: matching(
      /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/,
      'a domain name in lower case, without scheme or port (example.com, localhost)',
    ),
    required: true,
  },
  rpName: {
    check: matching(/^\P{Cc}{1,64}$/u, 'a name of 1 to 64 characters, no control character'),
  },
  origin: {
    check: (value: unknown, label: string) =>
      listOf(
        matching(
          /^https?:\/\/[^/?#\s]+$/,
          'an origin: scheme and host, with a port if not the default, no path (https://example.com)',
        ),
        'an origin or a list of origins',
      )(typeof value === 'string' ? [value] : value, label),
    required: true,
  },
  secret: {
    // Never echoed: a message shows its length only.
    check: (value: unknown, label: string) =>
      typeof value === 'string' && value.length >= 32
        ? value
        : refuse(
            label,
            value,
            'a string of at least 32 characters, kept secret and the same on every instance, e.g. process.env.PASSKEY_SECRET',
            typeof value === 'string' ? `${value.length} characters` : undefined,
          ),
    required: true,
  },
  find: {
    check: aFunction<PasskeyOptions['find']>(
      'a function (id) => the passkey with this credential id, or undefined',
    ),
    required: true,
  },
  counted: {
    check: aFunction<NonNullable<PasskeyOptions['counted']>>(
      "a function (id, counter) that keeps the passkey's new counter",
    ),
  },
  claimChallenge: {
    check: aFunction<NonNullable<PasskeyOptions['claimChallenge']>>(
      'a function (challenge, expiresAtMs) => true the first time it sees the challenge, false after',
    ),
  },
  challengeTimeout: {
    check: satisfying<number>(
      (value) => typeof value === 'number' && value >= 10 && value <= 600,
      'a number of seconds from 10 to 600',
    ),
    default: 120,
  },
  now: { check: aFunction<() => number>('a function () => milliseconds since the epoch') },
} as const;

/** Challenges signed with the secret: made for one purpose, checked for it, each with its expiry. */
function signedChallenges(secret: string, timeoutMs: number, now: () => number) {
  const key = crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  /** The MAC of a challenge's time and nonce, for one purpose (signing in, or one user's new passkey). */
  const mac = async (purpose: string, head: Uint8Array) =>
    new Uint8Array(
      await crypto.subtle.sign(
        'HMAC',
        await key,
        new Uint8Array([...encoder.encode(`session-security passkey ${purpose}\u0000`), ...head]),
      ),
    );
  return {
    async make(purpose: string): Promise<Uint8Array<ArrayBuffer>> {
      const head = new Uint8Array(EXPIRY_BYTES + NONCE_BYTES);
      new DataView(head.buffer).setBigUint64(0, BigInt(Math.floor(now() + timeoutMs)));
      crypto.getRandomValues(head.subarray(EXPIRY_BYTES));
      return new Uint8Array([...head, ...(await mac(purpose, head))]);
    },
    /** When a challenge made for `purpose` expires; undefined for any other, or one past its time. */
    async expiryOf(purpose: string, text: string): Promise<number | undefined> {
      const bytes = fromBase64url(text);
      if (bytes?.length !== CHALLENGE_BYTES) return undefined;
      const head = bytes.subarray(0, EXPIRY_BYTES + NONCE_BYTES);
      if (!sameBytes(bytes.subarray(head.length), await mac(purpose, head))) return undefined;
      const expires = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0));
      return expires > now() ? expires : undefined;
    },
  };
}

/** The default `claimChallenge`: challenges remembered in this process until they expire. */
function claimedInProcess(now: () => number) {
  const claimed = new Map<string, number>();
  return (challenge: string, expiresAtMs: number) => {
    // After they expire, the MAC's time refuses them anyway.
    const at = now();
    for (const [seen, expires] of claimed) if (expires <= at) claimed.delete(seen);
    if (claimed.has(challenge)) return false;
    claimed.set(challenge, expiresAtMs);
    return true;
  };
}

/** A user's id as WebAuthn's user handle: its UTF-8, at most 64 bytes. */
function userHandle(user: PasskeyUser): Uint8Array<ArrayBuffer> {
  if (typeof user?.id !== 'string' || user.id === '') {
    throw new SessionSecurityConfigError(
      'passkeys',
      `the user's id (${describeValue(user?.id)}) must be a non-empty string`,
    );
  }
  const bytes = encoder.encode(user.id);
  if (bytes.length > MAX_USER_ID_BYTES) {
    throw new SessionSecurityConfigError(
      'passkeys',
      `the user's id is ${bytes.length} bytes in UTF-8: WebAuthn takes at most ${MAX_USER_ID_BYTES}`,
    );
  }
  return bytes;
}

/**
 * What @simplewebauthn/server throws (a malformed answer, a bad signature, a wrong origin) is a
 * refusal; what the app's own hooks throw is not caught: the lock answers 500 and logs it.
 */
async function refusing<T>(check: () => Promise<T>): Promise<T | undefined> {
  try {
    return await check();
  } catch {
    return undefined;
  }
}

/** The challenge a browser's answer carries, from its client data (already checked). */
function challengeOf(response: { response: { clientDataJSON: string } }): string {
  const data = fromBase64url(response.response.clientDataJSON) ?? new Uint8Array();
  return (JSON.parse(decoder.decode(data)) as { challenge: string }).challenge;
}

/**
 * Passkeys for the lock: give the result as `lock.passkeys`, and a locked page offers to sign in
 * again with a passkey beside the password. The app keeps its users' passkeys (`find`); its own
 * page makes them with {@link Passkeys.registrationOptions} and {@link Passkeys.register}.
 *
 * @example
 * ```ts
 * import { passkeys, type StoredPasskey } from 'session-security/passkeys';
 *
 * const kept = new Map<string, StoredPasskey>(); // the app's table of passkeys, by credential id
 * const keys = passkeys({
 *   rpID: 'localhost',
 *   origin: 'http://localhost:3000',
 *   secret: process.env.PASSKEY_SECRET ?? 'a long random string, the same on every instance',
 *   find: (id) => kept.get(id),
 *   counted: (id, counter) => {
 *     const passkey = kept.get(id);
 *     if (passkey) kept.set(id, { ...passkey, counter });
 *   },
 * });
 * ```
 */
export function passkeys(options: PasskeyOptions): Passkeys {
  const checked = checkOptions(options, passkeyChecks, {
    owner: 'passkeys',
    example: "{ rpID: 'example.com', origin: 'https://example.com', secret, find }",
  });
  const { rpID, find, counted } = checked;
  const rpName = checked.rpName ?? rpID;
  const origins = [...checked.origin] as string[];
  const now = checked.now ?? Date.now;
  const challengeTimeoutMs = checked.challengeTimeout * 1000;
  const claimChallenge = checked.claimChallenge ?? claimedInProcess(now);
  const challenges = signedChallenges(checked.secret, challengeTimeoutMs, now);

  return {
    async challenge() {
      return (await generateAuthenticationOptions({
        rpID,
        challenge: await challenges.make('sign-in'),
        timeout: challengeTimeoutMs,
        userVerification: 'required',
      })) as unknown as Record<string, unknown>;
    },

    async check(response, storeClaim) {
      const answer = response as AuthenticationResponseJSON;
      if (typeof answer?.id !== 'string' || answer.id === '') return undefined;
      const passkey = await find(answer.id);
      if (passkey === undefined) return undefined;
      // A passkey names its user: it must be the one the app kept it for.
      const handle = answer.response?.userHandle;
      if (handle !== undefined && handle !== base64url(encoder.encode(passkey.userId))) {
        return undefined;
      }
      let expires: number | undefined;
      const result = await refusing(() =>
        verifyAuthenticationResponse({
          response: answer,
          expectedChallenge: async (text) => {
            expires = await challenges.expiryOf('sign-in', text);
            return expires !== undefined;
          },
          expectedOrigin: origins,
          expectedRPID: rpID,
          credential: {
            id: passkey.id,
            publicKey: passkey.publicKey as Uint8Array<ArrayBuffer>,
            counter: passkey.counter,
            transports: passkey.transports as AuthenticatorTransportFuture[] | undefined,
          },
          requireUserVerification: true,
        }),
      );
      if (!result?.verified || expires === undefined) return undefined;
      // Claimed only once the signature holds: nobody burns a challenge without the passkey. The
      // app's own claim first, else the store's (every instance), else this process's.
      const challengeText = challengeOf(answer);
      const claimed =
        storeClaim && !checked.claimChallenge
          ? await storeClaim(challengeText, expires - now())
          : await claimChallenge(challengeText, expires);
      if (claimed !== true) return undefined;
      const { newCounter } = result.authenticationInfo;
      if (newCounter !== passkey.counter) await counted?.(passkey.id, newCounter);
      return passkey.userId;
    },

    async registrationOptions(user, existing = []) {
      const userID = userHandle(user);
      return (await generateRegistrationOptions({
        rpName,
        rpID,
        userID: userID as Uint8Array<ArrayBuffer>,
        userName: user.name,
        userDisplayName: user.displayName ?? user.name,
        challenge: await challenges.make(`new passkey of ${user.id}`),
        timeout: challengeTimeoutMs,
        attestationType: 'none',
        excludeCredentials: existing.map(({ id, transports }) => ({
          id,
          ...(transports ? { transports: transports as AuthenticatorTransportFuture[] } : {}),
        })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      })) as unknown as Record<string, unknown>;
    },

    async register(user, response) {
      userHandle(user);
      const answer = response as RegistrationResponseJSON;
      let expires: number | undefined;
      const result = await refusing(() =>
        verifyRegistrationResponse({
          response: answer,
          expectedChallenge: async (text) => {
            expires = await challenges.expiryOf(`new passkey of ${user.id}`, text);
            return expires !== undefined;
          },
          expectedOrigin: origins,
          expectedRPID: rpID,
          requireUserVerification: true,
        }),
      );
      if (!result?.verified || result.registrationInfo === undefined || expires === undefined) {
        return undefined;
      }
      if ((await claimChallenge(challengeOf(answer), expires)) !== true) return undefined;
      const { credential } = result.registrationInfo;
      return {
        id: credential.id,
        userId: user.id,
        publicKey: credential.publicKey,
        counter: credential.counter,
        ...(credential.transports ? { transports: credential.transports } : {}),
      };
    },
  };
}

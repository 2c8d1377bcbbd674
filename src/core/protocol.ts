// The ping protocol (docs/reference/protocol.md: The ping protocol): the routes, the parsing of a ping's body, and every
// answer. Pure: the server layer does the I/O and runs the checks in the documented order.

import type { ActiveStatus, ExpiryReason } from './policy.js';

/** A JSON answer: status, headers and a body to serialise. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A ping or logout body larger than this is refused with 413. */
export const MAX_BODY_BYTES = 1024;

/** The most bytes `POST {prefix}/unlock` may carry: a user name and a password, escaped. */
export const MAX_UNLOCK_BYTES = 8192;

/** The library's routes under the prefix, with the methods each allows: the ping protocol and the client's assets. */
export const ROUTES = {
  '/ping': ['GET', 'POST'],
  '/logout': ['POST'],
  '/config': ['GET'],
  '/client.js': ['GET', 'HEAD'],
  '/client.css': ['GET', 'HEAD'],
  '/drafts.js': ['GET', 'HEAD'],
  '/dialog.js': ['GET', 'HEAD'],
  '/lock.js': ['GET', 'HEAD'],
  '/unlock': ['POST'],
  '/lease': ['POST'],
} as const satisfies Record<string, readonly string[]>;

export type Route = keyof typeof ROUTES;

const EXPECTED_BODY =
  'expected a JSON object {"sinceActivity": <seconds since the last user input, a finite number >= 0>}, with "extend": true when the user chose to stay signed in';

/**
 * Why an ended sign-in's requests are turned away with `expired`: it expired, it was ended from
 * elsewhere, or the store lost its record before its deadline (`lost`).
 */
export type ExpiredReason = ExpiryReason | 'revoked' | 'lost';

/**
 * The header in which the client names its page's sign-in (the `session` of its config) on every
 * request to the library's routes: an anonymous ping then learns how that sign-in ended, so a tab
 * tells a sign-out (drafts deleted) from an expiry (drafts kept).
 */
export const SIGN_IN_HEADER = 'x-session-security-sign-in';

/**
 * The header of an answer that asks for a recent sign-in (`requireRecentSignIn`): `reauth`. Sent
 * with the 401 by the library's answers and, from the error's `headers`, by frameworks' default
 * error handlers (Express, Koa, Fastify), so the browser client knows it whatever the body.
 */
export const REAUTH_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-session-security': 'reauth',
};

/** The longest sign-in marker a store is asked about (markers are 22 characters). */
const MAX_MARKER_LENGTH = 64;

/** The sign-in a request names in {@link SIGN_IN_HEADER}, when it is shaped like a marker. */
export function namedSignIn(value: string | undefined): string | undefined {
  return value !== undefined &&
    value.length > 0 &&
    value.length <= MAX_MARKER_LENGTH &&
    /^[\w-]+$/.test(value)
    ? value
    : undefined;
}

/** The result of reading a ping's body. `extend` is true when the user chose to stay signed in. */
export type PingBody =
  | { ok: true; sinceActivitySeconds: number; extend: boolean }
  | { ok: false; error: string };

/**
 * Parses the body of `POST {prefix}/ping`.
 *
 * @example
 * ```ts
 * parsePingBody('{"sinceActivity": 12.5}'); // { ok: true, sinceActivitySeconds: 12.5, extend: false }
 * parsePingBody('{"sinceActivity": 0, "extend": true}'); // { ok: true, sinceActivitySeconds: 0, extend: true }
 * parsePingBody('{"sinceActivity": "5"}');  // { ok: false, error: 'sinceActivity ("5") must be ...' }
 * ```
 */
export function parsePingBody(text: string): PingBody {
  if (text.trim() === '') return { ok: false, error: `the body is empty: ${EXPECTED_BODY}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: `the body is not valid JSON: ${EXPECTED_BODY}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind =
      parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    return { ok: false, error: `the body is ${kind}, not an object: ${EXPECTED_BODY}` };
  }
  const count = countTopLevelKey(text, 'sinceActivity');
  if (count === 0) return { ok: false, error: `sinceActivity is missing: ${EXPECTED_BODY}` };
  const extendCount = countTopLevelKey(text, 'extend');
  for (const [key, n] of [
    ['sinceActivity', count],
    ['extend', extendCount],
  ] as const) {
    if (n > 1) {
      return {
        ok: false,
        error: `${key} appears ${n} times; it must appear once: ${EXPECTED_BODY}`,
      };
    }
  }
  const extend: unknown = (parsed as Record<string, unknown>).extend;
  if (extendCount === 1 && typeof extend !== 'boolean') {
    const shown = JSON.stringify(extend) ?? String(extend);
    return {
      ok: false,
      error: `extend (${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}) must be true or false, or be left out`,
    };
  }
  const value: unknown = (parsed as Record<string, unknown>).sinceActivity;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
    return {
      ok: false,
      error: `sinceActivity (${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}) must be a finite number of seconds, 0 or more, e.g. {"sinceActivity": 12.5}`,
    };
  }
  return { ok: true, sinceActivitySeconds: value, extend: extend === true };
}

/** What `POST {prefix}/lease` carries, once parsed. */
export type LeaseBody =
  | { ok: true; kind: 'hold'; maxSeconds: number | undefined; label: string | undefined }
  | { ok: true; kind: 'end'; lease: string }
  | { ok: false; error: string };

const EXPECTED_LEASE =
  'expected a JSON object {"hold": {"maxSeconds": <seconds above 0>, "label": "upload"}} (both optional) or {"end": "<the lease of the hold\'s answer>"}';

/** The longest lease id a browser may send, in characters. */
const MAX_LEASE_ID = 128;
/** The longest lease label, in characters: a browser's longer one is refused, an app's is cut. */
export const MAX_LEASE_LABEL = 64;

/**
 * Parses the body of `POST {prefix}/lease`: a lease to take, with the longest it may hold and what
 * it is, or one to end. A label is printable ASCII (it goes into events and logs as it is).
 *
 * @example
 * ```ts
 * parseLeaseBody('{"hold": {"maxSeconds": 600, "label": "upload"}}'); // { ok: true, kind: 'hold', maxSeconds: 600, label: 'upload' }
 * parseLeaseBody('{"end": "abc.1.2"}'); // { ok: true, kind: 'end', lease: 'abc.1.2' }
 * ```
 */
export function parseLeaseBody(text: string): LeaseBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: `the body is not valid JSON: ${EXPECTED_LEASE}` };
  }
  const body = (
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {}
  ) as Record<string, unknown>;
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0] === 'end') {
    const lease = body.end;
    return typeof lease === 'string' && lease.length > 0 && lease.length <= MAX_LEASE_ID
      ? { ok: true, kind: 'end', lease }
      : { ok: false, error: `end must name a lease: ${EXPECTED_LEASE}` };
  }
  const hold = body.hold as Record<string, unknown> | null | undefined;
  if (keys.length !== 1 || keys[0] !== 'hold' || hold === null || typeof hold !== 'object') {
    return { ok: false, error: EXPECTED_LEASE };
  }
  const { maxSeconds, label, ...rest } = hold;
  const secondsOk =
    maxSeconds === undefined ||
    (typeof maxSeconds === 'number' && maxSeconds > 0 && maxSeconds <= 365 * 24 * 3600);
  const labelOk =
    label === undefined ||
    (typeof label === 'string' && label.length <= MAX_LEASE_LABEL && /^[\x20-\x7e]*$/.test(label));
  if (!secondsOk || !labelOk || Object.keys(rest).length > 0) {
    return { ok: false, error: EXPECTED_LEASE };
  }
  return { ok: true, kind: 'hold', maxSeconds, label };
}

/** The longest user name and password the lock takes, in characters. */
const MAX_USERNAME = 256;
const MAX_PASSWORD = 1024;

const EXPECTED_UNLOCK =
  'expected a JSON object {"username": "…", "password": "…"}, {"passkey": "challenge"} or {"passkey": {…the credential\'s toJSON()}}';

/** What `POST {prefix}/unlock` carries, once parsed. */
export type UnlockBody =
  | { ok: true; kind: 'password'; username: string; password: string }
  /** Asks for a passkey challenge (the options of `navigator.credentials.get()`). */
  | { ok: true; kind: 'passkey-challenge' }
  /** A passkey's answer to that challenge, as the browser's `toJSON()` gave it. */
  | { ok: true; kind: 'passkey'; response: Record<string, unknown> }
  | { ok: false; error: string };

/**
 * Parses the body of `POST {prefix}/unlock`: a user name and a password, both strings, each key
 * once, neither empty nor longer than the lock takes; or a passkey's request for a challenge, or
 * its answer (an object, checked by the passkeys' own `check`), alone.
 *
 * @example
 * ```ts
 * parseUnlockBody('{"username": "ada", "password": "secret"}'); // { ok: true, kind: 'password', username: 'ada', password: 'secret' }
 * parseUnlockBody('{"passkey": "challenge"}'); // { ok: true, kind: 'passkey-challenge' }
 * parseUnlockBody('{"username": "ada"}'); // { ok: false, error: 'password must be …' }
 * ```
 */
export function parseUnlockBody(text: string): UnlockBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: `the body is not valid JSON: ${EXPECTED_UNLOCK}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, error: `the body is not an object: ${EXPECTED_UNLOCK}` };
  }
  const given = parsed as Record<string, unknown>;
  for (const key of ['username', 'password', 'passkey']) {
    if (countTopLevelKey(text, key) > 1) {
      return { ok: false, error: `${key} appears more than once: ${EXPECTED_UNLOCK}` };
    }
  }
  if (Object.hasOwn(given, 'passkey')) {
    const { passkey } = given;
    if (Object.keys(given).length !== 1) {
      return { ok: false, error: `a passkey comes alone: ${EXPECTED_UNLOCK}` };
    }
    if (passkey === 'challenge') return { ok: true, kind: 'passkey-challenge' };
    if (passkey !== null && typeof passkey === 'object' && !Array.isArray(passkey)) {
      return { ok: true, kind: 'passkey', response: passkey as Record<string, unknown> };
    }
    return { ok: false, error: `passkey must be "challenge" or an object: ${EXPECTED_UNLOCK}` };
  }
  for (const [key, max] of [
    ['username', MAX_USERNAME],
    ['password', MAX_PASSWORD],
  ] as const) {
    const value = given[key];
    if (typeof value !== 'string' || value === '' || value.length > max) {
      return {
        ok: false,
        error: `${key} must be a string of 1 to ${max} characters: ${EXPECTED_UNLOCK}`,
      };
    }
  }
  return {
    ok: true,
    kind: 'password',
    username: given.username as string,
    password: given.password as string,
  };
}

/**
 * Counts the members named `key` in the top-level object of a valid JSON text.
 * `JSON.parse` keeps the last of duplicated keys silently; a ping must say one thing.
 */
function countTopLevelKey(json: string, key: string): number {
  let depth = 0;
  let count = 0;
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') depth--;
    else if (char === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
      let next = i + 1;
      while (/\s/.test(json[next] ?? '')) next++;
      const isMemberName = depth === 1 && json[next] === ':';
      if (isMemberName && JSON.parse(json.slice(start, i + 1)) === key) count++;
    }
  }
  return count;
}

const NO_STORE = { 'cache-control': 'no-store' };

function answer(status: number, body: Record<string, unknown>, headers = {}): Answer {
  return { status, headers: { ...NO_STORE, ...headers }, body };
}

/** The answers of the ping protocol (docs/reference/protocol.md), every one `Cache-Control: no-store`. */
export const answers = {
  /** With the lock, `user` is the drafts key of the sign-in's user. */
  active: (status: ActiveStatus & { user?: string }): Answer => answer(200, { ...status }),
  /** The ping's active answer with the browser client's config: `{prefix}/config`, for single-page apps. */
  config: (status: ActiveStatus, config: object): Answer => answer(200, { ...status, config }),
  expired: (reason: ExpiredReason): Answer => answer(401, { status: 'expired', reason }),
  /** The lock's credentials did not hold. */
  credentialsRefused: (passkey?: boolean): Answer =>
    answer(401, {
      status: 'refused',
      error: passkey ? 'the passkey was not accepted' : 'the user name or password is not right',
    }),
  /** The lock's passkey challenge: the options of `navigator.credentials.get()`, as JSON. */
  passkeyChallenge: (options: Record<string, unknown>): Answer =>
    answer(200, { status: 'passkey', options }),
  /** The sign-in is older than the request allows (`requireRecentSignIn`): sign in again, then retry. */
  reauth: (maxAge: number): Answer =>
    answer(401, { status: 'reauth', reason: 'reauth', maxAge }, REAUTH_HEADERS),
  /** A lease taken (`POST {prefix}/lease`): its id, to end it with, and the longest it may hold (seconds). */
  held: (lease: string, maxSeconds: number): Answer =>
    answer(200, { status: 'held', lease, maxSeconds }),
  /** A lease ended, or none by that id was live (ended already, lapsed, or another sign-in's). */
  released: (): Answer => answer(200, { status: 'released' }),
  /** The sign-in holds as many leases as it may. */
  tooManyLeases: (): Answer =>
    answer(429, { status: 'error', error: 'this sign-in holds as many leases as it may' }),
  /** With `logout`: this browser's sign-in was signed out (every tab deletes its drafts). */
  anonymous: (reason?: 'logout'): Answer =>
    answer(401, reason ? { status: 'anonymous', reason } : { status: 'anonymous' }),
  signedOut: (): Answer => answer(200, { status: 'anonymous' }),
  badRequest: (error: string): Answer => answer(400, { status: 'error', error }),
  forbidden: (error: string): Answer => answer(403, { status: 'error', error }),
  notFound: (path: string): Answer =>
    answer(404, {
      status: 'error',
      error: `${JSON.stringify(path)} is not a session-security route: expected ${Object.keys(ROUTES).join(' or ')} under the prefix`,
    }),
  methodNotAllowed: (route: Route, method: string): Answer =>
    answer(
      405,
      {
        status: 'error',
        error: `${method} is not allowed on ${route}: use ${ROUTES[route].join(' or ')}`,
      },
      { allow: ROUTES[route].join(', ') },
    ),
  /** Past the ping's limit, or (`unlock`) the unlock's. */
  tooLarge: (unlock?: boolean): Answer =>
    answer(413, {
      status: 'error',
      error: unlock
        ? `the body is larger than ${MAX_UNLOCK_BYTES} bytes: ${EXPECTED_UNLOCK}`
        : `the body is larger than ${MAX_BODY_BYTES} bytes: ${EXPECTED_BODY}`,
    }),
  unsupportedMediaType: (contentType: string | undefined): Answer =>
    answer(415, {
      status: 'error',
      error: `Content-Type ${contentType === undefined ? 'is missing' : `${JSON.stringify(contentType)} is not accepted`}: send application/json`,
    }),
  /** An app's hook (the lock's `verify`, its passkeys) threw or broke its contract: the app's error, logged. */
  hookFailed: (hook: string): Answer =>
    answer(500, { status: 'error', error: `${hook} failed; the server's log says why` }),
  unavailable: (): Answer =>
    answer(503, {
      status: 'error',
      error: 'the session store is unavailable; try again shortly',
    }),
};

/**
 * Where an expired navigation goes: `loginUrl` with `next` (the path to come back to, when
 * there is one) and `reason` added to its query.
 *
 * @example
 * ```ts
 * loginLocation('/login', '/reports?page=2', 'idle'); // '/login?next=%2Freports%3Fpage%3D2&reason=idle'
 * ```
 */
export function loginLocation(
  loginUrl: string,
  next: string | undefined,
  reason: ExpiredReason | 'reauth',
): string {
  const isAbsolute = /^https?:\/\//i.test(loginUrl);
  const url = new URL(loginUrl, 'http://placeholder.invalid');
  if (next !== undefined) url.searchParams.set('next', next);
  url.searchParams.set('reason', reason);
  return isAbsolute ? url.href : `${url.pathname}${url.search}${url.hash}`;
}

/**
 * The `Clear-Site-Data` header value for these directives, or undefined for none.
 *
 * @example
 * ```ts
 * clearSiteDataHeader(['cache', 'storage']); // '"cache", "storage"'
 * ```
 */
export function clearSiteDataHeader(types: readonly string[]): string | undefined {
  return types.length === 0 ? undefined : types.map((type) => `"${type}"`).join(', ');
}

/** Whether a `Content-Type` header names JSON (`application/json`, with any parameters). */
export function isJsonContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

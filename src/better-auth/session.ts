// A better-auth session row as session-security's WebSession: where a sign-in's clock is kept
// (a column of better-auth's session table), how a request's row is found from its signed
// cookie, and how a row is ended. No policy of session-security (ARCHITECTURE.md).

import type { AuthContext } from 'better-auth';
import type { WebSession } from '../web/session.js';

/** The column of better-auth's session table that holds the sign-in's clock, as JSON. */
export const CLOCK_FIELD = 'sessionSecurity';
/** The key under which every adapter keeps the library's state in a session. */
const STATE_KEY = 'sessionSecurity';

/** A session row (every column, the plugin's included) and its user's id. */
export interface FoundSession {
  session: { id: string; token: string; userId: string; expiresAt: Date } & Record<string, unknown>;
  user: { id: string } & Record<string, unknown>;
}

/** The tokens of the rows this process is deleting itself, so its delete hook lets them be. */
export type OwnDeletions = Set<string>;

/**
 * One request's better-auth session for the lifecycle: the row found for its cookie (or none),
 * the clock read from the row's column and written back to it, and the cookies that clear the
 * sign-in in the browser once the row is gone.
 */
export class RowSession implements WebSession {
  #found: FoundSession | undefined;
  #state: unknown;
  /** `Set-Cookie` lines the answer must carry (the sign-in's cookies, cleared). */
  readonly setCookies: string[] = [];

  constructor(
    private readonly auth: AuthContext,
    found: FoundSession | undefined,
    private readonly own: OwnDeletions,
    readonly unavailable = false,
  ) {
    this.#found = found;
    this.#state = found === undefined ? undefined : parseClock(found.session[CLOCK_FIELD]);
  }

  /** The row and its user, while the session lives. */
  get found(): FoundSession | undefined {
    return this.#found;
  }

  id(): string | undefined {
    return this.#found?.session.id;
  }

  get(key: string): unknown {
    return key === STATE_KEY ? this.#state : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    const found = this.#found;
    if (key !== STATE_KEY || found === undefined) return;
    this.#state = value;
    // A row deleted meanwhile (a sign-out in another request) is updated nowhere: it stays gone.
    await this.auth.internalAdapter.updateSession(found.session.token, {
      [CLOCK_FIELD]: value === undefined ? null : JSON.stringify(value),
    });
  }

  delete(key: string): Promise<void> {
    return this.set(key, undefined);
  }

  async destroy(): Promise<void> {
    const found = this.#found;
    this.#found = undefined;
    this.#state = undefined;
    this.setCookies.push(...clearingCookies(this.auth));
    if (found === undefined) return;
    const { token } = found.session;
    this.own.add(token);
    try {
      await this.auth.internalAdapter.deleteSession(token);
    } finally {
      this.own.delete(token);
    }
  }

  /** better-auth has no anonymous session to start afresh: the sign-in's row simply goes. */
  regenerate(): Promise<void> {
    return this.destroy();
  }
}

/** The clock as the column holds it; a damaged value is handed on as it is (the store ends it). */
function parseClock(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * The request's session row: undefined when its cookie names none (or a forged or expired
 * one), a `RowSession` marked unavailable when the database failed (503, never anonymous).
 */
export async function sessionOf(
  auth: AuthContext,
  headers: Headers,
  own: OwnDeletions,
): Promise<RowSession | undefined> {
  const token = await signedCookie(headers, auth.authCookies.sessionToken.name, auth.secret);
  if (token === undefined) return undefined;
  let found: FoundSession | undefined;
  try {
    found = await findRow(auth, token);
  } catch {
    return new RowSession(auth, undefined, own, true);
  }
  if (!found || new Date(found.session.expiresAt).getTime() <= Date.now()) return undefined;
  return new RowSession(auth, found, own);
}

type Row = FoundSession['session'];

/**
 * The session row of a token, read from the database with every column: better-auth's own
 * reads leave out the columns it does not return to clients, the plugin's among them.
 */
export async function findRow(auth: AuthContext, token: string): Promise<FoundSession | undefined> {
  const row = await auth.adapter.findOne<Row>({
    model: 'session',
    where: [{ field: 'token', value: token }],
  });
  return row ? { session: row, user: { id: row.userId } } : undefined;
}

/** Every session row of a user, with every column. */
export function rowsOf(auth: AuthContext, userId: string): Promise<Row[]> {
  return auth.adapter.findMany<Row>({
    model: 'session',
    where: [{ field: 'userId', value: userId }],
  });
}

/**
 * The cookies of a better-auth sign-in in the browser: its token, its cached data and its
 * "don't remember".
 */
export function signInCookies(auth: AuthContext) {
  const { sessionToken, sessionData, dontRememberToken } = auth.authCookies;
  return [sessionToken, sessionData, dontRememberToken];
}

/** The cookies that end a better-auth sign-in in the browser, each expired. */
export function clearingCookies(auth: AuthContext): string[] {
  return signInCookies(auth).map(({ name, attributes }) => {
    const parts = [`${name}=`, 'Max-Age=0', `Path=${attributes.path ?? '/'}`];
    if (attributes.domain) parts.push(`Domain=${attributes.domain}`);
    if (attributes.secure) parts.push('Secure');
    if (attributes.httpOnly !== false) parts.push('HttpOnly');
    if (attributes.sameSite) parts.push(`SameSite=${capitalised(String(attributes.sameSite))}`);
    return parts.join('; ');
  });
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
}

/**
 * One cookie's value from a `Cookie` header, as better-auth reads it: the first of that name,
 * without its quotes, percent-decoded; undefined when absent (or not decodable).
 */
function cookieValue(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at === -1 || pair.slice(0, at).trim() !== name) continue;
    let value = pair.slice(at + 1).trim();
    if (value.startsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const keys = new Map<string, ReturnType<typeof crypto.subtle.importKey>>();

/**
 * The value of a cookie better-auth signed (`value.signature`, an HMAC-SHA256 of the value with
 * the auth secret, in base64), or undefined when it is absent or its signature does not hold.
 */
async function signedCookie(
  headers: Headers,
  name: string,
  secret: string,
): Promise<string | undefined> {
  const signed = cookieValue(headers.get('cookie'), name);
  const dot = signed?.lastIndexOf('.') ?? -1;
  if (signed === undefined || dot < 1) return undefined;
  const value = signed.slice(0, dot);
  const signature = signed.slice(dot + 1);
  if (signature.length !== 44 || !signature.endsWith('=')) return undefined;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = Uint8Array.from(atob(signature), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    keys.set(secret, key);
  }
  const valid = await crypto.subtle.verify(
    'HMAC',
    await key,
    bytes,
    new TextEncoder().encode(value),
  );
  return valid ? value : undefined;
}

// The contract between the conformance suite and each server adapter's test app. The suite is
// written once against this; each adapter provides a `Harness` that starts its framework's real
// server on 127.0.0.1:0 with its real session plugin and a server-side session store.

import type { LockOptions, SessionSecurityOptions } from 'session-security';
import { passkeys, type StoredPasskey } from 'session-security/passkeys';
import { CookieJar, type FakeClock, NAVIGATE, send, sendSlowly } from '../support/http.js';
import { sleep } from '../support/sleep.js';
import type { StoreKind } from './adapters.js';

/** The `draftSecret` every harness gives session-security (drafts are on, as by default). */
export const TEST_DRAFT_SECRET = 'a test secret for drafts, at least 32 characters';

/** A logger that keeps what session-security reported as errors. */
export interface TestLogger {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
  readonly errors: string[];
  /** The error handed with each message (undefined when none), in the order of `errors`. */
  readonly causes: unknown[];
}

/** The operations of a session store, as the fault injection names them. */
export type SessionStoreOperation = 'get' | 'set' | 'destroy';

/**
 * Fails these operations of the framework's session store (HarnessOptions.sessionStoreFails)
 * while `state.on` is true.
 */
export function faults(...operations: SessionStoreOperation[]) {
  const state = { on: false };
  const fails = (operation: SessionStoreOperation) => state.on && operations.includes(operation);
  return { state, fails };
}

export interface HarnessOptions {
  /**
   * session-security options over the harness's own: `expireAfter: 900`, `warnAfter: 780`,
   * `isAuthenticated` (the session holds `user`), `clock` (the app's FakeClock), `logger` and
   * `sweepInterval: 0` (no sweep timer: a test calls `sweep()`).
   * `store` selects the activity store (the session-object default when absent).
   */
  // biome-ignore lint/suspicious/noExplicitAny: each framework has its own request type
  security?: Partial<SessionSecurityOptions<any>>;
  /**
   * While this returns true for an operation, that operation of the framework's session store
   * fails (as a store whose server is down fails: an error from get/set/destroy). The app must
   * answer 503, never a 500 and never an anonymous visitor.
   */
  sessionStoreFails?: (operation: SessionStoreOperation) => boolean;
  /** The framework's trusted-proxy setting on (X-Forwarded-Proto / -Host honoured). */
  trustProxy?: boolean;
  /**
   * The lock on: session-security gets `lock: testLock(...)`, whose `verify` takes exactly the
   * password `lockPassword(username)` (`'pw-' + username`) and then signs that user in on the
   * framework's session as `POST /test/sign-in?user=` does (a regenerated session whose `user` is
   * the user name, which `isAuthenticated` and `userId` read), and refuses any other password.
   * With `'same-session'` it sets `user` in the request's session as it is, without regenerating
   * it (as `POST /test/sign-in-same-session` does). Two user names break verify's contract,
   * whatever the password: `throws` (verify throws an Error of LOCK_VERIFY_ERROR) and `liar`
   * (verify resolves true without signing anyone in).
   */
  lock?: boolean | 'same-session';
  /**
   * The work of `POST /test/hold`, called by `security.hold` once the lease is taken (each request
   * calls it again): a test that settles it by hand holds the request, and its lease, open.
   * Absent, the work resolves `'done'` at once.
   */
  work?: () => Promise<unknown>;
}

/**
 * A running test app. Routes every harness app has (same answers whatever the framework):
 * - `POST /test/sign-in[?start=1][&user=bob]`: a new session (regenerated) with `user = 'ada'`
 *   (or the `user` given); with `start=1`, `await security.start(req)` before answering
 *   `200 {"signedIn":true}`. The harness's `userId` option is that user (`''` when anonymous).
 * - `POST /test/sign-in-same-session`: sets `user` in the current session, `start`, 200.
 * - `POST /test/sign-out`: `await security.signOut(req)`, then `200 {"signedOut":true}`; a
 *   `SessionSecurityRequestError` is answered with its `status` (403) by the framework.
 * - `POST /test/forget-user`: removes `user` from the session (anonymous, same session), 200.
 * - `POST /form`: reads an `application/x-www-form-urlencoded` body with the framework's own
 *   body parsing and answers `200 {"note": <the note field or null>}`.
 * - `GET /`: `text/html`, `<p>hello ada</p>` signed in, `<p>anonymous</p>` otherwise,
 *   `Cache-Control: no-store`.
 * - `GET /api/data`, `/api/poll`, `/events/stream`: `200 {"user": "ada" | null}`.
 * - `GET /test/page?lang=&nonce=&script=false`: `text/html` with `security.clientTags(req,
 *   { lang, nonce, script })`.
 * - `security.signIns`, each answering its result as JSON; a `SessionSecurityRequestError` (401
 *   for an anonymous request) is answered with its `status` and `{"status":"error","error":…}`:
 *   - `GET /test/sign-ins`: `200 [summaries]` (`list(req)`);
 *   - `POST /test/sign-ins/end`, JSON `{"signIn": "…"}`: `200 {"ended": boolean}` (`end`);
 *   - `POST /test/sign-ins/end-all`, JSON `{"keepCurrent": boolean}`: `200 {"ended": n}` (`endAll`);
 *   - `POST /test/sign-ins/end-user`, JSON `{"userId": "…"}`: `200 {"ended": n}` (`endUser`);
 *   - `POST /test/sign-ins/end-everyone`: `200 {"ended": n}` (`endEveryone`);
 *   - `POST /test/sign-ins/sweep`: `200 {"expired": n}` (`sweep`).
 * - `GET` and `POST /test/recent?maxAge=N`: `await security.requireRecentSignIn(req,
 *   Number(maxAge))`, then `200 {"recent":true}`. Its `RecentSignInRequiredError` goes to the
 *   framework as an app's handler lets it (Express `next(error)`, thrown in Koa, Fastify, Hono,
 *   NestJS and node:http, the Response of session-security/web's returned) and is no app error:
 *   401 with its headers, or the library's answer (303 to the login page for a page load). A bad
 *   `maxAge`'s TypeError is an app error (500).
 * - `POST /test/hold?maxSeconds=N`: `await security.hold(req, options.work ?? (async () => 'done'),
 *   { maxSeconds: Number(maxSeconds), label: 'report' })` (Next's: the web handler's `hold`, after
 *   its `check` of the route's own Request, as `/test/recent`), then `200 {"held": <the work's
 *   value>}`. Its `LeaseRefusedError` (401 without a live sign-in) goes to the framework's error
 *   path as `/test/recent`'s error does, and is answered with its status: by Express's final
 *   handler past `storeUnavailableHandler` (which answers none), Koa's and Fastify's error
 *   handling, the node:http harness's, `errorResponse` (Hono's `onError`, Next's route), the
 *   NestJS module's `replyTo`. Express and Hono keep it in `appErrors` (their last handlers keep
 *   what the library's error handling did not take); the others do not.
 * Errors that reach the framework's own error handling (and would be a 500) are kept in
 * `appErrors`.
 */
export interface ConformanceApp {
  origin: string;
  clock: FakeClock;
  logger: TestLogger;
  appErrors: unknown[];
  /**
   * The signed-in user of one of the framework's requests, as the harness's `userId` option reads
   * it (`''` when anonymous): for option functions of the request, such as a per-user `expireAfter`.
   */
  userOf(req: unknown): string;
  /** Signs in through `POST /test/sign-in`; a jar holding the session cookie. */
  signIn(options?: { start?: boolean }): Promise<CookieJar>;
  /** How many sessions the server-side session store holds now (signed in or not). */
  sessionCount(): Promise<number>;
  /** How many of them hold a signed-in user. */
  signedInSessionCount(): Promise<number>;
  /**
   * How many `POST /form` requests have passed session-security and not yet been answered: a
   * test holding one in flight waits on this, not on a fixed delay.
   */
  formsInFlight(): number;
  close(): Promise<void>;
}

export interface Harness {
  /** The framework, as the test titles name it: 'express', 'fastify', 'koa', 'hono'. */
  framework: string;
  /**
   * The session plugin stores a session and sets its cookie for every visitor, anonymous or not
   * (hono-sessions 0.8 has no `saveUninitialized: false`): what session-security adds to an
   * anonymous request is then checked without that cookie.
   */
  sessionForEveryVisitor?: boolean;
  /**
   * The activity stores it runs with, when not all: an adapter over another one's glue (the
   * NestJS module over the Express and Fastify adapters' own) runs with the default store and
   * one Redis; the Redis topologies are the store's matter, run with every other adapter.
   */
  stores?: readonly StoreKind[];
  start(options?: HarnessOptions): Promise<ConformanceApp>;
}

/** The logger every harness hands to session-security. */
export function testLogger(): TestLogger {
  const errors: string[] = [];
  const causes: unknown[] = [];
  return {
    errors,
    causes,
    warn: () => {},
    error: (message: string, error?: unknown) => {
      errors.push(message);
      causes.push(error);
    },
  };
}

/** The one password the harnesses' lock takes for a user name. */
export const lockPassword = (username: string): string => `pw-${username}`;

/** The message of the Error the harnesses' `lock.verify` throws for the user name `throws`. */
export const LOCK_VERIFY_ERROR = 'the user directory did not answer';

/**
 * The harnesses' `lock` option (HarnessOptions.lock) over a harness's own sign-in: `signInAs`
 * signs `user` in on the request's session as that harness's `POST /test/sign-in` does (a
 * regenerated session); `setUser` sets `user` in the request's session as it is.
 */
export function testLock<Req>(
  how: true | 'same-session',
  signInAs: (req: Req, user: string) => void | Promise<void>,
  setUser: (req: Req, user: string) => void,
): LockOptions<Req> {
  return {
    async verify(req, credentials) {
      let user: string;
      if (credentials.type === 'passkey') {
        // The library checked the passkey's signature: it names its user.
        user = credentials.userId;
      } else {
        const { username, password } = credentials;
        if (username === 'throws') throw new Error(LOCK_VERIFY_ERROR);
        if (username === 'liar') return true;
        if (password !== lockPassword(username)) return false;
        user = username;
      }
      if (how === 'same-session') setUser(req, user);
      else await signInAs(req, user);
      return true;
    },
    passkeys: TEST_PASSKEYS,
  };
}

/** Where the harnesses' passkeys are made and used (a software authenticator's origin). */
export const TEST_PASSKEY_ORIGIN = 'http://localhost';
/** The passkeys the harnesses' lock keeps, by credential id: a test registers its own. */
export const KEPT_PASSKEYS = new Map<string, StoredPasskey>();
/** The credential id whose lookup throws (the app's passkey table did not answer). */
export const PASSKEY_FIND_FAILS = Buffer.from('find fails').toString('base64url');
/** The harnesses' `lock.passkeys`: real challenges and signatures, over KEPT_PASSKEYS. */
export const TEST_PASSKEYS = passkeys({
  rpID: 'localhost',
  origin: TEST_PASSKEY_ORIGIN,
  secret: 'the harnesses passkey secret, long enough',
  find(id) {
    if (id === PASSKEY_FIND_FAILS) throw new Error(LOCK_VERIFY_ERROR);
    return KEPT_PASSKEYS.get(id);
  },
});

/**
 * Waits until `count` `POST /form` requests have passed session-security and wait for the rest of
 * their bodies (5 s at most): a request is then in flight, whatever the machine's load.
 */
export async function formsInFlight(
  app: Pick<ConformanceApp, 'formsInFlight'>,
  count = 1,
): Promise<void> {
  const deadline = Date.now() + 5000;
  while (app.formsInFlight() < count) {
    if (Date.now() > deadline) throw new Error(`no ${count} form post(s) in flight within 5 s`);
    await sleep(5);
  }
}

/**
 * Starts a form post (`note=<note>`, form-encoded as a page sends it) with a copy of `jar`'s
 * cookies, whose body has not fully arrived, and waits until the server has it in flight: its
 * middleware has run and its body parser waits for the rest, which `finish()` sends. Waiting on
 * the app, not on a delay: a request that reached the server only after what the test does next
 * is not in flight across it (with hono-sessions it would get a new anonymous session).
 */
export async function inFlightFormPost(
  app: Pick<ConformanceApp, 'origin' | 'formsInFlight'>,
  jar: CookieJar,
  note: string,
): Promise<ReturnType<typeof sendSlowly>> {
  const slow = sendSlowly(
    app.origin,
    '/form',
    {
      method: 'POST',
      headers: { ...NAVIGATE, 'content-type': 'application/x-www-form-urlencoded' },
      body: `note=${note}`,
    },
    jar.clone(),
  );
  await formsInFlight(app);
  return slow;
}

/** The session counts of a store that keeps each session as JSON text, the user under `user`. */
export function jsonSessionCounts(
  sessions: ReadonlyMap<string, string>,
): Pick<ConformanceApp, 'sessionCount' | 'signedInSessionCount'> {
  return {
    sessionCount: async () => sessions.size,
    signedInSessionCount: async () =>
      [...sessions.values()].filter((json) => 'user' in JSON.parse(json)).length,
  };
}

/** A harness app's `signIn`: `POST /test/sign-in[?start=1]`, a jar holding the session cookie. */
export function signInAt(origin: string): ConformanceApp['signIn'] {
  return async ({ start = false } = {}) => {
    const jar = new CookieJar();
    const path = start ? '/test/sign-in?start=1' : '/test/sign-in';
    const reply = await send(origin, path, { method: 'POST' }, jar);
    if (reply.status !== 200) throw new Error(`sign-in failed: ${reply.status} ${reply.text}`);
    return jar;
  };
}

/**
 * Makes each named callback-style operation of a session store fail while `fails` says so, as a
 * store whose server is down (an error to its callback). `touch` fails with `set`.
 */
export function failingStore<S extends object>(
  store: S,
  fails: (operation: SessionStoreOperation) => boolean,
  names: readonly string[],
): S {
  for (const name of names) {
    const original = (store as Record<string, unknown>)[name] as
      | ((...args: unknown[]) => void)
      | undefined;
    if (!original) continue;
    Object.defineProperty(store, name, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        const callback = args.at(-1);
        const operation = (name === 'touch' ? 'set' : name) as SessionStoreOperation;
        if (fails(operation) && typeof callback === 'function') {
          callback(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
          return;
        }
        original.apply(store, args);
      },
    });
  }
  return store;
}

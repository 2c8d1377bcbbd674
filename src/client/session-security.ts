// The class of the browser client: an EventTarget with start, stop, extend, signOut and state.
// The work is done by engine.ts. Its dialog comes from outside: `session-security/client`
// (index.ts) bundles it, the prebuilt script (auto.ts) imports it when a warning is near.

import {
  type ClientOptions,
  type ClientState,
  createEngine,
  type DialogLoader,
  type Engine,
  type LockLoader,
} from './engine.js';

import { send } from './transport.js';

export { CONFIG_ELEMENT_ID } from '../contract/page-config.js';
export type { ClientOptions, ClientState, DialogLoader, LockLoader } from './engine.js';

/** The header of an answer that asks for a recent sign-in (the server's `requireRecentSignIn`). */
const REAUTH_HEADER = 'x-session-security';

/**
 * The browser half of session-security: one clock for all tabs, kept in step with the server
 * through the ping, a warning before expiry, and every tab to the login page after it.
 *
 * Events: `warn` (detail `{ expireAt, absolute }`), `extend`, `expire` (detail `{ reason }`, and
 * `locked: true` when the lock keeps the page; cancelable: `preventDefault()` keeps the page where
 * it is, without the lock), `unlock` (signed in again through the lock, or in another tab),
 * `reauth` (an answer asked for a recent sign-in; cancelable: `preventDefault()` asks nothing),
 * `activity`, `sync`, `error`; and,
 * from the drafts script on pages with a form, `draft` (detail: the changed forms, form key →
 * field key → value; at the warning and before the tab leaves on expiry; cancelable:
 * `preventDefault()` keeps no copy in the tab).
 *
 * @example
 * ```ts
 * const config = JSON.parse(document.getElementById('session-security-config')!.textContent!);
 * const security = new SessionSecurity({ ...config, ui: false }).start();
 * security.addEventListener('warn', () => showMyOwnDialog());
 * ```
 */
export class SessionSecurity extends EventTarget {
  readonly #engine: Engine;
  readonly #options: ClientOptions;

  /**
   * @param loadDialog - where the warning's dialog comes from; without it the client shows
   * nothing, as with `ui: false` (`session-security/client` passes its bundled dialog)
   * @throws TypeError when a time of the options is not a finite number
   */
  constructor(options: ClientOptions, loadDialog?: DialogLoader, loadLock?: LockLoader) {
    super();
    this.#options = options;
    this.#engine = createEngine(
      options,
      (type, detail, cancelable) =>
        this.dispatchEvent(new CustomEvent(type, { detail, cancelable })),
      loadDialog,
      loadLock,
    );
  }

  /** `active`, `warning` (the warning is showing), `expired` (leaving for the login page) or `stopped`. */
  get state(): ClientState {
    return this.#engine.state();
  }

  /** Starts tracking input, talking to the other tabs and scheduling. */
  start(): this {
    this.#engine.start();
    return this;
  }

  /** Stops everything this client started; the page stays as it is. */
  stop(): void {
    this.#engine.stop();
  }

  /** Extends the session, as "Stay signed in" does: a deliberate action, so it counts as input. */
  extend(): Promise<void> {
    return this.#engine.extend();
  }

  /** Signs out now (`POST {prefix}/logout`), then every tab goes to the login page. */
  signOut(): Promise<void> {
    return this.#engine.signOut();
  }

  /**
   * Asks for the password again in place, with the lock (the server's `lock` option): resolves
   * true once signed in again (a new sign-in, in every tab), false when the user cancelled or
   * there is no lock.
   */
  reauthenticate(): Promise<boolean> {
    return this.#engine.reauthenticate();
  }

  /**
   * `fetch`, for the app's own calls to routes that may ask for a recent sign-in: when the
   * answer says so (401 with `X-Session-Security: reauth`), it fires `reauth`, asks for the
   * password again in place (the lock) and sends the request once more; the answer is the
   * retry's, or the 401 when the user cancelled (or a listener called `preventDefault()`).
   *
   * @example
   * ```ts
   * const body = JSON.stringify({ newPassword: 'correct horse battery staple' });
   * const answer = await mySecurity.fetch('/password', { method: 'POST', body });
   * ```
   */
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    // A Request's body is read by the first fetch: the retry sends a copy.
    const again = input instanceof Request ? input.clone() : input;
    const answer = await fetch(input, init);
    if (answer.status !== 401 || answer.headers.get(REAUTH_HEADER) !== 'reauth') return answer;
    if (!this.dispatchEvent(new CustomEvent('reauth', { detail: answer, cancelable: true }))) {
      return answer;
    }
    return (await this.reauthenticate()) ? fetch(again, init) : answer;
  }

  /**
   * Holds the sign-in while `work` runs (an upload, an export the user asked for): a lease the
   * server keeps (its `leases` option) until the work settles, `maxSeconds` at most (the server's
   * limit when not given, never more). It is not the user's input: the absolute timeout still
   * ends the sign-in, and idle time counts from the work's end. Resolves or rejects as the work
   * does; a lease the server did not give fires `error` (with its answer) and the work runs on
   * without one. Pass a function to have it called once the lease is asked for.
   *
   * @throws Error when the server's `leases` option is off (no lease URL in the config)
   * @example
   * ```ts
   * const file = new Blob(['quarterly figures']);
   * await mySecurity.hold(fetch('/upload', { method: 'POST', body: file }), { label: 'upload' });
   * ```
   */
  async hold<T>(
    work: Promise<T> | (() => Promise<T>),
    options?: { maxSeconds?: number; label?: string },
  ): Promise<T> {
    const { leaseUrl, session } = this.#options;
    if (!leaseUrl) throw new Error("session-security: hold() needs the server's leases option");
    const answer = await send(leaseUrl, 'POST', session, { hold: options || {} });
    const lease = answer.body.lease;
    if (!lease) {
      this.dispatchEvent(new CustomEvent('error', { detail: answer }));
      // A sign-in over (401) is the engine's to show.
      this.wake();
    }
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      if (lease) send(leaseUrl, 'POST', session, { end: lease });
    }
  }

  /**
   * Plans again now, as after `visibilitychange`, `focus`, `pageshow`, `online` or `resume`:
   * timers may have slept (a hidden tab, a frozen tab, a laptop lid).
   */
  wake(event?: Event): void {
    this.#engine.wake(event);
  }
}

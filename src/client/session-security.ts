// The class of the browser client: an EventTarget with start, stop, extend, signOut and state.
// The work is done by engine.ts. Its dialog comes from outside: `session-security/client`
// (index.ts) bundles it, the prebuilt script (auto.ts) imports it when a warning is near.

import {
  type ClientOptions,
  type ClientState,
  createEngine,
  type DialogLoader,
  type Engine,
} from './engine.js';

export { CONFIG_ELEMENT_ID } from '../contract/page-config.js';
export type { ClientOptions, ClientState, DialogLoader } from './engine.js';

/**
 * The browser half of session-security: one clock for all tabs, kept in step with the server
 * through the ping, a warning before expiry, and every tab to the login page after it.
 *
 * Events: `warn` (detail `{ expireAt, absolute }`), `extend`, `expire` (detail `{ reason }`;
 * cancelable: `preventDefault()` keeps the page where it is), `activity`, `sync`, `error`; and,
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

  /**
   * @param loadDialog - where the warning's dialog comes from; without it the client shows
   * nothing, as with `ui: false` (`session-security/client` passes its bundled dialog)
   * @throws TypeError when a time of the options is not a finite number
   */
  constructor(options: ClientOptions, loadDialog?: DialogLoader) {
    super();
    this.#engine = createEngine(
      options,
      (type, detail, cancelable) =>
        this.dispatchEvent(new CustomEvent(type, { detail, cancelable })),
      loadDialog,
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
   * Plans again now, as after `visibilitychange`, `focus`, `pageshow`, `online` or `resume`:
   * timers may have slept (a hidden tab, a frozen tab, a laptop lid).
   */
  wake(event?: Event): void {
    this.#engine.wake(event);
  }
}

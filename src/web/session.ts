// A session as the Fetch API world hands it over (there is no standard session object there),
// and how the lifecycle reads and ends it. No policy of session-security.

import type { SessionAccess } from '../core/store.js';

/** Where session-security keeps its state in the session, as every adapter does. */
const STATE_KEY = 'sessionSecurity';

/**
 * A session as session-security needs it, for runtimes without a standard session object (the
 * Fetch API: Next.js route handlers, Hono, Bun, Deno). Wrap your session library's object in one;
 * for hono-sessions, `honoSessions` of `session-security/hono` does it.
 *
 * @example
 * ```ts
 * // A session kept in a Map of the app's own, loaded from its cookie by the app.
 * const webSession: WebSession = {
 *   id: () => sid,
 *   get: (key) => data.get(key),
 *   set: (key, value) => void data.set(key, value),
 *   delete: (key) => void data.delete(key),
 *   destroy: () => void sessions.delete(sid), // and clear the cookie in the app's response
 *   regenerate: () => rotate(sid), // a fresh, empty session under a new id
 * };
 * ```
 */
export interface WebSession {
  /** The session's id, the one its cookie names; undefined while it has none. */
  id(): string | undefined;
  /** A value of the session; undefined when absent. */
  get(key: string): unknown;
  /** Sets a value; it must reach the session's store by the end of the request. */
  set(key: string, value: unknown): void | Promise<void>;
  /** Removes a value. */
  delete(key: string): void | Promise<void>;
  /**
   * Ends the session: removes it from its store and has the response clear its cookie (the
   * session library's own way). Afterwards `get` returns undefined and `set`/`delete` do nothing
   * that lasts: no session is left for the rest of the request.
   */
  destroy(): void | Promise<void>;
  /**
   * Replaces the session by a fresh, empty one under a new id (its cookie set in the response),
   * so the request can go on as anonymous. Used when an expired page load goes on to the app.
   */
  regenerate(): void | Promise<void>;
  /**
   * True when the request named a session that its store could not load (it failed or took too
   * long): session-security answers 503, and the request never goes on as an anonymous visitor.
   * Leave it out otherwise. A request that names no session is passed as `undefined` instead.
   */
  readonly unavailable?: boolean;
}

/** The session of one request as the lifecycle sees it; made for every request, so a class. */
export class WebSessionAccess<Req> implements SessionAccess {
  #ended = false;
  constructor(
    private readonly req: Req,
    private readonly session: WebSession,
    private readonly logout: ((req: Req) => void | Promise<void>) | undefined,
  ) {}
  exists(): boolean {
    return this.session.unavailable !== true && !this.#ended;
  }
  id(): string | undefined {
    return this.session.id();
  }
  read(): unknown {
    return this.session.get(STATE_KEY);
  }
  write(value: unknown): void | Promise<void> {
    return this.session.set(STATE_KEY, value);
  }
  clear(): void | Promise<void> {
    return this.session.delete(STATE_KEY);
  }
  async end(keepSession: boolean): Promise<void> {
    if (this.logout) await this.logout(this.req);
    else await (keepSession ? this.session.regenerate() : this.session.destroy());
    // Whatever the hook did, no clock survives it: a later sign-in starts afresh.
    await this.session.delete(STATE_KEY);
    if (!keepSession && !this.logout) this.#ended = true;
  }
}

/** A session for a request that came without one: anonymous, and kept nowhere. */
export function emptySession(): WebSession {
  const values = new Map<string, unknown>();
  return {
    id: () => undefined,
    get: (key) => values.get(key),
    set: (key, value) => {
      values.set(key, value);
    },
    delete: (key) => {
      values.delete(key);
    },
    destroy: () => values.clear(),
    regenerate: () => values.clear(),
  };
}

// What turns an express-session store's outage into a quick 503 instead of a hung request or a
// signed-out user: a store wrapper with a time limit and an error handler. Express-specific; holds
// no policy of session-security.

import type { ErrorRequestHandler } from 'express';
import type { Store } from 'express-session';
import { SessionSecurityError, SessionStoreUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/options.js';
import { answers } from '../core/protocol.js';
import { logThrottle } from '../core/throttle.js';

export { SessionStoreUnavailableError };

/** Options of {@link guardSessionStore}. */
export interface SessionStoreGuardOptions {
  /** Milliseconds an operation may take before it fails. Default 1000. */
  timeout?: number;
  /** Where failures are reported, one line per kind a minute. Default `console`. */
  logger?: Logger;
}

const GUARDED = ['get', 'set', 'destroy', 'touch'] as const;
const VERBS: Record<(typeof GUARDED)[number], string> = {
  get: 'read',
  set: 'save',
  destroy: 'destroy',
  touch: 'touch',
};

/**
 * Makes an express-session store fail fast: each `get`, `set`, `destroy` and `touch` that fails
 * or takes longer than `timeout` calls back with a {@link SessionStoreUnavailableError}, so the
 * request gets a 503 (with {@link storeUnavailableHandler}) instead of waiting in a Redis
 * client's offline queue, and no request goes on as an anonymous visitor. Changes the store in
 * place and returns it.
 *
 * @example
 * ```ts
 * const store = guardSessionStore(new RedisStore({ client }), { timeout: 1000 });
 * app.use(session({ store, secret, resave: false, saveUninitialized: false }));
 * // … routes …
 * app.use(storeUnavailableHandler());
 * ```
 */
export function guardSessionStore<S extends Store>(
  store: S,
  options: SessionStoreGuardOptions = {},
): S {
  const timeoutMs = options.timeout ?? 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new SessionSecurityError(
      `timeout (${String(options.timeout)}) must be a number of milliseconds greater than 0`,
    );
  }
  const logger = options.logger ?? console;
  const throttle = logThrottle();
  for (const name of GUARDED) {
    const original = store[name] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof original !== 'function') continue;
    const bound = original.bind(store);
    const guarded = (...args: unknown[]) => {
      const callback = args.at(-1);
      if (typeof callback !== 'function') return bound(...args);
      let settled = false;
      const settle = (error: unknown, ...results: unknown[]) => {
        if (settled) return; // a late answer after the time limit is dropped
        settled = true;
        clearTimeout(timer);
        if (!error) return callback(null, ...results);
        const failure = new SessionStoreUnavailableError(VERBS[name], describe(error), {
          cause: error,
        });
        const count = throttle(`${name}: ${failure.reason}`, Date.now());
        if (count !== undefined) {
          logger.error(
            `${failure.message}: ${failure.reason} (${count} time(s) since the last report; answering 503)`,
          );
        }
        callback(failure);
      };
      const timer = setTimeout(() => settle(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      try {
        bound(...args.slice(0, -1), settle);
      } catch (error) {
        settle(error);
      }
      return undefined;
    };
    Object.defineProperty(store, name, { value: guarded, configurable: true, writable: true });
  }
  return store;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An Express error handler that answers a {@link SessionStoreUnavailableError} with 503
 * (`Cache-Control: no-store`): JSON `{"status":"error",…}` like the library's own answers, or a
 * short plain page for a page load. Other errors go on to the next handler.
 *
 * @example
 * ```ts
 * app.use(storeUnavailableHandler()); // after every route
 * ```
 */
export function storeUnavailableHandler(): ErrorRequestHandler {
  return function storeUnavailable(error, req, res, next) {
    if (!(error instanceof SessionStoreUnavailableError) || res.headersSent) return next(error);
    const unavailable = answers.unavailable();
    res.status(unavailable.status).set(unavailable.headers).set('retry-after', '5');
    if (req.accepts(['json', 'html']) === 'html') {
      res.type('text/plain').send('The service is unavailable for a moment. Please try again.');
      return;
    }
    res.json(unavailable.body);
  };
}

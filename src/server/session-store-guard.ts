// What turns an express-session store's outage into a quick 503 instead of a hung request or a
// signed-out user: a store wrapper with a time limit and an error handler. Express-specific; holds
// no policy of session-security.

import type { ErrorRequestHandler } from 'express';
import type { Store } from 'express-session';
import {
  LeaseRefusedError,
  RecentSignInRequiredError,
  SessionStoreUnavailableError,
} from '../core/errors.js';
import { nodeHeaderGetter } from './node-facts.js';
import { errorReply, type Reply } from './outcome.js';
import { guardMethods, type SessionStoreGuardOptions, storeGuard } from './store-guard.js';

export { type SessionStoreGuardOptions, SessionStoreUnavailableError };

const VERBS = { get: 'read', set: 'save', destroy: 'destroy', touch: 'touch' } as const;

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
  const guard = storeGuard(options);
  return guardMethods(store, VERBS, (method, verb) => guard.callbackStyle(verb, method));
}

/**
 * An Express error handler that answers a {@link SessionStoreUnavailableError} with 503
 * (`Cache-Control: no-store`): JSON `{"status":"error",…}` like the library's own answers, or a
 * short plain page for a page load; one that comes once the answer has begun (a session save or
 * touch after the app's answer) is dropped, the guard having logged it. It answers a
 * `RecentSignInRequiredError` (`requireRecentSignIn`) too: a 303 to the login page for a page
 * load, `401 {"status":"reauth"}` otherwise; and a `LeaseRefusedError` (`hold`) with its status
 * (401, 429) and `{"status":"error",…}`. Other errors go on to the next handler.
 *
 * @example
 * ```ts
 * app.use(storeUnavailableHandler()); // after every route
 * ```
 */
export function storeUnavailableHandler(): ErrorRequestHandler {
  return function storeUnavailable(error, req, res, next) {
    const ours =
      error instanceof SessionStoreUnavailableError ||
      error instanceof RecentSignInRequiredError ||
      error instanceof LeaseRefusedError;
    if (!ours) return next(error);
    // A save or touch that express-session makes once the answer has begun: the guard logged
    // it, and express-session ends the answer. Passing it on would print a stack trace per
    // request (Express's final handler) during an outage.
    if (res.headersSent) return;
    const reply = errorReply(error, nodeHeaderGetter(req.headers)) as Reply;
    res.status(reply.status).set(reply.headers).send(reply.body);
  };
}

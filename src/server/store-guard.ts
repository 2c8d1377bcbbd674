// What every adapter's session-store guard shares: the time limit of an operation, its failure as
// a SessionStoreUnavailableError, one log line per kind a minute. No framework import, not even a
// type, and no policy: each adapter keeps its session library's own rules.

import { SessionSecurityError, SessionStoreUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/options.js';
import { logThrottle } from '../core/throttle.js';
import { Deadlines } from './deadlines.js';

/**
 * Options of `guardSessionStore`, the same in every adapter.
 *
 * @example
 * ```ts
 * guardSessionStore(store, { timeout: 500, logger: pino() } satisfies SessionStoreGuardOptions);
 * ```
 */
export interface SessionStoreGuardOptions {
  /** Milliseconds an operation may take before it fails. Default 1000. */
  timeout?: number;
  /** Where failures are reported, one line per kind a minute. Default `console`. */
  logger?: Logger;
}

/**
 * A method of a session store as the guard sees it.
 *
 * @example
 * ```ts
 * const get: StoreMethod = (key) => store.get(String(key));
 * ```
 */
export type StoreMethod = (...args: unknown[]) => unknown;

/**
 * How a guard wraps a store's methods: made once per store by {@link storeGuard}, so the store's
 * operations share one time limit, one logger and one log throttle.
 *
 * @example
 * ```ts
 * const guard = storeGuard({ timeout: 1000 });
 * const get = guard.promiseStyle('read', (key) => store.get(String(key)));
 * ```
 */
export interface StoreGuard {
  /**
   * Guards a method whose last argument is a Node-style callback (express-session,
   * @fastify/session): a failure, or no answer within the time limit, calls back with a
   * `SessionStoreUnavailableError`, and a late answer is dropped. A call without a callback
   * is passed on unguarded.
   *
   * @param verb - what the error says the store could not do: `'read'`, `'save'`…
   * @param passes - tells the errors to call back with unchanged (the store's own "no such session")
   * @example
   * ```ts
   * guardMethods(store, { get: 'read' }, (get, verb) => guard.callbackStyle(verb, get, isNotFound));
   * ```
   */
  callbackStyle(
    verb: string,
    method: StoreMethod,
    passes?: (error: unknown) => boolean,
  ): StoreMethod;
  /**
   * Guards a method that answers with a promise (koa-session, hono-sessions): a failure, or no
   * answer within the time limit, rejects with a `SessionStoreUnavailableError`, and a late
   * answer is dropped.
   *
   * @param verb - what the error says the store could not do: `'read'`, `'save'`…
   * @example
   * ```ts
   * guardMethods(store, { destroy: 'destroy' }, (destroy, verb) => guard.promiseStyle(verb, destroy));
   * ```
   */
  promiseStyle(verb: string, method: StoreMethod): (...args: unknown[]) => Promise<unknown>;
}

/** How long a store operation may take by default: long for a store, short for a waiting user. */
const DEFAULT_TIMEOUT_MS = 1000;

/** What an operation fails with when its time limit passes: no error of the store's own. */
const TIMED_OUT = Symbol('timed out');

/**
 * The guard of one store, from the options of `guardSessionStore`.
 *
 * @throws SessionSecurityError for a timeout that is not a number of milliseconds above 0
 * @example
 * ```ts
 * const guard = storeGuard({ timeout: 1000, logger: console });
 * ```
 */
export function storeGuard(options: SessionStoreGuardOptions = {}): StoreGuard {
  const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new SessionSecurityError(
      `timeout (${String(options.timeout)}) must be a number of milliseconds greater than 0`,
    );
  }
  const logger = options.logger ?? console;
  const throttle = logThrottle();
  const deadlines = new Deadlines(timeoutMs);

  /** The error to answer with; the store's own error goes to the log (and `reason`), never the message. */
  function unavailable(verb: string, error: unknown): SessionStoreUnavailableError {
    const timedOut = error === TIMED_OUT;
    const failure = timedOut
      ? new SessionStoreUnavailableError(verb, `no answer in ${timeoutMs} ms`)
      : new SessionStoreUnavailableError(verb, describe(error), { cause: error });
    const count = throttle(`${verb}: ${timedOut ? 'timeout' : failureKind(error)}`, Date.now());
    if (count !== undefined) {
      logger.error(
        `${failure.message}: ${failure.reason} (${count} time(s) since the last report; answering 503)`,
      );
    }
    return failure;
  }

  return {
    callbackStyle: (verb, method, passes) =>
      function guardedStoreCall(...args) {
        const callback = args.at(-1);
        if (typeof callback !== 'function') return method(...args);
        let settled = false;
        const settle = (error: unknown, ...results: unknown[]) => {
          if (settled) return; // a late answer after the time limit is dropped
          settled = true;
          deadlines.cancel(deadline);
          if (error && !passes?.(error)) return callback(unavailable(verb, error));
          callback(error || null, ...results);
        };
        const deadline = deadlines.add(() => settle(TIMED_OUT));
        try {
          method(...args.slice(0, -1), settle);
        } catch (error) {
          settle(error);
        }
        return undefined;
      },
    promiseStyle: (verb, method) =>
      function guardedStoreCall(...args) {
        return new Promise((resolve, reject) => {
          let settled = false;
          const fail = (error: unknown) => {
            if (settled) return; // a late answer after the time limit is dropped
            settled = true;
            deadlines.cancel(deadline);
            reject(unavailable(verb, error));
          };
          const deadline = deadlines.add(() => fail(TIMED_OUT));
          Promise.resolve()
            .then(() => method(...args))
            .then((value) => {
              if (settled) return;
              settled = true;
              deadlines.cancel(deadline);
              resolve(value);
            }, fail);
        });
      },
  };
}

/**
 * Replaces in place each method of `store` that `verbs` names (and the store has) by what `wrap`
 * makes of it, bound to the store, given its verb and name. Returns the store.
 *
 * @example
 * ```ts
 * guardMethods(store, { get: 'read', set: 'save' }, (method, verb) => guard.promiseStyle(verb, method));
 * ```
 */
export function guardMethods<S extends object>(
  store: S,
  verbs: Readonly<Record<string, string>>,
  wrap: (method: StoreMethod, verb: string, name: string) => StoreMethod,
): S {
  for (const [name, verb] of Object.entries(verbs)) {
    const method: unknown = Reflect.get(store, name);
    if (typeof method !== 'function') continue;
    const guarded = wrap(method.bind(store), verb, name);
    Object.defineProperty(store, name, { value: guarded, configurable: true, writable: true });
  }
  return store;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A failure's kind for the log throttle: its name and code, not its message, which may carry
 * session ids and would then make every request a kind of its own.
 */
function failureKind(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}

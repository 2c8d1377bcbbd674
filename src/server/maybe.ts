// A value now or later: the request path stays synchronous while nothing it calls is (the default
// store answers at once), and becomes a promise only where something is. An async function would
// allocate a promise and a microtask per step of every request, which is what a page request of
// a signed-in session costs the app beyond its own work.

/** A value, or a promise of it. */
export type Maybe<T> = T | Promise<T>;

/** Whether a value is a promise (any thenable): a step that has to wait. */
export function isPromise<T>(value: Maybe<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/**
 * `next` of the value: at once when it is here, after it when it is a promise. (Not named `then`:
 * a module exporting `then` is itself a thenable, which `import()` would call.)
 */
export function andThen<T, U>(value: Maybe<T>, next: (value: T) => Maybe<U>): Maybe<U> {
  return isPromise(value) ? value.then(next) : next(value);
}

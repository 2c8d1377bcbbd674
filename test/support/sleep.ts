// The one real-time wait of the tests and benchmarks, for where real time is the point (a
// server's own timer, a background tab); a test that can wait on what it observes does that.
// No Vitest import: the benchmarks load it too.

/**
 * Resolves after `ms` milliseconds of real time (at once for 0 or less), or at once when
 * `signal` aborts (a bounded load run that stops).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

/** Resolves at `at` (milliseconds since the epoch, `Date.now()`'s clock), or at once if past. */
export function sleepUntil(at: number): Promise<void> {
  return sleep(at - Date.now());
}

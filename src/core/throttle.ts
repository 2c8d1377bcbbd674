// Logging by kind of failure, not by request: a store outage or a flood of bad requests must
// not write a line per request into the operator's log. Pure: time is a parameter.

/** How often one kind of failure is logged at most. */
export const LOG_INTERVAL_MS = 60_000;

/**
 * Counts failures per kind and says when to log one: the first at once, then at most one line
 * per kind per interval, carrying how many happened since the last line.
 *
 * @example
 * ```ts
 * const throttle = logThrottle();
 * throttle('store', 0);      // 1: log it
 * throttle('store', 1000);   // undefined: counted, not logged
 * throttle('store', 61_000); // 2: log it, with the count since the last line
 * ```
 */
export function logThrottle(
  intervalMs = LOG_INTERVAL_MS,
): (kind: string, nowMs: number) => number | undefined {
  const kinds = new Map<string, { loggedAtMs: number; unlogged: number }>();
  return (kind, nowMs) => {
    const entry = kinds.get(kind) ?? { loggedAtMs: Number.NEGATIVE_INFINITY, unlogged: 0 };
    kinds.set(kind, entry);
    entry.unlogged++;
    if (nowMs - entry.loggedAtMs < intervalMs) return undefined;
    const count = entry.unlogged;
    entry.loggedAtMs = nowMs;
    entry.unlogged = 0;
    return count;
  };
}

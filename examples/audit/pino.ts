// The audit trail of docs/guide/operations.md: session-security's events as pino log lines, refused requests counted.
import type { Logger } from 'pino';
import type { SessionSecurityEvent } from 'session-security';

/**
 * Writes every event of a sign-in as one pino line (`audit: true`, the event's fields), and
 * refused requests as one line per minute with a count per reason: whoever sends them sets
 * their rate, so one line each would let anybody flood the trail.
 */
export function auditTrail(log: Logger, { flushEveryMs = 60_000 } = {}) {
  let refused = new Map<string, number>();
  const flush = () => {
    if (refused.size === 0) return;
    log.warn({ audit: true, type: 'refused', counts: Object.fromEntries(refused) }, 'refused');
    refused = new Map();
  };
  const timer = setInterval(flush, flushEveryMs);
  timer.unref();
  return {
    onEvent(event: SessionSecurityEvent) {
      if (event.type === 'refused') {
        // At most 100 paths a minute: an attacker choosing them must not grow the map.
        const exact = `${event.reason} ${event.method} ${event.path}`;
        const key =
          refused.has(exact) || refused.size < 100 ? exact : `${event.reason} ${event.method} …`;
        refused.set(key, (refused.get(key) ?? 0) + 1);
        return;
      }
      const level = event.type === 'store-failed' ? 'error' : 'info';
      log[level]({ audit: true, ...event }, event.type);
    },
    flush,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}

// The demo's audit trail: each session-security event of a sign-in as one JSON line for the log,
// and the last few in memory for the /audit page; refused requests counted and written once a
// minute (whoever sends them sets their rate). No event carries a session id, so neither does this.

import type { SessionSecurityEvent } from 'session-security';

/** How many events the /audit page can show: the newest, the rest are only in the log. */
export const AUDIT_MEMORY = 50;

/** How many events of the trace (every request of a sign-in, and the other events) the page keeps. */
export const TRACE_MEMORY = 300;

/** The prefix of each audit line in the log, so a log shipper can pick them out. */
export const AUDIT_LINE_PREFIX = 'audit ';

/** How often the counts of refused requests are written. */
const REFUSED_FLUSH_MS = 60_000;

/** Distinct (reason, method, path) counted between two flushes; past it, paths share one count. */
const MAX_REFUSED_KEYS = 100;

/** Refused requests counted since the last flush, by `reason method path`. */
export interface RefusedCounts {
  type: 'refused';
  /** When the counts were written (ms). */
  at: number;
  counts: Record<string, number>;
}

export interface AuditTrail {
  /** Keeps an event (the `onEvent` option), and writes its line; a refused request is counted. */
  record(event: SessionSecurityEvent): void;
  /** The events of sign-ins kept, newest first (refused requests and the trace are not among them). */
  recent(): readonly SessionSecurityEvent[];
  /** The trace (the `trace` option) and the events of sign-ins, oldest first. */
  trace(): readonly SessionSecurityEvent[];
  /** The latest counts of refused requests written, if any. */
  refused(): RefusedCounts | undefined;
  /** Writes the counts of refused requests now (the timer does it once a minute). */
  flush(): void;
  /** Stops the timer, writing what is counted. */
  stop(): void;
}

/**
 * An audit trail in memory, writing each event as `audit {json}` to `writeLine` when given.
 * JSON on one line: a path or a header in an event cannot start a forged line of its own.
 * Refused requests would let anybody flood the trail and push the events of sign-ins out of
 * memory: they are counted, with a bounded number of distinct keys, and written once a minute.
 *
 * @example
 * ```ts
 * const audit = auditTrail((line) => process.stdout.write(`${line}\n`));
 * sessionSecurity({ ...options, onEvent: audit.record });
 * ```
 */
export function auditTrail(writeLine?: (line: string) => void, now = Date.now): AuditTrail {
  const events: SessionSecurityEvent[] = [];
  const traced: SessionSecurityEvent[] = [];
  let counting = new Map<string, number>();
  let latest: RefusedCounts | undefined;
  const flush = () => {
    if (counting.size === 0) return;
    latest = { type: 'refused', at: now(), counts: Object.fromEntries(counting) };
    counting = new Map();
    writeLine?.(`${AUDIT_LINE_PREFIX}${JSON.stringify(latest)}`);
  };
  const timer = setInterval(flush, REFUSED_FLUSH_MS);
  timer.unref();
  return {
    record(event) {
      if (event.type !== 'refused') {
        traced.push(event);
        if (traced.length > TRACE_MEMORY) traced.shift();
      }
      // A line per request is the trace's, written by the library to the log (logger.info).
      if (event.type === 'trace') return;
      if (event.type === 'refused') {
        const exact = `${event.reason} ${event.method} ${event.path}`;
        const key =
          counting.has(exact) || counting.size < MAX_REFUSED_KEYS
            ? exact
            : `${event.reason} ${event.method} (other paths)`;
        counting.set(key, (counting.get(key) ?? 0) + 1);
        return;
      }
      writeLine?.(`${AUDIT_LINE_PREFIX}${JSON.stringify(event)}`);
      events.push(event);
      if (events.length > AUDIT_MEMORY) events.shift();
    },
    recent: () => events.toReversed(),
    trace: () => [...traced],
    refused: () => latest,
    flush,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}

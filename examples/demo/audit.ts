// The demo's audit trail: each session-security event as one JSON line for the log, and the last
// few in memory for the /audit page. The events never carry a session id, so neither does this.

import type { SessionSecurityEvent } from 'session-security';

/** How many events the /audit page can show: the newest, the rest are only in the log. */
export const AUDIT_MEMORY = 50;

/** The prefix of each audit line in the log, so a log shipper can pick them out. */
export const AUDIT_LINE_PREFIX = 'audit ';

export interface AuditTrail {
  /** Keeps an event (the `onEvent` option), and writes its line. */
  record(event: SessionSecurityEvent): void;
  /** The events kept, newest first. */
  recent(): readonly SessionSecurityEvent[];
}

/**
 * An audit trail in memory, writing each event as `audit {json}` to `writeLine` when given.
 * JSON on one line: a path or a header in an event cannot start a forged line of its own.
 *
 * @example
 * ```ts
 * const audit = auditTrail((line) => process.stdout.write(`${line}\n`));
 * sessionSecurity({ ...options, onEvent: audit.record });
 * ```
 */
export function auditTrail(writeLine?: (line: string) => void): AuditTrail {
  const events: SessionSecurityEvent[] = [];
  return {
    record(event) {
      writeLine?.(`${AUDIT_LINE_PREFIX}${JSON.stringify(event)}`);
      events.push(event);
      if (events.length > AUDIT_MEMORY) events.shift();
    },
    recent: () => events.toReversed(),
  };
}

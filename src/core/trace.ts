// The readable form of the library's events (docs/guide/operations.md: Why a sign-in lived or
// ended): one line each, for a developer's log (the `trace` option writes them) or a page. Pure:
// no clock, no I/O.

import type { SessionSecurityEvent, TraceEvent } from './events.js';

/** Seconds as the lines show them: whole, or to the tenth below 10. */
const seconds = (s: number): string => `${s < 10 ? Math.round(s * 10) / 10 : Math.round(s)} s`;

/** What could end a line or forge another in a log: control characters and line separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters it escapes
const LINE_BREAKERS = /[\u0000-\u001f\u007f\u2028\u2029]/g;

/** A time of day, UTC, to the second. */
const clockTime = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

const WHY: Readonly<Record<TraceEvent['why'], string>> = {
  request: 'a request of the app',
  ping: "the user's input, reported by the client",
  stay: 'the warning\'s "Stay signed in"',
  read: 'the client asks the time',
  'passive-header': 'marked X-Session-Security: passive',
  prefetch: 'a prefetch',
  elsewhere: 'made by another origin or site',
  'passive-rule': 'a passive rule',
  ended: 'the sign-in is over',
};

const BY = { server: 'the app', client: 'the browser' } as const;

/** What a request did, and the sign-in's clock after it. */
function describeTrace(event: TraceEvent): string {
  const what = `${event.method} ${event.path}`;
  const why = `${WHY[event.why]}${event.detail === undefined ? '' : `: ${event.detail}`}`;
  if (event.counted === 'ended') return `${what}: refused, ${event.reason ?? 'ended'} (${why})`;
  const clock =
    event.idleFor === undefined || event.expireIn === undefined
      ? ''
      : `: idle ${seconds(event.idleFor)}, ends in ${seconds(event.expireIn)}${event.held ? ', held by a lease' : ''}`;
  return `${what}: ${event.counted} (${why})${clock}`;
}

/** The line of an event, without its time and sign-in (see {@link describeEvent}). */
function describeBody(event: SessionSecurityEvent): string {
  switch (event.type) {
    case 'trace':
      return describeTrace(event);
    case 'signed-in':
      return `signed in: idle timeout ${seconds(event.expireAfter)}, warning at ${seconds(event.warnAfter)}, absolute timeout ${event.absoluteTimeout > 0 ? seconds(event.absoluteTimeout) : 'off'}`;
    case 'extended':
      return 'stayed signed in (the warning\'s "Stay signed in")';
    case 'expired': {
      const since =
        event.leaseEndedAt === undefined
          ? ''
          : `, counted from the end of its lease at ${clockTime(event.leaseEndedAt)}`;
      return `expired (${event.reason}) at ${clockTime(event.endedAt)}: ${seconds(event.idleSeconds)} idle${since}; found by ${event.foundBy === 'sweep' ? 'the sweep' : 'a request'}`;
    }
    case 'signed-out':
      return `signed out (${event.how})${event.lengthSeconds === undefined ? '' : ` after ${seconds(event.lengthSeconds)}`}`;
    case 'lease-held':
      return `lease held by ${BY[event.by]}${event.label === undefined ? '' : ` ("${event.label}")`}, ${seconds(event.maxSeconds)} at most (until ${clockTime(event.until)})`;
    case 'lease-ended':
      return `lease ended${event.label === undefined ? '' : ` ("${event.label}")`} by ${BY[event.by]}: ${event.how} after ${seconds(event.seconds)}; idle time counts from here`;
    case 'refused':
      return `${event.method} ${event.path}: refused (${event.reason})`;
    case 'sign-in-lost':
      return `lost: the store had no record of it before its deadline (found by ${event.foundBy === 'ping' ? 'a ping' : 'a request'})`;
    case 'sign-in-refused':
      return `a sign-in refused (${event.reason})`;
    case 'store-failed':
      return `the store failed (${event.operation}: ${event.error})`;
    default:
      return (event as { type?: unknown }).type === undefined
        ? 'an event'
        : String((event as { type: unknown }).type);
  }
}

/**
 * One readable line of an event: its time (UTC), the sign-in (its marker, shortened) and user,
 * and what happened; what the `trace` option writes to the logger's `info`. Control characters
 * are written escaped (`\u000a`): a line is never two.
 *
 * @example
 * ```ts
 * describeEvent({ type: 'trace', at: Date.UTC(2026, 11, 7, 4, 21, 55), signIn: 'HVphc1LLd6aShhB0IQzmng', userId: 'ada', method: 'GET', path: '/reports', counted: 'activity', why: 'request', idleFor: 0, expireIn: 900 });
 * // '04:21:55 [HVphc1LL ada] GET /reports: activity (a request of the app): idle 0 s, ends in 900 s'
 * ```
 */
export function describeEvent(event: SessionSecurityEvent): string {
  const who = [event.signIn?.slice(0, 8), event.userId].filter(Boolean).join(' ');
  const line = `${clockTime(event.at)}${who === '' ? '' : ` [${who}]`} ${describeBody(event)}`;
  // One line, whatever a path, a user id or a label holds: no forged line in a log.
  return line.replace(LINE_BREAKERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

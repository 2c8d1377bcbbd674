// The client's deadline maths: from the last server status, the last input in any tab and the
// time, what to do now and when to look again. Pure: no DOM, no timers, no clock of its own.

/**
 * What the server last said, in its own words (seconds, as the ping answers them), with `at`
 * the local wall-clock time the answer arrived (ms).
 */
export interface ServerStatus {
  at: number;
  idleFor: number;
  warnIn: number;
  expireIn: number;
  absolute?: boolean;
}

export interface ScheduleInput {
  now: number;
  status: ServerStatus;
  /** The latest user input in any tab (ms), 0 when none since the page loaded. */
  lastInput: number;
  warnAfterMs: number;
  expireAfterMs: number;
  /** How long this tab lets a deadline pass before it pings itself: 0 for the leader. */
  graceMs: number;
  /** No ping before this time (backing off after a failed ping). */
  pingNotBefore: number;
}

export interface Plan {
  /** Ping now with this method; the answer brings a new status and a new plan. */
  ping?: 'GET' | 'POST';
  /** When to plan again if nothing else happens first. */
  wakeAt: number;
  /** The warning is due: the server confirmed the idle time reached `warnAfter`. */
  warning: boolean;
  warnAt: number;
  expireAt: number;
  absolute: boolean;
}

/** Input less than this much newer than the server's last activity is not worth a report (the server records activity at most once a second). */
export const MIN_REPORT_MS = 1000;
/** A status this close before a warning deadline is taken as the server's word on it. */
export const FRESH_MS = 1000;
/** A tab never sleeps longer than this between plans. */
export const MAX_WAIT_MS = 3_600_000;

/**
 * How long before the server's idle time reaches `warnAfter` unreported input is reported:
 * at least 10 s or a tenth of `warnAfter`, but no more than a third of it, so short test
 * timeouts still leave the user time between reports.
 */
export function reportMarginMs(warnAfterMs: number): number {
  return Math.min(Math.max(10_000, warnAfterMs / 10), warnAfterMs / 3);
}

/**
 * Plans one tab's next step.
 *
 * The server is asked before a warning and before an expiry (another tab, device or request
 * may have kept the session alive); input it has not heard of is reported before its idle time
 * reaches `warnAfter`. A tab acts on a deadline itself only `graceMs` after it, so the leader's
 * answer, shared with every tab, usually makes its own ping unnecessary.
 *
 * @example
 * ```ts
 * const now = Date.now();
 * const status = { at: now, idleFor: 30, warnIn: 60, expireIn: 90 }; // the ping's answer, just arrived
 * plan({ now, status, lastInput: 0, warnAfterMs: 90_000, expireAfterMs: 120_000, graceMs: 0, pingNotBefore: 0 });
 * // { wakeAt: status.at + status.warnIn * 1000, warning: false, ... }
 * ```
 */
export function plan(input: ScheduleInput): Plan {
  const { now, status, lastInput, warnAfterMs, graceMs } = input;
  const { at } = status;
  const serverActivity = at - status.idleFor * 1000;
  const unreported = lastInput - serverActivity >= MIN_REPORT_MS;
  const absolute = status.absolute === true;
  // Input cannot move an absolute deadline; otherwise the later of what the server said and
  // what this browser saw since.
  const activity = absolute ? -Infinity : Math.max(serverActivity, lastInput);
  const warnAt = Math.max(at + status.warnIn * 1000, activity + warnAfterMs);
  const expireAt = Math.max(at + status.expireIn * 1000, activity + input.expireAfterMs);
  const reportAt = unreported
    ? serverActivity + warnAfterMs - reportMarginMs(warnAfterMs)
    : Infinity;
  // Only the server's word opens the dialog: a status from about the deadline or later.
  const warning = now >= warnAt && at >= warnAt - FRESH_MS;
  // When to look again, or a ping due at a deadline: its method and the deadline.
  const [wakeAt, method, deadline = 0]: [number, ('GET' | 'POST')?, number?] =
    now < warnAt
      ? unreported && now >= reportAt
        ? [0, 'POST', reportAt]
        : [Math.min(reportAt + graceMs, warnAt, now + MAX_WAIT_MS)]
      : !warning
        ? [0, unreported ? 'POST' : 'GET', warnAt]
        : // Expiry needs a status from after the deadline: a 200 then means someone extended.
          now >= expireAt && at < expireAt
          ? [0, 'GET', expireAt]
          : [Math.min(expireAt, now + MAX_WAIT_MS)];
  const base = { warnAt, expireAt, absolute, warning };
  if (!method) return { ...base, wakeAt };
  const due = Math.max(deadline + graceMs, input.pingNotBefore);
  return now >= due ? { ...base, ping: method, wakeAt: now } : { ...base, wakeAt: due };
}

/** The prebuilt client fetches the dialog's script this long before the warning is due. */
export const DIALOG_LEAD_MS = 60_000;
/** A fetch of the dialog's script that brought nothing is tried again no sooner than this after it. */
export const DIALOG_RETRY_MS = 5_000;

/**
 * When to ask for the warning's dialog while this tab has none: a minute before the warning is
 * due (so the page views of an active user, whose warning stays minutes away, never fetch it),
 * and no sooner than DIALOG_RETRY_MS after the last ask (`askedAt`, -Infinity before the first).
 * A time already passed means now.
 *
 * @example
 * ```ts
 * const now = Date.now();
 * dialogAskAt(now + 600_000, -Infinity); // now + 540_000: the warning is ten minutes away
 * dialogAskAt(now, now - 1000); // now + 4000: the warning is due, the last ask a second ago brought nothing
 * ```
 */
export function dialogAskAt(warnAt: number, askedAt: number): number {
  return Math.max(warnAt - DIALOG_LEAD_MS, askedAt + DIALOG_RETRY_MS);
}

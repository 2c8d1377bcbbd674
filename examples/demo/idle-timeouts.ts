// Per-user idle timeouts of the demo: the choices each user has, the choice kept in memory, and
// the timeouts a sign-in gets from it. session-security evaluates them once, at sign-in.

import { defaultWarnAfter } from 'session-security';

/** Users whose sign-ins get at most half the demo's idle timeout (a privileged account). */
const STRICTER_USERS: ReadonlySet<string> = new Set(['admin']);

/** A sign-in's times, in seconds. */
export interface IdleTimeouts {
  /** Seconds of inactivity before sign-out. */
  expireAfter: number;
  /** Seconds of inactivity before the browser warns. */
  warnAfter: number;
}

/** The users' choices of idle timeout, and what a sign-in gets from them. */
export interface IdleTimeoutSettings {
  /** The idle timeouts (seconds) this user may choose, longest first: never above their bound. */
  choicesFor(user: string): number[];
  /** The longest idle timeout this user may have (seconds). */
  boundFor(user: string): number;
  /** What the user's next sign-in gets: their choice, else their bound. */
  timeoutsFor(user: string): IdleTimeouts;
  /** Keeps a user's choice for their next sign-ins; false (nothing kept) when it is not one of their choices. */
  choose(user: string, expireAfter: number): boolean;
}

/** Whole seconds, at least 1 (the library's shortest timeout). */
const wholeSeconds = (value: number) => Math.max(1, Math.round(value));

/**
 * The demo's per-user idle timeouts, from its configured times: everyone may choose the demo's
 * idle timeout, half or a quarter of it; an admin never more than half. The warning follows the
 * library's default rule (`expireAfter - min(120, expireAfter / 4)`), or the configured
 * `warnAfter` at the configured `expireAfter`.
 *
 * @example
 * ```ts
 * const settings = idleTimeoutSettings({ expireAfter: 120, warnAfter: 90 });
 * settings.timeoutsFor('admin'); // { expireAfter: 60, warnAfter: 45 }
 * ```
 */
export function idleTimeoutSettings(demo: IdleTimeouts): IdleTimeoutSettings {
  // In memory: a restart forgets every choice, and each instance keeps its own.
  const chosen = new Map<string, number>();
  const boundFor = (user: string) =>
    STRICTER_USERS.has(user) ? wholeSeconds(demo.expireAfter / 2) : demo.expireAfter;
  const choicesFor = (user: string) => {
    const candidates = [
      demo.expireAfter,
      wholeSeconds(demo.expireAfter / 2),
      wholeSeconds(demo.expireAfter / 4),
    ];
    return [...new Set(candidates.filter((seconds) => seconds <= boundFor(user)))];
  };
  const warnAfterFor = (expireAfter: number) =>
    expireAfter === demo.expireAfter ? demo.warnAfter : defaultWarnAfter(expireAfter);

  return {
    choicesFor,
    boundFor,
    timeoutsFor(user) {
      const mine = chosen.get(user);
      // A choice is checked again against today's bound: it never loosens the rule.
      const expireAfter = mine !== undefined && mine <= boundFor(user) ? mine : boundFor(user);
      return { expireAfter, warnAfter: warnAfterFor(expireAfter) };
    },
    choose(user, expireAfter) {
      if (!choicesFor(user).includes(expireAfter)) return false;
      chosen.set(user, expireAfter);
      return true;
    },
  };
}

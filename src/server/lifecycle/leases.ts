// Leases: work a user started (an upload, an import, a report) holds its sign-in while it runs.
// A lease is not a person's input: it is taken on a live sign-in only, kept in the store (so
// every instance sees it), lasts `maxSeconds` at most, never moves the absolute deadline, ends
// with its sign-in, and idle time counts from its end (docs/guide/leases.md).

import { LeaseRefusedError, SessionStoreUnavailableError } from '../../core/errors.js';
import { describeFailure } from '../../core/events.js';
import {
  MAX_TIMEOUT_MS,
  randomId,
  type SecurityState,
  type SignInFacts,
} from '../../core/policy.js';
import { MAX_LEASE_LABEL } from '../../core/protocol.js';
import type { Held, SessionAccess } from '../../core/store.js';
import { debug } from '../debug.js';
import type { Core } from './core.js';

/** How long a lease may hold its sign-in, and what the app calls the work. */
export interface HoldOptions {
  /** The longest the work may hold the sign-in, in seconds (a year at most). */
  maxSeconds: number;
  /** What the work is ("upload", "monthly report"): in the lease's events and the trace. */
  label?: string;
}

/** A lease taken: its sign-in, its id, and what it was taken with. */
export interface Lease {
  state: SecurityState;
  id: string;
  by: 'server' | 'client';
  label: string | undefined;
  startedAt: number;
  untilMs: number;
}

/** Checks a lease's options as the app or the browser gave them; throws a TypeError naming the fault. */
export function checkHoldOptions(options: HoldOptions, where: string): HoldOptions {
  const { maxSeconds, label } = (options ?? {}) as Partial<HoldOptions>;
  if (typeof maxSeconds !== 'number' || !(maxSeconds > 0) || maxSeconds * 1000 > MAX_TIMEOUT_MS) {
    throw new TypeError(
      `session-security: ${where}'s maxSeconds (${String(maxSeconds)}) must be a number of seconds above 0, a year at most`,
    );
  }
  if (label !== undefined && typeof label !== 'string') {
    throw new TypeError(`session-security: ${where}'s label must be a string`);
  }
  return { maxSeconds, ...(label !== undefined && { label: label.slice(0, MAX_LEASE_LABEL) }) };
}

/** A lease's id: random, then when it began and its longest length, so that its end can be reported by its id alone. */
function leaseId(startedAt: number, maxSeconds: number): string {
  return `${randomId()}.${startedAt}.${maxSeconds}`;
}

/** When a lease began and its latest end, read back from its id; undefined for an id not of this shape. */
function timesOf(id: string): { startedAt: number; untilMs: number } | undefined {
  const [, started, max, extra] = id.split('.');
  const startedAt = Number(started);
  const maxSeconds = Number(max);
  if (extra !== undefined || !Number.isFinite(startedAt) || !(maxSeconds > 0)) return undefined;
  return { startedAt, untilMs: startedAt + maxSeconds * 1000 };
}

/** A lease taken, or why not: the sign-in is over (with the step that found it), or holds too many. */
export type Taken = { kind: 'held'; lease: Lease } | Exclude<Held, { kind: 'active' }>;

/**
 * Takes a lease on the sign-in of this session, in one step of the store that checks first that
 * the sign-in lives.
 *
 * @throws SessionStoreUnavailableError when the store failed
 */
export async function takeLease<Req>(
  core: Core<Req>,
  session: SessionAccess,
  { maxSeconds, label }: HoldOptions,
  by: Lease['by'],
): Promise<Taken> {
  const { store, options, report } = core;
  if (store.hold === undefined || store.release === undefined) {
    throw new TypeError(
      'session-security: this activity store holds no leases (it has no hold and release)',
    );
  }
  const startedAt = options.clock.now();
  const id = leaseId(startedAt, maxSeconds);
  let held: Held;
  try {
    held = await store.hold(session, { id, forMs: maxSeconds * 1000 }, options);
  } catch (error) {
    report.failed('lease', error);
    throw new SessionStoreUnavailableError('hold', describeFailure(error), { cause: error });
  }
  if (held.kind !== 'active') return held;
  const lease: Lease = {
    state: held.state,
    id,
    by,
    label,
    startedAt,
    untilMs: startedAt + maxSeconds * 1000,
  };
  debug('lease %s held (%s, %d s at most)', id, label ?? by, maxSeconds);
  report.emit({
    type: 'lease-held',
    at: startedAt,
    ...report.about(held.state),
    lease: id,
    ...(label !== undefined && { label }),
    by,
    maxSeconds,
    until: lease.untilMs,
  });
  return { kind: 'held', lease };
}

/**
 * Ends a lease of the sign-in with this marker: its idle time counts from now. A failure of the
 * store is reported and swallowed: the lease then lapses at its `maxSeconds`, which it can never
 * pass.
 *
 * @returns whether a live lease by that id ended (false for an unknown id, or a sign-in over)
 */
export async function endLease<Req>(
  core: Core<Req>,
  about: SignInFacts & { id: string },
  id: string,
  by: Lease['by'],
  label?: string,
): Promise<boolean> {
  const { store, options, report } = core;
  let after: SecurityState | undefined;
  try {
    after = await store.release?.(about.id, id, options);
  } catch (error) {
    report.failed('lease', error);
    return false;
  }
  const times = timesOf(id);
  // An id the browser made up ends nothing, and is not reported.
  if (times === undefined || (after === undefined && by === 'client')) return false;
  const at = options.clock.now();
  const how = at > times.untilMs ? 'lapsed' : after === undefined ? 'sign-in-ended' : 'settled';
  debug('lease %s ended (%s)', id, how);
  report.emit({
    type: 'lease-ended',
    at,
    ...report.about(after ?? about),
    lease: id,
    ...(label !== undefined && { label }),
    by,
    how,
    seconds: Math.max(0, Math.min(at, times.untilMs) - times.startedAt) / 1000,
  });
  return after !== undefined;
}

/**
 * Runs `work` under a lease on the request's sign-in (the app's `security.hold`): the lease is
 * taken first (a function is called only once it is), and ended when the work settles, whatever
 * its outcome. Resolves or rejects as the work does.
 *
 * @throws LeaseRefusedError when there is no live sign-in or it holds too many leases
 * @throws SessionStoreUnavailableError when the store failed
 */
export async function holdWhile<Req, T>(
  core: Core<Req>,
  session: SessionAccess,
  work: Promise<T> | (() => Promise<T>),
  options: HoldOptions,
): Promise<T> {
  let lease: Lease;
  try {
    const checked = checkHoldOptions(options, 'hold');
    // No session at all: its store failed (answered 503, as every request then is).
    if (!session.exists()) {
      throw new SessionStoreUnavailableError('read', 'the request has no session');
    }
    if (session.read() === undefined) throw new LeaseRefusedError('no-sign-in');
    const taken = await takeLease(core, session, checked, 'server');
    if (taken.kind === 'ended' && taken.found !== undefined) {
      // This step found the expiry (the store recorded it): reported as a request's would be.
      const reason = taken.reason === 'absolute' ? 'absolute' : 'idle';
      core.report.expired(taken.found, reason, 'request');
    }
    if (taken.kind !== 'held') {
      throw new LeaseRefusedError(taken.kind === 'too-many' ? 'too-many' : 'no-sign-in');
    }
    lease = taken.lease;
  } catch (error) {
    // A promise already runs: its rejection must not go unhandled because no lease was taken.
    if (typeof work !== 'function') work.catch(() => {});
    throw error;
  }
  try {
    return await (typeof work === 'function' ? work() : work);
  } finally {
    await endLease(core, lease.state, lease.id, 'server', lease.label);
  }
}

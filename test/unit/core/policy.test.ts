// Unit tests of src/core/policy.ts: expiry, activity recording and the ping status of
// the options of docs/guide/options.md, What counts as activity and The ping protocol. Times are plain milliseconds from a fixed base; nothing sleeps.

import { describe, expect, it } from 'vitest';
import {
  type Decision,
  decide,
  randomId,
  readState,
  type SecurityState,
  statusOf,
  type Timeouts,
} from '../../../src/core/policy.js';

const T0 = 1_700_000_000_000;
const SECOND = 1000;

/** expireAfter 900 s, warnAfter 780 s, no absolute timeout: the defaults. */
const IDLE_ONLY: Timeouts = { expireAfterMs: 900_000, warnAfterMs: 780_000, absoluteTimeoutMs: 0 };
/** The defaults with an absolute timeout of one hour. */
const WITH_ABSOLUTE: Timeouts = { ...IDLE_ONLY, absoluteTimeoutMs: 3_600_000 };

const newId = () => 'new-id';

function stateAt(lastActivity: number, startedAt = T0): SecurityState {
  return { lastActivity, startedAt, id: 'sign-in-1' };
}

/** The state after a decision that must have let the request through. */
function continued(decision: Decision): { state: SecurityState; write: boolean } {
  if (decision.outcome !== 'continue') {
    throw new Error(`expected the request to continue, got ${JSON.stringify(decision)}`);
  }
  return decision;
}

/**
 * Runs requests through `decide` the way an adapter does: the stored state is replaced
 * only when the decision says to write it. Returns the last decision.
 */
function runRequests(
  initial: SecurityState,
  requests: readonly { nowMs: number; activityAtMs: number | undefined }[],
  timeouts: Timeouts,
): Decision {
  let stored = initial;
  let last: Decision | undefined;
  for (const { nowMs, activityAtMs } of requests) {
    last = decide(stored, nowMs, activityAtMs, timeouts, newId);
    if (last.outcome === 'expired') return last;
    if (last.write) stored = last.state;
  }
  if (last === undefined) throw new Error('no requests');
  return last;
}

describe('decide: the first tracked request', () => {
  it('starts the state at now with a new id and writes it', () => {
    expect(decide(undefined, T0, T0, IDLE_ONLY, newId)).toEqual({
      outcome: 'continue',
      state: { lastActivity: T0, startedAt: T0, id: 'new-id' },
      write: true,
    });
  });

  it('starts the state at now even when the first request is passive', () => {
    expect(decide(undefined, T0, undefined, IDLE_ONLY, newId)).toEqual({
      outcome: 'continue',
      state: { lastActivity: T0, startedAt: T0, id: 'new-id' },
      write: true,
    });
  });

  it('gives each sign-in a random id by default', () => {
    const first = continued(decide(undefined, T0, T0, IDLE_ONLY, randomId));
    const second = continued(decide(undefined, T0, T0, IDLE_ONLY, randomId));
    expect(first.state.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.state.id).not.toBe(second.state.id);
  });
});

describe('decide: idle expiry', () => {
  it('keeps a session idle for one millisecond less than expireAfter', () => {
    const decision = decide(stateAt(T0), T0 + 900_000 - 1, undefined, IDLE_ONLY, newId);
    expect(continued(decision).state).toEqual(stateAt(T0));
  });

  it('expires a session idle for exactly expireAfter', () => {
    expect(decide(stateAt(T0), T0 + 900_000, undefined, IDLE_ONLY, newId)).toEqual({
      outcome: 'expired',
      reason: 'idle',
    });
  });

  it('expires a session idle for longer than expireAfter', () => {
    expect(decide(stateAt(T0), T0 + 86_400_000, undefined, IDLE_ONLY, newId)).toEqual({
      outcome: 'expired',
      reason: 'idle',
    });
  });

  it('checks expiry before activity: an active request cannot revive an expired session', () => {
    const now = T0 + 900_000;
    expect(decide(stateAt(T0), now, now, IDLE_ONLY, newId)).toEqual({
      outcome: 'expired',
      reason: 'idle',
    });
  });

  it('checks expiry before activity: a ping reporting input 0 s ago cannot revive it', () => {
    const now = T0 + 1_000_000;
    expect(decide(stateAt(T0), now, now - 0 * SECOND, IDLE_ONLY, newId)).toEqual({
      outcome: 'expired',
      reason: 'idle',
    });
  });
});

describe('decide: absolute expiry', () => {
  it('expires exactly absoluteTimeout after sign-in even with recent activity', () => {
    const now = T0 + 3_600_000;
    expect(decide(stateAt(now - 2 * SECOND), now, now, WITH_ABSOLUTE, newId)).toEqual({
      outcome: 'expired',
      reason: 'absolute',
    });
  });

  it('keeps a session one millisecond before the absolute timeout', () => {
    const now = T0 + 3_600_000 - 1;
    expect(decide(stateAt(now - 2 * SECOND), now, undefined, WITH_ABSOLUTE, newId).outcome).toBe(
      'continue',
    );
  });

  it('never expires an active session on age when absoluteTimeout is 0', () => {
    const now = T0 + 30 * 86_400_000;
    const decision = decide(stateAt(now - 2 * SECOND), now, now, IDLE_ONLY, newId);
    expect(continued(decision).state.lastActivity).toBe(now);
  });

  it('reports the absolute timeout when it was reached before the idle one', () => {
    // absolute deadline T0 + 3600 s; idle deadline T0 + 3000 s + 900 s = T0 + 3900 s
    const decision = decide(
      stateAt(T0 + 3_000_000),
      T0 + 4_000_000,
      undefined,
      WITH_ABSOLUTE,
      newId,
    );
    expect(decision).toEqual({ outcome: 'expired', reason: 'absolute' });
  });

  it('reports the idle timeout when it was reached before the absolute one', () => {
    // idle deadline T0 + 1000 s + 900 s = T0 + 1900 s; absolute deadline T0 + 3600 s
    const decision = decide(
      stateAt(T0 + 1_000_000),
      T0 + 4_000_000,
      undefined,
      WITH_ABSOLUTE,
      newId,
    );
    expect(decision).toEqual({ outcome: 'expired', reason: 'idle' });
  });
});

describe('decide: recording activity', () => {
  it('never writes for a passive request and leaves lastActivity where it was', () => {
    const decision = decide(stateAt(T0), T0 + 60 * SECOND, undefined, IDLE_ONLY, newId);
    expect(decision).toEqual({ outcome: 'continue', state: stateAt(T0), write: false });
  });

  it('sets lastActivity to now for an active request and writes it', () => {
    const now = T0 + 60 * SECOND;
    expect(decide(stateAt(T0), now, now, IDLE_ONLY, newId)).toEqual({
      outcome: 'continue',
      state: { lastActivity: now, startedAt: T0, id: 'sign-in-1' },
      write: true,
    });
  });

  it('keeps startedAt and the id when recording activity', () => {
    const now = T0 + 60 * SECOND;
    const { state } = continued(decide(stateAt(T0, T0 - 5000), now, now, IDLE_ONLY, newId));
    expect(state.startedAt).toBe(T0 - 5000);
    expect(state.id).toBe('sign-in-1');
  });

  it('does not write a second active request 999 ms later', () => {
    const decision = decide(stateAt(T0), T0 + 999, T0 + 999, IDLE_ONLY, newId);
    expect(decision).toEqual({ outcome: 'continue', state: stateAt(T0), write: false });
  });

  it('writes a second active request 1000 ms later', () => {
    const decision = decide(stateAt(T0), T0 + 1000, T0 + 1000, IDLE_ONLY, newId);
    expect(decision).toEqual({ outcome: 'continue', state: stateAt(T0 + 1000), write: true });
  });

  it('never moves lastActivity backwards for activity reported earlier than it', () => {
    const stored = stateAt(T0 + 10 * SECOND);
    const decision = decide(stored, T0 + 20 * SECOND, T0 + 5 * SECOND, IDLE_ONLY, newId);
    expect(decision).toEqual({ outcome: 'continue', state: stored, write: false });
  });

  it('clamps activity reported in the future to now', () => {
    const now = T0 + 20 * SECOND;
    const decision = decide(stateAt(T0), now, now + 60 * SECOND, IDLE_ONLY, newId);
    expect(decision).toEqual({ outcome: 'continue', state: stateAt(now), write: true });
  });
});

describe('decide: a clock set back (stored times in the future)', () => {
  it('reads a stored lastActivity in the future as now', () => {
    const decision = decide(stateAt(T0 + 3_600_000), T0 + 10 * SECOND, undefined, IDLE_ONLY, newId);
    expect(continued(decision).state.lastActivity).toBe(T0 + 10 * SECOND);
  });

  it('reads a stored startedAt in the future as now', () => {
    const now = T0 + 10 * SECOND;
    const decision = decide(stateAt(now, T0 + 3_600_000), now, undefined, WITH_ABSOLUTE, newId);
    expect(continued(decision).state.startedAt).toBe(now);
  });

  it('does not let a lastActivity stored in the future stretch an idle session beyond expireAfter', () => {
    // The clock was set back an hour after the last write: the stored lastActivity is read
    // as now (T0), and nothing active happens after that.
    const decision = runRequests(
      stateAt(T0 + 3_600_000, T0 - 60 * SECOND),
      [
        { nowMs: T0, activityAtMs: undefined },
        { nowMs: T0 + 450_000, activityAtMs: undefined },
        { nowMs: T0 + 900_000, activityAtMs: undefined },
      ],
      IDLE_ONLY,
    );
    expect(decision).toEqual({ outcome: 'expired', reason: 'idle' });
  });

  it('does not let a startedAt stored in the future stretch the absolute timeout', () => {
    // The clock was set back an hour after sign-in; the user stays active every minute.
    const requests = Array.from({ length: 61 }, (_, minute) => {
      const nowMs = T0 + minute * 60 * SECOND;
      return { nowMs, activityAtMs: nowMs };
    });
    const decision = runRequests(stateAt(T0 + 3_600_000, T0 + 3_600_000), requests, WITH_ABSOLUTE);
    expect(decision).toEqual({ outcome: 'expired', reason: 'absolute' });
  });
});

describe('decide: merging a ping sinceActivity', () => {
  it('sets lastActivity to now - sinceActivity when that is later than the stored one', () => {
    const now = T0 + 100 * SECOND;
    const decision = decide(stateAt(T0), now, now - 30 * SECOND, IDLE_ONLY, newId);
    expect(decision).toEqual({
      outcome: 'continue',
      state: stateAt(T0 + 70 * SECOND),
      write: true,
    });
  });

  it('keeps the stored lastActivity when now - sinceActivity is earlier', () => {
    const now = T0 + 100 * SECOND;
    const decision = decide(stateAt(T0), now, now - 200 * SECOND, IDLE_ONLY, newId);
    expect(decision).toEqual({ outcome: 'continue', state: stateAt(T0), write: false });
  });

  it('keeps fractions of a second reported by the ping', () => {
    const now = T0 + 100 * SECOND;
    const { state } = continued(decide(stateAt(T0), now, now - 12_500, IDLE_ONLY, newId));
    expect(state.lastActivity).toBe(T0 + 87_500);
  });
});

describe('statusOf', () => {
  it('reports idle, warning and expiry times in seconds without an absolute timeout', () => {
    const now = T0 + 3_600_000;
    expect(statusOf(stateAt(now - 10 * SECOND), now, IDLE_ONLY)).toEqual({
      status: 'active',
      idleFor: 10,
      warnIn: 770,
      expireIn: 890,
      expireAfter: 900,
      warnAfter: 780,
      absolute: false,
      session: 'sign-in-1',
    });
  });

  it('reports the absolute timeout when it comes before the idle one', () => {
    const timeouts = { ...IDLE_ONLY, absoluteTimeoutMs: 1_000_000 };
    const now = T0 + 950 * SECOND;
    expect(statusOf(stateAt(now - 10 * SECOND, T0), now, timeouts)).toEqual({
      status: 'active',
      idleFor: 10,
      warnIn: 0,
      expireIn: 50,
      expireAfter: 900,
      warnAfter: 780,
      absolute: true,
      session: 'sign-in-1',
    });
  });

  it('warns the same window before the absolute timeout as before the idle one', () => {
    const timeouts = { ...IDLE_ONLY, absoluteTimeoutMs: 1_000_000 };
    const now = T0 + 500 * SECOND;
    const status = statusOf(stateAt(now, T0), now, timeouts);
    expect(status.expireIn).toBe(500);
    expect(status.warnIn).toBe(380);
    expect(status.absolute).toBe(true);
  });

  it('reports the idle timeout when the absolute one is further away', () => {
    const now = T0 + 100 * SECOND;
    const status = statusOf(stateAt(now - 10 * SECOND, T0), now, WITH_ABSOLUTE);
    expect(status.expireIn).toBe(890);
    expect(status.warnIn).toBe(770);
    expect(status.absolute).toBe(false);
  });

  it('reports fractions of a second', () => {
    const now = T0 + 100 * SECOND;
    const status = statusOf(stateAt(now - 12_500), now, IDLE_ONLY);
    expect(status.idleFor).toBe(12.5);
    expect(status.expireIn).toBe(887.5);
    expect(status.warnIn).toBe(767.5);
  });

  it('reports a warnIn of 0 once the warning time is reached', () => {
    const now = T0 + 800 * SECOND;
    const status = statusOf(stateAt(T0), now, IDLE_ONLY);
    expect(status.warnIn).toBe(0);
    expect(status.expireIn).toBe(100);
  });
});

describe('readState', () => {
  it.each([undefined, null])('reads %s as no state', (value) => {
    expect(readState(value)).toBeUndefined();
  });

  it('reads a well-formed state, keeping only its three fields', () => {
    expect(readState({ lastActivity: T0, startedAt: T0 - 5, id: 'abc', extra: true })).toEqual({
      lastActivity: T0,
      startedAt: T0 - 5,
      id: 'abc',
    });
  });

  it.each([
    ['a string', 'state'],
    ['a number', 42],
    ['a boolean', true],
    ['an array', [T0, T0, 'abc']],
    ['an empty object', {}],
    ['a missing lastActivity', { startedAt: T0, id: 'abc' }],
    ['a missing startedAt', { lastActivity: T0, id: 'abc' }],
    ['a missing id', { lastActivity: T0, startedAt: T0 }],
    ['a NaN lastActivity', { lastActivity: Number.NaN, startedAt: T0, id: 'abc' }],
    ['an Infinity startedAt', { lastActivity: T0, startedAt: Number.POSITIVE_INFINITY, id: 'abc' }],
    ['a string time', { lastActivity: String(T0), startedAt: T0, id: 'abc' }],
    ['an empty id', { lastActivity: T0, startedAt: T0, id: '' }],
    ['a numeric id', { lastActivity: T0, startedAt: T0, id: 7 }],
  ])('reads %s as invalid', (_label, value) => {
    expect(readState(value)).toBe('invalid');
  });
});

describe('randomId', () => {
  it('is 22 base64url characters (128 bits)', () => {
    expect(randomId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('differs between two calls', () => {
    expect(randomId()).not.toBe(randomId());
  });
});

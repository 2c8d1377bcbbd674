// The client's pure schedule with a fake clock: when to warn, to expire, to ping, GET or POST;
// and whole sessions simulated against the real server policy (an hour of typing, a 20-minute
// sleep, late timers, a frozen leader).

import { describe, expect, it } from 'vitest';
import {
  plan,
  reportMarginMs,
  type ScheduleInput,
  type ServerStatus,
} from '../../../src/client/schedule.js';
import { decide, type SecurityState, statusOf, type Timeouts } from '../../../src/core/policy.js';

const S = 1000;
const T0 = 1_700_000_000_000;
const E = 120 * S;
const W = 90 * S;

/** A status received at `at` from a server whose session has been idle `idle` ms. */
function status(at: number, idle: number, absoluteExpireIn?: number): ServerStatus {
  const idleExpireIn = E - idle;
  const expireInMs = Math.min(idleExpireIn, absoluteExpireIn ?? Number.POSITIVE_INFINITY);
  return {
    at,
    idleFor: idle / S,
    expireIn: expireInMs / S,
    warnIn: Math.max(0, expireInMs - (E - W)) / S,
    absolute: absoluteExpireIn !== undefined && absoluteExpireIn < idleExpireIn,
  };
}

function input(overrides: Partial<ScheduleInput>): ScheduleInput {
  return {
    now: T0,
    status: status(T0, 0),
    lastInput: 0,
    warnAfterMs: W,
    expireAfterMs: E,
    graceMs: 0,
    pingNotBefore: 0,
    ...overrides,
  };
}

describe('plan: warning', () => {
  it('sleeps until warnAfter when nothing happens', () => {
    const step = plan(input({ now: T0 + 10 * S }));
    expect(step).toMatchObject({
      warning: false,
      wakeAt: T0 + W,
      warnAt: T0 + W,
      expireAt: T0 + E,
    });
    expect(step.ping).toBeUndefined();
  });

  it('counts from the server’s idle time, not from the page load', () => {
    const step = plan(input({ status: status(T0, 30 * S) }));
    expect(step.warnAt).toBe(T0 + W - 30 * S);
  });

  it('asks the server with a GET when the warning deadline comes, before warning', () => {
    const step = plan(input({ now: T0 + W }));
    expect(step).toMatchObject({ ping: 'GET', warning: false });
  });

  it('warns when the server confirms the idle time reached warnAfter', () => {
    const step = plan(input({ now: T0 + W, status: status(T0 + W, W) }));
    expect(step).toMatchObject({ warning: true, wakeAt: T0 + E });
    expect(step.ping).toBeUndefined();
  });

  it('does not warn when the server says another device kept the session alive', () => {
    const step = plan(input({ now: T0 + W, status: status(T0 + W, 5 * S) }));
    expect(step).toMatchObject({ warning: false, warnAt: T0 + W + W - 5 * S });
  });

  it('a non-leader waits its grace before asking the server itself', () => {
    const step = plan(input({ now: T0 + W, graceMs: 3 * S }));
    expect(step).toMatchObject({ warning: false, wakeAt: T0 + W + 3 * S });
    expect(step.ping).toBeUndefined();
    expect(plan(input({ now: T0 + W + 3 * S, graceMs: 3 * S })).ping).toBe('GET');
  });

  it('a non-leader warns on the leader’s fresh answer without pinging', () => {
    const step = plan(
      input({ now: T0 + W + 20, status: status(T0 + W + 10, W + 10), graceMs: 3 * S }),
    );
    expect(step.warning).toBe(true);
    expect(step.ping).toBeUndefined();
  });
});

describe('plan: input', () => {
  it('reports input with a POST before the server’s idle time reaches warnAfter', () => {
    const margin = reportMarginMs(W);
    const typedAt = T0 + 20 * S;
    expect(plan(input({ now: typedAt, lastInput: typedAt })).wakeAt).toBe(T0 + W - margin);
    expect(plan(input({ now: T0 + W - margin, lastInput: typedAt })).ping).toBe('POST');
  });

  it('moves the warning a full warnAfter past the last input', () => {
    const typedAt = T0 + 50 * S;
    expect(plan(input({ now: typedAt, lastInput: typedAt })).warnAt).toBe(typedAt + W);
  });

  it('ignores input that is less than a second newer than what the server knows', () => {
    const step = plan(input({ now: T0 + W - 20 * S, lastInput: T0 + 500 }));
    expect(step.ping).toBeUndefined();
  });

  it('reports input with a POST when the warning deadline finds it unreported (after a sleep)', () => {
    const step = plan(input({ now: T0 + W + 5 * S, lastInput: T0 + 60 * S }));
    expect(step.ping).toBe('POST');
  });

  it('keeps the margin at least 10 s, at most a third of warnAfter', () => {
    expect(reportMarginMs(90 * S)).toBe(10 * S);
    expect(reportMarginMs(780 * S)).toBe(78 * S);
    expect(reportMarginMs(3 * S)).toBe(1 * S);
  });
});

describe('plan: expiry', () => {
  it('asks the server with a GET at the expiry deadline while warning', () => {
    const step = plan(input({ now: T0 + E, status: status(T0 + W, W) }));
    expect(step).toMatchObject({ ping: 'GET', warning: true });
  });

  it('a timer that fires late still pings once, at once', () => {
    const step = plan(input({ now: T0 + E + 45 * S, status: status(T0 + W, W) }));
    expect(step.ping).toBe('GET');
  });

  it('backs off: no ping before pingNotBefore', () => {
    const step = plan(
      input({ now: T0 + E, status: status(T0 + W, W), pingNotBefore: T0 + E + 4 * S }),
    );
    expect(step.ping).toBeUndefined();
    expect(step.wakeAt).toBe(T0 + E + 4 * S);
  });
});

describe('plan: absolute timeout', () => {
  it('takes the server’s absolute deadlines, which input cannot move', () => {
    const abs = status(T0, 0, 40 * S);
    const step = plan(input({ now: T0 + 5 * S, status: abs, lastInput: T0 + 5 * S }));
    expect(step).toMatchObject({ absolute: true, expireAt: T0 + 40 * S, warnAt: T0 + 10 * S });
  });
});

/**
 * One browser tab against the real server policy, in fake time: runs the plan, sends its pings
 * to a server that decides with `decide`, and counts what happened.
 */
function simulate(options: {
  durationMs: number;
  /** Times of user input, ms after T0. */
  inputs: (t: number) => boolean;
  /** How late each timer fires (a hidden tab, a sleeping laptop). */
  lateness?: (wakeAt: number) => number;
  graceMs?: number;
}) {
  const timeouts: Timeouts = { expireAfterMs: E, warnAfterMs: W, absoluteTimeoutMs: 0 };
  let server: SecurityState | undefined = { lastActivity: T0, startedAt: T0, id: 'x' };
  let clientStatus = status(T0, 0);
  let lastInput = 0;
  let now = T0;
  const counts = { GET: 0, POST: 0, warnings: 0, signedOut: false, maxServerIdle: 0 };
  let warning = false;
  let wakeAt = T0;
  const send = (method: 'GET' | 'POST') => {
    counts[method]++;
    if (!server) {
      counts.signedOut = true;
      return;
    }
    const activityAt = method === 'POST' ? lastInput : undefined;
    const decision = decide(server, now, activityAt, timeouts, () => 'x');
    if (decision.outcome === 'expired') {
      server = undefined;
      counts.signedOut = true;
      return;
    }
    server = decision.state;
    const s = statusOf(server, now, timeouts);
    clientStatus = { ...s, at: now };
  };
  const step = () => {
    if (server) counts.maxServerIdle = Math.max(counts.maxServerIdle, now - server.lastActivity);
    const next = plan({
      now,
      status: clientStatus,
      lastInput,
      warnAfterMs: W,
      expireAfterMs: E,
      graceMs: options.graceMs ?? 0,
      pingNotBefore: 0,
    });
    if (next.warning && !warning) counts.warnings++;
    warning = next.warning;
    if (next.ping) {
      send(next.ping);
      return now;
    }
    return next.wakeAt + (options.lateness?.(next.wakeAt) ?? 0);
  };
  while (now < T0 + options.durationMs && !counts.signedOut) {
    const nextInput = Math.ceil((now - T0 + 1) / S) * S + T0;
    wakeAt = step();
    if (counts.signedOut) break;
    // Advance to the earlier of the timer and the next second with input.
    let t = nextInput;
    while (t < wakeAt && !options.inputs(t - T0)) t += S;
    now = Math.max(now + 1, Math.min(t, wakeAt));
    if (options.inputs(now - T0) && !warning && now - lastInput >= S) lastInput = now;
  }
  return counts;
}

describe('whole sessions against the server policy', () => {
  it('never signs out a user who types for an hour without a request', () => {
    const hour = 3_600 * S;
    const counts = simulate({ durationMs: hour, inputs: (t) => t % (7 * S) === 0 });
    expect(counts.signedOut).toBe(false);
    expect(counts.warnings).toBe(0);
    expect(counts.maxServerIdle).toBeLessThan(W);
    // one report per (warnAfter - margin) of typing, not one per input
    expect(counts.POST).toBeLessThanOrEqual(Math.ceil(hour / (W - reportMarginMs(W))) + 1);
  });

  it('an idle tab warns once, then expires with two GETs and no POST', () => {
    const counts = simulate({ durationMs: 10 * 60 * S, inputs: () => false });
    expect(counts).toMatchObject({ warnings: 1, signedOut: true, GET: 2, POST: 0 });
  });

  it('a 20-minute sleep ends in one ping that finds the session expired, without a warning', () => {
    const counts = simulate({
      durationMs: 30 * 60 * S,
      inputs: (t) => t === 10 * S,
      lateness: (wakeAt) => (wakeAt > T0 + 30 * S && wakeAt < T0 + 20 * 60 * S ? 20 * 60 * S : 0),
    });
    expect(counts.signedOut).toBe(true);
    expect(counts.warnings).toBe(0);
    expect(counts.GET + counts.POST).toBe(1);
  });

  it('timers that fire 30 s late still report typing before the server expires it', () => {
    const counts = simulate({
      durationMs: 30 * 60 * S,
      inputs: (t) => t % (5 * S) === 0,
      lateness: () => 25 * S,
    });
    expect(counts.signedOut).toBe(false);
    expect(counts.maxServerIdle).toBeLessThan(E);
  });

  it('a tab that waits a grace (its leader frozen) still reports typing in time', () => {
    const graceMs = reportMarginMs(W) / 2;
    const counts = simulate({ durationMs: 30 * 60 * S, inputs: (t) => t % (3 * S) === 0, graceMs });
    expect(counts.signedOut).toBe(false);
    expect(counts.warnings).toBe(0);
    expect(counts.maxServerIdle).toBeLessThan(W);
  });
});

// Properties of the pure policy (src/core/policy.ts) over random sequences of requests on a
// random clock. The session is kept as the lifecycle keeps it: the state is replaced when a
// decision says to write it, and the session is over once a request finds it expired.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Decision,
  decide,
  MIN_WRITE_INTERVAL_MS,
  type SecurityState,
  statusOf,
  type Timeouts,
} from '../../../src/core/policy.js';

const T0 = 1_700_000_000_000;
const NUM_RUNS = 300;

type Request =
  | { kind: 'active' }
  | { kind: 'passive' }
  | { kind: 'pingGet' }
  | { kind: 'pingPost'; sinceActivitySeconds: number };
type Step = Request | { kind: 'advance'; ms: number };

/** What one request saw and what the policy decided. */
interface Handled {
  nowMs: number;
  request: Request;
  /** The stored state before the request (undefined: the first tracked request). */
  before: SecurityState | undefined;
  decision: Decision;
}

let ids = 0;
const newId = () => `sign-in-${++ids}`;

/**
 * One request as the lifecycle runs it. A ping POST checks expiry on the stored state first,
 * then merges the reported input (`now - sinceActivity`) into the state it found alive.
 */
function handle(
  stored: SecurityState | undefined,
  nowMs: number,
  request: Request,
  timeouts: Timeouts,
): Decision {
  if (request.kind !== 'pingPost') {
    const activityAtMs = request.kind === 'active' ? nowMs : undefined;
    return decide(stored, nowMs, activityAtMs, timeouts, newId);
  }
  const current = decide(stored, nowMs, undefined, timeouts, newId);
  if (current.outcome === 'expired') return current;
  const reportedMs = nowMs - request.sinceActivitySeconds * 1000;
  const merged = decide(current.state, nowMs, reportedMs, timeouts, newId);
  if (merged.outcome === 'expired') return current;
  return { outcome: 'continue', state: merged.state, write: current.write || merged.write };
}

/** Runs the steps from T0; stops at the first expiry (the session is over). */
function run(steps: readonly Step[], timeouts: Timeouts, startMs = T0) {
  let nowMs = startMs;
  let stored: SecurityState | undefined;
  const handled: Handled[] = [];
  for (const step of steps) {
    if (step.kind === 'advance') {
      nowMs += step.ms;
      continue;
    }
    const decision = handle(stored, nowMs, step, timeouts);
    handled.push({ nowMs, request: step, before: stored, decision });
    if (decision.outcome === 'expired') break;
    if (decision.write) stored = decision.state;
  }
  const expired = handled.at(-1)?.decision.outcome === 'expired';
  return { handled, stored, nowMs, expired };
}

/** When a request saw user input, by what it carries; undefined for a passive one. */
function activityOf({ request, nowMs }: Handled): number | undefined {
  if (request.kind === 'active') return nowMs;
  if (request.kind === 'pingPost')
    return Math.min(nowMs, nowMs - request.sinceActivitySeconds * 1000);
  return undefined;
}

// --- Arbitraries ---------------------------------------------------------------------------

type AbsoluteTimeout = 'off' | 'on' | 'any';

/** expireAfter 2 s to 10 min, warnAfter below it, an absolute timeout off or 1 s to 3 × expireAfter. */
function timeoutsArb(absolute: AbsoluteTimeout): fc.Arbitrary<Timeouts> {
  return fc.integer({ min: 2000, max: 600_000 }).chain((expireAfterMs) => {
    const on = fc.integer({ min: 1000, max: 3 * expireAfterMs });
    return fc.record({
      expireAfterMs: fc.constant(expireAfterMs),
      warnAfterMs: fc.integer({ min: 1, max: expireAfterMs - 1 }),
      absoluteTimeoutMs:
        absolute === 'off' ? fc.constant(0) : absolute === 'on' ? on : fc.oneof(fc.constant(0), on),
    });
  });
}

/** A ping's sinceActivity as parsePingBody lets it through: 0, seconds, hours, absurdly large. */
const sinceActivityArb = fc.oneof(
  fc.constant(0),
  fc.double({ min: 0, max: 5, noNaN: true }),
  fc.double({ min: 0, max: 3600, noNaN: true }),
  fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true, noDefaultInfinity: true }),
);

const requestArb: fc.Arbitrary<Request> = fc.oneof(
  fc.constant({ kind: 'active' as const }),
  fc.constant({ kind: 'passive' as const }),
  fc.constant({ kind: 'pingGet' as const }),
  sinceActivityArb.map((sinceActivitySeconds) => ({
    kind: 'pingPost' as const,
    sinceActivitySeconds,
  })),
);

/** Clock moves: mostly within the write granularity, sometimes up to past expiry, maybe backwards. */
function advanceArb(timeouts: Timeouts, backwards: boolean): fc.Arbitrary<Step> {
  const { expireAfterMs } = timeouts;
  return fc
    .oneof(
      { arbitrary: fc.integer({ min: 0, max: 2 * MIN_WRITE_INTERVAL_MS }), weight: 4 },
      { arbitrary: fc.integer({ min: 0, max: Math.floor(expireAfterMs / 2) }), weight: 2 },
      { arbitrary: fc.integer({ min: 0, max: expireAfterMs + 1000 }), weight: 1 },
      {
        arbitrary: fc.integer({ min: backwards ? -2 * expireAfterMs : 0, max: 0 }),
        weight: backwards ? 2 : 0,
      },
    )
    .map((ms) => ({ kind: 'advance' as const, ms }));
}

function stepsArb(timeouts: Timeouts, backwards = false): fc.Arbitrary<Step[]> {
  return fc.array(fc.oneof(requestArb, advanceArb(timeouts, backwards)), {
    maxLength: 40,
    size: 'medium',
  });
}

/** Timeouts with a history of steps that starts with a request (the sign-in's first). */
function historyArb(absolute: AbsoluteTimeout, backwards = false) {
  return timeoutsArb(absolute).chain((timeouts) =>
    fc.record({
      timeouts: fc.constant(timeouts),
      steps: fc
        .tuple(requestArb, stepsArb(timeouts, backwards))
        .map(([first, rest]): Step[] => [first, ...rest]),
    }),
  );
}

// --- Properties ----------------------------------------------------------------------------

describe('decide over random histories: idle expiry', () => {
  it('never expires a session active at intervals shorter than expireAfter minus the write granularity', () => {
    /** One interval: passive noise somewhere inside it, then an active request or a ping reporting input now. */
    const roundArb = (timeouts: Timeouts) =>
      fc.record({
        gapMs: fc.integer({ min: 0, max: timeouts.expireAfterMs - MIN_WRITE_INTERVAL_MS - 1 }),
        activity: fc.constantFrom<Request>(
          { kind: 'active' },
          { kind: 'pingPost', sinceActivitySeconds: 0 },
        ),
        noise: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), requestArb), {
          maxLength: 3,
        }),
      });
    const arb = timeoutsArb('off').chain((timeouts) =>
      fc.record({
        timeouts: fc.constant(timeouts),
        rounds: fc.array(roundArb(timeouts), { maxLength: 25, size: 'medium' }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ timeouts, rounds }) => {
        const steps: Step[] = [{ kind: 'active' }];
        for (const { gapMs, activity, noise } of rounds) {
          let elapsedMs = 0;
          for (const [at, request] of [...noise].sort(([a], [b]) => a - b)) {
            const atMs = Math.floor(at * gapMs);
            steps.push({ kind: 'advance', ms: atMs - elapsedMs }, request);
            elapsedMs = atMs;
          }
          steps.push({ kind: 'advance', ms: gapMs - elapsedMs }, activity);
        }
        const { handled, expired } = run(steps, timeouts);
        expect(expired, JSON.stringify(handled.at(-1))).toBe(false);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('expires on the next request, whatever it carries, after expireAfter without activity', () => {
    const arb = historyArb('any').chain(({ timeouts, steps }) =>
      fc.record({
        timeouts: fc.constant(timeouts),
        steps: fc.constant(steps),
        extraMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 * timeouts.expireAfterMs })),
        last: requestArb,
      }),
    );
    fc.assert(
      fc.property(arb, ({ timeouts, steps, extraMs, last }) => {
        const history = run(steps, timeouts);
        if (history.expired) return; // already over: nothing left to expire
        const seen = history.handled.map(activityOf).filter((t) => t !== undefined);
        // The first tracked request starts the clock, whatever it carries.
        const lastActivityMs = Math.max(history.handled[0]?.nowMs ?? T0, ...seen);
        const nowMs = Math.max(history.nowMs, lastActivityMs + timeouts.expireAfterMs) + extraMs;
        const decision = handle(history.stored, nowMs, last, timeouts);
        expect(decision.outcome).toBe('expired');
        if (timeouts.absoluteTimeoutMs === 0) {
          expect(decision).toEqual({ outcome: 'expired', reason: 'idle' });
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('decide over random histories: lastActivity', () => {
  it('never decreases and never passes now on a clock that only moves forward', () => {
    fc.assert(
      fc.property(historyArb('any'), ({ timeouts, steps }) => {
        for (const { nowMs, before, decision } of run(steps, timeouts).handled) {
          if (decision.outcome !== 'continue') continue;
          const { state } = decision;
          expect(state.lastActivity).toBeLessThanOrEqual(nowMs);
          expect(state.startedAt).toBeLessThanOrEqual(state.lastActivity);
          if (before === undefined) continue;
          expect(state.lastActivity).toBeGreaterThanOrEqual(before.lastActivity);
          expect(state.startedAt).toBe(before.startedAt);
          expect(state.id).toBe(before.id);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never passes now, and only falls back to now, on a clock that jumps backwards', () => {
    fc.assert(
      fc.property(historyArb('any', true), ({ timeouts, steps }) => {
        for (const { nowMs, before, decision } of run(steps, timeouts).handled) {
          if (decision.outcome !== 'continue') continue;
          const { state } = decision;
          expect(state.lastActivity).toBeLessThanOrEqual(nowMs);
          expect(state.startedAt).toBeLessThanOrEqual(nowMs);
          if (before === undefined) continue;
          // A time stored in the future (the clock went back) is read as now, nothing earlier.
          expect(state.lastActivity).toBeGreaterThanOrEqual(Math.min(before.lastActivity, nowMs));
          expect(state.startedAt).toBe(Math.min(before.startedAt, nowMs));
          expect(state.id).toBe(before.id);
          if (before.lastActivity > nowMs || before.startedAt > nowMs) {
            expect(decision.write).toBe(true); // the clamped time is stored back
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('decide over random histories: the absolute timeout', () => {
  it('expires every request at or after startedAt + absoluteTimeout, "absolute" when it came first', () => {
    const arb = historyArb('on').chain(({ timeouts, steps }) =>
      fc.record({
        timeouts: fc.constant(timeouts),
        steps: fc.constant(steps),
        extraMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: timeouts.absoluteTimeoutMs })),
        last: requestArb,
      }),
    );
    fc.assert(
      fc.property(arb, ({ timeouts, steps, extraMs, last }) => {
        const { expireAfterMs, absoluteTimeoutMs } = timeouts;
        const history = run(steps, timeouts);
        const startedAt = history.handled[0]?.nowMs ?? T0;
        const checks = [...history.handled];
        if (!history.expired && history.stored !== undefined) {
          const nowMs = Math.max(history.nowMs, startedAt + absoluteTimeoutMs) + extraMs;
          const decision = handle(history.stored, nowMs, last, timeouts);
          checks.push({ nowMs, request: last, before: history.stored, decision });
        }
        for (const { nowMs, before, decision } of checks) {
          if (decision.outcome === 'continue') {
            expect(decision.state.startedAt).toBe(startedAt); // nothing moves the sign-in time
          }
          if (before === undefined || nowMs < before.startedAt + absoluteTimeoutMs) continue;
          expect(decision.outcome).toBe('expired');
          const absoluteDeadline = before.startedAt + absoluteTimeoutMs;
          const idleDeadline = before.lastActivity + expireAfterMs;
          if (absoluteDeadline < idleDeadline) {
            expect(decision).toEqual({ outcome: 'expired', reason: 'absolute' });
          }
          if (idleDeadline < absoluteDeadline) {
            expect(decision).toEqual({ outcome: 'expired', reason: 'idle' });
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('statusOf over random histories', () => {
  /** The invariants of a ping status: non-negative times, the warning no later than the expiry. */
  function expectConsistent(state: SecurityState, nowMs: number, timeouts: Timeouts) {
    const status = statusOf(state, nowMs, timeouts);
    expect(status.idleFor).toBeGreaterThanOrEqual(0);
    expect(status.expireIn).toBeGreaterThanOrEqual(0);
    expect(status.warnIn).toBeGreaterThanOrEqual(0);
    expect(status.warnIn).toBeLessThanOrEqual(status.expireIn);
    expect(status.expireIn).toBeLessThanOrEqual(status.expireAfter);
    expect(status.expireAfter).toBe(timeouts.expireAfterMs / 1000);
    expect(status.warnAfter).toBe(timeouts.warnAfterMs / 1000);
    expect(status.session).toBe(state.id);
    if (timeouts.absoluteTimeoutMs === 0) expect(status.absolute).toBe(false);
    return status;
  }

  it('gives consistent numbers for every session a request found alive', () => {
    fc.assert(
      fc.property(historyArb('any', true), ({ timeouts, steps }) => {
        for (const { nowMs, decision } of run(steps, timeouts).handled) {
          if (decision.outcome !== 'continue') continue;
          const status = expectConsistent(decision.state, nowMs, timeouts);
          expect(status.expireIn).toBeGreaterThan(0); // alive: the expiry is still ahead
          if (!status.absolute) {
            expect(status.idleFor + status.expireIn).toBeCloseTo(status.expireAfter, 6);
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives consistent numbers for any stored state, in the past, the future or expired', () => {
    const arb = timeoutsArb('any').chain((timeouts) =>
      fc.record({
        timeouts: fc.constant(timeouts),
        lastActivityOffsetMs: fc.integer({
          min: -3 * timeouts.expireAfterMs,
          max: timeouts.expireAfterMs,
        }),
        startedAtOffsetMs: fc.integer({
          min: -10 * timeouts.expireAfterMs,
          max: timeouts.expireAfterMs,
        }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ timeouts, lastActivityOffsetMs, startedAtOffsetMs }) => {
        const state = {
          lastActivity: T0 + lastActivityOffsetMs,
          startedAt: T0 + startedAtOffsetMs,
          id: 'stored',
        };
        expectConsistent(state, T0, timeouts);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// The Redis store's copies of records (src/stores/redis-cache.ts) with a fake monotonic clock:
// when a copy may be used, and that no reply in flight brings back a copy of an ended sign-in.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SecurityState, Timeouts } from '../../../src/core/policy.js';
import { RecordCache } from '../../../src/stores/redis-cache.js';

const TIMEOUTS: Timeouts = { expireAfterMs: 100_000, warnAfterMs: 80_000, absoluteTimeoutMs: 0 };

function cache(boundMs = 1000, maxEntries = 100, inFlightMs = 1000) {
  let now = 0;
  const records = new RecordCache(boundMs, maxEntries, inFlightMs, () => now);
  return { records, advance: (ms: number) => (now += ms), at: () => now };
}

const record = (id: string) => {
  const state: SecurityState = { id, lastActivity: 1, startedAt: 1 };
  return { storedLast: 1, lastActivity: 1, state, timeouts: TIMEOUTS, withFacts: false };
};

describe('RecordCache', () => {
  it('uses a copy only while the latest heartbeat heard back was sent within the bound', () => {
    const { records, advance, at } = cache(1000);
    records.fill('a', records.begin(), record('a'));
    expect(records.get('a')).toBeUndefined(); // no heartbeat heard yet
    records.confirm(at());
    expect(records.get('a')?.state.id).toBe('a');
    advance(1000);
    expect(records.get('a')?.state.id).toBe('a');
    advance(1);
    expect(records.get('a')).toBeUndefined();
    records.confirm(at() - 2000); // an older heartbeat never moves the proof back
    expect(records.get('a')).toBeUndefined();
    records.confirm(at());
    expect(records.get('a')?.state.id).toBe('a');
    records.clear(true); // the subscription dropped: nothing, until a heartbeat comes back
    records.fill('a', records.begin(), record('a'));
    expect(records.get('a')).toBeUndefined();
  });

  it('never keeps a copy from a reply to a step begun before the record was invalidated or the cache cleared', () => {
    const { records, at } = cache();
    records.confirm(at());
    const before = records.begin();
    records.invalidate('a');
    records.fill('a', before, record('a'));
    expect(records.get('a')).toBeUndefined();
    records.fill('b', before, record('b')); // another record: kept
    expect(records.get('b')?.state.id).toBe('b');
    records.fill('a', records.begin(), record('a')); // a step begun after: kept
    expect(records.get('a')?.state.id).toBe('a');
    const beforeClear = records.begin();
    records.clear();
    records.fill('c', beforeClear, record('c'));
    expect(records.get('c')).toBeUndefined();
  });

  it('holds for any order of steps, invalidations, clears and time (property)', () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('begin' as const), id: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('reply' as const), step: fc.nat(20) }),
      fc.record({ kind: fc.constant('invalidate' as const), id: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ kind: fc.constant('clear' as const) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.nat(400) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        // maxEntries 2: invalidating a third marker within the in-flight window clears.
        const { records, advance, at } = cache(1000, 2, 1000);
        records.confirm(at());
        // `order`: which operation came first (several can happen at the same time).
        const steps: { id: string; generation: number; at: number; order: number }[] = [];
        const endedIn = new Map<string, number>();
        for (const [order, op] of operations.entries()) {
          if (op.kind === 'begin') {
            steps.push({ id: op.id, generation: records.begin(), at: at(), order });
          } else if (op.kind === 'reply') {
            const step = steps[op.step];
            // A reply older than the in-flight window was dropped by the store's timeout.
            if (step && at() - step.at < 1000)
              records.fill(step.id, step.generation, record(step.id));
          } else if (op.kind === 'invalidate') {
            records.invalidate(op.id);
            endedIn.set(op.id, order);
          } else if (op.kind === 'clear') records.clear();
          else advance(op.ms);
          records.confirm(at());
          // A record invalidated is never copied again by a step begun before that.
          for (const [id, ended] of endedIn) {
            const copy = records.get(id);
            if (copy === undefined) continue;
            const filledBy = steps.filter((s) => s.id === id && s.order > ended);
            expect(filledBy.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('stays bounded: the oldest copy goes first, and a flood of sign-outs clears instead of growing', () => {
    const { records, at } = cache(1000, 3);
    records.confirm(at());
    for (const id of ['a', 'b', 'c', 'd']) records.fill(id, records.begin(), record(id));
    expect(records.size).toBe(3);
    expect(records.get('a')).toBeUndefined();
    expect(records.get('d')?.state.id).toBe('d');
    const before = records.begin();
    for (let i = 0; i < 10; i++) records.invalidate(`flood-${i}`);
    // The flood cleared the copies and refused fills from before it: a miss, never a wrong copy.
    expect(records.size).toBe(0);
    records.fill('flood-1', before, record('flood-1'));
    expect(records.get('flood-1')).toBeUndefined();
  });
});

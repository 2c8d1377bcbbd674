// The session-store guard's time limits (src/server/deadlines.ts): one timer for a queue of
// deadlines, each fired at its own time, never after it was cancelled, and a queue that does not
// grow with the calls that answered.

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../../../src/server/deadlines.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const clock = () => Date.now(); // faked with the timers

describe('Deadlines', () => {
  it('fires each deadline at its own time, exactly, with one timer pending at most', () => {
    const deadlines = new Deadlines(1000, clock);
    const fired: string[] = [];
    deadlines.add(() => fired.push('a'));
    vi.advanceTimersByTime(300);
    deadlines.add(() => fired.push('b'));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(699);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['a']);
    vi.advanceTimersByTime(299);
    expect(fired).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['a', 'b']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never fires a cancelled deadline, and keeps no timer for cancelled ones', () => {
    const deadlines = new Deadlines(1000, clock);
    const fired: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const deadline = deadlines.add(() => fired.push(i));
      if (i % 1000 !== 7) deadlines.cancel(deadline);
    }
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([7, 1007, 2007, 3007, 4007]);
    expect(deadlines.held).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds for any order of adds, cancels and time (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constant({ kind: 'add' as const }),
            fc.record({ kind: fc.constant('cancel' as const), which: fc.nat(50) }),
            fc.record({ kind: fc.constant('wait' as const), ms: fc.nat(700) }),
          ),
          { maxLength: 80 },
        ),
        (operations) => {
          vi.setSystemTime(0);
          const deadlines = new Deadlines(500, clock);
          const added: { at: number; cancelled: boolean; firedAt?: number }[] = [];
          const handles: ReturnType<Deadlines['add']>[] = [];
          for (const op of operations) {
            if (op.kind === 'add') {
              const entry: (typeof added)[number] = { at: Date.now(), cancelled: false };
              added.push(entry);
              handles.push(
                deadlines.add(() => {
                  entry.firedAt = Date.now();
                }),
              );
            } else if (op.kind === 'cancel') {
              const handle = handles[op.which];
              const entry = added[op.which];
              if (handle && entry && entry.firedAt === undefined) {
                deadlines.cancel(handle);
                entry.cancelled = true;
              }
            } else vi.advanceTimersByTime(op.ms);
          }
          vi.advanceTimersByTime(500);
          for (const entry of added) {
            if (entry.cancelled) expect(entry.firedAt).toBeUndefined();
            else expect(entry.firedAt).toBe(entry.at + 500);
          }
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

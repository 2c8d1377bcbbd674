// Unit tests of src/core/throttle.ts: one log line per kind of failure per interval, with a count.

import { describe, expect, it } from 'vitest';
import { logThrottle } from '../../../src/core/throttle.js';

describe('logThrottle', () => {
  it('logs the first failure of a kind at once, then at most once an interval, with the count', () => {
    const throttle = logThrottle(60_000);
    expect(throttle('store', 0)).toBe(1);
    expect(throttle('store', 1_000)).toBeUndefined();
    expect(throttle('store', 59_999)).toBeUndefined();
    expect(throttle('store', 60_000)).toBe(3);
    expect(throttle('store', 60_001)).toBeUndefined();
  });

  it('counts each kind on its own', () => {
    const throttle = logThrottle(60_000);
    expect(throttle('store', 0)).toBe(1);
    expect(throttle('no session', 10)).toBe(1);
    expect(throttle('store', 20)).toBeUndefined();
    expect(throttle('no session', 30)).toBeUndefined();
  });

  it('writes 1 line for 10,000 failures of one kind within the interval', () => {
    const throttle = logThrottle(60_000);
    let lines = 0;
    for (let i = 0; i < 10_000; i++) if (throttle('store', i) !== undefined) lines++;
    expect(lines).toBe(1);
  });
});

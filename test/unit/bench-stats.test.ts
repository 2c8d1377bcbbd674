// The bench reports each ratio as a median with a 95 % interval (bench/report.ts): the interval
// must be the order-statistic one, and cover the true median at least as often as it says.

import { describe, expect, it } from 'vitest';
import { medianInterval, seeded } from '../../bench/report.js';

describe('medianInterval', () => {
  it('takes the 2nd smallest and 2nd largest of 10 values (97.9 % coverage)', () => {
    const interval = medianInterval([5, 1, 9, 3, 7, 2, 8, 4, 10, 6]);
    expect(interval?.low).toBe(2);
    expect(interval?.high).toBe(9);
    expect(interval?.coverage).toBeCloseTo(1 - 22 / 1024, 10);
  });

  it('has none with 5 values or fewer, and the whole range with 6 (96.9 %)', () => {
    expect(medianInterval([1, 2, 3, 4, 5])).toBeUndefined();
    expect(medianInterval([6, 1, 5, 2, 4, 3])).toEqual({ low: 1, high: 6, coverage: 1 - 2 / 64 });
  });

  it('narrows as rounds are added: 20 values give the 6th and 15th', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(medianInterval(values)).toMatchObject({ low: 6, high: 15 });
  });

  it('covers the true median at least as often as it says, for skewed noise', () => {
    const random = seeded(42);
    const trueMedian = Math.log(2); // of an exponential distribution with rate 1
    for (const n of [6, 10, 15, 30]) {
      let covered = 0;
      const trials = 4000;
      let coverage = 0;
      for (let trial = 0; trial < trials; trial++) {
        const values = Array.from({ length: n }, () => -Math.log(1 - random()));
        const interval = medianInterval(values);
        if (interval === undefined) throw new Error(`no interval for ${n} values`);
        coverage = interval.coverage;
        if (interval.low <= trueMedian && trueMedian <= interval.high) covered++;
      }
      expect(coverage).toBeGreaterThanOrEqual(0.95);
      // Within three standard errors of the stated coverage, never far below it.
      expect(covered / trials).toBeGreaterThan(coverage - 3 * Math.sqrt((0.05 * 0.95) / trials));
    }
  });
});

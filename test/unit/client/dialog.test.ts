// The dialog's pure helpers: the visible m:ss countdown and when a screen reader hears the time.

import { describe, expect, it } from 'vitest';
import { timeLeft } from '../../../src/client/dialog.js';

describe('timeLeft: the countdown', () => {
  it.each([
    [125_000, '2:05'],
    [60_000, '1:00'],
    [59_001, '1:00'],
    [59_000, '0:59'],
    [1, '0:01'],
    [0, '0:00'],
    [-5_000, '0:00'],
  ])('shows %i ms as %s, rounding up to the second', (ms, text) => {
    expect(timeLeft(ms)[0]).toBe(text);
  });
});

describe('timeLeft: the announcement', () => {
  /** The texts a screen reader hears while the time runs down second by second from `fromMs`. */
  function heard(fromMs: number): string[] {
    const said: string[] = [];
    let last = -1;
    for (let ms = fromMs; ms > 0; ms -= 1000) {
      const [, bucket, amount, unit] = timeLeft(ms);
      if (bucket !== last && amount > 0) said.push(`${amount} ${unit}`);
      last = bucket;
    }
    return said;
  }

  it('speaks once a minute, then every 20 s in the last minute, never every second', () => {
    expect(heard(180_000)).toEqual(['3 minute', '2 minute', '1 minute', '40 second', '20 second']);
  });

  it('starts from the time actually left when the warning opens late', () => {
    expect(heard(30_000)).toEqual(['30 second', '20 second']);
    expect(heard(8_000)).toEqual(['8 second']);
  });
});

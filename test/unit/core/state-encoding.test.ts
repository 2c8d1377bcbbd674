// The default store's session value: encodeState's string, read back by readState exactly, and
// any damaged string read as 'invalid' (ended), never as a state that lives longer.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeState,
  MAX_TIMEOUT_MS,
  markerOfStored,
  readState,
  type SecurityState,
} from '../../../src/core/policy.js';

const time = fc.oneof(
  fc.integer({ min: 0, max: 4_102_444_800_000 }),
  fc.double({ min: 0, max: 4_102_444_800_000, noNaN: true }),
);
const marker = fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/);
const timeouts = fc.record({
  expireAfterMs: fc.integer({ min: 1, max: MAX_TIMEOUT_MS }),
  warnAfterMs: fc.integer({ min: 0, max: MAX_TIMEOUT_MS }),
  absoluteTimeoutMs: fc.integer({ min: 0, max: MAX_TIMEOUT_MS }),
});
const state: fc.Arbitrary<SecurityState> = fc.record(
  {
    lastActivity: time,
    startedAt: time,
    id: marker,
    timeouts,
    userId: fc.string({ unit: 'binary' }),
    agent: fc.string(),
    data: fc.dictionary(
      fc.string(),
      fc.oneof(fc.string({ unit: 'binary' }), fc.boolean(), fc.constant(null), fc.integer()),
    ),
  },
  { requiredKeys: ['lastActivity', 'startedAt', 'id'] },
);

describe('encodeState / readState', () => {
  it('reads back every state exactly, with or without facts', () => {
    fc.assert(
      fc.property(state, (original) => {
        const text = encodeState(original);
        expect(typeof text).toBe('string');
        expect(readState(text)).toEqual(original);
        expect(markerOfStored(text)).toBe(original.id);
      }),
      { numRuns: 500 },
    );
  });

  it('writes a plain state as three fields', () => {
    expect(encodeState({ lastActivity: 1000.5, startedAt: 500, id: 'abc' })).toBe('1000.5|500|abc');
  });

  it.each([
    ['no separator', 'abc'],
    ['one separator', '1|2'],
    ['an empty id', '1|2|'],
    ['an empty time', '|2|id'],
    ['a time that is not a number', '1|x|id'],
    ['an infinite time', 'Infinity|2|id'],
    ['facts that are not JSON', '1|2|id|{bad'],
    ['facts that are an array', '1|2|id|[]'],
    ['facts that are null', '1|2|id|null'],
    [
      'own timeouts over a year',
      `1|2|id|{"timeouts":{"expireAfterMs":${MAX_TIMEOUT_MS + 1},"warnAfterMs":0,"absoluteTimeoutMs":0}}`,
    ],
    [
      'own timeouts of zero',
      '1|2|id|{"timeouts":{"expireAfterMs":0,"warnAfterMs":0,"absoluteTimeoutMs":0}}',
    ],
    [
      'own timeouts that are strings',
      '1|2|id|{"timeouts":{"expireAfterMs":"900000","warnAfterMs":0,"absoluteTimeoutMs":0}}',
    ],
  ])('reads %s as invalid (the sign-in ends)', (_label, text) => {
    expect(readState(text)).toBe('invalid');
  });

  it('still reads the object form earlier versions stored', () => {
    expect(readState({ lastActivity: 1, startedAt: 2, id: 'abc' })).toEqual({
      lastActivity: 1,
      startedAt: 2,
      id: 'abc',
    });
    expect(markerOfStored({ id: 'abc' })).toBe('abc');
  });
});

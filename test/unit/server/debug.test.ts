// The decisions trace turns on as Node's debuglog does, without node:util.

import { describe, expect, it } from 'vitest';
import { debugEnabled } from '../../../src/server/debug.js';

describe('debugEnabled', () => {
  it.each([
    ['session-security', true],
    ['http,session-security', true],
    [' SESSION-SECURITY ', true],
    ['session-*', true],
    ['*', true],
    ['*-security', true],
    ['s*s*y', true],
    ['*security*', true],
    ['session*x', false],
    ['x*', false],
    ['session-security*security', false],
    ['session', false],
    ['session-security-x', false],
    ['http,net', false],
    ['', false],
    [undefined, false],
  ])('NODE_DEBUG=%j: %s', (value, expected) => {
    expect(debugEnabled(value)).toBe(expected);
  });
});

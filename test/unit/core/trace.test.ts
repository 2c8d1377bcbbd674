// Unit tests of the readable lines of events (src/core/trace.ts): every event type has its line,
// with the sign-in's marker shortened and its user, times in UTC; one line each, whatever the
// event carries.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionSecurityEvent } from '../../../src/core/events.js';
import { describeEvent } from '../../../src/core/trace.js';

const AT = Date.UTC(2026, 11, 7, 4, 21, 55);
const ABOUT = { at: AT, signIn: 'HVphc1LLd6aShhB0IQzmng', userId: 'ada' };

describe('describeEvent', () => {
  it('gives every event type a line of its own', () => {
    const events: [SessionSecurityEvent, string][] = [
      [
        { ...ABOUT, type: 'signed-in', expireAfter: 900, warnAfter: 780, absoluteTimeout: 0 },
        'signed in: idle timeout 900 s, warning at 780 s, absolute timeout off',
      ],
      [{ ...ABOUT, type: 'extended' }, 'stayed signed in (the warning\'s "Stay signed in")'],
      [
        {
          ...ABOUT,
          type: 'expired',
          reason: 'absolute',
          idleSeconds: 2.25,
          lengthSeconds: 28_800,
          endedAt: AT,
          foundBy: 'sweep',
        },
        'expired (absolute) at 04:21:55: 2.3 s idle; found by the sweep',
      ],
      [
        { ...ABOUT, type: 'signed-out', how: 'revoked', lengthSeconds: 61 },
        'signed out (revoked) after 61 s',
      ],
      [
        {
          ...ABOUT,
          type: 'lease-held',
          lease: 'x',
          by: 'server',
          maxSeconds: 1800,
          until: AT + 1_800_000,
        },
        'lease held by the app, 1800 s at most (until 04:51:55)',
      ],
      [
        {
          ...ABOUT,
          type: 'lease-ended',
          lease: 'x',
          by: 'server',
          how: 'lapsed',
          seconds: 1800,
          label: 'report',
        },
        'lease ended ("report") by the app: lapsed after 1800 s; idle time counts from here',
      ],
      [
        {
          ...ABOUT,
          type: 'refused',
          reason: 'cross-origin',
          method: 'POST',
          path: '/session-security/ping',
        },
        'POST /session-security/ping: refused (cross-origin)',
      ],
      [
        { ...ABOUT, type: 'sign-in-lost', foundBy: 'ping' },
        'lost: the store had no record of it before its deadline (found by a ping)',
      ],
      [
        { at: AT, type: 'sign-in-refused', reason: 'max-sign-ins' },
        'a sign-in refused (max-sign-ins)',
      ],
      [
        { at: AT, type: 'store-failed', operation: 'touch', error: 'Error ECONNREFUSED' },
        'the store failed (touch: Error ECONNREFUSED)',
      ],
      [
        {
          ...ABOUT,
          type: 'trace',
          method: 'GET',
          path: '/',
          counted: 'ended',
          why: 'ended',
          reason: 'logout',
        },
        'GET /: refused, logout (the sign-in is over)',
      ],
    ];
    for (const [event, line] of events) {
      const prefix = event.signIn === undefined ? '04:21:55 ' : '04:21:55 [HVphc1LL ada] ';
      expect(describeEvent(event)).toBe(`${prefix}${line}`);
    }
    expect(
      describeEvent({
        ...ABOUT,
        type: 'refused',
        reason: 'not-found',
        method: 'GET',
        path: '/a\nb',
      }),
    ).toBe('04:21:55 [HVphc1LL ada] GET /a\\u000ab: refused (not-found)');
  });

  it('writes one line whatever the path, label or detail holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (path, label) => {
        const line = describeEvent({
          ...ABOUT,
          type: 'trace',
          method: 'GET',
          path,
          counted: 'passive',
          why: 'passive-rule',
          detail: label,
          idleFor: 1,
          expireIn: 2,
        });
        expect(line).toContain(' GET ');
        expect(line.startsWith('04:21:55 [HVphc1LL ada]')).toBe(true);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not be there
        expect(line).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
      }),
    );
  });
});

// Unit tests of src/core/errors.ts's SignInRefusedError: its TSDoc example, and the status and
// headers each reason answers with.

import { describe, expect, it } from 'vitest';
import { SessionSecurityRequestError, SignInRefusedError } from '../../../src/core/errors.js';

describe('SignInRefusedError', () => {
  it('does what its TSDoc example says', () => {
    const refused = new SignInRefusedError('memory-full', 'try again in a minute');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.message).toBe('session-security: try again in a minute');
  });

  it.each(['max-sign-ins', 'user-memory-full'] as const)(
    'answers %s 429, without Retry-After, as a request error frameworks answer by its status',
    (reason) => {
      const refused = new SignInRefusedError(reason, 'sign out of another device first');
      expect(refused).toBeInstanceOf(SessionSecurityRequestError);
      expect([refused.status, refused.statusCode, refused.reason]).toEqual([429, 429, reason]);
      expect(refused.headers).toEqual({ 'cache-control': 'no-store' });
    },
  );
});

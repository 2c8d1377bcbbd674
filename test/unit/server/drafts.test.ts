// The per-user key drafts are marked with: stable for one user and one secret, different for
// another user or another secret, and revealing nothing of the id.

import { describe, expect, it } from 'vitest';
import { draftKey, draftsConfig } from '../../../src/server/drafts.js';

const SECRET = 'a drafts secret of at least 32 characters';

describe('draftKey', () => {
  it('is the same for one user and one secret, on every instance', () => {
    expect(draftKey(SECRET, 'user-42')).toBe(draftKey(SECRET, 'user-42'));
    expect(draftKey(SECRET, 'user-42')).toMatch(/^[\w-]{43}$/);
  });

  it('differs for another user, or for another secret', () => {
    const key = draftKey(SECRET, 'user-42');
    expect(draftKey(SECRET, 'user-43')).not.toBe(key);
    expect(draftKey(`${SECRET}!`, 'user-42')).not.toBe(key);
  });

  it('does not carry the id', () => {
    const id = 'ada@example.com';
    const key = draftKey(SECRET, id);
    expect(key).not.toContain('ada');
    expect(Buffer.from(key, 'base64url').toString('latin1')).not.toContain('ada');
  });
});

describe('draftsConfig', () => {
  const drafts = {
    userId: (req: { user?: string }) => req.user ?? '',
    secret: SECRET,
    maxAgeMs: 3_600_000,
  };

  it('gives the key, the age in seconds and the script URL for a user with an id', () => {
    expect(draftsConfig(drafts, { user: 'u1' }, '/p/drafts.js?v=1')).toEqual({
      key: draftKey(SECRET, 'u1'),
      maxAge: 3600,
      src: '/p/drafts.js?v=1',
    });
  });

  it('gives none when drafts are off or the request has no user id', () => {
    expect(draftsConfig(undefined, { user: 'u1' }, '/x')).toBeUndefined();
    expect(draftsConfig(drafts, {}, '/x')).toBeUndefined();
  });
});

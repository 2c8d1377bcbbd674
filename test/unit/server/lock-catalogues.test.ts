// The lock's strings in every language of the catalogues: the keys of the lock's English, each
// translated, one `signOut` with the warning's; and a translated page carries them only with the
// lock on (its script carries English).

import { describe, expect, it } from 'vitest';
import { enLock, type LockMessages } from '../../../src/contract/messages.js';
import { statusOf } from '../../../src/core/policy.js';
import { CATALOGUES } from '../../../src/server/catalogues.js';
import { clientConfig } from '../../../src/server/html.js';
import { LOCK_CATALOGUES } from '../../../src/server/lock-catalogues.js';

const keys = Object.keys(enLock).sort() as (keyof LockMessages)[];
const translations = Object.entries(LOCK_CATALOGUES).filter(([lang]) => lang !== 'en');
/** Strings a language says as English does: Italian says "Password". */
const SAME_AS_ENGLISH: Record<string, readonly (keyof LockMessages)[]> = { it: ['password'] };

describe('LOCK_CATALOGUES', () => {
  it('has the languages of CATALOGUES, with English as the lock script carries it', () => {
    expect(Object.keys(LOCK_CATALOGUES).sort()).toEqual(Object.keys(CATALOGUES).sort());
    expect(LOCK_CATALOGUES.en).toBe(enLock);
  });

  describe.each(translations)('%s', (lang, messages) => {
    it('has exactly the keys of English, each a translated, trimmed string', () => {
      expect(Object.keys(messages).sort()).toEqual(keys);
      for (const key of keys) {
        expect(messages[key], key).toBe(messages[key].trim());
        expect(messages[key], key).not.toBe('');
        if (!SAME_AS_ENGLISH[lang]?.includes(key)) expect(messages[key], key).not.toBe(enLock[key]);
        expect(messages[key], key).not.toContain("'");
      }
    });

    it("says Sign out as the warning's dialog does", () => {
      expect(messages.signOut).toBe(CATALOGUES[lang]?.signOut);
    });
  });
});

describe("a translated page's config", () => {
  const status = statusOf({ startedAt: 0, lastActivity: 0, id: 'marker-of-the-sign-in' }, 10_000, {
    expireAfterMs: 900_000,
    warnAfterMs: 780_000,
    absoluteTimeoutMs: 0,
  });
  const drafts = { key: 'k', maxAge: 3600, src: '/s/drafts.js' };

  it('carries the lock strings of its language with the lock on', () => {
    const config = clientConfig(status, { prefix: '/s', drafts, lock: {} }, 'de');
    expect(config.messages).toMatchObject(LOCK_CATALOGUES.de as LockMessages);
    expect(config.messages?.title).toBe(CATALOGUES.de?.title);
  });

  it('carries none without the lock, and none in English', () => {
    const off = clientConfig(status, { prefix: '/s', drafts }, 'de');
    expect(off.messages).not.toHaveProperty('lockTitle');
    expect(off.messages?.title).toBe(CATALOGUES.de?.title);
    const english = clientConfig(status, { prefix: '/s', drafts, lock: {} }, 'en');
    expect(english).not.toHaveProperty('messages');
  });
});

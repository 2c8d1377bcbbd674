// The drafts' storage format with a fake clock: which kept draft may be filled back (same user,
// a new sign-in, not too old), which fields are never kept, how fields are keyed, and that
// sign-out deletes only drafts.

import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DRAFT_PREFIX,
  fieldKeys,
  forgetDrafts,
  neverKept,
  restorable,
  type StoredDraft,
} from '../../../src/client/draft-store.js';

const T0 = 1_700_000_000_000;
const DAY_MS = 86_400_000;
const FORMS = { post: { title: 'Hello', tags: ['a', 'b'], public: true } };

/** An entry kept by user `key` in sign-in `session`, `ageMs` before T0. */
function kept(ageMs: number, key = 'user-a', session = 'sign-in-1'): string {
  const draft: StoredDraft = { key, session, savedAt: T0 - ageMs, forms: FORMS };
  return JSON.stringify(draft);
}

/** The page after signing in again as `key`. */
const page = (key = 'user-a', session = 'sign-in-2') => ({
  key,
  session,
  maxAgeMs: DAY_MS,
  now: T0,
});

describe('restorable', () => {
  it('gives back the forms of the same user after a new sign-in', () => {
    expect(restorable(kept(60_000), page())).toEqual(FORMS);
  });

  it('gives back a draft exactly maxAge old, not one a millisecond older', () => {
    expect(restorable(kept(DAY_MS), page())).toEqual(FORMS);
    expect(restorable(kept(DAY_MS + 1), page())).toBeUndefined();
  });

  it('refuses another user’s draft', () => {
    expect(restorable(kept(1000, 'user-a'), page('user-b'))).toBeUndefined();
  });

  it('refuses a draft kept in the same sign-in (the submit that kept it went through)', () => {
    expect(restorable(kept(1000), page('user-a', 'sign-in-1'))).toBeUndefined();
  });

  it('refuses a draft from the future (a clock set back)', () => {
    expect(restorable(kept(-1000), page())).toBeUndefined();
  });

  it.each([null, '', 'not json', 'null', '42', '{"key":"user-a"}', '[]'])(
    'refuses %j without throwing',
    (text) => {
      expect(restorable(text, page())).toBeUndefined();
    },
  );
});

describe('neverKept', () => {
  it.each(['password', 'hidden', 'file'])('never keeps a %s input', (type) => {
    expect(neverKept(type, null)).toBe(true);
  });

  it.each(['text', 'email', 'search', 'textarea', 'select-one', 'checkbox'])(
    'keeps a %s field without a secret autocomplete token',
    (type) => {
      expect(neverKept(type, null)).toBe(false);
    },
  );

  it.each([
    'current-password',
    'new-password',
    'one-time-code',
    'cc-csc',
    'cc-number',
    'cc-exp',
    'cc-name',
    'cc-',
    'billing cc-csc',
    'section-checkout billing cc-number',
    'section-2 shipping cc-exp-month',
    'current-password webauthn',
    'username new-password',
    'CC-CSC',
    'Billing One-Time-Code',
    'section-a\tbilling\ncc-csc',
    '  cc-csc  ',
  ])('never keeps a text field with autocomplete=%j', (autocomplete) => {
    expect(neverKept('text', autocomplete)).toBe(true);
  });

  it.each([
    '',
    'on',
    'off',
    'username',
    'username webauthn',
    'email',
    'billing street-address',
    'section-cc street-address',
    'shipping postal-code',
    'current-password-hint',
    'new-passwords',
    'xcc-csc',
    'acc-number',
  ])('keeps a text field with autocomplete=%j', (autocomplete) => {
    expect(neverKept('text', autocomplete)).toBe(false);
  });
});

describe('fieldKeys', () => {
  it('keys a field by its name, a repeated name by its occurrence after the first', () => {
    expect(fieldKeys(['title', 'size', 'size', 'size', 'tags', 'tags'])).toEqual([
      'title',
      'size',
      'size#1',
      'size#2',
      'tags',
      'tags#1',
    ]);
  });

  it('gives no key to a field without a name or id', () => {
    expect(fieldKeys(['', 'a', '', 'a'])).toEqual(['', 'a', '', 'a#1']);
  });
});

describe('forgetDrafts', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** A Storage-like object whose named properties are its entries, as sessionStorage's are. */
  function fakeStorage(entries: Record<string, string>) {
    const storage = { ...entries } as Record<string, unknown>;
    Object.defineProperty(storage, 'removeItem', {
      value: (name: string) => delete storage[name],
      enumerable: false,
    });
    return storage;
  }

  it('deletes every drafts entry and nothing else', () => {
    const storage = fakeStorage({
      [`${DRAFT_PREFIX}/edit?id=1`]: kept(0),
      [`${DRAFT_PREFIX}/edit?id=2`]: kept(0),
      'app-state': 'keep me',
    });
    vi.stubGlobal('sessionStorage', storage);
    forgetDrafts();
    expect({ ...storage }).toEqual({ 'app-state': 'keep me' });
  });

  it('does nothing when storage is denied', () => {
    vi.stubGlobal('sessionStorage', undefined);
    Object.defineProperty(globalThis, 'sessionStorage', {
      get: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      configurable: true,
    });
    expect(() => forgetDrafts()).not.toThrow();
  });
});

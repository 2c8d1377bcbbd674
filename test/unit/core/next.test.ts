// Unit tests of src/core/next.ts: `safeNextPath` keeps plain same-origin paths and refuses
// every `next` a browser could read as another host (an open redirect at sign-in).

import { safeNextPath } from 'session-security';
import { describe, expect, it } from 'vitest';

describe('safeNextPath accepts a path on this origin', () => {
  it.each([
    '/',
    '/second',
    '/form?x=1',
    '/reports?page=2#top',
    '/a/b/c?x=1&y=2#section-3',
    '/search?q=a%20b',
  ])('returns %j unchanged, query and hash included', (path) => {
    expect(safeNextPath(path)).toBe(path);
  });

  it('accepts a path of exactly 2048 characters', () => {
    const path = `/${'a'.repeat(2047)}`;
    expect(safeNextPath(path)).toBe(path);
  });
});

describe('safeNextPath refuses what could lead to another site', () => {
  it.each([
    ['a protocol-relative URL', '//evil.example'],
    ['a backslash read as a slash', '/\\evil.example'],
    ['two backslashes', '/\\\\evil'],
    ['an absolute https URL', 'https://evil.example/'],
    ['a scheme without slashes', 'http:evil.example'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['percent-encoded slashes', '/%2F%2Fevil.example'],
    ['a percent-encoded backslash', '/%5Cevil.example'],
    ['a leading space', ' /second'],
    ['a tab between the slashes', '/\t/evil.example'],
    ['a percent-encoded tab between the slashes', '/%09/evil.example'],
    ['a newline between the slashes', '/\n/evil'],
    ['a value not starting with a slash', '%2F%2Fevil.example'],
    ['an empty string', ''],
    ['malformed percent-encoding', '/%E0%A4%A'],
    ['a dot segment before a double slash', '/.//evil.com'],
    ['a parent segment before a double slash', '/a/..//evil.com'],
    ['an encoded dot segment before a double slash', '/%2e//evil.com'],
    ['encoded parent segments in mixed case', '/%2E%2E//evil.com/x'],
    ['a harmless dot segment (it would need normalising)', '/a/./b'],
    ['a trailing parent segment', '/a/..'],
    ['a character the URL parser escapes', '/caf\u00e9'],
  ])('refuses %s (%j)', (_label, value) => {
    expect(safeNextPath(value)).toBeUndefined();
  });

  it.each(['/', '/second', '/form?x=1', '/reports?page=2#top', '/a?next=/b', '/%C3%A9t%C3%A9'])(
    'is stable: what it accepts it returns as given, and accepts again (%j)',
    (path) => {
      expect(safeNextPath(path)).toBe(path);
      expect(safeNextPath(safeNextPath(path))).toBe(path);
    },
  );

  it('refuses a string longer than 2048 characters', () => {
    expect(safeNextPath(`/${'a'.repeat(2048)}`)).toBeUndefined();
  });

  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an array of paths (a repeated query parameter)', ['/a']],
    ['null', null],
    ['an object (a nested query parameter)', { path: '/a' }],
  ])('refuses a value that is not a string: %s', (_label, value) => {
    expect(safeNextPath(value)).toBeUndefined();
  });
});

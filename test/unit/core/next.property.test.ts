// Open redirects: properties of safeNextPath (src/core/next.ts) and of the `next` that an expired
// navigation carries to the login page (returnPath + loginLocation), over strings built from the
// pieces attacks are made of. Whatever is accepted stays on the app's origin, for a URL parser
// and for a browser (which drops tabs and newlines and reads "\" as "/").

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionSecurityConfigError } from '../../../src/core/errors.js';
import { safeNextPath } from '../../../src/core/next.js';
import { resolveOptions } from '../../../src/core/options.js';
import { loginLocation } from '../../../src/core/protocol.js';
import { returnPath } from '../../../src/core/request.js';

const APP = 'https://app.example';
const NUM_RUNS = 1000;
const noHeaders = () => undefined;

/** What attacks are made of: separators, dot segments, schemes, encodings, controls, unicode. */
const PIECES = [
  '/',
  '//',
  '/\\',
  '\\',
  '\\\\',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '%2E%2e',
  '%252e',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '%09',
  '%0a',
  '%0D',
  '%00',
  '%20',
  '%',
  '%zz',
  '\t',
  '\r',
  '\n',
  '\0',
  ' ',
  '\u00a0',
  '\u2028',
  '\uff0f',
  '\u3002',
  'é',
  '😀',
  '%ef%bc%8f',
  '%e2%80%a8',
  'evil.com',
  'evil.com:443',
  'user@evil.com',
  'a',
  'app',
  '?',
  '#',
  '@',
  ':',
  '&',
  '=',
  '~',
  'javascript:',
  'JavaScript:',
  'JAVASCRIPT:',
  'java\tscript:',
  'alert(1)',
  'data:',
  'vbscript:',
  'http:',
  'HTTPS:',
  'https://evil.com',
  'HtTpS://evil.com',
  'http:\\\\evil.com',
  'https:evil.com',
];

const pieceArb = fc.oneof(
  { arbitrary: fc.constantFrom(...PIECES), weight: 8 },
  { arbitrary: fc.string({ maxLength: 4 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 3 }), weight: 1 },
);

/** Strings built from pieces, mostly starting with "/", some longer than 2048 characters. */
const candidateArb = fc.oneof(
  { arbitrary: fc.array(pieceArb, { maxLength: 8 }).map((parts) => parts.join('')), weight: 2 },
  {
    arbitrary: fc.array(pieceArb, { maxLength: 8 }).map((parts) => `/${parts.join('')}`),
    weight: 4,
  },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 2030, max: 2060 }), fc.array(pieceArb, { maxLength: 3 }))
      .map(([length, parts]) => `/${parts.join('')}`.padEnd(length, 'a')),
    weight: 1,
  },
);

/** A URL as a browser reads it: tabs and newlines dropped, "\" taken for "/". */
function asBrowserReads(url: string): string {
  return url.replace(/[\t\r\n]/g, '').replaceAll('\\', '/');
}

/** Whether `url` leads to `origin`, for a URL parser and for a browser. */
function staysOn(url: string, origin = APP): boolean {
  return (
    new URL(url, origin).origin === origin && new URL(asBrowserReads(url), origin).origin === origin
  );
}

/** The checks every accepted `next` must pass: stable, and on the app's origin. */
function expectSafe(next: string) {
  expect(safeNextPath(next)).toBe(next);
  expect(staysOn(next), next).toBe(true);
}

describe('safeNextPath on strings built from attack pieces', () => {
  it('returns only what it was given, unchanged, leading to the app origin however it is read', () => {
    fc.assert(
      fc.property(candidateArb, (candidate) => {
        const next = safeNextPath(candidate);
        if (next === undefined) return;
        expect(next).toBe(candidate);
        expectSafe(next);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('builds login redirects whose next (from the request or its Referer) stays on the app origin', () => {
    const arb = fc.record({
      candidate: candidateArb,
      method: fc.constantFrom('GET', 'HEAD', 'POST'),
      loginUrl: fc.constantFrom('/login', '/auth/sign-in?app=1#top', 'https://login.example/s'),
      reason: fc.constantFrom('idle' as const, 'absolute' as const),
    });
    fc.assert(
      fc.property(arb, ({ candidate, method, loginUrl, reason }) => {
        const referer = (name: string) => (name === 'referer' ? `${APP}${candidate}` : undefined);
        const next = returnPath(method, candidate, method === 'POST' ? referer : noHeaders, APP);
        const location = loginLocation(loginUrl, next, reason);
        const carried = new URL(location, APP).searchParams.get('next');
        expect(carried ?? undefined).toBe(next);
        if (next !== undefined) expectSafe(next);
        if (loginUrl.startsWith('/')) expect(staysOn(location)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('safeNextPath refuses the known attacks', () => {
  it.each([
    ['a dot segment before "//"', '/.//evil.com'],
    ['a parent segment before "//"', '/a/..//evil.com'],
    ['an encoded dot segment', '/%2e//evil.com'],
    ['an encoded parent segment in mixed case', '/%2E%2E//evil.com/x'],
    ['a protocol-relative URL', '//evil.com'],
    ['a backslash read as a slash', '/\\evil.com'],
    ['a tab between the slashes', '/\t/evil.com'],
    ['an encoded tab between the slashes', '/%09/evil.com'],
    ['a newline between the slashes', '/\n/evil.com'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a javascript: URL in mixed case', 'JaVaScRiPt:alert(1)'],
    ['an absolute https URL', 'https://evil.com'],
    ['an encoded backslash', '/%5cevil.com'],
    ['an encoded slash', '/%2fevil.com'],
    ['a path longer than 2048 characters', `/${'a'.repeat(2048)}`],
  ])('refuses %s: %j', (_name, attack) => {
    expect(safeNextPath(attack)).toBeUndefined();
    expect(returnPath('GET', attack, noHeaders, APP)).toBeUndefined();
  });
});

describe('loginUrl validation on strings built from attack pieces', () => {
  const loginUrlArb = fc.oneof(
    candidateArb,
    fc
      .tuple(
        fc.constantFrom('http://', 'https://', 'HTTPS://', 'https:/', 'https:\\\\', 'ftp://'),
        candidateArb,
      )
      .map(([scheme, rest]) => `${scheme}${rest.replace(/^\//, '')}`),
    fc.webUrl(),
  );

  it('accepts only an absolute http(s) URL or a path that safeNextPath keeps, else names loginUrl', () => {
    fc.assert(
      fc.property(loginUrlArb, (loginUrl) => {
        let resolved: string | undefined;
        try {
          resolved = resolveOptions({
            isAuthenticated: () => true,
            loginUrl,
            drafts: false,
          }).loginUrl;
        } catch (error) {
          expect(error).toBeInstanceOf(SessionSecurityConfigError);
          expect((error as SessionSecurityConfigError).option).toBe('loginUrl');
          return;
        }
        expect(resolved).toBe(loginUrl);
        const location = loginLocation(loginUrl, '/back', 'idle');
        if (safeNextPath(loginUrl) === loginUrl) {
          expect(staysOn(location)).toBe(true);
          return;
        }
        expect(loginUrl).toMatch(/^https?:\/\//i);
        const { origin, protocol } = new URL(loginUrl);
        expect(['http:', 'https:']).toContain(protocol);
        // A browser goes to the host the validation saw.
        expect(new URL(asBrowserReads(loginUrl)).origin).toBe(origin);
        expect(new URL(location).origin).toBe(origin);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

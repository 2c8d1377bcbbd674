// Unit tests of src/core/request.ts: what a request's headers say about it (navigation,
// passive, cross-origin), the README's What counts as activity and the ping protocol's 403.

import { describe, expect, it } from 'vitest';
import type { PassiveRule } from '../../../src/core/options.js';
import {
  crossOriginReason,
  type HeaderGetter,
  isNavigation,
  isPassive,
  returnPath,
} from '../../../src/core/request.js';

/** A header getter over a plain object with lower-case names. */
function headers(values: Record<string, string> = {}): HeaderGetter {
  return (name) => values[name];
}

interface FakeRequest {
  kind: string;
}

const req: FakeRequest = { kind: 'page' };
const APP = 'https://app.example.com';
const TRUSTED: ReadonlySet<string> = new Set(['https://admin.example.com']);

/** Whether a request to `path` of the app at APP, with `values` as headers, is passive under `rules`. */
function passive(
  path: string,
  values: Record<string, string> = {},
  rules: readonly PassiveRule<FakeRequest>[] = [],
  request: FakeRequest = req,
): boolean {
  return isPassive(request, path, headers(values), rules, APP);
}

/** Whether a request to `path` is passive under `rules`; fails when deciding takes 250 ms. */
function passiveWithin250ms(path: string, rules: readonly PassiveRule<FakeRequest>[]): boolean {
  const started = performance.now();
  const result = passive(path, {}, rules);
  const ms = performance.now() - started;
  expect(
    ms,
    `deciding on a path of ${path.length} characters took ${ms.toFixed(0)} ms`,
  ).toBeLessThan(250);
  return result;
}

describe('isNavigation', () => {
  it('is a navigation with Sec-Fetch-Mode: navigate', () => {
    expect(isNavigation(headers({ 'sec-fetch-mode': 'navigate' }))).toBe(true);
  });

  it('is not a navigation with Sec-Fetch-Mode: cors, even accepting HTML', () => {
    expect(isNavigation(headers({ 'sec-fetch-mode': 'cors', accept: 'text/html' }))).toBe(false);
  });

  it('is a navigation without Sec-Fetch-* when Accept asks for HTML', () => {
    const accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    expect(isNavigation(headers({ accept }))).toBe(true);
  });

  it('is not a navigation without Sec-Fetch-* when Accept asks for JSON', () => {
    expect(isNavigation(headers({ accept: 'application/json' }))).toBe(false);
  });

  it('is not a navigation without any header', () => {
    expect(isNavigation(headers())).toBe(false);
  });

  it('is not a navigation with Sec-Fetch-Site but no Sec-Fetch-Mode, even accepting HTML', () => {
    expect(isNavigation(headers({ 'sec-fetch-site': 'same-origin', accept: 'text/html' }))).toBe(
      false,
    );
  });
});

describe('isPassive: headers', () => {
  it('is active without any header or rule', () => {
    expect(passive('/reports')).toBe(false);
  });

  it('is passive with X-Session-Security: passive', () => {
    expect(passive('/reports', { 'x-session-security': 'passive' })).toBe(true);
  });

  it('is passive with X-Session-Security: Passive in another case', () => {
    expect(passive('/reports', { 'x-session-security': ' Passive ' })).toBe(true);
  });

  it('is active with another X-Session-Security value', () => {
    expect(passive('/reports', { 'x-session-security': 'active' })).toBe(false);
  });

  it('is passive with Sec-Purpose: prefetch', () => {
    expect(passive('/reports', { 'sec-purpose': 'prefetch' })).toBe(true);
  });

  it('is passive with Sec-Purpose: prefetch;prerender', () => {
    expect(passive('/reports', { 'sec-purpose': 'prefetch;prerender' })).toBe(true);
  });

  it('is passive with the legacy Purpose: prefetch', () => {
    expect(passive('/reports', { purpose: 'prefetch' })).toBe(true);
  });

  it('is passive when made by a same-site page without a user navigation', () => {
    expect(
      passive('/reports', { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' }),
    ).toBe(true);
  });

  it('is passive when made by a cross-site page without a user navigation', () => {
    expect(
      passive('/reports', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }),
    ).toBe(true);
  });

  it('is passive for a cross-site navigation, even one the user made (the page counts once the user uses it)', () => {
    const values = {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
      'sec-fetch-user': '?1',
    };
    expect(passive('/reports', values)).toBe(true);
  });

  it('is passive for a click-driven frame navigation from a same-site page (Sec-Fetch-User: ?1, Dest: iframe)', () => {
    const values = {
      'sec-fetch-site': 'same-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'iframe',
      'sec-fetch-user': '?1',
    };
    expect(passive('/reports', values)).toBe(true);
  });

  it('is passive for a cross-site request with Sec-Fetch-User: ?1 that is not a navigation', () => {
    const values = {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'cors',
      'sec-fetch-user': '?1',
    };
    expect(passive('/reports', values)).toBe(true);
  });

  it('is active when made by the same origin', () => {
    expect(passive('/reports', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' })).toBe(
      false,
    );
  });

  it('is active for a navigation the user typed (Sec-Fetch-Site: none)', () => {
    expect(passive('/reports', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' })).toBe(
      false,
    );
    const document = {
      'sec-fetch-site': 'none',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
    };
    expect(passive('/reports', document)).toBe(false);
  });

  it('is passive for Sec-Fetch-Site: none that is not a top-level navigation', () => {
    expect(passive('/reports', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'no-cors' })).toBe(
      true,
    );
    const framed = {
      'sec-fetch-site': 'none',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'iframe',
    };
    expect(passive('/reports', framed)).toBe(true);
  });

  it('is passive for an unknown Sec-Fetch-Site value', () => {
    expect(passive('/reports', { 'sec-fetch-site': 'same-origin-ish' })).toBe(true);
  });

  it('is passive when made by another origin, even a trusted one (its input counts through the ping)', () => {
    const values = {
      'sec-fetch-site': 'same-site',
      'sec-fetch-mode': 'cors',
      origin: 'https://admin.example.com',
    };
    expect(passive('/reports', values)).toBe(true);
  });

  it('is passive with a foreign Origin and no Sec-Fetch-* (older browsers, some proxies)', () => {
    expect(passive('/reports', { origin: 'http://evil.example' })).toBe(true);
  });

  it('is passive with Origin: null and no Sec-Fetch-*', () => {
    expect(passive('/reports', { origin: 'null' })).toBe(true);
  });

  it('is passive with a foreign Origin whatever Sec-Fetch-Site claims', () => {
    expect(
      passive('/reports', { origin: 'http://evil.example', 'sec-fetch-site': 'same-origin' }),
    ).toBe(true);
  });

  it("is active with the app's own Origin and no Sec-Fetch-*", () => {
    expect(passive('/reports', { origin: APP })).toBe(false);
  });

  it('is passive with a foreign Referer and neither Origin nor Sec-Fetch-*', () => {
    expect(passive('/reports', { referer: 'http://evil.example/page' })).toBe(true);
    expect(passive('/reports', { referer: 'not a url' })).toBe(true);
  });

  it("is active with the app's own Referer and neither Origin nor Sec-Fetch-*", () => {
    expect(passive('/reports', { referer: `${APP}/home?x=1` })).toBe(false);
  });

  it('ignores the Referer when Sec-Fetch-Site says same-origin', () => {
    expect(
      passive('/reports', {
        referer: 'http://elsewhere.example/',
        'sec-fetch-site': 'same-origin',
      }),
    ).toBe(false);
  });
});

describe('isPassive: rules', () => {
  it('matches an exact path rule on that path only', () => {
    expect(passive('/api/poll', {}, ['/api/poll'])).toBe(true);
    expect(passive('/api/poll/1', {}, ['/api/poll'])).toBe(false);
    expect(passive('/api', {}, ['/api/poll'])).toBe(false);
  });

  it("matches a '/api/*' prefix rule on '/api' and '/api/x' but not '/apix'", () => {
    expect(passive('/api', {}, ['/api/*'])).toBe(true);
    expect(passive('/api/x', {}, ['/api/*'])).toBe(true);
    expect(passive('/api/x/y', {}, ['/api/*'])).toBe(true);
    expect(passive('/apix', {}, ['/api/*'])).toBe(false);
  });

  it('matches a RegExp rule against the path', () => {
    expect(passive('/metrics/cpu', {}, [/^\/metrics/])).toBe(true);
    expect(passive('/reports', {}, [/^\/metrics/])).toBe(false);
  });

  it('gives the same answer twice in a row for a /g RegExp rule', () => {
    const rules = [/poll/g];
    expect(passive('/api/poll', {}, rules)).toBe(true);
    expect(passive('/api/poll', {}, rules)).toBe(true);
  });

  it('asks a predicate rule about the request', () => {
    const rules = [(request: FakeRequest) => request.kind === 'poll'];
    expect(passive('/anything', {}, rules, { kind: 'poll' })).toBe(true);
    expect(passive('/anything', {}, rules, { kind: 'page' })).toBe(false);
  });

  it('matches path rules without regard to case or a trailing slash, as routers do', () => {
    for (const path of ['/api/poll/', '/API/POLL', '/Api/Poll//']) {
      expect(passive(path, {}, ['/api/poll'])).toBe(true);
      expect(passive(path, {}, ['/API/Poll/'])).toBe(true);
      expect(passive(path, {}, ['/api/*'])).toBe(true);
      expect(passive(path, {}, [/^\/api\/poll$/])).toBe(true);
    }
    expect(passive('/EVENTS/stream/', {}, ['/events/*'])).toBe(true);
    expect(passive('/api/pollx', {}, ['/api/poll'])).toBe(false);
  });

  it("matches a '/*' rule on every path", () => {
    expect(passive('/', {}, ['/*'])).toBe(true);
    expect(passive('/a/b', {}, ['/*'])).toBe(true);
  });

  it('is passive when any of several rules matches', () => {
    const rules: PassiveRule<FakeRequest>[] = ['/a', /^\/b/, () => false, '/events/*'];
    expect(passive('/events/stream', {}, rules)).toBe(true);
    expect(passive('/c', {}, rules)).toBe(false);
  });

  it('decides on a path of 100,000 slashes, with or without a letter after them, in linear time', () => {
    // Trailing slashes used to be trimmed with /\/+$/, which retries its run of slashes from
    // every start position: this took seconds, and each such request delayed everyone's pings.
    const slashes = '/'.repeat(100_000);
    expect(passiveWithin250ms(`${slashes}A`, ['/a'])).toBe(false);
    expect(passiveWithin250ms(`${slashes}A`, ['/*'])).toBe(true);
    expect(passiveWithin250ms(`${slashes}A`, [`${slashes}a/`])).toBe(true);
    expect(passiveWithin250ms(slashes, ['/'])).toBe(true);
    expect(passiveWithin250ms(slashes, ['/a'])).toBe(false);
    expect(passiveWithin250ms(`/A${slashes}`, ['/a'])).toBe(true);
  });
});

describe('crossOriginReason', () => {
  const NO_TRUSTED: ReadonlySet<string> = new Set();
  function reason(values: Record<string, string>, trusted: ReadonlySet<string> = TRUSTED) {
    return crossOriginReason(headers(values), APP, trusted);
  }

  it('allows a request without Origin or Sec-Fetch-Site (a non-browser client)', () => {
    expect(reason({})).toBeUndefined();
  });

  it("allows the app's own Origin", () => {
    expect(reason({ origin: APP })).toBeUndefined();
  });

  it('refuses a foreign Origin, naming it', () => {
    const refused = reason({ origin: 'https://evil.example' });
    expect(refused).toEqual(expect.any(String));
    expect(refused).toContain('"https://evil.example"');
  });

  it('allows a trusted Origin', () => {
    expect(reason({ origin: 'https://admin.example.com' })).toBeUndefined();
  });

  it('allows a trusted Origin even with Sec-Fetch-Site: same-site', () => {
    expect(
      reason({ origin: 'https://admin.example.com', 'sec-fetch-site': 'same-site' }),
    ).toBeUndefined();
  });

  it("refuses the Origin 'null' (sandboxed frames, file: pages)", () => {
    expect(reason({ origin: 'null' })).toContain('"null"');
  });

  it.each(['same-site', 'cross-site', 'none'])('refuses Sec-Fetch-Site: %s', (site) => {
    expect(reason({ 'sec-fetch-site': site })).toContain(`"${site}"`);
  });

  it('allows Sec-Fetch-Site: same-origin', () => {
    expect(reason({ 'sec-fetch-site': 'same-origin' })).toBeUndefined();
  });

  it("refuses the app's own Origin with Sec-Fetch-Site: cross-site", () => {
    expect(reason({ origin: APP, 'sec-fetch-site': 'cross-site' })).toEqual(expect.any(String));
  });

  it('refuses an Origin that differs from the app only by scheme', () => {
    expect(reason({ origin: 'http://app.example.com' }, NO_TRUSTED)).toEqual(expect.any(String));
  });
});

describe('returnPath', () => {
  const APP = 'http://127.0.0.1:3000';
  const headersOf = (h: Record<string, string>) => (name: string) => h[name];

  it('returns the path and query of a GET or HEAD', () => {
    expect(returnPath('GET', '/a?b=1', headersOf({}), APP)).toBe('/a?b=1');
    expect(returnPath('HEAD', '/a', headersOf({}), APP)).toBe('/a');
  });

  it('returns a POST to the same-origin page it was sent from', () => {
    expect(returnPath('POST', '/form', headersOf({ referer: `${APP}/form?x=1#top` }), APP)).toBe(
      '/form?x=1',
    );
  });

  it('gives no return path that could leave the origin', () => {
    for (const url of [
      '/.//evil.com',
      '/a/..//evil.com',
      '/%2e//evil.com',
      '//evil.com',
      '/\\evil.com',
    ]) {
      expect(returnPath('GET', url, headersOf({}), APP)).toBeUndefined();
    }
    expect(
      returnPath('POST', '/form', headersOf({ referer: `${APP}/a/..//evil.com` }), APP),
    ).toBeUndefined();
  });

  it('gives a POST without a same-origin Referer no return path', () => {
    expect(returnPath('POST', '/form', headersOf({}), APP)).toBeUndefined();
    expect(
      returnPath('POST', '/form', headersOf({ referer: 'https://evil.example/form' }), APP),
    ).toBeUndefined();
    expect(returnPath('POST', '/form', headersOf({ referer: 'not a url' }), APP)).toBeUndefined();
  });
});

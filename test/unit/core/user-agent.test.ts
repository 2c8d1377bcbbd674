// Unit and property tests of src/core/user-agent.ts: `describeUserAgent` names the browser and OS
// of real User-Agent headers, and on any input returns fast a short text it made itself.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeUserAgent } from '../../../src/core/user-agent.js';

const NUM_RUNS = 1000;
/** What every result must be: short, and only letters, digits, spaces, dots and hyphens. */
const SAFE_RESULT = /^[A-Za-z0-9 .-]+$/;

const WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)';
const MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)';
const LINUX = 'Mozilla/5.0 (X11; Linux x86_64)';
const ANDROID = 'Mozilla/5.0 (Linux; Android 10; K)';
const CHROMIUM = 'AppleWebKit/537.36 (KHTML, like Gecko)';

describe('describeUserAgent names real browsers and their OS', () => {
  it.each([
    // Chrome
    [`${WINDOWS} ${CHROMIUM} Chrome/131.0.0.0 Safari/537.36`, 'Chrome 131 on Windows'],
    [`${MAC} ${CHROMIUM} Chrome/131.0.0.0 Safari/537.36`, 'Chrome 131 on macOS'],
    [`${LINUX} ${CHROMIUM} Chrome/131.0.0.0 Safari/537.36`, 'Chrome 131 on Linux'],
    [`${ANDROID} ${CHROMIUM} Chrome/131.0.0.0 Mobile Safari/537.36`, 'Chrome 131 on Android'],
    [
      `Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) ${CHROMIUM} Chrome/131.0.0.0 Safari/537.36`,
      'Chrome 131 on ChromeOS',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
      'Chrome 131 on iPhone',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36',
      'Chrome 131 on Android',
    ],
    // Safari
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
      'Safari 17 on iPhone',
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      'Safari 17 on iPad',
    ],
    [
      `${MAC} AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15`,
      'Safari 18 on macOS',
    ],
    [
      // An app's web view: no "Version/", no "Safari/".
      'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
      'Safari on iPad',
    ],
    // Firefox
    [
      'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
      'Firefox 133 on Linux',
    ],
    [
      'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
      'Firefox 133 on Linux',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
      'Firefox 133 on Windows',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0',
      'Firefox 133 on macOS',
    ],
    [
      'Mozilla/5.0 (Android 15; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0',
      'Firefox 133 on Android',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15',
      'Firefox 133 on iPhone',
    ],
    // Edge
    [`${WINDOWS} ${CHROMIUM} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0`, 'Edge 131 on Windows'],
    [`${MAC} ${CHROMIUM} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0`, 'Edge 131 on macOS'],
    [
      `${ANDROID} ${CHROMIUM} Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0`,
      'Edge 131 on Android',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/131.0.2903.92 Mobile/15E148 Safari/605.1.15',
      'Edge 131 on iPhone',
    ],
    [
      `${WINDOWS} ${CHROMIUM} Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045`,
      'Edge 18 on Windows',
    ],
    // Opera
    [`${WINDOWS} ${CHROMIUM} Chrome/129.0.0.0 Safari/537.36 OPR/114.0.0.0`, 'Opera 114 on Windows'],
    [
      `${ANDROID} ${CHROMIUM} Chrome/130.0.0.0 Mobile Safari/537.36 OPR/85.0.0.0`,
      'Opera 85 on Android',
    ],
    // Samsung Internet
    [
      'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
      'Samsung Internet 25 on Android',
    ],
    // Headless Chrome
    [
      `${LINUX} ${CHROMIUM} HeadlessChrome/131.0.6778.33 Safari/537.36`,
      'Headless Chrome 131 on Linux',
    ],
    [
      `${MAC} ${CHROMIUM} HeadlessChrome/131.0.6778.33 Safari/537.36`,
      'Headless Chrome 131 on macOS',
    ],
  ])('%s → %s', (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toBe(expected);
  });
});

describe('describeUserAgent names command-line tools and HTTP libraries', () => {
  it.each([
    ['curl/8.5.0', 'curl 8'],
    ['Wget/1.21.4', 'Wget 1'],
    ['python-requests/2.32.3', 'Python Requests 2'],
    ['node', 'Node.js'],
    ['undici', 'Node.js'],
    ['Go-http-client/1.1', 'Go HTTP client'],
    ['Go-http-client/2.0', 'Go HTTP client'],
  ])('%s → %s', (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toBe(expected);
  });
});

describe('describeUserAgent when it cannot tell', () => {
  it.each([
    [undefined, 'Unknown browser'],
    ['', 'Unknown browser'],
    ['   ', 'Unknown browser'],
    ['Mozilla/5.0', 'Unknown browser'],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Unknown browser'],
  ])('%j → %s', (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toBe(expected);
  });

  it('still names the OS when the browser is unknown', () => {
    // The Android stock browser says "Version/4.0 ... Safari/" and is not Safari.
    const stock =
      'Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; GT-I9100 Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30';
    expect(describeUserAgent(stock)).toBe('Unknown browser on Android');
    expect(describeUserAgent(WINDOWS)).toBe('Unknown browser on Windows');
  });

  it('returns "Unknown browser" for a value that is not a string', () => {
    // A header sent twice can reach JavaScript callers as an array.
    expect(describeUserAgent(['curl/8.5.0'] as unknown as string)).toBe('Unknown browser');
    expect(describeUserAgent(null as unknown as string)).toBe('Unknown browser');
  });
});

describe('describeUserAgent reads versions as digits only', () => {
  it.each([
    [`${WINDOWS} Chrome/0131.0`, 'Chrome 131 on Windows'],
    [`${WINDOWS} Chrome/9999.1`, 'Chrome 9999 on Windows'],
    [`${WINDOWS} Chrome/12345.0`, 'Chrome on Windows'],
    [`${WINDOWS} Chrome/`, 'Chrome on Windows'],
    [`${WINDOWS} Chrome/<script>alert(1)</script>`, 'Chrome on Windows'],
    [`${WINDOWS} Chrome/-1`, 'Chrome on Windows'],
    [`${WINDOWS} Chrome/１３１`, 'Chrome on Windows'],
    ['curl/<img src=x>', 'curl'],
  ])('%s → %s', (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toBe(expected);
  });

  it('finds a token only as a word of its own', () => {
    expect(describeUserAgent(`${WINDOWS} NotChrome/131.0`)).toBe('Unknown browser on Windows');
    expect(describeUserAgent(`${WINDOWS} NotChrome/1 Chrome/131.0`)).toBe('Chrome 131 on Windows');
  });

  it('reads only the first 512 characters', () => {
    const padded = `${WINDOWS}${' '.repeat(512)}Chrome/131.0.0.0`;
    expect(describeUserAgent(padded)).toBe('Unknown browser on Windows');
    const atEdge = `${' '.repeat(512 - 'Chrome/1'.length)}Chrome/131`;
    expect(describeUserAgent(atEdge)).toBe('Chrome 1');
  });
});

/** What User-Agent headers are made of, and what an attacker would add to them. */
const FRAGMENTS = [
  'Mozilla/5.0 ',
  '(',
  ')',
  ';',
  ' ',
  '/',
  '.',
  'Windows NT 10.0',
  'Macintosh',
  'Mac OS X',
  'iPhone',
  'iPad',
  'Android',
  'CrOS',
  'Linux',
  'X11',
  'AppleWebKit/',
  'Version/',
  'Safari/',
  'Chrome/',
  'CriOS/',
  'HeadlessChrome/',
  'Edg/',
  'EdgA/',
  'EdgiOS/',
  'Edge/',
  'OPR/',
  'SamsungBrowser/',
  'Firefox/',
  'FxiOS/',
  'curl/',
  'Wget/',
  'python-requests/',
  'Go-http-client/',
  'node',
  'undici',
  '131',
  '0',
  '99999999',
  '-',
  '<script>',
  '"',
  '\0',
  '\r\n',
  '\t',
  '\u00e9',
  '\u202e',
  '\ud83d\ude00',
  '\ud800',
];

const pieceArb = fc.oneof(
  { arbitrary: fc.constantFrom(...FRAGMENTS), weight: 8 },
  { arbitrary: fc.string({ maxLength: 4 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 3 }), weight: 1 },
);

const userAgentLikeArb = fc.oneof(
  { arbitrary: fc.array(pieceArb, { maxLength: 30 }).map((parts) => parts.join('')), weight: 4 },
  {
    // Around the 512-character edge.
    arbitrary: fc
      .tuple(fc.integer({ min: 480, max: 540 }), fc.array(pieceArb, { maxLength: 6 }))
      .map(([pad, parts]) => `${'a'.repeat(pad)}${parts.join('')}`),
    weight: 1,
  },
);

function expectSafe(userAgent: string) {
  const result = describeUserAgent(userAgent);
  expect(result.length).toBeLessThanOrEqual(64);
  expect(result).toMatch(SAFE_RESULT);
}

describe('describeUserAgent on any input', () => {
  it.each([
    ['any string', fc.string({ maxLength: 600 })],
    ['any full-unicode string', fc.string({ unit: 'binary', maxLength: 600 })],
    ['any grapheme string', fc.string({ unit: 'grapheme', maxLength: 200 })],
    ['any string built from User-Agent fragments', userAgentLikeArb],
  ])('%s: never throws, at most 64 safe characters', (_, arbitrary) => {
    fc.assert(fc.property(arbitrary, expectSafe), { numRuns: NUM_RUNS });
  });

  it('never shows more than 4 digits of version', () => {
    fc.assert(
      fc.property(userAgentLikeArb, (userAgent) => {
        expect(describeUserAgent(userAgent)).not.toMatch(/\d{5}/);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('is a function of the first 512 characters only', () => {
    fc.assert(
      fc.property(userAgentLikeArb, fc.string({ maxLength: 50 }), (userAgent, tail) => {
        const head = userAgent.padEnd(512, ' ').slice(0, 512);
        expect(describeUserAgent(head + tail)).toBe(describeUserAgent(head));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it.each([
    ['one repeated character', 'a'.repeat(1 << 20)],
    ['repeated token starts', 'Chrome'.repeat(1 << 18)],
    ['repeated tokens glued to letters', 'xChrome/xEdg/xOPR/'.repeat(1 << 16)],
    ['a long run of digits', `Chrome/${'9'.repeat(1 << 20)}`],
    ['a real header followed by 1 MB', `${WINDOWS} Chrome/131.0 ${'('.repeat(1 << 20)}`],
  ])('returns at once on a 1 MB hostile header: %s', (_, hostile) => {
    expect(hostile.length).toBeGreaterThanOrEqual(1 << 20);
    const started = performance.now();
    const result = describeUserAgent(hostile);
    const elapsedMs = performance.now() - started;
    expect(result.length).toBeLessThanOrEqual(64);
    expect(result).toMatch(SAFE_RESULT);
    // Microseconds in practice; the bound only keeps a loaded machine from failing the test.
    expect(elapsedMs).toBeLessThan(1000);
  });
});

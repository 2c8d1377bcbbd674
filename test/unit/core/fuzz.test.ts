// Fuzzing of the core's input handling: the ping body parser (src/core/protocol.ts), the request
// rules (src/core/request.ts) and option validation (src/core/options.ts) never throw anything
// but what they document, whatever text, headers or options they are given.

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionSecurityConfigError } from '../../../src/core/errors.js';
import { safeNextPath } from '../../../src/core/next.js';
import { OPTION_NAMES, type PassiveRule, resolveOptions } from '../../../src/core/options.js';
import { parsePingBody } from '../../../src/core/protocol.js';
import {
  crossOriginReason,
  type HeaderGetter,
  isFromElsewhere,
  isNavigation,
  isPassive,
  returnPath,
} from '../../../src/core/request.js';

const NUM_RUNS = 300;

// --- parsePingBody -------------------------------------------------------------------------

/** Checks the shape of a parse result; when ok, the value is the one JSON.parse gives. */
function expectWellFormed(text: string) {
  const result = parsePingBody(text);
  if (result.ok) {
    expect(Number.isFinite(result.sinceActivitySeconds)).toBe(true);
    expect(result.sinceActivitySeconds).toBeGreaterThanOrEqual(0);
    const parsed = JSON.parse(text) as { sinceActivity: unknown };
    expect(Object.is(result.sinceActivitySeconds, parsed.sinceActivity)).toBe(true);
  } else {
    expect(typeof result.error).toBe('string');
    expect(result.error.length).toBeGreaterThan(0);
  }
  return result;
}

/** The key written as JSON text, each character maybe as a \uXXXX escape (either case of hex). */
function keyTextArb(key: string): fc.Arbitrary<string> {
  const chars = [...key].map((char) =>
    fc.constantFrom(
      char,
      `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
      `\\u${char.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`,
    ),
  );
  return fc.tuple(...chars).map((parts) => `"${parts.join('')}"`);
}

const jsonSpaceArb = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), maxLength: 2 });

/** A member value as JSON text: any JSON, numbers written oddly, out of range, or nested pings. */
const valueTextArb = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer().map(String),
  fc.constantFrom(
    '0',
    '-0',
    '0.0',
    '1E2',
    '1e-400',
    '-1e-400',
    '1e400',
    '-1e400',
    '12.5',
    '-5',
    '"5"',
    'true',
    'null',
    '[]',
    '{}',
    '[5]',
    '{"sinceActivity": 1}',
    '"sinceActivity"',
    '"{\\"sinceActivity\\": 1}"',
  ),
);

/**
 * An object written as text, members named sinceActivity (escaped or not) among others, with
 * any values; `count` is how many members are named sinceActivity once their name is unescaped.
 */
const objectTextArb = fc
  .array(
    fc.record({
      key: fc.oneof(
        keyTextArb('sinceActivity'),
        fc.string().map((key) => JSON.stringify(key)),
        fc.constantFrom('"sinceactivity"', '"SinceActivity"', '"__proto__"', '"since Activity"'),
      ),
      value: valueTextArb,
      spaces: fc.tuple(jsonSpaceArb, jsonSpaceArb, jsonSpaceArb, jsonSpaceArb),
    }),
    { maxLength: 5 },
  )
  .map((members) => {
    const body = members
      .map(({ key, value, spaces: [a, b, c, d] }) => `${a}${key}${b}:${c}${value}${d}`)
      .join(',');
    const count = members.filter(({ key }) => JSON.parse(key) === 'sinceActivity').length;
    return { text: `{${body}}`, count };
  });

describe('parsePingBody never throws and answers ok with a finite number >= 0, or an error', () => {
  it.each([
    ['any string', fc.string()],
    ['any full-unicode string', fc.string({ unit: 'binary' })],
    ['any grapheme string', fc.string({ unit: 'grapheme' })],
    ['generated JSON text', fc.json()],
    ['generated JSON text with full-unicode strings', fc.json({ stringUnit: 'binary' })],
    ['a stringified JSON value', fc.jsonValue().map((value) => JSON.stringify(value))],
    ['an object with a sinceActivity of any value', objectTextArb.map(({ text }) => text)],
  ] as const)('on %s', (_name, arb: fc.Arbitrary<string>) => {
    fc.assert(
      fc.property(arb, (text) => {
        expectWellFormed(text);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('accepts exactly the objects with one sinceActivity member (escaped or not) holding a finite number >= 0', () => {
    fc.assert(
      fc.property(objectTextArb, ({ text, count }) => {
        const result = expectWellFormed(text);
        const value = (JSON.parse(text) as { sinceActivity?: unknown }).sinceActivity;
        const valid = typeof value === 'number' && Number.isFinite(value) && value >= 0;
        expect(result.ok).toBe(count === 1 && valid);
        if (count > 1 && !result.ok) expect(result.error).toMatch(/appears \d+ times/);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('refuses sinceActivity written twice, whichever way each is escaped', () => {
    const arb = fc.record({
      first: keyTextArb('sinceActivity'),
      second: keyTextArb('sinceActivity'),
      between: fc.array(
        fc.tuple(
          fc.string().map((key) => JSON.stringify(key)),
          valueTextArb,
        ),
        { maxLength: 2 },
      ),
      a: fc.nat({ max: 1000 }),
      b: fc.nat({ max: 1000 }),
    });
    fc.assert(
      fc.property(arb, ({ first, second, between, a, b }) => {
        const middle = between.map(([key, value]) => `${key}:${value},`).join('');
        const text = `{${first}:${a},${middle}${second}:${b}}`;
        const result = expectWellFormed(text);
        expect(result.ok).toBe(false);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// --- the request rules ---------------------------------------------------------------------

const APPS = ['https://app.example', 'http://127.0.0.1:3000', ''] as const;

const garbageArb = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

/** Realistic values for the headers the rules read, mixed with garbage. */
const REALISTIC: Record<string, readonly string[]> = {
  origin: [
    'https://app.example',
    'http://127.0.0.1:3000',
    'https://evil.example',
    'null',
    '',
    'https://app.example:443',
    'HTTPS://APP.EXAMPLE',
    'https://app.example/',
  ],
  referer: [
    'https://app.example/reports?page=2',
    'https://app.example/.//evil.example',
    'https://app.example/a/..//evil.example',
    'https://app.example/\\evil.example',
    'https://app.example/%2e%2e//evil.example',
    'http://127.0.0.1:3000/form',
    'https://evil.example/x',
    'not a url',
    '/relative',
  ],
  'sec-fetch-site': ['same-origin', 'same-site', 'cross-site', 'none', 'Same-Origin'],
  'sec-fetch-mode': ['navigate', 'cors', 'no-cors', 'same-origin', 'websocket'],
  'sec-fetch-dest': ['document', 'iframe', 'empty', 'image', ''],
  'sec-fetch-user': ['?1', '?0'],
  'sec-purpose': ['prefetch', 'prefetch;prerender', 'prerender'],
  purpose: ['prefetch'],
  'x-session-security': ['passive', ' PASSIVE ', 'active'],
  accept: ['text/html,application/xhtml+xml', '*/*', 'application/json', 'TEXT/HTML'],
};

const headerEntryArb: fc.Arbitrary<[string, string]> = fc.oneof(
  fc
    .constantFrom(...Object.keys(REALISTIC))
    .chain((name) =>
      fc.tuple(
        fc.constant(name),
        fc.oneof(fc.constantFrom(...(REALISTIC[name] ?? [])), garbageArb),
      ),
    ),
  fc.tuple(
    fc.oneof(
      fc.string({ maxLength: 20 }).map((name) => name.toLowerCase()),
      fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'toString'),
    ),
    garbageArb,
  ),
);

/** A header map and the getter the rules read it through. */
const headersArb = fc
  .array(headerEntryArb, { maxLength: 8 })
  .map((entries) => new Map<string, string>(entries));

const getter =
  (headers: ReadonlyMap<string, string>): HeaderGetter =>
  (name) =>
    headers.get(name);

const pathArb = fc.oneof(
  fc.webPath(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('/', '/api/poll', '/API/Poll/', '/events/stream', '//evil.example', '/\\evil'),
);

const urlArb = fc.oneof(
  pathArb,
  fc.tuple(fc.webPath(), fc.webQueryParameters()).map(([path, query]) => `${path}?${query}`),
);

const RULES: readonly PassiveRule<object>[] = [
  '/api/poll',
  '/events/*',
  '/',
  /^\/metrics/g,
  /^\/health$/i,
  () => false,
];

describe('the request rules never throw on generated headers and paths', () => {
  it('isNavigation, isPassive, isFromElsewhere, crossOriginReason and returnPath all answer', () => {
    const arb = fc.record({
      headers: headersArb,
      appOrigin: fc.constantFrom(...APPS),
      path: pathArb,
      url: urlArb,
      method: fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE'), fc.string()),
      rules: fc.array(
        fc.oneof(
          fc.constantFrom(...RULES),
          pathArb.map((p) => `/${p}`),
        ),
        {
          maxLength: 3,
        },
      ),
    });
    fc.assert(
      fc.property(arb, ({ headers, appOrigin, path, url, method, rules }) => {
        const header = getter(headers);
        const trusted = new Set(['https://admin.example']);
        expect(typeof isNavigation(header)).toBe('boolean');
        expect(typeof isPassive({}, path, header, rules, appOrigin)).toBe('boolean');
        expect(typeof isFromElsewhere(header, appOrigin)).toBe('boolean');
        const reason = crossOriginReason(header, appOrigin, trusted);
        expect(reason === undefined || (typeof reason === 'string' && reason !== '')).toBe(true);
        returnPath(method, url, header, appOrigin);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('isFromElsewhere is true whenever an Origin is present and differs from the app origin', () => {
    const arb = fc.record({
      headers: headersArb,
      appOrigin: fc.constantFrom(...APPS),
      origin: fc.oneof(fc.constantFrom(...(REALISTIC.origin ?? [])), garbageArb),
    });
    fc.assert(
      fc.property(arb, ({ headers, appOrigin, origin }) => {
        fc.pre(origin !== appOrigin);
        const header = getter(new Map(headers).set('origin', origin));
        expect(isFromElsewhere(header, appOrigin)).toBe(true);
        expect(isPassive({}, '/page', header, [], appOrigin)).toBe(true);
        expect(crossOriginReason(header, appOrigin, new Set())).toBeTypeOf('string');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('returnPath gives undefined or a path that safeNextPath keeps as it is', () => {
    const arb = fc.record({
      headers: headersArb,
      appOrigin: fc.constantFrom(...APPS),
      url: urlArb,
      method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'get'),
      refererPath: fc.option(urlArb, { nil: undefined }),
    });
    fc.assert(
      fc.property(arb, ({ headers, appOrigin, url, method, refererPath }) => {
        const withReferer = new Map(headers);
        if (refererPath !== undefined) withReferer.set('referer', `${appOrigin}${refererPath}`);
        const next = returnPath(method, url, getter(withReferer), appOrigin);
        if (next !== undefined) expect(safeNextPath(next)).toBe(next);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// --- resolveOptions ------------------------------------------------------------------------

const silentLogger = { warn: () => {}, error: () => {} };

/** A value of any type, or one an option of this name would plausibly hold. */
const anyValueArb = fc.oneof(
  fc.anything(),
  fc.double(),
  fc.integer({ min: -10, max: 100_000 }),
  fc.string(),
  fc.constantFrom(undefined, null, true, false, 0, -1, Number.NaN, Number.POSITIVE_INFINITY),
  fc.func(fc.boolean()),
  fc.array(fc.oneof(fc.string(), fc.constant(/x/), fc.webUrl())),
  fc.constantFrom(
    '/login',
    'https://login.example/sign-in',
    '//evil.example',
    '/session-security',
    ['cache', 'cookies'],
    ['https://admin.example'],
    ['https://*.example'],
    { now: () => 0 },
    { warn: 1, error: 2 },
    silentLogger,
  ),
);

/** A valid value for each option, so that a run can get past the options checked before it. */
const VALID: Record<(typeof OPTION_NAMES)[number], fc.Arbitrary<unknown>> = {
  preset: fc.constantFrom(undefined, 'pci-dss-4', 'nist-aal3'),
  expireAfter: fc.integer({ min: 30, max: 100_000 }),
  warnAfter: fc.constant(undefined),
  absoluteTimeout: fc.constantFrom(0, 3600),
  isAuthenticated: fc.constant(() => true),
  logout: fc.constant(async () => {}),
  loginUrl: fc.constantFrom('/login', '/auth/sign-in?app=1', 'https://login.example/sign-in'),
  passive: fc.constant(['/api/poll', '/events/*', /^\/metrics/, () => false]),
  trustedOrigins: fc.constant(['https://admin.example', 'http://localhost:8080']),
  clearSiteData: fc.constantFrom([], ['cache'], ['cache', 'storage']),
  allowFrames: fc.boolean(),
  drafts: fc.boolean(),
  // The lock needs drafts on, which `drafts` above may turn off: left out here, checked in options.test.ts.
  lock: fc.constant(undefined),
  userId: fc.constant(() => 'user-1'),
  draftSecret: fc.constant('a drafts secret of at least 32 characters'),
  draftMaxAge: fc.constantFrom(60, 86_400),
  onEvent: fc.constantFrom(undefined, () => {}),
  eventData: fc.constantFrom(undefined, () => ({ tenant: 't1' })),
  metrics: fc.constant(undefined),
  sweepInterval: fc.constantFrom(undefined, 0, 60),
  maxSignInsPerUser: fc.constantFrom(undefined, 1, 5),
  onMaxSignIns: fc.constantFrom(undefined, 'end-oldest', 'refuse'),
  signInMemory: fc.constantFrom(undefined, { total: 1000 }, { total: 50_000, perUser: 10 }),
  leases: fc.constantFrom(undefined, {}, { maxSeconds: 600 }),
  trace: fc.constantFrom(undefined, false, true),
  store: fc.constant(undefined),
  prefix: fc.constantFrom('/session-security', '/ss', '/a/b'),
  clock: fc.constant({ now: () => 0 }),
  logger: fc.constant(silentLogger),
};

const typoArb = fc.oneof(
  fc
    .constantFrom(...OPTION_NAMES)
    .chain((name) =>
      fc.constantFrom(
        name.toUpperCase(),
        name.toLowerCase(),
        name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase(),
        `${name}s`,
        name.slice(1),
        name.slice(0, -1),
        `${name} `,
      ),
    ),
  fc.constantFrom('PASSIVE_URL', 'expire_after', 'timeout', 'expiry'),
  fc.string(),
);

/** Unknown or misspelt names, now and then. */
const unknownNamesArb = fc.oneof(
  { arbitrary: fc.constant({}), weight: 4 },
  { arbitrary: fc.dictionary(typoArb, anyValueArb, { maxKeys: 2 }), weight: 1 },
);

/**
 * Options with known names: valid ones with one or two values of a random type (so that every
 * option's own check is reached), or every name with a random value; maybe unknown names too.
 * A logger, when there is one, is silent or not a logger at all: no warnings printed.
 */
const optionsArb = fc
  .tuple(
    fc.oneof(
      fc
        .tuple(
          fc.record(VALID, { requiredKeys: ['isAuthenticated'] }),
          fc.array(fc.tuple(fc.constantFrom(...OPTION_NAMES), anyValueArb), { maxLength: 2 }),
        )
        .map(([valid, changes]) => ({ ...valid, ...Object.fromEntries(changes) })),
      fc.record(
        Object.fromEntries(
          OPTION_NAMES.map((name) => [
            name,
            name === 'logger'
              ? fc.oneof(fc.constant(silentLogger), fc.anything())
              : fc.oneof(VALID[name], anyValueArb),
          ]),
        ),
        { requiredKeys: [] },
      ),
    ),
    unknownNamesArb,
  )
  .map(([known, unknown]) => ({ ...known, ...unknown }));

describe('resolveOptions on generated options', () => {
  // Without a logger the warnings of a short warning window go to the console: keep it quiet.
  beforeEach(() => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Resolves, or throws a config error naming an option the input has (or isAuthenticated, required). */
  function expectResolvesOrNamesAnOption(input: unknown) {
    const isObject = input !== null && typeof input === 'object' && !Array.isArray(input);
    let error: unknown;
    try {
      resolveOptions(input as Parameters<typeof resolveOptions>[0]);
    } catch (thrown) {
      error = thrown;
    }
    if (error === undefined) {
      expect(isObject, 'only an object resolves').toBe(true);
      return;
    }
    expect(error).toBeInstanceOf(SessionSecurityConfigError);
    const { option, message } = error as SessionSecurityConfigError;
    if (!isObject) {
      expect(option).toBe('options');
    } else {
      const names = Object.keys(input);
      const given = input as Record<string, unknown>;
      // isAuthenticated is always required; userId and draftSecret while drafts are on (drafts: true, or a draftSecret).
      const required =
        option === 'isAuthenticated' ||
        (given.drafts !== false && ['userId', 'draftSecret'].includes(option));
      const missingRequired = required && given[option] === undefined;
      expect(names.includes(option) || missingRequired, `${option}: ${message}`).toBe(true);
    }
    expect(message.includes(option) || message.includes(JSON.stringify(option))).toBe(true);
  }

  it('returns, or throws a SessionSecurityConfigError naming an option of the input', () => {
    fc.assert(fc.property(optionsArb, expectResolvesOrNamesAnOption), {
      numRuns: NUM_RUNS,
      // Found by fast-check: a huge (> 2^60) or subnormal expireAfter makes the default warnAfter
      // round to expireAfter itself, and the error names warnAfter, which the input does not have.
      examples: [
        [{ expireAfter: 1e300, isAuthenticated: () => true, drafts: false }],
        [{ expireAfter: Number.MIN_VALUE, isAuthenticated: () => true, drafts: false }],
      ],
    });
  });

  it('throws a SessionSecurityConfigError for "options" on any input that is not an object', () => {
    const arb = fc.oneof(
      fc.anything().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)),
      fc.array(fc.anything()),
      fc.func(fc.anything()),
    );
    fc.assert(fc.property(arb, expectResolvesOrNamesAnOption), { numRuns: NUM_RUNS });
  });

  it('names the option of an object with random names and values', () => {
    fc.assert(fc.property(fc.object(), expectResolvesOrNamesAnOption), { numRuns: NUM_RUNS });
  });
});

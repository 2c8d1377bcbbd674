// Unit tests of src/core/options.ts: the defaults of the options of docs/guide/options.md and the validation at
// construction, whose errors name the option, the value received and the fix.

import { describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { SessionSecurityConfigError, SessionSecurityError } from '../../../src/core/errors.js';
import {
  type Logger,
  resolveOptions,
  type SessionSecurityOptions,
} from '../../../src/core/options.js';

const isAuthenticated = () => true;

function spyLogger() {
  return {
    warn: vi.fn<(message: string) => void>(),
    error: vi.fn<(message: string, error?: unknown) => void>(),
  } satisfies Logger;
}

/** Resolves options with a silent logger unless one is given. */
function resolve(options: Partial<SessionSecurityOptions<unknown>> = {}) {
  return resolveOptions<unknown>({
    isAuthenticated,
    logger: spyLogger(),
    drafts: false,
    ...options,
  });
}

/** The error `resolveOptions` throws for `input`, which may be of any type. */
function configErrorFor(input: unknown): SessionSecurityConfigError {
  try {
    resolveOptions(input as SessionSecurityOptions<unknown>);
  } catch (error) {
    if (error instanceof SessionSecurityConfigError) return error;
    throw error;
  }
  throw new Error(`expected resolveOptions to reject ${String(input)}`);
}

/** The error for the valid base options with `option` set to `value`. */
function rejectionOf(option: string, value: unknown): SessionSecurityConfigError {
  return configErrorFor({ isAuthenticated, logger: spyLogger(), drafts: false, [option]: value });
}

describe('resolveOptions defaults', () => {
  it('expires after 900 s and warns at 780 s when nothing is set', () => {
    const resolved = resolve();
    expect(resolved.expireAfterMs).toBe(900_000);
    expect(resolved.warnAfterMs).toBe(780_000);
  });

  it('warns a quarter of expireAfter early when that is under two minutes (60 s -> 45 s)', () => {
    const resolved = resolve({ expireAfter: 60 });
    expect(resolved.expireAfterMs).toBe(60_000);
    expect(resolved.warnAfterMs).toBe(45_000);
  });

  it('warns two minutes early for a long expireAfter (3600 s -> 3480 s)', () => {
    expect(resolve({ expireAfter: 3600 }).warnAfterMs).toBe(3_480_000);
  });

  it('has no absolute timeout by default', () => {
    expect(resolve().absoluteTimeoutMs).toBe(0);
  });

  it("mounts the protocol under '/session-security' by default", () => {
    expect(resolve().prefix).toBe('/session-security');
  });

  it('has no loginUrl, no logout hook, no passive rules and no trusted origins by default', () => {
    const resolved = resolve();
    expect(resolved.loginUrl).toBeUndefined();
    expect(resolved.logout).toBeUndefined();
    expect(resolved.passive).toEqual([]);
    expect([...resolved.trustedOrigins]).toEqual([]);
  });

  it('uses the system clock and console when no clock or logger is given', () => {
    const resolved = resolveOptions<unknown>({ isAuthenticated, drafts: false });
    expect(resolved.clock).toBe(systemClock);
    expect(resolved.logger).toBe(console);
  });

  it('converts every time from seconds to milliseconds', () => {
    const resolved = resolve({ expireAfter: 600, warnAfter: 450.5, absoluteTimeout: 28_800 });
    expect(resolved.expireAfterMs).toBe(600_000);
    expect(resolved.warnAfterMs).toBe(450_500);
    expect(resolved.absoluteTimeoutMs).toBe(28_800_000);
  });

  it('keeps the given functions, clock, logger and prefix', () => {
    const logout = () => {};
    const clock = { now: () => 42 };
    const logger = spyLogger();
    const resolved = resolveOptions<unknown>({
      isAuthenticated,
      logout,
      clock,
      logger,
      prefix: '/auth/idle',
      drafts: false,
    });
    expect(resolved.isAuthenticated).toBe(isAuthenticated);
    expect(resolved.logout).toBe(logout);
    expect(resolved.clock).toBe(clock);
    expect(resolved.logger).toBe(logger);
    expect(resolved.prefix).toBe('/auth/idle');
  });
});

describe('resolveOptions rejects bad times', () => {
  it('rejects warnAfter equal to expireAfter, naming both values', () => {
    const error = configErrorFor({ isAuthenticated, expireAfter: 1800, warnAfter: 1800 });
    expect(error.option).toBe('warnAfter');
    expect(error.message).toContain('warnAfter (1800) must be less than expireAfter (1800)');
  });

  it('rejects warnAfter above expireAfter', () => {
    const error = configErrorFor({ isAuthenticated, expireAfter: 300, warnAfter: 301 });
    expect(error.option).toBe('warnAfter');
    expect(error.message).toContain('warnAfter (301) must be less than expireAfter (300)');
  });

  it('rejects a warnAfter beyond the default expireAfter of 900 s', () => {
    const error = rejectionOf('warnAfter', 1800);
    expect(error.option).toBe('warnAfter');
    expect(error.message).toContain('warnAfter (1800) must be less than expireAfter (900)');
  });

  it.each([
    ['expireAfter', Number.NaN, 'NaN'],
    ['expireAfter', Number.POSITIVE_INFINITY, 'Infinity'],
    ['expireAfter', -1, '-1'],
    ['expireAfter', '900', '"900"'],
    ['expireAfter', 0, '0'],
    ['expireAfter', null, 'null'],
    ['warnAfter', Number.NaN, 'NaN'],
    ['warnAfter', Number.NEGATIVE_INFINITY, '-Infinity'],
    ['warnAfter', -1, '-1'],
    ['warnAfter', '780', '"780"'],
    ['warnAfter', 0, '0'],
    ['absoluteTimeout', Number.NaN, 'NaN'],
    ['absoluteTimeout', Number.POSITIVE_INFINITY, 'Infinity'],
    ['absoluteTimeout', -1, '-1'],
    ['absoluteTimeout', '3600', '"3600"'],
  ])('rejects %s = %s, naming the option and the value', (option, value, shown) => {
    const error = rejectionOf(option, value);
    expect(error.option).toBe(option);
    expect(error.message).toContain(`${option} (${shown})`);
    expect(error.message).toContain('finite number of seconds');
  });

  it('accepts an absoluteTimeout of 0, which turns it off', () => {
    expect(resolve({ absoluteTimeout: 0 }).absoluteTimeoutMs).toBe(0);
  });
});

describe('resolveOptions rejects bad hooks', () => {
  it('rejects a missing isAuthenticated', () => {
    const error = configErrorFor({ expireAfter: 900 });
    expect(error.option).toBe('isAuthenticated');
    expect(error.message).toContain('isAuthenticated (undefined) must be a function');
  });

  it('rejects an isAuthenticated that is not a function', () => {
    const error = configErrorFor({ isAuthenticated: true });
    expect(error.option).toBe('isAuthenticated');
    expect(error.message).toContain('isAuthenticated (true) must be a function');
  });

  it('rejects a logout that is not a function', () => {
    const error = rejectionOf('logout', 'yes');
    expect(error.option).toBe('logout');
    expect(error.message).toContain('logout ("yes") must be a function');
  });

  it('rejects a logger without warn and error methods', () => {
    const error = configErrorFor({ isAuthenticated, logger: { warn: () => {} } });
    expect(error.option).toBe('logger');
    expect(error.message).toContain('logger (');
  });

  it('rejects a clock without a now method', () => {
    const error = rejectionOf('clock', { time: 1 });
    expect(error.option).toBe('clock');
    expect(error.message).toContain('clock ({"time":1})');
  });
});

describe('resolveOptions checks loginUrl', () => {
  it.each([
    '//evil.com',
    'javascript:alert(1)',
    'login',
    '',
    '/\\evil.com',
    'ftp://files.example.com/login',
    '/.//evil.com',
    '/a/..//evil.com',
    '/%2e//evil.com',
    '/%2E%2E//evil.com/x',
    '/login/../admin',
    '/log in',
    'https://\\evil.com',
  ])('rejects loginUrl %j', (value) => {
    const error = rejectionOf('loginUrl', value);
    expect(error.option).toBe('loginUrl');
    expect(error.message).toContain(`loginUrl (${JSON.stringify(value)})`);
    expect(error.message).toContain('"/login"');
  });

  it('rejects a loginUrl that is not a string', () => {
    const error = rejectionOf('loginUrl', 42);
    expect(error.option).toBe('loginUrl');
    expect(error.message).toContain('loginUrl (42)');
  });

  it.each(['/login', '/accounts/login?lang=fr', 'https://sso.example.com/login'])(
    'accepts loginUrl %j unchanged',
    (value) => {
      expect(resolve({ loginUrl: value }).loginUrl).toBe(value);
    },
  );
});

describe('resolveOptions checks passive rules', () => {
  it('rejects passive that is not an array', () => {
    const error = rejectionOf('passive', '/api/poll');
    expect(error.option).toBe('passive');
    expect(error.message).toContain('passive ("/api/poll") must be an array');
  });

  it('rejects a passive path that does not start with "/", naming its index', () => {
    const error = rejectionOf('passive', ['/ok', 'api/poll']);
    expect(error.option).toBe('passive');
    expect(error.message).toContain('passive[1] ("api/poll")');
  });

  it('rejects a passive entry that is neither a path, a RegExp nor a function', () => {
    const error = rejectionOf('passive', [42]);
    expect(error.option).toBe('passive');
    expect(error.message).toContain('passive[0] (42)');
  });

  it('accepts exact paths, prefixes, RegExps and predicates', () => {
    const rules = ['/api/poll', '/events/*', /^\/metrics/, () => false];
    expect(resolve({ passive: rules }).passive).toEqual(rules);
  });
});

describe('resolveOptions bounds the times', () => {
  it.each([
    ['expireAfter', 1e300],
    ['expireAfter', 1152921504606847200],
    ['expireAfter', 5e-324],
    ['expireAfter', 0.5],
    ['expireAfter', 365 * 24 * 3600 + 1],
    ['absoluteTimeout', 0.5],
    ['absoluteTimeout', 1e9],
  ])('refuses %s %d, naming it and the range', (option, value) => {
    const error = rejectionOf(option, value);
    expect(error.option).toBe(option);
    expect(error.message).toContain('at most 31536000 (a year)');
  });

  it('refuses a warnAfter over a year, naming warnAfter', () => {
    const error = rejectionOf('warnAfter', 1e12);
    expect(error.option).toBe('warnAfter');
  });

  it('accepts a year and a second at the edges', () => {
    const resolved = resolve({ expireAfter: 365 * 24 * 3600, absoluteTimeout: 1, warnAfter: 0.5 });
    expect(resolved.expireAfterMs).toBe(31_536_000_000);
    expect(resolved.absoluteTimeoutMs).toBe(1000);
    expect(resolve({ expireAfter: 1 }).warnAfterMs).toBe(750);
  });
});

describe('resolveOptions checks clearSiteData and allowFrames', () => {
  it('clears the cache only by default, and lets frames run no client', () => {
    const resolved = resolve();
    expect(resolved.clearSiteData).toEqual(['cache']);
    expect(resolved.allowFrames).toBe(false);
  });

  it('takes the Clear-Site-Data types it knows, once each, or none', () => {
    expect(resolve({ clearSiteData: ['cache', 'storage', 'cache'] }).clearSiteData).toEqual([
      'cache',
      'storage',
    ]);
    expect(resolve({ clearSiteData: [] }).clearSiteData).toEqual([]);
  });

  it.each([['*'], 'cache', [42], ['"cache"'], null])('rejects clearSiteData %j', (value) => {
    const error = rejectionOf('clearSiteData', value);
    expect(error.option).toBe('clearSiteData');
    expect(error.message).toContain("'executionContexts'");
  });

  it.each(['yes', 1, null])('rejects allowFrames %j', (value) => {
    const error = rejectionOf('allowFrames', value);
    expect(error.option).toBe('allowFrames');
    expect(error.message).toContain('true or false');
  });
});

describe('resolveOptions checks trustedOrigins', () => {
  it.each(['https://*.example.com', '*', 'https://admin.example.*'])(
    'refuses the wildcard origin %j with a clear error, since it would never match',
    (origin) => {
      const error = rejectionOf('trustedOrigins', [origin]);
      expect(error.option).toBe('trustedOrigins');
      expect(error.message).toContain('wildcard');
      expect(error.message).toContain(JSON.stringify(origin));
    },
  );

  it('rejects trustedOrigins that is not an array', () => {
    const error = rejectionOf('trustedOrigins', 'https://admin.example.com');
    expect(error.option).toBe('trustedOrigins');
    expect(error.message).toContain(
      'trustedOrigins ("https://admin.example.com") must be an array',
    );
  });

  it.each([
    'https://admin.example.com/app',
    'https://admin.example.com?x=1',
    'ftp://admin.example.com',
    'javascript:alert(1)',
    'admin.example.com',
    'null',
  ])('rejects the trusted origin %j', (origin) => {
    const error = rejectionOf('trustedOrigins', [origin]);
    expect(error.option).toBe('trustedOrigins');
    expect(error.message).toContain(`trustedOrigins[0] (${JSON.stringify(origin)})`);
  });

  it('accepts bare http(s) origins, in their normalised form', () => {
    const resolved = resolve({
      trustedOrigins: [
        'https://admin.example.com',
        'http://localhost:5173',
        'HTTPS://Other.Example.com:443/',
      ],
    });
    expect([...resolved.trustedOrigins]).toEqual([
      'https://admin.example.com',
      'http://localhost:5173',
      'https://other.example.com',
    ]);
  });
});

describe('resolveOptions checks the drafts options', () => {
  const SECRET = 'a drafts secret of at least 32 characters';
  const userId = () => 'user-1';

  it('turns drafts on when draftSecret is given, keeping them 24 h, and says nothing', () => {
    const logger = spyLogger();
    const resolved = resolveOptions<unknown>({
      isAuthenticated,
      logger,
      userId,
      draftSecret: SECRET,
    });
    expect(resolved.drafts).toEqual({ userId, secret: SECRET, maxAgeMs: 86_400_000 });
    expect(resolved.userId).toBe(userId);
    expect(logger.warn).not.toHaveBeenCalled();
    const shorter = resolve({ drafts: true, userId, draftSecret: SECRET, draftMaxAge: 3600 });
    expect(shorter.drafts?.maxAgeMs).toBe(3_600_000);
  });

  it('starts with isAuthenticated alone: drafts off, one line saying how to turn them on', () => {
    const logger = spyLogger();
    const resolved = resolveOptions<unknown>({ isAuthenticated, logger });
    expect(resolved.drafts).toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]?.[0]).toMatch(
      /drafts are off.*give userId and draftSecret.*drafts: false silences/,
    );
    // A logger with `info` gets the line there, not as a warning.
    const info = vi.fn<(message: string) => void>();
    const withInfo = { ...spyLogger(), info };
    resolveOptions<unknown>({ isAuthenticated, logger: withInfo, userId });
    expect(info).toHaveBeenCalledTimes(1);
    expect(withInfo.warn).not.toHaveBeenCalled();
  });

  it('refuses a draftSecret without userId, and drafts: true without either, saying how to fix it', () => {
    const noUser = configErrorFor({ isAuthenticated, logger: spyLogger(), draftSecret: SECRET });
    expect(noUser.option).toBe('userId');
    expect(noUser.message).toMatch(
      /userId .* is required while drafts are on \(draftSecret is given\).*drafts: false/,
    );
    const noSecret = configErrorFor({ isAuthenticated, logger: spyLogger(), drafts: true, userId });
    expect(noSecret.option).toBe('draftSecret');
    expect(noSecret.message).toMatch(/draftSecret is required while drafts are on.*32 characters/);
    const neither = configErrorFor({ isAuthenticated, logger: spyLogger(), drafts: true });
    expect(neither.option).toBe('userId');
    expect(neither.message).toMatch(/\(drafts: true\)/);
  });

  it('stays off and silent with drafts: false, even with a draftSecret, and keeps userId', () => {
    const logger = spyLogger();
    const resolved = resolve({ userId, draftSecret: SECRET, logger });
    expect(resolved.drafts).toBeUndefined();
    expect(resolved.userId).toBe(userId);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it.each([
    ['drafts', 'yes', /drafts \("yes"\) must be true/],
    ['userId', 'user-1', /userId \("user-1"\) must be a function/],
    [
      'draftSecret',
      'short',
      /draftSecret \(5 characters\) must be a string of at least 32 characters/,
    ],
    ['draftSecret', 42, /draftSecret \(42\) must be a string/],
    ['draftMaxAge', 0, /draftMaxAge \(0\) must be/],
    ['draftMaxAge', 366 * 24 * 3600, /draftMaxAge .* must be/],
  ])('refuses %s: %j', (option, value, message) => {
    const error = rejectionOf(option, value);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });
});

describe('resolveOptions checks prefix', () => {
  it.each(['/session-security/', 'session-security', '/', '/session security', '/ss?x=1', ''])(
    'rejects prefix %j',
    (value) => {
      const error = rejectionOf('prefix', value);
      expect(error.option).toBe('prefix');
      expect(error.message).toContain(`prefix (${JSON.stringify(value)})`);
    },
  );
});

describe('resolveOptions rejects unknown option names', () => {
  it('suggests "passive" for PASSIVE_URL', () => {
    const error = rejectionOf('PASSIVE_URL', ['/api/poll']);
    expect(error.option).toBe('PASSIVE_URL');
    expect(error.message).toContain('unknown option "PASSIVE_URL"');
    expect(error.message).toContain('did you mean "passive"?');
  });

  it('suggests "expireAfter" for expire_after', () => {
    const error = rejectionOf('expire_after', 600);
    expect(error.option).toBe('expire_after');
    expect(error.message).toContain('unknown option "expire_after"');
    expect(error.message).toContain('did you mean "expireAfter"?');
  });

  it('lists the known options when there is no close name', () => {
    const error = rejectionOf('colour', 'blue');
    expect(error.option).toBe('colour');
    expect(error.message).toContain('unknown option "colour"');
    expect(error.message).not.toContain('did you mean');
    expect(error.message).toContain('expireAfter, warnAfter, absoluteTimeout');
  });
});

describe('resolveOptions rejects options that are not an object', () => {
  it.each([
    [undefined, 'undefined'],
    [null, 'null'],
    ['900', '"900"'],
    [900, '900'],
    [[], 'an array of 0'],
  ])('rejects %j', (input, shown) => {
    const error = configErrorFor(input);
    expect(error.option).toBe('options');
    expect(error.message).toContain(`options (${shown}) must be an object`);
  });
});

describe('resolveOptions errors', () => {
  it('are SessionSecurityConfigErrors in the SessionSecurityError family', () => {
    const error = rejectionOf('expireAfter', -1);
    expect(error).toBeInstanceOf(SessionSecurityError);
    expect(error.name).toBe('SessionSecurityConfigError');
    expect(error.message.startsWith('session-security: ')).toBe(true);
  });
});

describe('resolveOptions WCAG 2.2.1 warning', () => {
  it('accepts a warning window under 20 s but logs once that it fails WCAG 2.2.1', () => {
    const logger = spyLogger();
    const resolved = resolveOptions<unknown>({
      isAuthenticated,
      drafts: false,
      logger,
      expireAfter: 600,
      warnAfter: 590,
    });
    expect(resolved.warnAfterMs).toBe(590_000);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]?.[0]).toContain('WCAG 2.2.1');
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('logs the WCAG warning for the default window of a short expireAfter (60 s -> 15 s)', () => {
    const logger = spyLogger();
    resolveOptions<unknown>({ isAuthenticated, logger, drafts: false, expireAfter: 60 });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]?.[0]).toContain('WCAG 2.2.1');
  });

  it('gives advice that would work: never "raise expireAfter above 20" when it already is 20', () => {
    const logger = spyLogger();
    resolveOptions<unknown>({
      isAuthenticated,
      logger,
      drafts: false,
      expireAfter: 20,
      warnAfter: 5,
    });
    const message = logger.warn.mock.calls[0]?.[0] ?? '';
    expect(message).toContain('raise expireAfter to at least 25');
    expect(message).not.toContain('above 20');
  });

  it('offers both fixes when warnAfter can be lowered (600/590: warnAfter <= 580 or expireAfter >= 610)', () => {
    const logger = spyLogger();
    resolveOptions<unknown>({
      isAuthenticated,
      logger,
      drafts: false,
      expireAfter: 600,
      warnAfter: 590,
    });
    const message = logger.warn.mock.calls[0]?.[0] ?? '';
    expect(message).toContain('lower warnAfter to at most 580');
    expect(message).toContain('raise expireAfter to at least 610');
  });

  it('does not warn for a window of exactly 20 s', () => {
    const logger = spyLogger();
    resolveOptions<unknown>({
      isAuthenticated,
      logger,
      drafts: false,
      expireAfter: 600,
      warnAfter: 580,
    });
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('does not warn for the default options', () => {
    const logger = spyLogger();
    resolveOptions<unknown>({ isAuthenticated, logger, drafts: false });
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('resolveOptions: sign-in limits', () => {
  const userId = () => 'ada';
  it('takes maxSignInsPerUser with userId, ending the oldest by default', () => {
    const resolved = resolve({ maxSignInsPerUser: 3, userId });
    expect(resolved.maxSignInsPerUser).toBe(3);
    expect(resolved.onMaxSignIns).toBe('end-oldest');
    expect(resolved.signInMemory).toEqual({ total: 100_000, perUser: 100 });
  });

  it.each([0, -1, 1.5, '3', Number.NaN])('rejects maxSignInsPerUser %s', (value) => {
    expect(() => resolve({ maxSignInsPerUser: value as number, userId })).toThrow(
      /maxSignInsPerUser \(.*\) must be a whole number of sign-ins, 1 or more/,
    );
  });

  it('rejects maxSignInsPerUser without userId, naming what is missing', () => {
    expect(() => resolve({ maxSignInsPerUser: 3, drafts: false, userId: undefined })).toThrow(
      /maxSignInsPerUser \(3\) needs the userId option/,
    );
  });

  it('rejects an unknown onMaxSignIns', () => {
    expect(() =>
      resolve({ maxSignInsPerUser: 3, userId, onMaxSignIns: 'end-newest' as 'refuse' }),
    ).toThrow(/onMaxSignIns \("end-newest"\) must be 'end-oldest'/);
  });

  it('rejects signInMemory with another store, an unknown field, and a bound under maxSignInsPerUser', () => {
    // A store of the right shape: every option is checked alone before the rules between them.
    const ended = async () => ({ kind: 'ended' as const, reason: 'idle' as const });
    const store = { touch: ended, start: ended, end: ended, peek: ended };
    expect(() => resolve({ signInMemory: { total: 10 }, store: store as never })).toThrow(
      /signInMemory bounds the default store/,
    );
    expect(() => resolve({ signInMemory: { max: 10 } as never })).toThrow(
      /unknown field "max" of signInMemory\. The fields of signInMemory are total, perUser/,
    );
    expect(() => resolve({ signInMemory: { perUser: 0 } })).toThrow(
      /signInMemory.perUser \(0\) must be a whole number/,
    );
    expect(() => resolve({ maxSignInsPerUser: 20, userId, signInMemory: { perUser: 10 } })).toThrow(
      /maxSignInsPerUser \(20\) is more than signInMemory.perUser \(10\)/,
    );
  });
});

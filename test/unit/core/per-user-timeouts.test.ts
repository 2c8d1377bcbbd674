// Unit tests of per-user timeouts (signInTimeouts in src/core/options.ts, and their row in
// describePolicy): a function's value is kept only when it obeys every rule the options obey;
// otherwise the sign-in gets all the static values and an error naming the function and value.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultWarnAfter,
  MAX_SECONDS,
  resolveOptions,
  type SessionSecurityOptions,
  signInTimeouts,
} from '../../../src/core/options.js';
import { describePolicy } from '../../../src/core/policy-description.js';
import { PRESET_NAMES, PRESETS, type Preset } from '../../../src/core/presets.js';

interface Req {
  user: string;
}

const ada: Req = { user: 'ada' };
const bob: Req = { user: 'bob' };
const silent = { warn: () => {}, error: () => {} };

function resolve(options: Partial<SessionSecurityOptions<Req>>) {
  return resolveOptions<Req>({
    isAuthenticated: () => true,
    drafts: false,
    logger: silent,
    ...options,
  });
}

/** The timeouts a sign-in keeps, in seconds, and the error when the static ones were used. */
async function timeoutsFor(options: Partial<SessionSecurityOptions<Req>>, req: Req = ada) {
  const { timeouts, error } = await signInTimeouts(req, resolve(options));
  return {
    expireAfter: timeouts.expireAfterMs / 1000,
    warnAfter: timeouts.warnAfterMs / 1000,
    absoluteTimeout: timeouts.absoluteTimeoutMs / 1000,
    error,
  };
}

/** The library's static defaults: expireAfter 900, warnAfter 780, no absolute timeout. */
const STATIC = { expireAfter: 900, warnAfter: 780, absoluteTimeout: 0 };

describe('signInTimeouts: values that obey the rules', () => {
  it('uses the static values, with no error, when no option is a function', async () => {
    expect(await timeoutsFor({ expireAfter: 600, warnAfter: 500 })).toEqual({
      expireAfter: 600,
      warnAfter: 500,
      absoluteTimeout: 0,
      error: undefined,
    });
  });

  it("uses a synchronous function's value for each request as given", async () => {
    const options = { expireAfter: (req: Req) => (req.user === 'bob' ? 300 : 900) };
    expect(await timeoutsFor(options, bob)).toEqual({
      expireAfter: 300,
      warnAfter: 225, // 300 - min(120, 300 / 4)
      absoluteTimeout: 0,
      error: undefined,
    });
    expect(await timeoutsFor(options, ada)).toEqual({ ...STATIC, error: undefined });
  });

  it("uses an async function's value as given", async () => {
    expect(
      await timeoutsFor({
        expireAfter: async () => 600,
        warnAfter: async () => 500,
        absoluteTimeout: async () => 7200,
      }),
    ).toEqual({ expireAfter: 600, warnAfter: 500, absoluteTimeout: 7200, error: undefined });
  });

  it("makes warnAfter follow the sign-in's own expireAfter by the default rule when warnAfter is not given", async () => {
    expect(await timeoutsFor({ expireAfter: () => 3600 })).toMatchObject({
      expireAfter: 3600,
      warnAfter: 3480, // 3600 - 120
    });
    expect(await timeoutsFor({ expireAfter: () => 40 })).toMatchObject({
      expireAfter: 40,
      warnAfter: 30, // 40 - 40 / 4
    });
  });

  it('keeps an explicit static warnAfter with a per-user expireAfter', async () => {
    expect(await timeoutsFor({ expireAfter: () => 1200, warnAfter: 300 })).toEqual({
      expireAfter: 1200,
      warnAfter: 300,
      absoluteTimeout: 0,
      error: undefined,
    });
  });

  it('keeps static expireAfter and absoluteTimeout beside a per-user warnAfter', async () => {
    expect(
      await timeoutsFor({ expireAfter: 1200, absoluteTimeout: 3600, warnAfter: () => 1000 }),
    ).toEqual({ expireAfter: 1200, warnAfter: 1000, absoluteTimeout: 3600, error: undefined });
  });

  it('accepts 0 (off) from a per-user absoluteTimeout without a preset', async () => {
    expect(await timeoutsFor({ absoluteTimeout: 3600, expireAfter: () => 600 })).toMatchObject({
      absoluteTimeout: 3600,
    });
    expect(await timeoutsFor({ absoluteTimeout: () => 0 })).toEqual({
      ...STATIC,
      error: undefined,
    });
  });

  it('accepts the bounds themselves: expireAfter 1 s and a year', async () => {
    expect(await timeoutsFor({ expireAfter: () => 1 })).toMatchObject({
      expireAfter: 1,
      warnAfter: 0.75,
      error: undefined,
    });
    expect(await timeoutsFor({ expireAfter: () => MAX_SECONDS })).toMatchObject({
      expireAfter: MAX_SECONDS,
      error: undefined,
    });
  });
});

describe('signInTimeouts: a value that breaks a rule gives every static value and an error', () => {
  const broken: [what: string, value: unknown, shown: string][] = [
    ['over a year', MAX_SECONDS + 1, String(MAX_SECONDS + 1)],
    ['0', 0, '0'],
    ['negative', -300, '-300'],
    ['NaN', Number.NaN, 'NaN'],
    ['Infinity', Number.POSITIVE_INFINITY, 'Infinity'],
    ['a string', '600', '"600"'],
    ['null', null, 'null'],
    ['under 1 s', 0.5, '0.5'],
  ];

  it.each(broken)('expireAfter(req) returning %s', async (_what, value, shown) => {
    const result = await timeoutsFor({
      expireAfter: () => value as number,
      absoluteTimeout: () => 3600,
    });
    expect(result).toMatchObject(STATIC);
    expect(result.error).toContain(`expireAfter(req) returned ${shown}`);
  });

  it.each(broken.filter(([what]) => what !== '0'))(
    'absoluteTimeout(req) returning %s',
    async (_what, value, shown) => {
      const result = await timeoutsFor({
        expireAfter: () => 600,
        absoluteTimeout: () => value as number,
      });
      expect(result).toMatchObject(STATIC);
      expect(result.error).toContain(`absoluteTimeout(req) returned ${shown}`);
    },
  );

  it.each(broken.filter(([what]) => what !== 'under 1 s'))(
    'warnAfter(req) returning %s',
    async (_what, value, shown) => {
      const result = await timeoutsFor({ expireAfter: 1200, warnAfter: () => value as number });
      expect(result).toMatchObject({ expireAfter: 1200, warnAfter: 1080, absoluteTimeout: 0 });
      expect(result.error).toContain(`warnAfter(req) returned ${shown}`);
    },
  );

  it('refuses a per-user warnAfter at or past the per-user expireAfter', async () => {
    for (const warnAfter of [600, 601]) {
      const result = await timeoutsFor({ expireAfter: () => 600, warnAfter: () => warnAfter });
      expect(result).toMatchObject(STATIC);
      expect(result.error).toContain(`warnAfter(req) returned ${warnAfter}`);
      expect(result.error).toContain(`must be less than expireAfter (600)`);
    }
  });

  it('refuses a per-user expireAfter at or under a static warnAfter, naming both values', async () => {
    const result = await timeoutsFor({ expireAfter: () => 300, warnAfter: 780 });
    expect(result).toMatchObject(STATIC);
    expect(result.error).toContain('warnAfter (780) must be less than expireAfter (300)');
  });

  it('uses the static values when a function throws, naming it and the error', async () => {
    const result = await timeoutsFor({
      expireAfter: () => 600,
      warnAfter: () => {
        throw new TypeError('no user');
      },
    });
    expect(result).toMatchObject(STATIC);
    expect(result.error).toBe('warnAfter(req) threw (TypeError: no user)');
  });

  it('uses the static values when a promise is rejected, naming the function', async () => {
    const result = await timeoutsFor({
      expireAfter: () => 600,
      absoluteTimeout: () => Promise.reject(new RangeError('directory down')),
    });
    expect(result).toMatchObject(STATIC);
    expect(result.error).toBe('absoluteTimeout(req) threw (RangeError: directory down)');
    const notAnError = await timeoutsFor({ expireAfter: () => Promise.reject('nope') });
    expect(notAnError).toMatchObject(STATIC);
    expect(notAnError.error).toBe('expireAfter(req) threw ("nope")');
  });

  it('falls back to the static values the options gave, not the defaults', async () => {
    const result = await timeoutsFor({
      expireAfter: () => -1,
      warnAfter: 500,
      absoluteTimeout: 7200,
    });
    expect(result).toMatchObject({ expireAfter: 900, warnAfter: 500, absoluteTimeout: 7200 });
    expect(result.error).toContain('expireAfter(req) returned -1');
  });
});

describe('signInTimeouts under a preset: a per-user value may only tighten it', () => {
  it('pci-dss-4: uses a per-user expireAfter of 600, refuses 1800 naming the preset', async () => {
    expect(await timeoutsFor({ preset: 'pci-dss-4', expireAfter: () => 600 })).toEqual({
      expireAfter: 600,
      warnAfter: 480,
      absoluteTimeout: 0,
      error: undefined,
    });
    const loose = await timeoutsFor({ preset: 'pci-dss-4', expireAfter: () => 1800 });
    expect(loose).toMatchObject(STATIC);
    expect(loose.error).toContain('expireAfter(req) returned 1800');
    expect(loose.error).toContain('loosens the preset "pci-dss-4"');
  });

  it('nist-aal3: refuses a per-user absoluteTimeout of 0 (off), keeping the 12 h limit', async () => {
    const off = await timeoutsFor({ preset: 'nist-aal3', absoluteTimeout: () => 0 });
    expect(off).toMatchObject({ expireAfter: 900, warnAfter: 780, absoluteTimeout: 43_200 });
    expect(off.error).toContain('absoluteTimeout(req) returned 0');
    expect(off.error).toContain('loosens the preset "nist-aal3"');
    expect(await timeoutsFor({ preset: 'nist-aal3', absoluteTimeout: () => 3600 })).toEqual({
      expireAfter: 900,
      warnAfter: 780,
      absoluteTimeout: 3600,
      error: undefined,
    });
  });

  it('nist-aal2: a per-user expireAfter under the preset gets the default warning rule', async () => {
    expect(await timeoutsFor({ preset: 'nist-aal2', expireAfter: () => 1800 })).toEqual({
      expireAfter: 1800,
      warnAfter: 1680,
      absoluteTimeout: 86_400,
      error: undefined,
    });
  });
});

describe('signInTimeouts: property over any per-user values and any preset', () => {
  /** What a function may give back at run time, whatever its type says. */
  const anyValue = fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 4000 }), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: 90_000 }), weight: 2 },
    { arbitrary: fc.double(), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        0,
        -0,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        MAX_SECONDS,
        MAX_SECONDS + 1,
        -1,
      ),
      weight: 1,
    },
    { arbitrary: fc.oneof(fc.string(), fc.constantFrom('600', '', 'abc')), weight: 1 },
  );
  /** The same, and undefined (which the test after this block covers on its own). */
  const anyValueOrUndefined = fc.oneof(anyValue, fc.constant(undefined));
  /** A per-user option: left out, or a function giving a value, sync or async. */
  const perUserOf = (value: fc.Arbitrary<unknown>) =>
    fc.option(fc.record({ value, async: fc.boolean() }), { nil: undefined });
  const perUser = perUserOf(anyValue);

  it('gives exactly the per-user values (which obey every rule) or exactly the static values with an error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.constantFrom(...PRESET_NAMES), { nil: undefined }),
        perUser,
        perUser,
        perUser,
        fc.option(fc.constantFrom(60, 600), { nil: undefined }),
        async (preset, expire, warn, absolute, staticWarnAfter) => {
          const fn = (spec: { value: unknown; async: boolean }) => () =>
            (spec.async ? Promise.resolve(spec.value) : spec.value) as number;
          const options: Partial<SessionSecurityOptions<Req>> = {
            ...(preset !== undefined && { preset }),
            ...(expire !== undefined && { expireAfter: fn(expire) }),
            ...(warn !== undefined
              ? { warnAfter: fn(warn) }
              : staticWarnAfter !== undefined && { warnAfter: staticWarnAfter }),
            ...(absolute !== undefined && { absoluteTimeout: fn(absolute) }),
          };
          const resolved = resolve(options);
          const { timeouts, error } = await signInTimeouts(ada, resolved);
          const staticTimeouts = {
            expireAfterMs: resolved.expireAfterMs,
            warnAfterMs: resolved.warnAfterMs,
            absoluteTimeoutMs: resolved.absoluteTimeoutMs,
          };
          if (error !== undefined) {
            expect(timeouts).toEqual(staticTimeouts);
            return;
          }
          // The per-user values, a static value where no function was given.
          const e = expire ? expire.value : resolved.expireAfterMs / 1000;
          const a = absolute ? absolute.value : resolved.absoluteTimeoutMs / 1000;
          const w = warn
            ? warn.value
            : staticWarnAfter !== undefined
              ? staticWarnAfter
              : typeof e === 'number'
                ? defaultWarnAfter(e)
                : undefined;
          // Compared in milliseconds, as kept: seconds * 1000 / 1000 need not give back the seconds.
          expect({ e: Number(e) * 1000, w: Number(w) * 1000, a: Number(a) * 1000 }).toEqual({
            e: timeouts.expireAfterMs,
            w: timeouts.warnAfterMs,
            a: timeouts.absoluteTimeoutMs,
          });
          const { expireAfterMs, warnAfterMs, absoluteTimeoutMs } = timeouts;
          expect(expireAfterMs).toBeGreaterThanOrEqual(1000);
          expect(expireAfterMs).toBeLessThanOrEqual(MAX_SECONDS * 1000);
          expect(warnAfterMs).toBeGreaterThan(0);
          expect(warnAfterMs).toBeLessThan(expireAfterMs);
          expect(absoluteTimeoutMs === 0 || absoluteTimeoutMs >= 1000).toBe(true);
          expect(absoluteTimeoutMs).toBeLessThanOrEqual(MAX_SECONDS * 1000);
          if (preset !== undefined) expectWithinPreset(preset, timeouts);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never gives values looser than the preset, whichever branch it takes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PRESET_NAMES),
        perUserOf(anyValueOrUndefined),
        perUserOf(anyValueOrUndefined),
        async (preset, expire, absolute) => {
          const options: Partial<SessionSecurityOptions<Req>> = {
            preset,
            ...(expire !== undefined && { expireAfter: () => expire.value as number }),
            ...(absolute !== undefined && { absoluteTimeout: () => absolute.value as number }),
          };
          const { timeouts } = await signInTimeouts(ada, resolve(options));
          expectWithinPreset(preset, timeouts);
        },
      ),
      { numRuns: 500 },
    );
  });
});

function expectWithinPreset(
  preset: Preset,
  timeouts: { expireAfterMs: number; absoluteTimeoutMs: number },
): void {
  const rule = PRESETS[preset];
  expect(timeouts.expireAfterMs).toBeLessThanOrEqual(rule.idle.seconds * 1000);
  if (rule.overall) {
    expect(timeouts.absoluteTimeoutMs).toBeGreaterThan(0);
    expect(timeouts.absoluteTimeoutMs).toBeLessThanOrEqual(rule.overall.seconds * 1000);
  }
}

// A function typed to give a number that gives back undefined (e.g. `(req) => req.user.timeout`
// for a user without one) is today read as "not given": the sign-in silently gets the default
// for that timeout beside the others' per-user values, with no error. This test states the rule
// the other values obey, and fails until undefined is refused like any other broken value.
describe('signInTimeouts: a function that gives back undefined', () => {
  it('is treated as a value that breaks a rule: every static value, and an error naming it', async () => {
    const result = await timeoutsFor({
      expireAfter: () => undefined as unknown as number,
      absoluteTimeout: () => 3600,
    });
    expect(result).toMatchObject(STATIC);
    expect(result.error).toContain('expireAfter(req) returned undefined');
  });
});

describe('describePolicy with a per-user expireAfter', () => {
  it('marks the row per user and names expireAfter(req) in the Markdown', () => {
    const policy = describePolicy<Req>({
      isAuthenticated: () => true,
      drafts: false,
      logger: silent,
      preset: 'pci-dss-4',
      expireAfter: (req) => (req.user === 'bob' ? 300 : 600),
    });
    const row = (setting: string) => policy.rows.find((r) => r.setting === setting);
    expect(row('expireAfter')).toMatchObject({ perUser: true, seconds: 900 });
    expect(row('expireAfter')?.source).toBe(
      'option: a function of the request; falls back to the preset "pci-dss-4"',
    );
    expect(row('warnAfter')).toMatchObject({ perUser: false, seconds: 780 });
    expect(row('absoluteTimeout')).toMatchObject({ perUser: false });
    expect(policy.markdown).toContain('`expireAfter(req)`');
    expect(policy.markdown).toContain(
      '| idle timeout (`expireAfter`) | per user: `expireAfter(req)` at sign-in, within the limit; 15 min (900 s) when it gives a value that breaks a rule |',
    );
  });
});

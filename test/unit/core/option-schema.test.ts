// Unit tests of the option schema (src/core/option-schema.ts) and the shared checkers
// (src/core/checks.ts): the schema and the hand-written SessionSecurityOptions name the same
// options with the same types (checked by the compiler: `npm run lint` type-checks the tests),
// each default passes its own check, and every checker's error names the option, the value
// and what is expected.

import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  aCount,
  checkOptions,
  closestName,
  listOf,
  milliseconds,
  oneOf,
  rejectUnknownNames,
  seconds,
  withFields,
} from '../../../src/core/checks.js';
import { SessionSecurityConfigError } from '../../../src/core/errors.js';
import {
  type InterfaceTypes,
  OPTION_SCHEMA,
  type OptionSpec,
  type SchemaTypes,
} from '../../../src/core/option-schema.js';
import { OPTION_NAMES, type SessionSecurityOptions } from '../../../src/core/options.js';

/** The error `run` throws. */
function errorOf(run: () => unknown): SessionSecurityConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof SessionSecurityConfigError) return error;
    throw error;
  }
  throw new Error('expected a SessionSecurityConfigError');
}

describe('OPTION_SCHEMA and SessionSecurityOptions', () => {
  it('name the same options, and each check gives the type the interface declares', () => {
    expectTypeOf<keyof typeof OPTION_SCHEMA>().toEqualTypeOf<
      keyof SessionSecurityOptions<unknown>
    >();
    expectTypeOf<SchemaTypes>().toEqualTypeOf<InterfaceTypes>();
    expectTypeOf<SchemaTypes['expireAfter']>().toEqualTypeOf<
      number | ((req: unknown) => number | Promise<number>)
    >();
    expectTypeOf<SchemaTypes['onMaxSignIns']>().toEqualTypeOf<'end-oldest' | 'refuse'>();
  });

  it('gives OPTION_NAMES, in its order', () => {
    expect(OPTION_NAMES).toEqual(Object.keys(OPTION_SCHEMA));
    expect(OPTION_NAMES).toHaveLength(29);
  });

  it('has defaults that pass their own checks, unchanged', () => {
    for (const [name, spec] of Object.entries(OPTION_SCHEMA) as [string, OptionSpec<unknown>][]) {
      if (spec.default === undefined) continue;
      expect(spec.check(spec.default, name), name).toEqual(spec.default);
    }
  });

  it('refuses undefined for a required option only, naming it', () => {
    expect(
      errorOf(() => OPTION_SCHEMA.isAuthenticated.check(undefined, 'isAuthenticated')),
    ).toMatchObject({
      option: 'isAuthenticated',
    });
    const required = Object.entries(OPTION_SCHEMA).filter(([, spec]) => 'required' in spec);
    expect(required.map(([name]) => name)).toEqual(['isAuthenticated']);
  });
});

describe('the shared checkers', () => {
  it('name the option of a part in the error, and the part in the message', () => {
    const error = errorOf(() => listOf(aCount('sign-ins'), 'an array')([1, 0], 'limits'));
    expect(error.option).toBe('limits');
    expect(error.message).toBe(
      'session-security: limits[1] (0) must be a whole number of sign-ins, 1 or more',
    );
    const field = errorOf(() =>
      withFields<{ total?: number }>({ total: aCount('sign-ins') }, '{ total: 1 }')(
        { total: 'x' },
        'memory',
      ),
    );
    expect(field.option).toBe('memory');
    expect(field.message).toContain('memory.total ("x") must be a whole number');
  });

  it('refuse an unknown field, suggesting the closest', () => {
    const check = withFields<{ total?: number }>({ total: aCount('sign-ins') }, '{ total: 1 }');
    expect(errorOf(() => check({ totals: 1 }, 'signInMemory')).message).toBe(
      'session-security: unknown field "totals" of signInMemory: did you mean "total"? The fields of signInMemory are total',
    );
    expect(check({}, 'signInMemory')).toEqual({});
  });

  it('give amounts of time with their range and an example', () => {
    expect(
      errorOf(() => seconds({ min: 1, zeroIsOff: true, example: 60 })('x', 'every')).message,
    ).toBe(
      'session-security: every ("x") must be a finite number of seconds, 0 (off) or at least 1 and at most 31536000 (a year), e.g. every: 60',
    );
    expect(
      errorOf(() => milliseconds({ value: 5000, note: 'five seconds' })(0, 'wait')).message,
    ).toBe(
      'session-security: wait (0) must be a finite number of milliseconds, greater than 0 and at most 5000 (five seconds)',
    );
    expect(seconds()(0.5, 'x')).toBe(0.5);
  });

  it('list the values of an enumeration as TypeScript writes them', () => {
    expect(errorOf(() => oneOf(['a', 'b', 'c'])('d', 'letter')).message).toBe(
      "session-security: letter (\"d\") must be one of 'a', 'b', 'c'",
    );
  });

  it('find the closest name by case and underscores, or from 5 letters on a shared stem or a slip', () => {
    const known = ['expireAfter', 'passive', 'meter', 'meterProvider'];
    expect(closestName('EXPIRE_AFTER', known)).toBe('expireAfter');
    expect(closestName('meterprovider', known)).toBe('meterProvider');
    expect(closestName('passives', known)).toBe('passive');
    expect(closestName('meterProviders', known)).toBe('meterProvider');
    expect(closestName('expireAftr', known)).toBe('expireAfter');
    expect(closestName('pasive', known)).toBe('passive');
    expect(closestName('pass', known)).toBeUndefined();
    expect(closestName('colour', known)).toBeUndefined();
  });

  it('refuse an unknown option naming the entry it belongs to', () => {
    const error = errorOf(() =>
      rejectUnknownNames({ Prefix: 'x' }, ['client', 'prefix'], { of: 'redisStore' }),
    );
    expect(error.option).toBe('Prefix');
    expect(error.message).toBe(
      'session-security: unknown option "Prefix" of redisStore: did you mean "prefix"? The options of redisStore are client, prefix',
    );
  });

  it('check an entry: an object, known names, then each option with its default', () => {
    const schema = {
      size: { check: aCount('items'), default: 3 },
      name: { check: oneOf(['a', 'b']), required: true as const },
    };
    expect(checkOptions({ name: 'a' }, schema, { example: "{ name: 'a' }" })).toEqual({
      size: 3,
      name: 'a',
    });
    expect(
      errorOf(() => checkOptions([], schema, { owner: 'thing', example: "{ name: 'a' }" })).message,
    ).toBe(
      "session-security: thing options (an array of 0) must be an object such as { name: 'a' }",
    );
    expect(errorOf(() => checkOptions({}, schema, { example: '{}' })).option).toBe('name');
  });
});

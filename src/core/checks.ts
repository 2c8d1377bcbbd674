// The small checkers every entry's options are validated with (docs/guide/options.md: Options): the main
// options (src/core/option-schema.ts), the Redis store's and the OpenTelemetry recorder's. Each
// error names the option, the value received and what is expected, in the same words everywhere.
// Pure: no Node, no DOM.

import { describeValue, SessionSecurityConfigError } from './errors.js';
import type { Logger } from './options.js';
import { MAX_TIMEOUT_MS } from './policy.js';

/**
 * Checks one value an app gave: returns it (or its normal form), typed, or throws a
 * `SessionSecurityConfigError`. `label` is how the message names the value: the option, or a
 * part of it (`passive[1]`, `signInMemory.total`); the error's `option` is the option itself.
 */
export type Check<T> = (value: unknown, label: string) => T;

/** One option of an entry's schema: how to check it, and what it is when left out. */
export interface CheckedOption<T> {
  readonly check: Check<T>;
  /** The value when the option is left out; none when there is no default, or it depends on other options. */
  readonly default?: T;
  /** Left out is an error: `check` gets `undefined`, and its message says what to give. */
  readonly required?: true;
}

/** The options an entry takes, by name. */
export type OptionChecks = { readonly [name: string]: CheckedOption<unknown> };

/** What a schema's check gives: its value, `undefined` only where it has neither default nor requirement. */
export type CheckedValue<E> =
  E extends CheckedOption<infer T>
    ? E extends { default: unknown } | { required: true }
      ? T
      : T | undefined
    : never;

/** The checked options of a schema. */
export type CheckedOptions<S> = { -readonly [K in keyof S]: CheckedValue<S[K]> };

/** The longest time an option takes: a year. Longer is a mistake, and past it times lose precision. */
export const MAX_SECONDS = MAX_TIMEOUT_MS / 1000;

/** The option a label is about: `passive[1]` and `signInMemory.total` are about `passive` and `signInMemory`. */
export function optionOf(label: string): string {
  const end = label.search(/[.[]/);
  return end === -1 ? label : label.slice(0, end);
}

/**
 * Throws the error of every check: `label (value) must be expected`. `shown` replaces the value
 * where it must not be echoed (a secret).
 */
export function refuse(
  label: string,
  value: unknown,
  expected: string,
  shown = describeValue(value),
): never {
  throw new SessionSecurityConfigError(optionOf(label), `${label} (${shown}) must be ${expected}`);
}

/** A check by a predicate: the value as it is, or the error saying `expected`. */
export function satisfying<T>(test: (value: unknown) => boolean, expected: string): Check<T> {
  return (value, label) => (test(value) ? (value as T) : refuse(label, value, expected));
}

/** A function; `expected` says its signature and role, e.g. `(req) => string giving the user's id`. */
export function aFunction<F>(expected: string): Check<F> {
  return satisfying((value) => typeof value === 'function', `a function ${expected}`);
}

/** `true` or `false`; `note` says what each does, e.g. ` (default false: …)`. */
export function aBoolean(note = ''): Check<boolean> {
  return satisfying((value) => typeof value === 'boolean', `true or false${note}`);
}

/** How a value of an enumeration is written in messages and in the docs: `'refuse'`. */
export const quoted = (value: string): string => `'${value}'`;

/**
 * One of a few strings. With `meanings`, the message says what each does:
 * `'end-oldest' (end the least recently active sign-in) or 'refuse' (start(req) throws)`.
 */
export function oneOf<const V extends string>(
  values: readonly V[],
  meanings?: { readonly [K in V]: string },
): Check<V> {
  const known: readonly unknown[] = values;
  const listed = values.map((value) =>
    meanings ? `${quoted(value)} (${meanings[value]})` : quoted(value),
  );
  const expected =
    listed.length === 2 ? `${listed[0]} or ${listed[1]}` : `one of ${listed.join(', ')}`;
  return satisfying((value) => known.includes(value), expected);
}

/** An object (or function) with these methods; `expected` says what it is, e.g. `an object with a now() method`. */
export function withMethods<T>(methods: readonly string[], expected: string): Check<T> {
  return satisfying((value) => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
    const record = value as Record<string, unknown>;
    return methods.every((name) => typeof record[name] === 'function');
  }, expected);
}

/** Where warnings and errors go: `console`, or any `{ warn, error }`. */
export const aLogger: Check<Logger> = withMethods(
  ['warn', 'error'],
  'an object with warn(message) and error(message, error) methods, such as console',
);

/** A string that matches `pattern` (anchored), of at most `maxLength` characters. */
export function matching(pattern: RegExp, expected: string, maxLength = Infinity): Check<string> {
  return satisfying(
    (value) => typeof value === 'string' && value.length <= maxLength && pattern.test(value),
    expected,
  );
}

/** The bounds of an amount of time: `min` (else any amount above 0), `max`, and whether 0 means off. */
interface Range {
  /** The least amount, when not just "greater than 0". */
  min?: number;
  /** 0 is accepted, and turns the feature off. */
  zeroIsOff?: boolean;
  /** The amount a message shows as an example (default 900). */
  example?: number;
}

/** An amount of `unit`, finite, within the range and at most `max`; `also` names what else is accepted. */
function amount(
  unit: string,
  { min = 0, zeroIsOff = false, example = 900 }: Range,
  max: { value: number; note: string },
  also = '',
): Check<number> {
  const range = `${min > 0 ? `at least ${min}` : 'greater than 0'} and at most ${max.value} (${max.note})`;
  const expected = `a finite number of ${unit}, ${zeroIsOff ? `0 (off) or ${range}` : range}${also}`;
  return (value, label) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return refuse(label, value, `${expected}, e.g. ${label}: ${example}`);
    }
    const off = zeroIsOff && value === 0;
    if (!off && (value <= 0 || value < min || value > max.value)) refuse(label, value, expected);
    return value;
  };
}

const A_YEAR = { value: MAX_SECONDS, note: 'a year' };

/** A number of seconds, at most a year. */
export function seconds(range: Range = {}): Check<number> {
  return amount('seconds', range, A_YEAR);
}

/** A number of seconds, at most a year, or a function of the sign-in's request that gives one. */
export function secondsOrFunction<F>(range: Range = {}): Check<number | F> {
  const number = amount('seconds', range, A_YEAR, ', or a function (req) => seconds');
  return (value, label) => (typeof value === 'function' ? (value as F) : number(value, label));
}

/** A number of milliseconds above 0, at most `max` (e.g. the longest timer). */
export function milliseconds(
  max: { value: number; note: string },
  example?: number,
): Check<number> {
  return amount('milliseconds', example === undefined ? {} : { example }, max);
}

/** A whole number of `unit`, 1 or more. */
export function aCount(unit: string): Check<number> {
  return satisfying(
    (value) => typeof value === 'number' && Number.isInteger(value) && value >= 1,
    `a whole number of ${unit}, 1 or more`,
  );
}

/** An array whose entries each pass `entry` (named `label[i]`); `expected` says what the array holds. */
export function listOf<T>(entry: Check<T>, expected: string): Check<readonly T[]> {
  return (value, label) => {
    if (!Array.isArray(value)) return refuse(label, value, expected);
    return value.map((item: unknown, index) => entry(item, `${label}[${index}]`));
  };
}

/**
 * An object of a few optional fields, each checked (named `label.field`) when given; any other
 * field is refused. `example` shows one, e.g. `{ total: 100000, perUser: 100 }`.
 */
export function withFields<T extends object>(
  fields: { readonly [F in keyof T]-?: Check<T[F]> },
  example: string,
): Check<T> {
  const names = Object.keys(fields);
  return (value, label) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return refuse(label, value, `an object such as ${example}`);
    }
    rejectUnknownNames(value, names, { kind: 'field', of: label });
    const given = value as Record<string, unknown>;
    const checked: Record<string, unknown> = {};
    for (const name of names) {
      const check = (fields as Record<string, Check<unknown>>)[name] as Check<unknown>;
      if (given[name] !== undefined) checked[name] = check(given[name], `${label}.${name}`);
    }
    return checked as T;
  };
}

/** The fewest letters to insert, delete or replace to turn `a` into `b` (Levenshtein). */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const replace = (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      next[j] = Math.min(replace, (row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1);
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

/**
 * A known name the typo resembles: the same letters ignoring case and `_`; else, from 5 letters
 * on, a shared stem (one starts with the other) or a slip of a letter or two (`expireAftr`), the
 * nearest first: `meterprovider` is `meterProvider`, not `meter`.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const squash = (text: string) => text.toLowerCase().replaceAll('_', '');
  const typed = squash(name);
  const exact = known.find((candidate) => squash(candidate) === typed);
  if (exact !== undefined || typed.length < 5) return exact;
  const slips = Math.min(2, Math.floor(typed.length / 4));
  const near = known
    .map((candidate) => {
      const k = squash(candidate);
      const stem = typed.startsWith(k) || k.startsWith(typed);
      return {
        candidate,
        distance: stem ? Math.abs(k.length - typed.length) : editDistance(k, typed),
        stem,
      };
    })
    .filter(({ distance, stem }) => stem || distance <= slips);
  return near.sort((a, b) => a.distance - b.distance)[0]?.candidate;
}

/**
 * Refuses the first name of `input` that is not `known`, suggesting the closest known one:
 * `unknown option "PASSIVE_URL": did you mean "passive"? The options are …`. `of` names the
 * entry (`redisStore`) or the option whose fields these are (`signInMemory`).
 */
export function rejectUnknownNames(
  input: object,
  known: readonly string[],
  { kind = 'option', of }: { kind?: 'option' | 'field'; of?: string } = {},
): void {
  for (const name of Object.keys(input)) {
    if (known.includes(name)) continue;
    const guess = closestName(name, known);
    const where = of === undefined ? '' : ` of ${of}`;
    throw new SessionSecurityConfigError(
      kind === 'option' ? name : (of ?? name),
      `unknown ${kind} ${JSON.stringify(name)}${where}${guess ? `: did you mean ${JSON.stringify(guess)}?` : '.'} The ${kind}s${where} are ${known.join(', ')}`,
    );
  }
}

/**
 * Checks an entry's options against its schema: an object (`example` shows one; `owner` names
 * the entry, e.g. `redisStore`), no unknown name, then each option in the schema's order, a
 * left-out one taking its default.
 *
 * @throws SessionSecurityConfigError naming the first wrong option
 */
export function checkOptions<S extends OptionChecks>(
  input: unknown,
  schema: S,
  { owner, example }: { owner?: string; example: string },
): CheckedOptions<S> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    const label = owner === undefined ? 'options' : `${owner} options`;
    throw new SessionSecurityConfigError(
      'options',
      `${label} (${describeValue(input)}) must be an object such as ${example}`,
    );
  }
  const names = Object.keys(schema);
  rejectUnknownNames(input, names, owner === undefined ? {} : { of: owner });
  const given = input as Record<string, unknown>;
  const checked: Record<string, unknown> = {};
  for (const name of names) {
    const option = schema[name] as CheckedOption<unknown>;
    const value = given[name];
    checked[name] =
      value === undefined && option.required === undefined
        ? option.default
        : option.check(value, name);
  }
  return checked as CheckedOptions<S>;
}

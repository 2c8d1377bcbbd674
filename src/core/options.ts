// The options (README: Options): defaults, validation at construction, and the resolved form
// every other module reads. Pure: no Node, no DOM.

import { type Clock, systemClock } from './clock.js';
import { describeValue, SessionSecurityConfigError } from './errors.js';
import type { MetricsRecorder, SessionSecurityEvent } from './events.js';
import { safeNextPath } from './next.js';
import { MAX_TIMEOUT_MS, type Timeouts } from './policy.js';
import {
  PRESET_NAMES,
  PRESETS,
  type Preset,
  type PresetLimit,
  readableSeconds,
} from './presets.js';
import type { ActivityStore } from './store.js';

/** A request that never counts as activity: an exact path, a `/prefix/*`, a RegExp or a predicate. */
export type PassiveRule<Req> = string | RegExp | ((req: Req) => boolean);

/** Where the library reports what an operator must know. Defaults to `console`. */
export interface Logger {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * A time in seconds, or a function of the sign-in's request that gives it (evaluated once, at
 * sign-in, and kept with that sign-in's clock).
 */
export type PerUser<Req> = number | ((req: Req) => number | Promise<number>);

/** What the app attaches to every event of a sign-in: flat JSON values, evaluated at sign-in. */
export type EventData = Record<string, string | number | boolean | null>;

/** The options shared by every adapter. Times are in seconds. */
export interface SessionSecurityOptions<Req> {
  /**
   * A compliance preset: sets `expireAfter` and `absoluteTimeout` from the standard. Explicit
   * options may only tighten it. Default none.
   */
  preset?: Preset;
  /**
   * Seconds of inactivity after which the session ends. Default 900 (PCI DSS 8.2.8), or the
   * preset's. A function of the request sets it per user at sign-in.
   */
  expireAfter?: PerUser<Req>;
  /** Seconds of inactivity after which the browser warns. Default `expireAfter - min(120, expireAfter / 4)`. */
  warnAfter?: PerUser<Req>;
  /** Seconds after sign-in after which the session ends whatever the activity; `0` = off. Default 0. */
  absoluteTimeout?: PerUser<Req>;
  /** Whether the request belongs to a signed-in user. Required. */
  isAuthenticated: (req: Req) => boolean | Promise<boolean>;
  /** How to end the session. Default: the adapter regenerates the session (a fresh anonymous one). */
  logout?: (req: Req) => void | Promise<void>;
  /** Where expired navigations and tabs go (a path on this site or an absolute http(s) URL). Default none. */
  loginUrl?: string;
  /** Requests that never count as activity. Default `[]`. */
  passive?: readonly PassiveRule<Req>[];
  /** Extra origins (`https://host[:port]`) allowed to call the ping; the app's own always is. Default `[]`. */
  trustedOrigins?: readonly string[];
  /** What `Clear-Site-Data` the library's explicit sign-out asks for (never sent on expiry). Default `['cache']`. */
  clearSiteData?: readonly ClearSiteDataType[];
  /** Whether the browser client may run inside a frame. Default false: a framed page reports no input. */
  allowFrames?: boolean;
  /**
   * Whether a tab signed out on expiry keeps its unsent forms in its `sessionStorage`, for the
   * same user to find after signing in again. Default true: then `userId` and `draftSecret` are
   * required. `false` turns drafts off.
   */
  drafts?: boolean;
  /** The signed-in user's id (a string), for drafts and per-user features. Required while drafts are on. */
  userId?: (req: Req) => string;
  /**
   * The secret that turns a user id into the opaque key drafts are marked with (never the id
   * itself): at least 32 characters, the same on every instance, stable across restarts.
   * Required while drafts are on.
   */
  draftSecret?: string;
  /** Seconds a kept draft lives; an older one is deleted unread. Default 86400 (24 h). */
  draftMaxAge?: number;
  /**
   * Called with every audit event (sign-in, extension, expiry, sign-out, refused request, store
   * failure). Never awaited: a slow or failing hook delays no request (failures are logged).
   */
  onEvent?: (event: SessionSecurityEvent) => void | Promise<void>;
  /** What to attach to every event of a sign-in (e.g. a tenant), evaluated at sign-in; at most 1 KB of JSON. */
  eventData?: (req: Req) => EventData;
  /** Where counts go: `openTelemetryMetrics()` from 'session-security/opentelemetry', or your own recorder. */
  metrics?: MetricsRecorder;
  /**
   * Seconds between sweeps for sign-ins nobody came back to (their `expired` event, and the
   * memory of them). Default 60; 0 turns the timer off (call `sweep()` yourself).
   */
  sweepInterval?: number;
  /**
   * The most live sign-ins one user may have (Spring Session's maximum sessions, Keycloak's
   * per-user limit); `userId` is required with it. Default none. With the default store it
   * counts the sign-ins this process knows; with Redis, every instance's.
   */
  maxSignInsPerUser?: number;
  /**
   * What a sign-in past `maxSignInsPerUser` does: `'end-oldest'` ends the user's least recently
   * active sign-in (`signed-out` event, how `replaced`), `'refuse'` makes `start(req)` throw a
   * `SignInRefusedError` (429) the app can show. Default `'end-oldest'`.
   */
  onMaxSignIns?: 'end-oldest' | 'refuse';
  /**
   * The bounds of the default store's memory of sign-ins (live, and ended within their
   * expireAfter): at most `total` in the process (default 100,000) and `perUser` for one user
   * (default 100). Past a bound new sign-ins are refused, never an old one forgotten. Only with
   * the default store.
   */
  signInMemory?: { total?: number; perUser?: number };
  /** Where sign-in clocks live. Default: the session object (and ended sign-ins in this process's memory). */
  store?: ActivityStore;
  /** Path under which the ping protocol is mounted. Default `/session-security`. */
  prefix?: string;
  /** The clock, for tests. Default the system clock. */
  clock?: Clock;
  /** Where warnings and errors go. Default `console`. */
  logger?: Logger;
}

/** The per-user timeouts: functions of the sign-in's request, where the options gave functions. */
export interface PerUserTimeouts<Req> {
  expireAfter?: (req: Req) => number | Promise<number>;
  warnAfter?: (req: Req) => number | Promise<number>;
  absoluteTimeout?: (req: Req) => number | Promise<number>;
  /** Whether `warnAfter` was given as a number (else it follows each sign-in's expireAfter). */
  warnAfterGiven: boolean;
}

/** The options after validation, with every default filled in and times in milliseconds. */
export interface ResolvedOptions<Req> {
  /** The compliance preset the times were checked against, if any. */
  preset: Preset | undefined;
  expireAfterMs: number;
  warnAfterMs: number;
  /** 0 when there is no absolute timeout. */
  absoluteTimeoutMs: number;
  /** Undefined when every timeout is a number. */
  perUser: PerUserTimeouts<Req> | undefined;
  onEvent: ((event: SessionSecurityEvent) => void | Promise<void>) | undefined;
  eventData: ((req: Req) => EventData) | undefined;
  metrics: MetricsRecorder | undefined;
  sweepIntervalMs: number;
  isAuthenticated: (req: Req) => boolean | Promise<boolean>;
  logout: ((req: Req) => void | Promise<void>) | undefined;
  loginUrl: string | undefined;
  passive: readonly PassiveRule<Req>[];
  trustedOrigins: ReadonlySet<string>;
  clearSiteData: readonly ClearSiteDataType[];
  allowFrames: boolean;
  /** Undefined when drafts are off. */
  drafts: ResolvedDrafts<Req> | undefined;
  userId: ((req: Req) => string) | undefined;
  /** Undefined for no limit. */
  maxSignInsPerUser: number | undefined;
  onMaxSignIns: 'end-oldest' | 'refuse';
  /** The default store's bounds (undefined with another store). */
  signInMemory: { total: number; perUser: number } | undefined;
  /** Undefined for the default: the session object. */
  store: ActivityStore | undefined;
  prefix: string;
  clock: Clock;
  logger: Logger;
}

/** The drafts settings, once validated. */
export interface ResolvedDrafts<Req> {
  userId: (req: Req) => string;
  secret: string;
  maxAgeMs: number;
}

/** The shortest `draftSecret`: a key that cannot be guessed. */
export const MIN_DRAFT_SECRET_LENGTH = 32;
export const DEFAULT_DRAFT_MAX_AGE_SECONDS = 24 * 3600;

/**
 * A `Clear-Site-Data` directive. `cookies` and `storage` clear the whole registrable domain
 * (every subdomain's cookies, every origin's storage under it), so they are opt-in.
 */
export type ClearSiteDataType = 'cache' | 'cookies' | 'storage' | 'executionContexts';

const CLEAR_SITE_DATA_TYPES: readonly ClearSiteDataType[] = [
  'cache',
  'cookies',
  'storage',
  'executionContexts',
];

export const DEFAULT_EXPIRE_AFTER_SECONDS = 900;
export const DEFAULT_PREFIX = '/session-security';
export const DEFAULT_SWEEP_INTERVAL_SECONDS = 60;
/** WCAG 2.2.1 asks for at least 20 seconds to react to a time limit. */
export const MIN_ACCESSIBLE_WARNING_SECONDS = 20;

/** Every option's name: anything else is refused as unknown. */
export const OPTION_NAMES = [
  'preset',
  'expireAfter',
  'warnAfter',
  'absoluteTimeout',
  'isAuthenticated',
  'logout',
  'loginUrl',
  'passive',
  'trustedOrigins',
  'clearSiteData',
  'allowFrames',
  'drafts',
  'userId',
  'draftSecret',
  'draftMaxAge',
  'onEvent',
  'eventData',
  'metrics',
  'sweepInterval',
  'maxSignInsPerUser',
  'onMaxSignIns',
  'signInMemory',
  'store',
  'prefix',
  'clock',
  'logger',
] as const satisfies readonly (keyof SessionSecurityOptions<never>)[];

/** Compiles only while OPTION_NAMES names every option of SessionSecurityOptions. */
type Unlisted = Exclude<keyof SessionSecurityOptions<never>, (typeof OPTION_NAMES)[number]>;
const everyOptionListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOptionListed;

/** The default warning time: two minutes before expiry, or a quarter of `expireAfter` when shorter. */
export function defaultWarnAfter(expireAfterSeconds: number): number {
  return expireAfterSeconds - Math.min(120, expireAfterSeconds / 4);
}

/**
 * Validates the options and fills in the defaults.
 *
 * @param input - the options as the user wrote them
 * @returns the resolved options, times in milliseconds
 * @throws SessionSecurityConfigError naming the option, the value received and the fix
 * @example
 * ```ts
 * const resolved = resolveOptions({ expireAfter: 600, isAuthenticated: (req) => !!req.session.user });
 * resolved.warnAfterMs; // 480000
 * ```
 */
export function resolveOptions<Req>(input: SessionSecurityOptions<Req>): ResolvedOptions<Req> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new SessionSecurityConfigError(
      'options',
      `options (${describeValue(input)}) must be an object, e.g. { isAuthenticated: (req) => Boolean(req.session.user) }`,
    );
  }
  rejectUnknownNames(input);

  const preset = presetOf(input.preset);
  const perUser = perUserTimeouts(input);
  const fixed = (value: unknown) => (typeof value === 'function' ? undefined : value);
  const { expireAfter, warnAfter, absoluteTimeout } = checkTimeouts(
    {
      expireAfter: fixed(input.expireAfter),
      warnAfter: fixed(input.warnAfter),
      absoluteTimeout: fixed(input.absoluteTimeout),
    },
    preset,
  );

  const isAuthenticated = input.isAuthenticated;
  if (typeof isAuthenticated !== 'function') {
    throw new SessionSecurityConfigError(
      'isAuthenticated',
      `isAuthenticated (${describeValue(isAuthenticated)}) must be a function (req) => boolean that tells whether the request belongs to a signed-in user, e.g. (req) => Boolean(req.session.user)`,
    );
  }
  const logout = input.logout;
  if (logout !== undefined && typeof logout !== 'function') {
    throw new SessionSecurityConfigError(
      'logout',
      `logout (${describeValue(logout)}) must be a function (req) => void | Promise<void> that ends the session, or be left out to regenerate the session`,
    );
  }

  const logger = input.logger ?? console;
  if (typeof logger?.warn !== 'function' || typeof logger?.error !== 'function') {
    throw new SessionSecurityConfigError(
      'logger',
      `logger (${describeValue(logger)}) must be an object with warn(message) and error(message, error) methods, such as console`,
    );
  }
  const clock = input.clock ?? systemClock;
  if (typeof clock?.now !== 'function') {
    throw new SessionSecurityConfigError(
      'clock',
      `clock (${describeValue(clock)}) must be an object with a now() method returning milliseconds, like { now: () => Date.now() }`,
    );
  }

  if (expireAfter - warnAfter < MIN_ACCESSIBLE_WARNING_SECONDS) {
    logger.warn(
      `session-security: the warning window (expireAfter ${expireAfter} - warnAfter ${warnAfter} = ${expireAfter - warnAfter} s) is under ${MIN_ACCESSIBLE_WARNING_SECONDS} s, which fails WCAG 2.2.1 (users need at least 20 s to react); ${
        expireAfter > MIN_ACCESSIBLE_WARNING_SECONDS
          ? `lower warnAfter to at most ${expireAfter - MIN_ACCESSIBLE_WARNING_SECONDS}, or raise expireAfter to at least ${warnAfter + MIN_ACCESSIBLE_WARNING_SECONDS}`
          : `raise expireAfter to at least ${warnAfter + MIN_ACCESSIBLE_WARNING_SECONDS}`
      }`,
    );
  }

  return {
    preset,
    expireAfterMs: expireAfter * 1000,
    warnAfterMs: warnAfter * 1000,
    absoluteTimeoutMs: absoluteTimeout * 1000,
    perUser,
    onEvent: hook(
      'onEvent',
      input.onEvent,
      '(event) => void, e.g. (event) => auditLog.info(event)',
    ),
    eventData: hook('eventData', input.eventData, '(req) => ({ tenant: req.user.tenant })'),
    metrics: metrics(input.metrics),
    sweepIntervalMs:
      seconds('sweepInterval', input.sweepInterval, DEFAULT_SWEEP_INTERVAL_SECONDS, {
        allowZero: true,
        min: 1,
      }) * 1000,
    isAuthenticated,
    logout,
    loginUrl: loginUrl(input.loginUrl),
    passive: passiveRules(input.passive),
    trustedOrigins: trustedOrigins(input.trustedOrigins),
    clearSiteData: clearSiteData(input.clearSiteData),
    allowFrames: allowFrames(input.allowFrames),
    drafts: drafts(input),
    userId: userId(input.userId),
    ...signInLimits(input),
    store: store(input.store),
    prefix: prefix(input.prefix),
    clock,
    logger,
  };
}

/** A whole number of sign-ins, 1 or more, or the default when left out. */
function signInCount(option: string, value: unknown, fallback: number | undefined) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new SessionSecurityConfigError(
      option,
      `${option} (${describeValue(value)}) must be a whole number of sign-ins, 1 or more`,
    );
  }
  return value;
}

/** maxSignInsPerUser, onMaxSignIns and signInMemory, checked against each other. */
function signInLimits<Req>(input: SessionSecurityOptions<Req>) {
  const maxSignInsPerUser = signInCount('maxSignInsPerUser', input.maxSignInsPerUser, undefined);
  if (maxSignInsPerUser !== undefined && typeof input.userId !== 'function') {
    throw new SessionSecurityConfigError(
      'maxSignInsPerUser',
      `maxSignInsPerUser (${maxSignInsPerUser}) needs the userId option, (req) => string giving the signed-in user's id, to count each user's sign-ins`,
    );
  }
  const onMaxSignIns = input.onMaxSignIns ?? 'end-oldest';
  if (onMaxSignIns !== 'end-oldest' && onMaxSignIns !== 'refuse') {
    throw new SessionSecurityConfigError(
      'onMaxSignIns',
      `onMaxSignIns (${describeValue(onMaxSignIns)}) must be 'end-oldest' (end the least recently active sign-in) or 'refuse' (start(req) throws)`,
    );
  }
  const memory: unknown = input.signInMemory;
  if (memory !== undefined && input.store !== undefined) {
    throw new SessionSecurityConfigError(
      'signInMemory',
      'signInMemory bounds the default store, which keeps sign-ins in this process; the store option replaces it: leave signInMemory out',
    );
  }
  if (memory !== undefined && (memory === null || typeof memory !== 'object')) {
    throw new SessionSecurityConfigError(
      'signInMemory',
      `signInMemory (${describeValue(memory)}) must be an object such as { total: 100000, perUser: 100 }`,
    );
  }
  const { total, perUser, ...unknown } = (memory ?? {}) as Record<string, unknown>;
  const extra = Object.keys(unknown)[0];
  if (extra !== undefined) {
    throw new SessionSecurityConfigError(
      'signInMemory',
      `signInMemory has no field ${JSON.stringify(extra)}: expected total and perUser`,
    );
  }
  const signInMemory =
    input.store === undefined
      ? {
          total: signInCount('signInMemory.total', total, 100_000) as number,
          perUser: signInCount('signInMemory.perUser', perUser, 100) as number,
        }
      : undefined;
  if (signInMemory && maxSignInsPerUser !== undefined && maxSignInsPerUser > signInMemory.perUser) {
    throw new SessionSecurityConfigError(
      'maxSignInsPerUser',
      `maxSignInsPerUser (${maxSignInsPerUser}) is more than signInMemory.perUser (${signInMemory.perUser}), the sign-ins of one user the default store remembers: raise signInMemory.perUser`,
    );
  }
  return { maxSignInsPerUser, onMaxSignIns, signInMemory };
}

/** The timeouts in seconds, after the rules every timeout obeys. */
interface CheckedTimeouts {
  expireAfter: number;
  warnAfter: number;
  absoluteTimeout: number;
}

/**
 * The rules every set of timeouts obeys, the options' own or a sign-in's: the ranges, the
 * preset's limits, and the warning before the expiry. A missing value takes its default.
 *
 * @throws SessionSecurityConfigError naming the value that breaks a rule
 */
function checkTimeouts(
  values: { expireAfter?: unknown; warnAfter?: unknown; absoluteTimeout?: unknown },
  preset: Preset | undefined,
): CheckedTimeouts {
  const rule = preset ? PRESETS[preset] : undefined;
  // At least the 1 s granularity of activity writes: a shorter timeout could not be kept.
  const expireAfter = seconds(
    'expireAfter',
    values.expireAfter,
    rule?.idle.seconds ?? DEFAULT_EXPIRE_AFTER_SECONDS,
    { allowZero: false, min: 1 },
  );
  if (preset && rule) notLooser(preset, 'expireAfter', expireAfter, rule.idle, 'idle');
  const warnAfter = seconds('warnAfter', values.warnAfter, defaultWarnAfter(expireAfter), {
    allowZero: false,
    min: 0,
  });
  if (warnAfter >= expireAfter) {
    throw new SessionSecurityConfigError(
      'warnAfter',
      `warnAfter (${warnAfter}) must be less than expireAfter (${expireAfter}): the warning must come before the expiry`,
    );
  }
  const absoluteTimeout = seconds(
    'absoluteTimeout',
    values.absoluteTimeout,
    rule?.overall?.seconds ?? 0,
    { allowZero: true, min: 1 },
  );
  if (preset && rule?.overall) {
    notLooser(preset, 'absoluteTimeout', absoluteTimeout, rule.overall, 'overall');
  }
  return { expireAfter, warnAfter, absoluteTimeout };
}

const TIMEOUT_NAMES = ['expireAfter', 'warnAfter', 'absoluteTimeout'] as const;

function perUserTimeouts<Req>(
  input: SessionSecurityOptions<Req>,
): PerUserTimeouts<Req> | undefined {
  const functions: Omit<PerUserTimeouts<Req>, 'warnAfterGiven'> = {};
  for (const name of TIMEOUT_NAMES) {
    const value = input[name];
    if (typeof value === 'function') functions[name] = value;
  }
  if (Object.keys(functions).length === 0) return undefined;
  return { ...functions, warnAfterGiven: typeof input.warnAfter === 'number' };
}

/** A sign-in's own timeouts; `error` says why the static ones were used instead. */
export interface SignInTimeouts {
  timeouts: Timeouts;
  /** Undefined when the sign-in's values were used. */
  error?: string;
}

/**
 * Evaluates the per-user timeouts for a sign-in's request, under the rules the options obey.
 * A value that breaks one (or a function that throws) is not used: the sign-in gets the static
 * values, and `error` names the function and the value.
 *
 * @example
 * ```ts
 * const resolved = resolveOptions({ isAuthenticated, drafts: false, expireAfter: (req) => req.user.isAdmin ? 300 : 900 });
 * (await signInTimeouts(adminRequest, resolved)).timeouts.expireAfterMs; // 300000
 * ```
 */
export async function signInTimeouts<Req>(
  req: Req,
  resolved: ResolvedOptions<Req>,
): Promise<SignInTimeouts> {
  const staticTimeouts: Timeouts = {
    expireAfterMs: resolved.expireAfterMs,
    warnAfterMs: resolved.warnAfterMs,
    absoluteTimeoutMs: resolved.absoluteTimeoutMs,
  };
  const perUser = resolved.perUser;
  if (perUser === undefined) return { timeouts: staticTimeouts };
  const values: Record<(typeof TIMEOUT_NAMES)[number], unknown> = {
    expireAfter: resolved.expireAfterMs / 1000,
    warnAfter: perUser.warnAfterGiven ? resolved.warnAfterMs / 1000 : undefined,
    absoluteTimeout: resolved.absoluteTimeoutMs / 1000,
  };
  const returned: string[] = [];
  for (const name of TIMEOUT_NAMES) {
    const compute = perUser[name];
    if (compute === undefined) continue;
    try {
      values[name] = await compute(req);
    } catch (error) {
      const why = error instanceof Error ? `${error.name}: ${error.message}` : describeValue(error);
      return { timeouts: staticTimeouts, error: `${name}(req) threw (${why})` };
    }
    returned.push(`${name}(req) returned ${describeValue(values[name])}`);
    // Undefined would silently take the default: a mix of per-user and static values.
    if (values[name] === undefined) {
      return {
        timeouts: staticTimeouts,
        error: `${returned.join(', ')}: it must return a number of seconds`,
      };
    }
  }
  try {
    const checked = checkTimeouts(values, resolved.preset);
    return {
      timeouts: {
        expireAfterMs: checked.expireAfter * 1000,
        warnAfterMs: checked.warnAfter * 1000,
        absoluteTimeoutMs: checked.absoluteTimeout * 1000,
      },
    };
  } catch (error) {
    if (!(error instanceof SessionSecurityConfigError)) throw error;
    return { timeouts: staticTimeouts, error: `${returned.join(', ')}: ${error.message}` };
  }
}

function presetOf(value: unknown): Preset | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (PRESET_NAMES as string[]).includes(value)) {
    return value as Preset;
  }
  throw new SessionSecurityConfigError(
    'preset',
    `preset (${describeValue(value)}) must be one of ${PRESET_NAMES.map((name) => JSON.stringify(name)).join(', ')}, or be left out`,
  );
}

/**
 * Why: a preset is a promise to an auditor; an explicit option may tighten it, never loosen it.
 * 0 (off) for an overall limit is the loosest of all.
 */
function notLooser(
  preset: Preset,
  option: string,
  valueSeconds: number,
  limit: PresetLimit,
  kind: 'idle' | 'overall',
): void {
  if (valueSeconds !== 0 && valueSeconds <= limit.seconds) return;
  const { standard, clause } = PRESETS[preset];
  const verb = limit.strength === 'shall' ? 'requires' : 'recommends (should)';
  const given =
    valueSeconds === 0 ? '0 (off)' : `${valueSeconds} (${readableSeconds(valueSeconds)})`;
  throw new SessionSecurityConfigError(
    option,
    `${option} ${given} loosens the preset "${preset}": ${standard} ${clause} ${verb} an ${kind} limit of at most ${readableSeconds(limit.seconds)} (${limit.seconds} s); an explicit option may only tighten a preset`,
  );
}

function rejectUnknownNames(input: object): void {
  const known: readonly string[] = OPTION_NAMES;
  for (const name of Object.keys(input)) {
    if (known.includes(name)) continue;
    const guess = closestName(name);
    throw new SessionSecurityConfigError(
      name,
      `unknown option ${JSON.stringify(name)}${guess ? `: did you mean ${JSON.stringify(guess)}?` : '.'} The options are ${known.join(', ')}`,
    );
  }
}

/** A known option that the typo resembles: same letters ignoring case and `_`, or a shared stem. */
function closestName(name: string): string | undefined {
  const squash = (s: string) => s.toLowerCase().replaceAll('_', '');
  const typed = squash(name);
  return OPTION_NAMES.find((known) => {
    const k = squash(known);
    return k === typed || (typed.length >= 5 && (typed.startsWith(k) || k.startsWith(typed)));
  });
}

/** The longest time an option takes: a year. Longer is a mistake, and past it times lose precision. */
export const MAX_SECONDS = MAX_TIMEOUT_MS / 1000;

function seconds(
  option: string,
  value: unknown,
  fallback: number,
  { allowZero, min }: { allowZero: boolean; min: number },
): number {
  if (value === undefined) return fallback;
  const range = `${min > 0 ? `at least ${min}` : 'greater than 0'} and at most ${MAX_SECONDS} (a year)`;
  const expected = allowZero
    ? `a finite number of seconds, 0 (off) or ${range}`
    : `a finite number of seconds, ${range}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SessionSecurityConfigError(
      option,
      `${option} (${describeValue(value)}) must be ${expected}, e.g. ${option}: 900`,
    );
  }
  const off = allowZero && value === 0;
  if (!off && (value <= 0 || value < min || value > MAX_SECONDS)) {
    throw new SessionSecurityConfigError(option, `${option} (${value}) must be ${expected}`);
  }
  return value;
}

function loginUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const fix =
    'must be a plain path on this site starting with "/" (e.g. "/login"; no "//", "\\", dot segments or characters to escape) or an absolute http(s) URL';
  if (typeof value !== 'string' || value === '') {
    throw new SessionSecurityConfigError('loginUrl', `loginUrl (${describeValue(value)}) ${fix}`);
  }
  // A path gets the check `next` gets: "/.//evil.example" is "//evil.example" to a browser.
  if (value.startsWith('/') && safeNextPath(value) === value) return value;
  if (/^https?:\/\/[^/\\]/i.test(value) && !/[\s\p{Cc}\\]/u.test(value)) {
    try {
      new URL(value);
      return value;
    } catch {
      // falls through to the error below
    }
  }
  throw new SessionSecurityConfigError('loginUrl', `loginUrl (${describeValue(value)}) ${fix}`);
}

function passiveRules<Req>(value: unknown): readonly PassiveRule<Req>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new SessionSecurityConfigError(
      'passive',
      `passive (${describeValue(value)}) must be an array of rules, e.g. ['/api/poll', '/events/*', /^\\/metrics/, (req) => boolean]`,
    );
  }
  value.forEach((rule: unknown, index) => {
    const ok =
      (typeof rule === 'string' && rule.startsWith('/')) ||
      rule instanceof RegExp ||
      typeof rule === 'function';
    if (!ok) {
      throw new SessionSecurityConfigError(
        'passive',
        `passive[${index}] (${describeValue(rule)}) must be a path starting with "/" (exact, or ending in "/*" for a prefix), a RegExp, or a function (req) => boolean`,
      );
    }
  });
  return [...value];
}

function trustedOrigins(value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value)) {
    throw new SessionSecurityConfigError(
      'trustedOrigins',
      `trustedOrigins (${describeValue(value)}) must be an array of origins, e.g. ['https://admin.example.com']`,
    );
  }
  const origins = new Set<string>();
  value.forEach((entry: unknown, index) => {
    if (typeof entry === 'string' && entry.includes('*')) {
      throw new SessionSecurityConfigError(
        'trustedOrigins',
        `trustedOrigins[${index}] (${describeValue(entry)}) has a wildcard, which is not supported: list each origin in full, e.g. "https://admin.example.com"`,
      );
    }
    const origin = typeof entry === 'string' ? originOf(entry) : undefined;
    if (origin === undefined) {
      throw new SessionSecurityConfigError(
        'trustedOrigins',
        `trustedOrigins[${index}] (${describeValue(entry)}) must be an origin: http(s)://host with an optional :port and no path, e.g. "https://admin.example.com"`,
      );
    }
    origins.add(origin);
  });
  return origins;
}

/** The origin a string names, or undefined when it is not a bare http(s) origin. */
function originOf(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  return /^https?:$/.test(url.protocol) && bare ? url.origin : undefined;
}

function clearSiteData(value: unknown): readonly ClearSiteDataType[] {
  if (value === undefined) return ['cache'];
  const known: readonly unknown[] = CLEAR_SITE_DATA_TYPES;
  if (!Array.isArray(value) || !value.every((entry) => known.includes(entry))) {
    throw new SessionSecurityConfigError(
      'clearSiteData',
      `clearSiteData (${describeValue(value)}) must be an array of ${CLEAR_SITE_DATA_TYPES.map((type) => JSON.stringify(type)).join(', ')}, e.g. ['cache'] (the default) or [] for none`,
    );
  }
  return [...new Set<ClearSiteDataType>(value)];
}

function allowFrames(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new SessionSecurityConfigError(
      'allowFrames',
      `allowFrames (${describeValue(value)}) must be true or false (the default: the client does not run inside frames)`,
    );
  }
  return value;
}

function userId<Req>(value: unknown): ((req: Req) => string) | undefined {
  if (value === undefined || typeof value === 'function') {
    return value as ((req: Req) => string) | undefined;
  }
  throw new SessionSecurityConfigError(
    'userId',
    `userId (${describeValue(value)}) must be a function (req) => string giving the signed-in user's id, e.g. (req) => req.session.user.id`,
  );
}

/** Why: a draft holds what a user typed; only the same user may get it back, so it needs their key. */
function drafts<Req>(input: SessionSecurityOptions<Req>): ResolvedDrafts<Req> | undefined {
  const on = input.drafts ?? true;
  if (typeof on !== 'boolean') {
    throw new SessionSecurityConfigError(
      'drafts',
      `drafts (${describeValue(input.drafts)}) must be true (the default: forms survive expiry and sign-in again) or false`,
    );
  }
  const maxAge = seconds('draftMaxAge', input.draftMaxAge, DEFAULT_DRAFT_MAX_AGE_SECONDS, {
    allowZero: false,
    min: 1,
  });
  const secret = input.draftSecret;
  if (
    secret !== undefined &&
    (typeof secret !== 'string' || secret.length < MIN_DRAFT_SECRET_LENGTH)
  ) {
    throw new SessionSecurityConfigError(
      'draftSecret',
      `draftSecret (${typeof secret === 'string' ? `${secret.length} characters` : describeValue(secret)}) must be a string of at least ${MIN_DRAFT_SECRET_LENGTH} characters, the same on every instance and stable across restarts, e.g. process.env.DRAFT_SECRET`,
    );
  }
  if (!on) return undefined;
  const fix =
    'drafts are on by default (forms survive expiry and sign-in again, for the same user only); give both userId and draftSecret, or set drafts: false';
  if (typeof input.userId !== 'function') {
    throw new SessionSecurityConfigError(
      'userId',
      `userId (${describeValue(input.userId)}) is required while drafts are on: a function (req) => string giving the signed-in user's id; ${fix}`,
    );
  }
  if (secret === undefined) {
    throw new SessionSecurityConfigError(
      'draftSecret',
      `draftSecret is required while drafts are on: a secret of at least ${MIN_DRAFT_SECRET_LENGTH} characters, the same on every instance and stable across restarts (e.g. process.env.DRAFT_SECRET); ${fix}`,
    );
  }
  return { userId: input.userId, secret, maxAgeMs: maxAge * 1000 };
}

function hook<T>(option: string, value: unknown, example: string): T | undefined {
  if (value === undefined || typeof value === 'function') return value as T | undefined;
  throw new SessionSecurityConfigError(
    option,
    `${option} (${describeValue(value)}) must be a function ${example}, or be left out`,
  );
}

function metrics(value: unknown): MetricsRecorder | undefined {
  if (value === undefined) return undefined;
  const recorder = value as Partial<MetricsRecorder> | null;
  if (typeof recorder?.event !== 'function' || typeof recorder.ping !== 'function') {
    throw new SessionSecurityConfigError(
      'metrics',
      `metrics (${describeValue(value)}) must be a recorder with event(event) and ping(method) methods, e.g. openTelemetryMetrics() from 'session-security/opentelemetry'`,
    );
  }
  return recorder as MetricsRecorder;
}

function store(value: unknown): ActivityStore | undefined {
  if (value === undefined) return undefined;
  const methods = ['touch', 'start', 'end', 'peek'];
  const isStore =
    value !== null &&
    typeof value === 'object' &&
    methods.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
  if (!isStore) {
    throw new SessionSecurityConfigError(
      'store',
      `store (${describeValue(value)}) must be an activity store with ${methods.join(', ')} methods, e.g. redisStore({ client }) from 'session-security/redis', or be left out to keep clocks in the session`,
    );
  }
  return value as ActivityStore;
}

function prefix(value: unknown): string {
  if (value === undefined) return DEFAULT_PREFIX;
  if (typeof value !== 'string' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(value)) {
    throw new SessionSecurityConfigError(
      'prefix',
      `prefix (${describeValue(value)}) must be a path such as "/session-security": starting with "/", without a trailing "/", query or special characters`,
    );
  }
  return value;
}

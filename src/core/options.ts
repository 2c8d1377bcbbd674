// The options of DESIGN §2: defaults, validation at construction, and the resolved form
// every other module reads. Pure: no Node, no DOM.

import { type Clock, systemClock } from './clock.js';
import { describeValue, SessionSecurityConfigError } from './errors.js';
import { safeNextPath } from './next.js';
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

/** The options shared by every adapter. Times are in seconds. */
export interface SessionSecurityOptions<Req> {
  /**
   * A compliance preset: sets `expireAfter` and `absoluteTimeout` from the standard. Explicit
   * options may only tighten it. Default none.
   */
  preset?: Preset;
  /** Seconds of inactivity after which the session ends. Default 900 (PCI DSS 8.2.8), or the preset's. */
  expireAfter?: number;
  /** Seconds of inactivity after which the browser warns. Default `expireAfter - min(120, expireAfter / 4)`. */
  warnAfter?: number;
  /** Seconds after sign-in after which the session ends whatever the activity; `0` = off. Default 0. */
  absoluteTimeout?: number;
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
  /** Where sign-in clocks live. Default: the session object (and ended sign-ins in this process's memory). */
  store?: ActivityStore;
  /** Path under which the ping protocol is mounted. Default `/session-security`. */
  prefix?: string;
  /** The clock, for tests. Default the system clock. */
  clock?: Clock;
  /** Where warnings and errors go. Default `console`. */
  logger?: Logger;
}

/** The options after validation, with every default filled in and times in milliseconds. */
export interface ResolvedOptions<Req> {
  /** The compliance preset the times were checked against, if any. */
  preset: Preset | undefined;
  expireAfterMs: number;
  warnAfterMs: number;
  /** 0 when there is no absolute timeout. */
  absoluteTimeoutMs: number;
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
  'store',
  'prefix',
  'clock',
  'logger',
] as const;

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
  const rule = preset ? PRESETS[preset] : undefined;
  // At least the 1 s granularity of activity writes: a shorter timeout could not be kept.
  const expireAfter = seconds(
    'expireAfter',
    input.expireAfter,
    rule?.idle.seconds ?? DEFAULT_EXPIRE_AFTER_SECONDS,
    { allowZero: false, min: 1 },
  );
  if (preset && rule) notLooser(preset, 'expireAfter', expireAfter, rule.idle, 'idle');
  const warnAfter = seconds('warnAfter', input.warnAfter, defaultWarnAfter(expireAfter), {
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
    input.absoluteTimeout,
    rule?.overall?.seconds ?? 0,
    { allowZero: true, min: 1 },
  );
  if (preset && rule?.overall) {
    notLooser(preset, 'absoluteTimeout', absoluteTimeout, rule.overall, 'overall');
  }

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
    isAuthenticated,
    logout,
    loginUrl: loginUrl(input.loginUrl),
    passive: passiveRules(input.passive),
    trustedOrigins: trustedOrigins(input.trustedOrigins),
    clearSiteData: clearSiteData(input.clearSiteData),
    allowFrames: allowFrames(input.allowFrames),
    drafts: drafts(input),
    userId: userId(input.userId),
    store: store(input.store),
    prefix: prefix(input.prefix),
    clock,
    logger,
  };
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
export const MAX_SECONDS = 365 * 24 * 3600;

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

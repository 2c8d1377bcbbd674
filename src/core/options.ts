// The options (docs/guide/options.md: Options): their interface, their validation at construction (each option
// by its entry of src/core/option-schema.ts, then the rules between options), and the resolved
// form every other module reads. Pure: no Node, no DOM.

import { type CheckedOptions, checkOptions, seconds } from './checks.js';
import type { Clock } from './clock.js';
import { describeValue, SessionSecurityConfigError } from './errors.js';
import type { MetricsRecorder, SessionSecurityEvent } from './events.js';
import {
  DEFAULT_EXPIRE_AFTER_SECONDS,
  MIN_DRAFT_SECRET_LENGTH,
  OPTION_SCHEMA,
} from './option-schema.js';
import type { Timeouts } from './policy.js';
import { PRESETS, type Preset, type PresetLimit, readableSeconds } from './presets.js';
import type { ActivityStore } from './store.js';

/** A request that never counts as activity: an exact path, a `/prefix/*`, a RegExp or a predicate. */
export type PassiveRule<Req> = string | RegExp | ((req: Req) => boolean);

/** Where the library reports what an operator must know. Defaults to `console`. */
export interface Logger {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
  /** A note at start-up (which optional feature is off, and how to turn it on); `warn` without it. */
  info?(message: string): void;
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
   * same user to find after signing in again. Default: on when `draftSecret` is given (then
   * `userId` is required too), off otherwise, with one line at start-up saying how to turn them
   * on. `false` turns them off; `true` insists (and needs both).
   */
  drafts?: boolean;
  /**
   * Sign in again in place: on expiry every tab of the app covers its page, keeping its forms and
   * state, and asks for the password (and a passkey, where the app has them) instead of leaving
   * for the login page; the same user then carries on in every tab with a new sign-in, another
   * user gets each tab reloaded. `verify(req, credentials)` is the app's own credential check:
   * when the credentials hold, it signs that user in on `req`'s session as the app's login does
   * and resolves true. Needs drafts (`userId` and `draftSecret`): the same user is told from
   * another by their drafts key. Default none: an expired tab goes to `loginUrl`.
   */
  lock?: LockOptions<Req>;
  /**
   * The signed-in user's id (a string): drafts, events, a user's sign-ins and the per-user limit
   * use it. Required with drafts and with `maxSignInsPerUser`.
   */
  userId?: (req: Req) => string;
  /**
   * The secret that turns a user id into the opaque key drafts are marked with (never the id
   * itself): at least 32 characters, the same on every instance, stable across restarts.
   * Giving it turns drafts on.
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
  /**
   * The browser's leases (`sessionSecurity.hold(work)` around an upload): off unless given.
   * `maxSeconds` is the longest one may hold its sign-in (default 3600); the browser may ask
   * for less, never more. The app's own `security.hold(req, work, { maxSeconds })` needs no
   * option.
   */
  leases?: { maxSeconds?: number };
  /**
   * Explains each sign-in, for development and support: a `trace` event for every request of a
   * sign-in (what it did to the clock, and why: a request, a ping, a lease, a rule), and one
   * readable line of every event to `logger.info` (see `describeEvent`). Default false: a trace
   * event per request is many events.
   */
  trace?: boolean;
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
  /** Undefined without the lock. */
  lock: LockOptions<Req> | undefined;
  userId: ((req: Req) => string) | undefined;
  /** Undefined for no limit. */
  maxSignInsPerUser: number | undefined;
  onMaxSignIns: 'end-oldest' | 'refuse';
  /** The default store's bounds (undefined with another store). */
  signInMemory: { total: number; perUser: number } | undefined;
  /** Undefined when the browser may take no lease. */
  leases: { maxSeconds: number } | undefined;
  trace: boolean;
  /** Undefined for the default: the session object. */
  store: ActivityStore | undefined;
  prefix: string;
  clock: Clock;
  logger: Logger;
}

/**
 * What a person typed into the lock: a user name and password, or the user a passkey proved
 * (the library checked its signature).
 */
export type LockCredentials =
  | { readonly type: 'password'; readonly username: string; readonly password: string }
  | { readonly type: 'passkey'; readonly userId: string };

/** The `lock` option: sign in again in place (docs/guide/lock.md). */
export interface LockOptions<Req> {
  /**
   * The app's own credential check. When the credentials hold, it signs that user in on `req`'s
   * session as the app's login route does (e.g. `req.session.user = id`, regenerating the session
   * first) and resolves true; otherwise false. Apply the login's own limits on attempts here:
   * the lock is a way in like the login form.
   */
  verify(req: Req, credentials: LockCredentials): boolean | Promise<boolean>;
  /**
   * Sign in again with a passkey too: `passkeys({...})` from `session-security/passkeys`, which
   * makes the challenges and checks the signatures; `verify` then gets `{ type: 'passkey', userId }`.
   */
  passkeys?: LockPasskeys;
}

/**
 * What the lock needs of passkeys (`session-security/passkeys` makes one): a challenge for the
 * browser, and the check of its answer.
 */
export interface LockPasskeys {
  /** The options of `navigator.credentials.get()`, as JSON, with a new challenge. */
  challenge(): Promise<Record<string, unknown>>;
  /**
   * The browser's answer (`credential.toJSON()`): the id of the user it proves, or undefined.
   *
   * @param claim - the store's way to take a challenge once on every instance (the Redis
   *   store's), when it has one: true the first time, for the challenge's remaining `ttlMs`
   */
  check(
    response: unknown,
    claim?: (challenge: string, ttlMs: number) => Promise<boolean>,
  ): Promise<string | undefined>;
}

/** The drafts settings, once validated. */
export interface ResolvedDrafts<Req> {
  userId: (req: Req) => string;
  secret: string;
  maxAgeMs: number;
}

/**
 * A `Clear-Site-Data` directive. `cookies` and `storage` clear the whole registrable domain
 * (every subdomain's cookies, every origin's storage under it), so they are opt-in.
 */
export type ClearSiteDataType = 'cache' | 'cookies' | 'storage' | 'executionContexts';

export { MAX_SECONDS } from './checks.js';
export {
  DEFAULT_DRAFT_MAX_AGE_SECONDS,
  DEFAULT_EXPIRE_AFTER_SECONDS,
  DEFAULT_PREFIX,
  DEFAULT_SWEEP_INTERVAL_SECONDS,
  MIN_DRAFT_SECRET_LENGTH,
} from './option-schema.js';

/** WCAG 2.2.1 asks for at least 20 seconds to react to a time limit. */
export const MIN_ACCESSIBLE_WARNING_SECONDS = 20;

/** An option's name. */
export type OptionName = keyof SessionSecurityOptions<unknown>;

/** Every option's name, in the order of the Options table (docs/guide/options.md): anything else is refused as unknown. */
export const OPTION_NAMES = Object.keys(OPTION_SCHEMA) as readonly OptionName[];

/** The options once each is checked alone (src/core/option-schema.ts), defaults filled in. */
type CheckedSessionOptions = CheckedOptions<typeof OPTION_SCHEMA>;

/** The default warning time: two minutes before expiry, or a quarter of `expireAfter` when shorter. */
export function defaultWarnAfter(expireAfterSeconds: number): number {
  return expireAfterSeconds - Math.min(120, expireAfterSeconds / 4);
}

/**
 * Validates the options and fills in the defaults: each option by its entry of OPTION_SCHEMA,
 * then the rules between options (the timeouts and the preset, drafts, the sign-in limits).
 *
 * @param input - the options as the user wrote them
 * @returns the resolved options, times in milliseconds
 * @throws SessionSecurityConfigError naming the option, the value received and the fix
 * @example
 * ```ts
 * const resolved = resolveOptions({ expireAfter: 600, isAuthenticated: () => true, drafts: false });
 * resolved.warnAfterMs; // 480000
 * ```
 */
export function resolveOptions<Req>(input: SessionSecurityOptions<Req>): ResolvedOptions<Req> {
  const given = checkOptions(input, OPTION_SCHEMA, {
    example: '{ isAuthenticated: (req) => Boolean(req.session.user) }',
  });
  const fixed = (value: PerUser<unknown> | undefined) =>
    typeof value === 'function' ? undefined : value;
  const { expireAfter, warnAfter, absoluteTimeout } = checkTimeouts(
    {
      expireAfter: fixed(given.expireAfter),
      warnAfter: fixed(given.warnAfter),
      absoluteTimeout: fixed(given.absoluteTimeout),
    },
    given.preset,
  );
  const resolved: ResolvedOptions<Req> = {
    preset: given.preset,
    expireAfterMs: expireAfter * 1000,
    warnAfterMs: warnAfter * 1000,
    absoluteTimeoutMs: absoluteTimeout * 1000,
    perUser: perUserTimeouts(given),
    onEvent: given.onEvent,
    eventData: given.eventData,
    metrics: given.metrics,
    sweepIntervalMs: given.sweepInterval * 1000,
    isAuthenticated: given.isAuthenticated,
    logout: given.logout,
    loginUrl: given.loginUrl,
    passive: given.passive,
    trustedOrigins: new Set(given.trustedOrigins),
    clearSiteData: given.clearSiteData,
    allowFrames: given.allowFrames,
    drafts: drafts(given),
    lock: lock(given),
    userId: given.userId,
    ...signInLimits(given, input.signInMemory !== undefined),
    leases:
      input.leases === undefined ? undefined : { ...OPTION_SCHEMA.leases.default, ...given.leases },
    trace: given.trace,
    store: given.store,
    prefix: given.prefix,
    clock: given.clock,
    logger: given.logger,
  };
  warnOfShortWindow(expireAfter, warnAfter, given.logger);
  return resolved;
}

/** Accepted, but logged: a warning window under 20 s fails WCAG 2.2.1. */
function warnOfShortWindow(expireAfter: number, warnAfter: number, logger: Logger): void {
  if (expireAfter - warnAfter >= MIN_ACCESSIBLE_WARNING_SECONDS) return;
  logger.warn(
    `session-security: the warning window (expireAfter ${expireAfter} - warnAfter ${warnAfter} = ${expireAfter - warnAfter} s) is under ${MIN_ACCESSIBLE_WARNING_SECONDS} s, which fails WCAG 2.2.1 (users need at least 20 s to react); ${
      expireAfter > MIN_ACCESSIBLE_WARNING_SECONDS
        ? `lower warnAfter to at most ${expireAfter - MIN_ACCESSIBLE_WARNING_SECONDS}, or raise expireAfter to at least ${warnAfter + MIN_ACCESSIBLE_WARNING_SECONDS}`
        : `raise expireAfter to at least ${warnAfter + MIN_ACCESSIBLE_WARNING_SECONDS}`
    }`,
  );
}

/**
 * Why: a draft holds what a user typed; only the same user may get it back, so it needs their
 * key. On when `draftSecret` is given (or `drafts: true`), off otherwise, with one line saying so.
 */
function drafts(given: CheckedSessionOptions): ResolvedDrafts<unknown> | undefined {
  if (given.drafts === false) return undefined;
  if (given.drafts === undefined && given.draftSecret === undefined) {
    const note = given.logger.info ?? given.logger.warn;
    note.call(
      given.logger,
      'session-security: drafts are off: a tab signed out on expiry loses its unsent forms. To keep them for the same user, give userId and draftSecret (a secret of at least 32 characters, e.g. process.env.DRAFT_SECRET); drafts: false silences this line',
    );
    return undefined;
  }
  const fix =
    "drafts keep a signed-out tab's forms for the same user only, so they need both userId and draftSecret; or set drafts: false";
  if (given.userId === undefined) {
    throw new SessionSecurityConfigError(
      'userId',
      `userId (undefined) is required while drafts are on (${given.drafts === true ? 'drafts: true' : 'draftSecret is given'}): a function (req) => string giving the signed-in user's id; ${fix}`,
    );
  }
  if (given.draftSecret === undefined) {
    throw new SessionSecurityConfigError(
      'draftSecret',
      `draftSecret is required while drafts are on (drafts: true): a secret of at least ${MIN_DRAFT_SECRET_LENGTH} characters, the same on every instance and stable across restarts (e.g. process.env.DRAFT_SECRET); ${fix}`,
    );
  }
  return { userId: given.userId, secret: given.draftSecret, maxAgeMs: given.draftMaxAge * 1000 };
}

/** The lock, which needs its `verify` and drafts (the drafts key tells the same user from another). */
function lock(given: CheckedSessionOptions): LockOptions<unknown> | undefined {
  const { lock: wanted } = given;
  if (wanted === undefined) return undefined;
  if (typeof wanted.verify !== 'function') {
    throw new SessionSecurityConfigError(
      'lock',
      `lock.verify (${describeValue(wanted.verify)}) is required: a function (req, credentials) => boolean | Promise<boolean>, the app's own credential check, which signs the user in on req's session when they hold`,
    );
  }
  if (given.drafts === false || given.userId === undefined || given.draftSecret === undefined) {
    throw new SessionSecurityConfigError(
      'lock',
      `the lock needs drafts on (userId and draftSecret): it keeps a locked page for the same user and reloads it for another, told apart by the drafts key of each; ${given.drafts === false ? 'drafts is false' : given.userId === undefined ? 'userId is missing' : 'draftSecret is missing'}`,
    );
  }
  return wanted;
}

/** maxSignInsPerUser, onMaxSignIns and signInMemory, checked against each other and the store. */
function signInLimits(given: CheckedSessionOptions, memoryGiven: boolean) {
  const { maxSignInsPerUser, onMaxSignIns } = given;
  if (maxSignInsPerUser !== undefined && given.userId === undefined) {
    throw new SessionSecurityConfigError(
      'maxSignInsPerUser',
      `maxSignInsPerUser (${maxSignInsPerUser}) needs the userId option, (req) => string giving the signed-in user's id, to count each user's sign-ins`,
    );
  }
  if (memoryGiven && given.store !== undefined) {
    throw new SessionSecurityConfigError(
      'signInMemory',
      'signInMemory bounds the default store, which keeps sign-ins in this process; the store option replaces it: leave signInMemory out',
    );
  }
  const signInMemory =
    given.store === undefined
      ? { ...OPTION_SCHEMA.signInMemory.default, ...given.signInMemory }
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

// At least the 1 s granularity of activity writes: a shorter timeout could not be kept.
const EXPIRE_AFTER = seconds({ min: 1 });
const WARN_AFTER = seconds();
const ABSOLUTE_TIMEOUT = seconds({ min: 1, zeroIsOff: true });

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
  const expireAfter =
    values.expireAfter === undefined
      ? (rule?.idle.seconds ?? DEFAULT_EXPIRE_AFTER_SECONDS)
      : EXPIRE_AFTER(values.expireAfter, 'expireAfter');
  if (preset && rule) notLooser(preset, 'expireAfter', expireAfter, rule.idle, 'idle');
  const warnAfter =
    values.warnAfter === undefined
      ? defaultWarnAfter(expireAfter)
      : WARN_AFTER(values.warnAfter, 'warnAfter');
  if (warnAfter >= expireAfter) {
    throw new SessionSecurityConfigError(
      'warnAfter',
      `warnAfter (${warnAfter}) must be less than expireAfter (${expireAfter}): the warning must come before the expiry`,
    );
  }
  const absoluteTimeout =
    values.absoluteTimeout === undefined
      ? (rule?.overall?.seconds ?? 0)
      : ABSOLUTE_TIMEOUT(values.absoluteTimeout, 'absoluteTimeout');
  if (preset && rule?.overall) {
    notLooser(preset, 'absoluteTimeout', absoluteTimeout, rule.overall, 'overall');
  }
  return { expireAfter, warnAfter, absoluteTimeout };
}

const TIMEOUT_NAMES = ['expireAfter', 'warnAfter', 'absoluteTimeout'] as const;

function perUserTimeouts(given: CheckedSessionOptions): PerUserTimeouts<unknown> | undefined {
  const functions: Omit<PerUserTimeouts<unknown>, 'warnAfterGiven'> = {};
  for (const name of TIMEOUT_NAMES) {
    const value = given[name];
    if (typeof value === 'function') functions[name] = value;
  }
  if (Object.keys(functions).length === 0) return undefined;
  return { ...functions, warnAfterGiven: typeof given.warnAfter === 'number' };
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
 * const resolved = resolveOptions<{ isAdmin: boolean }>({
 *   isAuthenticated: () => true,
 *   drafts: false,
 *   expireAfter: (req) => (req.isAdmin ? 300 : 900),
 * });
 * (await signInTimeouts({ isAdmin: true }, resolved)).timeouts.expireAfterMs; // 300000
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

// The options of sessionSecurity() as data (docs/guide/options.md: Options): for each, how it is checked, its
// default, and its row of the Options table (docs/guide/options.md). resolveOptions (src/core/options.ts) checks
// every option with it, OPTION_NAMES and the unknown-name check come from its keys, and
// test/unit/readme.test.ts renders that table from it. The interface SessionSecurityOptions
// stays written by hand for its TSDoc; the types below tie it to this schema both ways.
// Pure: no Node, no DOM.

import {
  aBoolean,
  aCount,
  aFunction,
  aLogger,
  type Check,
  type CheckedOption,
  listOf,
  matching,
  oneOf,
  optionOf,
  quoted,
  refuse,
  satisfying,
  seconds,
  secondsOrFunction,
  withFields,
  withMethods,
} from './checks.js';
import { type Clock, systemClock } from './clock.js';
import { describeValue, SessionSecurityConfigError } from './errors.js';
import type { MetricsRecorder, SessionSecurityEvent } from './events.js';
import { safeNextPath } from './next.js';
import type {
  ClearSiteDataType,
  EventData,
  LockOptions,
  Logger,
  PassiveRule,
  SessionSecurityOptions,
} from './options.js';
import { PRESET_NAMES } from './presets.js';
import type { ActivityStore } from './store.js';

export const DEFAULT_EXPIRE_AFTER_SECONDS = 900;
export const DEFAULT_PREFIX = '/session-security';
export const DEFAULT_SWEEP_INTERVAL_SECONDS = 60;
export const DEFAULT_DRAFT_MAX_AGE_SECONDS = 24 * 3600;
/** The shortest `draftSecret`: a key that cannot be guessed. */
export const MIN_DRAFT_SECRET_LENGTH = 32;

export const CLEAR_SITE_DATA_TYPES: readonly ClearSiteDataType[] = [
  'cache',
  'cookies',
  'storage',
  'executionContexts',
];

/** What the Options table (docs/guide/options.md) says of an option (Markdown; `|` is escaped when rendered). */
export interface OptionReadme {
  /** Its type as TypeScript writes it, with `req` for the framework's request. */
  readonly type: string;
  readonly meaning: string;
  /**
   * The default cell, where the schema holds no constant default or it needs words; without it,
   * the schema's default (with `note`), or "none" when there is no default.
   */
  readonly default?: string;
  /** Words after a constant default, in parentheses: `86400` (24 h). */
  readonly note?: string;
}

/** One option: its check and default (src/core/checks.ts), and its row of the Options table. */
export interface OptionSpec<T> extends CheckedOption<T> {
  readonly readme: OptionReadme;
}

/** The options with the request type left open: the checks see functions, never their parameters. */
type Options = SessionSecurityOptions<unknown>;

/** The schema's shape: one entry per option of SessionSecurityOptions, none more. */
export type OptionSchema = {
  readonly [K in keyof Options]-?: OptionSpec<Exclude<Options[K], undefined>>;
};

type PerUserFunction = (req: unknown) => number | Promise<number>;

// Why: "/.//evil.example" is "//evil.example" to a browser; a path gets the check `next` gets.
function isLoginUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value === '') return false;
  if (value.startsWith('/')) return safeNextPath(value) === value;
  if (!/^https?:\/\/[^/\\]/i.test(value) || /[\s\p{Cc}\\]/u.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
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

const EXAMPLE_ORIGIN = 'e.g. "https://admin.example.com"';

/** A trusted origin, in its normal form (`HTTPS://A.example:443/` is `https://a.example`). */
function anOrigin(value: unknown, label: string): string {
  if (typeof value === 'string' && value.includes('*')) {
    throw new SessionSecurityConfigError(
      optionOf(label),
      `${label} (${describeValue(value)}) has a wildcard, which is not supported: list each origin in full, ${EXAMPLE_ORIGIN}`,
    );
  }
  const origin = typeof value === 'string' ? originOf(value) : undefined;
  return (
    origin ??
    refuse(
      label,
      value,
      `an origin: http(s)://host with an optional :port and no path, ${EXAMPLE_ORIGIN}`,
    )
  );
}

const aPassiveRule = satisfying<PassiveRule<unknown>>(
  (rule) =>
    (typeof rule === 'string' && rule.startsWith('/')) ||
    rule instanceof RegExp ||
    typeof rule === 'function',
  'a path starting with "/" (exact, or ending in "/*" for a prefix), a RegExp, or a function (req) => boolean',
);

const aClearSiteDataList = listOf(
  oneOf(CLEAR_SITE_DATA_TYPES),
  `an array of ${CLEAR_SITE_DATA_TYPES.map(quoted).join(', ')}, e.g. ['cache'] (the default) or [] for none`,
);

/** The secret is never echoed: the message gives its length. */
function aDraftSecret(value: unknown, label: string): string {
  if (typeof value === 'string' && value.length >= MIN_DRAFT_SECRET_LENGTH) return value;
  return refuse(
    label,
    value,
    `a string of at least ${MIN_DRAFT_SECRET_LENGTH} characters, the same on every instance and stable across restarts, e.g. process.env.DRAFT_SECRET`,
    typeof value === 'string' ? `${value.length} characters` : undefined,
  );
}

const PER_USER_TYPE = 'number | (req) => number | Promise<number>';

/**
 * Every option of sessionSecurity(), in the order the Options table lists them and resolveOptions checks
 * them. Adding an option: add it to SessionSecurityOptions (its TSDoc) and here (the compiler
 * asks for both), then paste the table test/unit/readme.test.ts prints into docs/guide/options.md.
 */
export const OPTION_SCHEMA = {
  preset: {
    check: oneOf(PRESET_NAMES),
    readme: {
      type: PRESET_NAMES.map(quoted).join(' | '),
      meaning:
        'a compliance preset that sets `expireAfter` and `absoluteTimeout` (see [Compliance presets](compliance.md#compliance-presets)); explicit options may only tighten it',
    },
  },
  expireAfter: {
    check: secondsOrFunction<PerUserFunction>({ min: 1 }),
    readme: {
      type: PER_USER_TYPE,
      meaning:
        'seconds of inactivity after which the session ends (1 s to a year), or a function of the request ([per user](#per-user-timeouts))',
      default: `\`${DEFAULT_EXPIRE_AFTER_SECONDS}\` (PCI DSS 8.2.8), or the preset's`,
    },
  },
  warnAfter: {
    check: secondsOrFunction<PerUserFunction>(),
    readme: {
      type: PER_USER_TYPE,
      meaning:
        'seconds of inactivity after which the browser warns; must be below `expireAfter`; or a function of the request',
      default: '`expireAfter - min(120, expireAfter / 4)`',
    },
  },
  absoluteTimeout: {
    check: secondsOrFunction<PerUserFunction>({ min: 1, zeroIsOff: true }),
    readme: {
      type: PER_USER_TYPE,
      meaning:
        'seconds after sign-in after which the session ends whatever the activity (1 s to a year); `0` = off; or a function of the request',
      default: "`0`, or the preset's",
    },
  },
  isAuthenticated: {
    check: aFunction<(req: unknown) => boolean | Promise<boolean>>(
      '(req) => boolean that tells whether the request belongs to a signed-in user, e.g. (req) => Boolean(req.session.user)',
    ),
    required: true,
    readme: {
      type: '(req) => boolean | Promise<boolean>',
      meaning: 'whether the request belongs to a signed-in user',
      default: 'required',
    },
  },
  logout: {
    check: aFunction<(req: unknown) => void | Promise<void>>(
      '(req) => void | Promise<void> that ends the session, or be left out to regenerate the session',
    ),
    readme: {
      type: '(req) => void | Promise<void>',
      meaning: 'how to end the session',
      default: 'regenerate the session (a fresh anonymous one)',
    },
  },
  loginUrl: {
    check: satisfying<string>(
      isLoginUrl,
      'a plain path on this site starting with "/" (e.g. "/login"; no "//", "\\", dot segments or characters to escape) or an absolute http(s) URL',
    ),
    readme: {
      type: 'string',
      meaning:
        'where expired page loads go: a plain path (`/login`; no dot segments, `//` or `\\`) or an absolute http(s) URL; may carry its own query',
      default: 'none: the request goes on as anonymous with a fresh session',
    },
  },
  passive: {
    check: listOf(
      aPassiveRule,
      "an array of rules, e.g. ['/api/poll', '/events/*', /^\\/metrics/, (req) => boolean]",
    ),
    default: [],
    readme: {
      type: '(string | RegExp | (req) => boolean)[]',
      meaning:
        "requests that never count as activity: `'/exact/path'`, `'/prefix/*'`, a RegExp on the path, or a predicate of the request",
    },
  },
  trustedOrigins: {
    check: listOf(anOrigin, "an array of origins, e.g. ['https://admin.example.com']"),
    default: [],
    readme: {
      type: 'string[]',
      meaning:
        "extra origins (`https://host[:port]`, no wildcards) allowed to call the ping; the app's own always is",
    },
  },
  clearSiteData: {
    check: (value, label): readonly ClearSiteDataType[] => [
      ...new Set(aClearSiteDataList(value, label)),
    ],
    default: ['cache'],
    readme: {
      type: `(${CLEAR_SITE_DATA_TYPES.map(quoted).join(' | ')})[]`,
      meaning:
        'the `Clear-Site-Data` types an explicit sign-out sends (see [Clear-Site-Data](behaviour.md#clear-site-data)); `[]` for none',
    },
  },
  allowFrames: {
    check: aBoolean(' (default false: the client does not run inside frames)'),
    default: false,
    readme: { type: 'boolean', meaning: 'whether the browser client runs inside a frame' },
  },
  drafts: {
    check: aBoolean(' (default: on when draftSecret is given)'),
    readme: {
      type: 'boolean',
      meaning:
        'whether a tab signed out on expiry keeps its unsent forms for the same user (see [Drafts](behaviour.md#drafts-kept-across-sign-in)); `false` turns them off, `true` insists on them',
      default: 'on when `draftSecret` is given',
    },
  },
  lock: {
    check: withFields<LockOptions<unknown>>(
      {
        verify: aFunction(
          "(req, credentials) => boolean | Promise<boolean>, the app's own credential check",
        ),
        passkeys: withMethods(
          ['challenge', 'check'],
          "passkeys({ rpID, origin, secret, find }) from 'session-security/passkeys'",
        ),
      },
      '{ verify: async (req, credentials) => signInIfValid(req, credentials) }',
    ),
    readme: {
      type: '{ verify(req, credentials), passkeys? }',
      meaning:
        "sign in again in place: on expiry each tab covers its page and asks for the password instead of leaving for `loginUrl`; `verify` is the app's credential check, which signs the user in when they hold (see [The lock](lock.md)); `passkeys` offers a passkey too ([Passkeys](lock.md#passkeys)); needs drafts",
      default: 'none: an expired tab goes to `loginUrl`',
    },
  },
  userId: {
    check: aFunction<(req: unknown) => string>(
      "(req) => string giving the signed-in user's id, e.g. (req) => req.session.user.id",
    ),
    readme: {
      type: '(req) => string',
      meaning:
        "the signed-in user's id: drafts are marked with a keyed hash of it (never the id); events carry it; [a user's sign-ins](operations.md#a-user-s-sign-ins) are listed by it",
      default: 'none; required with drafts and `maxSignInsPerUser`',
    },
  },
  draftSecret: {
    check: aDraftSecret,
    readme: {
      type: 'string',
      meaning: `the secret of that keyed hash: at least ${MIN_DRAFT_SECRET_LENGTH} characters, the same on every instance, stable across restarts; giving it turns drafts on`,
      default: 'none (drafts off)',
    },
  },
  draftMaxAge: {
    check: seconds({ min: 1, example: DEFAULT_DRAFT_MAX_AGE_SECONDS }),
    default: DEFAULT_DRAFT_MAX_AGE_SECONDS,
    readme: {
      type: 'number',
      meaning: 'seconds a kept draft lives; an older one is deleted unread',
      note: '24 h',
    },
  },
  onEvent: {
    check: aFunction<(event: SessionSecurityEvent) => void | Promise<void>>(
      '(event) => void, e.g. (event) => auditLog.info(event), or be left out',
    ),
    readme: {
      type: '(event) => void | Promise<void>',
      meaning:
        'the [audit events](operations.md#audit-events): sign-ins, extensions, expiries, sign-outs, refused requests, store failures; never awaited',
    },
  },
  eventData: {
    check: aFunction<(req: unknown) => EventData>(
      '(req) => ({ tenant: req.user.tenant }), or be left out',
    ),
    readme: {
      type: '(req) => Record<string, string | number | boolean | null>',
      meaning:
        "what to attach to every event of a sign-in (`{ tenant: 'acme' }`): at most 1 KB of JSON, taken at sign-in",
    },
  },
  metrics: {
    check: withMethods<MetricsRecorder>(
      ['event', 'ping'],
      "a recorder with event(event) and ping(method) methods, e.g. openTelemetryMetrics() from 'session-security/opentelemetry'",
    ),
    readme: {
      type: '{ event(event), ping(method) }',
      meaning:
        'a recorder of counts: `openTelemetryMetrics()` from `session-security/opentelemetry` ([Metrics](operations.md#metrics-opentelemetry)), or your own',
    },
  },
  sweepInterval: {
    check: seconds({ min: 1, zeroIsOff: true, example: DEFAULT_SWEEP_INTERVAL_SECONDS }),
    default: DEFAULT_SWEEP_INTERVAL_SECONDS,
    readme: {
      type: 'number',
      meaning:
        'seconds between sweeps for sign-ins nobody came back to (their `expired` event); `0` = no timer (call `security.signIns.sweep()`)',
    },
  },
  maxSignInsPerUser: {
    check: aCount('sign-ins'),
    readme: {
      type: 'number',
      meaning:
        'the most live sign-ins one user may have (needs `userId`; see [a limit per user](operations.md#a-limit-per-user))',
    },
  },
  onMaxSignIns: {
    check: oneOf(['end-oldest', 'refuse'], {
      'end-oldest': 'end the least recently active sign-in',
      refuse: 'start(req) throws',
    }),
    default: 'end-oldest',
    readme: {
      type: "'end-oldest' | 'refuse'",
      meaning:
        "past that limit: `'end-oldest'` ends the user's least recently active sign-in, `'refuse'` makes `start(req)` throw a `SignInRefusedError` (429)",
    },
  },
  signInMemory: {
    check: withFields<{ total?: number; perUser?: number }>(
      { total: aCount('sign-ins'), perUser: aCount('sign-ins') },
      '{ total: 100000, perUser: 100 }',
    ),
    default: { total: 100_000, perUser: 100 },
    readme: {
      type: '{ total?: number, perUser?: number }',
      meaning:
        "the default store's bounds: the sign-ins, live and ended, it remembers in this process, in all and per user (see [Sign-out and expiry are final](behaviour.md#sign-out-and-expiry-are-final))",
    },
  },
  leases: {
    check: withFields<{ maxSeconds?: number }>(
      { maxSeconds: seconds({ example: 3600 }) },
      '{ maxSeconds: 3600 }',
    ),
    default: { maxSeconds: 3600 },
    readme: {
      type: '{ maxSeconds?: number }',
      meaning:
        "lets the browser's `hold(work)` keep the sign-in alive while an upload runs, `maxSeconds` at most (default 3600; see [Leases](leases.md))",
      default: 'off',
    },
  },
  trace: {
    check: aBoolean(' (default false)'),
    default: false,
    readme: {
      type: 'boolean',
      meaning:
        'explains each sign-in: a `trace` event for every request (what it did to the clock, and why) and a readable line of every event to `logger.info` (see [Why a sign-in lived or ended](operations.md#why-a-sign-in-lived-or-ended-the-trace)); for development and support',
    },
  },
  store: {
    check: withMethods<ActivityStore>(
      ['touch', 'start', 'end', 'peek'],
      "an activity store with touch, start, end, peek methods, e.g. redisStore({ client }) from 'session-security/redis', or be left out to keep clocks in the session",
    ),
    readme: {
      type: 'ActivityStore',
      meaning:
        "where sign-ins' clocks live: `redisStore({ client })` from `session-security/redis` for several instances ([Several instances](redis.md#several-instances-the-redis-store))",
      default: 'the session object (one process)',
    },
  },
  prefix: {
    check: matching(
      /^(\/[A-Za-z0-9._~-]+)+$/,
      'a path such as "/session-security": starting with "/", without a trailing "/", query or special characters',
    ),
    default: DEFAULT_PREFIX,
    readme: { type: 'string', meaning: 'where the ping protocol is mounted' },
  },
  clock: {
    check: withMethods<Clock>(
      ['now'],
      'an object with a now() method returning milliseconds, like { now: () => Date.now() }',
    ),
    default: systemClock,
    readme: {
      type: '{ now(): number }',
      meaning: 'the time in milliseconds, for tests',
      default: 'the system clock',
    },
  },
  logger: {
    check: aLogger,
    default: console as Logger,
    readme: {
      type: '{ warn(message), error(message, error), info?(message) }',
      meaning:
        'where warnings and errors go (and, with `info`, the start-up note that drafts are off)',
      default: '`console`',
    },
  },
} satisfies OptionSchema;

/** The type each option's check gives, from the schema. */
export type SchemaTypes = {
  -readonly [K in keyof typeof OPTION_SCHEMA]: (typeof OPTION_SCHEMA)[K] extends {
    check: Check<infer T>;
  }
    ? T
    : never;
};

/** The type of each option, from the interface, without `undefined`. */
export type InterfaceTypes = { [K in keyof Options]-?: Exclude<Options[K], undefined> };

type Same<A, B> =
  (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

/** The options whose check gives another type than the interface declares. */
type Drifted = {
  [K in keyof InterfaceTypes]: Same<SchemaTypes[K], InterfaceTypes[K]> extends true ? never : K;
}[keyof InterfaceTypes];

/** Compiles only while every check gives exactly the type SessionSecurityOptions declares. */
const sameTypes: [Drifted] extends [never] ? true : Drifted = true;
void sameTypes;

// Metrics on OpenTelemetry: a MetricsRecorder that counts the audit events and pings on a Meter.
// Must not: load any package but @opentelemetry/api (an optional peer), throw on an event it does
// not know, or put a user id, sign-in marker or path into an attribute.

import {
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  ValueType,
} from '@opentelemetry/api';
import { type CheckedOption, checkOptions, matching, withMethods } from '../core/checks.js';
import { SessionSecurityConfigError, type SignInRefusal } from '../core/errors.js';
import type {
  MetricsRecorder,
  RefusedReason,
  SessionSecurityEvent,
  SignedOutEvent,
  SignInLostEvent,
  StoreFailedEvent,
} from '../core/events.js';
import type { ExpiryReason } from '../core/policy.js';
import type { EndReason } from '../core/tombstones.js';

export type { MetricsRecorder, SessionSecurityEvent } from '../core/events.js';

/**
 * The options of {@link openTelemetryMetrics}. Give at most one of `meter` and `meterProvider`.
 *
 * @example
 * ```ts
 * const options: OpenTelemetryMetricsOptions = { meterProvider, prefix: 'myapp.sessions.' };
 * ```
 */
export interface OpenTelemetryMetricsOptions {
  /** The Meter to create the instruments on. Default: the `session-security` meter of the provider. */
  meter?: Meter;
  /** Where to get the `session-security` meter. Default: the global provider. */
  meterProvider?: MeterProvider;
  /**
   * The start of every instrument name: empty, or a letter then letters, digits, `_`, `.`, `-`
   * or `/`. Default `'session_security.'`.
   */
  prefix?: string;
}

/** The meter's name and version: the package's own (test/unit/opentelemetry.test.ts checks it). */
const METER_NAME = 'session-security';
const METER_VERSION = '0.1.0';
const DEFAULT_PREFIX = 'session_security.';
// An instrument name is at most 255 characters; the longest suffix is 'sign_in.duration'.
const MAX_PREFIX_LENGTH = 255 - 'sign_in.duration'.length;

/** The options of openTelemetryMetrics, each checked by the checkers every entry shares (src/core/checks.ts). */
const OPTIONS = {
  meter: {
    check: withMethods<Meter>(
      ['createCounter', 'createHistogram'],
      "an OpenTelemetry Meter with createCounter and createHistogram, e.g. metrics.getMeter('my-app')",
    ),
  },
  meterProvider: {
    check: withMethods<MeterProvider>(
      ['getMeter'],
      'an OpenTelemetry MeterProvider with getMeter, e.g. new MeterProvider({ readers }) from @opentelemetry/sdk-metrics',
    ),
  },
  prefix: {
    check: matching(
      /^(?:[A-Za-z][\w./-]*)?$/,
      `empty, or a letter then letters, digits, "_", ".", "-" or "/", at most ${MAX_PREFIX_LENGTH} characters, such as "myapp.session_security." (default "${DEFAULT_PREFIX}")`,
      MAX_PREFIX_LENGTH,
    ),
    default: DEFAULT_PREFIX,
  },
} satisfies { readonly [K in keyof OpenTelemetryMetricsOptions]-?: CheckedOption<unknown> };

/** Seconds: a minute to a day, the range of idle timeouts and working days. */
const DURATION_BUCKETS_SECONDS = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400];

// Attribute values are checked against these closed sets, so a malformed event cannot add a
// series. Records, not arrays: adding a value to the event types fails to compile here.
const EXPIRY_REASONS: Record<ExpiryReason, true> = { idle: true, absolute: true };
const SIGN_OUT_HOWS: Record<SignedOutEvent['how'], true> = {
  logout: true,
  revoked: true,
  replaced: true,
};
const LOST_FOUND_BY: Record<SignInLostEvent['foundBy'], true> = { request: true, ping: true };
const SIGN_IN_REFUSALS: Record<SignInRefusal, true> = {
  'max-sign-ins': true,
  'user-memory-full': true,
  'memory-full': true,
};
const REFUSED_REASONS: Record<RefusedReason, true> = {
  'cross-origin': true,
  'bad-request': true,
  'body-too-large': true,
  'unsupported-media-type': true,
  'method-not-allowed': true,
  'not-found': true,
  'no-session': true,
  'ended-sign-in': true,
  credentials: true,
};
const STORE_OPERATIONS: Record<StoreFailedEvent['operation'], true> = {
  touch: true,
  start: true,
  end: true,
  prepare: true,
  session: true,
  list: true,
  sweep: true,
  lease: true,
};
const PING_METHODS: Record<'GET' | 'POST', true> = { GET: true, POST: true };

/**
 * A metrics recorder on OpenTelemetry, to pass as the `metrics` option. It counts what the library
 * reports, under names that start with `prefix` (default `session_security.`):
 *
 * | Instrument | Kind | Unit | Attributes |
 * | --- | --- | --- | --- |
 * | `expiries` | counter | `{expiry}` | `reason`: `idle` or `absolute` |
 * | `extensions` | counter | `{extension}` | none |
 * | `sign_outs` | counter | `{sign_out}` | `how`: `logout`, `revoked` or `replaced` |
 * | `sign_ins` | counter | `{sign_in}` | none |
 * | `sign_ins.refused` | counter | `{sign_in}` | `reason`: `max-sign-ins`, `user-memory-full` or `memory-full` |
 * | `refused` | counter | `{request}` | `reason`: why the request was turned away |
 * | `store_failures` | counter | `{failure}` | `operation`: the store operation that failed |
 * | `pings` | counter | `{request}` | `method`: `GET` or `POST` |
 * | `sign_in.duration` | histogram | `s` | `end`: `idle`, `absolute`, `logout`, `revoked` or `replaced` |
 *
 * `sign_in.duration` is the length of each sign-in that ended (sign-in to deadline for an expiry,
 * sign-in to sign-out when the store knew the start), in buckets from a minute to a day.
 *
 * Attributes only ever take the values above. The user id, the sign-in marker, the path and the
 * app's event data are never attributes: each would make one series per user or URL (a cost that
 * grows without bound), and would copy personal data into the metrics backend. Events of an
 * unknown type, or with a value outside these sets, are ignored; the recorder never throws.
 *
 * Without `meter` or `meterProvider`, the meter comes from the global provider at the time of
 * this call: register the SDK first (e.g. `new NodeSDK(...).start()`), or the instruments are
 * no-ops for good.
 *
 * @param options - optionally the meter or meter provider, and the name prefix
 * @returns the recorder, to pass as the `metrics` option of `sessionSecurity()`
 * @throws SessionSecurityConfigError naming the wrong option
 * @example
 * ```ts
 * import { openTelemetryMetrics } from 'session-security/opentelemetry';
 * import { sessionSecurity } from 'session-security/express';
 * const security = sessionSecurity({
 *   isAuthenticated: (req) => req.session.user !== undefined,
 *   drafts: false, // or userId and draftSecret (docs/guide/behaviour.md: Drafts kept across sign-in)
 *   metrics: openTelemetryMetrics(), // after the OpenTelemetry SDK has started
 * });
 * ```
 */
export function openTelemetryMetrics(options: OpenTelemetryMetricsOptions = {}): MetricsRecorder {
  const given = checkOptions(options, OPTIONS, {
    owner: 'openTelemetryMetrics',
    example: '{ meterProvider }, or be left out',
  });
  const meter = meterOf(given.meter, given.meterProvider);
  const prefix = given.prefix;

  const count = (name: string, unit: string, description: string): Counter =>
    meter.createCounter(`${prefix}${name}`, { unit, description, valueType: ValueType.INT });
  const expiries = count('expiries', '{expiry}', 'Sign-ins that expired, by reason');
  const extensions = count('extensions', '{extension}', 'Times a user chose to stay signed in');
  const signOuts = count('sign_outs', '{sign_out}', 'Sign-ins ended on purpose, by how');
  const signIns = count('sign_ins', '{sign_in}', 'Sign-ins started');
  const signInsRefused = count('sign_ins.refused', '{sign_in}', 'New sign-ins refused, by reason');
  const signInsLost = count(
    'sign_ins.lost',
    '{sign_in}',
    'Sign-ins whose store record vanished before their deadline, by who found it',
  );
  const refused = count('refused', '{request}', 'Requests turned away, by reason');
  const storeFailures = count('store_failures', '{failure}', 'Failed store operations');
  const pings = count('pings', '{request}', 'Pings answered, by method');
  const durations: Histogram = meter.createHistogram(`${prefix}sign_in.duration`, {
    unit: 's',
    description: 'Length of each sign-in that ended, by how it ended',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
  });

  const recordDuration = (lengthSeconds: unknown, end: EndReason | 'replaced') => {
    if (typeof lengthSeconds === 'number' && Number.isFinite(lengthSeconds) && lengthSeconds >= 0) {
      durations.record(lengthSeconds, { end });
    }
  };

  return {
    event: function recordEvent(event: SessionSecurityEvent) {
      if (event === null || typeof event !== 'object') return;
      switch (event.type) {
        case 'signed-in':
          signIns.add(1);
          return;
        case 'extended':
          extensions.add(1);
          return;
        case 'expired':
          if (!Object.hasOwn(EXPIRY_REASONS, event.reason)) return;
          expiries.add(1, { reason: event.reason });
          recordDuration(event.lengthSeconds, event.reason);
          return;
        case 'signed-out':
          if (!Object.hasOwn(SIGN_OUT_HOWS, event.how)) return;
          signOuts.add(1, { how: event.how });
          recordDuration(event.lengthSeconds, event.how);
          return;
        case 'sign-in-lost':
          if (!Object.hasOwn(LOST_FOUND_BY, event.foundBy)) return;
          signInsLost.add(1, { found_by: event.foundBy });
          return;
        case 'sign-in-refused':
          if (!Object.hasOwn(SIGN_IN_REFUSALS, event.reason)) return;
          signInsRefused.add(1, { reason: event.reason });
          return;
        case 'refused':
          if (!Object.hasOwn(REFUSED_REASONS, event.reason)) return;
          refused.add(1, { reason: event.reason });
          return;
        case 'store-failed':
          if (!Object.hasOwn(STORE_OPERATIONS, event.operation)) return;
          storeFailures.add(1, { operation: event.operation });
          return;
        default:
          // A type added after this module, or not an event at all: not ours to count.
          return;
      }
    },
    ping: function recordPing(method: 'GET' | 'POST') {
      if (typeof method === 'string' && Object.hasOwn(PING_METHODS, method)) {
        pings.add(1, { method });
      }
    },
  };
}

/** The meter to count on: the one given, the provider's, or the global provider's. */
function meterOf(meter: Meter | undefined, provider: MeterProvider | undefined): Meter {
  if (meter !== undefined && provider !== undefined) {
    throw new SessionSecurityConfigError(
      'meter',
      'give meter or meterProvider, not both: the meter would ignore the provider',
    );
  }
  return meter ?? (provider ?? metrics).getMeter(METER_NAME, METER_VERSION);
}

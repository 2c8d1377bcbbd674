// Unit tests of src/opentelemetry/index.ts on the real OpenTelemetry SDK: what each event and ping
// adds to which instrument, with which attributes, and the validation of the options.

import { readFileSync } from 'node:fs';
import { metrics, ValueType } from '@opentelemetry/api';
import {
  DataPointType,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionSecurityConfigError } from '../../src/core/errors.js';
import type { SessionSecurityEvent } from '../../src/core/events.js';
import {
  type OpenTelemetryMetricsOptions,
  openTelemetryMetrics,
} from '../../src/opentelemetry/index.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** A reader the test collects from when it wants (cumulative, the SDK's default). */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const providers: MeterProvider[] = [];

/** A provider with a collecting reader; shut down after each test. */
function sdk() {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  providers.push(provider);
  const collect = async (): Promise<ScopeMetrics[]> => {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    return resourceMetrics.scopeMetrics;
  };
  return { provider, collect };
}

/** Every collected metric by name, from every scope. */
function byName(scopes: ScopeMetrics[]): Map<string, MetricData> {
  return new Map(scopes.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
}

/** The points of a counter as [attributes, value] pairs. */
function sums(metric: MetricData | undefined): [Record<string, unknown>, number][] {
  expect(metric?.dataPointType).toBe(DataPointType.SUM);
  return (metric?.dataPoints ?? []).map((p) => [p.attributes, p.value as number]);
}

afterEach(async () => {
  metrics.disable();
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

const at = Date.UTC(2026, 0, 5, 9, 0, 0);
const personal = { userId: 'user-42', data: { tenant: 'acme' } };

/** Two sign-ins: one extended twice then idle for 15 minutes, one signed out after 2 minutes. */
const DAY: SessionSecurityEvent[] = [
  {
    type: 'signed-in',
    at,
    signIn: 'sign-in-a',
    expireAfter: 900,
    warnAfter: 780,
    absoluteTimeout: 0,
    ...personal,
  },
  {
    type: 'signed-in',
    at,
    signIn: 'sign-in-b',
    expireAfter: 900,
    warnAfter: 780,
    absoluteTimeout: 0,
  },
  { type: 'extended', at: at + 60_000, signIn: 'sign-in-a', ...personal },
  { type: 'extended', at: at + 120_000, signIn: 'sign-in-a', ...personal },
  { type: 'signed-out', at: at + 120_000, signIn: 'sign-in-b', how: 'logout', lengthSeconds: 120 },
  {
    type: 'expired',
    at: at + 1_100_000,
    signIn: 'sign-in-a',
    reason: 'idle',
    idleSeconds: 900,
    lengthSeconds: 900,
    endedAt: at + 1_020_000,
    foundBy: 'sweep',
    ...personal,
  },
  ...[1, 2, 3].map(
    (n): SessionSecurityEvent => ({
      type: 'refused',
      at: at + n,
      reason: 'cross-origin',
      method: 'POST',
      path: '/session-security/ping',
      signIn: 'sign-in-a',
    }),
  ),
  {
    type: 'store-failed',
    at,
    operation: 'touch',
    error: 'Error ECONNREFUSED',
    signIn: 'sign-in-b',
  },
];

function replayDay(options: OpenTelemetryMetricsOptions) {
  const recorder = openTelemetryMetrics(options);
  for (const event of DAY) recorder.event(event);
  for (let i = 0; i < 5; i++) recorder.ping('GET');
  for (let i = 0; i < 3; i++) recorder.ping('POST');
  return recorder;
}

describe('openTelemetryMetrics', () => {
  it('counts every event and ping of a day under its instrument, with only its closed attributes', async () => {
    const { provider, collect } = sdk();
    replayDay({ meterProvider: provider });
    const scopes = await collect();
    const found = byName(scopes);

    expect([...found.keys()].sort()).toEqual([
      'session_security.expiries',
      'session_security.extensions',
      'session_security.pings',
      'session_security.refused',
      'session_security.sign_in.duration',
      'session_security.sign_ins',
      'session_security.sign_outs',
      'session_security.store_failures',
    ]);
    expect(sums(found.get('session_security.sign_ins'))).toEqual([[{}, 2]]);
    expect(sums(found.get('session_security.extensions'))).toEqual([[{}, 2]]);
    expect(sums(found.get('session_security.expiries'))).toEqual([[{ reason: 'idle' }, 1]]);
    expect(sums(found.get('session_security.sign_outs'))).toEqual([[{ how: 'logout' }, 1]]);
    expect(sums(found.get('session_security.refused'))).toEqual([[{ reason: 'cross-origin' }, 3]]);
    expect(sums(found.get('session_security.store_failures'))).toEqual([
      [{ operation: 'touch' }, 1],
    ]);
    expect(sums(found.get('session_security.pings'))).toEqual([
      [{ method: 'GET' }, 5],
      [{ method: 'POST' }, 3],
    ]);

    // No user id, sign-in marker, path or app data anywhere in the attributes.
    const values = scopes
      .flatMap((s) => s.metrics)
      .flatMap((m) => m.dataPoints as { attributes: Record<string, unknown> }[])
      .flatMap((p) => [...Object.keys(p.attributes), ...Object.values(p.attributes)]);
    for (const secret of ['user-42', 'sign-in-a', 'sign-in-b', '/session-security/ping', 'acme']) {
      expect(values).not.toContain(secret);
    }
  });

  it('records the length of each ended sign-in in seconds, by how it ended, in buckets from a minute to a day', async () => {
    const { provider, collect } = sdk();
    replayDay({ meterProvider: provider });
    const duration = byName(await collect()).get('session_security.sign_in.duration');

    expect(duration?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(duration?.descriptor).toMatchObject({ unit: 's', valueType: ValueType.DOUBLE });
    const points = (duration?.dataPoints ?? []).map((p) => ({
      attributes: p.attributes,
      ...(p.value as Histogram),
    }));
    const boundaries = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400];
    //                 ≤60 ≤300 ≤900 ≤1800 … >86400 (upper bounds are inclusive)
    const one = (index: number) => boundaries.map((_, i) => (i === index ? 1 : 0)).concat(0);
    expect(points).toEqual([
      expect.objectContaining({
        attributes: { end: 'logout' },
        count: 1,
        sum: 120,
        buckets: { boundaries, counts: one(1) },
      }),
      expect.objectContaining({
        attributes: { end: 'idle' },
        count: 1,
        sum: 900,
        buckets: { boundaries, counts: one(2) },
      }),
    ]);
  });

  it('gives counters whole-number values and a unit that names what they count', async () => {
    const { provider, collect } = sdk();
    replayDay({ meterProvider: provider });
    const units = Object.fromEntries(
      [...byName(await collect()).values()]
        .filter((m) => m.dataPointType === DataPointType.SUM)
        .map((m) => [m.descriptor.name, [m.descriptor.unit, m.descriptor.valueType]]),
    );
    expect(units).toEqual({
      'session_security.expiries': ['{expiry}', ValueType.INT],
      'session_security.extensions': ['{extension}', ValueType.INT],
      'session_security.sign_outs': ['{sign_out}', ValueType.INT],
      'session_security.sign_ins': ['{sign_in}', ValueType.INT],
      'session_security.refused': ['{request}', ValueType.INT],
      'session_security.store_failures': ['{failure}', ValueType.INT],
      'session_security.pings': ['{request}', ValueType.INT],
    });
  });

  it('counts refused sign-ins by reason, and a sign-in replaced under maxSignInsPerUser as a sign-out', async () => {
    const { provider, collect } = sdk();
    const recorder = openTelemetryMetrics({ meterProvider: provider });
    recorder.event({ type: 'sign-in-refused', at, reason: 'max-sign-ins', userId: 'ada' });
    recorder.event({ type: 'sign-in-refused', at, reason: 'memory-full' });
    recorder.event({ type: 'sign-in-refused', at, reason: 'made-up' as 'memory-full' });
    recorder.event({ type: 'signed-out', at, signIn: 'a', how: 'replaced', lengthSeconds: 120 });
    const found = byName(await collect());
    expect(sums(found.get('session_security.sign_ins.refused'))).toEqual([
      [{ reason: 'max-sign-ins' }, 1],
      [{ reason: 'memory-full' }, 1],
    ]);
    expect(sums(found.get('session_security.sign_outs'))).toEqual([[{ how: 'replaced' }, 1]]);
    const points = found.get('session_security.sign_in.duration')?.dataPoints ?? [];
    expect(points.map((p) => [p.attributes, (p.value as Histogram).sum])).toEqual([
      [{ end: 'replaced' }, 120],
    ]);
  });

  it('counts lost sign-ins by who found them, and drops an unknown finder', async () => {
    const { provider, collect } = sdk();
    const recorder = openTelemetryMetrics({ meterProvider: provider });
    recorder.event({ type: 'sign-in-lost', at, signIn: 'a', foundBy: 'request' });
    recorder.event({ type: 'sign-in-lost', at, signIn: 'b', foundBy: 'request' });
    recorder.event({ type: 'sign-in-lost', at, signIn: 'c', foundBy: 'ping' });
    recorder.event({ type: 'sign-in-lost', at, signIn: 'd', foundBy: 'made-up' as 'ping' });
    const found = byName(await collect());
    expect(sums(found.get('session_security.sign_ins.lost'))).toEqual([
      [{ found_by: 'request' }, 2],
      [{ found_by: 'ping' }, 1],
    ]);
  });

  it('counts a revocation and an absolute expiry, and a sign-out of unknown length without a duration', async () => {
    const { provider, collect } = sdk();
    const recorder = openTelemetryMetrics({ meterProvider: provider });
    recorder.event({ type: 'signed-out', at, signIn: 'a', how: 'revoked' });
    recorder.event({
      type: 'expired',
      at,
      signIn: 'b',
      reason: 'absolute',
      idleSeconds: 10,
      lengthSeconds: 28800,
      endedAt: at,
      foundBy: 'request',
    });
    const found = byName(await collect());
    expect(sums(found.get('session_security.sign_outs'))).toEqual([[{ how: 'revoked' }, 1]]);
    expect(sums(found.get('session_security.expiries'))).toEqual([[{ reason: 'absolute' }, 1]]);
    const points = found.get('session_security.sign_in.duration')?.dataPoints ?? [];
    expect(points.map((p) => [p.attributes, (p.value as Histogram).sum])).toEqual([
      [{ end: 'absolute' }, 28800],
    ]);
  });

  it('names its meter session-security with the version of package.json', async () => {
    const { provider, collect } = sdk();
    openTelemetryMetrics({ meterProvider: provider }).event(DAY[0] as SessionSecurityEvent);
    const [scope] = await collect();
    expect(scope?.scope).toMatchObject({ name: 'session-security', version: pkg.version });
  });

  it('uses the global meter provider by default', async () => {
    const { provider, collect } = sdk();
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
    replayDay({});
    const found = byName(await collect());
    expect(sums(found.get('session_security.expiries'))).toEqual([[{ reason: 'idle' }, 1]]);
    expect(sums(found.get('session_security.pings'))).toHaveLength(2);
  });

  it('creates its instruments on a given meter, under a given prefix', async () => {
    const { provider, collect } = sdk();
    const meter = provider.getMeter('my-app');
    openTelemetryMetrics({ meter, prefix: 'myapp.auth.' }).ping('POST');
    const [scope] = await collect();
    expect(scope?.scope.name).toBe('my-app');
    expect(sums(byName([scope as ScopeMetrics]).get('myapp.auth.pings'))).toEqual([
      [{ method: 'POST' }, 1],
    ]);
  });

  it('ignores, without throwing, an event of an unknown type and values outside its attribute sets', async () => {
    const { provider, collect } = sdk();
    const recorder = openTelemetryMetrics({ meterProvider: provider });
    const malformed = [
      { type: 'teleported', at, signIn: 'a' },
      { at },
      null,
      'signed-in',
      { type: 'expired', at, signIn: 'a', reason: 'bored', lengthSeconds: 900 },
      { type: 'signed-out', at, signIn: 'a', how: 'user-42' },
      { type: 'refused', at, reason: '/admin/users/42', method: 'GET', path: '/' },
      { type: 'store-failed', at, operation: undefined, error: 'Error' },
    ];
    for (const event of malformed) {
      expect(() => recorder.event(event as unknown as SessionSecurityEvent)).not.toThrow();
    }
    expect(() => recorder.ping('DELETE' as 'GET')).not.toThrow();
    const points = (await collect())
      .flatMap((s) => s.metrics)
      .flatMap((m): unknown[] => m.dataPoints);
    expect(points).toEqual([]);
  });

  it('counts an expiry whose length is not a number of seconds, without recording a duration', async () => {
    const { provider, collect } = sdk();
    const recorder = openTelemetryMetrics({ meterProvider: provider });
    for (const lengthSeconds of [Number.NaN, -5, '900']) {
      recorder.event({
        type: 'expired',
        at,
        signIn: 'a',
        reason: 'idle',
        idleSeconds: 900,
        lengthSeconds: lengthSeconds as number,
        endedAt: at,
        foundBy: 'sweep',
      });
    }
    const found = byName(await collect());
    expect(sums(found.get('session_security.expiries'))).toEqual([[{ reason: 'idle' }, 3]]);
    expect(found.get('session_security.sign_in.duration')?.dataPoints.length ?? 0).toBe(0);
  });
});

describe('openTelemetryMetrics options', () => {
  /** The error openTelemetryMetrics throws for `options`, which may be of any type. */
  function configErrorFor(options: unknown): SessionSecurityConfigError {
    try {
      openTelemetryMetrics(options as OpenTelemetryMetricsOptions);
    } catch (error) {
      if (error instanceof SessionSecurityConfigError) return error;
      throw error;
    }
    throw new Error(`expected openTelemetryMetrics to reject ${JSON.stringify(options)}`);
  }

  it('rejects an option it does not have, suggesting the closest and naming the options it has', () => {
    const error = configErrorFor({ meterprovider: {} });
    expect(error.option).toBe('meterprovider');
    expect(error.message).toBe(
      'session-security: unknown option "meterprovider" of openTelemetryMetrics: did you mean "meterProvider"? The options of openTelemetryMetrics are meter, meterProvider, prefix',
    );
  });

  it('rejects a meter without createCounter', () => {
    const error = configErrorFor({ meter: { createHistogram() {} } });
    expect(error.option).toBe('meter');
    expect(error.message).toMatch(
      /^session-security: meter \(\{\}\) must be an OpenTelemetry Meter with createCounter and createHistogram/,
    );
  });

  it('rejects a meter provider without getMeter', () => {
    expect(configErrorFor({ meterProvider: 'global' }).message).toMatch(
      /^session-security: meterProvider \("global"\) must be an OpenTelemetry MeterProvider with getMeter/,
    );
  });

  it('rejects a meter and a meter provider together', () => {
    const { provider } = sdk();
    expect(configErrorFor({ meter: provider.getMeter('x'), meterProvider: provider }).option).toBe(
      'meter',
    );
  });

  it.each([
    ['a name that starts with a digit', '1app.'],
    ['a space', 'my app.'],
    ['a non-string', 42],
    ['a name too long for an instrument', `a${'b'.repeat(239)}`],
  ])('rejects a prefix with %s', (_, prefix) => {
    const error = configErrorFor({ prefix });
    expect(error.option).toBe('prefix');
    expect(error.message).toContain('must be empty, or a letter then letters, digits');
  });

  it.each([
    ['null', null],
    ['a string', 'session_security.'],
    ['an array', [{ meterProvider: {} }]],
  ])('rejects options that are %s, not an object', (_, options) => {
    const error = configErrorFor(options);
    expect(error.option).toBe('options');
    expect(error.message).toContain('must be an object such as { meterProvider }');
  });

  it('accepts an empty prefix and the longest prefix an instrument name allows', () => {
    const { provider } = sdk();
    expect(() => openTelemetryMetrics({ meterProvider: provider, prefix: '' })).not.toThrow();
    expect(() =>
      openTelemetryMetrics({ meterProvider: provider, prefix: `a${'b'.repeat(238)}` }),
    ).not.toThrow();
  });
});

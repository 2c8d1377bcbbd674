// The README's audit trail and metrics on a real Express app: one sign-in from start to expiry
// as pino lines (refused requests aggregated), and the OpenTelemetry counters read after it.

import { Writable } from 'node:stream';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { pino } from 'pino';
import type { SessionSecurityEvent } from 'session-security';
import { openTelemetryMetrics } from 'session-security/opentelemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { auditTrail } from '../../examples/audit/pino.js';
import { startTestApp } from '../support/express-app.js';
import { SAME_ORIGIN_FETCH, send } from '../support/http.js';
import { sleep } from '../support/sleep.js';

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

/** A pino logger whose lines the test reads. */
function capturedPino() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ base: undefined, timestamp: false }, sink), lines };
}

async function appWithTrail(sweepInterval = 0) {
  const { log, lines } = capturedPino();
  const trail = auditTrail(log);
  // The SDK's in-memory exporter, read when the test flushes (the interval never comes first).
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const events: SessionSecurityEvent[] = [];
  const app = await startTestApp({
    security: {
      onEvent: (event) => {
        events.push(event);
        trail.onEvent(event);
      },
      eventData: () => ({ tenant: 'acme' }),
      metrics: openTelemetryMetrics({ meterProvider: provider }),
      sweepInterval,
    },
  });
  closing.push(async () => {
    trail.stop();
    await provider.shutdown();
    await app.close();
  });
  const metrics = async () => {
    await reader.forceFlush();
    const all = (exporter.getMetrics().at(-1)?.scopeMetrics ?? []).flatMap(
      (scope) => scope.metrics,
    );
    return Object.fromEntries(
      all.map((metric) => [
        metric.descriptor.name,
        metric.dataPoints.map((point) =>
          metric.dataPointType === DataPointType.HISTOGRAM
            ? { ...point.attributes, count: (point.value as { count: number }).count }
            : { ...point.attributes, value: point.value },
        ),
      ]),
    );
  };
  return { app, trail, lines, events, metrics };
}

const ping = (origin: string, jar: Parameters<typeof send>[3], body?: object) =>
  send(
    origin,
    '/session-security/ping',
    body === undefined
      ? { headers: SAME_ORIGIN_FETCH }
      : {
          method: 'POST',
          headers: { ...SAME_ORIGIN_FETCH, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
    jar,
  );

describe('the audit trail of one sign-in, from start to expiry', () => {
  it('logs each event of the sign-in once, counts refused requests in one line, and never a session id', async () => {
    const { app, trail, lines, metrics } = await appWithTrail();
    const jar = await app.signIn({ start: true });
    const sessionCookie = jar.header() ?? '';
    const session = (await ping(app.origin, jar)).json?.session as string;

    app.clock.advance(600);
    expect((await ping(app.origin, jar, { sinceActivity: 0, extend: true })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const forged = await send(
        app.origin,
        '/session-security/ping',
        { headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } },
        jar,
      );
      expect(forged.status).toBe(403);
    }
    app.clock.advance(900);
    const late = await ping(app.origin, jar);
    expect(late.json).toEqual({ status: 'expired', reason: 'idle' });
    trail.flush();

    const trailOf = lines.map(({ level, msg, at, ...rest }) => ({ level, msg, ...rest }));
    expect(trailOf).toEqual([
      {
        level: 30,
        msg: 'signed-in',
        audit: true,
        type: 'signed-in',
        signIn: session,
        userId: 'ada',
        data: { tenant: 'acme' },
        expireAfter: 900,
        warnAfter: 780,
        absoluteTimeout: 0,
      },
      {
        level: 30,
        msg: 'extended',
        audit: true,
        type: 'extended',
        signIn: session,
        userId: 'ada',
        data: { tenant: 'acme' },
      },
      {
        level: 30,
        msg: 'expired',
        audit: true,
        type: 'expired',
        signIn: session,
        userId: 'ada',
        data: { tenant: 'acme' },
        reason: 'idle',
        idleSeconds: 900,
        lengthSeconds: 1500,
        endedAt: app.clock.now(),
        foundBy: 'request',
      },
      {
        level: 40,
        msg: 'refused',
        audit: true,
        type: 'refused',
        counts: { 'cross-origin GET /session-security/ping': 3 },
      },
    ]);
    // Sign-in 600 s, then 900 s idle: the deadline is exactly now.
    expect(lines.find((line) => line.type === 'expired')?.endedAt).toBe(app.clock.now());
    for (const line of lines) {
      const text = JSON.stringify(line);
      const sid = /connect\.sid=s%3A([^.]+)/.exec(sessionCookie)?.[1];
      expect(sid).toBeDefined();
      expect(text).not.toContain(sid);
    }

    expect(await metrics()).toMatchObject({
      'session_security.sign_ins': [{ value: 1 }],
      'session_security.extensions': [{ value: 1 }],
      'session_security.expiries': [{ reason: 'idle', value: 1 }],
      'session_security.refused': [{ reason: 'cross-origin', value: 3 }],
      'session_security.pings': expect.arrayContaining([
        { method: 'GET', value: 2 },
        { method: 'POST', value: 1 },
      ]),
      'session_security.sign_in.duration': [{ end: 'idle', count: 1 }],
    });
  });

  it('reports the expiry of a sign-in nobody comes back to once, from the sweep, and not again when its cookie returns', async () => {
    const { app, events } = await appWithTrail();
    const jar = await app.signIn({ start: true });
    app.clock.advance(899);
    expect(await app.security.signIns.sweep()).toBe(0);
    app.clock.advance(1);
    expect(await app.security.signIns.sweep()).toBe(1);
    expect(await app.security.signIns.sweep()).toBe(0);
    expect((await ping(app.origin, jar)).json).toEqual({ status: 'expired', reason: 'idle' });
    const expired = events.filter((event) => event.type === 'expired');
    expect(expired).toEqual([
      expect.objectContaining({ foundBy: 'sweep', reason: 'idle', idleSeconds: 900 }),
    ]);
  });

  it('sweeps by itself every sweepInterval from the first sign-in on', async () => {
    const { app, events } = await appWithTrail(1);
    await app.signIn({ start: true });
    app.clock.advance(900);
    const deadline = Date.now() + 5000;
    while (!events.some((event) => event.type === 'expired') && Date.now() < deadline) {
      await sleep(100);
    }
    expect(events.filter((event) => event.type === 'expired')).toEqual([
      expect.objectContaining({ foundBy: 'sweep', reason: 'idle' }),
    ]);
  });
});

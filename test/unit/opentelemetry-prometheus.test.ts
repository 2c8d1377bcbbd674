// The Prometheus example (examples/opentelemetry/prometheus.ts) end to end: events recorded through
// openTelemetryMetrics() come out of the exporter's /metrics as Prometheus text.

import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type PrometheusMetrics,
  startPrometheusMetrics,
} from '../../examples/opentelemetry/prometheus.js';
import { onFreePort } from '../support/http.js';

const HOST = '127.0.0.1';

let running: PrometheusMetrics | undefined;
const blockers: Server[] = [];

afterEach(async () => {
  await running?.shutdown();
  running = undefined;
  await Promise.all(blockers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const at = Date.UTC(2026, 0, 5, 9, 0, 0);

describe('the Prometheus example', () => {
  it('serves the recorded events as Prometheus text on /metrics', async () => {
    // A port of its own: the exporter reads port 0 as "the default, 9464".
    let port = 0;
    running = await onFreePort((free) => {
      port = free;
      return startPrometheusMetrics(free, HOST);
    });
    const { metrics, url } = running;
    expect(url).toBe(`http://${HOST}:${port}/metrics`);

    metrics.event({
      type: 'signed-in',
      at,
      signIn: 'a',
      userId: 'user-42',
      expireAfter: 900,
      warnAfter: 780,
      absoluteTimeout: 0,
    });
    metrics.event({
      type: 'signed-in',
      at,
      signIn: 'b',
      expireAfter: 900,
      warnAfter: 780,
      absoluteTimeout: 0,
    });
    metrics.event({ type: 'extended', at, signIn: 'a' });
    metrics.event({
      type: 'expired',
      at,
      signIn: 'a',
      userId: 'user-42',
      reason: 'idle',
      idleSeconds: 900,
      lengthSeconds: 900,
      endedAt: at,
      foundBy: 'sweep',
    });
    metrics.event({ type: 'signed-out', at, signIn: 'b', how: 'logout', lengthSeconds: 120 });
    metrics.event({
      type: 'refused',
      at,
      reason: 'cross-origin',
      method: 'POST',
      path: '/session-security/ping',
    });
    metrics.event({ type: 'store-failed', at, operation: 'touch', error: 'Error ECONNREFUSED' });
    metrics.ping('GET');
    metrics.ping('GET');
    metrics.ping('POST');

    const response = await fetch(url);
    expect(response.status).toBe(200);
    const text = await response.text();
    // The exporter labels every series with the meter's scope.
    const scope = 'otel_scope_name="session-security",otel_scope_version="0.1.0"';
    const lines = text.split('\n');
    for (const line of [
      `session_security_sign_ins_total{${scope}} 2`,
      `session_security_extensions_total{${scope}} 1`,
      `session_security_expiries_total{reason="idle",${scope}} 1`,
      `session_security_sign_outs_total{how="logout",${scope}} 1`,
      `session_security_refused_total{reason="cross-origin",${scope}} 1`,
      `session_security_store_failures_total{operation="touch",${scope}} 1`,
      `session_security_pings_total{method="GET",${scope}} 2`,
      `session_security_pings_total{method="POST",${scope}} 1`,
      '# TYPE session_security_sign_in_duration histogram',
      '# UNIT session_security_sign_in_duration s',
      `session_security_sign_in_duration_count{end="idle",${scope}} 1`,
      `session_security_sign_in_duration_sum{end="idle",${scope}} 900`,
      `session_security_sign_in_duration_bucket{end="idle",${scope},le="300"} 0`,
      `session_security_sign_in_duration_bucket{end="idle",${scope},le="900"} 1`,
      `session_security_sign_in_duration_bucket{end="logout",${scope},le="300"} 1`,
      `session_security_sign_in_duration_bucket{end="logout",${scope},le="+Inf"} 1`,
    ]) {
      expect(lines).toContain(line);
    }
    expect(text).not.toContain('user-42');
    expect(text).not.toContain('/session-security/ping');
  });

  it('stops serving on shutdown', async () => {
    const started = await onFreePort((port) => startPrometheusMetrics(port, HOST));
    await started.shutdown();
    await expect(fetch(started.url)).rejects.toThrow();
  });

  it('rejects when its port is taken, instead of serving nothing in silence', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, HOST, resolve));
    const { port } = blocker.address() as { port: number };
    await expect(startPrometheusMetrics(port, HOST)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

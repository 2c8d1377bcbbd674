// session-security's metrics for Prometheus: openTelemetryMetrics() on a MeterProvider read by the
// Prometheus exporter, which serves http://127.0.0.1:9464/metrics. Run it alone (`npx tsx
// examples/opentelemetry/prometheus.ts`) to see a few sample events; importing it starts nothing.

import { pathToFileURL } from 'node:url';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { MetricsRecorder } from 'session-security';
import { openTelemetryMetrics } from 'session-security/opentelemetry';

/** The recorder to pass as the `metrics` option, and how to stop serving. */
export interface PrometheusMetrics {
  metrics: MetricsRecorder;
  /** Where Prometheus scrapes. */
  url: string;
  /** Stops the exporter's server and the provider. */
  shutdown(): Promise<void>;
}

/**
 * Serves session-security's metrics on `http://host:port/metrics` for Prometheus to scrape.
 *
 * @param port - the exporter's port; 9464 is Prometheus's registered port for OpenTelemetry
 * @param host - the address to listen on; 127.0.0.1 keeps the metrics off the network
 * @returns the recorder, once the server listens
 * @throws the server's error (EADDRINUSE) when it cannot listen
 * @example
 * ```ts
 * const { metrics } = await startPrometheusMetrics();
 * app.use(sessionSecurity({ isAuthenticated, metrics }));
 * ```
 */
export async function startPrometheusMetrics(
  port = 9464,
  host = '127.0.0.1',
): Promise<PrometheusMetrics> {
  // Started below, not by the constructor, which reports a port in use only to OpenTelemetry's
  // diagnostic logger (silent by default): here it rejects.
  const exporter = new PrometheusExporter({ port, host, preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const metrics = openTelemetryMetrics({ meterProvider });
  await exporter.startServer();
  return {
    metrics,
    url: `http://${host}:${port}/metrics`,
    shutdown: () => meterProvider.shutdown(),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { metrics, url } = await startPrometheusMetrics();
  const at = Date.now();
  metrics.event({
    type: 'signed-in',
    at,
    signIn: 'demo',
    expireAfter: 900,
    warnAfter: 780,
    absoluteTimeout: 0,
  });
  metrics.ping('GET');
  metrics.event({
    type: 'expired',
    at,
    signIn: 'demo',
    reason: 'idle',
    idleSeconds: 900,
    lengthSeconds: 900,
    endedAt: at,
    foundBy: 'sweep',
  });
  console.log(`Metrics at ${url} (Ctrl-C to stop)`);
  // The exporter's server does not hold the process open by itself.
  setInterval(() => {}, 1 << 30);
}

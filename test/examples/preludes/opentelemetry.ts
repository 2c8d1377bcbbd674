// The OpenTelemetry examples: the Express context (./express.ts) and `meterProvider`, an
// OpenTelemetry SDK meter provider (shut down after the example).

import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { withExpress } from './express.js';

export * from './express.js';

export const meterProvider = new MeterProvider();

export const $example = withExpress(() => meterProvider.shutdown());

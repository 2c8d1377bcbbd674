// The OpenTelemetry examples: the Express context (./express.ts) and `meterProvider`, an
// OpenTelemetry SDK meter provider (shut down after the example).

import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { PreludeHooks } from '../run.js';
import { $example as express } from './express.js';

export * from './express.js';

export const meterProvider = new MeterProvider();

export const $example: PreludeHooks = {
  after: (run) => express.after?.(run) ?? Promise.resolve(),
  async cleanup() {
    try {
      await express.cleanup?.();
    } finally {
      await meterProvider.shutdown();
    }
  },
};

// The Redis of a test run: Vitest's global setup (test/support/global-setup.ts) starts a
// redis-server of its own on a free port of 127.0.0.1 (no persistence) before any test file, and
// stops it after the last; the tests reach it through `testRedisPort()`. So `npm test` needs no
// Redis running, touches none that is, and leaves nothing running.

import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    redisPort: number;
  }
}

/** The port of the run's Redis (in a test file). */
export function testRedisPort(): number {
  const port = inject('redisPort');
  if (typeof port !== 'number') {
    throw new Error("no test Redis: run the tests through Vitest's config (npm test)");
  }
  return port;
}

/** `redis://127.0.0.1:<port>` of the run's Redis. */
export const testRedisUrl = (): string => `redis://127.0.0.1:${testRedisPort()}`;

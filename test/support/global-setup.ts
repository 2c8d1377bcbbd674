// Vitest's global setup (vitest.config.ts): starts the run's redis-server on a free port of
// 127.0.0.1 (no persistence) before any test file and stops it after the last. Tests reach it
// through test/support/test-redis.ts. Runs in Vitest's main process: no `vitest` import here.

import type { TestProject } from 'vitest/node';
import { startRedisServer } from './redis-server.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedisServer();
  project.provide('redisPort', redis.port);
  return () => redis.close();
}

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by its public names, as users do, but run the sources.
    alias: [
      { find: /^session-security\/express$/, replacement: src('server/express.ts') },
      { find: /^session-security\/redis$/, replacement: src('stores/redis.ts') },
      { find: /^session-security\/fastify$/, replacement: src('server/fastify.ts') },
      { find: /^session-security\/koa$/, replacement: src('server/koa.ts') },
      { find: /^session-security\/hono$/, replacement: src('server/hono.ts') },
      { find: /^session-security\/react$/, replacement: src('react/index.ts') },
      { find: /^session-security\/client$/, replacement: src('client/index.ts') },
      { find: /^session-security\/opentelemetry$/, replacement: src('opentelemetry/index.ts') },
      { find: /^session-security$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // A redis-server of the run's own, on a free port: test/support/global-setup.ts.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    // Browser tests run on real short timeouts: one file at a time keeps a 2-core machine calm.
    fileParallelism: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});

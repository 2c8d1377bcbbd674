import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/support/sequencer.js';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by its public names, as users do, but run the sources.
    alias: [
      { find: /^session-security\/adapter$/, replacement: src('adapter/index.ts') },
      { find: /^session-security\/express$/, replacement: src('server/express.ts') },
      { find: /^session-security\/redis$/, replacement: src('stores/redis.ts') },
      { find: /^session-security\/fastify$/, replacement: src('server/fastify.ts') },
      { find: /^session-security\/koa$/, replacement: src('server/koa.ts') },
      { find: /^session-security\/hono$/, replacement: src('server/hono.ts') },
      { find: /^session-security\/web$/, replacement: src('web/index.ts') },
      { find: /^session-security\/better-auth$/, replacement: src('better-auth/index.ts') },
      { find: /^session-security\/next$/, replacement: src('next/index.ts') },
      { find: /^session-security\/next\/client$/, replacement: src('next/client.ts') },
      { find: /^session-security\/nestjs$/, replacement: src('nestjs/index.ts') },
      { find: /^session-security\/sveltekit$/, replacement: src('sveltekit/index.ts') },
      { find: /^session-security\/react$/, replacement: src('react/index.ts') },
      { find: /^session-security\/client$/, replacement: src('client/index.ts') },
      { find: /^session-security\/opentelemetry$/, replacement: src('opentelemetry/index.ts') },
      { find: /^session-security\/passkeys$/, replacement: src('passkeys/index.ts') },
      { find: /^session-security\/testing$/, replacement: src('testing/index.ts') },
      { find: /^session-security$/, replacement: src('index.ts') },
      // What a Next.js app imports without `.js` (the docs' Next.js blocks): Node needs the file.
      { find: /^next\/(headers|navigation|server|cache)$/, replacement: 'next/$1.js' },
    ],
  },
  test: {
    testTimeout: 20_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Unit, conformance and integration files run side by side (they share nothing: each
    // conformance or integration file has its own servers, ports and Redis key prefix); the
    // browser tests run after them, two files at a time (each has its own browser, servers and
    // Redis keys). Two workers on a 2-core machine, given the longest files first
    // (test/support/sequencer.ts).
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          // A redis-server of the project's own, on a free port: test/support/global-setup.ts;
          // a Cluster and a Sentinel set-up: test/support/global-setup-topologies.ts.
          globalSetup: ['test/support/global-setup.ts', 'test/support/global-setup-topologies.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

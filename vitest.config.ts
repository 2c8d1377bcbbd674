import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by its public names, as users do, but run the sources.
    alias: [
      { find: /^session-security\/express$/, replacement: src('server/express.ts') },
      { find: /^session-security\/client$/, replacement: src('client/index.ts') },
      { find: /^session-security$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});

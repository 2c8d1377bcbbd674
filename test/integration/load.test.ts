// The load bench's small version (bench/load-core.ts): 100 signed-in browsers for 10 s on a real
// Express app in a child process, with each store. A correctness test under load, not a speed
// test: no latency is asserted. The app runs the sources (through tsx), as every test does.

import { describe, expect, it } from 'vitest';
import { type LoadStore, runLoad } from '../../bench/load-core.js';

const SESSIONS = 100;
const DURATION_SECONDS = 10;
/** The run, the app's start and a loaded 2-core machine's slack. */
const TEST_TIMEOUT_MS = 90_000;

describe('under load (100 browsers, 10 s)', () => {
  for (const store of ['default', 'redis'] as const satisfies readonly LoadStore[]) {
    it(
      `${store} store: no errors, no active session signed out, every idle one expires on time`,
      async () => {
        const result = await runLoad({
          sessions: SESSIONS,
          durationSeconds: DURATION_SECONDS,
          store,
          library: 'src',
          // Generous: a slow answer on a busy machine is not what this test is about.
          requestTimeoutMs: 20_000,
        });
        const failures = result.failures.join('\n');
        expect(result.requestsByKind.page, 'pages loaded').toBeGreaterThan(0);
        expect(result.requestsByKind['post-ping'], 'pings sent').toBeGreaterThan(0);
        expect(result.errors, failures).toBe(0);
        expect(result.serverErrors, failures).toBe(0);
        expect(result.wrongfulExpiries, failures).toBe(0);
        expect(result.probes.before, failures).toEqual({ ok: 10, total: 10 });
        expect(result.probes.after, failures).toEqual({ ok: 10, total: 10 });
        if (store === 'redis') expect(result.redisKeysDeleted).toBeGreaterThan(0);
      },
      TEST_TIMEOUT_MS,
    );
  }
});

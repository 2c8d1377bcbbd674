// The order test files start in (vitest.config.ts: `sequence.sequencer`). Two workers take files
// from the front of the list, so the longest files must come first: a 30-second file started
// last runs alone while the other worker idles. Vitest's own order uses the durations it cached
// in node_modules/.vite after an earlier run, and without them (a fresh clone, CI) the largest
// file first, which put the hostile-page files (small files that import their scenarios) last
// and left a minute of one worker running alone. Here a file's duration is Vitest's cached
// one when there is one, else the one in EXPECTED_SECONDS, else none (a file not listed is taken
// for a short one: list a new long file there); failed files still run first, then the longest.

import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each file over a second took in `npm test` (two files at a time, this project's
 * 2-core machine, December 2026). Only their order matters. Paths are relative to the
 * repository root; test/unit/test-sequencer.test.ts checks that each names a test file.
 */
export const EXPECTED_SECONDS: Readonly<Record<string, number>> = {
  'test/e2e/docs-site.test.ts': 290,
  'test/e2e/next.test.ts': 100,
  'test/e2e/sveltekit.test.ts': 140,
  'test/e2e/nestjs.test.ts': 115,
  'test/e2e/better-auth.test.ts': 30,
  'test/e2e/hostile.test.ts': 35,
  'test/e2e/several-instances.test.ts': 30,
  'test/e2e/hostile-cross-site.test.ts': 28,
  'test/e2e/tabs.test.ts': 25,
  'test/e2e/accessibility.test.ts': 19,
  'test/e2e/spa.test.ts': 15,
  'test/e2e/drafts.test.ts': 16,
  'test/e2e/dialog-on-demand.test.ts': 15,
  'test/e2e/single-tab.test.ts': 14,
  'test/e2e/compliance-demo.test.ts': 11,
  'test/e2e/client-policy.test.ts': 7.4,
  'test/e2e/sign-out-unconfirmed.test.ts': 6.2,
  'test/e2e/react.test.ts': 5.8,
  'test/e2e/readme-quick-start.test.ts': 10,
  'test/e2e/hung-server.test.ts': 4.9,
  'test/e2e/screenshot.test.ts': 4,
  'test/e2e/drafts-demo.test.ts': 3.2,
  'test/e2e/smoke.test.ts': 1.4,
  'test/integration/package-install.test.ts': 180,
  'test/integration/examples.test.ts': 30,
  'test/integration/better-auth.test.ts': 15,
  'test/integration/sveltekit.test.ts': 4,
  'test/integration/nestjs.test.ts': 2,
  'test/integration/load.test.ts': 21,
  'test/integration/redis-faults.test.ts': 13.5,
  'test/integration/redis-topologies-support.test.ts': 12,
  'test/integration/redis-topologies.test.ts': 12,
  'test/integration/demo-env.test.ts': 2.3,
  'test/integration/redis-due.test.ts': 3,
  'test/integration/redis-eviction-policy.test.ts': 3.2,
  'test/integration/redis-store.test.ts': 2.2,
  'test/integration/races.test.ts': 2.1,
  'test/integration/redis-sign-ins.test.ts': 1.6,
  'test/integration/audit-trail.test.ts': 1.1,
  'test/conformance/protocol.test.ts': 7.6,
  'test/conformance/sign-ins.test.ts': 2.7,
  'test/conformance/sign-out.test.ts': 2.6,
  'test/conformance/unlock.test.ts': 2.5,
  'test/conformance/events.test.ts': 2.1,
  'test/conformance/ping-hostile.test.ts': 2,
  'test/conformance/ping-bad-input.test.ts': 1.2,
  'test/unit/server/store.test.ts': 3.4,
};

/** A file's expected duration in ms: cached by Vitest, else EXPECTED_SECONDS, else 0. */
export function expectedMs(
  path: string,
  cached: { duration: number } | undefined,
  expected: Readonly<Record<string, number>> = EXPECTED_SECONDS,
): number {
  return cached ? cached.duration : (expected[path] ?? 0) * 1000;
}

/** Failed first, then longest first; files of one duration keep Vitest's order (a stable sort). */
export function compareFiles(
  a: { failed: boolean; ms: number },
  b: { failed: boolean; ms: number },
): number {
  if (a.failed !== b.failed) return a.failed ? -1 : 1;
  return b.ms - a.ms;
}

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const known = files.map((spec) => {
      const path = relative(config.root, spec.moduleId).split('\\').join('/');
      const cached = cache.getFileTestResults(`${spec.project.name}:${path}`);
      return { spec, failed: cached?.failed ?? false, ms: expectedMs(path, cached) };
    });
    return known.sort(compareFiles).map(({ spec }) => spec);
  }
}

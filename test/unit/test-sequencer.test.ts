// The order test files start in (test/support/sequencer.ts): longest first, so that two workers
// do not end with one long file running alone.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import LongestFirstSequencer, {
  compareFiles,
  EXPECTED_SECONDS,
  expectedMs,
} from '../support/sequencer.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A sequencer over a cache holding `cached` (Vitest's results of an earlier run). */
function sequencer(cached: Record<string, { duration: number; failed: boolean }> = {}) {
  const ctx = {
    config: { root },
    cache: { getFileTestResults: (key: string) => cached[key] },
  } as unknown as Vitest;
  return new LongestFirstSequencer(ctx);
}

const spec = (project: string, path: string) =>
  ({ moduleId: `${root}${path}`, project: { name: project } }) as unknown as TestSpecification;

const order = (specs: TestSpecification[]) => specs.map((s) => s.moduleId.slice(root.length));

describe('the test sequencer', () => {
  it('lists only test files that exist', () => {
    const paths = Object.keys(EXPECTED_SECONDS);
    expect(paths.length).toBeGreaterThan(10);
    for (const path of paths) {
      expect(path, 'a path under test/ ending in .test.ts').toMatch(/^test\/.+\.test\.ts$/);
      expect(existsSync(`${root}${path}`), `${path} exists`).toBe(true);
    }
  });

  it('without cached durations (a fresh clone) starts the longest listed files first and unlisted ones last', async () => {
    const sorted = await sequencer().sort([
      spec('e2e', 'test/e2e/smoke.test.ts'),
      spec('unit', 'test/unit/core/policy.test.ts'),
      spec('e2e', 'test/e2e/hostile-cross-site.test.ts'),
      spec('e2e', 'test/e2e/tabs.test.ts'),
      spec('e2e', 'test/e2e/hostile.test.ts'),
    ]);
    expect(order(sorted)).toEqual([
      'test/e2e/hostile.test.ts',
      'test/e2e/hostile-cross-site.test.ts',
      'test/e2e/tabs.test.ts',
      'test/e2e/smoke.test.ts',
      'test/unit/core/policy.test.ts',
    ]);
  });

  it("prefers Vitest's cached durations, and runs a file that failed last time first", async () => {
    const sorted = await sequencer({
      'e2e:test/e2e/smoke.test.ts': { duration: 90_000, failed: false },
      'e2e:test/e2e/tabs.test.ts': { duration: 1_000, failed: true },
    }).sort([
      spec('e2e', 'test/e2e/hostile.test.ts'),
      spec('e2e', 'test/e2e/smoke.test.ts'),
      spec('e2e', 'test/e2e/tabs.test.ts'),
    ]);
    expect(order(sorted)).toEqual([
      'test/e2e/tabs.test.ts',
      'test/e2e/smoke.test.ts',
      'test/e2e/hostile.test.ts',
    ]);
  });

  it('reads a duration from the cache, then the list, else 0; keeps the order of equals', () => {
    expect(expectedMs('a.test.ts', { duration: 5 }, { 'a.test.ts': 9 })).toBe(5);
    expect(expectedMs('a.test.ts', undefined, { 'a.test.ts': 9 })).toBe(9000);
    expect(expectedMs('b.test.ts', undefined, { 'a.test.ts': 9 })).toBe(0);
    const files = [
      { name: 'x', failed: false, ms: 0 },
      { name: 'y', failed: false, ms: 0 },
      { name: 'z', failed: false, ms: 1 },
    ];
    expect(files.sort(compareFiles).map((f) => f.name)).toEqual(['z', 'x', 'y']);
  });
});

// A Vitest reporter that ends the run with one plain line, "N passed, N failed", that any CI
// can read, written as the process exits so it follows Vitest's own summary.

import { writeSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) {
      const tests = [...module.children.allTests()];
      for (const test of tests) counts[test.result().state]++;
      // A file that failed to load has no tests to count: count it as a failure.
      if (module.state() === 'failed' && tests.length === 0) counts.failed++;
    }
    const skipped = counts.skipped + counts.pending;
    const line = `${counts.passed} passed, ${counts.failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.once('exit', () => writeSync(1, `\n${line}\n`));
  }
}

// One time for a test's server and its browsers: the library's own testing kit
// (session-security/testing, src/testing/clock.ts), under the name these tests have used for it.
// The server reads it; each browser context runs Playwright's clock, installed and paused at the
// same time; only `advance` moves them. No Vitest import: support.ts loads it outside Vitest too.

export { type AdvanceOptions, TestClock as SharedClock } from '../../src/testing/index.js';

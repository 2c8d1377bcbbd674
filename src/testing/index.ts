// session-security/testing: one controllable clock for a test's server and browsers, and what a
// test asks of a page or an answer (docs/guide/testing.md). Works with playwright-core or
// @playwright/test (types only: neither is imported), and with any test runner.

export {
  type AdvanceOptions,
  type BrowserContextLike,
  type LocatorLike,
  type PageLike,
  type RequestLike,
  TestClock,
} from './clock.js';
export {
  type AnswerLike,
  type ClientPageLike,
  clientState,
  expectSignedOut,
  expectWarning,
  expiredReason,
} from './expect.js';
export { type SignedInUser, signIn } from './sign-in.js';

// The examples of the core's policy: a sign-in's state as the session keeps it, the time now,
// the timeouts (15 min idle, a warning 2 min before, no absolute limit) and a source of markers.

import { randomUUID } from 'node:crypto';
import { type SecurityState, statusOf, type Timeouts } from '../../../src/core/policy.js';

export { statusOf };
export const now = Date.now();
export const timeouts: Timeouts = {
  expireAfterMs: 900_000,
  warnAfterMs: 780_000,
  absoluteTimeoutMs: 0,
};
/** Signed in an hour ago, last active a minute ago. */
export const state: SecurityState = {
  lastActivity: now - 60_000,
  startedAt: now - 3_600_000,
  id: 'hV3',
};
export const randomId = () => randomUUID();

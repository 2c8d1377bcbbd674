// Upper bounds on the pings one browser sends at the default settings, over simulated time: the
// client's sources in simulated tabs against the server's sources on one fake clock (the
// simulation of bench/network.ts; its fakes and what they assume are listed there).

import { describe, expect, it } from 'vitest';
import { type SimulationResult, seeded, simulate } from '../../../bench/network.js';
import { SessionSecurity } from '../../../src/client/session-security.js';
import { sessionSecurityHandler } from '../../../src/web/index.js';

const library = { SessionSecurity, sessionSecurityHandler };
const EXPIRE_AFTER_MS = 900_000;
/** warnAfter (780 s) minus the report margin (a tenth of it): how often input is reported. */
const REPORT_PERIOD_MS = 702_000;
const HOUR_MS = 3_600_000;
const SEEDS = [1, 2, 3];

const gaps = ({ pings }: SimulationResult) =>
  pings.slice(1).map((ping, i) => ping.atMs - (pings[i]?.atMs ?? 0));

describe.each([
  { tabApis: true, name: 'BroadcastChannel and Web Locks' },
  { tabApis: false, name: 'the storage fallback' },
])('pings per browser with $name', ({ tabApis }) => {
  it.each([
    [5, 1],
    [5, 2],
    [5, 3],
    [12, 4],
  ])(
    'sends at most 2 pings from sign-in to expiry with %i idle tabs (seed %i)',
    async (tabs, seed) => {
      const result = await simulate(library, {
        tabs,
        tabApis,
        durationMs: 2 * EXPIRE_AFTER_MS,
        random: seeded(seed),
      });
      expect(result.pings.length).toBeLessThanOrEqual(2);
      // Every tab warned, then left for the login page once the server said the session expired.
      for (const tab of result.tabs) {
        expect(tab.warnedAtMs).toBeLessThan(tab.expiredAtMs ?? 0);
        expect(tab.reason).toBe('idle');
        expect(tab.expiredAtMs).toBeGreaterThanOrEqual(EXPIRE_AFTER_MS);
      }
      expect(result.covered).toBe(false);
    },
  );

  it.each(SEEDS)(
    'reports input at most once per warnAfter minus the margin over an hour in use (seed %i)',
    async (seed) => {
      const result = await simulate(library, {
        tabs: 1,
        tabApis,
        durationMs: HOUR_MS,
        inputEveryMs: 500,
        random: seeded(100 + seed),
      });
      expect(result.tabs[0]?.expiredAtMs).toBeUndefined();
      expect(result.tabs[0]?.warnedAtMs).toBeUndefined();
      expect(result.pings.length).toBeGreaterThan(0);
      expect(result.pings.length).toBeLessThanOrEqual(Math.ceil(HOUR_MS / REPORT_PERIOD_MS));
      // The period runs from the input the server last heard of, at most 1 s before its ping.
      for (const gap of gaps(result)) expect(gap).toBeGreaterThanOrEqual(REPORT_PERIOD_MS - 1000);
    },
  );

  it('wakes an idle tab at most once a minute before the warning', async () => {
    const result = await simulate(library, {
      tabs: 5,
      tabApis,
      durationMs: 2 * EXPIRE_AFTER_MS,
      random: seeded(7),
    });
    result.timerWakeups.forEach((times, index) => {
      const warnedAt = result.tabs[index]?.warnedAtMs ?? EXPIRE_AFTER_MS;
      const before = times.filter((at) => at < warnedAt).length;
      expect(before).toBeLessThanOrEqual(Math.ceil(warnedAt / 60_000));
    });
  });
});

// The default store's copy of the last activity in the session: rewritten only when it falls a
// step behind (a hundredth of expireAfter, 1 s to 15 s), while this process answers to the second;
// another process reading the copy sees a sign-in idle at most one step longer, never shorter.

import session from 'express-session';
import { afterEach, describe, expect, it } from 'vitest';
import { activityStepMs } from '../../src/core/policy.js';
import { startTestApp } from '../support/express-app.js';
import { SAME_ORIGIN_FETCH, send } from '../support/http.js';

const apps: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** A MemoryStore that counts its writes. */
function countingStore() {
  const store = new session.MemoryStore();
  const counts = { set: 0 };
  const set = store.set.bind(store);
  store.set = (sid, data, callback) => {
    counts.set++;
    set(sid, data, callback);
  };
  return { store, counts };
}

const idleFor = async (origin: string, jar: Parameters<typeof send>[3]) =>
  (await send(origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar)).json?.idleFor;

describe("the default store's copy in the session", () => {
  it('steps by a hundredth of expireAfter, from 1 s to 15 s', () => {
    const step = (expireAfter: number) =>
      activityStepMs({
        expireAfterMs: expireAfter * 1000,
        warnAfterMs: 0,
        absoluteTimeoutMs: 0,
      });
    expect([step(10), step(120), step(900), step(3600), step(86_400)]).toEqual([
      1000, 1200, 9000, 15_000, 15_000,
    ]);
  });

  it('is rewritten once a step while the user is active, and this process still answers to the second', async () => {
    const { store, counts } = countingStore();
    const app = await startTestApp({ store });
    apps.push(app);
    const jar = await app.signIn({ start: true });
    const writesAtSignIn = counts.set;
    // Active every 2 s for 60 s: 30 requests, one copy every 9 s or so.
    for (let i = 0; i < 30; i++) {
      app.clock.advance(2);
      expect(
        (await send(app.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar)).status,
      ).toBe(200);
      expect(await idleFor(app.origin, jar)).toBe(0);
    }
    const copies = counts.set - writesAtSignIn;
    expect(copies).toBeGreaterThanOrEqual(6); // 60 s / 10 s
    expect(copies).toBeLessThanOrEqual(7); // 60 s / 9 s
  });

  it('lets another process see the sign-in idle at most one step longer, so it ends early, never late', async () => {
    const { store } = countingStore();
    const first = await startTestApp({ store });
    apps.push(first);
    const jar = await first.signIn({ start: true });
    for (let i = 0; i < 8; i++) {
      first.clock.advance(1);
      await send(first.origin, '/api/data', { headers: SAME_ORIGIN_FETCH }, jar);
    }
    expect(await idleFor(first.origin, jar)).toBe(0);
    // A second process on the same sessions (a restart, another instance), at the same time.
    const second = await startTestApp({ store });
    apps.push(second);
    second.clock.ms = first.clock.ms;
    const seen = await idleFor(second.origin, jar);
    expect(seen).toBeGreaterThanOrEqual(0);
    expect(seen).toBeLessThanOrEqual(9);
    // It ends the sign-in no later than the first process would have.
    second.clock.advance(900 - Number(seen));
    expect(
      (await send(second.origin, '/session-security/ping', { headers: SAME_ORIGIN_FETCH }, jar))
        .json,
    ).toEqual({ status: 'expired', reason: 'idle' });
  });
});

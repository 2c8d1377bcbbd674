// Unit tests of the default store's memory (src/server/store.ts), on a fake clock: it never forgets
// a sign-in it must remember, whatever one account (or many) does; past its bounds it refuses new
// sign-ins instead, loudly.

import { describe, expect, it } from 'vitest';
import { SignInRefusedError } from '../../../src/core/errors.js';
import { readState } from '../../../src/core/policy.js';
import { sessionObjectStore } from '../../../src/server/store.js';
import { FakeSession } from '../../support/fake-session.js';

const TIMEOUTS = { expireAfterMs: 900_000, warnAfterMs: 780_000, absoluteTimeoutMs: 0 };
const T0 = 1_700_000_000_000;

/** The marker of the sign-in a session holds. */
function markerOf(session: FakeSession): string | undefined {
  const state = readState(session.read());
  return typeof state === 'object' ? state.id : undefined;
}

function setup(bounds: { maxSignIns?: number; maxSignInsPerUser?: number } = {}) {
  let nowMs = T0;
  const warnings: string[] = [];
  const store = sessionObjectStore({
    now: () => nowMs,
    logger: { warn: (message) => warnings.push(message), error: () => {} },
    ...bounds,
  });
  let sessions = 0;
  const signIn = async (userId: string | undefined) => {
    const session = new FakeSession(`sid-${++sessions}`);
    await store.start(session, TIMEOUTS, userId === undefined ? {} : { userId });
    return session;
  };
  return {
    store,
    warnings,
    signIn,
    advance: (ms: number) => {
      nowMs += ms;
    },
    /** Signs in and out `count` times as `userId`; how many of the sign-ins were refused. */
    async cycles(userId: string, count: number): Promise<number> {
      let refused = 0;
      for (let i = 0; i < count; i++) {
        try {
          const session = await signIn(userId);
          await store.end(session, 'logout', TIMEOUTS);
        } catch (error) {
          if (!(error instanceof SignInRefusedError)) throw error;
          refused++;
        }
      }
      return refused;
    },
  };
}

describe('the default store never forgets what it must remember', () => {
  it("does not accept another user's signed-out sign-in saved back after 50,000 sign-in/sign-out cycles of one account", async () => {
    const t = setup();
    const ada = await t.signIn('ada');
    const inFlight = ada.copy(); // a slow request of ada's, holding her signed-in session
    await t.store.end(ada, 'logout', TIMEOUTS);
    t.advance(1000);
    const refused = await t.cycles('mallory', 50_000);
    // The store saves ada's copy back: it stays signed out.
    expect(await t.store.touch(inFlight, 0, TIMEOUTS)).toMatchObject({
      kind: 'ended',
      reason: 'logout',
    });
    // Mallory's account was refused past its share (100 sign-ins within expireAfter), loudly.
    expect(refused).toBe(50_000 - 100);
    expect(t.warnings.some((w) => w.includes('sign-in(s) refused'))).toBe(true);
  });

  it("keeps a stolen sign-in in its owner's list whatever another account signs in, so 'end all' ends it", async () => {
    const t = setup();
    const stolen = await t.signIn('ada');
    let refused = 0;
    for (let i = 0; i < 100_000; i++) {
      try {
        await t.signIn('mallory');
      } catch (error) {
        if (!(error instanceof SignInRefusedError)) throw error;
        expect(error.reason).toBe('user-memory-full');
        expect(error.status).toBe(429);
        refused++;
      }
    }
    const ended = await t.store.revoke?.({ userId: 'ada' }, TIMEOUTS);
    expect(ended?.map((state) => state.id)).toEqual([markerOf(stolen)]);
    expect(await t.store.touch(stolen, 0, TIMEOUTS)).toMatchObject({
      kind: 'ended',
      reason: 'revoked',
    });
    // Mallory's account was refused past its share, with a 429 the app can show.
    expect(refused).toBe(100_000 - 100);
  });

  it('refuses every new sign-in with 503 once the process holds its bound, and forgets none', async () => {
    const t = setup({ maxSignIns: 1000, maxSignInsPerUser: 10 });
    const ada = await t.signIn('ada');
    const inFlight = ada.copy();
    await t.store.end(ada, 'logout', TIMEOUTS);
    const bob = await t.signIn('bob');
    // 998 places are left: many accounts fill them.
    for (let user = 0; user < 100; user++) {
      for (let i = 0; i < 10 && user * 10 + i < 998; i++) await t.signIn(`user-${user}`);
    }
    const refusal = await t.signIn('carol').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SignInRefusedError);
    expect((refusal as SignInRefusedError).reason).toBe('memory-full');
    expect((refusal as SignInRefusedError).status).toBe(503);
    expect((refusal as SignInRefusedError).headers['retry-after']).toBe('60');
    // Nothing was forgotten: ada's sign-out holds, bob's sign-in is listed and lives.
    expect(await t.store.touch(inFlight, 0, TIMEOUTS)).toMatchObject({ kind: 'ended' });
    expect((await t.store.signIns?.('bob', TIMEOUTS))?.length).toBe(1);
    expect(await t.store.touch(bob, 0, TIMEOUTS)).toMatchObject({ kind: 'active' });
    // Once the ended ones lapse and the idle ones pass their deadline, there is room again.
    t.advance(TIMEOUTS.expireAfterMs);
    await expect(t.signIn('carol')).resolves.toBeDefined();
  });

  it('bounds sign-ins without a user by the total only', async () => {
    const t = setup({ maxSignIns: 300, maxSignInsPerUser: 10 });
    for (let i = 0; i < 300; i++) await t.signIn(undefined);
    await expect(t.signIn(undefined)).rejects.toMatchObject({ reason: 'memory-full' });
  });

  it('answers a sign-in from before a restart 503 at its first request while there is no room, never serving it unlisted', async () => {
    const before = setup({ maxSignIns: 2, maxSignInsPerUser: 2 });
    const old = await before.signIn('ada');
    const after = setup({ maxSignIns: 2, maxSignInsPerUser: 2 });
    await after.signIn('bob');
    await after.signIn('carol');
    // Thrown at once (the default store answers synchronously), or as a rejection: either way.
    const refusal = await Promise.resolve()
      .then(() => after.store.touch(old, 0, TIMEOUTS))
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SignInRefusedError);
    expect((refusal as SignInRefusedError).status).toBe(503);
    expect(await after.store.signIns?.('ada', TIMEOUTS)).toEqual([]);
  });
});

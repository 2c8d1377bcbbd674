// The default store's memory of sign-ins, measured on the store itself: the heap that 100,000
// live sign-ins take in this process, then the same sign-ins once ended (remembered until they
// could no longer live). Run in a child process with --expose-gc, so each reading follows a full GC.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FakeSession } from '../test/support/fake-session.js';
import type { BenchSection } from './report.js';

/** Sign-ins measured: the default bound of the memory, 1,000 users with 100 each. */
const SIGN_INS = 100_000;
const USERS = 1000;
const TIMEOUTS = { expireAfterMs: 900_000, warnAfterMs: 780_000, absoluteTimeoutMs: 0 };

interface Reading {
  live: number;
  ended: number;
  sessionCopy: number;
}

/**
 * In the child: the heap per sign-in of a store with every sign-in live (the session's copy of
 * the clock measured apart), then of a store with every sign-in ended, in bytes. A first round,
 * discarded, warms the code up (its first reading is off by the JIT's own garbage).
 */
async function measureHere(): Promise<Reading> {
  const { sessionObjectStore } = await import('../src/server/store.js');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const heap = () => {
    for (let i = 0; i < 4; i++) gc();
    return process.memoryUsage().heapUsed;
  };
  const round = async (count: number) => {
    let nowMs = 1_700_000_000_000;
    const sessions = Array.from(
      { length: count },
      (_, i) => new FakeSession(`session-id-${i.toString(36).padStart(24, '0')}`),
    );
    const signInAll = async (store: ReturnType<typeof sessionObjectStore>) => {
      for (const [i, session] of sessions.entries()) {
        await store.start(session, TIMEOUTS, {
          userId: `user-${i % USERS}`,
          agent: 'Firefox on Linux',
        });
      }
    };
    const store = () => sessionObjectStore({ now: () => nowMs, logger: console });
    // Live: the store's memory, then the sessions' copies of the clock dropped from it.
    const before = heap();
    const liveStore = store();
    await signInAll(liveStore);
    const withCopies = heap();
    for (const session of sessions) session.clear();
    const live = heap();
    // Ended: as the library ends one, recorded as ended, then the session destroyed.
    const endedStore = store();
    await signInAll(endedStore);
    nowMs += 1000;
    for (const session of sessions) {
      await endedStore.end(session, 'logout', TIMEOUTS);
      session.clear();
    }
    const ended = heap();
    return {
      live: (live - before) / count,
      sessionCopy: (withCopies - live) / count,
      // The live store is still held: what the ended one added on top.
      ended: (ended - live) / count,
      keep: [liveStore, endedStore],
    };
  };
  await round(SIGN_INS / 10);
  const { live, sessionCopy, ended } = await round(SIGN_INS);
  return { live, sessionCopy, ended };
}

export async function run(): Promise<BenchSection[]> {
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child'],
    { encoding: 'utf8' },
  );
  const reading = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Reading;
  const mb = (bytesEach: number) => `${((bytesEach * SIGN_INS) / 1e6).toFixed(1)} MB`;
  return [
    {
      title: 'memory, default store',
      rows: [
        {
          name: `heap for ${SIGN_INS.toLocaleString('en')} live sign-ins (${USERS} users)`,
          value: `${mb(reading.live)} (${Math.round(reading.live)} bytes each)`,
        },
        {
          name: "the sessions' own copies of those clocks (in the app's session store)",
          value: `${mb(reading.sessionCopy)} (${Math.round(reading.sessionCopy)} bytes each)`,
        },
        {
          name: `heap for ${SIGN_INS.toLocaleString('en')} ended sign-ins, their sessions destroyed (each remembered by marker and by session id)`,
          value: `${mb(reading.ended)} (${Math.round(reading.ended)} bytes each)`,
        },
      ],
      notes: [
        `The store on its own, in a child process with --expose-gc, each reading after full GCs, after a discarded round of ${SIGN_INS / 10}: ${SIGN_INS} sign-ins started with a user id and a browser summary (live), then in a second store ${SIGN_INS} more started and ended (logout), each session emptied as the library destroys it (ended).`,
      ],
    },
  ];
}

if (process.argv.includes('--child')) {
  console.log(JSON.stringify(await measureHere()));
}

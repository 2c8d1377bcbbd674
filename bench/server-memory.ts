// The server bench's memory measurement: the heap a process holds for signed-in sessions, with
// and without session-security (default store), in a child process run with --expose-gc.
// Both apps are Express 5 + express-session with its MemoryStore; users sign in through the app's
// own sign-in route (session-security's `start`), as a real process would hold them.

import type { AppSpec } from './server-apps.js';
import { send, signInMany, startChild } from './server-load.js';

export interface MemoryResult {
  signIns: number;
  /** Heap bytes per signed-in session after a full GC: without, and with session-security. */
  perSession: { baseline: number; withSecurity: number };
}

/** Sessions signed in before the heap is first read: the apps' code paths warm, their caches full. */
const WARM_SIGN_INS = 200;

export async function measureMemory(
  runPrefix: string,
  signIns: number,
  log: (line: string) => void,
): Promise<MemoryResult> {
  const specs: AppSpec[] = [
    { framework: 'express', sessions: 'memory', security: 'none' },
    { framework: 'express', sessions: 'memory', security: 'default' },
  ];
  const child = startChild(specs, `${runPrefix}memory:`, ['--expose-gc']);
  try {
    const origins = await child.ready;
    const perSession: number[] = [];
    for (const [i, origin] of origins.entries()) {
      const warm = await signInMany(origin, WARM_SIGN_INS);
      for (const cookie of warm.slice(0, 20)) await send(origin, '/api/account', { cookie });
      const before = await child.heap();
      // The cookies stay here, in the parent: the child holds only what the server keeps.
      const cookies = await signInMany(origin, signIns, WARM_SIGN_INS);
      const after = await child.heap();
      perSession.push((after - before) / cookies.length);
      log(
        `    ${i === 0 ? 'without' : 'with'} session-security: heap ${(before / 2 ** 20).toFixed(1)} MiB before, ${(after / 2 ** 20).toFixed(1)} MiB after ${cookies.length} sign-ins`,
      );
    }
    return {
      signIns,
      perSession: {
        baseline: perSession[0] ?? Number.NaN,
        withSecurity: perSession[1] ?? Number.NaN,
      },
    };
  } finally {
    await child.stop();
  }
}

// The server bench's untimed counts, Express with its sessions in Redis (connect-redis): the
// Redis commands each page request costs, seen by MONITOR on a separate connection, and the
// session rewrites (connect-redis `set` calls) session-security's Redis store saves over its
// default store, which rewrites the session's copy of the activity once a step (9 s at 900 s).
// A fake clock moves 1.1 s between rounds: each session makes a page request every 1.1 s.

import { type AppSpec, startApp } from './server-apps.js';
import { sendLoadRequest, signInMany } from './server-load.js';
import { connectSubscriber, type RedisClient } from './server-redis.js';

export type CountSetup = 'baseline' | 'redis' | 'default';
export const COUNT_SETUPS: readonly CountSetup[] = ['baseline', 'redis', 'default'];
const SPECS: Record<CountSetup, AppSpec> = {
  baseline: { framework: 'express', sessions: 'redis', security: 'none' },
  redis: { framework: 'express', sessions: 'redis', security: 'redis' },
  default: { framework: 'express', sessions: 'redis', security: 'default' },
};
/** Between rounds: past session-security's once-a-second write interval. */
const STEP_MS = 1100;
/** Commands session-security sends; everything else on the client is connect-redis's. */
const LIBRARY_COMMANDS = new Set(['EVALSHA', 'EVAL', 'EVALSHA_RO', 'EVAL_RO', 'SCRIPT']);
const MONITOR_LINE = /^\S+ \[\d+ (\S+)\] "([^"]*)"/;

export interface Counts {
  requests: number;
  /** Commands the app's client sent between the marks, by name. */
  commands: Map<string, number>;
  /** connect-redis `set` calls after sign-in, and the bytes they wrote. */
  sessionWrites: number;
  sessionWriteBytes: number;
}

/** Per request: session-security's own commands (EVALSHA…), and all round trips. */
export const libraryCommands = (c: Counts) =>
  [...c.commands].filter(([name]) => LIBRARY_COMMANDS.has(name)).reduce((sum, [, n]) => sum + n, 0);
export const allCommands = (c: Counts) => [...c.commands.values()].reduce((sum, n) => sum + n, 0);

/**
 * Signs `sessions` users in on each setup, then makes `rounds` rounds in which each session
 * loads the page once. Counts the commands of `client` between two marker commands.
 */
export async function countCommands(
  client: RedisClient,
  runPrefix: string,
  sessions: number,
  rounds: number,
): Promise<Record<CountSetup, Counts>> {
  const { addr: address } = await client.clientInfo();
  const monitor = client.duplicate();
  monitor.on('error', (error: Error) => console.error(`server bench: MONITOR: ${error.message}`));
  await monitor.connect();
  try {
    // Only this client's lines are kept: other clients of the same Redis are none of ours.
    const seen: string[] = [];
    await monitor.monitor((line) => {
      const text = String(line);
      if (text.includes(` ${address}] `)) seen.push(text);
    });
    const counts = {} as Record<CountSetup, Counts>;
    for (const setup of COUNT_SETUPS) {
      counts[setup] = await countOne(setup, client, address, seen, runPrefix, sessions, rounds);
    }
    return counts;
  } finally {
    monitor.destroy();
  }
}

async function countOne(
  setup: CountSetup,
  client: RedisClient,
  address: string,
  seen: string[],
  runPrefix: string,
  sessions: number,
  rounds: number,
): Promise<Counts> {
  const clock = { ms: Date.now(), now: () => clock.ms };
  let sessionWrites = 0;
  let sessionWriteBytes = 0;
  // The README setup: the Redis store with its subscriber (copies of records).
  const subscriber = setup === 'redis' ? await connectSubscriber(client) : undefined;
  const app = await startApp(SPECS[setup], {
    prefix: `${runPrefix}count-${setup}:`,
    client,
    ...(subscriber ? { subscriber } : {}),
    clock,
    onSessionWrite: (bytes) => {
      sessionWrites++;
      sessionWriteBytes += bytes;
    },
  });
  try {
    const cookies = await signInMany(app.origin, sessions);
    if (subscriber) {
      // As in an app that has run a while: its subscription proved (a heartbeat back, within
      // cacheBound / 4), and each sign-in's record copied by a first request.
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const cookie of cookies) await sendLoadRequest(app.origin, 'page', cookie);
    }
    const startMark = `${runPrefix}mark:${setup}:start`;
    const endMark = `${runPrefix}mark:${setup}:end`;
    await client.get(startMark);
    sessionWrites = 0;
    sessionWriteBytes = 0;
    let requests = 0;
    for (let round = 0; round < rounds; round++) {
      clock.ms += STEP_MS;
      for (const cookie of cookies) {
        const reply = await sendLoadRequest(app.origin, 'page', cookie);
        if (reply.status !== 200) {
          throw new Error(
            `server bench: counts, ${setup}: the page answered ${reply.status} ${reply.body}`,
          );
        }
        requests++;
      }
    }
    const writes = { sessionWrites, sessionWriteBytes };
    await client.get(endMark);
    const isMark = (mark: string) => (line: string) => line.includes(`"GET" "${mark}"`);
    const deadline = Date.now() + 5000;
    while (!seen.some(isMark(endMark))) {
      if (Date.now() > deadline)
        throw new Error('server bench: MONITOR did not show the end mark within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const from = seen.findIndex(isMark(startMark));
    const to = seen.findIndex(isMark(endMark));
    const commands = new Map<string, number>();
    for (const line of seen.slice(from + 1, to)) {
      const match = MONITOR_LINE.exec(line);
      if (!match || match[1] !== address) continue;
      const name = (match[2] ?? '').toUpperCase();
      commands.set(name, (commands.get(name) ?? 0) + 1);
    }
    return { requests, commands, ...writes };
  } finally {
    await app.close();
    subscriber?.destroy();
  }
}

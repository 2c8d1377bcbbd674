// The server bench's child process: starts the apps it is given (BENCH_APPS, JSON AppSpec[]) on
// 127.0.0.1, so that the load generator does not share their event loop, and answers the parent
// over IPC: its CPU time so far, its heap after a full GC (when run with --expose-gc), a CPU
// profile of a stretch of time. On `stop`,
// on the parent's going away or on a signal, it closes its apps, deletes every Redis key under
// BENCH_RUN_PREFIX and exits (so that `--cpu-prof` writes its profile).

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { type AppSpec, appName, type RunningApp, startApp } from './server-apps.js';
import type { ChildMessage, ChildRequest } from './server-load.js';
import { connectRedis, connectSubscriber, deleteKeys, type RedisClient } from './server-redis.js';

/** Runs a full GC a few times (weak references and finalizers settle in between). */
async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('server bench: the heap is measured with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** V8's CPU profiler (what `node --cpu-prof` runs), over the inspector: started and stopped on request. */
const profiler = {
  session: undefined as Session | undefined,
  async start(intervalMicros: number): Promise<void> {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalMicros });
    await session.post('Profiler.start');
    this.session = session;
  },
  async stop(path: string): Promise<void> {
    const { session } = this;
    if (!session) throw new Error('server bench child: the profiler was not started');
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
    this.session = undefined;
  },
};

async function serve(): Promise<void> {
  const run = process.env.BENCH_RUN_PREFIX;
  const specs = JSON.parse(process.env.BENCH_APPS ?? '[]') as AppSpec[];
  if (!run || specs.length === 0) {
    throw new Error('server bench child: needs BENCH_RUN_PREFIX and BENCH_APPS');
  }
  const send = (message: ChildMessage) => {
    if (process.connected) process.send?.(message);
  };
  const failed = (error: Error) => send({ kind: 'failed', message: error.message });
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  process.on('message', (message: ChildRequest) => {
    if (message?.kind === 'stop') stop();
    else if (message?.kind === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ kind: 'cpu', micros: user + system });
    } else if (message?.kind === 'heap') {
      settledHeap().then((bytes) => send({ kind: 'heap', bytes }), failed);
    } else if (message?.kind === 'profile-start') {
      profiler.start(message.intervalMicros).then(() => send({ kind: 'profile-start' }), failed);
    } else if (message?.kind === 'profile-stop') {
      profiler.stop(message.path).then(() => send({ kind: 'profile-stop' }), failed);
    }
  });
  process.once('disconnect', stop); // the parent went away: clean up all the same
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const clients: RedisClient[] = [];
  const apps: RunningApp[] = [];
  const needsRedis = specs.some((spec) => spec.sessions === 'redis' || spec.security === 'redis');
  try {
    for (const spec of specs) {
      // One client per app, as each instance of an app has its own.
      let client: RedisClient | undefined;
      let subscriber: RedisClient | undefined;
      if (spec.sessions === 'redis' || spec.security === 'redis') {
        client = await connectRedis();
        clients.push(client);
      }
      if (client && spec.security === 'redis') {
        subscriber = await connectSubscriber(client);
        clients.push(subscriber);
      }
      apps.push(
        await startApp(spec, {
          prefix: `${run}${appName(spec)}:`,
          ...(client ? { client } : {}),
          ...(subscriber ? { subscriber } : {}),
        }),
      );
    }
    send({ kind: 'ready', origins: apps.map((app) => app.origin) });
    await stopped;
  } catch (error) {
    send({ kind: 'failed', message: String((error as Error)?.stack ?? error) });
  } finally {
    for (const app of apps) await app.close().catch(() => {});
    if (needsRedis) {
      try {
        const cleaner = clients[0] ?? (await connectRedis());
        const deleted = await deleteKeys(cleaner, run);
        send({ kind: 'cleaned', deleted });
        if (!clients.includes(cleaner)) clients.push(cleaner);
      } catch (error) {
        console.error(`server bench child: could not delete its Redis keys: ${error}`);
      }
    }
    for (const client of clients) await client.close().catch(() => client.destroy());
    if (process.connected) process.disconnect();
    // Timers of the apps (session-security's sweep is unref'd; Redis sockets are closed): leave.
    process.exit(0);
  }
}

await serve();

// `npm run bench`, the load part: 1,000 signed-in browsers on a real Express app for 60 s, with
// the default store and then with the Redis store (bench/load-core.ts runs them). Reports the
// requests, the errors, the active sessions wrongly signed out, the idle ones probed 1 s either
// side of their deadline, and the latency; asserts nothing. About 2.5 minutes in all.
//
// Environment: BENCH_LOAD_SESSIONS (1000), BENCH_LOAD_DURATION (seconds per store, 60),
// BENCH_LOAD_SOCKETS (100); BENCH_QUICK=1 runs 100 sessions for 10 s (a check, not a measurement).

import { pathToFileURL } from 'node:url';
import { type LoadResult, type LoadStore, runLoad } from './load-core.js';
import { type BenchSection, renderReport } from './report.js';

const QUICK = Boolean(process.env.BENCH_QUICK);

/** A whole number from the environment, within bounds. */
function setting(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `load bench: ${name}=${JSON.stringify(text)} must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}

const STORES: Record<LoadStore, string> = { default: 'default store', redis: 'Redis store' };

const ms = (value: number) => `${value.toFixed(1)} ms`;

function section(result: LoadResult): BenchSection {
  const { probes, latency } = result;
  const appErrors = result.serverErrors;
  const rate = result.requests / result.elapsedSeconds;
  const kinds = Object.entries(result.latencyByKind)
    .map(([kind, l]) => `${kind} ${l.count} (p50 ${ms(l.p50Ms)}, p99 ${ms(l.p99Ms)})`)
    .join(', ');
  return {
    title: `load, ${STORES[result.store]}`,
    rows: [
      {
        name: `requests (${result.sessions} sessions, ${result.durationSeconds} s)`,
        value: `${result.requests} (${rate.toFixed(0)}/s)`,
      },
      {
        name: 'errors: unexpected answers, network errors, timeouts (and errors the app logged)',
        value: `${result.errors} (app logged ${appErrors})`,
        goal: '0',
        met: result.errors === 0 && appErrors === 0,
      },
      {
        name: 'wrongful expiries (401 for a session active within expireAfter)',
        value: String(result.wrongfulExpiries),
        goal: '0',
        met: result.wrongfulExpiries === 0,
      },
      {
        name: 'idle sessions probed 1 s before the deadline: 200 active',
        value: `${probes.before.ok}/${probes.before.total}`,
        goal: 'all',
        met: probes.before.ok === probes.before.total,
      },
      {
        name: 'idle sessions probed 1 s after the deadline: 401 expired',
        value: `${probes.after.ok}/${probes.after.total}`,
        goal: 'all',
        met: probes.after.ok === probes.after.total,
      },
      { name: 'latency p50 (every request)', value: ms(latency.p50Ms) },
      { name: 'latency p99 (every request)', value: ms(latency.p99Ms) },
    ],
    notes: [
      `${result.activeSessions} sessions browse (a page GET with a navigation's headers every ${(result.browseIntervalMs / 1000).toFixed(1)} s ± 30 %, one step in four a POST ping {"sinceActivity": s} instead, as the client sends it), ${result.idleSessions} stay idle after signing in; sign-ins spread over the start of the run; ${result.elapsedSeconds.toFixed(1)} s from the first sign-in to the last answer.`,
      `expireAfter ${result.expireAfterSeconds} s, warnAfter ${result.warnAfterSeconds ?? '?'} s (the default rule, as the pings answered); the app (Express 5, express-session${result.store === 'redis' ? ' with connect-redis, session-security/redis' : ' MemoryStore, clocks in the session object'}, the built package) runs in a child process on 127.0.0.1.`,
      `Concurrency: ${result.sockets} pooled keep-alive sockets serve all ${result.sessions} session timelines (each session one request at a time); latencies are the generator's own, from the request to the end of its answer, including any wait for a free socket.`,
      `Idle probes: GET ping (never activity), 1 s before the earliest possible deadline (sign-in sent + expireAfter) and 1 s after the latest (sign-in answered + expireAfter); the server's expireIn at the 'before' probes: ${probes.beforeExpireInSeconds ? `${probes.beforeExpireInSeconds.min.toFixed(2)}-${probes.beforeExpireInSeconds.max.toFixed(2)} s` : '-'}.`,
      `A 401 for a browsing session is wrongful when it came before (its latest activity - 1 s, the server's write interval) + expireAfter; a later one counts as an error (the generator fell behind). Worst timer lag of the generator: ${result.maxTimerLagMs} ms.`,
      `Requests and latency by kind: ${kinds}.`,
      ...(result.redisKeysDeleted !== undefined
        ? [`Redis keys of the run deleted at its end: ${result.redisKeysDeleted}.`]
        : []),
      ...result.failures.map((failure) => `failure: ${failure}`),
    ],
  };
}

/** The load part: one section per store. A store whose run fails gets a section saying so. */
export async function run(): Promise<BenchSection[]> {
  const sessions = setting('BENCH_LOAD_SESSIONS', QUICK ? 100 : 1000, 10, 10_000);
  const durationSeconds = setting('BENCH_LOAD_DURATION', QUICK ? 10 : 60, 10, 600);
  const sockets = setting('BENCH_LOAD_SOCKETS', 100, 1, 1000);
  const sections: BenchSection[] = [];
  let failed = 0;
  for (const store of Object.keys(STORES) as LoadStore[]) {
    console.error(`load bench: ${sessions} sessions, ${durationSeconds} s, ${STORES[store]}…`);
    try {
      sections.push(section(await runLoad({ sessions, durationSeconds, sockets, store })));
    } catch (error) {
      failed++;
      console.error(`load bench: ${STORES[store]} failed:`, error);
      const message = (error as Error)?.message ?? String(error);
      sections.push({
        title: `load, ${STORES[store]}`,
        rows: [{ name: 'the run', value: `failed: ${message}` }],
        notes: [],
      });
    }
  }
  if (failed === sections.length) throw new Error('load bench: every run failed');
  return sections;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(renderReport(await run()));
}

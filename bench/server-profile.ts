// Where a server's time goes under the bench's load: V8's CPU profile (the profiler of
// `node --cpu-prof`) of the apps' child process while autocannon loads one app, then the
// functions with the most self time, session-security's own (dist/) first.
// Not part of `npm run bench`: run it alone after `npm run build`:
//   npx tsx bench/server-profile.ts
// Environment: BENCH_PROFILE_FRAMEWORK (express), BENCH_PROFILE_APP (with | without
// session-security: with), BENCH_PROFILE_STORE (default | redis: default), BENCH_PROFILE_REQUEST
// (page | ping | echo: page), BENCH_PROFILE_SECONDS (10), BENCH_PROFILE_INTERVAL (sampling, us:
// 200), BENCH_SESSIONS (1000), BENCH_CONNECTIONS (20). The profile is kept (its path is printed)
// for Chrome DevTools' Performance panel.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type AppSpec,
  appName,
  FRAMEWORKS,
  type Framework,
  REDIS_SESSIONS,
} from './server-apps.js';
import {
  checkAnswers,
  closeAgent,
  type LoadRequest,
  sample,
  signInMany,
  startChild,
} from './server-load.js';
import { connectRedis, deleteKeys } from './server-redis.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
/** The `.cpuprofile` format (Chrome DevTools Protocol `Profiler.Profile`). */
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The repository's root, to show dist/ and node_modules/ paths short. */
const ROOT = pathToFileURL(fileURLToPath(new URL('..', import.meta.url))).href;

const LIBRARY = 'session-security (dist/)';
const NODE = 'Node.js (node:*)';

/** Whose code a frame is: session-security's (dist/), a package's, Node's, or V8's own entries. */
export function ownerOf(frame: CallFrame): string {
  if (frame.url.startsWith(`${ROOT}dist/`)) return LIBRARY;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(frame.url)?.[1];
  if (pkg) return pkg;
  if (frame.url.startsWith('node:')) return NODE;
  if (frame.url === '') {
    return frame.functionName.startsWith('(') ? frame.functionName : '(V8 built-ins)';
  }
  return frame.url.startsWith(ROOT) ? 'the bench app (bench/)' : frame.url;
}

const where = (frame: CallFrame) =>
  frame.url === ''
    ? ''
    : `${frame.url.startsWith(ROOT) ? frame.url.slice(ROOT.length) : frame.url}:${frame.lineNumber + 1}`;

export interface ProfileSummary {
  /** Microseconds the profile covers, and those not idle (running JavaScript, GC or Node's own work). */
  totalMicros: number;
  busyMicros: number;
  /** Self time by function (name and place), most first. */
  functions: { name: string; where: string; owner: string; selfMicros: number }[];
  /** Self time by owner, most first. */
  owners: { owner: string; selfMicros: number }[];
  /**
   * Time in session-security's code and in what it calls of V8 and Node (JSON, crypto, timers):
   * samples whose nearest frame of package code is session-security's.
   */
  underLibraryMicros: number;
}

/** Self time per function and per owner, and the time under session-security's code. */
export function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // A sample lasts until the next one (as Chrome DevTools counts): timeDeltas[i + 1].
  const { samples, timeDeltas } = profile;
  const sampledAt: number[] = [];
  let at = profile.startTime;
  for (const delta of timeDeltas) {
    at += delta;
    sampledAt.push(at);
  }
  const selfById = new Map<number, number>();
  let underLibraryMicros = 0;
  let idleMicros = 0;
  for (const [i, id] of samples.entries()) {
    const micros = Math.max(0, (sampledAt[i + 1] ?? profile.endTime) - (sampledAt[i] ?? 0));
    selfById.set(id, (selfById.get(id) ?? 0) + micros);
    if (byId.get(id)?.callFrame.functionName === '(idle)') idleMicros += micros;
    // The nearest frame of some package's code (not V8's or Node's) on the stack: whose work this is.
    for (let frame: number | undefined = id; frame !== undefined; frame = parent.get(frame)) {
      const owner = ownerOf((byId.get(frame) as ProfileNode).callFrame);
      if (owner.startsWith('(') || owner === NODE) continue;
      if (owner === LIBRARY) underLibraryMicros += micros;
      break;
    }
  }
  const functions = new Map<string, ProfileSummary['functions'][number]>();
  const owners = new Map<string, number>();
  let totalMicros = 0;
  for (const [id, selfMicros] of selfById) {
    totalMicros += selfMicros;
    const { callFrame } = byId.get(id) as ProfileNode;
    const key = `${callFrame.functionName}|${callFrame.url}|${callFrame.lineNumber}|${callFrame.columnNumber}`;
    const entry = functions.get(key) ?? {
      name: callFrame.functionName || '(anonymous)',
      where: where(callFrame),
      owner: ownerOf(callFrame),
      selfMicros: 0,
    };
    entry.selfMicros += selfMicros;
    functions.set(key, entry);
    owners.set(entry.owner, (owners.get(entry.owner) ?? 0) + selfMicros);
  }
  return {
    totalMicros,
    busyMicros: totalMicros - idleMicros,
    functions: [...functions.values()].sort((a, b) => b.selfMicros - a.selfMicros),
    owners: [...owners]
      .map(([owner, selfMicros]) => ({ owner, selfMicros }))
      .sort((a, b) => b.selfMicros - a.selfMicros),
    underLibraryMicros,
  };
}

function setting(name: string, fallback: string, allowed?: readonly string[]): string {
  const value = process.env[name]?.trim() || fallback;
  if (allowed && !allowed.includes(value)) {
    throw new Error(
      `server profile: ${name}=${JSON.stringify(value)}: expected one of ${allowed.join(', ')}`,
    );
  }
  return value;
}
function numberSetting(name: string, fallback: number, min: number, max: number): number {
  const value = Number(process.env[name]?.trim() || fallback);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`server profile: ${name} must be a number from ${min} to ${max}`);
  }
  return value;
}

async function main(): Promise<void> {
  const framework = setting('BENCH_PROFILE_FRAMEWORK', 'express', FRAMEWORKS) as Framework;
  const app = setting('BENCH_PROFILE_APP', 'with', ['with', 'without']);
  const store = setting('BENCH_PROFILE_STORE', 'default', ['default', 'redis']);
  const kind = setting('BENCH_PROFILE_REQUEST', 'page', ['page', 'ping', 'echo']) as LoadRequest;
  const seconds = numberSetting('BENCH_PROFILE_SECONDS', 10, 1, 120);
  const interval = numberSetting('BENCH_PROFILE_INTERVAL', 200, 50, 10_000);
  const sessions = Math.round(numberSetting('BENCH_SESSIONS', 1000, 1, 100_000));
  const connections = Math.round(numberSetting('BENCH_CONNECTIONS', 20, 1, 1000));
  const redis = store === 'redis';
  const spec: AppSpec = {
    framework,
    sessions: redis && REDIS_SESSIONS[framework] ? 'redis' : 'memory',
    security: app === 'without' ? 'none' : redis ? 'redis' : 'default',
  };
  if (spec.security === 'none' && kind === 'ping') {
    throw new Error('server profile: an app without session-security has no ping');
  }
  const runPrefix = `bench-profile-${process.pid}-${Date.now()}:`;
  const path = join(
    mkdtempSync(join(tmpdir(), 'session-security-profile-')),
    `${appName(spec)}-${kind}.cpuprofile`,
  );
  console.log(
    `profiling ${appName(spec)}: ${kind} requests of ${sessions} signed-in sessions, ${connections} connections, ${seconds} s (after a 2 s warm-up), sampling every ${interval} us`,
  );
  const child = startChild([spec], runPrefix);
  let answered = 0;
  try {
    const [origin] = await child.ready;
    if (origin === undefined) throw new Error('server profile: the app did not start');
    const cookies = await signInMany(origin, sessions);
    await checkAnswers(spec, origin, cookies[0] as string, [kind]);
    const contender = { label: appName(spec), origin, kind, cookies };
    const meters = { app: () => child.cpu() };
    await sample(contender, 2, { connections }, meters);
    await child.profileStart(interval);
    const profiled = await sample(contender, seconds, { connections }, meters);
    answered = profiled.answered;
    console.log(
      `  ${Math.round(profiled.rps)} req/s while profiled, CPU ${profiled.appCpu.toFixed(0)} us/request (process.cpuUsage), p99 ${profiled.p99} ms`,
    );
    await child.profileStop(path);
  } finally {
    await child.stop();
    closeAgent();
    if (redis) {
      const client = await connectRedis();
      await deleteKeys(client, runPrefix).finally(() => client.close());
    }
  }

  const summary = summarize(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile);
  const columns = (micros: number) =>
    [
      `${((100 * micros) / summary.totalMicros).toFixed(1)} %`.padStart(7),
      `${((100 * micros) / summary.busyMicros).toFixed(1)} %`.padStart(7),
      `${(micros / answered).toFixed(1)} us`.padStart(9),
    ].join(' ');
  const header = `${'of all'.padStart(7)} ${'of busy'.padStart(7)} ${'/request'.padStart(9)}`;
  console.log(`\nprofile: ${path}`);
  console.log(
    `${(summary.totalMicros / 1e6).toFixed(1)} s profiled, ${(summary.busyMicros / 1e6).toFixed(1)} s busy (not idle), ${answered} requests answered. Columns: share of all the time, share of the busy time, microseconds per request.`,
  );
  console.log(
    `\n${header}  in session-security's code and the V8/Node functions it calls (nearest package frame: dist/)`,
  );
  console.log(`${columns(summary.underLibraryMicros)}`);
  console.log(`\n${header}  self time by owner`);
  for (const { owner, selfMicros } of summary.owners.slice(0, 16)) {
    console.log(`${columns(selfMicros)}  ${owner}`);
  }
  const library = summary.functions.filter((f) => f.owner === LIBRARY);
  const librarySelf = library.reduce((sum, f) => sum + f.selfMicros, 0);
  console.log(`\n${header}  session-security's functions by self time`);
  console.log(`${columns(librarySelf)}  (all of them)`);
  for (const f of library.slice(0, 25))
    console.log(`${columns(f.selfMicros)}  ${f.name}  ${f.where}`);
  console.log(`\n${header}  all functions by self time (top 30)`);
  for (const f of summary.functions.slice(0, 30)) {
    console.log(`${columns(f.selfMicros)}  ${f.name}  ${f.where || f.owner}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

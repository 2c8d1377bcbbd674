// A private redis-server for tests and the fault suite: bound to 127.0.0.1 on a free port, with a
// directory of its own (where an append-only file lives), so a test can stop, kill, freeze, flush
// or reconfigure it without touching the run's Redis (test/support/test-redis.ts). Ready means PING
// answers PONG from this very process (another test's server may have taken the port first: then
// another port is tried); a server that exits first fails the start with what it printed.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './http.js';
import { sleep } from './sleep.js';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? 'redis-server';

export interface RedisServerOptions {
  /** `--appendonly yes`: writes go to an append-only file in `dir`, reloaded by `restart()`. Default false. */
  appendOnly?: boolean;
  /** `--appendfsync`, with `appendOnly`; Redis's default is everysec. */
  appendfsync?: 'everysec' | 'always' | 'no';
  /** `--maxmemory`, e.g. '10mb'. */
  maxmemory?: string;
  /** `--maxmemory-policy`, e.g. 'noeviction' or 'allkeys-lru'. */
  maxmemoryPolicy?: string;
  /** `--save`: RDB snapshots. Default '' (none): a test wants no dump files behind its back. */
  save?: string;
  /** More arguments, appended last (so they win). */
  extraArgs?: string[];
  /** Milliseconds to wait for PING at each start. Default 10 000. */
  startTimeoutMs?: number;
}

export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The server's working directory (`--dir`): its append-only file, if any. */
  readonly dir: string;
  /** The running redis-server (a new one after `restart()`). */
  readonly process: ChildProcess;
  /** What the current redis-server printed (its log goes to stdout). */
  readonly output: string[];
  /** SIGTERM (Redis saves its append-only file and exits); resolves once it has exited. */
  stop(): Promise<void>;
  /**
   * Sends a signal. SIGSTOP and SIGCONT resolve at once; a signal that ends the process resolves
   * once it has exited.
   */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts redis-server again on the same port and directory (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Stops it (SIGKILL if it does not stop) and removes its directory. */
  close(): Promise<void>;
}

/** Every redis-server this file started and that has not exited: killed if the process exits first. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * True when a RESP `PING` on 127.0.0.1:port answers `+PONG` (not `-LOADING`) within 500 ms, from
 * the process `pid` (its `INFO server` says `process_id`): a server another test started on the same
 * free port a moment earlier is not this one, which will exit with "Address already in use".
 */
export function answersAs(port: number, pid: number | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () =>
      socket.write('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n'),
    );
    socket.on('data', (data) => {
      answer += data.toString('utf8');
      if (!answer.includes('\r\n')) return;
      if (!answer.startsWith('+PONG')) return done(false);
      const id = /process_id:(\d+)\r\n/.exec(answer)?.[1];
      if (id !== undefined) done(Number(id) === pid);
    });
  });
}

/** Whether the child has exited (or was killed). */
export const hasExited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null;

/** Resolves once the child has exited. */
export function exitOf(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function argsOf(port: number, dir: string, options: RedisServerOptions): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no'];
  args.push('--save', options.save ?? '');
  args.push('--appendonly', options.appendOnly ? 'yes' : 'no');
  if (options.appendfsync) args.push('--appendfsync', options.appendfsync);
  if (options.maxmemory) args.push('--maxmemory', options.maxmemory);
  if (options.maxmemoryPolicy) args.push('--maxmemory-policy', options.maxmemoryPolicy);
  return [...args, ...(options.extraArgs ?? [])];
}

/** SIGTERM (and SIGCONT), SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  child.kill('SIGTERM');
  child.kill('SIGCONT'); // a stopped server handles SIGTERM only once it runs again
  // The time limit is cancelled once the server exits: a pending timer would hold the test
  // runner's process open for its whole length.
  const limit = new AbortController();
  const stopped = await Promise.race([
    exitOf(child).then(() => true),
    sleep(graceMs, limit.signal).then(() => false),
  ]);
  limit.abort();
  if (!stopped) {
    child.kill('SIGKILL');
    await exitOf(child);
  }
}

/**
 * Spawns redis-server with `args` (which name the port: `--port N`) and waits until it answers
 * PING as itself; fails with its output when it exits or stays silent. `label` names it in errors.
 */
export async function launch(
  args: string[],
  timeoutMs: number,
  label = 'redis-server',
): Promise<{ child: ChildProcess; output: string[] }> {
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const output: string[] = [];
  const keep = (text: string) => {
    output.push(text);
    if (output.length > 200) output.shift();
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const port = Number(args[args.indexOf('--port') + 1]);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`cannot run ${REDIS_SERVER}: ${spawnError.message}`);
    if (hasExited(child)) {
      throw new Error(
        `${label} on port ${port} exited (${child.exitCode ?? child.signalCode}) before it answered PING:\n${output.join('')}`,
      );
    }
    if (await answersAs(port, child.pid)) return { child, output };
    await sleep(30);
  }
  child.kill('SIGKILL');
  await exitOf(child);
  throw new Error(
    `${label} on port ${port} did not answer PING within ${timeoutMs} ms:\n${output.join('')}`,
  );
}

/**
 * Starts a redis-server of the caller's own on a free port of 127.0.0.1, in a new directory.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer({ appendOnly: true, appendfsync: 'everysec' });
 * await redis.kill('SIGKILL');
 * await redis.restart(); // the same port, the append-only file reloaded
 * await redis.close();
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<PrivateRedis> {
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'private-redis-'));
  let port = 0;
  let current: { child: ChildProcess; output: string[] } | undefined;
  // Another process may take the free port before redis-server binds it: try another.
  for (let attempt = 0; attempt < 3 && !current; attempt++) {
    port = await freePort();
    try {
      current = await launch(argsOf(port, dir, options), timeoutMs);
    } catch (error) {
      if (attempt === 2 || !/Address already in use/i.test(String(error))) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  if (!current) throw new Error('redis-server did not start'); // unreachable: the loop throws
  let live = current;

  const stop = () => stopProcess(live.child, 10_000);

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get process() {
      return live.child;
    },
    get output() {
      return live.output;
    },
    stop,
    async kill(signal) {
      const { child } = live;
      if (hasExited(child)) return;
      child.kill(signal);
      if (signal !== 'SIGSTOP' && signal !== 'SIGCONT' && signal !== 'SIGTSTP') {
        await exitOf(child);
      }
    },
    async restart() {
      await stop();
      live = await launch(argsOf(port, dir, options), timeoutMs);
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

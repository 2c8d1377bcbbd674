// A private PostgreSQL server for the tests that keep better-auth's data in PostgreSQL, as a
// user's app would: a cluster made by initdb in a temporary directory, bound to 127.0.0.1 on a
// free port, trust authentication, no fsync (nothing here must survive a crash), stopped and
// removed by `stop()`. PostgreSQL refuses to run as root: as root, the cluster is made and run
// as the `postgres` user that Debian's package creates. scripts/prepare-tests.mjs installs the
// package when it is missing.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './http.js';
import { sleep } from './sleep.js';

export interface PrivatePostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The directory of PostgreSQL's server programs (initdb, postgres), the newest installed. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin/initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      'PostgreSQL server programs (initdb, postgres) are missing: sudo apt-get install -y postgresql',
    );
  }
  return join(root, newest, 'bin');
}

/** Starts a fresh cluster; resolves once it accepts connections. */
export async function startPostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'session-security-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? userIds('postgres') : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const run = (program: string, args: string[]) =>
    asRoot
      ? (['runuser', ['-u', 'postgres', '--', program, ...args]] as const)
      : ([program, args] as const);
  const [initCommand, initArgs] = run(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  execFileSync(initCommand, [...initArgs], { stdio: 'pipe' });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const [command, args] = run(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ]);
    const server = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    server.stdout?.on('data', (chunk) => output.push(String(chunk)));
    server.stderr?.on('data', (chunk) => output.push(String(chunk)));
    const ready = await untilReady(bin, port, server);
    const halt = (remove: boolean) => stop(server, data, remove ? dir : undefined, run, bin);
    if (ready) {
      return {
        port,
        url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
        stop: () => halt(true),
      };
    }
    await halt(false);
    if (attempt >= 2) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start:\n${output.join('')}`);
    }
  }
}

async function untilReady(bin: string, port: number, server: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (server.exitCode !== null) return false;
    try {
      execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
      return true;
    } catch {
      await sleep(50);
    }
  }
  return false;
}

/**
 * Stops the server with `pg_ctl stop -m fast` (as root, `runuser` passes no signal on to the
 * postgres it started), waits for its process to exit, then removes its directory.
 */
async function stop(
  server: ChildProcess,
  data: string,
  dir: string | undefined,
  run: (program: string, args: string[]) => readonly [string, readonly string[]],
  bin: string,
): Promise<void> {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    const [command, args] = run(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w']);
    try {
      execFileSync(command, [...args], { stdio: 'pipe', timeout: 15_000 });
    } catch {
      server.kill('SIGKILL');
    }
    await Promise.race([exited, sleep(5000)]);
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

// An example app started as its README says, by its one npm script, for a browser test: on a
// free port of 127.0.0.1, in a process group of its own (npm and what it runs: a build, then the
// server), its output kept for a failure's message, and stopped with the whole group.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/http.js';
import { sleep } from '../support/sleep.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningExample {
  origin: string;
  /** Everything the example printed so far. */
  readonly output: string[];
  /** Stops npm and everything it started (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(undefined);
    else child.once('exit', resolve);
  });
}

/**
 * Runs `npm run <script>` with `PORT` (a free one) and `env`, and waits until `GET readyPath`
 * answers 200. A port another process took first in the meantime (EADDRINUSE) is tried again
 * with another, three times at most.
 */
export async function startExample(
  script: string,
  env: Record<string, string>,
  { readyPath = '/login', timeoutMs = 120_000 } = {},
): Promise<RunningExample> {
  const output: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const child = spawn('npm', ['run', '--silent', script], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.on('data', (chunk) => output.push(String(chunk)));
    child.stderr?.on('data', (chunk) => output.push(String(chunk)));
    const stop = async () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const done = exited(child);
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-(child.pid as number), signal);
        } catch {
          // The group is gone already.
        }
      };
      kill('SIGTERM');
      await Promise.race([done, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) kill('SIGKILL');
    };
    const deadline = Date.now() + timeoutMs;
    while (child.exitCode === null && Date.now() < deadline) {
      const answer = await fetch(`${origin}${readyPath}`).catch(() => undefined);
      if (answer?.status === 200) return { origin, output, stop };
      await sleep(250);
    }
    if (child.exitCode === null) {
      await stop();
      throw new Error(`npm run ${script} did not answer in ${timeoutMs} ms:\n${output.join('')}`);
    }
    if (attempt >= 3 || !output.join('').includes('EADDRINUSE')) {
      throw new Error(`npm run ${script} exited (${child.exitCode}):\n${output.join('')}`);
    }
  }
}

// Support for the several-instances test: two demo processes (tsx, as `npm start` runs it) that
// share Redis, and nginx in front of them as the test's own process, round-robin, with the
// answering instance in an `X-Upstream` header. Every process is started detached (its own
// process group) and stopped by its id; an exit hook kills what a failed run left behind.

import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, send } from '../support/http.js';
import { sleep } from '../support/sleep.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
/** The header nginx adds to every answer: `host:port` of the instance that answered. */
export const UPSTREAM_HEADER = 'x-upstream';

/** Process groups this file started and has not stopped yet. */
const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A child process with its output kept (for failure messages) and a stop that waits for its exit. */
export interface Child {
  readonly process: ChildProcess;
  /** stdout and stderr, interleaved, as received. */
  readonly output: string[];
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

function startChild(command: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  running.add(pid);
  const output: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (text: string) => output.push(text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => output.push(text));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      running.delete(pid);
      resolve(code);
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  return {
    process: child,
    output,
    exited,
    async stop() {
      if (!running.has(pid)) return;
      signalGroup('SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
      if (!gone) {
        signalGroup('SIGKILL');
        await exited;
      }
      // Whatever the leader left in its group (tsx runs the app in a child node process).
      signalGroup('SIGKILL');
    },
  };
}

/** Waits until `ready()` is true, or fails with what the process printed. */
async function waitFor(
  child: Child,
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void child.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${what} exited (${exitCode}) before it answered:\n${child.output.join('')}`);
    }
    if (await ready().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms:\n${child.output.join('')}`);
}

export interface DemoInstance extends Child {
  readonly origin: string;
  /** `127.0.0.1:port`, as nginx names it in X-Upstream. */
  readonly address: string;
}

export interface DemoEnv {
  EXPIRE_AFTER: number;
  WARN_AFTER: number;
  SESSION_SECRET: string;
  /** One Redis, or (the three below) a primary and its replica watched by Sentinels. */
  REDIS_URL?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
  REDIS_WAIT_REPLICAS?: string;
  /** With REDIS_URL: the sign-in clocks on a Redis Cluster (its nodes). */
  REDIS_CLUSTER?: string;
  TRUST_PROXY: string;
}

/**
 * Starts `tsx examples/demo/main.ts` with PORT=0 (the system picks a free port of 127.0.0.1, which
 * the demo prints), and waits until its login page answers.
 */
export async function startDemoProcess(env: DemoEnv): Promise<DemoInstance> {
  const child = startChild(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['examples/demo/main.ts'], {
    ...process.env,
    PORT: '0',
    EXPIRE_AFTER: String(env.EXPIRE_AFTER),
    WARN_AFTER: String(env.WARN_AFTER),
    SESSION_SECRET: env.SESSION_SECRET,
    REDIS_URL: env.REDIS_URL ?? '',
    REDIS_SENTINELS: env.REDIS_SENTINELS ?? '',
    REDIS_SENTINEL_NAME: env.REDIS_SENTINEL_NAME ?? '',
    REDIS_WAIT_REPLICAS: env.REDIS_WAIT_REPLICAS ?? '',
    REDIS_CLUSTER: env.REDIS_CLUSTER ?? '',
    TRUST_PROXY: env.TRUST_PROXY,
    ABSOLUTE_TIMEOUT: '0',
    // These tests follow a tab to the login page on expiry; the lock keeps it in place instead
    // (test/e2e/lock.test.ts).
    LOCK: 'off',
  });
  try {
    let port: number | undefined;
    await waitFor(
      child,
      'the demo',
      async () => {
        port ??= Number(/demo on http:\/\/127\.0\.0\.1:(\d+)/.exec(child.output.join(''))?.[1]);
        if (!port) {
          port = undefined;
          return false;
        }
        return (await send(`http://127.0.0.1:${port}`, '/login')).status === 200;
      },
      30_000,
    );
    const address = `127.0.0.1:${port}`;
    return { ...child, origin: `http://${address}`, address };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

export interface Nginx extends Child {
  readonly origin: string;
  readonly config: string;
}

/** The nginx configuration: one worker, round-robin, a new upstream connection per request. */
export function nginxConfig(dir: string, port: number, upstreams: string[]): string {
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # Round-robin (the default), no keepalive to the instances: every request picks the next one.
  upstream demo {
${upstreams.map((address) => `    server ${address};`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://demo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # Never retry on the other instance: each request reaches exactly one.
      proxy_next_upstream off;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

/** Starts nginx in front of `upstreams` on a free port of 127.0.0.1; waits until it proxies. */
export async function startNginx(upstreams: string[]): Promise<Nginx> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'several-instances-nginx-'));
    // As root, nginx's workers run as `nobody`: they must reach the temp paths under `dir`.
    chmodSync(dir, 0o755);
    const port = await freePort();
    const config = nginxConfig(dir, port, upstreams);
    writeFileSync(join(dir, 'nginx.conf'), config);
    const child = startChild(
      NGINX,
      ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'],
      {
        ...process.env,
      },
    );
    const origin = `http://127.0.0.1:${port}`;
    const stop = async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitFor(
        child,
        'nginx',
        async () => {
          const reply = await send(origin, '/login');
          return reply.status === 200 && upstreams.includes(String(reply.headers[UPSTREAM_HEADER]));
        },
        10_000,
      );
      return { ...child, stop, origin, config };
    } catch (error) {
      lastError = error;
      await stop();
      // Another process took the port between freePort() and nginx's bind: try another.
      if (!/Address already in use/.test(String(error))) break;
    }
  }
  throw lastError;
}

// The server bench's parent side: the child process that runs the apps, HTTP to them (sign-ins,
// checks), autocannon load, and a comparison of two contenders taking turns (medians).
// Load goes to 127.0.0.1 only, for a bounded time; nothing here asserts a speed.

import { fork } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median, medianInterval } from './report.js';
import { type AppSpec, appName, ECHO, PAGE, PING } from './server-apps.js';

/** What the parent asks the child. */
export type ChildRequest =
  | { kind: 'cpu' }
  | { kind: 'heap' }
  | { kind: 'profile-start'; intervalMicros: number }
  | { kind: 'profile-stop'; path: string }
  | { kind: 'stop' };
/** What the child answers. */
export type ChildMessage =
  | { kind: 'ready'; origins: string[] }
  | { kind: 'cpu'; micros: number }
  | { kind: 'heap'; bytes: number }
  | { kind: 'profile-start' }
  | { kind: 'profile-stop' }
  | { kind: 'failed'; message: string }
  | { kind: 'cleaned'; deleted: number };

/** Settles with `work`, or rejects after `ms`; the timer never outlives it. */
export function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export interface ChildProcess {
  /** The apps' origins, in the order of the specs. */
  ready: Promise<string[]>;
  /** The CPU time (user + system, microseconds) the child has used so far. */
  cpu(): Promise<number>;
  /** The child's heap used after a full GC, in bytes (the child runs with --expose-gc). */
  heap(): Promise<number>;
  /** Starts V8's CPU profiler in the child (the profiler of `node --cpu-prof`), sampling every `intervalMicros`. */
  profileStart(intervalMicros: number): Promise<void>;
  /** Stops it and writes the profile (`.cpuprofile`, Chrome DevTools' format) to `path`. */
  profileStop(path: string): Promise<void>;
  /** Stops the child (its apps closed, its Redis keys deleted); kills it if it takes over 15 s. */
  stop(): Promise<void>;
  /** Redis keys the child deleted when it stopped. */
  readonly deletedKeys: number;
}

/** The children still running: stopped all at once when a run is cut short. */
const running = new Set<ChildProcess>();
/** Stops every child process this module started that is still running. */
export async function stopChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/**
 * Starts the apps of `specs` in a child process (bench/server-child.ts, with this process's
 * loader flags and `execArgv`, e.g. `--expose-gc` or `--cpu-prof`).
 */
export function startChild(
  specs: readonly AppSpec[],
  runPrefix: string,
  execArgv: readonly string[] = [],
): ChildProcess {
  const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [], {
    execArgv: [...process.execArgv, ...execArgv],
    env: { ...process.env, BENCH_RUN_PREFIX: runPrefix, BENCH_APPS: JSON.stringify(specs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let deletedKeys = 0;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(handle);
      resolve();
    }),
  );
  const ready = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('server bench: the server process was not ready within 60 s')),
      60_000,
    );
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'cleaned') deletedKeys = message.deleted;
      if (message.kind !== 'ready' && message.kind !== 'failed') return;
      clearTimeout(timer);
      if (message.kind === 'ready') resolve(message.origins);
      else reject(new Error(`server bench: the server process failed: ${message.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server bench: the server process exited (${signal ?? code})`));
    });
  });
  ready.catch(() => {}); // whoever awaits it sees the rejection
  /** Sends a request; settles with the answer of the same kind. */
  const ask = (request: ChildRequest) =>
    within(
      new Promise<ChildMessage>((resolve, reject) => {
        const onMessage = (message: ChildMessage) => {
          if (message.kind !== request.kind && message.kind !== 'failed') return;
          child.off('message', onMessage);
          if (message.kind === 'failed') reject(new Error(message.message));
          else resolve(message);
        };
        child.on('message', onMessage);
        child.send(request);
      }),
      request.kind === 'cpu' ? 5000 : 30_000,
      `the server process's answer to ${request.kind}`,
    );
  const handle: ChildProcess = {
    ready,
    cpu: async () => {
      const answer = await ask({ kind: 'cpu' });
      return answer.kind === 'cpu' ? answer.micros : Number.NaN;
    },
    heap: async () => {
      const answer = await ask({ kind: 'heap' });
      return answer.kind === 'heap' ? answer.bytes : Number.NaN;
    },
    profileStart: async (intervalMicros) => {
      await ask({ kind: 'profile-start', intervalMicros });
    },
    profileStop: async (path) => {
      await ask({ kind: 'profile-stop', path });
    },
    get deletedKeys() {
      return deletedKeys;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ kind: 'stop' } satisfies ChildRequest);
      try {
        await within(exited, 15_000, 'stopping the server process');
      } catch {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  running.add(handle);
  return handle;
}

// ---------------------------------------------------------------------------------------------
// HTTP from the bench (sign-ins, checks): node:http, so the headers are exactly ours.

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
/** Closes the bench's keep-alive sockets (at the end of a run). */
export const closeAgent = () => agent.destroy();

/** A browser's user agent: session-security keeps a device summary of it at sign-in. */
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36';
/** What a page's own fetch sends: same-origin, so every request counts as activity. */
const FETCH_HEADERS = {
  accept: 'application/json',
  'user-agent': USER_AGENT,
  'sec-fetch-site': 'same-origin',
  'sec-fetch-mode': 'cors',
  'sec-fetch-dest': 'empty',
};
/** The body of the ping (and of the echo it is compared with): activity just now. */
const PING_BODY = '{"sinceActivity": 0}';
const JSON_POST_HEADERS = { ...FETCH_HEADERS, 'content-type': 'application/json' };

/** The requests the load is made of. */
export type LoadRequest = 'page' | 'ping' | 'echo';
const REQUESTS: Record<LoadRequest, { method: string; path: string; body?: string }> = {
  page: { method: 'GET', path: PAGE },
  ping: { method: 'POST', path: PING, body: PING_BODY },
  echo: { method: 'POST', path: ECHO, body: PING_BODY },
};

export interface Reply {
  status: number;
  setCookie: string[];
  body: string;
}

export function send(
  origin: string,
  path: string,
  options: { method?: string; cookie?: string; body?: string } = {},
): Promise<Reply> {
  const { method = 'GET', cookie, body } = options;
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      new URL(path, origin),
      {
        method,
        agent,
        timeout: 10_000,
        headers: {
          ...(body === undefined ? FETCH_HEADERS : JSON_POST_HEADERS),
          ...(cookie ? { cookie } : {}),
          'content-length': String(Buffer.byteLength(body ?? '')),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            setCookie: response.headers['set-cookie'] ?? [],
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** Sends a load request once with a session's cookie (checks and the untimed counts). */
export const sendLoadRequest = (origin: string, kind: LoadRequest, cookie: string) =>
  send(origin, REQUESTS[kind].path, {
    method: REQUESTS[kind].method,
    cookie,
    body: REQUESTS[kind].body,
  });

/** Signs user-<index> in; returns the cookies to send (`name=value; name2=value2`). */
export async function signIn(origin: string, index: number): Promise<string> {
  const reply = await send(origin, `/sign-in?user=user-${index}`, { method: 'POST' });
  // By name, the last one set wins (hono-sessions sets the old id, then the new one at rotation).
  const byName = new Map<string, string>();
  for (const line of reply.setCookie) {
    const pair = line.split(';')[0] ?? '';
    byName.set(pair.split('=')[0] ?? '', pair);
  }
  const cookie = [...byName.values()].join('; ');
  if (reply.status !== 200 || cookie === '') {
    throw new Error(`server bench: sign-in failed at ${origin}: ${reply.status} ${reply.body}`);
  }
  return cookie;
}

/** Signs `count` users in, 8 at a time, from `first` on. */
export async function signInMany(origin: string, count: number, first = 0): Promise<string[]> {
  const cookies: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      cookies[index] = await signIn(origin, first + index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, count) }, worker));
  return cookies;
}

/** Checks that a signed-in session gets what the load expects: a 200 with the user or `active`. */
export async function checkAnswers(
  spec: AppSpec,
  origin: string,
  cookie: string,
  kinds: readonly LoadRequest[],
): Promise<void> {
  for (const kind of kinds) {
    const reply = await sendLoadRequest(origin, kind, cookie);
    const expected = { page: '"user-', ping: '"status":"active"', echo: '"ok":true' }[kind];
    if (reply.status !== 200 || !reply.body.includes(expected)) {
      throw new Error(
        `server bench: ${appName(spec)}: ${REQUESTS[kind].method} ${REQUESTS[kind].path} of a signed-in session answered ${reply.status} ${reply.body}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Load: autocannon, each request with the next session's cookies.

let current: autocannon.Instance | undefined;
/** Stops the load in flight, if any (on a timeout or a signal). */
export const stopLoad = () => current?.stop();

export interface LoadSettings {
  /** Seconds per sample. */
  duration: number;
  rounds: number;
  /** Seconds of load per contender before the rounds, not counted. */
  warmup: number;
  connections: number;
}

/**
 * Loads `origin` for `seconds` with `connections` connections; each request carries the next
 * session's cookies, so every session is active all along.
 */
function cannon(
  origin: string,
  kind: LoadRequest,
  cookies: readonly string[],
  seconds: number,
  connections: number,
): Promise<autocannon.Result> {
  let next = 0;
  const { method, path, body } = REQUESTS[kind];
  return new Promise((resolve, reject) => {
    current = autocannon(
      {
        url: origin,
        connections,
        duration: seconds,
        timeout: 10,
        headers: body === undefined ? FETCH_HEADERS : JSON_POST_HEADERS,
        requests: [
          {
            method: method as 'GET' | 'POST',
            path,
            ...(body === undefined ? {} : { body }),
            setupRequest: (request) => {
              request.headers = { ...request.headers, cookie: cookies[next++ % cookies.length] };
              return request;
            },
          },
        ],
      },
      (error, result) => {
        current = undefined;
        if (error) reject(error);
        else resolve(result);
      },
    );
  });
}

/** One side of a comparison. */
export interface Contender {
  label: string;
  origin: string;
  kind: LoadRequest;
  cookies: readonly string[];
}

/** Where the CPU time of a sample is read: the apps' process, and Redis when it takes part. */
export interface Meters {
  app(): Promise<number>;
  redis?: () => Promise<number>;
  /** Redis's count of scripts run so far (session-security's own commands), when Redis takes part. */
  scripts?: () => Promise<number>;
}

export interface Sample {
  rps: number;
  /** Requests answered 2xx. */
  answered: number;
  /** CPU microseconds per answered request: the apps' process, and Redis (when metered). */
  appCpu: number;
  redisCpu: number | undefined;
  /** Scripts Redis ran during the sample (session-security's commands), when metered. */
  scripts: number | undefined;
  p99: number;
}

/** Loads one contender for `seconds`; its req/s, CPU per request and p99. Any non-2xx voids it. */
export async function sample(
  contender: Contender,
  seconds: number,
  settings: Pick<LoadSettings, 'connections'>,
  meters: Meters,
): Promise<Sample> {
  const app0 = await meters.app();
  const redis0 = await meters.redis?.();
  const scripts0 = await meters.scripts?.();
  const result = await cannon(
    contender.origin,
    contender.kind,
    contender.cookies,
    seconds,
    settings.connections,
  );
  const app1 = await meters.app();
  const redis1 = await meters.redis?.();
  const scripts1 = await meters.scripts?.();
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result['2xx'] === 0) {
    throw new Error(
      `server bench: ${contender.label}: ${result['2xx']} 2xx, ${result.non2xx} non-2xx answers (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors, ${result.timeouts} timeouts: the measurement is void`,
    );
  }
  const answered = result['2xx'];
  return {
    rps: answered / result.duration,
    answered,
    appCpu: (app1 - app0) / answered,
    redisCpu:
      redis0 === undefined || redis1 === undefined ? undefined : (redis1 - redis0) / answered,
    scripts: scripts0 === undefined || scripts1 === undefined ? undefined : scripts1 - scripts0,
    p99: result.latency.p99,
  };
}

/** A comparison's outcome: B against A. */
export interface Comparison {
  /** Median over the rounds of B's req/s over A's in the same round. */
  ratio: number;
  /** The median's 95 % interval (order statistics); undefined for 5 rounds or fewer. */
  interval: ReturnType<typeof medianInterval>;
  perRound: number[];
  rps: { a: number; b: number };
  /** Median CPU microseconds per request of the apps' process, and of Redis when metered. */
  appCpu: { a: number; b: number };
  redisCpu: { a: number; b: number } | undefined;
  /**
   * Scripts per request over all the rounds (their sum over the requests'), when metered: not a
   * median, since a store's work comes in bursts (every sign-in's copy a step old at once) that
   * one sample catches and the next misses.
   */
  scripts: { a: number; b: number } | undefined;
  p99: { a: number; b: number };
}

/**
 * A against B, taking turns: a warm-up of each, then `rounds` rounds of one sample each, the
 * order swapped every round (A B, B A, A B …), so neither always follows the other.
 */
export async function compare(
  a: Contender,
  b: Contender,
  settings: LoadSettings,
  meters: Meters,
  log: (line: string) => void,
): Promise<Comparison> {
  if (settings.warmup > 0) {
    for (const contender of [a, b]) await sample(contender, settings.warmup, settings, meters);
  }
  const samples = { a: [] as Sample[], b: [] as Sample[] };
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    for (const side of order) {
      const contender = side === 'a' ? a : b;
      const s = await sample(contender, settings.duration, settings, meters);
      samples[side].push(s);
      log(
        `    round ${round + 1}/${settings.rounds} ${contender.label.padEnd(34)} ${Math.round(s.rps).toString().padStart(6)} req/s  p99 ${s.p99} ms  CPU ${s.appCpu.toFixed(0)} us/request${s.redisCpu === undefined ? '' : ` + Redis ${s.redisCpu.toFixed(1)} us`}`,
      );
    }
  }
  const of = (side: 'a' | 'b', pick: (s: Sample) => number) => median(samples[side].map(pick));
  const total = (side: 'a' | 'b', pick: (s: Sample) => number) =>
    samples[side].reduce((sum, s) => sum + pick(s), 0);
  const perRequest = (side: 'a' | 'b') =>
    total(side, (s) => s.scripts ?? 0) / total(side, (s) => s.answered);
  const perRound = samples.b.map((s, i) => s.rps / (samples.a[i] as Sample).rps);
  const metered = meters.redis !== undefined;
  return {
    ratio: median(perRound),
    interval: medianInterval(perRound),
    perRound,
    rps: { a: of('a', (s) => s.rps), b: of('b', (s) => s.rps) },
    appCpu: { a: of('a', (s) => s.appCpu), b: of('b', (s) => s.appCpu) },
    redisCpu: metered
      ? { a: of('a', (s) => s.redisCpu ?? 0), b: of('b', (s) => s.redisCpu ?? 0) }
      : undefined,
    scripts: meters.scripts === undefined ? undefined : { a: perRequest('a'), b: perRequest('b') },
    p99: { a: of('a', (s) => s.p99), b: of('b', (s) => s.p99) },
  };
}

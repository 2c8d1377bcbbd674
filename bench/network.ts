// `npm run bench`, part "network": the pings one browser sends over simulated time at the
// default settings (expireAfter 900 s, warnAfter 780 s), no browser. The built client runs
// unchanged in several simulated tabs, on a fake clock, against the built server (the
// Web-standard handler, in process, on the same fake clock): only the browser's APIs are fakes.
//
// What the simulation assumes (the fakes, not the library):
// - time moves only from one due task to the next; a timer fires exactly when due;
// - every tab's timers, channel messages, lock grants, storage events and fetch answers are
//   tasks of that tab, run one at a time with their microtasks, as a browser's event loop does;
// - BroadcastChannel delivers a copy of each message to every other open channel of that name
//   (never to its sender), as a task; Web Locks grant one exclusive holder, in request order,
//   `steal` takes the lock from its holder (whose request rejects), a waiting request's signal
//   aborts it; the fallback (no BroadcastChannel, no Web Locks) fires `storage` at every other
//   tab on `localStorage.setItem`;
// - one browser window: the tab opened last is in front (visible), the others are hidden and
//   get `visibilitychange` when they go behind; headless Chromium instead reports every tab
//   visible (TESTING.md), which the real-browser counts of bench/client.ts cover;
// - each ping takes `latencyMs` on the network (half each way) and the server answers at once;
// - the user's input is a trusted `pointermove` every `inputEveryMs` in the front tab; the
//   dialog is off (`ui: false`: it sends nothing of its own); an expiry is cancelled, as a
//   page that leaves for the login page stops its client.

import { pathToFileURL } from 'node:url';
import type { SessionSecurity as SessionSecurityClass } from '../src/client/session-security.js';
import type {
  sessionSecurityHandler as sessionSecurityHandlerFunction,
  WebSession,
} from '../src/web/index.js';
import type { BenchSection } from './report.js';
import { renderReport, seeded } from './report.js';

/** What the simulation runs: the client's public class and the Web-standard server handler. */
export interface SimulatedLibrary {
  SessionSecurity: typeof SessionSecurityClass;
  sessionSecurityHandler: typeof sessionSecurityHandlerFunction;
}

export interface SimulationOptions {
  /** How many tabs the browser opens, `tabOpenGapMs` apart, after the sign-in. */
  tabs: number;
  /** BroadcastChannel and Web Locks, or neither (every tab on the `storage` fallback). */
  tabApis: boolean;
  /** Simulated time from the sign-in after which the run stops (it stops sooner when every tab expired). */
  durationMs: number;
  /** The user's input in the front tab every this many ms, until `inputUntilMs`; none when undefined. */
  inputEveryMs?: number;
  inputUntilMs?: number;
  expireAfter?: number;
  warnAfter?: number;
  /** A ping's round trip on the network (ms). Default 20. */
  latencyMs?: number;
  /** Time between two tabs opening (ms). Default 2000. */
  tabOpenGapMs?: number;
  /** The tabs' random numbers (their jitter), for a reproducible run. Default Math.random. */
  random?: () => number;
}

export interface SimulationResult {
  /** Every ping the browser sent: when (ms since sign-in), from which tab, GET or POST. */
  pings: { atMs: number; tab: number; method: string }[];
  /** Per tab: when its warning opened and when it expired (ms since sign-in), and why. */
  tabs: { warnedAtMs?: number; expiredAtMs?: number; reason?: string }[];
  /** Per tab: when each of its timer callbacks ran (ms since sign-in). */
  timerWakeups: number[][];
  /** Whether any tab covered its page (a ping failed past the deadline). */
  covered: boolean;
}

const ORIGIN = 'http://app.test';
const START_MS = 1_700_000_000_000;
/** Headers a browser adds to a same-origin fetch (the server checks them on a ping). */
const SAME_ORIGIN_FETCH = {
  accept: '*/*',
  'sec-fetch-mode': 'cors',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-dest': 'empty',
};
const NAVIGATE = {
  accept: 'text/html',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-dest': 'document',
  'sec-fetch-user': '?1',
};
const GLOBALS = [
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'fetch',
  'window',
  'self',
  'top',
  'document',
  'navigator',
  'BroadcastChannel',
  'localStorage',
  'sessionStorage',
  'addEventListener',
  'removeEventListener',
  'location',
] as const;

interface Task {
  at: number;
  seq: number;
  tab: number | undefined;
  run: () => void;
  /** A timer the tab's own code set (counted as a wake-up), not a delivery. */
  timer: boolean;
}

type Listener = (event: unknown) => void;

/** One simulated tab: its listeners and its document's visibility. */
class FakeTab {
  readonly listeners = new Map<string, Set<Listener>>();
  hidden = false;
  client: SessionSecurityClass | undefined;

  constructor(onCover: () => void) {
    const documentElement = {
      lang: 'en',
      classList: {
        toggle: (_name: string, on?: boolean) => {
          if (on) onCover();
          return Boolean(on);
        },
      },
    };
    const tab = this;
    this.document = {
      get hidden() {
        return tab.hidden;
      },
      get visibilityState() {
        return tab.hidden ? 'hidden' : 'visible';
      },
      documentElement,
      forms: [],
      body: { append: () => undefined },
      getElementById: () => null,
      createElement: () => ({ setAttribute: () => undefined, remove: () => undefined }),
    };
  }

  readonly document: object;

  addEventListener = (
    name: string,
    listener: Listener,
    options?: { signal?: AbortSignal } | boolean,
  ) => {
    const set = this.listeners.get(name) ?? new Set();
    this.listeners.set(name, set);
    set.add(listener);
    const signal = typeof options === 'object' ? options.signal : undefined;
    if (!signal) return;
    // One abort listener per signal (the client passes one signal for all its listeners).
    let removals = this.#removals.get(signal);
    if (!removals) {
      const list: (() => void)[] = [];
      removals = list;
      this.#removals.set(signal, list);
      signal.addEventListener('abort', () => {
        for (const remove of list) remove();
      });
    }
    removals.push(() => set.delete(listener));
  };

  readonly #removals = new WeakMap<AbortSignal, (() => void)[]>();

  removeEventListener = (name: string, listener: Listener) => {
    this.listeners.get(name)?.delete(listener);
  };

  /** Fires `name` at this tab's window, as the browser does (trusted). */
  fire(name: string, fields: Record<string, unknown> = {}): void {
    for (const listener of [...(this.listeners.get(name) ?? [])]) {
      listener({ type: name, isTrusted: true, persisted: false, ...fields });
    }
  }
}

const abortError = () => new DOMException('The request was aborted.', 'AbortError');

/** Runs one simulated browser against one simulated server; see the assumptions at the top. */
export async function simulate(
  library: SimulatedLibrary,
  options: SimulationOptions,
): Promise<SimulationResult> {
  const expireAfter = options.expireAfter ?? 900;
  const warnAfter = options.warnAfter ?? 780;
  const latencyMs = options.latencyMs ?? 20;
  const gapMs = options.tabOpenGapMs ?? 2000;
  const endAt = START_MS + options.durationMs;

  let nowMs = START_MS;
  let seq = 0;
  let current: number | undefined;
  let pendingServer = 0;
  const queue: Task[] = [];
  const cancelled = new Set<number>();
  const result: SimulationResult = { pings: [], tabs: [], timerWakeups: [], covered: false };
  const tabs: FakeTab[] = [];
  const serverErrors: unknown[] = [];
  const since = (at: number) => at - START_MS;

  /** Queues `run` as a task of `tab` in `delayMs`; returns its id. */
  const schedule = (delayMs: number, tab: number | undefined, run: () => void, timer = false) => {
    const id = ++seq;
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    queue.push({ at: nowMs + delay, seq: id, tab, run, timer });
    return id;
  };
  const tabOf = (): FakeTab => {
    const tab = current === undefined ? undefined : tabs[current];
    if (!tab) throw new Error('simulation: browser code ran outside a tab');
    return tab;
  };

  // --- the server: the built Web-standard handler over Map sessions, on the fake clock
  const sessions = new Map<string, Map<string, unknown>>();
  const security = library.sessionSecurityHandler({
    drafts: false,
    expireAfter,
    warnAfter,
    loginUrl: '/login',
    isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
    clock: { now: () => nowMs },
    logger: { warn: () => undefined, error: () => undefined },
    sweepInterval: 0,
  });
  const sid = 'simulated-session';
  /** The browser's one session, as the app's session middleware loads it from the cookie. */
  const sessionOf = (): WebSession => {
    // A cookie that names no stored session gets a new, empty one (as a session store does).
    if (!sessions.has(sid)) sessions.set(sid, new Map());
    let id: string | undefined = sid;
    const data = () => (id === undefined ? undefined : sessions.get(id));
    return {
      id: () => id,
      get: (key) => data()?.get(key),
      set: (key, value) => void data()?.set(key, value),
      delete: (key) => void data()?.delete(key),
      destroy: () => {
        if (id !== undefined) sessions.delete(id);
        id = undefined;
      },
      regenerate: () => {
        if (id !== undefined) sessions.delete(id);
        id = sid;
        sessions.set(id, new Map());
      },
    };
  };
  const request = (path: string, init: RequestInit) =>
    new Request(`${ORIGIN}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), cookie: `sid=${sid}` },
    });

  // --- the browser's APIs, shared by the tabs of the one browser
  const fetch = (url: string, init: RequestInit = {}) => {
    const tab = current;
    const method = init.method ?? 'GET';
    if (url.includes('/ping')) result.pings.push({ atMs: since(nowMs), tab: tab ?? -1, method });
    return new Promise<{ status: number; json: () => Promise<unknown> }>((resolve) => {
      schedule(latencyMs / 2, undefined, () => {
        pendingServer++;
        const headers: Record<string, string> = {
          ...SAME_ORIGIN_FETCH,
          ...(method === 'GET' ? {} : { origin: ORIGIN }),
          ...(init.headers as Record<string, string>),
        };
        const sent = request(url, { method, headers, body: init.body ?? null });
        void (async () => {
          try {
            const answer = await security.handle(sent, sessionOf());
            const status = answer?.status ?? 404;
            const text = answer ? await answer.text() : '{}';
            schedule(latencyMs / 2, tab, () =>
              resolve({ status, json: async () => JSON.parse(text) as unknown }),
            );
          } catch (error) {
            serverErrors.push(error); // reported after the run: the simulation is void
          } finally {
            pendingServer--;
          }
        })();
      });
    });
  };

  const channels = new Set<FakeBroadcastChannel>();
  class FakeBroadcastChannel {
    onmessage: ((event: { data: unknown }) => void) | null = null;
    readonly #tab = current;
    constructor(readonly name: string) {
      channels.add(this);
    }
    postMessage(data: unknown): void {
      for (const other of channels) {
        if (other === this || other.name !== this.name) continue;
        const copy = structuredClone(data);
        schedule(0, other.#tab, () => {
          if (channels.has(other)) other.onmessage?.({ data: copy });
        });
      }
    }
    close(): void {
      channels.delete(this);
    }
  }

  interface LockRequest {
    tab: number | undefined;
    callback: (lock: unknown) => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
    settled: boolean;
  }
  const held = new Map<string, LockRequest>();
  const waiting = new Map<string, LockRequest[]>();
  const settle = (lock: LockRequest, outcome: () => void) => {
    if (lock.settled) return;
    lock.settled = true;
    schedule(0, lock.tab, outcome);
  };
  const grantNext = (name: string) => {
    if (held.has(name)) return;
    const next = waiting.get(name)?.shift();
    if (next) grant(name, next);
  };
  const grant = (name: string, lock: LockRequest) => {
    held.set(name, lock);
    schedule(0, lock.tab, () => {
      const done = (outcome: () => void) => {
        if (held.get(name) === lock) {
          held.delete(name);
          grantNext(name);
        }
        settle(lock, outcome);
      };
      Promise.resolve()
        .then(() => lock.callback({ name, mode: 'exclusive' }))
        .then(
          (value) => done(() => lock.resolve(value)),
          (error) => done(() => lock.reject(error)),
        );
    });
  };
  const locks = {
    request(
      name: string,
      lockOptions: { steal?: boolean; signal?: AbortSignal },
      callback: (lock: unknown) => unknown,
    ) {
      return new Promise((resolve, reject) => {
        const lock: LockRequest = { tab: current, callback, resolve, reject, settled: false };
        const { signal } = lockOptions;
        if (signal?.aborted) return settle(lock, () => reject(abortError()));
        if (lockOptions.steal) {
          const holder = held.get(name);
          if (holder) {
            held.delete(name);
            settle(holder, () => holder.reject(abortError()));
          }
          return grant(name, lock);
        }
        const line = waiting.get(name) ?? [];
        waiting.set(name, line);
        line.push(lock);
        signal?.addEventListener('abort', () => {
          const at = line.indexOf(lock);
          if (at < 0) return; // granted already: the signal no longer matters
          line.splice(at, 1);
          settle(lock, () => reject(abortError()));
        });
        grantNext(name);
      });
    },
  };

  const storage = new Map<string, string>();
  const localStorage = {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => {
      storage.set(key, String(value));
      tabs.forEach((tab, index) => {
        if (index !== current) {
          schedule(0, index, () => tab.fire('storage', { key, newValue: String(value) }));
        }
      });
    },
    removeItem: (key: string) => void storage.delete(key),
  };

  // --- the globals the client reads, replaced for the run and restored after it
  const saved = new Map<string, PropertyDescriptor | undefined>();
  for (const name of GLOBALS) saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
  const define = (name: (typeof GLOBALS)[number], descriptor: PropertyDescriptor) =>
    Object.defineProperty(globalThis, name, { configurable: true, ...descriptor });
  const realClearTimeout = globalThis.clearTimeout;
  const realSetImmediate = globalThis.setImmediate;
  const cancel = (id: unknown) => {
    if (typeof id === 'number') cancelled.add(id);
    else if (id !== undefined) realClearTimeout(id as Parameters<typeof clearTimeout>[0]);
  };
  // The client's clock is Date.now (its `now` option would be posted to the other tabs with
  // the page's status, and a function cannot be cloned).
  const realDateNow = Date.now;
  try {
    Date.now = () => nowMs;
    define('setTimeout', {
      writable: true,
      value: (handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
        schedule(Number(ms ?? 0), current, () => handler(...args), true),
    });
    define('clearTimeout', { writable: true, value: cancel });
    define('setInterval', {
      writable: true,
      value: () => {
        throw new Error('simulation: the client set an interval (none expected)');
      },
    });
    define('clearInterval', { writable: true, value: cancel });
    define('fetch', { writable: true, value: fetch });
    define('window', { writable: true, value: globalThis });
    define('self', { writable: true, value: globalThis });
    define('top', { writable: true, value: globalThis });
    define('document', { get: () => tabOf().document });
    define('navigator', { writable: true, value: { locks: options.tabApis ? locks : undefined } });
    define('BroadcastChannel', {
      writable: true,
      value: options.tabApis ? FakeBroadcastChannel : undefined,
    });
    define('localStorage', { writable: true, value: localStorage });
    define('sessionStorage', { writable: true, value: { removeItem: () => undefined } });
    define('addEventListener', {
      writable: true,
      value: (...args: Parameters<FakeTab['addEventListener']>) =>
        tabOf().addEventListener(...args),
    });
    define('removeEventListener', {
      writable: true,
      value: (...args: Parameters<FakeTab['removeEventListener']>) =>
        tabOf().removeEventListener(...args),
    });
    define('location', {
      writable: true,
      value: { href: `${ORIGIN}/`, pathname: '/', search: '' },
    });

    // Sign-in, then each tab loads a page (a navigation: activity) and starts the client.
    const signInSession = sessionOf();
    signInSession.regenerate();
    signInSession.set('user', 'ada');
    await security.start(request('/login', { method: 'POST', headers: NAVIGATE }), signInSession);

    const openTab = async (index: number) => {
      const page = request(index === 0 ? '/' : '/second', { headers: NAVIGATE });
      const session = sessionOf();
      const refused = await security.check(page, session);
      if (refused) throw new Error(`simulation: the page load was refused (${refused.status})`);
      const tags = security.clientTags(page, session, { lang: 'en', script: false });
      const json = /<script[^>]*id="session-security-config"[^>]*>([^<]*)<\/script>/.exec(
        tags,
      )?.[1];
      if (!json) throw new Error(`simulation: no client config in the page's tags: ${tags}`);
      const tab = new FakeTab(() => {
        result.covered = true;
      });
      const record: SimulationResult['tabs'][number] = {};
      tabs.push(tab);
      result.tabs.push(record);
      result.timerWakeups.push([]);
      // The tab in front goes behind the new one.
      const behind = tabs[index - 1];
      if (behind) {
        behind.hidden = true;
        schedule(0, index - 1, () => behind.fire('visibilitychange'));
      }
      current = index;
      // The client draws its jitter once, when it is made.
      const realRandom = Math.random;
      if (options.random) Math.random = options.random;
      let client: SessionSecurityClass;
      try {
        client = new library.SessionSecurity({ ...JSON.parse(json), ui: false });
      } finally {
        Math.random = realRandom;
      }
      client.addEventListener('warn', () => {
        record.warnedAtMs ??= since(nowMs);
      });
      client.addEventListener('expire', (event) => {
        record.expiredAtMs = since(nowMs);
        record.reason = String((event as CustomEvent<{ reason: string }>).detail.reason);
        event.preventDefault();
      });
      tab.client = client.start();
    };
    for (let index = 0; index < options.tabs; index++) {
      const at = START_MS + index * gapMs;
      const run = () => {
        pendingServer++;
        openTab(index)
          .catch((error: unknown) => serverErrors.push(error))
          .finally(() => pendingServer--);
      };
      queue.push({ at, seq: ++seq, tab: undefined, run, timer: false });
    }
    const every = options.inputEveryMs;
    if (every) {
      const until = START_MS + (options.inputUntilMs ?? options.durationMs);
      /** The user's input, in the tab in front. */
      const input = () => {
        current = tabs.length - 1;
        tabs[current]?.fire('pointermove');
        if (nowMs + every <= until) schedule(every, undefined, input);
      };
      queue.push({ at: START_MS + every, seq: ++seq, tab: undefined, run: input, timer: false });
    }

    const allExpired = () =>
      result.tabs.length === options.tabs &&
      result.tabs.every((tab) => tab.expiredAtMs !== undefined);
    while (queue.length > 0) {
      queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const task = queue.shift() as Task;
      if (cancelled.delete(task.seq)) continue;
      if (task.at > endAt) break;
      nowMs = Math.max(nowMs, task.at);
      current = task.tab;
      if (task.timer && task.tab !== undefined) result.timerWakeups[task.tab]?.push(since(nowMs));
      task.run();
      // The task's microtasks, and the server's work it started, before time moves on.
      let turns = 0;
      do {
        await new Promise((resolve) => realSetImmediate(resolve));
      } while (pendingServer > 0 && ++turns < 10_000);
      if (allExpired()) break;
    }
    for (const tab of tabs) {
      current = tabs.indexOf(tab);
      tab.client?.stop();
    }
  } finally {
    Date.now = realDateNow;
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else Reflect.deleteProperty(globalThis, name);
    }
  }
  if (serverErrors.length > 0) {
    throw new AggregateError(serverErrors, 'simulation: the server or a page load failed');
  }
  return result;
}

/** The report margin of schedule.ts: unreported input goes out this long before warnAfter. */
const reportMarginMs = (warnAfterMs: number) =>
  Math.min(Math.max(10_000, warnAfterMs / 10), warnAfterMs / 3);

export { seeded };

export async function run(): Promise<BenchSection[]> {
  const built = async <T>(path: string) =>
    (await import(new URL(`../dist/${path}`, import.meta.url).href)) as T;
  const library: SimulatedLibrary = {
    SessionSecurity: (await built<typeof import('../src/client/index.js')>('client/index.js'))
      .SessionSecurity,
    sessionSecurityHandler: (await built<typeof import('../src/web/index.js')>('web/index.js'))
      .sessionSecurityHandler,
  };
  const runs = process.env.BENCH_QUICK ? 3 : 20;
  const expireAfter = 900;
  const warnAfter = 780;
  const periodMs = warnAfter * 1000 - reportMarginMs(warnAfter * 1000);
  const hourMs = 3_600_000;
  const rows: BenchSection['rows'] = [];
  const notes: string[] = [];

  for (const tabApis of [true, false]) {
    const label = tabApis ? 'BroadcastChannel + Web Locks' : 'fallback (storage event, no leader)';
    const idle: number[] = [];
    const wakeupsPerMinute: number[] = [];
    let expiries = '';
    for (let i = 0; i < runs; i++) {
      const result = await simulate(library, {
        tabs: 5,
        tabApis,
        durationMs: 2 * expireAfter * 1000,
        random: seeded(i + 1),
      });
      if (result.tabs.some((tab) => tab.expiredAtMs === undefined)) {
        throw new Error(`simulation: a tab never expired (${JSON.stringify(result.tabs)})`);
      }
      idle.push(result.pings.length);
      // Timer callbacks per tab from its start to the warning, per minute (the worst tab).
      for (const [index, times] of result.timerWakeups.entries()) {
        const warnedAt = result.tabs[index]?.warnedAtMs ?? expireAfter * 1000;
        const opened = index * 2000;
        const before = times.filter((at) => at < warnedAt).length;
        wakeupsPerMinute.push(before / ((warnedAt - opened) / 60_000));
      }
      if (i === 0) {
        expiries = `warning at ${result.tabs.map((tab) => ((tab.warnedAtMs ?? Number.NaN) / 1000).toFixed(1)).join('/')} s, expiry at ${result.tabs.map((tab) => ((tab.expiredAtMs ?? Number.NaN) / 1000).toFixed(1)).join('/')} s (${result.tabs[0]?.reason}); pings at ${result.pings.map((ping) => `${(ping.atMs / 1000).toFixed(1)} s ${ping.method} (tab ${ping.tab + 1})`).join(', ')}`;
      }
    }
    rows.push({
      name: `${label}: pings per browser, 5 idle tabs, sign-in to expiry (most of ${runs} runs)`,
      value: `${Math.max(...idle)} (fewest ${Math.min(...idle)})`,
      goal: '<= 2',
      met: Math.max(...idle) <= 2,
    });
    rows.push({
      name: `${label}: timer wake-ups per tab per minute while idle before the warning (most)`,
      value: Math.max(...wakeupsPerMinute).toFixed(2),
      goal: '<= 1',
      met: Math.max(...wakeupsPerMinute) <= 1,
    });
    notes.push(`${label}, 5 idle tabs, first run: ${expiries}.`);

    const active: number[] = [];
    let shortestGapMs = Infinity;
    let signedOut = 0;
    for (let i = 0; i < runs; i++) {
      const result = await simulate(library, {
        tabs: 1,
        tabApis,
        durationMs: hourMs,
        inputEveryMs: 500,
        random: seeded(100 + i),
      });
      if (result.tabs[0]?.expiredAtMs !== undefined) signedOut++;
      active.push(result.pings.length);
      for (let p = 1; p < result.pings.length; p++) {
        const gap = (result.pings[p]?.atMs ?? 0) - (result.pings[p - 1]?.atMs ?? 0);
        shortestGapMs = Math.min(shortestGapMs, gap);
      }
      if (i === 0) {
        notes.push(
          `${label}, 1 tab in use for an hour, first run: pings at ${result.pings.map((ping) => `${(ping.atMs / 1000).toFixed(1)} s ${ping.method}`).join(', ')}.`,
        );
      }
    }
    const bound = Math.ceil(hourMs / periodMs);
    rows.push({
      name: `${label}: pings per browser, 1 tab in use without requests, 1 hour (most of ${runs} runs)`,
      value: `${Math.max(...active)}; shortest gap ${(shortestGapMs / 1000).toFixed(1)} s${signedOut ? `; signed out in ${signedOut} runs` : ''}`,
      goal: `<= ${bound} (one per warnAfter - margin = ${periodMs / 1000} s)`,
      met: Math.max(...active) <= bound && signedOut === 0,
    });
  }
  notes.unshift(
    `Simulated, no browser: the built client (dist/client, SessionSecurity) in simulated tabs and the built server (dist/web/index.js, sessionSecurityHandler over an in-memory session) on one fake clock, defaults expireAfter ${expireAfter} s and warnAfter ${warnAfter} s (report margin ${reportMarginMs(warnAfter * 1000) / 1000} s). ${runs} runs per row, each tab's jitter from a seeded random source; 5 tabs open 2 s apart after the sign-in, each loading a page (a navigation the server records as activity), the last one in front; a ping takes 20 ms round trip. The user in use moves the pointer every 500 ms in the only tab; a report is due warnAfter - margin after the input the server last heard of (the ping's \`sinceActivity\`), so two reports are that period apart less the age of the input at the first (under 1 s), hence a shortest gap just below it. Wake-ups are the callbacks of the timers each tab's client set. The fakes and what they assume are listed at the top of bench/network.ts.`,
  );
  return [{ title: 'network (simulated)', rows, notes }];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(renderReport(await run()));
}

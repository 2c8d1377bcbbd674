// The input listener sits out a moving pointer: after a recorded input the pointermove listener is
// off for one second, then back, one at a time and none once stopped. The client runs on fake
// timers against a fake window whose listeners follow the DOM's rules (one per type, listener and
// capture; an aborted signal adds nothing and removes what it added).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionSecurity } from '../../../src/client/session-security.js';

interface Entry {
  type: string;
  listener: (event: unknown) => void;
  capture: boolean;
}

/** The window's listeners, and how many calls each event type delivered. */
let listeners: Entry[];
let delivered: Record<string, number>;
/** What each signal added, removed when it aborts. */
let bySignal: WeakMap<AbortSignal, Set<Entry>>;

const captureOf = (options?: boolean | AddEventListenerOptions) =>
  typeof options === 'boolean' ? options : Boolean(options?.capture);

function addEventListener(
  type: string,
  listener: (event: unknown) => void,
  options?: boolean | AddEventListenerOptions,
) {
  const capture = captureOf(options);
  const signal = typeof options === 'object' ? options.signal : undefined;
  if (signal?.aborted) return;
  const same = (entry: Entry) =>
    entry.type === type && entry.listener === listener && entry.capture === capture;
  if (listeners.some(same)) return;
  const entry = { type, listener, capture };
  listeners.push(entry);
  if (!signal) return;
  // One abort listener per signal (the client passes one for all its listeners).
  let added = bySignal.get(signal);
  if (!added) {
    const entries = new Set<Entry>();
    added = entries;
    bySignal.set(signal, entries);
    signal.addEventListener('abort', () => {
      listeners = listeners.filter((other) => !entries.has(other));
    });
  }
  added.add(entry);
}

function removeEventListener(
  type: string,
  listener: (event: unknown) => void,
  options?: boolean | EventListenerOptions,
) {
  const capture = captureOf(options);
  listeners = listeners.filter(
    (entry) => !(entry.type === type && entry.listener === listener && entry.capture === capture),
  );
}

/** Fires `type` at the window as the browser does for a person's input (trusted by default). */
function fire(type: string, isTrusted = true) {
  for (const { listener } of listeners.filter((entry) => entry.type === type)) {
    delivered[type] = (delivered[type] ?? 0) + 1;
    listener({ type, isTrusted });
  }
}

const count = (type: string) => listeners.filter((entry) => entry.type === type).length;

const CONFIG = {
  pingUrl: '/session-security/ping',
  logoutUrl: '/session-security/logout',
  expireAfter: 900,
  warnAfter: 780,
  idleFor: 0,
  warnIn: 780,
  expireIn: 900,
  session: 'sign-in',
  ui: false,
};

/** A started client on the fake window, and its `activity` events. */
function startClient(events?: string[]) {
  const client = new SessionSecurity({ ...CONFIG, events, now: () => Date.now() });
  const activity: number[] = [];
  client.addEventListener('activity', () => activity.push(Date.now()));
  return { client: client.start(), activity };
}

beforeEach(() => {
  listeners = [];
  delivered = {};
  bySignal = new WeakMap();
  vi.useFakeTimers({ now: 1_700_000_000_000 });
  const fakeWindow: Record<string, unknown> = { BroadcastChannel: undefined };
  fakeWindow.top = fakeWindow;
  vi.stubGlobal('window', fakeWindow);
  vi.stubGlobal('addEventListener', addEventListener);
  vi.stubGlobal('removeEventListener', removeEventListener);
  vi.stubGlobal('navigator', {});
  vi.stubGlobal('localStorage', { setItem: () => undefined });
  vi.stubGlobal('fetch', () => new Promise(() => undefined));
  vi.stubGlobal('document', {
    hidden: false,
    forms: [],
    documentElement: { lang: 'en', classList: { toggle: () => false } },
    getElementById: () => null,
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('the pointermove listener', () => {
  it('is off for a second after a recorded move, then back: 100 Hz moves reach it twice in 1.5 s', () => {
    const { client, activity } = startClient();
    expect(count('pointermove')).toBe(1);
    for (let i = 0; i < 150; i++) {
      fire('pointermove');
      vi.advanceTimersByTime(10);
      expect(count('pointermove')).toBeLessThanOrEqual(1);
    }
    // The first move was recorded and took the listener off; the second, at 1 s, once it was back.
    expect(delivered.pointermove).toBe(2);
    expect(activity).toEqual([1_700_000_000_000, 1_700_000_001_000]);
    expect(count('pointermove')).toBe(0);
    vi.advanceTimersByTime(500);
    expect(count('pointermove')).toBe(1);
    client.stop();
  });

  it('records input again once the second has passed, and the other events never stop', () => {
    const { client, activity } = startClient();
    fire('pointermove');
    expect(count('pointermove')).toBe(0);
    // Within the second: a key reaches its listener, and is not recorded (as before: one a second).
    vi.advanceTimersByTime(400);
    fire('keydown');
    expect(delivered.keydown).toBe(1);
    expect(activity).toHaveLength(1);
    vi.advanceTimersByTime(600);
    expect(count('pointermove')).toBe(1);
    fire('pointermove');
    expect(activity).toEqual([1_700_000_000_000, 1_700_000_001_000]);
    // A key recorded also takes the pointermove listener off for its second.
    vi.advanceTimersByTime(1000);
    fire('keydown');
    expect(activity).toHaveLength(3);
    expect(count('pointermove')).toBe(0);
    expect(count('keydown')).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(count('pointermove')).toBe(1);
    client.stop();
  });

  it('ignores an untrusted move: not recorded, and the listener stays', () => {
    const { client, activity } = startClient();
    for (let i = 0; i < 10; i++) fire('pointermove', false);
    expect(delivered.pointermove).toBe(10);
    expect(activity).toEqual([]);
    expect(count('pointermove')).toBe(1);
    client.stop();
  });

  it('leaves no listener once stopped, during the second off or after it, and one after a restart', () => {
    const { client } = startClient();
    fire('pointermove');
    client.stop();
    vi.advanceTimersByTime(2000);
    expect(listeners).toEqual([]);

    client.start();
    expect(count('pointermove')).toBe(1);
    fire('pointermove');
    client.stop();
    // Started again within the second: its own listener, and the late timer adds no second one.
    client.start();
    expect(count('pointermove')).toBe(1);
    vi.advanceTimersByTime(2000);
    expect(count('pointermove')).toBe(1);
    client.stop();
    expect(listeners).toEqual([]);
  });

  it('adds no pointermove listener when the events option leaves it out', () => {
    const { client, activity } = startClient(['keydown', 'pointerdown']);
    fire('keydown');
    expect(activity).toHaveLength(1);
    vi.advanceTimersByTime(2000);
    expect(count('pointermove')).toBe(0);
    expect(count('keydown')).toBe(1);
    client.stop();
  });
});

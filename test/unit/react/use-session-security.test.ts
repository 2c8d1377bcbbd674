// The hook's store without a browser: snapshots, the countdown, one client through StrictMode's
// remount, a client of the app's own left alone; and server rendering of the hook itself.

import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import type { ClientState, SessionSecurity } from 'session-security/client';
import { useSessionSecurity } from 'session-security/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClientStore } from '../../../src/react/client-store.js';

/** Stands in for the browser client: an EventTarget with a state the test sets. */
class FakeClient extends EventTarget {
  state: ClientState = 'stopped';
  starts = 0;
  stops = 0;
  extends = 0;
  start() {
    this.starts++;
    this.state = 'active';
    return this;
  }
  stop() {
    this.stops++;
    this.state = 'stopped';
  }
  async extend() {
    this.extends++;
    this.state = 'active';
    this.dispatchEvent(new CustomEvent('extend'));
  }
  async signOut() {
    this.state = 'expired';
    this.dispatchEvent(new CustomEvent('expire', { detail: { reason: 'logout' } }));
  }
  warn(expireAt: number, absolute = false) {
    this.state = 'warning';
    this.dispatchEvent(new CustomEvent('warn', { detail: { expireAt, absolute } }));
  }
}

const asClient = (fake: FakeClient) => fake as unknown as SessionSecurity;
const now = () => Date.now();
const microtasks = () => new Promise<void>((resolve) => queueMicrotask(resolve));

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the store of useSessionSecurity', () => {
  it('makes and starts one client through subscribe, unsubscribe, subscribe (StrictMode), and stops it after the last unsubscribe', async () => {
    const made: FakeClient[] = [];
    const store = createClientStore(() => {
      const fake = new FakeClient();
      made.push(fake);
      return asClient(fake);
    });
    const first = store.subscribe(() => {}, { now });
    first();
    const second = store.subscribe(() => {}, { now });
    const third = store.subscribe(() => {}, { now });
    await microtasks();
    expect(made).toHaveLength(1);
    expect(made[0]?.starts).toBe(1);
    expect(made[0]?.stops).toBe(0);
    expect(store.getSnapshot().state).toBe('active');

    second();
    await microtasks();
    expect(made[0]?.stops).toBe(0);
    third();
    await microtasks();
    expect(made[0]?.stops).toBe(1);
    expect(store.getSnapshot().state).toBe('stopped');
    expect(store.getSnapshot().client).toBeUndefined();
  });

  it('waits for a factory that fetches its config: stopped until it settles, then started; dropped when every component left first', async () => {
    let settle: (client: SessionSecurity | undefined) => void = () => {};
    const fake = new FakeClient();
    const store = createClientStore(
      () =>
        new Promise<SessionSecurity | undefined>((resolve) => {
          settle = resolve;
        }),
    );
    const changes = vi.fn();
    const leave = store.subscribe(changes, { now });
    expect(store.getSnapshot().state).toBe('stopped');
    settle(asClient(fake));
    await microtasks();
    expect(fake.starts).toBe(1);
    expect(store.getSnapshot().state).toBe('active');
    expect(changes).toHaveBeenCalled();
    leave();
    await microtasks();
    expect(fake.stops).toBe(1);

    // A component that unmounts before the config came: the late client is never started.
    const late = new FakeClient();
    const gone = store.subscribe(() => {}, { now });
    gone();
    await microtasks();
    settle(asClient(late));
    await microtasks();
    expect(late.starts).toBe(0);
    expect(store.getSnapshot().state).toBe('stopped');
    // Mounted again: asked again, and a config that says nobody is signed in keeps it stopped.
    const again = store.subscribe(() => {}, { now });
    settle(undefined);
    await microtasks();
    expect(store.getSnapshot().state).toBe('stopped');
    again();
  });

  it('asks again when a component mounts while nobody was signed in, and on reload(), stopping the client it had', async () => {
    const answers: (FakeClient | undefined)[] = [undefined, new FakeClient(), new FakeClient()];
    let calls = 0;
    const store = createClientStore(async () => {
      const next = answers[calls++];
      return next === undefined ? undefined : asClient(next);
    });
    const signedOutView = store.subscribe(() => {}, { now });
    await microtasks();
    await microtasks();
    expect(calls).toBe(1);
    expect(store.getSnapshot().state).toBe('stopped');
    // Signed in, in one commit: the signed-out view's component leaves, the signed-in one comes.
    signedOutView();
    const signedInView = store.subscribe(() => {}, { now });
    await microtasks();
    await microtasks();
    expect(calls).toBe(2);
    expect(answers[1]?.starts).toBe(1);
    expect(store.getSnapshot().state).toBe('active');
    // A second component while a client runs: no new config asked for.
    const another = store.subscribe(() => {}, { now });
    expect(calls).toBe(2);
    // reload(): the running client is stopped, a new one made from the new config.
    await store.getSnapshot().reload();
    expect(calls).toBe(3);
    expect(answers[1]?.stops).toBe(1);
    expect(answers[2]?.starts).toBe(1);
    expect(store.getSnapshot().client).toBe(asClient(answers[2] as FakeClient));
    another();
    signedInView();
    await microtasks();
    expect(answers[2]?.stops).toBe(1);
    // Nobody listening: reload() does nothing.
    await store.getSnapshot().reload();
    expect(calls).toBe(3);
  });

  it('never reloads a client the app made', async () => {
    const own = new FakeClient().start();
    const store = createClientStore(asClient(own));
    const leave = store.subscribe(() => {});
    await store.getSnapshot().reload();
    expect(own.stops).toBe(0);
    expect(store.getSnapshot().client).toBe(asClient(own));
    leave();
  });

  it('counts the seconds left down once a second while warning, with the same snapshot in between', () => {
    const fake = new FakeClient();
    const store = createClientStore(() => asClient(fake));
    const changes: (number | null)[] = [];
    store.subscribe(() => changes.push(store.getSnapshot().secondsLeft), { now });

    fake.warn(Date.now() + 3_500);
    const warning = store.getSnapshot();
    expect(warning).toMatchObject({ state: 'warning', secondsLeft: 4, absolute: false });
    expect(warning.expireAt).toBe(Date.now() + 3_500);

    vi.advanceTimersByTime(499);
    expect(store.getSnapshot()).toBe(warning);
    vi.advanceTimersByTime(1);
    expect(store.getSnapshot().secondsLeft).toBe(3);
    vi.advanceTimersByTime(3_000);
    expect(store.getSnapshot().secondsLeft).toBe(0);
    expect(changes).toEqual([4, 3, 2, 1, 0]);

    // Past the deadline nothing changes until the client leaves the warning.
    vi.advanceTimersByTime(5_000);
    expect(changes).toEqual([4, 3, 2, 1, 0]);
  });

  it('shows the state again after extend() and forgets the countdown', async () => {
    const fake = new FakeClient();
    const store = createClientStore(() => asClient(fake));
    store.subscribe(() => {}, { now });
    fake.warn(Date.now() + 10_000);
    await store.getSnapshot().extend();
    expect(fake.extends).toBe(1);
    expect(store.getSnapshot()).toMatchObject({
      state: 'active',
      secondsLeft: null,
      expireAt: null,
    });
  });

  it('notices within a second a warning that ends without an event (an absolute notice dismissed in another tab)', () => {
    const fake = new FakeClient();
    const store = createClientStore(() => asClient(fake));
    store.subscribe(() => {}, { now });
    fake.warn(Date.now() + 60_000, true);
    expect(store.getSnapshot()).toMatchObject({ state: 'warning', absolute: true });
    fake.state = 'active';
    vi.advanceTimersByTime(1_000);
    expect(store.getSnapshot()).toMatchObject({ state: 'active', absolute: false });
  });

  it('reads a client of the app without starting or stopping it', async () => {
    const fake = new FakeClient().start();
    const store = createClientStore(asClient(fake));
    expect(store.getSnapshot().state).toBe('active');
    const unsubscribe = store.subscribe(() => {});
    fake.warn(Date.now() + 2_000);
    expect(store.getSnapshot()).toMatchObject({ state: 'warning', secondsLeft: 2 });
    unsubscribe();
    await microtasks();
    expect(fake.starts).toBe(1);
    expect(fake.stops).toBe(0);
    expect(store.getSnapshot().client).toBe(fake);
  });

  it('shows stopped on a page without config, where extend() and signOut() do nothing', async () => {
    const store = createClientStore(() => undefined);
    store.subscribe(() => {});
    const snapshot = store.getSnapshot();
    expect(snapshot).toMatchObject({ state: 'stopped', secondsLeft: null, client: undefined });
    await expect(snapshot.extend()).resolves.toBeUndefined();
    await expect(snapshot.signOut()).resolves.toBeUndefined();
    expect(store.getSnapshot()).toBe(snapshot);
  });
});

/** A component that shows what the hook says. */
function Status() {
  const { state, secondsLeft } = useSessionSecurity();
  return createElement('p', null, `state: ${state}, seconds left: ${String(secondsLeft)}`);
}

describe('useSessionSecurity on the server', () => {
  it('renders the stopped state without a window or a document', () => {
    expect(typeof window).toBe('undefined');
    expect(renderToString(createElement(Status))).toBe('<p>state: stopped, seconds left: null</p>');
  });
});

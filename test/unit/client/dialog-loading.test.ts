// When the client asks for its dialog (the prebuilt script imports it on demand): a minute before
// the warning, again at most every DIALOG_RETRY_MS until it comes, never with `ui: false`; the
// warning on the cover meanwhile, and the dialog in its place once it comes. The client runs on
// fake timers against a fake window and a fake server; the cover is recorded, not drawn.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DialogFactory } from '../../../src/client/dialog.js';
import { DIALOG_LEAD_MS, DIALOG_RETRY_MS, dialogAskAt } from '../../../src/client/schedule.js';
import { type DialogLoader, SessionSecurity } from '../../../src/client/session-security.js';
import { enClient } from '../../../src/contract/messages.js';

const { covers } = vi.hoisted(() => ({ covers: [] as (string | undefined)[] }));
vi.mock('../../../src/client/cover.js', () => ({
  coverPage: (text: string | undefined) => covers.push(text),
}));

const S = 1000;
const T0 = 1_700_000_000_000;
const WARN_AFTER = 600;
const EXPIRE_AFTER = 660;
const CONFIG = {
  pingUrl: '/session-security/ping',
  logoutUrl: '/session-security/logout',
  expireAfter: EXPIRE_AFTER,
  warnAfter: WARN_AFTER,
  idleFor: 0,
  warnIn: WARN_AFTER,
  expireIn: EXPIRE_AFTER,
  session: 'sign-in',
};
const WARN_AT = T0 + WARN_AFTER * S;

/** What the server answers a ping: nobody has been active since T0. */
function serverStatus() {
  const idle = (Date.now() - T0) / S;
  return {
    status: 'active',
    session: 'sign-in',
    expireAfter: EXPIRE_AFTER,
    warnAfter: WARN_AFTER,
    idleFor: idle,
    warnIn: Math.max(0, WARN_AFTER - idle),
    expireIn: Math.max(0, EXPIRE_AFTER - idle),
  };
}

/** A loader that records when it was asked and keeps `ready` for the test to call. */
function recordingLoader() {
  const asked: number[] = [];
  let ready: ((factory: DialogFactory) => void) | undefined;
  const load: DialogLoader = (give) => {
    asked.push(Date.now() - T0);
    ready = give;
  };
  return { asked, load, give: (factory: DialogFactory) => ready?.(factory) };
}

/** A dialog factory whose dialog records what it was told, and which covers it saw then. */
function recordingDialog() {
  const shown: { expireAt: number; coveredWith: string | undefined }[] = [];
  let hidden = 0;
  const factory = (() => ({
    show: (expireAt: number) => shown.push({ expireAt, coveredWith: covers.at(-1) }),
    hide: () => {
      hidden++;
    },
  })) as unknown as DialogFactory;
  return { factory, shown, hidden: () => hidden };
}

/** A started client, its `warn` events (ms after T0), and the dialog loader given to it. */
function startClient(
  loadDialog: DialogLoader | undefined,
  ui?: boolean,
  page: Partial<typeof CONFIG> = {},
) {
  const client = new SessionSecurity({ ...CONFIG, ...page, ui, now: () => Date.now() }, loadDialog);
  const warned: number[] = [];
  client.addEventListener('warn', () => warned.push(Date.now() - T0));
  return { client: client.start(), warned };
}

/** The listeners the client added on the window, to hear input the test dispatches. */
const listeners = new Map<string, ((event: Event) => void)[]>();
/** A trusted key press, as the user makes it. */
function press() {
  for (const listener of listeners.get('keydown') ?? []) {
    listener({ type: 'keydown', isTrusted: true } as unknown as Event);
  }
}

beforeEach(() => {
  covers.length = 0;
  listeners.clear();
  vi.useFakeTimers({ now: T0 });
  // No jitter: without Web Locks this lone tab acts at each deadline itself, at once.
  vi.spyOn(Math, 'random').mockReturnValue(0);
  const fakeWindow: Record<string, unknown> = { BroadcastChannel: undefined };
  fakeWindow.top = fakeWindow;
  vi.stubGlobal('window', fakeWindow);
  vi.stubGlobal('addEventListener', (name: string, listener: (event: Event) => void) => {
    listeners.set(name, [...(listeners.get(name) ?? []), listener]);
  });
  vi.stubGlobal('removeEventListener', () => undefined);
  vi.stubGlobal('navigator', {});
  vi.stubGlobal('localStorage', { setItem: () => undefined });
  vi.stubGlobal('fetch', async () => ({ status: 200, json: async () => serverStatus() }));
  vi.stubGlobal('document', {
    hidden: false,
    forms: [],
    documentElement: { lang: 'en' },
    getElementById: () => null,
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('dialogAskAt', () => {
  it('is a minute before the warning, whatever the warning’s distance', () => {
    expect(dialogAskAt(WARN_AT, Number.NEGATIVE_INFINITY)).toBe(WARN_AT - DIALOG_LEAD_MS);
    expect(dialogAskAt(T0 + 30 * S, Number.NEGATIVE_INFINITY)).toBe(T0 + 30 * S - 60 * S);
  });

  it('waits DIALOG_RETRY_MS after the last ask, even once the warning is due', () => {
    expect(dialogAskAt(WARN_AT, WARN_AT - 58 * S)).toBe(WARN_AT - 58 * S + DIALOG_RETRY_MS);
    expect(dialogAskAt(WARN_AT, WARN_AT + 10 * S)).toBe(WARN_AT + 15 * S);
    // An ask long ago does not hold back the next.
    expect(dialogAskAt(WARN_AT, T0)).toBe(WARN_AT - DIALOG_LEAD_MS);
  });
});

describe('asking for the dialog', () => {
  it('not while the warning is more than a minute away, then once, a minute before it', async () => {
    const loader = recordingLoader();
    const dialog = recordingDialog();
    const { client } = startClient(loader.load);
    await vi.advanceTimersByTimeAsync(WARN_AFTER * S - DIALOG_LEAD_MS - 1);
    expect(loader.asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(loader.asked).toEqual([WARN_AFTER * S - DIALOG_LEAD_MS]);
    loader.give(dialog.factory);
    await vi.advanceTimersByTimeAsync(DIALOG_LEAD_MS);
    // Come before the warning: asked once, shown on time, no cover.
    expect(loader.asked).toHaveLength(1);
    expect(client.state).toBe('warning');
    expect(dialog.shown).toEqual([{ expireAt: T0 + EXPIRE_AFTER * S, coveredWith: undefined }]);
    expect(covers.filter((text) => text !== undefined)).toEqual([]);
    client.stop();
  });

  it('asks again at most every DIALOG_RETRY_MS while it does not come', async () => {
    const loader = recordingLoader();
    const { client } = startClient(loader.load);
    await vi.advanceTimersByTimeAsync((WARN_AFTER + 30) * S);
    const first = WARN_AFTER * S - DIALOG_LEAD_MS;
    expect(loader.asked[0]).toBe(first);
    const gaps = loader.asked.slice(1).map((at, i) => at - (loader.asked[i] as number));
    expect(gaps.every((gap) => gap >= DIALOG_RETRY_MS)).toBe(true);
    // Not one ask fewer either: the next evaluation after each retry time asks.
    expect(loader.asked.length).toBe(Math.floor((30 * S + DIALOG_LEAD_MS) / DIALOG_RETRY_MS) + 1);
    client.stop();
  });

  it('at page load when the warning is less than a minute away', async () => {
    const loader = recordingLoader();
    vi.setSystemTime(WARN_AT - 20 * S);
    // The page rendered now, idle for 580 s on the server.
    const { client } = startClient(loader.load, undefined, serverStatus());
    expect(loader.asked).toEqual([WARN_AFTER * S - 20 * S]);
    client.stop();
  });

  it('never with ui: false, nor without a loader: the warn event alone, no cover', async () => {
    const loader = recordingLoader();
    const headless = startClient(loader.load, false);
    const bare = startClient(undefined);
    await vi.advanceTimersByTimeAsync((WARN_AFTER + 10) * S);
    expect(loader.asked).toEqual([]);
    expect(headless.warned).toEqual([WARN_AFTER * S]);
    expect(bare.warned).toEqual([WARN_AFTER * S]);
    expect(headless.client.state).toBe('warning');
    expect(covers.filter((text) => text !== undefined)).toEqual([]);
    headless.client.stop();
    bare.client.stop();
  });
});

describe('the warning before the dialog came', () => {
  it('takes input as the answer while it is on the cover (it has no button); a dialog, or ui: false, does not', async () => {
    const loader = recordingLoader();
    const { client, warned } = startClient(loader.load);
    const extended: number[] = [];
    client.addEventListener('extend', () => extended.push(Date.now() - T0));
    await vi.advanceTimersByTimeAsync(WARN_AFTER * S + 5 * S);
    expect(warned).toEqual([WARN_AFTER * S]);
    expect(covers.at(-1)).toBe(`${enClient.title} ${enClient.body}`);
    press();
    expect(client.state).toBe('active');
    expect(extended).toEqual([(WARN_AFTER + 5) * S]);
    expect(covers.at(-1)).toBeUndefined();
    client.stop();

    // With its dialog, or headless, the warning waits for a deliberate answer.
    listeners.clear();
    const dialog = recordingDialog();
    const withDialog = startClient((give) => give(dialog.factory));
    const headless = startClient(loader.load, false);
    await vi.advanceTimersByTimeAsync(WARN_AFTER * S);
    press();
    expect(withDialog.client.state).toBe('warning');
    expect(headless.client.state).toBe('warning');
    withDialog.client.stop();
    headless.client.stop();
  });

  it('fires warn on time and shows the warning on the cover, then the dialog in its place', async () => {
    const loader = recordingLoader();
    const dialog = recordingDialog();
    const { client, warned } = startClient(loader.load);
    await vi.advanceTimersByTimeAsync(WARN_AFTER * S);
    expect(warned).toEqual([WARN_AFTER * S]);
    expect(client.state).toBe('warning');
    expect(covers.at(-1)).toBe(`${enClient.title} ${enClient.body}`);

    await vi.advanceTimersByTimeAsync(7 * S);
    loader.give(dialog.factory);
    // The cover off before the dialog opens (a hidden dialog could not take focus).
    expect(dialog.shown).toEqual([{ expireAt: T0 + EXPIRE_AFTER * S, coveredWith: undefined }]);
    const asks = loader.asked.length;
    await vi.advanceTimersByTimeAsync(30 * S);
    expect(loader.asked).toHaveLength(asks);
    expect(covers.at(-1)).toBeUndefined();
    expect(warned).toHaveLength(1);
    client.stop();
    expect(dialog.hidden()).toBe(1);
  });

  it('takes the cover away when the client is stopped during the warning', async () => {
    const loader = recordingLoader();
    const { client } = startClient(loader.load);
    await vi.advanceTimersByTimeAsync(WARN_AFTER * S);
    expect(covers.at(-1)).toBe(`${enClient.title} ${enClient.body}`);
    client.stop();
    expect(covers.at(-1)).toBeUndefined();
  });

  it('with a bundled dialog (given at once) never covers the page for the warning', async () => {
    const dialog = recordingDialog();
    let asks = 0;
    const { client, warned } = startClient((ready) => {
      asks++;
      ready(dialog.factory);
    });
    await vi.advanceTimersByTimeAsync(WARN_AFTER * S);
    expect(asks).toBe(1);
    expect(warned).toEqual([WARN_AFTER * S]);
    expect(dialog.shown).toHaveLength(1);
    expect(covers.filter((text) => text !== undefined)).toEqual([]);
    client.stop();
  });
});

// How the tabs of one browser talk: a BroadcastChannel (the `storage` event where there is
// none), and which tab leads (Web Locks; without them no tab leads and deadlines decide).

/** A message between the tabs of one browser. */
export type TabMessage =
  | { t: 'input'; at: number }
  | { t: 'status'; status: import('./schedule.js').ServerStatus; session: string }
  | { t: 'end'; reason: string; session: string }
  | { t: 'dismiss' };

/** Posts a message to the other tabs. */
export type Channel = (message: TabMessage) => void;

/** Opens the channel `name` until `signal` aborts; `receive` gets every other tab's messages. */
export function openChannel(
  name: string,
  receive: (message: TabMessage) => void,
  signal: AbortSignal,
): Channel {
  if (window.BroadcastChannel) {
    const channel = new BroadcastChannel(name);
    channel.onmessage = (event) => receive(event.data as TabMessage);
    signal.addEventListener('abort', () => channel.close());
    return (message) => channel.postMessage(message);
  }
  // Fallback: a `storage` event reaches every other tab of the origin when a key changes;
  // the random suffix makes two equal messages two changes.
  const onStorage = (event: StorageEvent) => {
    if (event.key === name && event.newValue) receive(JSON.parse(event.newValue).m as TabMessage);
  };
  addEventListener('storage', onStorage, { signal });
  return (message) => {
    try {
      localStorage.setItem(name, JSON.stringify({ m: message, r: Math.random() }));
    } catch {
      // storage full or denied: this tab cannot tell the others, it still works alone
    }
  };
}

export interface Leadership {
  /** Whether Web Locks elect a leader; without them every tab plans with a grace delay. */
  readonly elected: boolean;
  isLeader(): boolean;
  /** Takes the lead from whichever tab has it (a visible tab from a hidden one). */
  claim(): void;
  release(): void;
}

/** Joins the election for `name`; `changed` is called when this tab gains or loses the lead. */
export function joinElection(name: string, changed: () => void): Leadership {
  const locks = navigator.locks;
  let requests = 0;
  // Which of this tab's requests holds the lock: a stolen request settles after its successor
  // is granted, so only the holder's own settling may end the lead.
  let holder: number | undefined;
  let releaseHeld: (() => void) | undefined;
  let waiting: AbortController | undefined;
  let stopped = false;

  const request = (steal: boolean) => {
    if (!locks || stopped) return;
    const id = ++requests;
    const controller = new AbortController();
    waiting = steal ? undefined : controller;
    locks
      .request(name, steal ? { steal: true } : { signal: controller.signal }, () => {
        holder = id;
        if (waiting === controller) waiting = undefined;
        changed();
        return new Promise<void>((resolve) => {
          releaseHeld = resolve;
        });
      })
      .catch(() => undefined) // aborted, or stolen by another tab
      .finally(() => {
        if (holder === id) {
          holder = undefined;
          changed();
        }
        if (holder === undefined && waiting === undefined) request(false);
      });
  };
  request(false);

  return {
    elected: !!locks,
    isLeader: () => holder !== undefined,
    claim: () => {
      if (holder !== undefined) return;
      waiting?.abort();
      request(true);
    },
    release: () => {
      stopped = true;
      waiting?.abort();
      releaseHeld?.();
    },
  };
}

// The external store behind useSessionSecurity: one SessionSecurity client's state, and the
// seconds left while it warns, as snapshots replaced only when what they show changes.
// No React here, and no DOM: the page's client is made by the factory the hook passes in.

import type { ClientOptions, ClientState, SessionSecurity } from '../client/index.js';

/**
 * What a component sees of the session: one immutable object per change, so React re-renders
 * only when something shown changed.
 *
 * @example
 * ```ts
 * const { state, secondsLeft, absolute } = useSessionSecurity();
 * const notice = state === 'warning' ? `Signing you out in ${secondsLeft} s` : '';
 * const canStay = state === 'warning' && !absolute;
 * ```
 */
export interface SessionSecuritySnapshot {
  /** `active`, `warning` (the warning is due: show yours), `expired` (leaving for the login page) or `stopped` (no client running: server rendering, an anonymous page). */
  readonly state: ClientState;
  /** While warning, whole seconds until the session ends (rounded up, down to 0), updated once a second; else null. Null too when the warning opened before this store listened. */
  readonly secondsLeft: number | null;
  /** While warning, when the session ends, in milliseconds on the page's clock; else null. */
  readonly expireAt: number | null;
  /** While warning, whether the coming end is the absolute timeout, which no action extends. */
  readonly absolute: boolean;
  /** The client read, once there is one. */
  readonly client: SessionSecurity | undefined;
  /** Keeps the session alive, as "Stay signed in" does. Resolves when the server answered; does nothing without a running client. */
  readonly extend: () => Promise<void>;
  /** Signs out now on the server, then every tab goes to the login page. Does nothing without a running client. */
  readonly signOut: () => Promise<void>;
  /**
   * Makes the page's client again from a fresh config (the app's config route): call it after a
   * sign-in or sign-out that loaded no page (a single-page app). Resolves once the client runs,
   * or the config said nobody is signed in. Does nothing for a client the app made itself.
   */
  readonly reload: () => Promise<void>;
}

/**
 * Makes the page's client on first subscribe: undefined when the page has no config (an
 * anonymous page), and the store then shows `stopped`; or a promise of either, when the config
 * must be fetched (a single-page app): the store shows `stopped` until it settles.
 *
 * @example
 * ```ts
 * const factory: ClientFactory = (config) => new SessionSecurity({ ...pageConfig, ...config });
 * ```
 */
export type ClientFactory = (
  config?: Partial<ClientOptions>,
) => SessionSecurity | undefined | Promise<SessionSecurity | undefined>;

/**
 * A store for `useSyncExternalStore`.
 *
 * @example
 * ```ts
 * const store = createClientStore(existingClient);
 * const unsubscribe = store.subscribe(() => render(store.getSnapshot()));
 * ```
 */
export interface ClientStore {
  /** Listens; the first listener attaches the client (and makes and starts it, with a factory). */
  subscribe(onChange: () => void, config?: Partial<ClientOptions>): () => void;
  getSnapshot(): SessionSecuritySnapshot;
  /** What a server renders: `stopped`, with actions that do nothing. */
  getServerSnapshot(): SessionSecuritySnapshot;
}

/** The client's events after which its state or the warning's deadline may have changed. */
const EVENTS = ['warn', 'extend', 'expire', 'sync', 'error', 'activity'] as const;

/** What a snapshot shows of `client`, and the milliseconds left while it warns. */
function viewOf(
  client: SessionSecurity | undefined,
  expireAt: number | null,
  absolute: boolean,
  nowMs: number,
) {
  const state = client?.state ?? 'stopped';
  const deadline = state === 'warning' ? expireAt : null;
  const msLeft = deadline === null ? 0 : deadline - nowMs;
  const next = {
    state,
    secondsLeft: deadline === null ? null : Math.max(0, Math.ceil(msLeft / 1000)),
    expireAt: deadline,
    absolute: deadline !== null && absolute,
    client,
  };
  return { next, msLeft };
}

/**
 * The calls of a factory of which only the latest counts: a client made by a call that was
 * cancelled or overtaken (a detach, a reload) while its config was on its way is never used.
 */
function latestCalls(factory: ClientFactory) {
  let latest = 0;
  let pending = false;
  return {
    /** Whether a call is on its way. */
    get pending() {
      return pending;
    },
    /** Forgets the calls on their way. */
    cancel() {
      latest++;
      pending = false;
    },
    /** Calls the factory and gives `use` what it made, unless another call came since. */
    call(
      config: Partial<ClientOptions> | undefined,
      use: (made: SessionSecurity | undefined) => void,
    ): Promise<void> {
      const made = factory(config);
      if (!(made instanceof Promise)) {
        use(made);
        return Promise.resolve();
      }
      const call = ++latest;
      pending = true;
      const settle = (ready: SessionSecurity | undefined) => {
        if (call !== latest) return; // cancelled or overtaken meanwhile
        pending = false;
        use(ready);
      };
      // A factory that fails said why; the state stays `stopped`.
      return made.then(settle, () => settle(undefined));
    },
  };
}

/**
 * Builds the store over `source`: a client the app owns (read only: never started nor stopped
 * here), or a factory whose client the store starts on the first subscribe and stops once the
 * last listener has left. The stop waits for the end of the current task's microtasks, so
 * React's StrictMode (subscribe, unsubscribe, subscribe again) or a layout swapped for another
 * in one commit keeps the same client instead of starting a second.
 *
 * @example
 * ```ts
 * const store = createClientStore(() => new SessionSecurity({ ...config, ui: false }));
 * function SessionState() {
 *   const { state } = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot);
 *   return state;
 * }
 * ```
 */
export function createClientStore(source: SessionSecurity | ClientFactory): ClientStore {
  const factory = typeof source === 'function' ? source : undefined;
  let client = typeof source === 'function' ? undefined : source;
  let now: () => number = Date.now;
  let listening = false;
  const listeners = new Set<() => void>();
  // The last warning's deadline: the client tells it only in its `warn` event.
  let expireAt: number | null = null;
  let absolute = false;
  let ticker: ReturnType<typeof setTimeout> | undefined;

  const extend = () => client?.extend() ?? Promise.resolve();
  const signOut = () => client?.signOut() ?? Promise.resolve();
  const reload = () => (factory && listening ? ask(lastConfig, true) : Promise.resolve());
  const actions = { extend, signOut, reload };
  const stopped: SessionSecuritySnapshot = Object.freeze({
    ...viewOf(undefined, null, false, 0).next,
    ...actions,
  });
  let snapshot = stopped;

  /** Takes the client's state again; replaces the snapshot only if what it shows changed. */
  const update = (): boolean => {
    const { next, msLeft } = viewOf(client, expireAt, absolute, now());
    // The countdown's next change: when the time left crosses a whole second. Past the
    // deadline, keep looking once a second until the client leaves the warning.
    clearTimeout(ticker);
    ticker =
      next.state === 'warning' && listening
        ? setTimeout(refresh, msLeft > 0 ? msLeft - ((next.secondsLeft ?? 1) - 1) * 1000 : 1000)
        : undefined;
    const same = (Object.keys(next) as (keyof typeof next)[]).every(
      (key) => next[key] === snapshot[key],
    );
    if (same) return false;
    snapshot = Object.freeze({ ...next, ...actions });
    return true;
  };

  function refresh() {
    if (update()) for (const onChange of listeners) onChange();
  }

  const onEvent = (event: Event) => {
    if (event.type === 'warn') {
      const detail = (event as CustomEvent<{ expireAt: number; absolute: boolean }>).detail;
      expireAt = detail.expireAt;
      absolute = detail.absolute;
    }
    refresh();
  };

  const calls = factory && latestCalls(factory);
  let lastConfig: Partial<ClientOptions> | undefined;

  const listen = (made: SessionSecurity | undefined) => {
    client = made;
    // Listen before starting: a page loaded late in the session may warn at once.
    for (const type of EVENTS) client?.addEventListener(type, onEvent);
    if (factory) client?.start();
    refresh();
  };

  /** Stops and drops the factory's client, if it made one. */
  const drop = () => {
    calls?.cancel();
    for (const type of EVENTS) client?.removeEventListener(type, onEvent);
    if (factory) {
      client?.stop();
      client = undefined;
      expireAt = null;
    }
  };

  /** Has the factory make the client (again, with `again`: the one before is stopped first). */
  const ask = (config: Partial<ClientOptions> | undefined, again = false): Promise<void> => {
    if (!calls) return Promise.resolve();
    if (again) drop();
    const settled = calls.call(config, (made) => {
      if (listening) listen(made);
    });
    refresh();
    return settled;
  };

  const attach = (config?: Partial<ClientOptions>) => {
    [now, lastConfig, listening] = [config?.now ?? Date.now, config, true];
    if (factory) void ask(config);
    else listen(client);
  };

  const detach = () => {
    listening = false;
    drop();
    update();
  };

  update();
  return {
    subscribe(onChange, config) {
      // A wrapper of its own, so the same callback subscribed twice counts twice.
      const listener = () => onChange();
      if (!listening) attach(config);
      // A component mounted while no client runs and none is being made (the last config said
      // nobody was signed in): ask again, a sign-in may have happened since.
      else if (calls && client === undefined && !calls.pending) void ask(lastConfig);
      listeners.add(listener);
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return;
        queueMicrotask(() => {
          if (listeners.size === 0 && listening) detach();
        });
      };
    },
    getSnapshot: () => snapshot,
    getServerSnapshot: () => stopped,
  };
}

// The public entry of `session-security/react`: useSessionSecurity(), the browser client's state
// for React through useSyncExternalStore. Imports only from 'react' and touches no DOM at import
// time, so server rendering works.

import { useCallback, useRef, useSyncExternalStore } from 'react';
import { type ClientOptions, SessionSecurity } from '../client/index.js';
import { CONFIG_ELEMENT_ID } from '../client/session-security.js';
import {
  type ClientStore,
  createClientStore,
  type SessionSecuritySnapshot,
} from './client-store.js';

/**
 * What `useSessionSecurity` returns: the state, the seconds left while warning, `extend()` and
 * `signOut()`, and the client itself. The same object until one of them changes.
 *
 * @example
 * ```ts
 * const session: UseSessionSecurityResult = useSessionSecurity();
 * session.state; // 'active' | 'warning' | 'expired' | 'stopped'
 * ```
 */
export type UseSessionSecurityResult = SessionSecuritySnapshot;

/**
 * Which client the hook reads.
 *
 * @example
 * ```ts
 * useSessionSecurity(); // the page's client, headless, shared by every component
 * useSessionSecurity({ config: { ui: true } }); // the same, with the library's own dialog
 * useSessionSecurity({ client: mySecurity }); // a client the app made and started itself
 * ```
 */
export interface UseSessionSecurityOptions {
  /**
   * A client the app made and owns: the hook reads it, never starts or stops it. Without it,
   * the hook uses the page's client (see `useSessionSecurity`).
   */
  client?: SessionSecurity;
  /**
   * Options for the page's client, over the page's config (`security.clientTags(req, {
   * script: false })`); read once, by the first component that subscribes. `now` is also the
   * countdown's clock (with `client` too). Default `{ ui: false }`: no dialog of the library.
   */
  config?: Partial<ClientOptions>;
}

let pageStore: ClientStore | undefined;
const storesOfClients = new WeakMap<SessionSecurity, ClientStore>();

/** The page's client, from the JSON config the server's HTML helper wrote; none on an anonymous page. */
function createPageClient(config?: Partial<ClientOptions>): SessionSecurity | undefined {
  const text = document.getElementById(CONFIG_ELEMENT_ID)?.textContent;
  const options = { ui: false, ...(text ? JSON.parse(text) : {}), ...config } as ClientOptions;
  // clientTags renders nothing for an anonymous request: no session to watch.
  return options.pingUrl ? new SessionSecurity(options) : undefined;
}

function storeOf(client: SessionSecurity | undefined): ClientStore {
  if (!client) {
    pageStore ??= createClientStore(createPageClient);
    return pageStore;
  }
  let store = storesOfClients.get(client);
  if (!store) {
    store = createClientStore(client);
    storesOfClients.set(client, store);
  }
  return store;
}

/**
 * The session as the browser client sees it, for an app that renders its own warning.
 *
 * Without `client`, every component that calls it shares one page client, made from the
 * page's config on the first subscribe (render the config alone with
 * `security.clientTags(req, { script: false })`, not the prebuilt script, or the page would
 * run two clients). It is headless by default (`ui: false`: only your dialog shows), started
 * then, and stopped when the last component using it unmounts. React's StrictMode remount
 * keeps it: one client, never two. On the server, and on a page without config (an anonymous
 * visitor), the state is `stopped` and `extend()`/`signOut()` do nothing.
 *
 * While `state` is `'warning'`, `secondsLeft` counts down once a second; only a deliberate
 * action should call `extend()` (mouse moves do not extend a warning). When `absolute` is
 * true the session ends at `expireAt` whatever the user does: offer no "stay" then. At expiry
 * the client sends the page to the login page; to stay, cancel its `expire` event
 * (`client.addEventListener('expire', (e) => e.preventDefault())`), the state is then `expired`.
 *
 * @param options - a client of the app's own, or options for the page's client
 * @returns the current snapshot, referentially stable until something in it changes
 * @example
 * ```tsx
 * import { useSessionSecurity } from 'session-security/react';
 *
 * function IdleWarning() {
 *   const { state, secondsLeft, absolute, extend, signOut } = useSessionSecurity();
 *   if (state !== 'warning') return null;
 *   return (
 *     <div role="alertdialog" aria-labelledby="idle-title">
 *       <h2 id="idle-title">Your session is about to expire</h2>
 *       <p>Signing you out in {secondsLeft} s</p>
 *       {absolute ? null : <button onClick={() => void extend()}>Stay signed in</button>}
 *       <button onClick={() => void signOut()}>Sign out</button>
 *     </div>
 *   );
 * }
 * ```
 */
export function useSessionSecurity(
  options: UseSessionSecurityOptions = {},
): UseSessionSecurityResult {
  const store = storeOf(options.client);
  // The config of this component's first render: a new object literal each render must not resubscribe.
  const config = useRef(options.config).current;
  const subscribe = useCallback(
    (onChange: () => void) => store.subscribe(onChange, config),
    [store, config],
  );
  return useSyncExternalStore(subscribe, store.getSnapshot, store.getServerSnapshot);
}

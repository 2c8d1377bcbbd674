// The public entry of `session-security/react`: useSessionSecurity(), the browser client's state
// for React through useSyncExternalStore. Imports only from 'react' and touches no DOM at import
// time, so server rendering works.

import { useCallback, useRef, useSyncExternalStore } from 'react';
import {
  type ClientOptions,
  DEFAULT_CONFIG_URL,
  fetchClientConfig,
  SessionSecurity,
} from '../client/index.js';
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
export type { SessionSecuritySnapshot };

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
  /**
   * Where the page's client gets its config when the page has none (a single-page app's static
   * `index.html`, a Vite dev server): the app's `{prefix}/config` route, asked once by the first
   * component that subscribes (again after every component using it unmounted). Default
   * `/session-security/config`; `false` never asks (the page's config only).
   */
  configUrl?: string | false;
}

let pageStore: ClientStore | undefined;
const storesOfClients = new WeakMap<SessionSecurity, ClientStore>();

/**
 * The page's client: from the JSON config the server's HTML helper wrote, or else from the
 * app's config route; none for an anonymous visitor (the console says why).
 */
function createPageClient(
  configUrl: string | false,
  config?: Partial<ClientOptions>,
): SessionSecurity | undefined | Promise<SessionSecurity | undefined> {
  const make = (page: Partial<ClientOptions>) => {
    const options = { ui: false, ...page, ...config } as ClientOptions;
    return options.pingUrl ? new SessionSecurity(options) : undefined;
  };
  const text = document.getElementById(CONFIG_ELEMENT_ID)?.textContent;
  if (text) return make(JSON.parse(text));
  if (configUrl === false) {
    console.info(
      `session-security: the client did not start: the page has no config (#${CONFIG_ELEMENT_ID}) and configUrl is false`,
    );
    return undefined;
  }
  return fetchClientConfig(configUrl).then((fetched) => (fetched ? make(fetched) : undefined));
}

function storeOf(client: SessionSecurity | undefined, configUrl: string | false): ClientStore {
  if (!client) {
    pageStore ??= createClientStore((config) => createPageClient(configUrl, config));
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
 * run two clients); a page without one (a single-page app) asks the app's
 * `/session-security/config` route instead (`configUrl`), and the console says why when the
 * client does not start. After a sign-in or sign-out that loaded no page, `reload()` asks again
 * (so does a component that mounts while no client runs). It is headless by default (`ui: false`: only your dialog shows), started
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
  const store = storeOf(options.client, options.configUrl ?? DEFAULT_CONFIG_URL);
  // The config of this component's first render: a new object literal each render must not resubscribe.
  const config = useRef(options.config).current;
  const subscribe = useCallback(
    (onChange: () => void) => store.subscribe(onChange, config),
    [store, config],
  );
  return useSyncExternalStore(subscribe, store.getSnapshot, store.getServerSnapshot);
}

// The public entry of `session-security/client`, for bundlers: the client class with its dialog
// bundled (nothing is fetched on demand), its types and the English catalogue. The prebuilt
// script (auto.ts) starts the same client from the page's config and fetches the dialog apart.

import { createDialog } from './dialog.js';
import { createLock } from './lock.js';
import { SessionSecurity as Client, type ClientOptions } from './session-security.js';

export { type DraftMessages, en, type Messages } from '../contract/messages.js';
export type { DraftsConfig } from '../contract/page-config.js';
export {
  DEFAULT_CONFIG_URL,
  type FetchClientConfigOptions,
  fetchClientConfig,
} from './server-config.js';
export type { ClientOptions, ClientState } from './session-security.js';

/**
 * The browser half of session-security (see its events and methods), with the warning dialog
 * and the lock in the bundle: no script is fetched when a warning nears.
 */
export class SessionSecurity extends Client {
  /** @throws TypeError when a time of the options is not a finite number */
  constructor(options: ClientOptions) {
    super(
      options,
      (ready) => ready(createDialog),
      (ready) => ready(createLock),
    );
  }
}

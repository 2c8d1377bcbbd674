// The prebuilt script that `{prefix}/client.js` serves: starts the client from the JSON config
// the server's HTML helper wrote into the page, and exposes it as `window.sessionSecurity`. The
// warning's dialog is a module of its own, imported only when a warning is near (dialog-script.ts).

import type { DialogFactory } from './dialog.js';
import type { LockFactory } from './lock.js';
import { type ClientOptions, CONFIG_ELEMENT_ID, SessionSecurity } from './session-security.js';

declare global {
  interface Window {
    sessionSecurity?: SessionSecurity;
  }
}

/**
 * A loader of one of the client's modules (the dialog, the lock). import(), not a <script>
 * element: a script's src is a Trusted Types sink, and an import from this script carries its
 * CSP nonce. Asked again every few seconds until the module came, one import at a time; a browser
 * may keep a failed import failed for its URL in this page (its module map), so a retry asks
 * under another.
 */
function importer<M>(src: string | undefined, take: (module: M) => unknown) {
  let tries = 0;
  let loading = false;
  return src
    ? (ready: (factory: never) => void) => {
        if (loading) return;
        loading = true;
        import(tries++ ? `${src}&retry=${tries}` : src)
          .then((module: M) => ready(take(module) as never))
          .catch(() => undefined)
          .finally(() => {
            loading = false;
          });
      }
    : undefined;
}

// Read while this script runs (currentScript is null later): the drafts script gets the same CSP nonce.
const nonce = document.currentScript?.nonce;
const tag = document.getElementById(CONFIG_ELEMENT_ID);
if (tag?.textContent) {
  const options = JSON.parse(tag.textContent) as ClientOptions;
  window.sessionSecurity = new SessionSecurity(
    options,
    importer<{ createDialog: DialogFactory }>(options.dialogSrc, (module) => module.createDialog),
    importer<{ createLock: LockFactory }>(options.lock?.src, (module) => module.createLock),
  ).start();
  // Only a page with a form has a draft to keep: the others never download the drafts code.
  if (options.drafts && document.forms[0]) {
    document.body.append(
      Object.assign(document.createElement('script'), { src: options.drafts.src, nonce }),
    );
  }
}

// The prebuilt script that `{prefix}/client.js` serves: starts the client from the JSON config
// the server's HTML helper wrote into the page, and exposes it as `window.sessionSecurity`.

import { type ClientOptions, CONFIG_ELEMENT_ID, SessionSecurity } from './session-security.js';

declare global {
  interface Window {
    sessionSecurity?: SessionSecurity;
  }
}

// Read while this script runs (currentScript is null later): the drafts script gets the same CSP nonce.
const nonce = document.currentScript?.nonce;
const tag = document.getElementById(CONFIG_ELEMENT_ID);
if (tag?.textContent) {
  const options = JSON.parse(tag.textContent) as ClientOptions;
  window.sessionSecurity = new SessionSecurity(options).start();
  // Only a page with a form has a draft to keep: the others never download the drafts code.
  if (options.drafts && document.forms[0]) {
    document.body.append(
      Object.assign(document.createElement('script'), { src: options.drafts.src, nonce }),
    );
  }
}

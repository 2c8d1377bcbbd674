// The prebuilt script that `{prefix}/client.js` serves: starts the client from the JSON config
// the server's HTML helper wrote into the page, and exposes it as `window.sessionSecurity`.

import { type ClientOptions, CONFIG_ELEMENT_ID, SessionSecurity } from './session-security.js';

declare global {
  interface Window {
    sessionSecurity?: SessionSecurity;
  }
}

const tag = document.getElementById(CONFIG_ELEMENT_ID);
if (tag?.textContent) {
  window.sessionSecurity = new SessionSecurity(
    JSON.parse(tag.textContent) as ClientOptions,
  ).start();
}

// The public entry of `session-security/client`, for bundlers: the client class, its types
// and the English catalogue. The prebuilt script (auto.ts) starts it from the page's config.

export { type DraftMessages, en, type Messages } from '../contract/messages.js';
export { type ClientOptions, type ClientState, SessionSecurity } from './session-security.js';

// The page config: what the server writes into a page of a signed-in session (a JSON element
// under CONFIG_ELEMENT_ID) and the browser client reads. Both sides import it; it imports
// nothing but the message types.

import type { DraftMessages, LockMessages, Messages } from './messages.js';

/** The id of the JSON config element that the server's HTML helper writes and the prebuilt script reads. */
export const CONFIG_ELEMENT_ID = 'session-security-config';

/** The client's options: what the server's HTML helper writes into the page's config. Times in seconds. */
export interface ClientOptions {
  /** `{prefix}/ping`. */
  pingUrl: string;
  /** `{prefix}/logout`. */
  logoutUrl: string;
  /** `{prefix}/lease`, for `hold(work)` (absent without the server's `leases` option). */
  leaseUrl?: string;
  /** Where tabs go on expiry, with `next` and `reason`; without it they reload. */
  loginUrl?: string;
  expireAfter: number;
  warnAfter: number;
  /** The server's status when it rendered the page: the page's clock starts from it, not from its load. */
  idleFor: number;
  warnIn: number;
  expireIn: number;
  absolute?: boolean;
  /** The server's marker of this sign-in; an answer with another means signed out. */
  session: string;
  /** The page's language, for `Intl` durations and times. Default `<html lang>` or `en`. */
  lang?: string;
  /** The page's catalogue; English fills in what is missing. */
  messages?: Partial<Messages & DraftMessages & LockMessages>;
  /** `false` for headless mode: no dialog, only events. Default true. */
  ui?: boolean;
  /**
   * Whether the client runs inside a frame. Default false: a page framed by another site
   * must not report the user's pointer moves over that site as activity.
   */
  allowFrames?: boolean;
  /**
   * The input events that count as activity. Default `keydown pointerdown pointermove wheel
   * touchstart`: only what a person does. Others (`scroll`, `*over`, `*enter`, `focus`,
   * `hashchange`…) fire with nobody there, a page scrolling itself or an opener moving a popup's
   * fragment; start() warns in the console when the list has one.
   */
  events?: readonly string[];
  /**
   * The URL of the dialog module (`{prefix}/dialog.js?v=…`), which the prebuilt script imports
   * when a warning is near. `session-security/client` bundles the dialog and ignores it.
   */
  dialogSrc?: string;
  /** Drafts kept across expiry and sign-in (absent when the app turned them off). */
  drafts?: DraftsConfig;
  /** Sign in again in place on expiry (absent without the server's `lock` option). */
  lock?: LockConfig;
  /** The clock, for tests. */
  now?: () => number;
}

/** What the page's config says about drafts: whose they are, how long they keep, where the code is. */
export interface DraftsConfig {
  /** An opaque key of the signed-in user (a keyed hash of the user's id, never the id itself). */
  key: string;
  /** Seconds a kept draft lives; an older one is deleted unread. */
  maxAge: number;
  /** The URL of the drafts script (`{prefix}/drafts.js?v=…`), loaded only on pages with a form. */
  src: string;
}

/**
 * What the page's config says about the lock: where its script is and where it signs in again.
 * The user it keeps the page for is the drafts key (`drafts.key`).
 */
export interface LockConfig {
  /** The URL of the lock's script (`{prefix}/lock.js?v=…`), loaded with the warning's dialog. */
  src: string;
  /** `{prefix}/unlock`. */
  unlockUrl: string;
  /** A passkey is offered too (the server's `lock.passkeys`). */
  passkey?: true;
}

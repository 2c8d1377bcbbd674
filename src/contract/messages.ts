// The client's message catalogue type and its English text, the only language in the bundle
// (the dialog's own strings in the dialog's code: enDialog); the server puts the page's
// catalogue into the config (src/server/catalogues.ts).

/** Every string the browser client shows or announces. `{duration}` and `{time}` are filled in with `Intl`. */
export interface Messages {
  /** Dialog title while an idle timeout approaches. */
  title: string;
  /** Dialog description while an idle timeout approaches. */
  body: string;
  /** Label before the visible `m:ss` countdown. */
  timeLeft: string;
  /** The button that extends the session. */
  stay: string;
  /** The button that signs out now. */
  signOut: string;
  /** Screen-reader announcement of the remaining time; `{duration}` is e.g. "2 minutes". */
  announce: string;
  /** Dialog title when the coming expiry is the absolute one, which nothing can extend. */
  absoluteTitle: string;
  /** Its description; `{time}` is the clock time the session ends, e.g. "14:05". */
  absoluteBody: string;
  /** The button that closes the absolute-timeout notice (it extends nothing). */
  dismiss: string;
  /** Shown instead of the page when the server cannot be reached after the session's deadline. */
  offline: string;
  /** Shown instead of the page while a sign-out the server has not confirmed is tried again. */
  signOutFailed: string;
  /** Shown instead of the page while the lock's own script is on its way (the `lock` option). */
  lockCover: string;
}

/**
 * The drafts script's own string, apart from `Messages`: that script carries its English default,
 * so the main script stays small. A page's config may give it with the others.
 */
export interface DraftMessages {
  /** The one line above a form whose draft was filled back after signing in again. */
  restored: string;
}

/** The strings only the warning's dialog shows: their English is in the dialog's code. */
export type DialogMessageKey =
  | 'timeLeft'
  | 'stay'
  | 'signOut'
  | 'announce'
  | 'absoluteBody'
  | 'dismiss';

/** The catalogue as the client holds it: the page's strings over the English it carries. */
export type ClientMessages = Omit<Messages, DialogMessageKey> & Partial<Messages>;

/**
 * The English the main script carries: the covers' text, and the warning's title and text,
 * which the prebuilt client shows on the cover until the dialog's script has come.
 */
export const enClient: Omit<Messages, DialogMessageKey> = {
  title: 'Your session is about to expire',
  body: 'You will be signed out soon because you have been inactive.',
  absoluteTitle: 'Your session will end soon',
  offline: 'Cannot reach the server. This page is hidden until the connection is back.',
  signOutFailed:
    'You are not signed out yet. This page stays hidden while signing out is tried again.',
  lockCover: 'You were signed out. This page is hidden until you sign in again.',
};

/** The dialog's own English, carried by the dialog's code (the dialog script, fetched only when a warning is near). */
export const enDialog: Pick<Messages, DialogMessageKey> = {
  timeLeft: 'Time left',
  stay: 'Stay signed in',
  signOut: 'Sign out',
  announce: 'You will be signed out in {duration}.',
  absoluteBody: 'This session ends at {time} and cannot be extended. Please save your work.',
  dismiss: 'OK',
};

/** The English catalogue, whole. Marked pure: a bundle that does not use it (the prebuilt scripts) leaves it out. */
export const en: Messages = /* @__PURE__ */ Object.assign({}, enClient, enDialog);

/** The drafts script's English; a translated catalogue carries its own `restored`. */
export const enDrafts: DraftMessages = {
  restored: 'Your unsaved changes were restored.',
};

/**
 * The lock's strings (docs/guide/lock.md), carried in English by the lock's own script; with the
 * lock, a translated page's catalogue (`messages`) carries them too.
 */
export interface LockMessages {
  /** The lock's title after the session ended. */
  lockTitle: string;
  /** Its description. */
  lockBody: string;
  /** The title when the app asks for the password again before what matters. */
  reauthTitle: string;
  /** Its description. */
  reauthBody: string;
  username: string;
  password: string;
  /** The button that signs in again. */
  unlock: string;
  /** Shown when the user name or password was not right. */
  lockRefused: string;
  /** Shown when signing in again failed otherwise (the server, the network). */
  lockFailed: string;
  /** The button that gives up asking again (before what matters only). */
  cancel: string;
  /** The button that signs out and goes to the login page. */
  signOut: string;
  /** The button that signs in again with a passkey (with the server's `lock.passkeys`). */
  passkey: string;
  /** Shown when the passkey was not accepted. */
  passkeyRefused: string;
}

export const enLock: LockMessages = {
  lockTitle: 'You were signed out',
  lockBody:
    'Your session ended while you were away. Sign in again to carry on where you left off: this page is kept as it was.',
  reauthTitle: 'Confirm it is you',
  reauthBody: 'Enter your password again to continue.',
  username: 'User name',
  password: 'Password',
  unlock: 'Sign in',
  lockRefused: 'The user name or password is not right.',
  lockFailed: 'Signing in did not work. Please try again.',
  cancel: 'Cancel',
  signOut: 'Sign out',
  passkey: 'Sign in with a passkey',
  passkeyRefused: 'This passkey was not accepted.',
};

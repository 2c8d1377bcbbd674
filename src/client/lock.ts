// The lock: sign in again in place (docs/guide/lock.md). A native modal <dialog> over an opaque
// backdrop, so the page behind is neither readable nor reachable (inert), with a user name and
// password form; the page under it stays as it was, forms, scroll and state. The prebuilt client
// imports it as a module of its own (lock-script.ts) with the warning's dialog;
// `session-security/client` bundles it.

import { enLock, type LockMessages } from '../contract/messages.js';
import { ID, make } from './cover.js';
import { send } from './transport.js';

export type { LockMessages } from '../contract/messages.js';
export { enLock };

export interface LockActions {
  /** `{prefix}/unlock`. */
  url: string;
  /** Whether the server takes a passkey too. */
  passkey?: boolean | undefined;
  /** The page's sign-in marker now. */
  session(): string;
  /** Signed in again: the answer's status (a new sign-in, the same user's or another's); false for an answer that is not one. */
  signedIn(status: Record<string, unknown>): boolean;
  /** "Sign out": the login page, keeping nothing. */
  leave(): void;
  /** "Cancel" (or Escape), when asked again before what matters. */
  cancel(): void;
}

export interface PageLock {
  /** Covers the page and asks to sign in again; `reauth` when the sign-in lives on. */
  show(reauth: boolean): void;
  /** Takes the lock away; focus goes back where it was. */
  hide(): void;
}

/** What makes the lock: the lock module's export, which the engine takes from its loader. */
export type LockFactory = typeof createLock;

/** One of the lock's two fields. */
const field = (name: string, type: string, autocomplete: string) =>
  make('input', { id: `${ID}-${name}`, name, type, autocomplete, required: '' });

export function createLock(given: Partial<LockMessages>, actions: LockActions): PageLock {
  const messages = { ...enLock, ...given };
  let dialog: HTMLDialogElement | undefined;
  let parts: HTMLElement[];
  let returnFocus: Element | null = null;
  let open = false;
  let reauth = false;

  const build = () => {
    const user = field('username', 'text', 'username');
    const password = field('password', 'password', 'current-password');
    const error = make('p', { class: `${ID}-error`, role: 'alert' });
    const submit = make('button', {}, messages.unlock);
    const cancel = make('button', { type: 'button' }, messages.cancel);
    const leave = make('button', { type: 'button' }, messages.signOut);
    const form = make(
      'form',
      { class: `${ID}-form` },
      make('label', { for: user.id }, messages.username),
      user,
      make('label', { for: password.id }, messages.password),
      password,
      error,
      make('div', { class: `${ID}-actions` }, submit, cancel, leave),
    );
    const element = make(
      'dialog',
      {
        class: `${ID} ${ID}-lock`,
        role: 'alertdialog',
        'aria-modal': 'true',
        'aria-labelledby': `${ID}-lock-title`,
        'aria-describedby': `${ID}-lock-body`,
      },
      make('h2', { id: `${ID}-lock-title` }),
      make('p', { id: `${ID}-lock-body` }),
      form,
    ) as HTMLDialogElement;
    parts = [
      element.children[0],
      element.children[1],
      user,
      password,
      error,
      cancel,
    ] as HTMLElement[];
    /** Signs in again with these credentials; says why not, under the form, when it did not. */
    const signIn = async (json: Record<string, unknown>, refused: string) => {
      error.textContent = '';
      submit.setAttribute('aria-disabled', 'true');
      const { code, body } = await send(actions.url, 'POST', actions.session(), json);
      submit.removeAttribute('aria-disabled');
      (password as HTMLInputElement).value = '';
      if (!(code === 200 && body.status === 'active' && actions.signedIn(body))) {
        error.textContent = body.status === 'refused' ? refused : messages.lockFailed;
        password.focus();
      }
    };
    form.onsubmit = (event) => {
      event.preventDefault();
      void signIn(
        {
          username: (user as HTMLInputElement).value,
          password: (password as HTMLInputElement).value,
        },
        messages.lockRefused,
      );
    };
    const key = passkeyButton(messages, actions, error, signIn);
    if (key) submit.after(key);
    // Escape gives up only when asking again before what matters; a lock stays.
    element.oncancel = (event) => {
      event.preventDefault();
      if (reauth) actions.cancel();
    };
    // A browser closes a modal dialog on a repeated Escape whatever the page says: a lock that
    // is still wanted opens again at once.
    element.onclose = () => {
      if (open) element.showModal();
      else (returnFocus as HTMLElement | null)?.focus?.();
    };
    cancel.onclick = actions.cancel;
    leave.onclick = actions.leave;
    document.body.append(element);
    return element;
  };

  return {
    show(asking) {
      dialog ??= build();
      reauth = asking;
      const [title, body, user, password, error, cancel] = parts as [
        HTMLElement,
        HTMLElement,
        HTMLInputElement,
        HTMLElement,
        HTMLElement,
        HTMLElement,
      ];
      title.textContent = asking ? messages.reauthTitle : messages.lockTitle;
      body.textContent = asking ? messages.reauthBody : messages.lockBody;
      cancel.hidden = !asking;
      error.textContent = '';
      document.documentElement.classList.add(`${ID}-locked`);
      if (!open) {
        open = true;
        returnFocus = document.activeElement;
        dialog.showModal();
      }
      (user.value ? password : user).focus();
    },
    hide() {
      open = false;
      document.documentElement.classList.remove(`${ID}-locked`);
      dialog?.close();
    },
  };
}

/**
 * The passkey's button, where the server takes one and the browser reads WebAuthn's JSON: a
 * challenge from the server, the browser's own prompt, then its answer signs in as a password
 * does (`signIn`).
 */
function passkeyButton(
  messages: LockMessages,
  actions: LockActions,
  error: HTMLElement,
  signIn: (json: Record<string, unknown>, refused: string) => Promise<void>,
): HTMLElement | undefined {
  const Key = window.PublicKeyCredential;
  if (!(actions.passkey && Key?.parseRequestOptionsFromJSON)) return undefined;
  const button = make('button', { type: 'button' }, messages.passkey);
  button.onclick = async () => {
    error.textContent = '';
    const { code, body } = await send(actions.url, 'POST', actions.session(), {
      passkey: 'challenge',
    });
    let credential: Credential | null = null;
    try {
      if (code !== 200) throw new Error();
      credential = await navigator.credentials.get({
        publicKey: Key.parseRequestOptionsFromJSON(body.options as never),
      });
    } catch (failure) {
      // Given up in the browser's own prompt (or timed out there): nothing to say.
      if ((failure as Error).name !== 'NotAllowedError') error.textContent = messages.lockFailed;
    }
    if (credential) {
      await signIn(
        { passkey: (credential as PublicKeyCredential).toJSON() },
        messages.passkeyRefused,
      );
    }
  };
  return button;
}

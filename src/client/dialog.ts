// The warning: a native modal <dialog> (the page behind is inert) with a visible countdown and
// a screen-reader announcement at most once a minute, then every 20 s in the last minute. The
// prebuilt client serves it as a module of its own (dialog-script.ts), imported only when a
// warning is near; `session-security/client` bundles it.

import { type ClientMessages, enDialog, type Messages } from '../contract/messages.js';
import { ID, make } from './cover.js';

export interface DialogActions {
  /** "Stay signed in" (or Escape): extend the session. */
  keep(): void;
  /** "Sign out". */
  leave(): void;
  /** "OK" (or Escape) on the absolute notice, which extends nothing. */
  acknowledge(): void;
}

export interface WarningDialog {
  show(expireAt: number, absolute: boolean): void;
  hide(): void;
}

/**
 * The time left of `ms` (rounded up to the second) as the dialog shows and speaks it: the visible
 * `m:ss`, then when a screen reader hears it and what. The bucket changes once a minute, then
 * every 20 s in the last minute; the amount is the time actually left, in whole minutes from one
 * minute up, else in seconds.
 */
export function timeLeft(ms: number): [string, number, number, 'minute' | 'second'] {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  const bucket = seconds > 60 ? 3 + Math.ceil(seconds / 60) : Math.ceil(seconds / 20);
  return seconds < 60
    ? [text, bucket, seconds, 'second']
    : [text, bucket, Math.round(seconds / 60), 'minute'];
}

/** What makes the dialog: the dialog module's export, which the engine takes from its loader. */
export type DialogFactory = typeof createDialog;

/** Builds the dialog lazily on first `show`; `now` is the page's clock. */
export function createDialog(
  given: ClientMessages,
  lang: string,
  actions: DialogActions,
  now: () => number,
): WarningDialog {
  // The page's strings over the dialog's own English (which the main script does not carry).
  const messages: Messages = { ...enDialog, ...given };
  let dialog: HTMLDialogElement | undefined;
  // Every element of the dialog, in document order (see the markup in build).
  let parts: NodeListOf<HTMLElement>;
  let returnFocus: Element | null = null;
  let ticker: ReturnType<typeof setTimeout> | undefined;
  let spoken = -1;
  let isAbsolute = false;

  const build = () => {
    const element = make(
      'dialog',
      {
        class: ID,
        role: 'alertdialog',
        'aria-modal': 'true',
        'aria-labelledby': `${ID}-title`,
        'aria-describedby': `${ID}-body`,
      },
      make('h2', { id: `${ID}-title` }),
      make('p', { id: `${ID}-body` }),
      make(
        'p',
        { class: `${ID}-time`, 'aria-hidden': 'true' },
        make('span', {}, messages.timeLeft),
        ' ',
        make('strong', {}),
      ),
      make('p', { class: `${ID}-live`, role: 'status' }),
      // Focus goes to the first button on opening (below); outside a form a button submits nothing.
      make(
        'div',
        { class: `${ID}-actions` },
        make('button', {}),
        make('button', {}, messages.signOut),
      ),
    ) as HTMLDialogElement;
    parts = element.querySelectorAll('*');
    const [, , , , , , , first, second] = parts;
    const answer = () => (isAbsolute ? actions.acknowledge() : actions.keep());
    // Escape is a deliberate answer: it extends (or, for the absolute notice, dismisses). The
    // handlers are properties: the elements are the dialog's own, nothing else listens there.
    (first as HTMLElement).onclick = element.oncancel = answer;
    (second as HTMLElement).onclick = actions.leave;
    element.onclose = () => {
      clearTimeout(ticker);
      (returnFocus as HTMLElement | null)?.focus?.();
    };
    // Keep Tab inside the dialog: from the last button to the first and back.
    element.onkeydown = (event) => {
      if (event.key === 'Tab' && document.activeElement === (event.shiftKey ? first : second)) {
        event.preventDefault();
        (event.shiftKey ? second : first)?.focus();
      }
    };
    document.body.append(element);
    return element;
  };

  /** Sets the text of the dialog's element number `index` (0 title, 1 description, 4 countdown, 5 live region, 7 the first button). */
  const say = (index: number, text: string) => {
    (parts[index] as HTMLElement).textContent = text;
  };

  const tick = (expireAt: number) => {
    const left = expireAt - now();
    const [text, bucket, amount, unit] = timeLeft(left);
    say(4, text);
    if (bucket !== spoken && amount > 0) {
      spoken = bucket;
      const duration = new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' });
      say(5, messages.announce.replace('{duration}', duration.format(amount)));
    }
    // The only per-second timer of the client, and only while the dialog is open.
    ticker = setTimeout(tick, ((left % 1000) + 1000) % 1000 || 1000, expireAt);
  };

  return {
    show(expireAt, absolute) {
      dialog ??= build();
      isAbsolute = absolute;
      say(0, absolute ? messages.absoluteTitle : messages.title);
      say(
        1,
        absolute
          ? messages.absoluteBody.replace(
              '{time}',
              new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' }).format(
                expireAt,
              ),
            )
          : messages.body,
      );
      say(7, absolute ? messages.dismiss : messages.stay);
      clearTimeout(ticker);
      spoken = -1;
      tick(expireAt);
      if (!dialog.open) {
        returnFocus = document.activeElement;
        dialog.showModal();
        parts[7]?.focus();
      }
    },
    hide() {
      clearTimeout(ticker);
      // close() does nothing to a dialog that is not open.
      dialog?.close();
    },
  };
}

// The warning: a native modal <dialog> (the page behind is inert) with a visible countdown and
// a screen-reader announcement at most once a minute, then every 20 s in the last minute.
// Also the cover that hides the page when the server cannot be reached past the deadline.

import type { Messages } from '../contract/messages.js';

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

const ID = 'session-security';

/** `m:ss` for a number of milliseconds, rounded up to the second. */
export function countdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * When a screen reader hears the remaining time, and what: the bucket changes once a minute,
 * then every 20 s in the last minute; the amount is the time actually left, in whole minutes
 * from one minute up, else in seconds.
 */
export function announcement(ms: number): [number, number, 'minute' | 'second'] {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const bucket = seconds > 60 ? 3 + Math.ceil(seconds / 60) : Math.ceil(seconds / 20);
  return seconds < 60 ? [bucket, seconds, 'second'] : [bucket, Math.round(seconds / 60), 'minute'];
}

/** Builds the dialog lazily on first `show`; `now` is the page's clock. */
export function createDialog(
  messages: Messages,
  lang: string,
  actions: DialogActions,
  now: () => number,
): WarningDialog {
  let dialog: HTMLDialogElement | undefined;
  // Every element of the dialog, in document order (see the markup in build).
  let parts: NodeListOf<HTMLElement>;
  let returnFocus: Element | null = null;
  let ticker: ReturnType<typeof setTimeout> | undefined;
  let spoken = -1;
  let isAbsolute = false;

  const build = () => {
    // Built node by node, not from markup: a `require-trusted-types-for 'script'` policy
    // refuses innerHTML.
    const make = (
      tag: string,
      attributes: Record<string, string> = {},
      ...children: (Node | string)[]
    ) => {
      const node = document.createElement(tag);
      for (const name in attributes) node.setAttribute(name, attributes[name] as string);
      node.append(...children);
      return node;
    };
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
      make('p', { class: `${ID}-time`, 'aria-hidden': 'true' }, make('span'), ' ', make('strong')),
      make('p', { class: `${ID}-live`, role: 'status' }),
      // Focus goes to the first button on opening (below); outside a form a button submits nothing.
      make('div', { class: `${ID}-actions` }, make('button'), make('button')),
    ) as HTMLDialogElement;
    parts = element.querySelectorAll('*');
    const [first, second] = element.querySelectorAll('button');
    const answer = () => (isAbsolute ? actions.acknowledge() : actions.keep());
    first?.addEventListener('click', answer);
    second?.addEventListener('click', actions.leave);
    // Escape is a deliberate answer: it extends (or, for the absolute notice, dismisses).
    element.addEventListener('cancel', answer);
    element.addEventListener('close', () => {
      clearTimeout(ticker);
      (returnFocus as HTMLElement | null)?.focus?.();
    });
    // Keep Tab inside the dialog: from the last button to the first and back.
    element.addEventListener('keydown', (event) => {
      if (event.key === 'Tab' && document.activeElement === (event.shiftKey ? first : second)) {
        event.preventDefault();
        (event.shiftKey ? second : first)?.focus();
      }
    });
    document.body.append(element);
    return element;
  };

  /** Sets the text of the dialog's element number `index` (0 title, 1 description, 3 label, 4 countdown, 5 live region, 7 and 8 the buttons). */
  const say = (index: number, text: string) => {
    const part = parts[index];
    if (part) part.textContent = text;
  };

  const tick = (expireAt: number) => {
    const left = expireAt - now();
    say(4, countdown(left));
    const [bucket, amount, unit] = announcement(left);
    if (bucket !== spoken && amount > 0) {
      spoken = bucket;
      const duration = new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' });
      say(5, messages.announce.replace('{duration}', duration.format(amount)));
    }
    // The only per-second timer of the client, and only while the dialog is open.
    ticker = setTimeout(() => tick(expireAt), ((left % 1000) + 1000) % 1000 || 1000);
  };

  return {
    show(expireAt, absolute) {
      dialog ??= build();
      isAbsolute = absolute;
      const time = new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' });
      say(0, absolute ? messages.absoluteTitle : messages.title);
      say(
        1,
        absolute ? messages.absoluteBody.replace('{time}', time.format(expireAt)) : messages.body,
      );
      say(3, messages.timeLeft);
      say(7, absolute ? messages.dismiss : messages.stay);
      say(8, messages.signOut);
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
      if (dialog?.open) dialog.close();
    },
  };
}

/** Hides the page behind a notice, `text` (sensitive data must not stay on screen), or shows it again (undefined). */
export function coverPage(text: string | undefined): void {
  const root = document.documentElement;
  let cover = document.getElementById(`${ID}-cover`);
  root.classList.toggle(`${ID}-covered`, text !== undefined);
  if (text === undefined) {
    cover?.remove();
    return;
  }
  if (!cover) {
    cover = document.createElement('div');
    cover.id = `${ID}-cover`;
    cover.setAttribute('role', 'alert');
    document.body.append(cover);
  }
  if (cover.textContent !== text) cover.textContent = text;
}

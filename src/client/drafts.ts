// The drafts script (assets/session-security-drafts.js, `{prefix}/drafts.js`): loaded by the
// prebuilt client only on pages with a form. Keeps changed fields in this tab's sessionStorage
// when the library signs the tab out, and fills them back once the same user signs in again.
// Never keeps passwords (nor a field that was one), card, one-time-code, hidden or file fields,
// nor anything marked data-session-security="ignore".

import { enDrafts } from '../contract/messages.js';
import {
  DRAFT_PREFIX,
  type DraftForms,
  fieldKeys,
  neverKept,
  restorable,
  type StoredDraft,
} from './draft-store.js';
import type { ClientOptions } from './engine.js';
import { fieldChanged } from './unsaved.js';

type Field = HTMLInputElement & HTMLSelectElement;

const CHECKABLE = /^(checkbox|radio)$/;
const IGNORE = '[data-session-security=ignore]';

const client = window.sessionSecurity;
const config = JSON.parse(
  document.getElementById('session-security-config')?.textContent || '{}',
) as ClientOptions;
const drafts = config.drafts;

if (client && drafts) {
  // One entry per page: two queries of one path are two pages (`?id=1`, `?id=2`).
  const entry = DRAFT_PREFIX + location.pathname + location.search;
  // Forms that left with the user's submit before the deadline: the server has their data.
  const sent = new WeakSet<EventTarget>();
  // When the session ends as the server last told any tab (ms): first the page's config (counted
  // from the navigation's start, so never late), then every status the tabs share; a channel
  // hears the others of its name, this tab's client too.
  let statusAt = performance.timeOrigin;
  let deadline = statusAt + config.expireIn * 1000;
  if (window.BroadcastChannel) {
    new BroadcastChannel('session-security').onmessage = ({ data }) => {
      if (data.t === 'status' && data.status.at > statusAt) {
        statusAt = data.status.at;
        deadline = statusAt + data.status.expireIn * 1000;
      }
    };
  }

  // The names (or ids) of every field seen as a password field: a "show password" button that
  // sets type=text, or puts a text input of the same name in its place, shows the same secret.
  const passwords = new Set<string>();
  const see = () => {
    for (const field of document.querySelectorAll<Field>('[type=password]')) {
      passwords.add(field.name || field.id);
    }
  };
  // Before the page's own handlers: the click on a "show" button, in a form added since, too.
  addEventListener('click', see, true);

  /** Every form of the page with its key (id, name or index) and its fields that may be kept, keyed. */
  const forms = () =>
    [...document.forms].map((form, index) => {
      see(); // the page's password fields as they are now, before any of them is read
      const fields = [...form.elements] as Field[];
      const keys = fieldKeys(fields.map((field) => field.name || field.id));
      return [
        form,
        form.getAttribute('id') || form.getAttribute('name') || `#${index}`,
        fields
          .map((field, i) => [keys[i], field] as const)
          .filter(
            ([key, field]) =>
              key &&
              !passwords.has(field.name || field.id) &&
              !neverKept(field.type, field.getAttribute('autocomplete')) &&
              !field.closest(IGNORE) &&
              !form.matches(IGNORE),
          ),
      ] as const;
    });

  /** The changed fields of the forms not sent, or undefined when there are none. */
  const changedForms = () => {
    const kept: DraftForms = {};
    for (const [form, formKey, fields] of forms()) {
      if (sent.has(form)) continue;
      for (const [key, field] of fields) {
        if (!fieldChanged(field)) continue;
        kept[formKey] ??= {};
        kept[formKey][key as string] = field.options
          ? [...field.selectedOptions].map((option) => option.value)
          : CHECKABLE.test(field.type)
            ? field.checked
            : field.value;
      }
    }
    return Object.keys(kept).length ? kept : undefined;
  };

  /** Offers the changed forms to the app (`draft` event); its data unless a listener cancelled. */
  const offer = () => {
    const kept = changedForms();
    return kept &&
      client.dispatchEvent(new CustomEvent('draft', { detail: kept, cancelable: true }))
      ? kept
      : undefined;
  };

  const keep = () => {
    const kept = offer();
    try {
      if (kept) {
        const draft: StoredDraft = {
          key: drafts.key,
          session: config.session,
          savedAt: Date.now(),
          forms: kept,
        };
        sessionStorage.setItem(entry, JSON.stringify(draft));
      }
    } catch {
      // storage full or denied: the draft is lost, as it would be without this script
    }
  };

  const restore = () => {
    let stored: DraftForms | undefined;
    try {
      // Read once: restored or not (another user's, too old), the copy is deleted.
      stored = restorable(sessionStorage.getItem(entry), {
        key: drafts.key,
        session: config.session,
        maxAgeMs: drafts.maxAge * 1000,
        now: Date.now(),
      });
      sessionStorage.removeItem(entry);
    } catch {
      return;
    }
    let first: HTMLFormElement | undefined;
    for (const [form, formKey, fields] of forms()) {
      const values = stored?.[formKey];
      if (!values) continue;
      for (const [key, field] of fields) {
        const value = values[key as string];
        if (value === undefined) continue;
        if (field.options) {
          for (const option of field.options) {
            option.selected = Array.isArray(value) && value.includes(option.value);
          }
        } else if (CHECKABLE.test(field.type)) field.checked = value === true;
        else field.value = String(value);
        // The page's own code (counters, validation, frameworks) hears the change.
        field.dispatchEvent(new Event('input', { bubbles: true }));
        field.dispatchEvent(new Event('change', { bubbles: true }));
        first ??= form;
      }
    }
    if (!first) return;
    const notice = document.createElement('p');
    notice.className = 'session-security-restored';
    notice.setAttribute('role', 'status');
    notice.setAttribute('aria-live', 'polite');
    first.before(notice);
    // A live region announces a change of its text, not the text it was inserted with.
    setTimeout(() => {
      notice.textContent = config.messages?.restored || enDrafts.restored;
    }, 100);
  };

  restore();
  // At the warning the app may still save the draft on its own server; nothing is kept here.
  client.addEventListener('warn', offer);
  // `expire` fires before the tab leaves; a sign-out (here, in another tab, or from elsewhere:
  // revoked) keeps nothing.
  client.addEventListener('expire', (event) => {
    const { reason } = (event as CustomEvent<{ reason: string }>).detail;
    if (reason !== 'logout' && reason !== 'revoked') keep();
  });
  // A submit after the deadline (a laptop that slept) will be answered with a redirect to sign in.
  addEventListener('submit', (event) => {
    if (Date.now() >= deadline) keep();
    else if (!event.defaultPrevented) sent.add(event.target as EventTarget);
  });
}

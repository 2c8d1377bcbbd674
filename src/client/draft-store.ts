// Where drafts live: one sessionStorage entry per page (path and query) under the library's own
// prefix, and which autocomplete fields never go there. forgetDrafts touches sessionStorage; the
// rest is pure. The main client imports only forgetDrafts (sign-out works on pages without a form).

/** The prefix of every drafts entry of sessionStorage; the page's path and query follow. */
export const DRAFT_PREFIX = 'session-security-draft:';

/** A field's kept value: its text, whether it is checked, or a select's chosen option values. */
export type DraftValue = string | boolean | string[];

/** The changed fields of the page's forms: form key → field key → value. */
export type DraftForms = Record<string, Record<string, DraftValue>>;

/**
 * One page's entry: whose it is (the opaque per-user key, never the id), the sign-in it was kept
 * in (the config's `session` marker), when it was kept (ms) and the forms.
 */
export interface StoredDraft {
  key: string;
  session: string;
  savedAt: number;
  forms: DraftForms;
}

/** Deletes every draft of this tab: an explicit sign-out must leave nothing to restore. */
export function forgetDrafts(): void {
  try {
    const storage = sessionStorage;
    for (const name in storage) if (name.startsWith(DRAFT_PREFIX)) storage.removeItem(name);
  } catch {
    // storage denied: there is nothing this tab could have kept
  }
}

/**
 * The forms of a stored entry if they may be filled back: the same user's key, a sign-in since
 * (the same sign-in means the request that kept it went through: a submit the server accepted),
 * and not older than `maxAgeMs` (nor from the future: a clock set back). Else `undefined`.
 *
 * @example
 * ```ts
 * const text = '{"key":"k","session":"s1","savedAt":1000,"forms":{"f":{"a":"x"}}}';
 * restorable(text, { key: 'k', session: 's2', maxAgeMs: 60_000, now: 2000 }); // { f: { a: 'x' } }
 * ```
 */
export function restorable(
  text: string | null,
  page: { key: string; session: string; maxAgeMs: number; now: number },
): DraftForms | undefined {
  try {
    const draft = JSON.parse(text ?? '') as StoredDraft;
    const age = page.now - draft.savedAt;
    if (
      draft.key === page.key &&
      draft.session !== page.session &&
      age >= 0 &&
      age <= page.maxAgeMs &&
      typeof draft.forms === 'object'
    ) {
      return draft.forms ?? undefined;
    }
  } catch {
    // not ours, or not JSON: deleted unread like any other
  }
  return undefined;
}

/**
 * Whether a field is never kept, by its type and its `autocomplete` attribute: a password,
 * hidden or file input (a secret, invisible, or a value that cannot be set back), or a field
 * whose attribute has a whitespace-separated token, in any case, that is `current-password`,
 * `new-password` or `one-time-code` or that starts with `cc-` (a payment card's fields); other
 * tokens (`section-*`, `shipping`, `billing`, `webauthn`) may come before or after it.
 *
 * @example
 * ```ts
 * neverKept('text', 'section-pay billing CC-CSC'); // true
 * neverKept('text', 'billing street-address'); // false
 * ```
 */
export function neverKept(type: string, autocomplete: string | null): boolean {
  return (
    /^(password|hidden|file)$/.test(type) ||
    /(^|\s)(cc-|((current|new)-password|one-time-code)(\s|$))/i.test(autocomplete ?? '')
  );
}

/**
 * The key of each field of a form, from its name (or id): a name that repeats (radios, checkbox
 * groups, `items[]`) gets its occurrence after the first, `name#1`, `name#2`; no name, no key ('').
 *
 * @example
 * ```ts
 * fieldKeys(['size', 'size', '', 'title']); // ['size', 'size#1', '', 'title']
 * ```
 */
export function fieldKeys(names: readonly string[]): string[] {
  const seen: Record<string, number> = {};
  return names.map((name) => {
    if (!name) return '';
    const count = (seen[name] ?? -1) + 1;
    seen[name] = count;
    return count ? `${name}#${count}` : name;
  });
}

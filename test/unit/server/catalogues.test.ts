// Keeps every translated catalogue in step with English (the drafts script's line included) and
// pins how a page's language picks one.

import { describe, expect, it } from 'vitest';
import { type DraftMessages, en, enDrafts, type Messages } from '../../../src/contract/messages.js';
import { CATALOGUES, catalogueFor } from '../../../src/server/catalogues.js';

const LANGS = ['en', 'ca', 'cs', 'de', 'es', 'fr', 'it', 'nl', 'pl', 'pt-BR', 'pt-PT'];

/**
 * Keys a translation may leave identical to English, with the only value allowed.
 * `dismiss`: "OK" is the usual button label in most of these languages.
 */
const SAME_AS_ENGLISH: Partial<Record<keyof (Messages & DraftMessages), string>> = {
  dismiss: 'OK',
};

/** English as a page would show it: the main script's catalogue and the drafts script's line. */
const english: Messages & DraftMessages = { ...en, ...enDrafts };
const keys = Object.keys(english).sort() as (keyof typeof english)[];
const placeholders = (text: string) => (text.match(/\{[^{}]*\}/g) ?? []).sort();
/** Every catalogue as a page gets it; English's `restored` comes from the drafts script. */
const catalogues = Object.entries(CATALOGUES).map(
  ([lang, messages]) =>
    [lang, lang === 'en' ? english : (messages as Messages & DraftMessages)] as const,
);
const translations = catalogues.filter(([lang]) => lang !== 'en');

describe('CATALOGUES', () => {
  it('has exactly the supported languages, with English as messages.ts defines it', () => {
    expect(Object.keys(CATALOGUES).sort()).toEqual([...LANGS].sort());
    expect(CATALOGUES.en).toBe(en);
  });

  describe.each(catalogues)('%s', (_lang, messages) => {
    it('has exactly the keys of English', () => {
      expect(Object.keys(messages).sort()).toEqual(keys);
    });

    it.each(keys)('%s is a non-empty trimmed string', (key) => {
      expect(typeof messages[key]).toBe('string');
      expect(messages[key].trim()).not.toBe('');
      expect(messages[key]).toBe(messages[key].trim());
    });

    it.each(keys)('%s has the same placeholders as English', (key) => {
      expect(placeholders(messages[key])).toEqual(placeholders(english[key]));
    });
  });

  describe.each(translations)('%s', (_lang, messages) => {
    it.each(keys)('%s is translated', (key) => {
      if (messages[key] === english[key]) expect(messages[key]).toBe(SAME_AS_ENGLISH[key]);
    });

    it('uses typographic apostrophes', () => {
      for (const key of keys) expect(messages[key]).not.toContain("'");
    });
  });
});

describe('catalogueFor', () => {
  it.each<[string | undefined, string]>([
    // The whole tag, ignoring case.
    ['en', 'en'],
    ['de', 'de'],
    ['ca', 'ca'],
    ['pt-BR', 'pt-BR'],
    ['pt-br', 'pt-BR'],
    ['PT-BR', 'pt-BR'],
    ['pt-PT', 'pt-PT'],
    ['Pt-pT', 'pt-PT'],
    ['FR', 'fr'],
    // The base language.
    ['de-AT', 'de'],
    ['de-CH', 'de'],
    ['fr-CA', 'fr'],
    ['ca-ES', 'ca'],
    ['es-419', 'es'],
    ['nl-BE', 'nl'],
    ['it-CH', 'it'],
    ['cs-CZ', 'cs'],
    ['pl-PL', 'pl'],
    ['en-GB', 'en'],
    ['EN-us', 'en'],
    ['sr-Latn-RS', 'en'],
    ['de-Latn-DE', 'de'],
    // Portuguese other than Brazilian is European.
    ['pt', 'pt-PT'],
    ['PT', 'pt-PT'],
    ['pt-AO', 'pt-PT'],
    ['pt-MZ', 'pt-PT'],
    // Unsupported languages.
    ['ja', 'en'],
    ['zh-CN', 'en'],
    ['br', 'en'],
    ['por', 'en'],
    // Undefined, empty or malformed.
    [undefined, 'en'],
    ['', 'en'],
    ['   ', 'en'],
    ['*', 'en'],
    ['d', 'en'],
    ['deutsch', 'en'],
    ['de_AT', 'en'],
    ['de-', 'en'],
    ['-de', 'en'],
    ['de--AT', 'en'],
    ['de-AT;q=0.9', 'en'],
    ['12', 'en'],
    ['__proto__', 'en'],
    ['constructor', 'en'],
  ])('%j → %s', (tag, lang) => {
    const picked = catalogueFor(tag);
    expect(picked.lang).toBe(lang);
    expect(picked.messages).toBe(CATALOGUES[lang]);
  });
});

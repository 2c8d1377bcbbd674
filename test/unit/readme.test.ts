// Keeps the README's Options table true. Its TypeScript blocks (the quick start among them) are
// compiled and run by test/integration/examples.test.ts.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTION_NAMES } from '../../src/core/options.js';
import { cellsOf, optionsTable, optionsTableCells } from '../support/options-table.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('README', () => {
  it('has the Options table OPTION_SCHEMA gives, cell for cell (src/core/option-schema.ts)', () => {
    const section = /## Options\n\n([\s\S]*?)\n## /.exec(read('README.md'))?.[1] ?? '';
    const table = section.split('\n\n')[0] ?? '';
    const expected = optionsTable();
    expect(
      cellsOf(table),
      `README.md's Options table is not the one OPTION_SCHEMA gives; paste this one in its place:\n\n${expected}\n\n`,
    ).toEqual(optionsTableCells());
    expect(cellsOf(expected)).toEqual(optionsTableCells());
    // Padding is Biome's business (`npm run format`): a table padded otherwise has the same cells.
    expect(cellsOf(expected.replaceAll(/ {2,}/g, ' '))).toEqual(optionsTableCells());
    expect(
      cellsOf(table)
        .slice(1)
        .map((row) => row[0]),
    ).toEqual(OPTION_NAMES.map((name) => `\`${name}\``));
  });
});

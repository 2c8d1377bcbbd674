// The docs' Options table (docs/guide/options.md), rendered from OPTION_SCHEMA (src/core/option-schema.ts): one row per
// option, in the schema's order, padded as `biome check --write` pads a Markdown table (each
// column as wide as its widest cell, counted in code points, at least 3). test/unit/readme.test.ts
// holds the docs' table to it.

import { OPTION_SCHEMA, type OptionSpec } from '../../src/core/option-schema.js';

const HEADER = ['option', 'type', 'meaning', 'default'];

/** A default value as TypeScript writes it: `'/session-security'`, `['cache']`, `{ total: 100000 }`. */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(shownValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).map(([name, field]) => `${name}: ${shownValue(field)}`);
    return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
  }
  return String(value);
}

/** The default cell: the docs' words, else the schema's default value (and its note), else none. */
function defaultCell(spec: OptionSpec<unknown>): string {
  const { readme } = spec;
  if (readme.default !== undefined) return readme.default;
  if (spec.default === undefined) return 'none';
  const note = readme.note === undefined ? '' : ` (${readme.note})`;
  return `\`${shownValue(spec.default)}\`${note}`;
}

/** A `|` inside a cell would end it. */
const escaped = (cell: string) => cell.replaceAll('|', '\\|');

/** The table's cells, header first (no separator row), unpadded. */
export function optionsTableCells(): string[][] {
  const entries = Object.entries(OPTION_SCHEMA) as [string, OptionSpec<unknown>][];
  return [
    HEADER,
    ...entries.map(([name, spec]) =>
      [`\`${name}\``, `\`${spec.readme.type}\``, spec.readme.meaning, defaultCell(spec)].map(
        escaped,
      ),
    ),
  ];
}

const width = (text: string) => [...text].length;

/** The table as Markdown, padded as Biome formats it: what docs/guide/options.md's table holds. */
export function optionsTable(): string {
  const [header = [], ...rows] = optionsTableCells();
  const widths = header.map((_, column) =>
    Math.max(3, ...[header, ...rows].map((row) => width(row[column] ?? ''))),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - width(cell))).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * The cells of a Markdown table, trimmed, separator row left out: two tables that differ only
 * in padding have the same cells.
 */
export function cellsOf(table: string): string[][] {
  return table
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|(?:\s*:?-+:?\s*\|)+\s*$/.test(line))
    .map((line) =>
      line
        .trim()
        .replace(/^\|/, '')
        .replace(/(?<!\\)\|$/, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

// Keeps the docs' Options table true (docs/guide/options.md), and their blocks that stand for a
// file of examples/ equal to it (the file is what other tests run as an app). Every TypeScript
// block of README.md and docs/ is compiled and run by test/integration/examples.test.ts.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTION_NAMES } from '../../src/core/options.js';
import { cellsOf, optionsTable, optionsTableCells } from '../support/options-table.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The file, without its first line (a comment naming what it is, which the docs say in prose). */
const exampleFile = (path: string) => read(path).split('\n').slice(1).join('\n');

describe('the docs', () => {
  it.each([
    ['README.md', 'examples/express/minimal.ts', /## Quick start\n[\s\S]*?```ts\n([\s\S]*?)```/],
    [
      'docs/guide/express.md',
      'examples/express/quickstart.ts',
      /## Express quick start\n\n```ts\n([\s\S]*?)```/,
    ],
    [
      'docs/guide/express.md',
      'examples/express/passport.ts',
      /## With Passport\n[\s\S]*?```ts\n([\s\S]*?)```/,
    ],
    ['docs/guide/fastify.md', 'examples/fastify/app.ts', /# Fastify\n\n```ts\n([\s\S]*?)```/],
    ['docs/guide/koa.md', 'examples/koa/app.ts', /# Koa\n\n```ts\n([\s\S]*?)```/],
    ['docs/guide/hono.md', 'examples/hono/app.ts', /# Hono\n\n```ts\n([\s\S]*?)```/],
    [
      'docs/guide/redis.md',
      'examples/redis/app.ts',
      /# Several instances: the Redis store\n[\s\S]*?```ts\n([\s\S]*?)```/,
    ],
    [
      'docs/guide/operations.md',
      'examples/audit/pino.ts',
      /with \[pino\][\s\S]*?```ts\n([\s\S]*?)```/,
    ],
    [
      'docs/guide/operations.md',
      'examples/express/start-or-refuse.ts',
      /start-or-refuse\.ts`\):\n\n```ts\n([\s\S]*?)```/,
    ],
  ])('%s shows %s line for line', (page, path, block) => {
    expect(block.exec(read(page))?.[1]).toBe(exampleFile(path));
  });

  it('has the Options table OPTION_SCHEMA gives, cell for cell (src/core/option-schema.ts)', () => {
    const section = /# Options\n\n([\s\S]*?)\n## /.exec(read('docs/guide/options.md'))?.[1] ?? '';
    const table = section.split('\n\n')[0] ?? '';
    const expected = optionsTable();
    expect(
      cellsOf(table),
      `docs/guide/options.md's Options table is not the one OPTION_SCHEMA gives; paste this one in its place:\n\n${expected}\n\n`,
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

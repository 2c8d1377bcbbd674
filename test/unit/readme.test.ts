// Keeps the README's quick start true: its code block is the runnable, type-checked example.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTION_NAMES } from '../../src/core/options.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('README', () => {
  it('shows examples/express/quickstart.ts as the Express quick start, line for line', () => {
    const example = read('examples/express/quickstart.ts').split('\n').slice(1).join('\n');
    const readme = read('README.md');
    const block = /## Express quick start\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
  });

  it('shows examples/audit/pino.ts as the audit trail, line for line', () => {
    const example = read('examples/audit/pino.ts').split('\n').slice(1).join('\n');
    const readme = read('README.md');
    const block = /with \[pino\][\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
  });

  it('shows examples/express/start-or-refuse.ts as the sign-in under a limit per user, line for line', () => {
    const example = read('examples/express/start-or-refuse.ts').split('\n').slice(1).join('\n');
    const readme = read('README.md');
    const block = /examples\/express\/start-or-refuse\.ts`\):\n\n```ts\n([\s\S]*?)```/.exec(
      readme,
    )?.[1];
    expect(block).toBe(example);
  });

  it('lists every option in its Options table, in the order of OPTION_NAMES (the unknown-name check)', () => {
    const section = /## Options\n([\s\S]*?)\n## /.exec(read('README.md'))?.[1] ?? '';
    const table = section.split('\n\n')[0] ?? '';
    const named = [...table.matchAll(/^\| `(\w+)(?:\([^)]*\))?` +\|/gm)].map((match) => match[1]);
    expect(named).toEqual([...OPTION_NAMES]);
  });
});

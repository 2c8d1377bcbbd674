// Keeps the README's quick start true: its code block is the runnable, type-checked example.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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
});

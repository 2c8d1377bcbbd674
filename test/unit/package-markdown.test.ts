// What the package-install test reads in the README (test/package/markdown.ts): a section's first
// block of a language, the relative links outside code, and whether a block is a whole program.
// Headings and links inside fenced blocks or code spans are code, not Markdown.

import { describe, expect, it } from 'vitest';
import { firstFenceOf, relativeLinks, wholeProgramGaps } from '../package/markdown.js';

const TEXT = [
  '# title',
  'See [security](SECURITY.md#threats), [the web](https://example.com) and [here](#here).',
  '## Express quick start',
  '```sh',
  '# not a heading',
  '```',
  '```ts',
  "import express from 'express';",
  'app.listen(3000);',
  '```',
  '### CommonJS',
  'Text with `[not](a-link.md)` in code.',
  '```js',
  "const x = require('session-security/express');",
  'console.log([a](b.md));',
  '```',
  '## Options',
  '```ts',
  'const later = 1;',
  '```',
].join('\n');

describe('the README reader', () => {
  it("finds a section's first block of a language, past blocks of others", () => {
    const block = firstFenceOf(TEXT, '## Express quick start', ['ts']);
    expect(block).toMatchObject({ lang: 'ts', line: 7 });
    expect(block?.code).toBe("import express from 'express';\napp.listen(3000);");
  });

  it('looks into subsections, never past the next heading of the same level', () => {
    expect(firstFenceOf(TEXT, '## Express quick start', ['js'])?.line).toBe(13);
    expect(firstFenceOf(TEXT, '### CommonJS', ['ts'])).toBeNull();
    expect(firstFenceOf(TEXT, '### Koa', ['ts'])).toBeUndefined();
  });

  it('finds a section by a pattern of its heading, never by a line of code', () => {
    expect(firstFenceOf(TEXT, /^### CommonJS\b/, ['js'])?.line).toBe(13);
    expect(firstFenceOf(TEXT, /not a heading/, ['ts'])).toBeUndefined();
  });

  it('lists the relative links outside code, without their anchor', () => {
    expect(relativeLinks(TEXT)).toEqual([{ line: 2, target: 'SECURITY.md' }]);
  });

  it('tells what keeps a block from being a whole program', () => {
    expect(
      wholeProgramGaps("import express from 'express';\napp.listen(3000);", ['express']),
    ).toEqual([]);
    expect(
      wholeProgramGaps(
        "import { serve } from '@hono/node-server';\nimport { Hono } from 'hono';\nserve(app);",
        ['hono'],
      ),
    ).toEqual([]);
    expect(wholeProgramGaps('await app.register(security);', ['fastify'])).toEqual([
      'does not import fastify',
      'does not listen',
    ]);
  });
});

// Every TypeScript example of the docs compiled and run: the fenced blocks after `@example` in
// the TSDoc of src/ and the TypeScript blocks of README.md (test/examples/: extract.ts finds
// them, generate.ts puts each after its prelude, test/examples/preludes/, chosen by table.ts).
// All compile in one TypeScript program with tsconfig.json's options; then each runs, in Node
// (imported, so Vitest's aliases apply) or in Chromium for the browser client and React, and
// its prelude exercises what it made and closes it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BrowserRunner, startBrowser } from '../examples/browser.js';
import { REDIS_URL_VARIABLE } from '../examples/context.js';
import { collectExamples, ROOT, sourcePaths, writeExamples } from '../examples/generate.js';
import { runInNode } from '../examples/run.js';
import { typecheckInChild } from '../examples/typecheck.js';
import { testRedisUrl } from '../support/test-redis.js';

process.env[REDIS_URL_VARIABLE] = testRedisUrl();
const { examples } = collectExamples();
const generated = writeExamples(examples);
// Compiling takes a core for seconds: it runs in a process of its own while the examples run.
const compiled = typecheckInChild(generated);
compiled.catch(() => {}); // awaited by its test, last
const inNode = generated.filter((example) => !example.browser);
const inBrowser = generated.filter((example) => example.browser);

describe('the examples of the docs', () => {
  it('has a TypeScript block after each @example of src/', () => {
    const untold = sourcePaths().filter((file) => {
      const tags = readFileSync(join(ROOT, file), 'utf8').match(/^\s*\* @example\b/gm) ?? [];
      return examples.filter((example) => example.file === file).length < tags.length;
    });
    expect(untold).toEqual([]);
    expect(inNode.length).toBeGreaterThan(40);
  });

  describe('run in Node', () => {
    it.each(inNode.map((example) => [example.title, example] as const))(
      '%s',
      async (_title, example) => {
        vi.resetModules();
        await runInNode(example.path, example.prelude);
      },
    );
  });

  // Pages of their own, a few at a time: most of a page's time is waiting on the browser.
  describe.concurrent('run in a browser', () => {
    let browser: BrowserRunner;
    beforeAll(async () => {
      browser = await startBrowser(inBrowser);
    }, 30_000);
    afterAll(() => browser?.close());

    it.each(inBrowser.map((example) => [example.title, example] as const))(
      '%s',
      (_title, example) => browser.run(example),
      30_000,
    );
  });

  it('compile, all in one program (tsconfig.json)', async () => {
    expect(await compiled).toEqual([]);
  }, 60_000);
});

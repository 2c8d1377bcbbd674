// Every regular expression in src/ runs in linear time (no ReDoS): recheck's verdict on each, by
// the same scan CI runs as scripts/check-regex.mjs (scripts/regex-scan.mjs).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRegexes, describeResult, findRegexes } from '../../scripts/regex-scan.mjs';

// The native checker starts once per process and answers in well under a second per pattern.
const RECHECK_TIMEOUT_MS = 60_000;

describe('the regex scan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'regex-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'sample.ts'),
    [
      '// /(a+)+$/ in a comment is not code',
      "const text = '/(a+)+$/ in a string is not code';",
      'const half = 10 / 2 / 5;',
      "const trimmed = text.replace(/\\/+$/, '');",
      "const built = new RegExp('^[a-z]+$', 'i');",
      'const dynamic = new RegExp(text);',
      '// check-regex: the app passes its own pattern',
      "const vouched = new RegExp(text, 'u');",
    ].join('\n'),
  );

  it('finds regex literals and RegExp calls, not comments, strings or divisions', () => {
    const found = findRegexes(dir).map(({ line, source, flags, excused }) => ({
      line,
      source,
      flags,
      excused,
    }));
    expect(found).toEqual([
      { line: 4, source: '\\/+$', flags: '', excused: undefined },
      { line: 5, source: '^[a-z]+$', flags: 'i', excused: undefined },
      { line: 6, source: undefined, flags: undefined, excused: false },
      { line: 8, source: undefined, flags: undefined, excused: true },
    ]);
  });

  it(
    'flags /\\/+$/ as polynomial and a RegExp built at run time unless vouched for',
    async () => {
      const results = await checkRegexes(findRegexes(dir));
      expect(results.map(({ line, status, ok }) => ({ line, status, ok }))).toEqual([
        { line: 4, status: 'vulnerable', ok: false },
        { line: 5, status: 'safe', ok: true },
        { line: 6, status: 'dynamic', ok: false },
        { line: 8, status: 'dynamic', ok: true },
      ]);
      expect(results[0]?.complexity).toBe('2nd degree polynomial');
    },
    RECHECK_TIMEOUT_MS,
  );
});

describe('regular expressions in src/', () => {
  it(
    'are all safe by recheck',
    async () => {
      const results = await checkRegexes(findRegexes());
      expect(results.length).toBeGreaterThan(10);
      expect(results.filter((result) => !result.ok).map(describeResult)).toEqual([]);
    },
    RECHECK_TIMEOUT_MS,
  );
});

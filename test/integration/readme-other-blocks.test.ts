// The docs' blocks (README.md and docs/) that are not TypeScript, held to what they stand for: the three tags
// `clientTags` renders (the html block, with HASH and … for what varies), the SvelteKit form
// (the svelte block, as the example's page has it: the browser test submits it), and the nginx
// configuration in front of two instances (checked by `nginx -t`), and the policy table
// `describePolicy` prints. The TypeScript blocks are compiled and run by examples.test.ts, the
// audit lines checked by audit-trail.test.ts; the sh block is what CI itself runs (`npm test`).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/core/policy.js';
import { describePolicy } from '../../src/core/policy-description.js';
import { renderClientTags } from '../../src/server/html.js';
import { markdownPaths, ROOT } from '../examples/generate.js';

/** README.md and the pages of the docs, as one text. */
const DOCS = markdownPaths()
  .map((file) => readFileSync(join(ROOT, file), 'utf8'))
  .join('\n');

/** The body of the docs' only block in `language`, without its indentation. */
function block(language: string): string {
  const found = [
    ...DOCS.matchAll(new RegExp(`^( *)\`\`\`${language}\\n([\\s\\S]*?)^\\1\`\`\``, 'gm')),
  ];
  expect(found, `the docs' ${language} blocks`).toHaveLength(1);
  const [, indent = '', body = ''] = found[0] as RegExpMatchArray;
  return body.replace(new RegExp(`^${indent}`, 'gm'), '');
}

/** A line of the README with HASH and … as a pattern for the real line. */
function pattern(line: string): RegExp {
  const escaped = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replaceAll('HASH', '[\\w-]{16}').replaceAll('…', '.*')}$`);
}

describe("README's other blocks", () => {
  it('shows the three tags clientTags renders, line for line', () => {
    const now = Date.now();
    const state = { lastActivity: now, startedAt: now, id: 'marker' };
    const timeouts = { expireAfterMs: 900_000, warnAfterMs: 780_000, absoluteTimeoutMs: 0 };
    const rendered = renderClientTags(statusOf(state, now, timeouts), {
      prefix: '/session-security',
    }).split('\n');
    const shown = block('html').trimEnd().split('\n');
    expect(rendered).toHaveLength(shown.length);
    for (const [i, line] of shown.entries()) expect(rendered[i]).toMatch(pattern(line));
  });

  it('shows the Markdown describePolicy gives for the options of the block before it', () => {
    const shown = /describePolicy\(\{ preset: 'asvs4-l3'[\s\S]*?```\n\n```\n([\s\S]*?)```/.exec(
      DOCS,
    )?.[1];
    const described = describePolicy({
      preset: 'asvs4-l3',
      expireAfter: 600,
      isAuthenticated: () => true,
      drafts: false,
    });
    // The table ends its last line with a newline, as the block does.
    expect(shown).toBe(described.markdown);
  });

  it("shows the enhanced form of the SvelteKit example's page, line for line", () => {
    const page = readFileSync(join(ROOT, 'examples/sveltekit/src/routes/+page.svelte'), 'utf8');
    const shown = block('svelte').trimEnd().split('\n');
    const lines = page.split('\n').map((line) => line.replace(/^ {2}/, ''));
    const at = lines.indexOf(shown[0] as string);
    expect(at, 'the form in examples/sveltekit/src/routes/+page.svelte').toBeGreaterThan(-1);
    expect(lines.slice(at, at + shown.length)).toEqual(shown);
  });

  it('has an nginx configuration that nginx accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'session-security-readme-nginx-'));
    try {
      const file = join(dir, 'nginx.conf');
      const config = [
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')};`,
        'events {}',
        `http {\n  access_log off;\n${block('nginx')}}`,
      ];
      writeFileSync(file, config.join('\n'));
      const nginx = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
      const checked = execFileSync(nginx, ['-t', '-q', '-p', dir, '-c', file], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(checked).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

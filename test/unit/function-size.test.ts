// No function in src/ is over 120 lines, outside the browser engine, whose single closure stays
// for size (local names minify to a letter: src/client/engine.ts). A long function is a file's
// worth of rules in one scope; split it by concern instead (ARCHITECTURE.md).

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const MAX_LINES = 120;
/** Functions allowed to be longer, by file and name. */
const EXEMPT = new Set(['client/engine.ts createEngine']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every function of a source text longer than MAX_LINES: `file name (lines)`. */
function longFunctions(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const long: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name?.getText(source) ?? '(anonymous)';
      const where = `${relative(SRC, file).split('\\').join('/')} ${name}`;
      if (last - first + 1 > MAX_LINES && !EXEMPT.has(where)) {
        long.push(`${where} (${last - first + 1} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return long;
}

describe('the size of functions in src/', () => {
  it(`has none over ${MAX_LINES} lines outside the browser engine`, () => {
    const files = sources(SRC);
    expect(files.length).toBeGreaterThan(40);
    expect(files.flatMap((file) => longFunctions(file, readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('finds a long function, however it is written', () => {
    const body = Array.from({ length: MAX_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const file = join(SRC, 'server/example.ts');
    expect(longFunctions(file, `export function big() {\n${body}\n}\n`)).toEqual([
      `server/example.ts big (${MAX_LINES + 2} lines)`,
    ]);
    expect(longFunctions(file, `const big = () => {\n${body}\n};\n`)).toHaveLength(1);
    expect(longFunctions(file, `class A {\n  m() {\n${body}\n  }\n}\n`)).toHaveLength(1);
    expect(longFunctions(file, `export function small() {\n  return 1;\n}\n`)).toEqual([]);
  });
});

// Finds every regular expression in the library's TypeScript sources and asks recheck whether
// one can take more than linear time on some input (ReDoS). Shared by scripts/check-regex.mjs
// (CI) and test/unit/regex-safety.test.ts, so both judge the same list.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from 'recheck';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The folder CI scans: the library's sources. */
export const SOURCE_DIR = join(ROOT, 'src');

/**
 * The mark that lets a RegExp built from a non-literal pattern through, on its own line or the
 * line above, followed by why the pattern is safe to build (e.g. it is the app's own).
 */
export const DYNAMIC_MARK = 'check-regex:';

/**
 * Every regular expression in the `.ts` files under `dir`: regex literals and `RegExp(...)` /
 * `new RegExp(...)` calls. A call whose pattern is not a string literal cannot be checked; it
 * comes back with `source: undefined` and `excused` saying whether a DYNAMIC_MARK comment
 * vouches for it.
 *
 * The TypeScript parser tells a regex from a division and skips strings and comments, which a
 * regex over the text could not do reliably.
 */
export function findRegexes(dir = SOURCE_DIR) {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .sort();
  const found = [];
  for (const name of files) {
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    const file = relative(ROOT, path);
    const sourceFile = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const lineOf = (node) => sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    const visit = (node) => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const literal = node.text;
        const close = literal.lastIndexOf('/');
        found.push({
          file,
          line: lineOf(node),
          source: literal.slice(1, close),
          flags: literal.slice(close + 1),
        });
      } else if (isRegExpCall(node)) {
        const [pattern, flags] = node.arguments ?? [];
        const line = lineOf(node);
        const literalFlags = flags === undefined ? '' : literalText(flags);
        if (
          pattern !== undefined &&
          literalText(pattern) !== undefined &&
          literalFlags !== undefined
        ) {
          found.push({ file, line, source: literalText(pattern), flags: literalFlags });
        } else {
          const nearby = `${lines[line - 2] ?? ''}\n${lines[line - 1] ?? ''}`;
          found.push({
            file,
            line,
            source: undefined,
            flags: undefined,
            code: node.getText(sourceFile),
            excused: nearby.includes(DYNAMIC_MARK),
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }
  return found;
}

/** `RegExp(...)` or `new RegExp(...)`. */
function isRegExpCall(node) {
  return (
    (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'RegExp'
  );
}

/** The value of a string literal (or a template without substitutions), else undefined. */
function literalText(node) {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)
    ? node.text
    : undefined;
}

/**
 * recheck's verdict on each regex from findRegexes: `ok` is true for a `safe` one, and for a
 * non-literal one a DYNAMIC_MARK vouches for. `status` is recheck's (`safe`, `vulnerable`,
 * `unknown`), or `dynamic`; `complexity` says how slow, e.g. `linear`, `2nd degree polynomial`.
 */
export async function checkRegexes(found) {
  return Promise.all(
    found.map(async (regex) => {
      if (regex.source === undefined) {
        return {
          ...regex,
          status: 'dynamic',
          complexity: regex.excused ? 'not checked: vouched for' : 'not checked',
          ok: regex.excused,
        };
      }
      const result = await check(regex.source, regex.flags);
      return {
        ...regex,
        status: result.status,
        complexity: result.complexity?.summary ?? result.error?.kind ?? 'unknown',
        attack: result.attack,
        ok: result.status === 'safe',
      };
    }),
  );
}

/** One line of the report for a checked regex. */
export function describeResult(result) {
  const where = `${result.file}:${result.line}`;
  if (result.source === undefined) {
    return `${where}: ${result.status} (${result.complexity}): ${result.code}`;
  }
  let line = `${where}: ${result.status} (complexity: ${result.complexity}): /${result.source}/${result.flags}`;
  const pump = result.attack?.pumps?.[0];
  if (!result.ok && pump !== undefined) {
    line += ` (slow on ${JSON.stringify(pump.prefix)} + ${JSON.stringify(pump.pump)} repeated + ${JSON.stringify(result.attack.suffix)})`;
  }
  return line;
}

// Turns each example into a module that can be type-checked and run: the names of its prelude
// and of the module it documents that it does not declare itself, imported; then the block,
// line for line (so a diagnostic maps back to its line in the docs); then `$locals`, the values
// it made, for its prelude to exercise and close. A fragment that calls a React hook at its top
// level becomes the body of a component, the module's default export.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ExampleBlock,
  examplesOfMarkdown,
  examplesOfSource,
  type OtherBlock,
} from './extract.js';
import { callsHookAtTopLevel, declaredNames, exportsOf, type Names } from './names.js';
import { markdownChoice, sourceChoice } from './table.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the modules go: git-ignored, inside the repository so packages and aliases resolve. */
const GENERATED_ROOT = join(ROOT, 'test/examples/.generated');
/** This run's folder there: two runs at once (a full `npm test` beside one file) write apart. */
export const GENERATED = join(GENERATED_ROOT, `run-${process.pid}`);
export const PRELUDES = join(ROOT, 'test/examples/preludes');
/** Preludes that run in a browser page (test/examples/browser.ts), not in Node. */
const BROWSER_PRELUDES = new Set(['browser']);

/** Lines of a generated module that come from one block of the docs. */
export interface Segment {
  file: string;
  /** The docs' line of the block's first line of code. */
  codeLine: number;
  /** The 0-based line of the module where the block starts, and its number of lines. */
  start: number;
  count: number;
}

export interface Generated {
  block: ExampleBlock;
  /** `file:line` of the block's opening fence. */
  title: string;
  /** The module, absolute. */
  path: string;
  /** The prelude, absolute; undefined without one. */
  prelude: string | undefined;
  browser: boolean;
  /** Whether the block is the body of a component (it calls a hook at its top level). */
  component: boolean;
  segments: Segment[];
  text: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
    })
    .sort();
}

const repoPath = (path: string) => relative(ROOT, path).split('\\').join('/');

/** Every source file of src/, as `src/…` paths. */
export const sourcePaths = () => sourceFiles(join(ROOT, 'src')).map(repoPath);

/** The Markdown files of the docs: README.md and the pages of the docs site (docs/, not its generated API reference). */
export function markdownPaths(): string[] {
  const pages = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => !entry.name.startsWith('.') && entry.name !== 'api')
      .flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return pages(path);
        return entry.name.endsWith('.md') ? [repoPath(path)] : [];
      })
      .sort();
  return ['README.md', ...pages(join(ROOT, 'docs'))];
}

/** Every example of src/, README.md and docs/, and their Markdown blocks in other languages. */
export function collectExamples(): { examples: ExampleBlock[]; others: OtherBlock[] } {
  const fromSources = sourceFiles(join(ROOT, 'src')).flatMap((path) =>
    examplesOfSource(repoPath(path), readFileSync(path, 'utf8')),
  );
  const markdown = markdownPaths().map((file) =>
    examplesOfMarkdown(file, readFileSync(join(ROOT, file), 'utf8')),
  );
  return {
    examples: [...fromSources, ...markdown.flatMap((one) => one.examples)],
    others: markdown.flatMap((one) => one.others),
  };
}

/** The import specifier of the module `to` from a module in the folder `from`. */
export const specifier = (from: string, to: string) => {
  const path = relative(from, to)
    .split('\\')
    .join('/')
    .replace(/\.tsx?$/, '.js');
  return path.startsWith('.') ? path : `./${path}`;
};

/** The import lines that give a module the `names` of `from` that it does not declare. */
function importLines(names: Names, taken: Set<string>, from: string): string[] {
  const free = (set: Set<string>) =>
    [...set].filter((name) => !taken.has(name) && !name.startsWith('$')).sort();
  const values = free(names.values);
  const types = free(names.types);
  for (const name of [...values, ...types]) taken.add(name);
  return [
    ...(values.length ? [`import { ${values.join(', ')} } from '${from}';`] : []),
    ...(types.length ? [`import type { ${types.join(', ')} } from '${from}';`] : []),
  ];
}

const slug = (block: ExampleBlock) =>
  `${block.file.replace(/\.(md|tsx?)$/, '').replace(/[^\w]+/g, '-')}-${block.line}`;

/** The module of one example; `before` are the blocks of its section it goes on from. */
export function generate(block: ExampleBlock, before: readonly ExampleBlock[] = []): Generated {
  const choice =
    block.sections === undefined
      ? sourceChoice(block.file)
      : markdownChoice(block.sections, before.length === 0);
  const blocks = choice.continues ? [...before, block] : [block];
  const tsx = blocks.some((one) => one.lang === 'tsx');
  const path = join(GENERATED, `${slug(block)}.${tsx ? 'tsx' : 'ts'}`);
  const prelude = choice.prelude === undefined ? undefined : join(PRELUDES, `${choice.prelude}.ts`);
  const browser = choice.prelude !== undefined && BROWSER_PRELUDES.has(choice.prelude);
  const code = blocks.map((one) => one.code).join('\n');
  const declared = declaredNames(code, tsx);
  const component = browser && callsHookAtTopLevel(code, tsx);
  if (component && declared.imports) {
    throw new Error(`${block.file}:${block.line}: a block run as a component cannot import`);
  }

  const taken = new Set([...declared.values, ...declared.types]);
  const title = `${block.file}:${block.line}`;
  const lines = [
    `// Generated from ${title} by test/examples/generate.ts at each run of the test: do not edit.`,
    ...(block.section === undefined
      ? importLines(
          exportsOf(join(ROOT, block.file)),
          taken,
          specifier(GENERATED, join(ROOT, block.file)),
        )
      : []),
    ...(prelude ? importLines(exportsOf(prelude), taken, specifier(GENERATED, prelude)) : []),
    ...(component ? ['export default function $Example() {'] : []),
  ];
  const segments: Segment[] = [];
  for (const one of blocks) {
    const rows = one.code.split('\n');
    segments.push({
      file: one.file,
      codeLine: one.codeLine,
      start: lines.length,
      count: rows.length,
    });
    lines.push(...rows);
  }
  if (component) lines.push('  return null;', '}');
  lines.push(`export const $locals = { ${component ? '' : declared.locals.join(', ')} };`, '');
  return { block, title, path, prelude, browser, component, segments, text: lines.join('\n') };
}

/** Whether a process runs (a run whose folder may still be in use). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * Generates every example (a README block after the blocks of its section) and writes them
 * afresh, in this run's folder; the folders of runs that ended go (a run leaves its own, to read
 * after a failure).
 */
export function writeExamples(blocks: readonly ExampleBlock[]): Generated[] {
  mkdirSync(GENERATED_ROOT, { recursive: true });
  for (const folder of readdirSync(GENERATED_ROOT)) {
    const pid = Number(/^run-(\d+)$/.exec(folder)?.[1]);
    if (pid === process.pid || !(pid > 0 && running(pid))) {
      rmSync(join(GENERATED_ROOT, folder), { recursive: true, force: true });
    }
  }
  mkdirSync(GENERATED, { recursive: true });
  const generated = blocks.map((block) => {
    const before = blocks.filter(
      (other) =>
        other.section !== undefined &&
        other.file === block.file &&
        other.section === block.section &&
        other.line < block.line,
    );
    return generate(block, before);
  });
  for (const one of generated) writeFileSync(one.path, one.text);
  return generated;
}

/** Where a line of a generated module comes from: `file:line` of the docs, or the module's own. */
export function sourceOf(example: Generated, line0: number): string {
  const segment = example.segments.find(
    (one) => line0 >= one.start && line0 < one.start + one.count,
  );
  if (!segment) return `${repoPath(example.path)}:${line0 + 1} (the prelude's imports)`;
  return `${segment.file}:${segment.codeLine + line0 - segment.start}`;
}

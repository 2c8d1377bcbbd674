// Finds the TypeScript examples of the docs: every fenced ```ts / ```typescript / ```tsx block
// after an `@example` tag in a TSDoc comment of src/, and every such block of a Markdown file
// (README.md). Blocks in other languages are listed, not run. Pure: text in, blocks out.

/** One fenced TypeScript block of the docs. */
export interface ExampleBlock {
  /** The file it is written in, relative to the repository: `src/core/next.ts`, `README.md`. */
  file: string;
  /** The 1-based line of its opening fence: the example's address, `file:line`. */
  line: number;
  /** The 1-based line of its first line of code. */
  codeLine: number;
  lang: 'ts' | 'tsx';
  /** The code, without the comment's ` * ` margin or the Markdown indentation. */
  code: string;
  /** Markdown only: the heading of the section it is in (`### Koa`). */
  section?: string;
  /** Markdown only: the headings of the sections it is in, outermost first. */
  sections?: string[];
}

/** A fenced block of a Markdown file in a language that is not run (sh, html, json, an output). */
export interface OtherBlock {
  file: string;
  line: number;
  lang: string;
}

const TS_LANGS: Record<string, 'ts' | 'tsx'> = { ts: 'ts', typescript: 'ts', tsx: 'tsx' };

/** A fence line: its indentation, its backticks (three or more) and its info string. */
const FENCE = /^(\s*)(`{3,})\s*([\w-]*)[^`]*$/;

interface Fenced {
  line: number;
  lang: string;
  lines: string[];
}

/** Every fenced block of some lines (`first` is the number of the first line). */
function fencedBlocks(lines: readonly string[], first: number): Fenced[] {
  const blocks: Fenced[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', ticks = '', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const text = lines[j] ?? '';
      if (text.trim().startsWith(ticks) && text.trim().replace(/`/g, '') === '') break;
      body.push(text.startsWith(indent) ? text.slice(indent.length) : text.trimStart());
    }
    blocks.push({ line: first + i, lang: lang.toLowerCase(), lines: body });
    i = j;
  }
  return blocks;
}

/** The TSDoc comments of a source text: their text without the ` * ` margin, and first line. */
function docComments(text: string): { line: number; lines: string[] }[] {
  const comments: { line: number; lines: string[] }[] = [];
  for (const match of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const line = text.slice(0, match.index).split('\n').length;
    const lines = match[0]
      .replace(/^\/\*\*/, '')
      .replace(/\*\/$/, '')
      .split('\n')
      .map((row) => row.replace(/^\s*\* ?/, ''));
    comments.push({ line, lines });
  }
  return comments;
}

/** The examples of a source file: the fenced TypeScript blocks after `@example` in its TSDoc. */
export function examplesOfSource(file: string, text: string): ExampleBlock[] {
  return docComments(text).flatMap((comment) => {
    const tag = comment.lines.findIndex((row) => row.trimStart().startsWith('@example'));
    if (tag < 0) return [];
    // From the tag to the next block tag (`@param`…) that is not inside a fence.
    const after = comment.lines.slice(tag + 1);
    return fencedBlocks(after, comment.line + tag + 1).flatMap((block) => {
      const lang = TS_LANGS[block.lang];
      if (!lang) return [];
      return [
        { file, line: block.line, codeLine: block.line + 1, lang, code: block.lines.join('\n') },
      ];
    });
  });
}

/** The TypeScript blocks of a Markdown file, each with its section, and the blocks of other languages. */
export function examplesOfMarkdown(
  file: string,
  text: string,
): { examples: ExampleBlock[]; others: OtherBlock[] } {
  const lines = text.split('\n');
  /** The headings around a line, outermost first (a `###` inside the `##` before it…). */
  const sectionsAt = (line: number) => {
    const around: string[] = [];
    for (const row of lines.slice(0, line)) {
      const level = /^(#{1,6}) /.exec(row)?.[1]?.length;
      if (level === undefined) continue;
      while (around.length > 0 && (/^#+/.exec(around.at(-1) ?? '')?.[0].length ?? 0) >= level) {
        around.pop();
      }
      around.push(row.trim());
    }
    return around;
  };
  const examples: ExampleBlock[] = [];
  const others: OtherBlock[] = [];
  for (const block of fencedBlocks(lines, 1)) {
    const lang = TS_LANGS[block.lang];
    if (!lang) {
      others.push({ file, line: block.line, lang: block.lang || '(none)' });
      continue;
    }
    const code = block.lines.join('\n');
    const sections = sectionsAt(block.line - 1);
    const section = sections.at(-1) ?? '';
    examples.push({
      file,
      line: block.line,
      codeLine: block.line + 1,
      lang,
      code,
      section,
      sections,
    });
  }
  return { examples, others };
}

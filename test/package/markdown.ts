// What test/integration/package-install.test.ts reads in a Markdown file (the packed README.md):
// a section's first fenced block of a language, whether a block is a whole program, and the
// relative links outside code. Pure: text in, blocks and links out. Headings and links inside
// fenced blocks are code, not Markdown.

/** A fenced block: its language (the info string's first word) and its code. */
export interface Fence {
  lang: string;
  /** The 1-based line of its opening fence. */
  line: number;
  code: string;
}

/** A line of the text outside fenced blocks, or a whole fenced block. */
type Part = { kind: 'line'; line: number; text: string } | ({ kind: 'fence' } & Fence);

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;

function parts(text: string): Part[] {
  const lines = text.split('\n');
  const found: Part[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) {
      found.push({ kind: 'line', line: i + 1, text: lines[i] ?? '' });
      continue;
    }
    const [, indent = '', marks = '', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const row = lines[j] ?? '';
      if (row.trim().startsWith(marks) && row.trim().replaceAll(marks[0] ?? '`', '') === '') break;
      body.push(row.startsWith(indent) ? row.slice(indent.length) : row.trimStart());
    }
    found.push({ kind: 'fence', lang: lang.toLowerCase(), line: i + 1, code: body.join('\n') });
    i = j;
  }
  return found;
}

const levelOf = (text: string) => /^(#{1,6}) /.exec(text)?.[1]?.length;

/**
 * The first fenced block in one of `langs` of the section under the heading line `heading`
 * (`### Koa`, or a pattern of the line: `/^### CommonJS\b/`), up to the next heading of its level
 * or above; `undefined` when there is no such section, `null` when the section has no such block.
 */
export function firstFenceOf(
  text: string,
  heading: string | RegExp,
  langs: readonly string[],
): Fence | null | undefined {
  const all = parts(text);
  const isHeading = (line: string) =>
    levelOf(line) !== undefined &&
    (typeof heading === 'string' ? line.trim() === heading : heading.test(line.trim()));
  const start = all.findIndex((part) => part.kind === 'line' && isHeading(part.text));
  if (start < 0) return undefined;
  const found = all[start];
  const level = (found?.kind === 'line' && levelOf(found.text)) || 1;
  for (const part of all.slice(start + 1)) {
    if (part.kind === 'line') {
      const other = levelOf(part.text);
      if (other !== undefined && other <= level) return null;
    } else if (langs.includes(part.lang)) {
      return part;
    }
  }
  return null;
}

/**
 * The relative targets of the Markdown links and images outside code (fenced blocks and inline
 * code spans), without their `#anchor` or `?query`: `SECURITY.md`, `docs/a.png`. Links to a
 * scheme (`https:`, `mailto:`) and to an anchor of the same page are left out.
 */
export function relativeLinks(text: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  for (const part of parts(text)) {
    if (part.kind !== 'line') continue;
    const prose = part.text.replace(/(`+)[^`]*?\1/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = (match[1] ?? '').replace(/[#?].*$/, '');
      if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ line: part.line, target: decodeURIComponent(target) });
    }
  }
  return links;
}

/**
 * Why a block of code is not a whole program of one of `frameworks` (empty when it is one): it
 * must import the framework itself and listen (`app.listen(…)`, or Hono's `serve(…)`).
 */
export function wholeProgramGaps(code: string, frameworks: readonly string[]): string[] {
  const imports = frameworks.some((name) => code.includes(`from '${name}'`));
  const listens = /\.listen\(|\bserve\(/.test(code);
  return [
    ...(imports ? [] : [`does not import ${frameworks.join(' or ')}`]),
    ...(listens ? [] : ['does not listen']),
  ];
}

// Support for test/e2e/docs-site.test.ts, the test of the built docs site (docs/.vitepress/dist,
// `npm run docs:build`): builds it when it is missing or older than its sources, reads every page
// of it for its links, resources and ids (a small HTML tag reader: VitePress writes plain,
// quoted attributes), checks that every internal link leads to a page and an anchor that exist,
// and serves the site as plain files on 127.0.0.1, as a static host would.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listen } from '../support/http.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = join(ROOT, 'docs/.vitepress/dist');
/** Written by VitePress at the end of a build that completed: the built site's date. */
const BUILD_DONE = join(DIST, 'hashmap.json');

/** What the site is made of: the pages, the config and theme, and the API's sources. */
const SOURCES = ['docs', 'src', 'typedoc.json', 'scripts/docs-typedoc-plugin.mjs', 'package.json'];
/** Made by the build, not sources of it. */
const NOT_SOURCES = [
  'docs/api',
  'docs/.vitepress/dist',
  'docs/.vitepress/cache',
  'docs/.vitepress/.temp',
];

/** Every file under `dir` (relative to `base`), skipping the `skip` paths. */
function walk(dir: string, base: string, skip: readonly string[] = []): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const name = relative(base, path).split(sep).join('/');
    if (skip.includes(name)) continue;
    if (entry.isDirectory()) files.push(...walk(path, base, skip));
    else files.push(name);
  }
  return files;
}

/**
 * The newest source the site is built from (ms), the Markdown files at the repository's root
 * included (pages include them with `<!--@include: …-->`); the file it is, for the message.
 */
function newestSource(): { file: string; mtimeMs: number } {
  const files = [
    ...SOURCES.flatMap((source) => {
      const path = join(ROOT, source);
      if (!existsSync(path)) return [];
      return statSync(path).isDirectory() ? walk(path, ROOT, NOT_SOURCES) : [source];
    }),
    ...readdirSync(ROOT).filter((name) => name.endsWith('.md')),
  ];
  let newest = { file: '', mtimeMs: 0 };
  for (const file of files) {
    const { mtimeMs } = statSync(join(ROOT, file));
    if (mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  }
  return newest;
}

/**
 * Why the built site cannot be tested as it is (missing, or older than a source), or undefined
 * when it is current.
 */
export function whyRebuild(): string | undefined {
  if (!existsSync(BUILD_DONE))
    return 'docs/.vitepress/dist is missing (or its build did not finish)';
  const built = statSync(BUILD_DONE).mtimeMs;
  const newest = newestSource();
  return newest.mtimeMs > built ? `${newest.file} is newer than docs/.vitepress/dist` : undefined;
}

/** Runs `npm run docs:build` when the built site is missing or stale; says why, or nothing. */
export function buildDocsIfStale(): string | undefined {
  const why = whyRebuild();
  if (why === undefined) return undefined;
  try {
    execFileSync('npm', ['run', 'docs:build', '--silent'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run docs:build failed (${why}):\n${stdout ?? ''}${stderr ?? ''}`);
  }
  return why;
}

/** Every page of a built site: its .html files, as site paths (`/guide/express.html`). */
export function sitePages(dist: string): string[] {
  return walk(dist, dist)
    .filter((file) => file.endsWith('.html'))
    .map((file) => `/${file}`)
    .sort();
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

/** An attribute's value as the browser reads it (character references decoded). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X'
          ? Number.parseInt(name.slice(2), 16)
          : Number(name.slice(1));
      return String.fromCodePoint(code);
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

export interface PageParts {
  /** `<a href>` values. */
  links: string[];
  /** What the page loads: `<link href>`, `<script src>`, `<img src>`, `<source src>`. */
  resources: string[];
  /** Every element id. */
  ids: Set<string>;
}

const TAG =
  /<([a-zA-Z][\w-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g;
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** The links, resources and ids of a page's HTML (comments and script and style bodies skipped). */
export function readPage(html: string): PageParts {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1')
    .replace(/(<style\b[^>]*>)[\s\S]*?<\/style>/gi, '$1');
  const parts: PageParts = { links: [], resources: [], ids: new Set() };
  for (const [, tagName = '', attributeText = ''] of text.matchAll(TAG)) {
    const tag = tagName.toLowerCase();
    const attributes = new Map<string, string>();
    for (const [, name = '', double, single, bare] of attributeText.matchAll(ATTRIBUTE)) {
      attributes.set(name.toLowerCase(), decodeEntities(double ?? single ?? bare ?? ''));
    }
    const id = attributes.get('id');
    if (id !== undefined) parts.ids.add(id);
    const href = attributes.get('href');
    const src = attributes.get('src');
    if (tag === 'a' && href !== undefined) parts.links.push(href);
    else if (tag === 'link' && href !== undefined) parts.resources.push(href);
    else if (['script', 'img', 'source', 'iframe'].includes(tag) && src !== undefined) {
      parts.resources.push(src);
    }
  }
  return parts;
}

/** A link the browser leaves the site for (another scheme or host), never checked. */
export function isExternal(href: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//');
}

export interface BrokenLink {
  page: string;
  href: string;
  why: string;
}

export interface LinkReport {
  pages: number;
  /** Internal links and resources checked. */
  checked: number;
  broken: BrokenLink[];
  /** External links (not checked), each once. */
  external: string[];
}

/** The file a site path is served from: itself, or `index.html` for a directory's path. */
function fileOf(dist: string, path: string): string | undefined {
  const file = join(dist, path.endsWith('/') ? `${path}index.html` : path);
  if (!file.startsWith(dist + sep) && file !== dist) return undefined;
  return existsSync(file) && statSync(file).isFile() ? file : undefined;
}

/**
 * Checks every internal link of every page of the built site at `dist`: its target must be a
 * file of the site, and its `#anchor` an id in the target page. Resources (stylesheets, scripts,
 * fonts) must exist. Everything broken is returned at once.
 */
export function checkLinks(dist: string): LinkReport {
  const pages = sitePages(dist);
  const parsed = new Map<string, PageParts>();
  const partsOf = (page: string): PageParts => {
    let parts = parsed.get(page);
    if (!parts) {
      parts = readPage(readFileSync(join(dist, page), 'utf8'));
      parsed.set(page, parts);
    }
    return parts;
  };
  const report: LinkReport = { pages: pages.length, checked: 0, broken: [], external: [] };
  const external = new Set<string>();
  for (const page of pages) {
    const { links, resources } = partsOf(page);
    for (const [href, isLink] of [
      ...links.map((href) => [href, true] as const),
      ...resources.map((href) => [href, false] as const),
    ]) {
      if (/^data:/i.test(href)) continue; // inline content, nothing to fetch
      if (isExternal(href)) {
        external.add(href);
        continue;
      }
      report.checked++;
      const url = new URL(href, `http://site${page}`);
      let path: string;
      try {
        path = decodeURIComponent(url.pathname);
      } catch {
        report.broken.push({ page, href, why: 'the path is not valid percent-encoding' });
        continue;
      }
      const file = fileOf(dist, path);
      if (!file) {
        report.broken.push({ page, href, why: `no file ${path} in the site` });
        continue;
      }
      if (!isLink || url.hash.length <= 1) continue;
      let anchor: string;
      try {
        anchor = decodeURIComponent(url.hash.slice(1));
      } catch {
        report.broken.push({ page, href, why: 'the anchor is not valid percent-encoding' });
        continue;
      }
      if (!file.endsWith('.html')) {
        report.broken.push({ page, href, why: `#${anchor} in ${path}, not a page` });
        continue;
      }
      const target = `/${relative(dist, file).split(sep).join('/')}`;
      if (!partsOf(target).ids.has(anchor)) {
        report.broken.push({ page, href, why: `no id "${anchor}" in ${target}` });
      }
    }
  }
  report.external = [...external].sort();
  return report;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.xml': 'application/xml',
};

/** Serves the files of `dir` on 127.0.0.1 (a directory's path serves its index.html; 404 else). */
export function serveStatic(dir: string) {
  const root = resolve(dir);
  return listen((request, response) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname);
    } catch {
      path = '';
    }
    const file = path.startsWith('/') ? fileOf(root, path) : undefined;
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response
      .writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      })
      .end(readFileSync(file));
  });
}

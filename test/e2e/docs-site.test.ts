// The built docs site (docs/.vitepress/dist, `npm run docs:build`; built here first when it is
// missing or older than its sources, which takes about 30 s): every internal link of every page
// leads to a file of the site and every #anchor to an id in its page (external links are counted,
// not followed); and the pages, served as plain files on 127.0.0.1 and hydrated in Debian's
// Chromium, have no WCAG 2.0 or 2.1 A/AA violation that axe-core finds (colour contrast in the
// dark theme too) and log no error (a hydration mismatch, a failed script or request).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type AxeCore from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDocsIfStale, checkLinks, DIST, serveStatic, sitePages } from '../docs/site.js';
import { launchChromium } from './support.js';

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Pages axe checks at once, each in a tab of its own: most of a page's time is waiting on it. */
const TABS = 3;

let browser: Browser;
let site: Awaited<ReturnType<typeof serveStatic>>;
beforeAll(async () => {
  const rebuilt = buildDocsIfStale();
  if (rebuilt) console.log(`docs-site: built the docs first, as ${rebuilt}`);
  site = await serveStatic(DIST);
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('the link checker', () => {
  it('finds a missing page, a missing anchor and a missing resource, and passes good links', () => {
    const dist = mkdtempSync(join(tmpdir(), 'docs-site-'));
    try {
      const write = (path: string, text: string) => {
        mkdirSync(dirname(join(dist, path)), { recursive: true });
        writeFileSync(join(dist, path), text);
      };
      write(
        '/index.html',
        '<link rel="stylesheet" href="/assets/style.css"><script src="/assets/gone.js"></script>' +
          '<a href="guide/a.html#here">ok</a><a href="/guide/">ok</a><a href="#top" id="top">ok</a>' +
          '<a href="https://example.org/">external</a><a href="mailto:a@example.org">external</a>',
      );
      write('/assets/style.css', '');
      write(
        '/guide/index.html',
        '<a href="./a.html#not-here">broken anchor</a><a href="../missing.html">broken page</a>' +
          '<a href="a.html?x=1&amp;y=2#h%C3%A9">ok, encoded</a>',
      );
      write('/guide/a.html', '<h2 id="here">Here</h2><h2 id="hé">Hé</h2><a href="..">ok</a>');

      const report = checkLinks(dist);
      expect(report.broken).toEqual([
        {
          page: '/guide/index.html',
          href: './a.html#not-here',
          why: 'no id "not-here" in /guide/a.html',
        },
        {
          page: '/guide/index.html',
          href: '../missing.html',
          why: 'no file /missing.html in the site',
        },
        {
          page: '/index.html',
          href: '/assets/gone.js',
          why: 'no file /assets/gone.js in the site',
        },
      ]);
      expect(report.external).toEqual(['https://example.org/', 'mailto:a@example.org']);
      expect(report.pages).toBe(3);
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });
});

describe('the built docs site', () => {
  it('every internal link leads to a file of the site, and every #anchor to an id in its page', () => {
    const report = checkLinks(DIST);
    console.log(
      `docs-site: ${report.pages} pages, ${report.checked} internal links and resources checked; ` +
        `${report.external.length} distinct external links, not checked:\n  ${report.external.join('\n  ')}`,
    );
    expect(report.broken).toEqual([]);
    // The pages of the nav (their links are in every page, so a missing one is a broken link),
    // and the API reference's.
    expect(report.pages).toBeGreaterThan(40);
  });

  it('axe-core finds no WCAG 2.0 or 2.1 A/AA violation in the hydrated pages, and no page logs an error', async () => {
    const pages = sitePages(DIST);
    const findings: string[] = [];
    const errors: string[] = [];
    // No transitions (VitePress's CSS drops them for reduced motion): colours are measured as
    // they end, right after the switch to the dark theme.
    const context = await browser.newContext({ colorScheme: 'light', reducedMotion: 'reduce' });
    try {
      await Promise.all(
        Array.from({ length: TABS }, async (_, lane) => {
          const tab = await context.newPage();
          let current = '';
          tab.on('pageerror', (error) => errors.push(`${current}: ${error.message}`));
          tab.on('console', (message) => {
            if (message.type() === 'error') errors.push(`${current}: ${message.text()}`);
          });
          for (const page of pages.filter((_page, i) => i % TABS === lane)) {
            current = page;
            const dark = !page.startsWith('/api/') || page === '/api/index.html';
            findings.push(...(await axeFindings(tab, `${site.origin}${page}`, page, dark)));
          }
        }),
      );
    } finally {
      await context.close();
    }
    console.log(
      `docs-site: axe-core ran on all ${pages.length} pages (light; dark too outside the API reference)`,
    );
    expect(pages.length).toBeGreaterThan(40);
    expect({ findings, errors }).toEqual({ findings: [], errors: [] });
    // About 180 pages, each loaded and checked in two themes: 3 to 5 minutes on a loaded 2-core
    // machine.
  }, 600_000);
});

/** The longest a page may take to hydrate. */
const HYDRATED_MS = 15_000;

/**
 * Opens `url` in `tab` (a page load, so each page is hydrated anew), waits for VitePress to
 * hydrate it and for its fonts, runs axe-core's WCAG 2.0 and 2.1 A/AA rules in the light theme,
 * then switches the page to the dark theme (VitePress's `dark` class on the root element, as its
 * switch sets it) and runs what the theme changes: the colours' contrast (`dark`: the pages of
 * the API reference share a few templates and one stylesheet, so only its index is measured dark).
 * One line per rule violated, with the page and the theme.
 */
async function axeFindings(tab: Page, url: string, page: string, dark = true): Promise<string[]> {
  const response = await tab.goto(url);
  if (response?.status() !== 200) return [`${page}: HTTP ${response?.status()}`];
  // Hydrated: Vue's app is mounted on #app; the fonts loaded, so contrast is measured as drawn.
  // A page that does not hydrate (its scripts missing or failing) is a finding, and the next
  // page is checked. 15 s: under a full test run's load (eight browser contexts of the evidence
  // run beside it) a page of the API reference has taken more than 5.
  try {
    await tab.waitForFunction(
      () =>
        Boolean((document.querySelector('#app') as { __vue_app__?: unknown } | null)?.__vue_app__),
      undefined,
      { timeout: HYDRATED_MS },
    );
  } catch {
    return [`${page}: not hydrated within ${HYDRATED_MS / 1000} s`];
  }
  await tab.evaluate(() => document.fonts.ready.then(() => undefined));
  await tab.evaluate(AXE_SOURCE);
  const run = (runOnly: AxeCore.RunOnly) =>
    tab.evaluate(async (only) => {
      const { axe } = window as unknown as { axe: typeof AxeCore };
      const results = await axe.run(document, { runOnly: only, resultTypes: ['violations'] });
      return results.violations.map(({ id, nodes }) => ({
        rule: id,
        targets: nodes.map((node) => node.target.join(' ')),
      }));
    }, runOnly);
  const light = await run({ type: 'tag', values: WCAG_TAGS });
  if (!dark) return lines(light, `${page} (light)`);
  await tab.evaluate(async () => {
    document.documentElement.classList.add('dark');
    await Promise.all(document.getAnimations().map((animation) => animation.finished));
  });
  const inDark = await run({ type: 'rule', values: ['color-contrast'] });
  return [...lines(light, `${page} (light)`), ...lines(inDark, `${page} (dark)`)];
}

/** One line per rule violated. */
function lines(violations: { rule: string; targets: string[] }[], where: string): string[] {
  return violations.map(({ rule, targets }) => {
    const shown = targets.slice(0, 5).join(', ');
    return `${where}: ${rule} at ${shown}${targets.length > 5 ? ` and ${targets.length - 5} more` : ''}`;
  });
}

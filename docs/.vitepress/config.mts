// The docs site's VitePress configuration (`npm run docs:build`, `npm run docs:dev`): the pages of
// docs/ in a nav and a sidebar, and the API reference that TypeDoc writes into docs/api/ first
// (typedoc.json) with its own sidebar, read from docs/api/typedoc-sidebar.json when it is there
// (`vitepress dev docs` before any TypeDoc run still starts, without it). Plain .html URLs
// (`cleanUrls: false`), so that the built site is served as files by any static server, as
// test/e2e/docs-site.test.ts serves it; nothing fetched from the network at build or in the
// browser (local search, no Algolia, no git dates).

import { existsSync, readFileSync } from 'node:fs';
import { type DefaultTheme, defineConfig } from 'vitepress';

/**
 * The API reference's sidebar as TypeDoc wrote it, each entry collapsed, but the groups within
 * an entry (Classes, Functions…) not collapsible: VitePress draws a collapsible group without a
 * link as a button with its toggle, another button, inside it, which axe-core reports
 * (`nested-interactive`, WCAG 4.1.2). An entry has a link, so its toggle sits beside it.
 */
function withoutNestedToggles(items: DefaultTheme.SidebarItem[]): DefaultTheme.SidebarItem[] {
  return items.map(({ collapsed, items: children, ...item }) => ({
    ...item,
    ...(item.link === undefined ? {} : { collapsed }),
    ...(children ? { items: withoutNestedToggles(children) } : {}),
  }));
}

const apiSidebarFile = new URL('../api/typedoc-sidebar.json', import.meta.url);
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(apiSidebarFile)
  ? withoutNestedToggles(JSON.parse(readFileSync(apiSidebarFile, 'utf8')))
  : [];

const guide: DefaultTheme.SidebarItem = {
  text: 'Guide',
  items: [
    { text: 'Getting started', link: '/guide/getting-started' },
    { text: 'Express', link: '/guide/express' },
    { text: 'Fastify', link: '/guide/fastify' },
    { text: 'Koa', link: '/guide/koa' },
    { text: 'Hono', link: '/guide/hono' },
    { text: 'better-auth', link: '/guide/better-auth' },
    { text: 'Next.js', link: '/guide/next' },
    { text: 'NestJS', link: '/guide/nestjs' },
    { text: 'SvelteKit', link: '/guide/sveltekit' },
    { text: 'Fetch handlers: Bun, Deno', link: '/guide/fetch' },
    { text: 'Another framework', link: '/guide/adapter' },
    { text: 'React and single-page apps', link: '/guide/react' },
    { text: 'The browser client', link: '/guide/browser-client' },
    { text: 'Redis and many instances', link: '/guide/redis' },
    { text: 'How it behaves', link: '/guide/behaviour' },
    { text: 'The lock: sign in again in place', link: '/guide/lock' },
    { text: 'Leases: work the user started', link: '/guide/leases' },
    { text: "Testing your app's timeouts", link: '/guide/testing' },
    { text: 'Options', link: '/guide/options' },
    { text: 'Compliance presets', link: '/guide/compliance' },
    { text: 'Operations', link: '/guide/operations' },
    { text: 'Security', link: '/guide/security' },
  ],
};

const reference: DefaultTheme.SidebarItem = {
  text: 'Reference',
  items: [
    { text: 'The ping protocol', link: '/reference/protocol' },
    { text: 'API reference', link: '/api/' },
    { text: 'Architecture', link: '/reference/architecture' },
    { text: 'Performance', link: '/reference/performance' },
    { text: 'Benchmarks', link: '/reference/benchmarks' },
    { text: 'Reliability', link: '/reference/reliability' },
    { text: 'Sizing', link: '/reference/sizing' },
  ],
};

const migrate: DefaultTheme.SidebarItem = {
  text: 'Migration',
  items: [
    { text: 'From django-session-security', link: '/migrate/django-session-security' },
    { text: 'From react-idle-timer', link: '/migrate/react-idle-timer' },
  ],
};

export default defineConfig({
  title: 'session-security',
  description:
    'Server-enforced inactivity logout with a browser warning shared by every tab, for Node.js web frameworks.',
  lang: 'en',
  cleanUrls: false,
  lastUpdated: false,
  // Partials (`<!--@include: ./_part.md-->`) are not pages of their own.
  srcExclude: ['**/_*.md'],
  // No favicon: an empty one, so that browsers do not ask the server for /favicon.ico.
  head: [['link', { rel: 'icon', href: 'data:,' }]],
  markdown: {
    // GitHub's high-contrast colours: the code of the default ones (github-light, github-dark)
    // falls below 4.5:1 on a code block's background (#d73a49 on #f6f6f7 is 4.2:1).
    theme: { light: 'github-light-high-contrast', dark: 'github-dark-high-contrast' },
  },
  vite: {
    build: {
      // The local search's index of every page (over 600 kB, the API reference's pages most of
      // it) is one chunk, loaded when the search opens.
      chunkSizeWarningLimit: 1000,
    },
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started', activeMatch: '^/guide/' },
      { text: 'Reference', link: '/reference/protocol', activeMatch: '^/reference/' },
      { text: 'API', link: '/api/', activeMatch: '^/api/' },
      { text: 'Migration', link: '/migrate/django-session-security', activeMatch: '^/migrate/' },
    ],
    sidebar: {
      '/api/': [
        { text: 'API reference', link: '/api/', items: apiSidebar },
        guide,
        reference,
        migrate,
      ],
      '/': [guide, reference, migrate],
    },
    outline: { level: [2, 3] },
    search: {
      provider: 'local',
      // No aria-label on the search button: its name is then its text, "Search" and the shortcut
      // it shows (Ctrl K), so the name holds the visible text (WCAG 2.5.3, axe-core's
      // label-content-name-mismatch); VitePress's label "Search" left the shortcut out.
      options: { translations: { button: { buttonText: 'Search', buttonAriaLabel: '' } } },
    },
    // The link's name is its text (axe-core's label-content-name-mismatch, WCAG 2.5.3).
    notFound: { linkText: 'Take me home', linkLabel: 'Take me home' },
  },
});

// The Vite config of the single-page app (examples/spa/): in development, Vite passes the
// library's routes and the app's API to the app's server (server.ts), so the page, its
// requests and its session cookie share one origin, the dev server's.
//
//   npx tsx examples/spa/server.ts   # the app's server (PORT, default 3000)
//   npx vite examples/spa            # the page; its requests go to API_ORIGIN (http://127.0.0.1:3000)

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const app = process.env.API_ORIGIN ?? 'http://127.0.0.1:3000';
const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

// The app must see the browser's Host: the library checks that the pings' Origin is the app's
// own origin (here the dev server's), and refuses the others (403). Hence the object form with
// changeOrigin false: Vite's shorthand (`'/api': app`) sets changeOrigin to true.
const toApp = { target: app, changeOrigin: false };

export default defineConfig({
  server: {
    proxy: { '/session-security': toApp, '/api': toApp },
  },
  // React's automatic JSX runtime, by Vite's own esbuild (no React plugin: no fast refresh).
  esbuild: { jsx: 'automatic' },
  resolve: {
    // Only because this example runs the repository's sources: an app that installed
    // session-security from npm needs no alias.
    alias: [
      { find: /^session-security\/react$/, replacement: src('react/index.ts') },
      { find: /^session-security\/client$/, replacement: src('client/index.ts') },
    ],
  },
});

// Builds the prebuilt browser client that the server serves: assets/session-security.js
// (minified, self-starting) and assets/session-security.css. Run by `npm run build`.

import { mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const at = (path) => new URL(path, root).pathname;

await mkdir(at('assets'), { recursive: true });
await build({
  entryPoints: [at('src/client/auto.ts')],
  outfile: at('assets/session-security.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
  legalComments: 'none',
  logLevel: 'warning',
});
await build({
  entryPoints: [at('src/client/styles.css')],
  outfile: at('assets/session-security.css'),
  bundle: true,
  minify: true,
  logLevel: 'warning',
});

// Builds the prebuilt browser client that the server serves: assets/session-security.js
// (minified, self-starting), assets/session-security-dialog.js (an ES module),
// assets/session-security-drafts.js and assets/session-security.css, and assets/client-assets.js,
// the four as one module the server imports (their text, content type and hash), so that serving
// them needs no file system and no hashing at run time (the `web` entry loads where `node:fs` and
// `node:crypto` do not exist). Run by `npm run build`. A file whose content did not change is not
// written again: tests read assets/ while a test builds the package (the package-install test).

import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const at = (path) => new URL(path, root).pathname;

/** Writes a file unless it holds this content already. */
async function writeChanged(path, content) {
  const before = await readFile(path).catch(() => undefined);
  if (before?.equals(Buffer.from(content))) return;
  await writeFile(path, content);
}

/** esbuild, its output written with `writeChanged`. */
async function buildChanged(options) {
  const result = await build({ ...options, write: false });
  for (const file of result.outputFiles) await writeChanged(file.path, file.contents);
  return result;
}

await mkdir(at('assets'), { recursive: true });
const script = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
  legalComments: 'none',
  logLevel: 'warning',
  // Internal property names (the schedule's plan, the election, the dialog's actions) shortened
  // too. Never a name that the config, a catalogue, an event or the tabs' messages carry (`stay`
  // is a message key): a rename there would break the contract.
  mangleProps:
    /^(lastInput|warnAfterMs|expireAfterMs|graceMs|pingNotBefore|wakeAt|warning|warnAt|isLeader|elected|claim|release|show|hide|ping|keep|leave|acknowledge|unlock|cancel)$/,
};
const { mangleCache } = await buildChanged({
  ...script,
  entryPoints: [at('src/client/auto.ts')],
  outfile: at('assets/session-security.js'),
  mangleCache: {},
});
// The warning's dialog, an ES module that the script above imports only when a warning is near
// (`{prefix}/dialog.js`). Its property names are shortened as in the script above (its cache of
// names): the client calls the dialog's `show` and `hide`, the dialog the client's actions.
await buildChanged({
  ...script,
  format: 'esm',
  entryPoints: [at('src/client/dialog-script.ts')],
  outfile: at('assets/session-security-dialog.js'),
  mangleCache,
});
// The drafts code, loaded by the script above only on pages with a form (`{prefix}/drafts.js`).
await buildChanged({
  ...script,
  entryPoints: [at('src/client/drafts.ts')],
  outfile: at('assets/session-security-drafts.js'),
});
// The lock (sign in again in place), an ES module that the script above imports with the
// warning's dialog on pages of an app with the `lock` option (`{prefix}/lock.js`); its property
// names shortened as the dialog's are.
await buildChanged({
  ...script,
  format: 'esm',
  entryPoints: [at('src/client/lock-script.ts')],
  outfile: at('assets/session-security-lock.js'),
  mangleCache,
});
await buildChanged({
  entryPoints: [at('src/client/styles.css')],
  outfile: at('assets/session-security.css'),
  bundle: true,
  minify: true,
  logLevel: 'warning',
});

// The module src/server/assets.ts imports (typed by assets/client-assets.d.ts, kept in git).
const FILES = {
  '/client.js': ['session-security.js', 'text/javascript; charset=utf-8'],
  '/client.css': ['session-security.css', 'text/css; charset=utf-8'],
  '/drafts.js': ['session-security-drafts.js', 'text/javascript; charset=utf-8'],
  '/dialog.js': ['session-security-dialog.js', 'text/javascript; charset=utf-8'],
  '/lock.js': ['session-security-lock.js', 'text/javascript; charset=utf-8'],
};
const embedded = {};
for (const [route, [file, contentType]] of Object.entries(FILES)) {
  const body = await readFile(at(`assets/${file}`), 'utf8');
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  embedded[route] = { body, contentType, hash };
}
await writeChanged(
  at('assets/client-assets.js'),
  `// Made by scripts/build-client.mjs from the files beside it: do not edit.\nexport default ${JSON.stringify(embedded)};\n`,
);

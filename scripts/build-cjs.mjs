// Builds the package's CommonJS copy, dist/cjs/, beside the ES modules that tsc emits into dist/
// (run by `npm run build` after tsc): what the `require` condition of package.json's `exports`,
// and `main`, load, so that a CommonJS program can `require('session-security/express')` on any
// Node 20 (before 20.19, `require()` cannot load an ES module). Every source file is compiled on
// its own by esbuild, with a source map pointing at src/ (shipped in the package), and the
// declarations tsc emitted are copied beside them, typed as CommonJS by dist/cjs/package.json.
// The client's assets, an ES module at the package's root, get a CommonJS copy in
// dist/cjs/assets/. Fails when the output would load an ES module: a relative require() that
// leaves dist/cjs/, an `import()` or `import.meta` left in the code.

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { build, transform } from 'esbuild';

const root = new URL('..', import.meta.url);
const at = (path) => new URL(path, root).pathname;
const OUT = at('dist/cjs');

/**
 * The prebuilt client's own scripts, which scripts/build-client.mjs bundles into assets/: browser
 * code that no entry of the package loads (auto.ts imports the dialog with `import()`).
 */
const BROWSER_SCRIPTS = new Set(['client/auto.ts', 'client/dialog-script.ts', 'client/drafts.ts']);

/**
 * The `session-security` command (src/cli/, package.json's `bin`): run as an ES module, required
 * by nothing, and it imports playwright-core with `import()` (an optional peer).
 */
const COMMAND = 'cli/';

/**
 * dist/cjs/server/assets.js and .d.ts import the client's assets from the package's root
 * (`../../assets/`, an ES module); their CommonJS copy is `../assets/` from there. The require is
 * also told that the copy is a converted ES module (its default export is `exports.default`):
 * esbuild marks an import in a `type: module` package with Node's rule for an ES module
 * importing CommonJS (the default export is `module.exports`), the trailing `, 1`.
 */
const ASSETS_REWRITES = {
  'server/assets.js': [
    'require("../../assets/client-assets.js"), 1)',
    'require("../assets/client-assets.js"))',
  ],
  'server/assets.d.ts': ["'../../assets/client-assets.js'", "'../assets/client-assets.js'"],
};

const filesUnder = async (dir) =>
  (await readdir(dir, { recursive: true })).map((file) => file.split('\\').join('/')).sort();

await rm(OUT, { recursive: true, force: true });

const sources = (await filesUnder(at('src'))).filter(
  (file) =>
    file.endsWith('.ts') &&
    !file.endsWith('.d.ts') &&
    !BROWSER_SCRIPTS.has(file) &&
    !file.startsWith(COMMAND),
);
await build({
  entryPoints: sources.map((file) => at(`src/${file}`)),
  outdir: OUT,
  outbase: at('src'),
  bundle: false,
  format: 'cjs',
  // node: the names each file exports are annotated for Node's CommonJS lexer, so that an ES
  // module importing dist/cjs/ gets them as named imports.
  platform: 'node',
  target: 'es2022',
  sourcemap: true,
  // The maps name src/ (in the package), as tsc's maps of dist/ do.
  sourcesContent: false,
  logLevel: 'warning',
});

// The client's assets as CommonJS, with the declaration kept in git beside the ES module.
const assetsModule = await transform(await readFile(at('assets/client-assets.js'), 'utf8'), {
  format: 'cjs',
  platform: 'node',
  target: 'es2022',
});
await mkdir(join(OUT, 'assets'), { recursive: true });
await writeFile(
  join(OUT, 'assets/client-assets.js'),
  `// Made by scripts/build-cjs.mjs from assets/client-assets.js: do not edit.\n${assetsModule.code}`,
);
await writeFile(
  join(OUT, 'assets/client-assets.d.ts'),
  await readFile(at('assets/client-assets.d.ts'), 'utf8'),
);

// tsc's declarations and their maps, one folder deeper: each map's sources move one `../` up.
for (const file of await filesUnder(at('dist'))) {
  if (file.startsWith('cjs/') || file.startsWith(COMMAND) || !/\.d\.ts(\.map)?$/.test(file)) {
    continue;
  }
  const from = at(`dist/${file}`);
  const to = join(OUT, file);
  let text = await readFile(from, 'utf8');
  if (file.endsWith('.map')) {
    const map = JSON.parse(text);
    map.sources = map.sources.map((source) =>
      relative(dirname(to), resolve(dirname(from), source))
        .split('\\')
        .join('/'),
    );
    text = JSON.stringify(map);
  }
  await mkdir(dirname(to), { recursive: true });
  await writeFile(to, text);
}

for (const [file, [before, after]] of Object.entries(ASSETS_REWRITES)) {
  const text = await readFile(join(OUT, file), 'utf8');
  if (text.split(before).length !== 2) {
    throw new Error(`build-cjs: dist/cjs/${file} does not contain ${before} once`);
  }
  await writeFile(join(OUT, file), text.replace(before, after));
}

await writeFile(join(OUT, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

// What must never reach the CommonJS output. The code is read without its comments (esbuild
// keeps some, and they may name `import()`); the assets' module is left out of the search for
// `import()`, its strings being the browser client's code (data here, which the dialog's loader
// in it names).
const problems = [];
for (const file of await filesUnder(OUT)) {
  if (!file.endsWith('.js')) continue;
  const path = join(OUT, file);
  const { code } = await transform(await readFile(path, 'utf8'), {
    minifyWhitespace: true,
    legalComments: 'none',
    format: 'cjs',
    logLevel: 'silent',
  });
  if (file !== 'assets/client-assets.js' && /\bimport\s*\(|\bimport\.meta\b/.test(code)) {
    problems.push(`${file}: import() or import.meta`);
  }
  for (const [, specifier] of code.matchAll(/\brequire\("(\.[^"]*)"\)/g)) {
    const target = resolve(dirname(path), specifier);
    if (!target.startsWith(`${OUT}/`) || !existsSync(target)) {
      problems.push(`${file}: require("${specifier}") is not a file of dist/cjs/`);
    }
  }
}
if (problems.length > 0) {
  console.error(`build-cjs: the CommonJS build would load ES modules:\n${problems.join('\n')}`);
  process.exit(1);
}

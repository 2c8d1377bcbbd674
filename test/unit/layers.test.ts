// The layers of src/ (ARCHITECTURE.md, Layers) and the arrows allowed between them: the core knows no framework, no Node
// and no DOM; the browser client reads only the page config and the wire contract; the server
// imports no client code. This walks every import of every source file (types included) and
// fails on a wrong arrow. The compiler holds the rest: tsconfig.core.json compiles the core
// without DOM or Node types, tsconfig.client.json the client without Node's, and
// tsconfig.server.json the server without the DOM's (`npm run lint` runs all three).

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Each layer, and the layers its files may import from (besides its own). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  contract: [],
  client: ['contract'],
  server: ['core', 'contract', 'web', 'assets'],
  web: ['server', 'core', 'contract'],
  'better-auth': ['web', 'server', 'core', 'contract'],
  next: ['core', 'contract', 'react'],
  nestjs: ['server', 'core', 'contract'],
  sveltekit: ['web', 'server', 'core', 'contract'],
  stores: ['core'],
  adapter: ['server', 'core', 'contract'],
  opentelemetry: ['core'],
  passkeys: ['core'],
  testing: ['core'],
  cli: ['core'],
  react: ['client', 'contract'],
  root: ['core'],
};

/** Layers that run in a browser or anywhere: no `node:` module. */
const NO_NODE = new Set([
  'core',
  'contract',
  'client',
  'react',
  'web',
  'better-auth',
  'next',
  'sveltekit',
  'passkeys',
  'testing',
]);

/** The built client the server serves (made by `npm run build`), outside src/. */
const ASSETS = resolve(SRC, '../assets/client-assets.js');

function layerOf(file: string): string {
  if (file === ASSETS) return 'assets';
  const [first, second] = relative(SRC, file).split(/[\\/]/);
  return second === undefined ? 'root' : (first as string);
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every module a source text names in an import or export (`import type` too: types are arrows). */
function specifiers(text: string): string[] {
  return [
    ...[...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map(
      (m) => m[1] as string,
    ),
    ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] as string),
  ];
}

/** What is wrong with `file` importing `specifier`, or undefined when the arrow is allowed. */
function wrongArrow(file: string, specifier: string): string | undefined {
  const from = layerOf(file);
  if (specifier.startsWith('node:')) {
    return NO_NODE.has(from) ? `${relative(SRC, file)} (${from}) -> ${specifier}` : undefined;
  }
  if (!specifier.startsWith('.')) return undefined; // a package: test/unit/packaging.test.ts
  const to = layerOf(resolve(dirname(file), specifier));
  if (from === to || (MAY_IMPORT[from] ?? []).includes(to)) return undefined;
  return `${relative(SRC, file)} (${from}) -> ${specifier} (${to})`;
}

function wrongArrows(file: string, text = readFileSync(file, 'utf8')): string[] {
  return specifiers(text).flatMap((specifier) => wrongArrow(file, specifier) ?? []);
}

describe('the layers of src/', () => {
  const files = sources(SRC);

  it('knows every layer, and every file is in one', () => {
    expect(files.length).toBeGreaterThan(40);
    const layers = new Set(files.map(layerOf));
    expect([...layers].filter((layer) => !(layer in MAY_IMPORT))).toEqual([]);
  });

  it('has no import across a wrong arrow', () => {
    expect(files.flatMap((file) => wrongArrows(file))).toEqual([]);
  });

  it.each([
    ['server/html.ts', "import { plan } from '../client/schedule.js';"],
    ['server/html.ts', "import type { Engine } from '../client/engine.js';"],
    ['core/policy.ts', "import { debuglog } from 'node:util';"],
    ['core/policy.ts', "import { ROUTES } from '../server/lifecycle.js';"],
    ['web/session.ts', "import { createHmac } from 'node:crypto';"],
    ['client/engine.ts', "import embedded from '../../assets/client-assets.js';"],
    ['client/engine.ts', "import { answers } from '../core/protocol.js';"],
    ['contract/page-config.ts', "export { en } from '../client/index.js';"],
  ])('sees the wrong arrow when %s says %s', (file, line) => {
    const path = join(SRC, file);
    expect(wrongArrows(path, `${line}\n${readFileSync(path, 'utf8')}`)).toHaveLength(1);
  });
});

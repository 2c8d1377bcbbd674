// What installing session-security pulls in: no dependency of its own, every framework, session
// plugin, Redis client, React and OpenTelemetry an optional peer, and each subpath's module graph
// importing only its own framework's packages, so an Express app loads no Fastify, Koa, Hono,
// React, Redis or OpenTelemetry. And the shape of package.json's entries: each subpath has an ES
// module (`import`) and a CommonJS copy (`require`, dist/cjs/), each with its own types, found by
// every TypeScript module mode. (That the files exist, load and type-check in a fresh app:
// test/integration/package-install.test.ts.)

import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  main: string;
  types: string;
  files: string[];
  scripts: Record<string, string>;
  exports: Record<string, string | Record<string, unknown>>;
  typesVersions: Record<string, Record<string, string[]>>;
};

/** One condition of an entry: its types and its code. */
interface Target {
  types: string;
  default: string;
}

/** The `import` and `require` targets of a subpath (throws for a string entry, the stylesheet). */
function targetsOf(subpath: string): { import: Target; require: Target } {
  const entry = pkg.exports[subpath];
  if (typeof entry !== 'object') throw new Error(`exports["${subpath}"] is not an object`);
  return entry as { import: Target; require: Target };
}

/** Every subpath export but the stylesheet. */
const SUBPATHS = Object.keys(pkg.exports).filter((name) => !name.endsWith('.css'));

/** The packages each subpath may load at run time (type-only imports load nothing). */
const ALLOWED: Record<string, readonly string[]> = {
  '.': [],
  './adapter': [],
  './express': [],
  './redis': [],
  './client': [],
  './fastify': [],
  './koa': [],
  './hono': [],
  './web': [],
  './better-auth': ['better-auth'],
  './next': ['next', 'react'],
  './next/client': ['next', 'react'],
  './nestjs': ['@nestjs/common', '@nestjs/core'],
  './sveltekit': [],
  './react': ['react'],
  './opentelemetry': ['@opentelemetry/api'],
  './passkeys': ['@simplewebauthn/server'],
  './testing': [],
};

/** Every module a source file loads at run time: static imports and re-exports that are not `type`. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const statement = /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const match of text.matchAll(statement)) {
    if (match[1]) continue; // `import type …` / `export type …`
    const clause = match[0];
    // `import { type A, type B } from 'x'` loads nothing either.
    const names = /\{([^}]*)\}/.exec(clause)?.[1];
    if (names !== undefined && !/\*|\w+\s+from/.test(clause.replace(/\{[^}]*\}/, ''))) {
      const all = names
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      if (all.length > 0 && all.every((n) => n.startsWith('type '))) continue;
    }
    found.push(match[2] as string);
  }
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push(match[1] as string);
  }
  return found;
}

/** The source file a relative specifier names: `x.js` is built from `x.ts`, or is JS already (assets/). */
function fileOf(from: string, specifier: string): string {
  const source = resolve(dirname(from), specifier.replace(/\.js$/, '.ts'));
  return existsSync(source) ? source : resolve(dirname(from), specifier);
}

/** What a source entry loads that is not a file of its own (packages, built-ins), through its whole graph. */
function loadedBy(entry: string): Set<string> {
  const loaded = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) visit(fileOf(file, specifier));
      else loaded.add(specifier);
    }
  };
  visit(entry);
  return loaded;
}

const isBuiltin = (specifier: string) =>
  specifier.startsWith('node:') || builtinModules.includes(specifier);

/** The Node built-ins (`node:x` or `x`) a source entry loads, through its whole graph. */
function builtinsLoadedBy(entry: string): Set<string> {
  return new Set([...loadedBy(entry)].filter(isBuiltin));
}

/** The packages (not files, not node built-ins) a source entry loads, through its whole graph. */
function packagesLoadedBy(entry: string): Set<string> {
  const names = [...loadedBy(entry)]
    .filter((specifier) => !isBuiltin(specifier))
    .map((specifier) =>
      specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : (specifier.split('/')[0] as string),
    );
  return new Set(names);
}

/** The source file behind a subpath export (dist/x.js is built from src/x.ts). */
function sourceOf(subpath: string): string {
  const built = targetsOf(subpath).import.default;
  return resolve(ROOT, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

describe('the package', () => {
  it('has no dependencies of its own', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('makes every framework, session plugin, Redis client, React and OpenTelemetry an optional peer', () => {
    const peers = Object.keys(pkg.peerDependencies);
    for (const name of [
      'express',
      'express-session',
      'fastify',
      '@fastify/session',
      'koa',
      'koa-session',
      'hono',
      'ioredis',
      'redis',
      'react',
      '@opentelemetry/api',
      'better-auth',
      'next',
      '@simplewebauthn/server',
    ]) {
      expect(peers, name).toContain(name);
    }
    for (const name of peers) expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
  });

  it.each(Object.keys(ALLOWED))('loads no other package at run time through %s', (subpath) => {
    const loaded = [...packagesLoadedBy(sourceOf(subpath))].sort();
    expect(loaded).toEqual([...(ALLOWED[subpath] ?? [])].sort());
  });

  it.each(['./web', '.', './client', './react'])(
    'loads no node: built-in through %s, so Bun, Deno and Workers can load it',
    (subpath) => {
      expect([...builtinsLoadedBy(sourceOf(subpath))]).toEqual([]);
    },
  );

  it('sees a node: built-in through the graph (the Redis store hashes with node:crypto)', () => {
    expect([...builtinsLoadedBy(sourceOf('./redis'))]).toEqual(['node:crypto']);
  });

  it('names every subpath export in this test', () => {
    expect([...SUBPATHS].sort()).toEqual(Object.keys(ALLOWED).sort());
  });
});

describe('the entries of package.json', () => {
  it.each(SUBPATHS)(
    'give %s an ES module and a CommonJS copy, each with its types first',
    (subpath) => {
      const entry = pkg.exports[subpath] as Record<string, Record<string, string>>;
      expect(Object.keys(entry)).toEqual(['import', 'require']);
      const esm = entry.import as Record<string, string>;
      const cjs = entry.require as Record<string, string>;
      // Node and TypeScript take the first condition that matches: `types` must come first.
      expect(Object.keys(esm)).toEqual(['types', 'default']);
      expect(Object.keys(cjs)).toEqual(['types', 'default']);
      expect(esm.default).toMatch(/^\.\/dist\/(?!cjs\/).+\.js$/);
      expect(esm.types).toBe(esm.default?.replace(/\.js$/, '.d.ts'));
      // The same file in dist/cjs/, with the declarations copied beside it.
      expect(cjs.default).toBe(esm.default?.replace(/^\.\/dist\//, './dist/cjs/'));
      expect(cjs.types).toBe(cjs.default?.replace(/\.js$/, '.d.ts'));
    },
  );

  it('keeps the stylesheet of the browser client', () => {
    expect(pkg.exports['./client/styles.css']).toBe('./assets/session-security.css');
  });

  it('points main and types at the CommonJS root entry', () => {
    expect(pkg.main).toBe(targetsOf('.').require.default);
    expect(pkg.types).toBe(targetsOf('.').require.types);
  });

  it('gives TypeScript without `exports` (moduleResolution node10) the types of every subpath', () => {
    const mapped = pkg.typesVersions['*'] ?? {};
    const expected = Object.fromEntries(
      SUBPATHS.filter((subpath) => subpath !== '.').map((subpath) => [
        subpath.slice(2),
        [targetsOf(subpath).require.types.slice(2)],
      ]),
    );
    expect(mapped).toEqual(expected);
    // A `*` key would remap `types` too, and every path the map does not name.
    expect(Object.keys(pkg.typesVersions)).toEqual(['*']);
  });

  it('ships the builds, the sources their maps name, the licence and the documents README links', () => {
    for (const name of [
      'dist',
      'assets',
      'src',
      'LICENSE',
      'README.md',
      'CHANGELOG.md',
      'SECURITY.md',
      'BENCHMARKS.md',
      'ARCHITECTURE.md',
    ]) {
      // npm always packs README.md and package.json; the others must be named.
      if (name !== 'README.md') expect(pkg.files, name).toContain(name);
      expect(existsSync(resolve(ROOT, name)), name).toBe(true);
    }
  });

  it('builds the CommonJS copy with `npm run build`, and before `npm pack`', () => {
    expect(pkg.scripts.build).toMatch(
      /tsc -p tsconfig\.build\.json && node scripts\/build-cjs\.mjs$/,
    );
    expect(pkg.scripts.prepack).toBe('npm run build');
  });
});

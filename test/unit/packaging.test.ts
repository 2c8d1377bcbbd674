// What installing session-security pulls in: no dependency of its own, every framework, session
// plugin, Redis client, React and OpenTelemetry an optional peer, and each subpath's module graph
// importing only its own framework's packages, so an Express app loads no Fastify, Koa, Hono,
// React, Redis or OpenTelemetry.

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
  exports: Record<string, string | { default: string }>;
};

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
  './react': ['react'],
  './opentelemetry': ['@opentelemetry/api'],
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
  const target = pkg.exports[subpath];
  const built = typeof target === 'string' ? target : (target?.default ?? '');
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
    const subpaths = Object.keys(pkg.exports).filter((name) => !name.endsWith('.css'));
    expect(subpaths.sort()).toEqual(Object.keys(ALLOWED).sort());
  });
});

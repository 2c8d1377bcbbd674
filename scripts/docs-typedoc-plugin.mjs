// A TypeDoc plugin for the API reference of the docs site (typedoc.json loads it; run by
// `npm run docs:build`). TypeDoc names each module after its file (`server/express`, `index`);
// a reader imports `session-security/express`, so each module is renamed to the name package.json
// `exports` gives it, and its pages move with the name (docs/api/session-security/express/…).
// It also fails the run when typedoc.json's entry points and package.json's entries differ: a new
// entry must not go undocumented, nor a removed one stay documented.

import { readFileSync } from 'node:fs';
import { Converter, ReflectionKind } from 'typedoc';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/**
 * TypeDoc's name of each entry's module (its declaration file's path under dist/, no extension,
 * no `/index`), to the name a reader imports and the source file: `server/express` to
 * `session-security/express` and src/server/express.ts.
 */
function publicNames() {
  const names = new Map();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = typeof target === 'string' ? undefined : target.import?.types;
    if (!types) continue; // the stylesheet
    const file = types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '');
    const fileName = file === 'index' ? 'index' : file.replace(/\/index$/, '');
    names.set(fileName, {
      name: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
      source: `src/${file}.ts`,
    });
  }
  return names;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  const names = publicNames();
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const modules = context.project.getReflectionsByKind(ReflectionKind.Module);
    const found = new Set(modules.map((module) => module.name));
    for (const module of modules) {
      const entry = names.get(module.name);
      if (entry) module.name = entry.name;
      else app.logger.error(`typedoc.json documents ${module.name}, not an entry of package.json`);
    }
    for (const [fileName, { name, source }] of names) {
      if (!found.has(fileName)) {
        app.logger.error(`typedoc.json's entryPoints miss ${source}, the entry ${name}`);
      }
    }
  });
}

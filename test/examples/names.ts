// What a block of code declares at its top level, and what a module exports, read with the
// TypeScript parser (no type checker): enough to give an example the names of its prelude and
// of the module it documents that it does not declare itself.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/** Names, split into values (imported with `import`) and types only (with `import type`). */
export interface Names {
  values: Set<string>;
  types: Set<string>;
}

/** The top-level declarations of an example. */
export interface Declared extends Names {
  /** The values it makes itself (const, let, var, function, class): what its prelude may close. */
  locals: string[];
  /** Whether it has an import declaration (a block run inside a component may not). */
  imports: boolean;
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) =>
    ts.isOmittedExpression(element) ? [] : bindingNames(element.name),
  );
}

const hasExport = (node: ts.Node) =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** What the top-level statements of some code declare. */
export function declaredNames(code: string, tsx: boolean): Declared {
  const kind = tsx ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile('block.tsx', code, ts.ScriptTarget.Latest, false, kind);
  const declared: Declared = { values: new Set(), types: new Set(), locals: [], imports: false };
  const local = (name: string) => {
    declared.values.add(name);
    declared.locals.push(name);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      declared.imports = true;
      const clause = statement.importClause;
      if (!clause) continue;
      const into = clause.isTypeOnly ? declared.types : declared.values;
      if (clause.name) into.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) into.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          (element.isTypeOnly ? declared.types : into).add(element.name.text);
        }
      }
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        bindingNames(declaration.name).forEach(local);
      }
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
      statement.name
    ) {
      local(statement.name.text);
    } else if (ts.isEnumDeclaration(statement)) {
      declared.values.add(statement.name.text);
    } else if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
      declared.types.add(statement.name.text);
    }
  }
  return declared;
}

/**
 * The named exports of a module file (`export const`, `export function`, `export { … }`,
 * `export type`…), following `export * from './relative.js'`. A name exported as both a type
 * and a value (a class) counts as a value.
 */
export function exportsOf(path: string): Names {
  const text = readFileSync(path, 'utf8');
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names: Names = { values: new Set(), types: new Set() };
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const from = statement.moduleSpecifier;
      const clause = statement.exportClause;
      if (!clause && from && ts.isStringLiteral(from) && from.text.startsWith('.')) {
        const child = exportsOf(resolve(dirname(path), from.text.replace(/\.js$/, '.ts')));
        for (const name of child.values) names.values.add(name);
        for (const name of child.types) names.types.add(name);
      } else if (clause && ts.isNamedExports(clause)) {
        for (const element of clause.elements) {
          const typeOnly = statement.isTypeOnly || element.isTypeOnly;
          (typeOnly ? names.types : names.values).add(element.name.text);
        }
      }
      continue;
    }
    if (!hasExport(statement)) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        for (const name of bindingNames(declaration.name)) names.values.add(name);
      }
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.values.add(statement.name.text);
    } else if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
      names.types.add(statement.name.text);
    }
  }
  for (const name of names.values) names.types.delete(name);
  return names;
}

/**
 * Whether the top level of some code calls a React hook (`useSomething(…)` outside any function):
 * such a fragment is the body of a component, and runs as one.
 */
export function callsHookAtTopLevel(code: string, tsx: boolean): boolean {
  const kind = tsx ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile('block.tsx', code, ts.ScriptTarget.Latest, true, kind);
  const visit = (node: ts.Node): boolean => {
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return false;
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      /^use[A-Z]/.test(node.expression.text)
    ) {
      return true;
    }
    return ts.forEachChild(node, visit) ?? false;
  };
  return source.statements.some(visit);
}

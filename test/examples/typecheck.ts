// Type-checks every generated example in one TypeScript program, with the repository's
// tsconfig.json (its `paths` give the package's names), and reports each diagnostic at the line
// of the docs it comes from.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import ts from 'typescript';
import { type Generated, ROOT, sourceOf } from './generate.js';

/** The options of tsconfig.json, and JSX for the React examples. */
function compilerOptions(): ts.CompilerOptions {
  const file = join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(file, (path) => ts.sys.readFile(path));
  if (config.error)
    throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, file);
  return { ...parsed.options, noEmit: true, jsx: ts.JsxEmit.ReactJSX };
}

/**
 * Every diagnostic of the examples (and of the preludes they import), one line each:
 * `file:line of the docs (example file:line): TS1234 message`. Empty when all compile.
 */
export function typecheck(examples: readonly Generated[]): string[] {
  const byPath = new Map(examples.map((example) => [example.path, example]));
  const preludes = [...new Set(examples.flatMap((example) => example.prelude ?? []))];
  const program = ts.createProgram([...byPath.keys(), ...preludes], compilerOptions());
  const messages: string[] = program
    .getOptionsDiagnostics()
    .concat(program.getGlobalDiagnostics())
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  for (const path of [...byPath.keys(), ...preludes]) {
    const source = program.getSourceFile(path);
    if (!source) {
      messages.push(`${path}: not in the program`);
      continue;
    }
    const example = byPath.get(path);
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const diagnostic of diagnostics) {
      const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
      const where = example
        ? `${sourceOf(example, line)} (example ${example.title})`
        : `${path.slice(ROOT.length + 1)}:${line + 1}`;
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      messages.push(`${where}: TS${diagnostic.code} ${text}`);
    }
  }
  return messages;
}

/**
 * {@link typecheck} in a child process (through tsx), so that compiling, which takes one core
 * for several seconds, runs while the examples run: resolves with its messages.
 */
export function typecheckInChild(examples: readonly Generated[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/examples/typecheck-cli.ts')],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`the type check exited with ${code}: ${Buffer.concat(err).toString()}`));
        return;
      }
      resolve(JSON.parse(Buffer.concat(out).toString()) as string[]);
    });
    child.stdin.end(JSON.stringify(examples));
  });
}

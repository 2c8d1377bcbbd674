// The published types of session-security/web need only the Fetch API's: a project with no Node
// types (`types: []`, as in Deno, Workers or a Next.js edge file) compiles against them. The
// declarations are emitted from src/ as `npm run build` emits them, into a folder of this test.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;

/**
 * Emits the declarations of the web entry and of one Node module (for the check that can fail),
 * and of what they import, as tsconfig.build.json does.
 */
function emitDeclarations(outDir: string): readonly ts.Diagnostic[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.build.json'),
    { outDir, emitDeclarationOnly: true, declarationMap: false, sourceMap: false },
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (config === undefined) throw new Error('tsconfig.build.json could not be read');
  const roots = ['src/web/index.ts', 'src/server/body.ts'].map((file) => join(ROOT, file));
  const program = ts.createProgram(roots, config.options);
  return program.emit().diagnostics;
}

/** Compiles one consumer file with no Node types, strictly, checking the declarations too. */
function compileWithoutNodeTypes(source: string): string[] {
  const file = join(dir, 'consumer.ts');
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'session-security-web-types-'));
  expect(emitDeclarations(join(dir, 'dist'))).toEqual([]);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the types of session-security/web', () => {
  it('compile under types: [] for a route handler using every export', () => {
    const errors = compileWithoutNodeTypes(`
      import {
        errorResponse,
        SessionStoreUnavailableError,
        sessionSecurityHandler,
        type SessionSecurityHandler,
        type WebSession,
      } from './dist/web/index.js';
      const security: SessionSecurityHandler = sessionSecurityHandler({
        drafts: false,
        isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
      });
      export async function GET(request: Request, session: WebSession | undefined): Promise<Response> {
        try {
          const refused = await security.check(request, session);
          if (refused) return refused;
          const headers: Headers = await security.signOut(request, session);
          return new Response(security.clientTags(request, session), { headers });
        } catch (error) {
          if (error instanceof SessionStoreUnavailableError) console.log(error.reason);
          return errorResponse(error, request) ?? new Response(null, { status: 500 });
        }
      }
    `);
    expect(errors).toEqual([]);
  });

  it("fails for an entry whose types need Node's (the check can see it)", () => {
    const errors = compileWithoutNodeTypes(`
      import { readNodeBody } from './dist/server/body.js';
      export const read = readNodeBody;
    `);
    expect(errors.join('\n')).toMatch(/node:http/);
  });
});

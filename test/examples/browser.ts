// Runs the browser examples in Chromium (test/e2e/support.ts): each is bundled with esbuild
// (tsconfig.json's paths give the package's names, as Vitest's aliases do in Node) and loaded in
// a page of a signed-in session served by a real Express app with session-security, the page
// carrying the client's config (`clientTags(req, { script: false })`). The example fails when
// it throws, its prelude's check fails, or the page reports an error.

import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import express from 'express';
import session from 'express-session';
import type { Browser, BrowserContext } from 'playwright-core';
import { sessionSecurity } from 'session-security/express';
import { launchChromium } from '../e2e/support.js';
import { listen } from '../support/http.js';
import { SECRETS } from './context.js';
import { GENERATED, type Generated, ROOT, specifier } from './generate.js';
import type { PageResult } from './page.js';

const OUT = '/bundles';

/** Bundles each example with the page runner: the files to serve, by name. */
async function bundle(examples: readonly Generated[]): Promise<Map<string, Uint8Array>> {
  const entryPoints: Record<string, string> = {};
  const page = specifier(GENERATED, join(ROOT, 'test/examples/page.ts'));
  for (const example of examples) {
    const name = basename(example.path).replace(/\.tsx?$/, '');
    const entry = join(GENERATED, `${name}.page.ts`);
    writeFileSync(
      entry,
      `import { runPage } from '${page}';\nawait runPage(() => import('./${name}.js'));\n`,
    );
    entryPoints[name] = entry;
  }
  const result = await build({
    entryPoints,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    tsconfig: join(ROOT, 'tsconfig.json'),
    define: { 'process.env.NODE_ENV': '"development"' },
    outdir: OUT,
    write: false,
    logLevel: 'silent',
  });
  return new Map(
    result.outputFiles.map((file) => [file.path.slice(OUT.length + 1), file.contents]),
  );
}

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

/** The app of the pages: a sign-in route, a route that asks for a recent sign-in, one page per example, the bundles. */
function hostApp(files: Map<string, Uint8Array>) {
  const app = express();
  app.use(session({ secret: SECRETS.SESSION_SECRET, resave: false, saveUninitialized: false }));
  const security = sessionSecurity({
    loginUrl: '/login',
    isAuthenticated: (req) => typeof req.session.user === 'string',
    userId: (req) => req.session.user ?? '',
    draftSecret: SECRETS.DRAFT_SECRET,
    sweepInterval: 0,
    leases: { maxSeconds: 3600 },
  });
  app.use(security);
  app.post('/sign-in', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = 'ada';
      security.start(req).then(() => res.end('signed in'), next);
    });
  });
  // What the examples' `fetch` calls: a route that asks for a recent sign-in (the page's is).
  app.post('/password', (req, res, next) => {
    security.requireRecentSignIn(req, 300).then(() => res.json({ changed: true }), next);
  });
  // What the examples' uploads (under `hold`) send.
  app.post('/upload', (_req, res) => {
    res.json({ received: true });
  });
  app.get('/examples/:name', (req, res) => {
    res.send(`<!doctype html><html lang="en"><head><title>${req.params.name}</title><link rel="icon" href="data:,">
      ${security.clientTags(req, { script: false })}</head><body>
      <script type="module" src="/bundles/${req.params.name}.js"></script></body></html>`);
  });
  app.get('/bundles/:file', (req, res) => {
    const file = files.get(req.params.file);
    if (!file) return res.sendStatus(404);
    // The same chunks (React, the client) in every page: from the browser's cache after the first.
    res
      .set('cache-control', 'max-age=600, immutable')
      .type('text/javascript')
      .send(Buffer.from(file));
  });
  return app;
}

export interface BrowserRunner {
  /** Runs one example in a page of its own; rejects with what went wrong. */
  run(example: Generated): Promise<void>;
  close(): Promise<void>;
}

/**
 * Bundles the examples, serves their pages and starts Chromium. Call it while no Node example
 * runs: the servers that start listening during one are closed after it (test/examples/run.ts).
 */
export async function startBrowser(examples: readonly Generated[]): Promise<BrowserRunner> {
  const files = new Map<string, Uint8Array>();
  const listening = listen(hostApp(files));
  let browser: Browser | undefined;
  let context: BrowserContext;
  const server = await listening;
  try {
    for (const [name, contents] of await bundle(examples)) files.set(name, contents);
    browser = await launchChromium();
    context = await browser.newContext();
    const signIn = await context.request.post(`${server.origin}/sign-in`);
    if (signIn.status() !== 200) throw new Error(`sign-in answered ${signIn.status()}`);
  } catch (error) {
    await browser?.close();
    await server.close();
    throw error;
  }
  return {
    async run(example) {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.stack ?? error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
      });
      try {
        const name = basename(example.path).replace(/\.tsx?$/, '');
        await page.goto(`${server.origin}/examples/${name}`);
        const result = await Promise.race([
          page
            .waitForFunction(() => window.$exampleResult, undefined, { timeout: 20_000 })
            .then((handle) => handle.jsonValue() as Promise<PageResult>),
          new Promise<PageResult>((resolve) =>
            page.on('pageerror', (error) =>
              resolve({ ok: false, error: error.stack ?? error.message }),
            ),
          ),
        ]);
        if (!result.ok) throw new Error(result.error);
        if (errors.length > 0) throw new Error(errors.join('\n'));
      } finally {
        await page.close();
      }
    },
    async close() {
      await browser?.close();
      await server.close();
    },
  };
}

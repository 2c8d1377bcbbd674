// The package as a user installs it, on its own: packed (`npm pack`, which builds it), installed
// with the frameworks into a fresh app outside the repository, then used there. The tarball
// holds the licence, the changelog and the documents the README links, every file package.json
// names, and every source a map names. A consumer of every server entry compiles under each
// TypeScript module mode (commonjs, node16, nodenext, bundler), and what commonjs and node16
// emit runs through require(); a consumer of the better-auth and Next.js entries, with
// better-auth and Next.js, compiles under each mode in which better-auth can be imported. A CommonJS program of the quick start, and the README's framework
// snippets as ES module TypeScript apps, run and answer the quick start's walk over HTTP.
// One pack and one install (npm's cache, filled by `npm ci`, serves the frameworks); the log
// says how long each part took.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childEnvironment,
  freshApp,
  type Packed,
  pack,
  ROOT,
  run,
  startProgram,
  stop,
  stopAll,
  told,
  tsc,
  writeProject,
} from '../package/fresh-app.js';
import { firstFenceOf, relativeLinks, wholeProgramGaps } from '../package/markdown.js';
import { walkQuickStart, walkReadmeQuickStart } from '../support/quick-start-walk.js';
import { testRedisUrl } from '../support/test-redis.js';

/** What the fresh app installs beside the tarball, each at the repository's version. */
const PACKAGES = [
  'express',
  'express-session',
  '@types/express',
  '@types/express-session',
  'fastify',
  '@fastify/cookie',
  '@fastify/session',
  'koa',
  'koa-session',
  '@types/koa',
  'hono',
  'hono-sessions',
  '@hono/node-server',
  'redis',
  'connect-redis',
  // session-security/opentelemetry loads it, and its declarations name its types.
  '@opentelemetry/api',
  // session-security/better-auth, session-security/next and session-security/next/client.
  'better-auth',
  'next',
  'react',
  '@types/react',
  // session-security/passkeys.
  '@simplewebauthn/server',
  // session-security/nestjs and session-security/sveltekit.
  '@nestjs/common',
  '@nestjs/core',
  'reflect-metadata',
  'rxjs',
  '@sveltejs/kit',
  'typescript',
  '@types/node',
];

/** A secret of 40 characters, for SESSION_SECRET and DRAFT_SECRET. */
const SECRET = 'a-test-secret-of-forty-characters-000000';

const log = (text: string) => console.log(`package-install: ${text}`);
const seconds = (value: number) => `${value.toFixed(1)} s`;

/**
 * The TypeScript module modes: each a sub-project whose package.json `type` and tsconfig's
 * `module`/`moduleResolution` a consumer may have. commonjs resolves through `main`, `types` and
 * `typesVersions` (node10 ignores `exports`); node16 and nodenext in a CommonJS package through
 * the `require` condition; bundler through `import`. What commonjs and node16 emit runs.
 */
const MODES = [
  { mode: 'commonjs', type: 'commonjs', module: 'commonjs', resolution: 'node10', runs: true },
  { mode: 'node16', type: 'commonjs', module: 'node16', resolution: 'node16', runs: true },
  { mode: 'nodenext', type: 'commonjs', module: 'nodenext', resolution: 'nodenext', runs: false },
  { mode: 'bundler', type: 'module', module: 'preserve', resolution: 'bundler', runs: false },
] as const;

/**
 * The docs' framework sections whose first TypeScript block is a whole program: it imports its
 * framework and listens (the Redis store's may use any of them). README.md's quick start, then
 * the guides of the docs site.
 */
const DOCS_APPS = [
  { page: 'README.md', heading: '## Quick start', framework: 'express', readme: true },
  { page: 'docs/guide/express.md', heading: '## Express quick start', framework: 'express' },
  { page: 'docs/guide/fastify.md', heading: '# Fastify', framework: 'fastify' },
  { page: 'docs/guide/koa.md', heading: '# Koa', framework: 'koa' },
  { page: 'docs/guide/hono.md', heading: '# Hono', framework: 'hono' },
  {
    page: 'docs/guide/redis.md',
    heading: '# Several instances: the Redis store',
    framework: undefined,
  },
] as const;
/** A page of the docs, from the repository (the docs site's pages are not in the package). */
const page = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const FRAMEWORKS = ['express', 'fastify', 'koa', 'hono'];

let work = '';
let packed: Packed;
let appRoot = '';
/** The tarball's files, unpacked (`package/…`). */
let unpacked = '';
let readme = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'session-security-pack-'));
  packed = await pack(work);
  log(`npm pack (the prepack build included) took ${seconds(packed.seconds)}`);
  const untar = await run('tar', ['-xzf', packed.tarball, '-C', work], { cwd: work });
  if (untar.code !== 0) throw new Error(told('tar', untar));
  unpacked = join(work, 'package');
  readme = readFileSync(join(unpacked, 'README.md'), 'utf8');
  const app = await freshApp(packed.tarball, PACKAGES);
  appRoot = app.root;
  log(`npm install of the tarball and ${PACKAGES.length} packages took ${seconds(app.seconds)}`);
}, 300_000);

afterAll(async () => {
  await stopAll();
  for (const dir of [work, appRoot]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** A path of the tarball, from a file of it and a relative path (`dist/x.js.map`, `../src/x.ts`). */
const inTarball = (from: string, relative: string) =>
  posix.normalize(posix.join(posix.dirname(from), relative));

describe('the packed package', () => {
  it('holds the licence, the changelog and the documents, and no test, bench or example', () => {
    for (const name of [
      'package.json',
      'LICENSE',
      'CHANGELOG.md',
      'README.md',
      'SECURITY.md',
      'BENCHMARKS.md',
      'ARCHITECTURE.md',
    ]) {
      expect(packed.files.has(name), name).toBe(true);
    }
    const strays = [...packed.files].filter((file) => /^(test|bench|examples)\//.test(file));
    expect(strays).toEqual([]);
  });

  it('holds every file package.json names', () => {
    const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      exports: Record<string, unknown>;
      typesVersions: Record<string, Record<string, string[]>>;
    };
    const named = new Set<string>([manifest.main, manifest.types]);
    const collect = (target: unknown): void => {
      if (typeof target === 'string') named.add(target);
      else if (typeof target === 'object' && target !== null)
        Object.values(target).forEach(collect);
    };
    collect(manifest.exports);
    collect(manifest.typesVersions);
    const missing = [...named]
      .map((path) => posix.normalize(path))
      .filter((path) => !packed.files.has(path));
    expect(missing).toEqual([]);
    expect(named.size).toBeGreaterThan(40);
  });

  it('holds every source its source maps name', () => {
    const maps = [...packed.files].filter((file) => file.endsWith('.map'));
    const missing: string[] = [];
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(unpacked, file), 'utf8')) as {
        sourceRoot?: string;
        sources: string[];
      };
      for (const source of map.sources) {
        const path = inTarball(file, posix.join(map.sourceRoot ?? '', source));
        if (!packed.files.has(path)) missing.push(`${file}: ${source}`);
      }
    }
    expect(missing).toEqual([]);
    // The ES modules, their declarations, and the same of the CommonJS copy.
    expect(maps.filter((file) => file.startsWith('dist/cjs/')).length).toBeGreaterThan(100);
  });

  it('holds every file its README links', () => {
    const links = relativeLinks(readme);
    const missing = links.filter(
      ({ target }) =>
        !packed.files.has(inTarball('README.md', target)) &&
        ![...packed.files].some((file) => file.startsWith(`${inTarball('README.md', target)}/`)),
    );
    expect(missing).toEqual([]);
    expect(links.length).toBeGreaterThan(0);
  });
});

/**
 * The compiler options of a consumer, strict, for one `module`/`moduleResolution`. The package's
 * declarations are checked too (`skipLibCheck: false`). Third-party ones that do not compile
 * together in this app (with express and koa in one node_modules, @types/koa meets the
 * content-disposition that ships its own types; fastify's pino wants esModuleInterop under
 * node10) are listed in the log, not failed on: only errors in the consumer or in
 * session-security's own files ({@link isOurs}) fail.
 */
function checkedOptions(module: string, resolution: string) {
  return {
    module,
    moduleResolution: resolution,
    target: 'es2022',
    lib: ['es2023', 'dom', 'dom.iterable'],
    types: ['node'],
    strict: true,
    skipLibCheck: false,
  };
}

/** A diagnostic in the consumer or in session-security's own files. */
const isOurs = ({ file }: { file: string }) =>
  !file.includes('node_modules/') || file.includes('node_modules/session-security/');

describe('the installed package, in a fresh app', () => {
  it.each(MODES)(
    'compiles a consumer of every server entry under TypeScript module $mode',
    async ({ mode, type, module, resolution, runs }) => {
      const dir = join(appRoot, `ts-${mode}`);
      writeProject(
        dir,
        type,
        { 'consumer.ts': readFileSync(join(ROOT, 'test/package/consumer.ts'), 'utf8') },
        { ...checkedOptions(module, resolution), outDir: 'out', noEmit: !runs },
      );
      const compiled = await tsc(appRoot, dir);
      const ours = compiled.diagnostics.filter(isOurs);
      const theirs = [
        ...new Set(compiled.diagnostics.filter((d) => !ours.includes(d)).map((d) => d.file)),
      ];
      log(
        `tsc, module ${module}, moduleResolution ${resolution}: ${seconds(compiled.seconds)}, ` +
          `${ours.length} errors in the consumer or the package` +
          (theirs.length > 0 ? `, errors in third-party declarations: ${theirs.join(', ')}` : ''),
      );
      expect(ours.map((d) => d.text).join('\n')).toBe('');
      // A tsc that failed, it did not say in a diagnostic why (a crash, a bad option).
      if (compiled.code !== 0) expect(theirs.length, told('tsc', compiled)).toBeGreaterThan(0);
      if (!runs) return;

      const ran = await run(process.execPath, [join(dir, 'out/consumer.js')], { cwd: dir });
      expect(ran.code, told('node out/consumer.js', ran)).toBe(0);
      const report = JSON.parse(ran.stdout) as {
        next: string | undefined;
        kinds: Record<string, string>;
        loaded: string[];
      };
      expect(report.next).toBe('/inbox?tab=2');
      for (const [name, kind] of Object.entries(report.kinds)) expect(kind, name).toBe('function');
      // require() of the CommonJS copy only: no ES module of the package was loaded.
      const own = report.loaded.filter((file) => file.includes('/node_modules/session-security/'));
      expect(own.length).toBeGreaterThan(10);
      expect(
        own.filter((file) => !file.includes('/node_modules/session-security/dist/cjs/')),
      ).toEqual([]);
    },
    120_000,
  );

  it.each(MODES.filter(({ mode }) => mode !== 'node16'))(
    'compiles a consumer of the better-auth, Next.js, NestJS and SvelteKit entries under TypeScript module $mode',
    async ({ mode, type, module, resolution }) => {
      const dir = join(appRoot, `ts-better-auth-${mode}`);
      writeProject(
        dir,
        type,
        {
          'consumer.ts': readFileSync(join(ROOT, 'test/package/consumer-better-auth.ts'), 'utf8'),
        },
        // better-auth's and Next's own declarations have errors of their own here.
        { ...checkedOptions(module, resolution), noEmit: true },
      );
      const compiled = await tsc(appRoot, dir);
      const ours = compiled.diagnostics.filter(isOurs);
      log(
        `tsc of the better-auth, Next.js, NestJS and SvelteKit consumer, module ${module}, moduleResolution ` +
          `${resolution}: ${seconds(compiled.seconds)}, ${ours.length} errors in the consumer or the package`,
      );
      expect(ours.map((d) => d.text).join('\n')).toBe('');
      if (compiled.code !== 0)
        expect(compiled.diagnostics.length, told('tsc', compiled)).toBeGreaterThan(0);
    },
    120_000,
  );

  it('installs the session-security command: verify, which says what it needs', async () => {
    const command = join(appRoot, 'node_modules/.bin/session-security');
    const asked = await run(command, ['verify'], { cwd: appRoot });
    expect(asked.code, told('session-security verify', asked)).toBe(2);
    expect(asked.stderr).toContain('session-security: --url is required');
    expect(asked.stderr).toContain('usage: session-security verify --url');
    // Playwright is an optional peer, not installed here: the command names what to install.
    const bare = await run(
      command,
      ['verify', '--url', 'http://127.0.0.1:9/', '--login-url', '/login'].concat([
        '--username',
        'demo',
        '--password',
        'demo',
      ]),
      { cwd: appRoot },
    );
    expect(bare.code, told('session-security verify --url …', bare)).toBe(2);
    expect(bare.stderr).toContain(
      'none of playwright-core, playwright, @playwright/test is installed (npm install --save-dev playwright-core)',
    );
    const unknown = await run(command, ['prove'], { cwd: appRoot });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no command "prove"');
  });

  it('runs a CommonJS app: the quick start through require()', async () => {
    const guide = 'docs/guide/express.md';
    const block = firstFenceOf(page(guide), /^## CommonJS\b/, ['js', 'javascript', 'cjs']);
    if (!block) throw new Error(`${guide} has no js block under a '## CommonJS…' heading`);
    const { code } = block;
    log(`the CommonJS app is ${guide}'s js block at line ${block.line}`);
    expect(code).toMatch(/require\(['"]session-security\/express['"]\)/);
    const dir = join(appRoot, 'cjs-app');
    writeProject(dir, 'commonjs', { 'app.js': code });
    const started = performance.now();
    const app = await startProgram('app.js', {
      cwd: dir,
      env: childEnvironment({ SESSION_SECRET: SECRET, DRAFT_SECRET: SECRET }),
    });
    try {
      await walkQuickStart(app.origin).catch((error: Error) => {
        throw new Error(`${error.message}\nThe app printed:\n${app.output()}`);
      });
    } finally {
      await stop(app.child);
    }
    log(
      `the CommonJS app started and answered the walk in ${seconds((performance.now() - started) / 1000)}`,
    );
  }, 60_000);

  it.each(DOCS_APPS)(
    "runs $page's $heading as an ES module TypeScript app",
    async (docsApp) => {
      const { page: path, heading, framework } = docsApp;
      const block = firstFenceOf(page(path), heading, ['ts', 'typescript']);
      if (!block) {
        throw new Error(`${path} has no TypeScript block under "${heading}"`);
      }
      const gaps = wholeProgramGaps(block.code, framework ? [framework] : FRAMEWORKS);
      if (gaps.length > 0) {
        throw new Error(
          `${path} "${heading}": its first ts block (line ${block.line}) is not a whole program ` +
            `yet: it ${gaps.join(' and ')}. This test runs it as an app: make it import its ` +
            "framework and listen (on port 3000), with the quick start's routes (GET /login, " +
            'POST /login with `user` and `next`, GET /, GET /api/notifications, POST /logout).',
        );
      }
      const dir = join(
        appRoot,
        `docs-${path.replace(/\W+/g, '-')}-${heading.replace(/^#+ /, '').replace(/\W+/g, '-').toLowerCase()}`,
      );
      writeProject(
        dir,
        'module',
        { 'app.ts': block.code },
        {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: ['node'],
          strict: true,
          // An app's usual setting: the module modes above check the package's declarations.
          skipLibCheck: true,
          outDir: 'out',
        },
      );
      const compiled = await tsc(appRoot, dir);
      expect(compiled.diagnostics.map((d) => d.text).join('\n'), `${path} line ${block.line}`).toBe(
        '',
      );
      expect(compiled.code, told('tsc', compiled)).toBe(0);
      const started = performance.now();
      const app = await startProgram(join('out', 'app.js'), {
        cwd: dir,
        env: childEnvironment({
          REDIS_URL: testRedisUrl(),
          SESSION_SECRET: SECRET,
          DRAFT_SECRET: SECRET,
        }),
      });
      try {
        await ('readme' in docsApp ? walkReadmeQuickStart : walkQuickStart)(app.origin).catch(
          (error: Error) => {
            throw new Error(
              `${path} "${heading}" (line ${block.line}): ${error.message}\nThe app printed:\n${app.output()}`,
            );
          },
        );
      } finally {
        await stop(app.child);
      }
      log(
        `${path} ${heading}: tsc ${seconds(compiled.seconds)}, start and walk ${seconds((performance.now() - started) / 1000)}`,
      );
    },
    90_000,
  );
});

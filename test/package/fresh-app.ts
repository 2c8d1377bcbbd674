// Test support for test/integration/package-install.test.ts: the package as a user gets it. Packs
// the repository (`npm pack`, which builds it: the `prepack` script), installs the tarball with
// the frameworks into a fresh app outside the repository (each at the version the repository
// has, so npm's cache, filled by `npm ci`, serves them), writes sub-projects that share that
// app's node_modules, compiles them with the app's own TypeScript, runs programs in them and
// walks the quick start's routes over HTTP.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PRELOAD = pathToFileURL(join(ROOT, 'test/package/listen-preload.mjs')).href;

/**
 * The environment of every command and program: the test's own, without what npm gives the
 * scripts it runs (`npm test` runs Vitest: npm_config_local_prefix and the like would point a
 * child npm at the repository), Node options, or NODE_ENV.
 */
export function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    const keep = !/^npm_/i.test(name) || /^npm_config_(cache|registry|userconfig)$/i.test(name);
    if (keep && !['INIT_CWD', 'NODE_OPTIONS', 'NODE_ENV'].includes(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Seconds it took. */
  seconds: number;
}

/** Every child process started here that has not ended yet, for `stopAll`. */
const children = new Set<ChildProcess>();

/** Runs a command to its end (never throws for a non-zero exit: the caller reads `code`). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<Finished> {
  const started = performance.now();
  return new Promise((resolvePromise) => {
    const child = execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? childEnvironment(),
        timeout: options.timeout ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const seconds = (performance.now() - started) / 1000;
        const why = error?.killed ? `\n(stopped after ${options.timeout ?? 120_000} ms)` : '';
        resolvePromise({
          code,
          stdout,
          stderr: `${stderr || (error?.message ?? '')}${why}`,
          seconds,
        });
        children.delete(child);
      },
    );
    children.add(child);
  });
}

/** A failed command's story, for an assertion's message. */
export const told = (what: string, result: Finished) =>
  `${what} exited ${result.code}:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`;

/** The tarball `npm pack` made of a copy of the repository (built by its `prepack` script), and its files. */
export interface Packed {
  tarball: string;
  files: Set<string>;
  seconds: number;
}

/**
 * What a checkout holds that `npm pack` builds and packs from: copied into a folder of its own
 * (node_modules linked), so the build writes no file the other tests read (dist/, assets/) and
 * the tarball holds nothing an earlier build left in dist/.
 */
const PACKED_FROM = [
  'package.json',
  'src',
  'scripts',
  'types',
  'assets/client-assets.d.ts',
  // The docs' pages README.md links (not the site's build or its generated API reference).
  'docs/guide',
  'docs/reference',
  'docs/migrate',
  'docs/public',
];

/** `npm pack` of a copy of the repository (its `prepack` builds it), into `destination`. */
export async function pack(destination: string): Promise<Packed> {
  const stage = mkdtempSync(join(tmpdir(), 'session-security-stage-'));
  try {
    const documents = readdirSync(ROOT).filter((name) =>
      /\.md$|^LICENSE$|^tsconfig.*\.json$/.test(name),
    );
    for (const name of [...PACKED_FROM, ...documents]) {
      cpSync(join(ROOT, name), join(stage, name), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
    return await packFrom(stage, destination);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

async function packFrom(stage: string, destination: string): Promise<Packed> {
  const result = await run('npm', ['pack', '--pack-destination', destination, '--json'], {
    cwd: stage,
    timeout: 180_000,
  });
  if (result.code !== 0) throw new Error(told('npm pack', result));
  // The build's own output goes to stderr: stdout is npm's JSON.
  const [report] = JSON.parse(result.stdout) as { filename: string; files: { path: string }[] }[];
  if (!report) throw new Error(`npm pack printed no report:\n${result.stdout}`);
  return {
    tarball: join(destination, report.filename),
    files: new Set(report.files.map((file) => file.path)),
    seconds: result.seconds,
  };
}

/** The version of a package in the repository's node_modules (what `npm ci` installed). */
export function repositoryVersion(name: string): string {
  const manifest = join(ROOT, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** A fresh app in the system's temporary folder, with the tarball and `packages` installed. */
export async function freshApp(
  tarball: string,
  packages: readonly string[],
): Promise<{ root: string; seconds: number }> {
  const root = mkdtempSync(join(tmpdir(), 'session-security-app-'));
  writeJson(join(root, 'package.json'), { name: 'fresh-app', version: '1.0.0', private: true });
  const pinned = packages.map((name) => `${name}@${repositoryVersion(name)}`);
  const result = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, ...pinned],
    { cwd: root, timeout: 280_000 },
  );
  if (result.code !== 0) throw new Error(told(`npm install in ${root}`, result));
  return { root, seconds: result.seconds };
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** A sub-project of the fresh app: its package.json (`type`), tsconfig.json and files. */
export function writeProject(
  dir: string,
  type: 'module' | 'commonjs',
  files: Record<string, string>,
  compilerOptions?: Record<string, unknown>,
): void {
  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, 'package.json'), { type });
  if (compilerOptions) {
    writeJson(join(dir, 'tsconfig.json'), { compilerOptions, include: ['*.ts'] });
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** What `tsc -p` reported, each diagnostic with the file it is in (relative to `appRoot`). */
export interface Compiled extends Finished {
  diagnostics: { file: string; text: string }[];
}

/** Compiles a sub-project with the fresh app's TypeScript; `flags` are more command-line options. */
export async function tsc(
  appRoot: string,
  dir: string,
  flags: readonly string[] = [],
): Promise<Compiled> {
  const result = await run(
    process.execPath,
    [join(appRoot, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false', ...flags],
    { cwd: appRoot },
  );
  const diagnostics: { file: string; text: string }[] = [];
  for (const line of result.stdout.split('\n')) {
    const located = /^(.+?)\(\d+,\d+\): (?:error|warning)/.exec(line);
    if (located) diagnostics.push({ file: located[1] ?? '', text: line });
    else if (/^error TS/.test(line)) diagnostics.push({ file: '', text: line });
    else if (line.trim() !== '' && diagnostics.length > 0) {
      const last = diagnostics.at(-1) as { text: string };
      last.text += `\n${line}`;
    }
  }
  return { ...result, diagnostics };
}

/** A program started by `startProgram`: its origin once it listens, and what it printed. */
export interface Running {
  origin: string;
  child: ChildProcess;
  output: () => string;
}

/**
 * Runs `node --import <preload> file` (a fixed port becomes a free one; the preload prints
 * `LISTENING <port>`) and resolves once the program listens; rejects with what it printed when
 * it exits first or does not listen within `timeout` ms.
 */
export function startProgram(
  file: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number },
): Promise<Running> {
  const child = spawn(process.execPath, ['--import', PRELOAD, file], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let printed = '';
  const output = () => printed;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(`${file} did not listen within ${options.timeout ?? 20_000} ms:\n${printed}`),
      );
    }, options.timeout ?? 20_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      printed += chunk.toString('utf8');
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      printed += chunk.toString('utf8');
      const port = /^LISTENING (\d+)$/m.exec(printed)?.[1];
      if (port !== undefined) {
        clearTimeout(timer);
        resolvePromise({ origin: `http://127.0.0.1:${port}`, child, output });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (${signal ?? code}) before it listened:\n${printed}`));
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Stops a program: SIGTERM, then SIGKILL if it is still there after 2 s. */
export async function stop(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/** Stops every command and program started here that has not ended yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stop(child)));
}

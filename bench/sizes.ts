// `npm run bench`, part "sizes": what the browser downloads, minified and gzipped (level 9). The
// prebuilt script, the dialog script and the drafts script against their budgets, the stylesheet,
// and side by side what apps pick instead (react-idle-timer, @ng-idle), each bundled as our React
// hook is.

import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { BenchSection } from './report.js';
import { renderReport } from './report.js';

/** The budgets of the prebuilt scripts, min+gzip, as scripts/check-size.mjs enforces them in CI. */
export const SCRIPT_GOAL_BYTES = 3800;
export const DIALOG_GOAL_BYTES = 1100;
export const DRAFTS_GOAL_BYTES = 1600;

const root = fileURLToPath(new URL('..', import.meta.url));

/** min and min+gzip (level 9) of some minified code. */
function measure(code: Uint8Array | string): { min: number; gzip: number } {
  const bytes = typeof code === 'string' ? Buffer.from(code) : code;
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const asset = (file: string) =>
  measure(readFileSync(new URL(`../assets/${file}`, import.meta.url)));

/**
 * Bundles `entry` (ESM source, resolved from the repository root) as an app's bundler would:
 * esbuild, minified, ESM, the framework external; the same target as the prebuilt client.
 */
async function bundle(entry: string, external: string[]): Promise<{ min: number; gzip: number }> {
  const result = await build({
    stdin: { contents: entry, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    legalComments: 'none',
    external,
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
  return measure(output.contents);
}

const versionOf = (name: string): string =>
  (
    JSON.parse(
      readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8'),
    ) as {
      version: string;
    }
  ).version;

const bytes = (value: number) => `${value} bytes`;
const sized = ({ min, gzip }: { min: number; gzip: number }) => `${gzip} bytes (min ${min})`;

export async function run(): Promise<BenchSection[]> {
  const script = asset('session-security.js');
  const dialog = asset('session-security-dialog.js');
  const drafts = asset('session-security-drafts.js');
  const style = asset('session-security.css');

  const REACT = ['react', 'react/*', 'react-dom', 'react-dom/*'];
  const ANGULAR = ['@angular/core', '@angular/core/*', '@angular/common', '@angular/common/*'];
  const RXJS = ['rxjs', 'rxjs/*'];
  const ourHook = await bundle(
    `export { useSessionSecurity } from './dist/react/index.js';`,
    REACT,
  );
  const idleTimer = await bundle(`export { useIdleTimer } from 'react-idle-timer';`, REACT);
  const ngIdle = await bundle(
    [
      `export { NgIdleModule, Idle, DEFAULT_INTERRUPTSOURCES } from '@ng-idle/core';`,
      `export { Keepalive, NgIdleKeepaliveModule } from '@ng-idle/keepalive';`,
    ].join('\n'),
    [...ANGULAR, ...RXJS],
  );

  const sizes: BenchSection = {
    title: 'sizes',
    rows: [
      {
        name: 'prebuilt script (assets/session-security.js), min+gzip',
        value: sized(script),
        goal: `<= ${bytes(SCRIPT_GOAL_BYTES)}`,
        met: script.gzip <= SCRIPT_GOAL_BYTES,
      },
      {
        name: 'dialog script (assets/session-security-dialog.js), min+gzip',
        value: sized(dialog),
        goal: `<= ${bytes(DIALOG_GOAL_BYTES)}`,
        met: dialog.gzip <= DIALOG_GOAL_BYTES,
      },
      {
        name: 'drafts script (assets/session-security-drafts.js), min+gzip',
        value: sized(drafts),
        goal: `<= ${bytes(DRAFTS_GOAL_BYTES)}`,
        met: drafts.gzip <= DRAFTS_GOAL_BYTES,
      },
      { name: 'stylesheet (assets/session-security.css), min+gzip', value: sized(style) },
      {
        name: 'our React hook (useSessionSecurity, dist/react), bundled, min+gzip',
        value: sized(ourHook),
      },
      {
        name: `react-idle-timer ${versionOf('react-idle-timer')} (useIdleTimer), bundled, min+gzip`,
        value: sized(idleTimer),
      },
      {
        name: `@ng-idle/core + keepalive ${versionOf('@ng-idle/core')}, bundled, min+gzip`,
        value: sized(ngIdle),
      },
      {
        name: 'our React hook / react-idle-timer, min+gzip',
        value: `${(ourHook.gzip / idleTimer.gzip).toFixed(2)}x`,
      },
    ],
    notes: [
      'Sizes are bytes of the file as served (minified), and of that gzipped by Node zlib at level 9. The prebuilt script is what `{prefix}/client.js` serves: the whole client and the English catalogue except the warning dialog and the strings only it shows, built by scripts/build-client.mjs (esbuild, IIFE, internal property names mangled); the dialog script (`{prefix}/dialog.js`, an ES module) is imported only when a warning is near (a minute before it), the drafts script only on pages with a form; the stylesheet is apart.',
      `The bundled rows are one esbuild bundle each (minified, ESM, platform browser, the prebuilt client's target, no legal comments), the framework external: our hook \`export { useSessionSecurity } from 'dist/react/index.js'\` and react-idle-timer ${versionOf('react-idle-timer')} \`export { useIdleTimer } from 'react-idle-timer'\` with react and react-dom external; @ng-idle/core and @ng-idle/keepalive ${versionOf('@ng-idle/core')} \`NgIdleModule, Idle, DEFAULT_INTERRUPTSOURCES\` and \`Keepalive, NgIdleKeepaliveModule\` with @angular/core and @angular/common ${versionOf('@angular/core')} and rxjs ${versionOf('rxjs')} external (their partially compiled Ivy declarations as published: the Angular linker of an Angular CLI build rewrites them, so an app's real bytes differ somewhat). Our hook is bundled without the property mangling of the prebuilt script, as an app's bundler would.`,
      "What each includes: our hook carries the whole client (input tracking, the schedule, the ping to the server, tabs kept in step over BroadcastChannel with a Web Locks leader and a `storage` fallback, expiry sending every tab to the login page, the unsaved-form guard) and also the warning dialog and the English catalogue, which `session-security/client` bundles even when the hook runs headless (`ui: false`); the server half it talks to (expiry enforced on every request) is in the server package, not in these bytes. react-idle-timer is a client-side idle timer only: idle/prompt/active events, timers and cross-tab sync with its own leader election over BroadcastChannel; no server half, no ping protocol, no UI. @ng-idle is a client-side idle timer (interrupt sources, an idle then timeout countdown, the expiry shared across tabs through localStorage) plus Keepalive, which sends a request on an interval with Angular's HttpClient; no server enforcement, no UI.",
    ],
  };
  return [sizes];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(renderReport(await run()));
}

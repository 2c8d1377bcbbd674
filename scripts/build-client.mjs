// Builds the prebuilt browser client that the server serves: assets/session-security.js
// (minified, self-starting), assets/session-security-drafts.js and assets/session-security.css. Run by `npm run build`.

import { mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const at = (path) => new URL(path, root).pathname;

await mkdir(at('assets'), { recursive: true });
const script = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
  legalComments: 'none',
  logLevel: 'warning',
  // Internal property names (the schedule's plan, the election, the dialog's actions) shortened
  // too. Never a name that the config, a catalogue, an event or the tabs' messages carry (`stay`
  // is a message key): a rename there would break the contract.
  mangleProps:
    /^(lastInput|warnAfterMs|expireAfterMs|graceMs|pingNotBefore|wakeAt|warning|warnAt|isLeader|elected|claim|release|show|hide|post|ping|keep|leave|acknowledge)$/,
};
await build({
  ...script,
  entryPoints: [at('src/client/auto.ts')],
  outfile: at('assets/session-security.js'),
});
// The drafts code, loaded by the script above only on pages with a form (`{prefix}/drafts.js`).
await build({
  ...script,
  entryPoints: [at('src/client/drafts.ts')],
  outfile: at('assets/session-security-drafts.js'),
});
await build({
  entryPoints: [at('src/client/styles.css')],
  outfile: at('assets/session-security.css'),
  bundle: true,
  minify: true,
  logLevel: 'warning',
});

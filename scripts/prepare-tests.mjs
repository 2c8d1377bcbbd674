// Run by `npm test` before Vitest: builds the browser client and makes sure the browser tests
// have a Chromium. As root on Debian a missing Chromium is installed with apt-get; otherwise
// the run stops at once with the command to run. Never downloads a browser build.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

execFileSync(process.execPath, [new URL('./build-client.mjs', import.meta.url).pathname], {
  stdio: 'inherit',
});

if (!existsSync(CHROMIUM)) {
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    console.error(
      `npm test: the browser tests need Chromium at ${CHROMIUM}, and it is missing.\n` +
        (hasApt
          ? 'Install it with: sudo apt-get update && sudo apt-get install -y chromium\n'
          : 'Install Chromium with your system package manager, ') +
        'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    );
    process.exit(1);
  }
  console.log('npm test: installing Chromium (apt-get install -y chromium) for the browser tests');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

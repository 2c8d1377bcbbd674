// Run by `npm test` before Vitest: builds the browser client and makes sure the browser tests
// have a Chromium, the Redis tests a redis-server (each run starts its own, on a free port), the
// several-instance tests nginx, and the better-auth and Next.js tests PostgreSQL's programs.
// As root on Debian what is missing is installed with apt-get; otherwise the run stops at once
// with the command to run. Never downloads a browser build.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

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

// The Redis tests start redis-servers of their own (Vitest's global setup one for the run, some
// tests more): redis-server must be installed; the several-instance tests run nginx.
const which = (command) => {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};
/** Installs Debian packages as root, or stops with the command to run. */
function requirePackages(what, packages, commands) {
  if (commands.every((command) => which(command))) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    console.error(
      `npm test: ${what} need ${commands.join(' and ')}, and ${commands.length > 1 ? 'they are' : 'it is'} missing.\n` +
        `Install with: sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`,
    );
    process.exit(1);
  }
  console.log(`npm test: installing ${packages.join(' ')} (apt-get) for ${what}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
requirePackages('the Redis tests', ['redis-server'], ['redis-server', 'redis-cli']);
// nginx is run by the tests as their own process, in front of two app instances.
requirePackages('the several-instance tests', ['nginx'], ['nginx']);
// The better-auth and Next.js tests keep better-auth's data in a PostgreSQL of their own, made
// with initdb in a temporary directory (test/support/postgres-server.ts): its server programs
// live in /usr/lib/postgresql/<version>/bin, outside PATH.
const hasPostgres = () =>
  existsSync('/usr/lib/postgresql') &&
  readdirSync('/usr/lib/postgresql').some((version) =>
    existsSync(`/usr/lib/postgresql/${version}/bin/initdb`),
  );
if (!hasPostgres()) {
  requirePackages('the better-auth and Next.js tests', ['postgresql'], ['initdb']);
}

// The benchmarks (`npm run bench`, which passes --shared-redis) use a Redis on 127.0.0.1:6379:
// started here when none answers. The tests need none.
if (process.argv.includes('--shared-redis')) {
  const redisAnswers = () => {
    try {
      return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping'], {
        encoding: 'utf8',
        timeout: 3000,
      }).includes('PONG');
    } catch {
      return false;
    }
  };
  if (!redisAnswers()) {
    console.log(
      'npm run bench: starting a Redis on 127.0.0.1:6379 (no persistence) for the benchmarks',
    );
    execFileSync('redis-server', [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    for (let i = 0; i < 50 && !redisAnswers(); i++) execFileSync('sleep', ['0.1']);
    if (!redisAnswers()) {
      console.error(
        'npm run bench: the Redis on 127.0.0.1:6379 does not answer; start one with redis-server',
      );
      process.exit(1);
    }
  }
}

// `npx session-security verify` (src/cli/) against the demo and against broken apps, in real time
// with short timeouts, in Debian's Chromium: it passes on the demo, all eight checks, run as the
// testing guide's command runs it, writing its report as Markdown and JSON; and it fails, naming
// the check, on each broken variant: a polling route that counts as activity (and one the app
// does not serve), an app whose server never ends a session (only the page's timer does), a
// warning that leaves less than 20 seconds, no absolute timeout where the preset demands one, a
// sign-out that a request in flight undoes, and tabs that do not share the warning.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import session from 'express-session';
import { describePolicy } from 'session-security';
import { sessionSecurity } from 'session-security/express';
import { afterEach, describe, expect, it } from 'vitest';
import { reportMarkdown } from '../../src/cli/report.js';
import {
  type CheckId,
  type VerifyOptions,
  type VerifyReport,
  verify,
} from '../../src/cli/verify.js';
import { listen } from '../support/http.js';
import { CHROMIUM, startDemo } from './support.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/index.js', import.meta.url).pathname;

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function demo(times: {
  expireAfter: number;
  warnAfter: number;
  absoluteTimeout?: number;
  lock?: boolean;
}) {
  const started = await startDemo(times);
  closers.push(() => started.close());
  return started.origin;
}

/** The checks against an app signed in through the demo's login form. */
function verifyOn(
  origin: string,
  checks: CheckId[],
  more: Partial<VerifyOptions> = {},
): Promise<VerifyReport> {
  return verify({
    url: `${origin}/`,
    loginUrl: '/login',
    username: 'demo',
    password: 'demo',
    usernameField: 'input[name=username]',
    passwordField: 'input[name=password]',
    submit: 'form [type=submit]',
    logout: '[action$="/logout"] [type=submit]',
    checks,
    chromium: CHROMIUM,
    ...more,
  });
}

/** The ways the apps of the broken variants get session-security wrong. */
interface Mistakes {
  /** The middleware sees only the library's own routes, never the app's pages. */
  onlyOwnRoutes?: boolean;
  /** The sign-out destroys the session itself rather than `security.signOut(req)`. */
  destroyOnSignOut?: boolean;
  /** The pages cut the tabs' channel: no BroadcastChannel, no storage. */
  cutTabs?: boolean;
}

/** An Express app with session-security, a login form, a slow route and one mistake. */
async function brokenApp(mistakes: Mistakes): Promise<string> {
  const app = express();
  // Every request saves the session back, as it was when the request began.
  app.use(session({ secret: 'verify test secret', resave: true, saveUninitialized: false }));
  const security = sessionSecurity({
    expireAfter: 24,
    warnAfter: 3,
    loginUrl: '/login',
    isAuthenticated: (req) => typeof req.session.user === 'string',
    drafts: false,
    sweepInterval: 0,
  });
  app.use((req, res, next) =>
    !mistakes.onlyOwnRoutes || req.path.startsWith('/session-security')
      ? security(req, res, next)
      : next(),
  );
  app.get('/login', (_req, res) => {
    res.send(
      '<form method="post" action="/login"><input name="username"><input name="password" type="password"><button type="submit">Sign in</button></form>',
    );
  });
  app.post('/login', express.urlencoded({ extended: false }), async (req, res) => {
    req.session.user = String(req.body.username);
    await security.start(req);
    res.redirect(303, '/');
  });
  app.post('/logout', async (req, res) => {
    if (mistakes.destroyOnSignOut) {
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    } else {
      await security.signOut(req);
    }
    res.redirect(303, '/login');
  });
  app.get('/slow', (_req, res) => {
    setTimeout(() => res.send('done'), 3000);
  });
  const cut =
    '<script>window.BroadcastChannel = undefined; Storage.prototype.setItem = () => { throw new DOMException("denied", "SecurityError"); };</script>';
  app.get('/', (req, res) => {
    if (!req.session.user) return res.redirect(303, '/login');
    res.send(
      `<!doctype html><title>App</title>${mistakes.cutTabs ? cut : ''}${security.clientTags(req)}<p>hello</p><form method="post" action="/logout"><button type="submit">Sign out</button></form>`,
    );
  });
  const server = await listen(app);
  closers.push(() => server.close());
  return server.origin;
}

/** Where the guide's command sends the run: replaced by the test's demo and directory. */
const GUIDE_URL = 'http://localhost:3000/';
const GUIDE_OUT = 'reports/';

/**
 * The testing guide's sh block: the demo's times (EXPIRE_AFTER, WARN_AFTER) and the arguments
 * of `npx session-security verify`, continuation lines joined.
 */
function guideCommand() {
  const guide = readFileSync(new URL('../../docs/guide/testing.md', import.meta.url), 'utf8');
  const body = /```sh\n([\s\S]*?)```/.exec(guide)?.[1] ?? '';
  const times = /EXPIRE_AFTER=(\d+) WARN_AFTER=(\d+) ABSOLUTE_TIMEOUT=(\d+) npm start/.exec(body);
  const command = body
    .replaceAll('\\\n', ' ')
    .split('\n')
    .find((line) => line.startsWith('npx'));
  if (!times || !command)
    throw new Error(`the testing guide's sh block is not as expected: ${body}`);
  // Words, and "quoted words" as one, as sh reads them.
  const words = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((word) => word[1] ?? word[2] ?? '');
  const [, , verb, ...args] = words;
  expect(verb).toBe('verify');
  expect(args).toContain(GUIDE_URL);
  expect(args).toContain(GUIDE_OUT);
  return {
    times: {
      expireAfter: Number(times[1]),
      warnAfter: Number(times[2]),
      absoluteTimeout: Number(times[3]),
    },
    args: ['verify', ...args],
  };
}

/** The arguments that sign in to an app at `origin` as the demo's user. */
const cliArgs = (origin: string) => [
  'verify',
  ...['--url', `${origin}/`, '--login-url', '/login', '--username', 'demo', '--password', 'demo'],
];

const resultOf = (report: VerifyReport, id: CheckId) =>
  report.checks.find((check) => check.id === id);

describe('session-security verify', () => {
  it("passes on the demo, run as the testing guide's command runs it, and writes the report as Markdown and JSON", async () => {
    const { times, args } = guideCommand();
    // As `npm start` runs it: the lock on, an expired page covered by it in place.
    const origin = await demo({ ...times, lock: true });
    const out = mkdtempSync(join(tmpdir(), 'verify-'));
    const given = args.map((arg) =>
      arg === GUIDE_URL ? `${origin}/` : arg === GUIDE_OUT ? out : arg,
    );
    const { stdout } = await run(process.execPath, [CLI, ...given], {
      env: { ...process.env, CHROMIUM_PATH: CHROMIUM },
    });
    expect(stdout).toContain('# session-security verify: PASS');
    const report = JSON.parse(
      readFileSync(join(out, 'session-security-report.json'), 'utf8'),
    ) as VerifyReport;
    expect(report.checks.map(({ id, result }) => [id, result])).toEqual([
      ['warning-window', 'pass'],
      ['idle', 'pass'],
      ['server', 'pass'],
      ['passive', 'pass'],
      ['tabs', 'pass'],
      ['sign-out', 'pass'],
      ['in-flight', 'pass'],
      ['absolute', 'pass'],
    ]);
    expect(report.times).toMatchObject({
      expireAfter: times.expireAfter,
      warnAfter: times.warnAfter,
    });
    expect(readFileSync(join(out, 'session-security-report.md'), 'utf8')).toBe(
      reportMarkdown(report),
    );
    for (const check of report.checks) expect(check.observed.length).toBeGreaterThan(0);
    expect(JSON.stringify(report)).toContain('covered by the lock');
  }, 240_000);

  it('fails the passive check when the polling route counts as activity', async () => {
    const origin = await demo({ expireAfter: 24, warnAfter: 3 });
    // The demo's /second is a page: every request to it counts.
    const report = await verifyOn(origin, ['passive'], { passive: '/second' });
    expect(report.pass).toBe(false);
    expect(resultOf(report, 'passive')).toMatchObject({
      result: 'fail',
      failure: 'polling /second kept the session alive past the idle timeout',
    });
  }, 90_000);

  it('fails the passive check, at once, when the route is not one the app serves (a typo proves nothing)', async () => {
    const origin = await demo({ expireAfter: 24, warnAfter: 3 });
    const report = await verifyOn(origin, ['passive'], { passive: '/api/pol' });
    expect(resultOf(report, 'passive')).toMatchObject({
      result: 'fail',
      failure: '/api/pol answered 404 to a signed-in page: not a route it could poll',
    });
  }, 60_000);

  it("fails the server check when only the page's timer signs out (the middleware on the library's routes only)", async () => {
    // The mistake: session-security sees only its own routes, never the app's pages.
    const origin = await brokenApp({ onlyOwnRoutes: true });
    const report = await verifyOn(origin, ['server']);
    expect(resultOf(report, 'server')).toMatchObject({
      result: 'fail',
      failure: 'the server did not refuse the session (200) after the idle timeout',
    });
  }, 90_000);

  it('fails the in-flight check when a request in flight undoes a sign-out (the app destroys the session itself)', async () => {
    const origin = await brokenApp({ destroyOnSignOut: true });
    const report = await verifyOn(origin, ['in-flight'], { slow: '/slow' });
    expect(resultOf(report, 'in-flight')).toMatchObject({
      result: 'fail',
      failure:
        'the sign-out was undone: after the request in flight, the session was not refused (200)',
    });
  }, 90_000);

  it("fails the tabs check when the tabs cannot share the warning (the app's pages cut their channel)", async () => {
    const origin = await brokenApp({ cutTabs: true });
    const report = await verifyOn(origin, ['tabs']);
    expect(resultOf(report, 'tabs')).toMatchObject({
      result: 'fail',
      failure: 'the warning stayed open in the other tab after "stay signed in" in one',
    });
  }, 90_000);

  it('fails the absolute check when the preset demands an absolute timeout and the app has none', async () => {
    const origin = await demo({ expireAfter: 24, warnAfter: 3 });
    const report = await verifyOn(origin, ['absolute'], {
      preset: 'nist-aal3',
      absoluteTimeout: 15,
    });
    expect(resultOf(report, 'absolute')).toMatchObject({
      result: 'fail',
      failure:
        'no absolute timeout: still signed in 18 s after the sign-in, with input all along; nist-aal3 demands one (NIST SP 800-63B-4 2.3.3 (AAL3 reauthentication): 12 h, shall)',
    });
  }, 90_000);

  it("puts the app's own policy (--policy, describePolicy's JSON) in the report", async () => {
    const origin = await demo({ expireAfter: 24, warnAfter: 3 });
    const out = mkdtempSync(join(tmpdir(), 'verify-'));
    const policy = describePolicy({
      preset: 'pci-dss-4',
      isAuthenticated: () => true,
      drafts: false,
    });
    writeFileSync(join(out, 'policy.json'), JSON.stringify(policy));
    const { stdout } = await run(
      process.execPath,
      [
        CLI,
        ...cliArgs(origin),
        ...['--checks', 'warning-window', '--policy', join(out, 'policy.json'), '--out', out],
      ],
      { env: { ...process.env, CHROMIUM_PATH: CHROMIUM } },
    );
    expect(stdout).toContain('The policy the app describes (`describePolicy` of its options):');
    expect(stdout).toContain(policy.markdown.trimEnd());
    expect(stdout).toContain('| The warning gives at least 20 seconds | pass |');
  }, 60_000);

  it('stops, exit 2, naming the login page and why, when it cannot sign in', async () => {
    const origin = await demo({ expireAfter: 24, warnAfter: 3 });
    const wrong = cliArgs(origin).map((arg, index, all) =>
      all[index - 1] === '--password' ? 'not-the-password' : arg,
    );
    const failed = await run(process.execPath, [CLI, ...wrong], {
      env: { ...process.env, CHROMIUM_PATH: CHROMIUM },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(
      new RegExp(
        `^session-security: could not sign in through ${origin}/login: the form sent the user back to the login page \\(${origin}/login\\S*\\): check --username and --password`,
      ),
    );
  }, 60_000);

  it.each([
    [['--preset', 'pci'], 'no preset "pci"'],
    [['--absolute-timeout', '0'], '--absolute-timeout "0" must be a number of seconds above 0'],
    [['--slow', 'POST'], '--slow "POST" is not a route: give /path, or METHOD /path'],
    [['--policy', '/nonexistent/policy.json'], '--policy /nonexistent/policy.json: ENOENT'],
    [['--checks', 'idle,tab'], 'no check "tab"'],
  ])('refuses %j before it starts a browser, exit 2', async (extra, message) => {
    const failed = await run(process.execPath, [
      CLI,
      ...cliArgs('http://127.0.0.1:9'),
      ...extra,
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain(`session-security: ${message}`);
  });

  it('fails the warning check when the warning leaves less than 20 seconds', async () => {
    const origin = await demo({ expireAfter: 24, warnAfter: 10 });
    const report = await verifyOn(origin, ['warning-window']);
    expect(resultOf(report, 'warning-window')).toMatchObject({
      result: 'fail',
      failure: 'the warning comes 14 s before the sign-out, less than 20 s',
    });
    expect(reportMarkdown(report)).toContain('# session-security verify: FAIL');
  }, 60_000);
});

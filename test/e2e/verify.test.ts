// `npx session-security verify` (src/cli/) against the demo and against broken apps, in real time
// with short timeouts, in Debian's Chromium: it passes on the demo, writing its report as Markdown
// and JSON, and fails, naming the check, on a polling route that counts as activity, on an app
// whose server never ends a session (only the page's timer does), and on a warning that leaves
// less than 20 seconds.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import session from 'express-session';
import { sessionSecurity } from 'session-security/express';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckId, reportMarkdown, type VerifyReport, verify } from '../../src/cli/verify.js';
import { listen } from '../support/http.js';
import { CHROMIUM, startDemo } from './support.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/index.js', import.meta.url).pathname;

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function demo(times: { expireAfter: number; warnAfter: number; lock?: boolean }) {
  const started = await startDemo(times);
  closers.push(() => started.close());
  return started.origin;
}

/** The checks against an app signed in through the demo's login form. */
function verifyOn(origin: string, checks: CheckId[], passive?: string): Promise<VerifyReport> {
  return verify({
    url: `${origin}/`,
    loginUrl: '/login',
    username: 'demo',
    password: 'demo',
    usernameField: 'input[name=username]',
    passwordField: 'input[name=password]',
    submit: 'form [type=submit]',
    passive,
    checks,
    chromium: CHROMIUM,
  });
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
  const times = /EXPIRE_AFTER=(\d+) WARN_AFTER=(\d+) npm start/.exec(body);
  const command = body
    .replaceAll('\\\n', ' ')
    .split('\n')
    .find((line) => line.startsWith('npx'));
  if (!times || !command)
    throw new Error(`the testing guide's sh block is not as expected: ${body}`);
  const [, , verb, ...args] = command.trim().split(/\s+/);
  expect(verb).toBe('verify');
  expect(args).toContain(GUIDE_URL);
  expect(args).toContain(GUIDE_OUT);
  return {
    times: { expireAfter: Number(times[1]), warnAfter: Number(times[2]) },
    args: ['verify', ...args],
  };
}

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
  }, 180_000);

  it('fails the passive check when the polling route counts as activity', async () => {
    const origin = await demo({ expireAfter: 24, warnAfter: 3 });
    // The demo's /second is a page: every request to it counts.
    const report = await verifyOn(origin, ['passive'], '/second');
    expect(report.pass).toBe(false);
    expect(resultOf(report, 'passive')).toMatchObject({
      result: 'fail',
      failure: 'polling /second kept the session alive past the idle timeout',
    });
  }, 90_000);

  it("fails the server check when only the page's timer signs out (the middleware on the library's routes only)", async () => {
    const app = express();
    app.use(session({ secret: 'verify test secret', resave: false, saveUninitialized: false }));
    const security = sessionSecurity({
      expireAfter: 24,
      warnAfter: 3,
      loginUrl: '/login',
      isAuthenticated: (req) => typeof req.session.user === 'string',
      drafts: false,
      sweepInterval: 0,
    });
    // The mistake: session-security sees only its own routes, never the app's pages.
    app.use((req, res, next) =>
      req.path.startsWith('/session-security') ? security(req, res, next) : next(),
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
    app.get('/', (req, res) => {
      if (!req.session.user) return res.redirect(303, '/login');
      res.send(`<!doctype html><title>App</title>${security.clientTags(req)}<p>hello</p>`);
    });
    const server = await listen(app);
    closers.push(() => server.close());
    const report = await verifyOn(server.origin, ['server']);
    expect(resultOf(report, 'server')).toMatchObject({
      result: 'fail',
      failure: 'the server still served the page (200) after the idle timeout',
    });
  }, 90_000);

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

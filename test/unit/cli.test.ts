// The pure parts of `session-security verify` (src/cli/): which checks a command can run, the
// `--slow` route it reads, and the report's Markdown (the policy, whichever way it came, and each
// check's result and observations). The checks themselves run against real apps in
// test/e2e/verify.test.ts.

import { describe, expect, it } from 'vitest';
import { notRunnable, slowRoute } from '../../src/cli/checks.js';
import { reportMarkdown } from '../../src/cli/report.js';
import { CHECK_IDS, type VerifyOptions, type VerifyReport } from '../../src/cli/verify.js';

const OPTIONS: VerifyOptions = {
  url: 'http://127.0.0.1:3000/',
  loginUrl: '/login',
  username: 'demo',
  password: 'demo',
  usernameField: 'input[name=username]',
  passwordField: 'input[name=password]',
  submit: 'form [type=submit]',
  logout: '[action$="/logout"] [type=submit]',
  checks: CHECK_IDS,
  chromium: '/usr/bin/chromium',
};

describe('verify: what a command can check', () => {
  it('runs every check it was given the means for', () => {
    const all = { ...OPTIONS, passive: '/api/poll', slow: '/report', absoluteTimeout: 60 };
    expect(CHECK_IDS.map((id) => notRunnable(id, all))).toEqual(CHECK_IDS.map(() => undefined));
  });

  it('says why passive, in-flight and absolute cannot run without their arguments', () => {
    expect(notRunnable('passive', OPTIONS)).toBe('no --passive route given');
    expect(notRunnable('in-flight', OPTIONS)).toBe('no --slow route given');
    expect(notRunnable('absolute', OPTIONS)).toBe('no --absolute-timeout or --preset given');
    expect(notRunnable('absolute', { ...OPTIONS, preset: 'pci-dss-4' })).toBe(
      'no --absolute-timeout given, and pci-dss-4 sets no absolute timeout',
    );
    // A preset that demands one makes the check run: it waits twice the idle timeout.
    expect(notRunnable('absolute', { ...OPTIONS, preset: 'nist-aal3' })).toBeUndefined();
    for (const id of ['warning-window', 'idle', 'server', 'tabs', 'sign-out'] as const) {
      expect(notRunnable(id, OPTIONS)).toBeUndefined();
    }
  });

  it.each([
    ['/report', { method: 'GET', path: '/report' }],
    ['post /upload?seconds=6', { method: 'POST', path: '/upload?seconds=6' }],
    ['  PUT   https://app.test/x  ', { method: 'PUT', path: 'https://app.test/x' }],
  ])('reads --slow %j', (text, route) => {
    expect(slowRoute(text)).toEqual(route);
  });

  it.each(['', 'POST', 'report', 'POST /a /b', 'javascript:alert(1)'])(
    'refuses --slow %j, saying what it takes',
    (text) => {
      expect(() => slowRoute(text)).toThrow(
        `--slow ${JSON.stringify(text)} is not a route: give /path, or METHOD /path`,
      );
    },
  );
});

describe("verify: the report's Markdown", () => {
  const at = Date.UTC(2026, 11, 7, 9, 30, 5, 250);
  const report: VerifyReport = {
    app: 'http://127.0.0.1:3000/',
    startedAt: '2026-12-07T09:30:00.000Z',
    preset: 'nist-aal3',
    times: { expireAfter: 30, warnAfter: 8, absolute: false, expireIn: 30 },
    policy: {
      from: 'run',
      error: 'absoluteTimeout 0 (off) loosens the preset "nist-aal3"',
    },
    checks: [
      {
        id: 'warning-window',
        title: 'The warning gives at least 20 seconds',
        asks: 'WCAG 2.2 SC 2.2.1.',
        observed: [{ at, what: '22 s to respond' }],
        result: 'pass',
      },
      {
        id: 'absolute',
        title: 'An absolute timeout ends even an active session',
        asks: 'NIST SP 800-63B-4.',
        observed: [{ at: at + 63_000, what: 'still signed in 63 s after the sign-in' }],
        result: 'fail',
        failure: 'no absolute timeout',
      },
      {
        id: 'in-flight',
        title: 'A request in flight cannot undo a sign-out',
        asks: 'OWASP ASVS 5.0 V7.',
        observed: [],
        result: 'not-run',
        failure: 'no --slow route given',
      },
    ],
    pass: false,
  };

  it("says the result, the policy (or why describePolicy refused it), and each check's observations with times", () => {
    expect(reportMarkdown(report)).toBe(
      [
        '# session-security verify: FAIL',
        '',
        'App: http://127.0.0.1:3000/, run at 2026-12-07T09:30:00.000Z.',
        '',
        "The page's policy: idle timeout 30 s, warning at 8 s.",
        '',
        '`describePolicy` refused the run\'s policy under the preset nist-aal3: absoluteTimeout 0 (off) loosens the preset "nist-aal3"',
        '',
        '| check | result |',
        '| --- | --- |',
        '| The warning gives at least 20 seconds | pass |',
        '| An absolute timeout ends even an active session | **fail**: no absolute timeout |',
        '| A request in flight cannot undo a sign-out | not run: no --slow route given |',
        '',
        '## The warning gives at least 20 seconds: pass',
        '',
        'WCAG 2.2 SC 2.2.1.',
        '',
        '- 09:30:05.250 22 s to respond',
        '',
        '## An absolute timeout ends even an active session: **fail**: no absolute timeout',
        '',
        'NIST SP 800-63B-4.',
        '',
        '- 09:31:08.250 still signed in 63 s after the sign-in',
        '',
        '## A request in flight cannot undo a sign-out: not run: no --slow route given',
        '',
        'OWASP ASVS 5.0 V7.',
        '',
        '',
      ].join('\n'),
    );
  });

  it("shows the app's own table under its own heading, and the run's under the preset", () => {
    const table = '| setting | value |\n| --- | --- |\n| idle timeout | 15 min |\n';
    const own = reportMarkdown({ ...report, policy: { from: 'app', markdown: table } });
    expect(own).toContain(
      `The policy the app describes (\`describePolicy\` of its options):\n\n${table}\n| check | result |`,
    );
    const run = reportMarkdown({ ...report, policy: { from: 'run', markdown: table } });
    expect(run).toContain(
      "The run's policy (`describePolicy` of the times above and `--absolute-timeout` under the preset nist-aal3):",
    );
  });
});

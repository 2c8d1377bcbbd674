// `npx session-security verify` (docs/guide/testing.md: Evidence for an auditor): drives an app
// in Chromium through a scripted scenario, in real time, against an app the user started with
// short timeouts for the run (never a clock back door), and writes what each check asks (the
// standards), what it observed (with timestamps) and whether it passed, as Markdown and JSON.

import type { Browser, Page } from 'playwright-core';

/** What the run needs: the app, how to sign in, what to check. */
export interface VerifyOptions {
  /** A page of the app a signed-in user sees (the client runs there). */
  url: string;
  /** The login page, absolute or relative to `url`. */
  loginUrl: string;
  username: string;
  password: string;
  usernameField: string;
  passwordField: string;
  submit: string;
  /** A route that must never count as activity (a poll), relative to `url`. */
  passive?: string | undefined;
  /** Which checks to run (default all that the options allow). */
  checks: readonly CheckId[];
  /** Chromium's executable. */
  chromium: string;
}

export const CHECK_IDS = ['warning-window', 'idle', 'server', 'passive'] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** One observation, at a time (ms since the epoch, the machine's clock). */
export interface Observation {
  at: number;
  what: string;
}

export interface CheckResult {
  id: CheckId;
  title: string;
  /** What the standards ask, with their references. */
  asks: string;
  observed: Observation[];
  /** `not-run`: the command gave it nothing to check (no `--passive` route). */
  result: 'pass' | 'fail' | 'not-run';
  /** Why it failed or did not run, in a sentence. */
  failure?: string;
}

/** The client's config as the page has it: the times the run checks against (seconds). */
export interface PageTimes {
  expireAfter: number;
  warnAfter: number;
  absolute: boolean;
  expireIn: number;
}

export interface VerifyReport {
  app: string;
  startedAt: string;
  times: PageTimes | undefined;
  checks: CheckResult[];
  pass: boolean;
}

/** Seconds of slack for timers, page loads and a loaded machine. */
const SLACK_S = 3;
/** The least time a warning gives to respond (WCAG 2.2 SC 2.2.1: at least 20 seconds). */
const MIN_WARNING_S = 20;

const ASKS: Record<CheckId, { title: string; asks: string }> = {
  'warning-window': {
    title: 'The warning gives at least 20 seconds',
    asks: 'WCAG 2.2 SC 2.2.1 (Timing Adjustable): the user is warned before the time expires and given at least 20 seconds to extend it; SC 2.2.6 (Timeouts): users are told how long they may be inactive.',
  },
  idle: {
    title: 'Idle: the warning, then the sign-out, on time',
    asks: 'PCI DSS 4.0 8.2.8: after 15 minutes idle, the user must authenticate again; NIST SP 800-63B-4 (reauthentication after inactivity); OWASP ASVS 5.0 V7 (inactivity timeout); WCAG 2.2 SC 2.2.1 (a warning before it).',
  },
  server: {
    title: 'The server ends an idle session itself',
    asks: 'OWASP ASVS 5.0 V7 (session timeouts enforced on the server); NIST SP 800-63B-4 (the session ends after inactivity, not only its page): a session cookie kept past the idle timeout with no page open must be refused.',
  },
  passive: {
    title: 'A polling route keeps nobody signed in',
    asks: 'PCI DSS 4.0 8.2.8 and OWASP ASVS 5.0 V7: idle means no user activity; a request the page makes by itself (a poll) must not count as activity.',
  },
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the checks against the app; never throws for a failed check (the report says so). */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  let chromium: typeof import('playwright-core')['chromium'];
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error(
      'verify drives Chromium with playwright-core, an optional peer: npm install --save-dev playwright-core',
    );
  }
  const browser = await chromium.launch({
    executablePath: options.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const report: VerifyReport = {
    app: options.url,
    startedAt: new Date().toISOString(),
    times: undefined,
    checks: [],
    pass: false,
  };
  try {
    const first = await signedIn(browser, options);
    report.times = await pageTimes(first.page);
    await first.context.close();
    for (const id of options.checks) {
      report.checks.push(await runCheck(id, browser, options, report.times));
    }
  } finally {
    await browser.close();
  }
  report.pass =
    report.checks.some((check) => check.result === 'pass') &&
    report.checks.every((check) => check.result !== 'fail');
  return report;
}

/** A new browser context signed in through the login form, on `options.url`. */
async function signedIn(browser: Browser, options: VerifyOptions) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const login = new URL(options.loginUrl, options.url);
  await page.goto(login.href);
  await page.fill(options.usernameField, options.username);
  await page.fill(options.passwordField, options.password);
  // Signed in once the form took the page away from the login page.
  await Promise.all([
    page.waitForURL((url) => url.pathname !== login.pathname, { timeout: 10_000 }),
    page.click(options.submit),
  ]);
  await page.goto(options.url);
  await page.waitForFunction(
    "window.sessionSecurity && window.sessionSecurity.state === 'active'",
    undefined,
    { timeout: 10_000 },
  );
  return { context, page, signedInAt: Date.now() };
}

/** The times of the page's client config (seconds). */
async function pageTimes(page: Page): Promise<PageTimes> {
  const text = await page.textContent('#session-security-config');
  const config = JSON.parse(text ?? '{}') as Partial<PageTimes>;
  const { expireAfter, warnAfter, absolute = false, expireIn } = config;
  if (typeof expireAfter !== 'number' || typeof warnAfter !== 'number') {
    throw new Error(`the page ${page.url()} has no session-security config`);
  }
  return { expireAfter, warnAfter, absolute, expireIn: expireIn ?? expireAfter };
}

async function runCheck(
  id: CheckId,
  browser: Browser,
  options: VerifyOptions,
  times: PageTimes,
): Promise<CheckResult> {
  const observed: Observation[] = [];
  const note = (what: string) => observed.push({ at: Date.now(), what });
  if (id === 'passive' && options.passive === undefined) {
    return { id, ...ASKS[id], observed, result: 'not-run', failure: 'no --passive route given' };
  }
  let failure: string | undefined;
  try {
    failure = await CHECKS[id]({ browser, options, times, note });
  } catch (error) {
    failure = `the check could not run: ${(error as Error).message}`;
  }
  return {
    id,
    ...ASKS[id],
    observed,
    result: failure === undefined ? 'pass' : 'fail',
    ...(failure !== undefined && { failure }),
  };
}

interface CheckContext {
  browser: Browser;
  options: VerifyOptions;
  times: PageTimes;
  note: (what: string) => void;
}

/** Each check: undefined when it passed, else why not. */
const CHECKS: Record<CheckId, (context: CheckContext) => Promise<string | undefined>> = {
  async 'warning-window'({ times, note }) {
    const window = times.expireAfter - times.warnAfter;
    note(
      `the page's config: idle timeout ${times.expireAfter} s, warning at ${times.warnAfter} s: ${window} s to respond`,
    );
    return window >= MIN_WARNING_S
      ? undefined
      : `the warning comes ${window} s before the sign-out, less than ${MIN_WARNING_S} s`;
  },

  async idle({ browser, options, times, note }) {
    const { context, page, signedInAt } = await signedIn(browser, options);
    try {
      note('signed in; no input from now on');
      const warned = await waitFor(
        () =>
          page
            .locator('dialog[open]')
            .count()
            .then((n) => n > 0),
        times.expireAfter + SLACK_S,
      );
      if (warned === undefined) return 'no warning was shown before the idle timeout';
      const warnedAfter = (warned - signedInAt) / 1000;
      note(`the warning was shown, ${warnedAfter.toFixed(1)} s after the sign-in`);
      const out = await waitFor(() => signedOut(page, options), times.expireAfter + SLACK_S);
      if (out === undefined)
        return `still signed in ${times.expireAfter + SLACK_S} s after the sign-in`;
      const outAfter = (out - signedInAt) / 1000;
      note(`${await whereOut(page)}, ${outAfter.toFixed(1)} s after the sign-in`);
      if (outAfter < times.expireAfter - SLACK_S) {
        return `signed out after ${outAfter.toFixed(1)} s, before the idle timeout of ${times.expireAfter} s`;
      }
      if ((out - warned) / 1000 < MIN_WARNING_S - SLACK_S) {
        return `the warning came ${((out - warned) / 1000).toFixed(1)} s before the sign-out`;
      }
      return undefined;
    } finally {
      await context.close();
    }
  },

  async server({ browser, options, times, note }) {
    const { context, page } = await signedIn(browser, options);
    try {
      // No page open from now on: only the server can end the session.
      await page.close();
      note(`signed in, then every page closed; waiting ${times.expireAfter + SLACK_S} s`);
      await sleep((times.expireAfter + SLACK_S) * 1000);
      const answer = await context.request.get(options.url, { maxRedirects: 0 });
      const status = answer.status();
      const location = answer.headers().location;
      note(
        `a request with the session's cookie answered ${status}${location ? ` (to ${location})` : ''}`,
      );
      const refused = status === 401 || status === 403 || (status >= 300 && status < 400);
      return refused
        ? undefined
        : `the server still served the page (${status}) after the idle timeout`;
    } finally {
      await context.close();
    }
  },

  async passive({ browser, options, times, note }) {
    const route = new URL(options.passive ?? '', options.url).href;
    const { context, page, signedInAt } = await signedIn(browser, options);
    try {
      // The page polls the route by itself, every 2 s; nobody touches it.
      await page.evaluate(
        `setInterval(() => fetch(${JSON.stringify(route)}, { credentials: 'same-origin' }), 2000)`,
      );
      note(`signed in; the page polls ${options.passive} every 2 s, no input`);
      const out = await waitFor(() => signedOut(page, options), times.expireAfter + 2 * SLACK_S);
      if (out === undefined) {
        note(`still signed in ${times.expireAfter + 2 * SLACK_S} s after the sign-in`);
        return `polling ${options.passive} kept the session alive past the idle timeout`;
      }
      note(
        `signed out ${((out - signedInAt) / 1000).toFixed(1)} s after the sign-in, polling all along`,
      );
      return undefined;
    } finally {
      await context.close();
    }
  },
};

/**
 * Whether the page shows the user signed out: at the login page, or covered by the lock (signing
 * in again in place: the client's state is `locked`), or leaving (`expired`).
 */
async function signedOut(page: Page, options: VerifyOptions): Promise<boolean> {
  if (new URL(page.url()).pathname === new URL(options.loginUrl, options.url).pathname) return true;
  const state = await page.evaluate('window.sessionSecurity && window.sessionSecurity.state');
  return state === 'expired' || state === 'locked';
}

/** Where a signed-out page is, in words. */
async function whereOut(page: Page): Promise<string> {
  const locked = (await page.locator('dialog.session-security-lock[open]').count()) > 0;
  return locked
    ? `the page was covered by the lock (sign in again in place), at ${page.url()}`
    : `the page was at ${page.url()}`;
}

/** Polls `done` every 100 ms for `seconds`; when it held, or undefined. */
async function waitFor(done: () => Promise<boolean>, seconds: number): Promise<number | undefined> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await done().catch(() => false)) return Date.now();
    await sleep(100);
  }
  return undefined;
}

/** The report as Markdown: the policy the page showed, then each check. */
export function reportMarkdown(report: VerifyReport): string {
  const time = (at: number) => new Date(at).toISOString().slice(11, 23);
  const lines = [
    `# session-security verify: ${report.pass ? 'PASS' : 'FAIL'}`,
    '',
    `App: ${report.app}, run at ${report.startedAt}.`,
    '',
  ];
  if (report.times) {
    lines.push(
      `The page's policy: idle timeout ${report.times.expireAfter} s, warning at ${report.times.warnAfter} s${report.times.absolute ? ', an absolute timeout nearer than the idle one' : ''}.`,
      '',
    );
  }
  lines.push('| check | result |', '| --- | --- |');
  const shown = (check: CheckResult) =>
    check.result === 'fail'
      ? `**fail**: ${check.failure}`
      : check.result === 'not-run'
        ? `not run: ${check.failure}`
        : 'pass';
  for (const check of report.checks) lines.push(`| ${check.title} | ${shown(check)} |`);
  for (const check of report.checks) {
    lines.push('', `## ${check.title}: ${shown(check)}`, '', check.asks, '');
    for (const { at, what } of check.observed) lines.push(`- ${time(at)} ${what}`);
  }
  return `${lines.join('\n')}\n`;
}

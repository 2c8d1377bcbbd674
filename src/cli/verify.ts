// `npx session-security verify` (docs/guide/testing.md: Evidence for an auditor): drives an app
// in Chromium through a scripted scenario, in real time, against an app the user started with
// short timeouts for the run (never a clock back door), and writes what each check asks (the
// standards), what it observed (with timestamps) and whether it passed, as Markdown and JSON.

import type { Browser, Page } from 'playwright-core';
import { describePolicy, type PolicyDescription } from '../core/policy-description.js';
import type { Preset } from '../core/presets.js';
import { type Access, signedIn, sleep } from './browser.js';
import { CHECKS, notRunnable } from './checks.js';

/** What the run needs: the app, how to sign in and out, what to check. */
export interface VerifyOptions extends Access {
  /** A route that must never count as activity (a poll), relative to `url`. */
  passive?: string | undefined;
  /** A slow route (`/report`, or `POST /upload?seconds=5`) for the request in flight across a sign-out. */
  slow?: string | undefined;
  /** The standard the app follows: the absolute check fails without one where it demands one. */
  preset?: Preset | undefined;
  /** The app's absolute timeout for the run, in seconds. */
  absoluteTimeout?: number | undefined;
  /** The app's own policy (what `describePolicy(options)` returned), for the report's table. */
  policy?: Pick<PolicyDescription, 'markdown'> | undefined;
  /** Which checks to run (default all that the options allow). */
  checks: readonly CheckId[];
  /** Chromium's executable. */
  chromium: string;
}

export const CHECK_IDS = [
  'warning-window',
  'idle',
  'server',
  'passive',
  'tabs',
  'sign-out',
  'in-flight',
  'absolute',
] as const;
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
  /** `not-run`: the command gave it nothing to check (no `--passive` route, no `--slow` one). */
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

/** The policy table of the report: the app's (`--policy`) or the run's, or why there is none. */
export interface ReportPolicy {
  from: 'app' | 'run';
  markdown?: string;
  /** describePolicy refused the run's times under the preset (e.g. no absolute timeout). */
  error?: string;
}

export interface VerifyReport {
  app: string;
  startedAt: string;
  preset: Preset | undefined;
  times: PageTimes | undefined;
  policy: ReportPolicy | undefined;
  checks: CheckResult[];
  pass: boolean;
}

const ASKS: Record<CheckId, { title: string; asks: string }> = {
  'warning-window': {
    title: 'The warning gives at least 20 seconds',
    asks: 'WCAG 2.2 SC 2.2.1 (Timing Adjustable): the user is warned before the time expires and given at least 20 seconds to extend it; SC 2.2.6 (Timeouts): users are told how long they may be inactive.',
  },
  idle: {
    title: 'Idle: the warning, then the sign-out, on time',
    asks: 'PCI DSS 4.0 8.2.8: after 15 minutes idle, the user must authenticate again; NIST SP 800-63B-4 (reauthentication after inactivity); OWASP ASVS 5.0 V7 (inactivity timeout); WCAG 2.2 SC 2.2.1 (a warning before it). WCAG 2.2 SC 2.2.5 (Re-authenticating, AAA) asks that the user go on without losing data after signing in again: the report says whether the page was kept under the lock or left for the login page.',
  },
  server: {
    title: 'The server ends an idle session itself',
    asks: 'OWASP ASVS 5.0 V7 (session timeouts enforced on the server); NIST SP 800-63B-4 (the session ends after inactivity, not only its page): a session cookie kept past the idle timeout with no page open must be refused.',
  },
  passive: {
    title: 'A polling route keeps nobody signed in',
    asks: 'PCI DSS 4.0 8.2.8 and OWASP ASVS 5.0 V7: idle means no user activity; a request the page makes by itself (a poll) must not count as activity.',
  },
  tabs: {
    title: 'One clock for every tab',
    asks: 'PCI DSS 4.0 8.2.8 and OWASP ASVS 5.0 V7: a user working in one tab is not idle, so no other tab of theirs may warn or sign out; WCAG 2.2 SC 2.2.1: the warning, and the answer to it, hold wherever the user is looking.',
  },
  'sign-out': {
    title: 'Signing out in one tab signs out every tab',
    asks: 'OWASP ASVS 5.0 V7 (logout ends the session on the server); NIST SP 800-63B-4 (a session ended is ended everywhere): after the sign-out the cookie is refused, and no other tab keeps showing the app.',
  },
  'in-flight': {
    title: 'A request in flight cannot undo a sign-out',
    asks: 'OWASP ASVS 5.0 V7 (logout invalidates the session, so it cannot be used again): a request that began before the sign-out and ends after it must not bring the session back.',
  },
  absolute: {
    title: 'An absolute timeout ends even an active session',
    asks: 'NIST SP 800-63B-4 (reauthentication at a set time whatever the activity: 12 hours at AAL3, 24 at AAL2); OWASP ASVS 5.0 V7 (an absolute session lifetime); WCAG 2.2 SC 2.2.1 (a warning before it, even where it cannot be extended).',
  },
};

/** Where Playwright's Chromium driver may be: playwright-core, or what a test setup has. */
const PLAYWRIGHT = ['playwright-core', 'playwright', '@playwright/test'];

/** Playwright's `chromium`, from the first of PLAYWRIGHT installed. */
async function playwrightChromium(): Promise<typeof import('playwright-core')['chromium']> {
  for (const name of PLAYWRIGHT) {
    try {
      const loaded = (await import(name)) as {
        chromium?: typeof import('playwright-core')['chromium'];
      };
      if (loaded.chromium) return loaded.chromium;
    } catch {
      // not installed: the next
    }
  }
  throw new Error(
    `verify drives Chromium with Playwright, an optional peer: none of ${PLAYWRIGHT.join(', ')} is installed (npm install --save-dev playwright-core)`,
  );
}

/** How far apart the checks start. */
const STAGGER_MS = 1000;

/** Runs the checks against the app, all at once; never throws for a failed check (the report says so). */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const chromium = await playwrightChromium();
  const browser = await chromium.launch({
    executablePath: options.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const report: VerifyReport = {
    app: options.url,
    startedAt: new Date().toISOString(),
    preset: options.preset,
    times: undefined,
    policy: undefined,
    checks: [],
    pass: false,
  };
  try {
    const first = await signedIn(browser, options);
    const times = await pageTimes(first.page);
    await first.context.close();
    report.times = times;
    report.policy = policyOf(options, times);
    // All at once, a second apart: eight sign-ins and page loads together would slow each.
    report.checks = await Promise.all(
      options.checks.map(async (id, index) => {
        await sleep(index * STAGGER_MS);
        return runCheck(id, browser, options, times);
      }),
    );
  } finally {
    await browser.close();
  }
  report.pass =
    report.checks.some((check) => check.result === 'pass') &&
    report.checks.every((check) => check.result !== 'fail');
  return report;
}

/**
 * The policy table: the app's own (`--policy`, describePolicy's JSON), else describePolicy of
 * the run's times (the page's, and `--absolute-timeout`) under `--preset`.
 */
function policyOf(options: VerifyOptions, times: PageTimes): ReportPolicy {
  if (options.policy) return { from: 'app', markdown: options.policy.markdown };
  try {
    const { markdown } = describePolicy({
      ...(options.preset && { preset: options.preset }),
      expireAfter: times.expireAfter,
      warnAfter: times.warnAfter,
      absoluteTimeout: options.absoluteTimeout ?? 0,
      isAuthenticated: () => false,
      drafts: false,
    });
    return { from: 'run', markdown };
  } catch (error) {
    return { from: 'run', error: (error as Error).message };
  }
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
  const notRun = notRunnable(id, options);
  if (notRun !== undefined) {
    return { id, ...ASKS[id], observed, result: 'not-run', failure: notRun };
  }
  let failure: string | undefined;
  try {
    failure = await CHECKS[id]({ browser, options, times, note });
  } catch (error) {
    failure = `the check could not run: ${(error as Error).message.split('\n')[0]}`;
  }
  return {
    id,
    ...ASKS[id],
    observed,
    result: failure === undefined ? 'pass' : 'fail',
    ...(failure !== undefined && { failure }),
  };
}

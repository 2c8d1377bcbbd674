// The checks of `session-security verify` (docs/guide/testing.md: Evidence for an auditor): each
// drives the app in real time in its own browser context and says undefined when it held, or why
// not, in a sentence; `note` keeps what it saw, with the time.

import type { Browser } from 'playwright-core';
import { PRESETS, readableSeconds } from '../core/presets.js';
import {
  answerTo,
  endReason,
  keepWorking,
  openTab,
  signedIn,
  signedOut,
  signOutWith,
  sleep,
  waitFor,
  warningShown,
  warningsOf,
  whereOut,
} from './browser.js';
import type { CheckId, PageTimes, VerifyOptions } from './verify.js';

/** Seconds of slack for timers, page loads and a loaded machine. */
export const SLACK_S = 3;
/** The least time a warning gives to respond (WCAG 2.2 SC 2.2.1: at least 20 seconds). */
export const MIN_WARNING_S = 20;
/** How soon what one tab does shows in the others, in seconds. */
const SHARED_S = 2;
/** The keep button of the library's warning (not the lock's dialog): its first. */
const KEEP =
  'dialog.session-security:not(.session-security-lock)[open] .session-security-actions button';

export interface CheckContext {
  browser: Browser;
  options: VerifyOptions;
  times: PageTimes;
  note: (what: string) => void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Why a check cannot run with these options, or undefined when it can. */
export function notRunnable(id: CheckId, options: VerifyOptions): string | undefined {
  if (id === 'passive' && options.passive === undefined) return 'no --passive route given';
  if (id === 'in-flight' && options.slow === undefined) return 'no --slow route given';
  if (id === 'absolute' && options.absoluteTimeout === undefined) {
    const overall = options.preset && PRESETS[options.preset].overall;
    if (!overall) {
      return options.preset
        ? `no --absolute-timeout given, and ${options.preset} sets no absolute timeout`
        : 'no --absolute-timeout or --preset given';
    }
  }
  return undefined;
}

/** Each check: undefined when it passed, else why not. */
export const CHECKS: Record<CheckId, (context: CheckContext) => Promise<string | undefined>> = {
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
    const { context, page, loadedAt } = await signedIn(browser, options);
    try {
      note('signed in; no input from now on');
      const warned = await waitFor(() => warningShown(page), times.expireAfter + SLACK_S);
      if (warned === undefined) return 'no warning was shown before the idle timeout';
      note(`the warning was shown, ${seconds(warned - loadedAt)} after the page's load`);
      const out = await waitFor(() => signedOut(page, options), times.expireAfter + SLACK_S);
      if (out === undefined)
        return `still signed in ${times.expireAfter + SLACK_S} s after the page's load`;
      const outAfter = (out - loadedAt) / 1000;
      note(`${await whereOut(page)}, ${seconds(out - loadedAt)} after the page's load`);
      if (outAfter < times.expireAfter - SLACK_S) {
        return `signed out after ${outAfter.toFixed(1)} s, before the idle timeout of ${times.expireAfter} s`;
      }
      if ((out - warned) / 1000 < MIN_WARNING_S - SLACK_S) {
        return `the warning came ${seconds(out - warned)} before the sign-out`;
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
      const answer = await answerTo(context, options);
      note(`a request with the session's cookie answered ${answer.said}`);
      return answer.refused
        ? undefined
        : `the server did not refuse the session (${answer.said}) after the idle timeout`;
    } finally {
      await context.close();
    }
  },

  async passive({ browser, options, times, note }) {
    const route = new URL(options.passive ?? '', options.url).href;
    const { context, page, loadedAt } = await signedIn(browser, options);
    try {
      // The page polls the route by itself, every 2 s; nobody touches it.
      await page.evaluate(
        `window.__polls = []; setInterval(() => fetch(${JSON.stringify(route)}, { credentials: 'same-origin' }).then((answer) => window.__polls.push(answer.status), () => window.__polls.push(0)), 2000)`,
      );
      note(`signed in; the page polls ${options.passive} every 2 s, no input`);
      // A route the app does not serve proves nothing: the first poll must be answered.
      const firstPoll = async () =>
        (await page.evaluate('window.__polls[0]')) as number | undefined;
      await waitFor(async () => (await firstPoll()) !== undefined, 2 * SLACK_S);
      const status = await firstPoll();
      note(`the first poll answered ${status ?? 'nothing'}`);
      if (status === undefined || status < 200 || status > 299) {
        return `${options.passive} answered ${status ?? 'nothing'} to a signed-in page: not a route it could poll`;
      }
      const out = await waitFor(() => signedOut(page, options), times.expireAfter + 2 * SLACK_S);
      if (out === undefined) {
        note(`still signed in ${times.expireAfter + 2 * SLACK_S} s after the page's load`);
        return `polling ${options.passive} kept the session alive past the idle timeout`;
      }
      note(`signed out ${seconds(out - loadedAt)} after the page's load, polling all along`);
      return undefined;
    } finally {
      await context.close();
    }
  },

  async tabs({ browser, options, times, note }) {
    const { context, page: idle, loadedAt } = await signedIn(browser, options);
    try {
      const busy = await openTab(context, options.url);
      note('signed in; two tabs open, no input in either');
      const first = await waitFor(
        async () => (await warningShown(idle)) || warningShown(busy),
        times.expireAfter + SLACK_S,
      );
      if (first === undefined) return 'no warning was shown before the idle timeout';
      const both = await waitFor(
        async () => (await warningShown(idle)) && warningShown(busy),
        SHARED_S,
      );
      if (both === undefined) return 'the warning showed in one tab and not in the other';
      note(
        `the warning was shown in both tabs, ${seconds(both - loadedAt)} after the first's load`,
      );
      await busy.locator(KEEP).first().click({ timeout: 5000 });
      const keptAt = Date.now();
      note('"stay signed in" chosen in one tab');
      const closed = await waitFor(async () => !(await warningShown(idle)), SHARED_S + 1);
      if (closed === undefined) {
        note(`the other tab still showed the warning ${SHARED_S + 1} s later`);
        return `the warning stayed open in the other tab after "stay signed in" in one`;
      }
      note(`the warning closed in the other tab ${seconds(closed - keptAt)} later`);
      // Work in one tab, none in the other, past the time the idle one would warn by itself.
      const span = times.warnAfter + 2 * SLACK_S;
      const stop = keepWorking(busy);
      note(`input in that tab every 2 s for ${span} s, none in the other`);
      const lapsed = await waitFor(
        async () => (await warningShown(idle)) || signedOut(idle, options),
        span,
      );
      await stop();
      if (lapsed !== undefined) {
        note(
          `the idle tab warned or signed out ${seconds(lapsed - keptAt)} after "stay signed in"`,
        );
        return 'the idle tab warned or signed out while the user worked in the other';
      }
      note(
        `the idle tab was still signed in, without a warning, ${seconds(Date.now() - keptAt)} on (it warns ${times.warnAfter} s after the last input)`,
      );
      return undefined;
    } finally {
      await context.close();
    }
  },

  async 'sign-out'({ browser, options, times, note }) {
    const { context, page: other } = await signedIn(browser, options);
    try {
      const page = await openTab(context, options.url);
      note('signed in; two tabs open');
      await signOutWith(page, options);
      const outAt = Date.now();
      note(
        `signed out with the app's control (${options.logout}) in one tab, now at ${page.url()}`,
      );
      const answer = await answerTo(context, options);
      note(`a request with the session's cookie answered ${answer.said}`);
      if (!answer.refused) {
        return `the server did not refuse the session (${answer.said}) after the sign-out`;
      }
      // The other tab learns of it at its next contact with the server: by its warning at the latest.
      const left = await waitFor(() => signedOut(other, options), times.warnAfter + SLACK_S);
      if (left === undefined) {
        return `the other tab still showed the page ${times.warnAfter + SLACK_S} s after the sign-out`;
      }
      note(
        `in the other tab, ${await whereOut(other)}, ${seconds(left - outAt)} after the sign-out`,
      );
      return undefined;
    } finally {
      await context.close();
    }
  },

  async 'in-flight'({ browser, options, note }) {
    const { method, path } = slowRoute(options.slow ?? '');
    const { context, page } = await signedIn(browser, options);
    try {
      // The slow request shares the tab's cookies and keeps what its answer sets, as the page's
      // own would; sent from outside the page, leaving the page does not cancel it.
      const sentAt = Date.now();
      const slow = context.request
        .fetch(new URL(path, options.url).href, { method, maxRedirects: 0, timeout: 120_000 })
        .then((answer) => ({ at: Date.now(), status: answer.status() }));
      note(`signed in; ${method} ${path} sent`);
      await sleep(500);
      await signOutWith(page, options);
      const outAt = Date.now();
      note(`signed out with the app's control, ${seconds(outAt - sentAt)} after it was sent`);
      const answered = await slow;
      if (answered.at < outAt) {
        return `${method} ${path} answered before the sign-out was done: the check needs a slower route`;
      }
      note(
        `${method} ${path} answered ${answered.status}, ${seconds(answered.at - outAt)} after the sign-out`,
      );
      const answer = await answerTo(context, options);
      note(`then a request with the cookies the browser kept answered ${answer.said}`);
      return answer.refused
        ? undefined
        : `the sign-out was undone: after the request in flight, the session was not refused (${answer.said})`;
    } finally {
      await context.close();
    }
  },

  async absolute({ browser, options, times, note }) {
    const given = options.absoluteTimeout;
    const bound = given ?? 2 * times.expireAfter;
    const { context, page, signedInAt } = await signedIn(browser, options);
    const stop = keepWorking(page);
    try {
      note(
        given === undefined
          ? `signed in; input every 2 s, for up to ${bound} s (twice the idle timeout: no --absolute-timeout given)`
          : `signed in; input every 2 s; the run's absolute timeout is ${given} s`,
      );
      const out = await waitFor(() => signedOut(page, options), bound + SLACK_S);
      if (out === undefined) {
        const rule = options.preset ? PRESETS[options.preset] : undefined;
        const demand = rule?.overall
          ? `; ${options.preset} demands one (${rule.standard} ${rule.clause}: ${readableSeconds(rule.overall.seconds)}, ${rule.overall.strength})`
          : '';
        note(`still signed in ${bound + SLACK_S} s after the sign-in`);
        return `no absolute timeout: still signed in ${bound + SLACK_S} s after the sign-in, with input all along${demand}`;
      }
      const reason = await endReason(page);
      note(`${await whereOut(page)}, ${seconds(out - signedInAt)} after the sign-in`);
      const warned = (await warningsOf(page)).find((warning) => warning.absolute);
      if (warned) {
        note(`the warning said the session ends at a set time, ${seconds(out - warned.at)} before`);
      }
      if (reason !== undefined && reason !== 'absolute') {
        return `signed out for "${reason}" with input all along, not by an absolute timeout`;
      }
      if (given !== undefined && (out - signedInAt) / 1000 < given - SLACK_S) {
        return `signed out after ${seconds(out - signedInAt)}, before the absolute timeout of ${given} s`;
      }
      if (!warned) return 'no warning came before the absolute timeout';
      return undefined;
    } finally {
      await stop();
      await context.close();
    }
  },
};

/** `--slow`: a route, or a method and a route (`POST /upload?seconds=5`). */
export function slowRoute(text: string): { method: string; path: string } {
  const match = /^\s*(?:([A-Za-z]+)\s+)?((?:\/|https?:\/\/)\S*)\s*$/.exec(text);
  if (!match?.[2]) {
    throw new Error(`--slow ${JSON.stringify(text)} is not a route: give /path, or METHOD /path`);
  }
  return { method: (match[1] ?? 'GET').toUpperCase(), path: match[2] };
}

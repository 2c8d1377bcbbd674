// One time for a test's server and its browsers, moved by the test, so a browser test waits for
// the library's own timers (a warning at warnAfter, expiry, a report due before the warning)
// without waiting for them in real time. The server reads this clock; each browser context runs
// Playwright's clock (`context.clock`), installed at the same time and paused. Neither flows with
// real time: only `advance` moves them, by the same amount, so every page and the server agree to
// the millisecond however loaded the machine is. (Playwright's flowing clock loses the real time
// around each jump, differently in each page: pages drifted apart by tens of milliseconds.)
// Requests, messages between tabs and rendering still take real time, and a test waits for
// those on what it observes. No Vitest import: support.ts loads it outside Vitest too.

import type { BrowserContext, Locator, Page, Request } from 'playwright-core';
import type { Clock } from '../../src/core/clock.js';
import { sleep } from '../support/sleep.js';

export interface AdvanceOptions {
  /** The clock moves in steps of at most this (ms), each step's requests answered before the next. */
  stepMs?: number;
  /**
   * How long (real ms) a step waits at most for its requests to be answered; 0 for a test whose
   * server holds requests on purpose.
   */
  settleMs?: number;
}

export class SharedClock implements Clock {
  #time = Date.now();
  /** The requests in flight in each context this clock runs in. */
  readonly #contexts = new Map<BrowserContext, Set<Request>>();

  /** The server's time: where the clock was created, plus every advance since. */
  readonly now = (): number => this.#time;

  /** Runs this clock, paused at its time, in `context`: call before the context opens a page. */
  async install(context: BrowserContext): Promise<void> {
    const inFlight = new Set<Request>();
    context.on('request', (request) => inFlight.add(request));
    context.on('requestfinished', (request) => inFlight.delete(request));
    context.on('requestfailed', (request) => inFlight.delete(request));
    context.on('close', () => this.#contexts.delete(context));
    // Installed a little before, then paused at the time itself: a pause cannot go back.
    await context.clock.install({ time: this.#time - 1000 });
    await context.clock.pauseAt(this.#time);
    this.#contexts.set(context, inFlight);
  }

  /**
   * Moves the server and every browser context forward by `ms`, in steps: in each, the server's
   * clock moves first, then each context runs its timers due in the step, then the step waits
   * until the requests those timers sent are answered (so the client acts on each answer before
   * the next step, as it would in real time).
   */
  async advance(ms: number, { stepMs = 200, settleMs = 2000 }: AdvanceOptions = {}): Promise<void> {
    if (!(ms >= 0) || !(stepMs > 0)) {
      throw new RangeError(`advance(${ms}, { stepMs: ${stepMs} }) needs ms >= 0 and stepMs > 0`);
    }
    for (let left = ms; left > 0; left -= stepMs) {
      const step = Math.min(stepMs, left);
      this.#time += step;
      await Promise.all([...this.#contexts.keys()].map((context) => context.clock.runFor(step)));
      await this.settled(settleMs);
    }
  }

  /** Moves both clocks forward to the server time `at` (at once if it is past). */
  advanceTo(at: number, options?: AdvanceOptions): Promise<void> {
    return this.advance(Math.max(0, at - this.now()), options);
  }

  /**
   * Moves both clocks forward, step by step, until `done()` holds; fails, saying `what` did not
   * happen, once `withinMs` of clock time has passed without it.
   */
  async advanceUntil(
    done: () => boolean | Promise<boolean>,
    what: string,
    { withinMs = 10_000, ...options }: AdvanceOptions & { withinMs?: number } = {},
  ): Promise<void> {
    const from = this.now();
    while (!(await done())) {
      if (this.now() - from >= withinMs) {
        throw new Error(`${what} did not happen within ${withinMs} ms of the shared clock`);
      }
      await this.advance(options.stepMs ?? 200, options);
    }
  }

  /**
   * Moves both clocks until every page of `pages` is at `url` (where the client took it: expiry,
   * a sign-out), then waits for their loads; fails after `withinMs` of clock time.
   */
  async advanceUntilAt(
    pages: Page | Page[],
    url: string | RegExp,
    { withinMs }: { withinMs: number },
  ): Promise<void> {
    const all = [pages].flat();
    const at = (page: Page) =>
      typeof url === 'string' ? page.url() === url : url.test(page.url());
    await this.advanceUntil(() => all.every(at), `${all.length} page(s) at ${url}`, { withinMs });
    await Promise.all(all.map((page) => page.waitForURL(url)));
  }

  /** Moves both clocks until `locator` matches (a warning, a notice, a cover); `withinMs` at most. */
  advanceUntilShown(locator: Locator, what: string, { withinMs }: { withinMs: number }) {
    return this.advanceUntil(async () => (await locator.count()) > 0, what, { withinMs });
  }

  /**
   * Waits (real time, `timeoutMs` at most) until no request of any context is in flight, after
   * a moment for requests that timers just started to show up.
   */
  async settled(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await sleep(Math.min(15, timeoutMs));
    const busy = () => [...this.#contexts.values()].some((inFlight) => inFlight.size > 0);
    while (busy() && Date.now() < deadline) await sleep(10);
  }
}

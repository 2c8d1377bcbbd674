// One time for a test's server and its browsers, moved by the test (docs/guide/testing.md): the
// server reads it (the `clock` option, the Redis store's `now`), and each Playwright browser
// context runs Playwright's clock, installed at the same time and paused. Neither flows with real
// time: only `advance` moves them, by the same amount, so the pages and the server agree to the
// millisecond however loaded the machine is, and 15 minutes pass in a moment. Requests, messages
// between tabs and rendering still take real time: each step waits for the requests its timers
// sent. Structural types only: no Playwright import, so the entry needs none installed.

import type { Clock } from '../core/clock.js';

/** What the clock needs of a Playwright request (playwright-core's or @playwright/test's). */
export type RequestLike = object;

/** What the clock needs of a Playwright browser context. */
export interface BrowserContextLike {
  on(
    event: 'request' | 'requestfinished' | 'requestfailed',
    listener: (r: RequestLike) => void,
  ): unknown;
  on(event: 'close', listener: () => void): unknown;
  clock: {
    install(options: { time: number }): Promise<void>;
    pauseAt(time: number): Promise<void>;
    runFor(ms: number): Promise<void>;
  };
}

/** What the clock needs of a Playwright page. */
export interface PageLike {
  url(): string;
  waitForURL(url: string | RegExp): Promise<void>;
}

/** What the clock needs of a Playwright locator. */
export interface LocatorLike {
  count(): Promise<number>;
}

export interface AdvanceOptions {
  /** The clocks move in steps of at most this (ms, default 200), each step's requests answered before the next. */
  stepMs?: number;
  /**
   * How long (real ms, default 2000) a step waits at most for its requests to be answered; 0 for
   * a test whose server holds requests on purpose.
   */
  settleMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A clock for tests, shared by the server and the browsers: pass it as the server's `clock`
 * option (and the Redis store's `now: () => clock.now()`), `install` it in each browser context
 * before it opens a page, then `advance` it. Times are milliseconds.
 *
 * @example
 * ```ts
 * const clock = new TestClock(0); // give it as sessionSecurity({ clock, … })
 * await clock.advance(15 * 60_000); // at once: no browser installed
 * clock.now(); // 900000
 * ```
 */
export class TestClock implements Clock {
  #time: number;
  /** The requests in flight in each context this clock runs in. */
  readonly #contexts = new Map<BrowserContextLike, Set<RequestLike>>();

  /** @param startMs - where the clock starts (default the real time now) */
  constructor(startMs: number = Date.now()) {
    this.#time = startMs;
  }

  /** The time, for the server: where the clock started, plus every advance since. */
  readonly now = (): number => this.#time;

  /** Runs this clock, paused at its time, in a browser context: call before the context opens a page. */
  async install(context: BrowserContextLike): Promise<void> {
    const inFlight = new Set<RequestLike>();
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
   * Moves the server and every installed browser context forward by `ms` (at once without any),
   * in steps: in each, the server's clock moves first, then each context runs its timers due in
   * the step, then the step waits until the requests those timers sent are answered (as the
   * client acts on each answer before the next step in real time).
   *
   * @throws RangeError for a negative or non-finite `ms`
   */
  async advance(ms: number, { stepMs = 200, settleMs = 2000 }: AdvanceOptions = {}): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms) || !(stepMs > 0)) {
      throw new RangeError(
        `advance(${ms}, { stepMs: ${stepMs} }) needs 0 <= ms < Infinity and stepMs > 0`,
      );
    }
    // No browser to keep in step (a server-side test): at once.
    if (this.#contexts.size === 0) {
      this.#time += ms;
      return;
    }
    for (let left = ms; left > 0; left -= stepMs) {
      const step = Math.min(stepMs, left);
      this.#time += step;
      await Promise.all([...this.#contexts.keys()].map((context) => context.clock.runFor(step)));
      await this.settled(settleMs);
    }
  }

  /** Moves the clocks forward to the time `at` (at once if it is past). */
  advanceTo(at: number, options?: AdvanceOptions): Promise<void> {
    return this.advance(Math.max(0, at - this.now()), options);
  }

  /**
   * Moves the clocks forward, step by step, until `done()` holds; fails, saying `what` did not
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
        throw new Error(`${what} did not happen within ${withinMs} ms of the test clock`);
      }
      await this.advance(options.stepMs ?? 200, options);
    }
  }

  /**
   * Moves the clocks until every page of `pages` is at `url` (where the client took it: expiry, a
   * sign-out), then waits for their loads; fails after `withinMs` of clock time.
   */
  async advanceUntilAt(
    pages: PageLike | PageLike[],
    url: string | RegExp,
    { withinMs }: { withinMs: number },
  ): Promise<void> {
    const all = [pages].flat();
    const at = (page: PageLike) =>
      typeof url === 'string' ? page.url() === url : url.test(page.url());
    await this.advanceUntil(() => all.every(at), `${all.length} page(s) at ${url}`, { withinMs });
    await Promise.all(all.map((page) => page.waitForURL(url)));
  }

  /** Moves the clocks until `locator` matches (a warning, a notice, a cover); `withinMs` at most. */
  advanceUntilShown(locator: LocatorLike, what: string, { withinMs }: { withinMs: number }) {
    return this.advanceUntil(async () => (await locator.count()) > 0, what, { withinMs });
  }

  /**
   * Waits (real time, `timeoutMs` at most) until no request of any context is in flight, after a
   * moment for requests that timers just started to show up.
   */
  async settled(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await sleep(Math.min(15, timeoutMs));
    const busy = () => [...this.#contexts.values()].some((inFlight) => inFlight.size > 0);
    while (busy() && Date.now() < deadline) await sleep(10);
  }
}

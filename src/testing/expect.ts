// What a test asks of a page or an answer (docs/guide/testing.md): the warning shown, the page
// signed out and why, a server's answer expired and why. Framework-neutral: no assertion library,
// structural types for Playwright's pages and for fetch's or supertest's answers.

import type { LocatorLike, PageLike, TestClock } from './clock.js';

/**
 * The helpers' step (ms): the clocks move 5 s at a time, each step's requests answered before the
 * next, so 15 minutes take some 180 steps. Shorter than any warning window the options allow (20 s).
 */
const STEP_MS = 5000;

/** What the helpers need of a Playwright page: the clock's, a locator, and an expression to evaluate. */
export interface ClientPageLike extends PageLike {
  locator(selector: string): LocatorLike;
  evaluate(expression: string): Promise<unknown>;
}

/**
 * The client's state in a page: `active`, `warning`, `locked`, `expired`, `stopped`, or undefined without
 * one (a page without the client, or one on its way elsewhere).
 */
export async function clientState(page: ClientPageLike): Promise<string | undefined> {
  let state: unknown;
  try {
    state = await page.evaluate('window.sessionSecurity && window.sessionSecurity.state');
  } catch {
    // The page is leaving (its context destroyed by a navigation): no client to ask.
    return undefined;
  }
  return typeof state === 'string' ? state : undefined;
}

/**
 * Moves the clock until the page warns: its warning dialog is open, or (a client with `ui:
 * false`, or your own dialog) the client's state is `warning`. Fails after `withinMs` of clock
 * time (default 20 minutes); the clocks move `stepMs` at a time (default 5 s).

 */
export async function expectWarning(
  clock: TestClock,
  page: ClientPageLike,
  { withinMs = 20 * 60_000, stepMs = STEP_MS }: { withinMs?: number; stepMs?: number } = {},
): Promise<void> {
  const dialog = page.locator('dialog[open]');
  await clock.advanceUntil(
    async () => (await dialog.count()) > 0 || (await clientState(page)) === 'warning',
    'the warning',
    { withinMs, stepMs },
  );
}

/**
 * Moves the clock until the page is signed out: it left for the login page (or reloaded without
 * a client), or its client is `expired` or `locked` (the lock covers the page). Resolves with the
 * reason (`idle`, `absolute`, `logout`, `revoked`, `lost`): the login page's, else the client's
 * (a page under the lock, or one still leaving), or undefined when neither names one; fails
 * after `withinMs` of clock time (default 20 minutes), or when the reason is not `reason`.

 */
export async function expectSignedOut(
  clock: TestClock,
  page: ClientPageLike,
  {
    reason,
    withinMs = 20 * 60_000,
    stepMs = STEP_MS,
  }: { reason?: string; withinMs?: number; stepMs?: number } = {},
): Promise<string | undefined> {
  const from = page.url();
  // The reason as the client gives it: a page covered by the lock, or one still on its way to the
  // login page, has none in its URL yet.
  await page.evaluate(RECORD_REASON).catch(() => undefined);
  const out = async () => {
    const state = await clientState(page);
    if (page.url() !== from) return state !== 'active';
    // Leaving for the login page, or covered by the lock (signing in again in place).
    return state === 'expired' || state === 'locked';
  };
  await clock.advanceUntil(out, 'the sign-out', { withinMs, stepMs });
  const recorded = await page.evaluate(RECORDED_REASON).catch(() => undefined);
  // The URL once the page got there; else the client's word; else the URL of a page that got
  // there meanwhile (the evaluation found its document gone).
  const given =
    reasonOfUrl(page.url()) ??
    (typeof recorded === 'string' ? recorded : undefined) ??
    reasonOfUrl(page.url());
  if (reason !== undefined && given !== reason) {
    throw new Error(`signed out with reason ${String(given)}, not ${reason} (at ${page.url()})`);
  }
  return given;
}

/** Keeps the reason of the page client's `expire` event, once, in the page. */
const RECORD_REASON = `window.sessionSecurity && !('__sessionSecurityTestReason' in window) &&
  (window.__sessionSecurityTestReason = undefined,
   window.sessionSecurity.addEventListener('expire', (event) => {
     window.__sessionSecurityTestReason = event.detail && event.detail.reason;
   }))`;
const RECORDED_REASON = 'window.__sessionSecurityTestReason';

function reasonOfUrl(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('reason') ?? undefined;
  } catch {
    return undefined;
  }
}

/** A server's answer as fetch gives it (`Response`) or supertest and light-my-request do. */
export type AnswerLike =
  | {
      status: number;
      headers: { get(name: string): string | null };
      clone(): { json(): Promise<unknown> };
    }
  | {
      status?: number;
      statusCode?: number;
      headers: Record<string, string | string[] | number | undefined>;
      body?: unknown;
      text?: string;
      payload?: string;
    };

/**
 * Why an answer says the sign-in is over: the reason of a redirect to the login page (`303`,
 * `?reason=`) or of a `401 {"status":"expired"}` (`idle`, `absolute`, `revoked`, `lost`), `logout`
 * for `401 {"status":"anonymous","reason":"logout"}`, `anonymous` for any other `401
 * {"status":"anonymous"}`; undefined for an answer of a live sign-in (or any other).
 *
 * @example
 * ```ts
 * await expiredReason(new Response('{"status":"expired","reason":"idle"}', { status: 401 })); // 'idle'
 * ```
 */
export async function expiredReason(answer: AnswerLike): Promise<string | undefined> {
  const status =
    'status' in answer && answer.status !== undefined
      ? answer.status
      : (answer as { statusCode?: number }).statusCode;
  const header = (name: string): string | undefined => {
    const { headers } = answer;
    if (typeof (headers as { get?: unknown }).get === 'function') {
      return (headers as { get(name: string): string | null }).get(name) ?? undefined;
    }
    const value = (headers as Record<string, unknown>)[name];
    return Array.isArray(value)
      ? String(value[0])
      : value === undefined
        ? undefined
        : String(value);
  };
  if (status === 302 || status === 303) {
    const location = header('location');
    return location === undefined
      ? undefined
      : reasonOfUrl(new URL(location, 'http://app.invalid').href);
  }
  if (status !== 401) return undefined;
  const body = (await bodyOf(answer)) as { status?: unknown; reason?: unknown } | undefined;
  if (body?.status === 'expired' && typeof body.reason === 'string') return body.reason;
  if (body?.status === 'anonymous') return body.reason === 'logout' ? 'logout' : 'anonymous';
  return undefined;
}

async function bodyOf(answer: AnswerLike): Promise<unknown> {
  try {
    if ('clone' in answer && typeof answer.clone === 'function') return await answer.clone().json();
    const { body, text, payload } = answer as { body?: unknown; text?: string; payload?: string };
    if (body !== undefined && typeof body === 'object') return body;
    const raw = text ?? payload ?? (typeof body === 'string' ? body : undefined);
    return raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    return undefined;
  }
}

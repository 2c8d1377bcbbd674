// What the lifecycle tells an adapter to do with a request, in one shape: pass it on to the app,
// or send a reply whose status, headers and body are final (the 303 of an expired page load, its
// `Cache-Control: no-store`, the JSON of the ping protocol, `Clear-Site-Data` after a sign-out).
// An adapter copies a reply onto its framework's response and decides nothing (ARCHITECTURE.md).

import {
  RecentSignInRequiredError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
} from '../core/errors.js';
import { type Answer, answers } from '../core/protocol.js';
import { type HeaderGetter, isNavigation } from '../core/request.js';

/**
 * An answer to send as it is: every header named in lower case, the body already serialised.
 *
 * @example
 * ```ts
 * if (outcome.kind === 'reply') res.writeHead(outcome.status, outcome.headers).end(outcome.body ?? undefined);
 * ```
 */
export interface Reply {
  readonly kind: 'reply';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text, the bytes of a client asset, or null (a redirect, a 304, a HEAD). */
  readonly body: string | Uint8Array | null;
}

/**
 * What the adapter does with one request: `next` hands it on to the app untouched; a
 * {@link Reply} is sent instead.
 *
 * @example
 * ```ts
 * const outcome = await lifecycle.handle(facts, session);
 * if (outcome.kind === 'next') next(); // on to the app
 * ```
 */
export type Outcome = { readonly kind: 'next' } | Reply;

/** The outcome that hands a request on to the app. */
export const NEXT: Outcome = Object.freeze({ kind: 'next' });

/** The content type of every JSON answer of the library. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A JSON answer of the protocol as a reply. */
export function jsonReply(answer: Answer): Reply {
  return {
    kind: 'reply',
    status: answer.status,
    headers: { ...answer.headers, 'content-type': JSON_CONTENT_TYPE },
    body: JSON.stringify(answer.body),
  };
}

/**
 * A 303 to `location`: a POST that found its session over comes back as a GET. Never cached:
 * it depends on the session's state at this moment.
 */
export function redirectReply(location: string): Reply {
  return {
    kind: 'reply',
    status: 303,
    headers: { location, 'cache-control': 'no-store' },
    body: null,
  };
}

/** The page a person sees when the session store is down for their page load. */
const UNAVAILABLE_PAGE = 'The service is unavailable for a moment. Please try again.';

/**
 * The answer to an error of session-security thrown out of an app's request: 503 for a
 * {@link SessionStoreUnavailableError} (JSON like the library's own answers, or a short plain
 * page for a page load, with the error's `Retry-After`); for a {@link RecentSignInRequiredError}
 * a 303 to the login page for a page load, `401 {"status":"reauth"}` otherwise; the error's
 * status for another {@link SessionSecurityRequestError} (403 from `signOut`); undefined for any
 * other error.
 */
export function errorReply(error: unknown, header: HeaderGetter | undefined): Reply | undefined {
  if (error instanceof SessionStoreUnavailableError) {
    const unavailable = jsonReply(answers.unavailable());
    const headers = { ...unavailable.headers, ...error.headers };
    if (header === undefined || !isNavigation(header)) return { ...unavailable, headers };
    const page = { ...headers, 'content-type': 'text/plain; charset=utf-8' };
    return { kind: 'reply', status: unavailable.status, headers: page, body: UNAVAILABLE_PAGE };
  }
  if (error instanceof RecentSignInRequiredError) {
    const navigation = header !== undefined && isNavigation(header);
    if (navigation && error.location !== undefined) return redirectReply(error.location);
    return jsonReply(answers.reauth(error.maxAge));
  }
  if (error instanceof SessionSecurityRequestError) {
    const body = { status: 'error', error: error.message };
    return jsonReply({ status: error.status, headers: { 'cache-control': 'no-store' }, body });
  }
  return undefined;
}

// The lifecycle's outcomes and the library's errors as fetch-style `Response`s. No policy of
// session-security: the replies are decided in src/server/outcome.ts.

import {
  RecentSignInRequiredError,
  SessionSecurityRequestError,
  SessionStoreUnavailableError,
} from '../core/errors.js';
import { errorReply, type Outcome, type Reply } from '../server/outcome.js';
import { webHeaderGetter } from './request.js';

/**
 * A reply's body as a Response takes it. A string stays a string: @hono/node-server writes it in
 * one go, where a body read back as a stream costs a web stream per answer.
 */
export function bodyOf(reply: Reply): string | Uint8Array<ArrayBuffer> | null {
  const { body } = reply;
  if (typeof body === 'string' || body === null) return body;
  // The same bytes as a plain Uint8Array over the same memory (no copy).
  return new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength);
}

/** The lifecycle's outcome as a Response; undefined when the request goes on to the app. */
export function toResponse(outcome: Outcome): Response | undefined {
  if (outcome.kind === 'next') return undefined;
  return new Response(bodyOf(outcome), { status: outcome.status, headers: outcome.headers });
}

/**
 * The answer to an error of session-security, for a fetch handler's or Hono's `onError`: 503 for
 * a `SessionStoreUnavailableError` (JSON, or a short plain page for a page load, with
 * `Retry-After`), the error's status for a `SessionSecurityRequestError` (403 from `signOut`);
 * undefined for any other error.
 *
 * @example
 * ```ts
 * app.onError((error, c) => errorResponse(error, c.req.raw) ?? c.text('Internal Server Error', 500));
 * ```
 */
export function errorResponse(error: unknown, request?: Request): Response | undefined {
  const reply = errorReply(error, request && webHeaderGetter(request.headers));
  return reply && toResponse(reply);
}

/**
 * Gives an error of the library the `getResponse()` by which Hono's default error handler answers
 * it (as HTTPException), and throws it on; other errors are thrown as they are. With `request`,
 * the answer is the one for that request (a page load or a fetch).
 */
export function throwAnswerable(error: unknown, request?: Request): never {
  const ours =
    error instanceof SessionSecurityRequestError || error instanceof SessionStoreUnavailableError;
  throw ours ? answerable(error, request) : error;
}

/** Gives an error the `getResponse()` by which Hono's default error handler answers it. */
export function answerable<E extends Error>(error: E, request?: Request): E {
  return Object.assign(error, { getResponse: () => errorResponse(error, request) });
}

/**
 * `requireRecentSignIn` as fetch-style entries answer it: undefined when the sign-in is recent
 * enough, else the Response to send for this request (a 303 to the login page for a page load,
 * `401 {"status":"reauth"}` otherwise); any other error is thrown on.
 */
export async function recentSignInResponse(
  asked: Promise<void>,
  request: Request,
): Promise<Response | undefined> {
  try {
    await asked;
    return undefined;
  } catch (error) {
    if (error instanceof RecentSignInRequiredError) return errorResponse(error, request);
    throw error;
  }
}

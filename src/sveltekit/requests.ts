// What session-security/sveltekit needs to know of SvelteKit's own requests (data requests,
// enhanced form actions, remote functions, server-side sub-requests) and how the lifecycle's
// replies are put in the forms SvelteKit's client follows. No policy of session-security.

import type { Cookies, RequestEvent } from '@sveltejs/kit';
import type { Reply } from '../server/outcome.js';
import { bodyOf } from '../web/response.js';

/**
 * How SvelteKit's client reads the answer to a request, and so how a redirect must reach it:
 * - `page`: a document (a page load, a native form post) or any request of the app's own code:
 *   the lifecycle's answer as it is (a 303 for a page load);
 * - `data`: a `__data.json` request (client navigation, `invalidate()`) or a remote function:
 *   the client follows only `{"type":"redirect","location":…}` in a 200 JSON body;
 * - `action`: a form action posted by `use:enhance` (`x-sveltekit-action: true`): the client
 *   follows only the ActionResult `{"type":"redirect","status":…,"location":…}`.
 */
export type KitRequestKind = 'page' | 'data' | 'action';

/** The kind of a SvelteKit request, by the facts SvelteKit puts on its event. */
export function kindOf(event: RequestEvent): KitRequestKind {
  if (event.isSubRequest) return 'page';
  // `isRemoteRequest` came with SvelteKit 2.27; older versions leave it out.
  if (event.isDataRequest || event.isRemoteRequest === true) return 'data';
  const { request } = event;
  if (request.method === 'POST' && request.headers.get('x-sveltekit-action') === 'true') {
    return 'action';
  }
  return 'page';
}

/**
 * Whether SvelteKit's own machinery made the request rather than a person: a data request (a
 * client navigation's or `invalidate()`'s load), a server-side `fetch` of a load function, and a
 * remote function's query (a GET). A person's clicks and keys behind a client navigation are
 * counted by the browser client's ping.
 */
export function isKitBackground(event: RequestEvent): boolean {
  if (event.isDataRequest || event.isSubRequest) return true;
  return event.isRemoteRequest === true && event.request.method === 'GET';
}

/**
 * The request the lifecycle checks for one that SvelteKit's client makes by `fetch`: at the page's
 * URL (`event.url`, without `__data.json` and SvelteKit's parameters, for the login page's `next`)
 * and with a document navigation's headers, so that an ended sign-in gets the core's redirect to
 * the login page, which the caller turns into SvelteKit's JSON form. No body: the lifecycle reads
 * the body of its own routes only, and taking the original's would leave none for the app.
 */
export function asNavigation(event: RequestEvent): Request {
  const headers = new Headers(event.request.headers);
  headers.set('sec-fetch-mode', 'navigate');
  headers.set('sec-fetch-dest', 'document');
  headers.set('accept', 'text/html');
  return new Request(event.url, { method: event.request.method, headers });
}

/**
 * The lifecycle's reply as a Response SvelteKit's client follows for this kind of request, the
 * reply's own headers kept (`Cache-Control: no-store`), with the cookies written in this request.
 */
export function kitResponse(reply: Reply, kind: KitRequestKind, cookies: string[]): Response {
  const headers = new Headers(reply.headers);
  const location = headers.get('location');
  let status = reply.status;
  let body: string | Uint8Array<ArrayBuffer> | null = bodyOf(reply);
  if (location !== null && kind !== 'page') {
    headers.delete('location');
    headers.set('content-type', 'application/json');
    body = JSON.stringify(
      kind === 'data'
        ? { type: 'redirect', location }
        : { type: 'redirect', status: reply.status, location },
    );
    status = 200;
  }
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(body, { status, headers });
}

/** An event whose cookies record what is written through them, and what was written. */
export interface RecordingEvent {
  event: RequestEvent;
  /** The `Set-Cookie` values of the cookies written through `event.cookies` so far. */
  written(): string[];
}

/**
 * A copy of the event whose `cookies` write through to SvelteKit's and remember each write.
 * SvelteKit adds the cookies of `event.cookies` to the answer of `resolve()` and of a thrown
 * `redirect()`, but not to a Response that `handle` returns itself: without this, an answer of
 * the library's (a logout, an expired sign-in) would lose the cookie the session's `destroy()`
 * clears.
 */
export function recordingCookies(event: RequestEvent): RecordingEvent {
  const { cookies } = event;
  const writes: Array<() => string> = [];
  const recording: Cookies = {
    get: (name, options) => cookies.get(name, options),
    getAll: (options) => cookies.getAll(options),
    set(name, value, options) {
      cookies.set(name, value, options);
      writes.push(() => cookies.serialize(name, value, options));
    },
    delete(name, options) {
      cookies.delete(name, options);
      writes.push(() => cookies.serialize(name, '', { ...options, maxAge: 0 }));
    },
    serialize: (name, value, options) => cookies.serialize(name, value, options),
  };
  return { event: { ...event, cookies: recording }, written: () => writes.map((write) => write()) };
}

/** The `lang` of the page's `<html>` element, when this chunk of its HTML has it. */
export function pageLang(html: string): string | undefined {
  const start = html.search(/<html[\s>]/i);
  if (start === -1) return undefined;
  const end = html.indexOf('>', start);
  const tag = html.slice(start, end === -1 ? undefined : end);
  return /\slang="([^"]*)"/i.exec(tag)?.[1] || undefined;
}

/** The HTML with the tags put just before its `</head>`; undefined when this chunk has none. */
export function withTags(html: string, tags: string): string | undefined {
  const at = html.indexOf('</head>');
  if (at === -1) return undefined;
  return `${html.slice(0, at)}${tags}\n${html.slice(at)}`;
}

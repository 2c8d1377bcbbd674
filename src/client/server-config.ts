// The client's config for a page the server did not render (a single-page app's static
// index.html, a Vite dev server): asked of the app's own `{prefix}/config` route, which answers
// what `clientTags` would have written into the page. When the client cannot start, the console
// says why, once: nobody signed in, the route missing, a dev server answering in the app's place.

import type { ClientOptions } from './session-security.js';

/** Where the config is asked for by default: the `config` route under the default prefix. */
export const DEFAULT_CONFIG_URL = '/session-security/config';

/** How {@link fetchClientConfig} asks. */
export interface FetchClientConfigOptions {
  /** The page's language, for the dialog's catalogue. Default `<html lang>`. */
  lang?: string;
  /** The console the reasons go to. Default `console`. */
  console?: Pick<Console, 'info' | 'warn'>;
  /** The fetch to use. Default the page's. */
  fetch?: typeof fetch;
}

const PREFIX = 'session-security: the client did not start:';

/** The JSON of an answer, or undefined when it is not JSON. */
async function jsonOf(response: Response): Promise<Record<string, unknown> | undefined> {
  const type = response.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) return undefined;
  try {
    const body: unknown = await response.json();
    return body !== null && typeof body === 'object'
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks the app for this page's client config (`GET {prefix}/config`, with the page's cookies).
 * Asking is passive: it never extends the session. Resolves with the config of the signed-in
 * session, or `undefined` when the client should not start, after saying why in the console
 * (`info` when nobody is signed in, `warn` when something is set up wrong).
 *
 * @param url - the config route; default `/session-security/config`
 * @param options - the page's language, the console and fetch to use
 * @returns the options to start a `SessionSecurity` with, or undefined
 * @example
 * ```ts
 * const config = await fetchClientConfig('/session-security/config');
 * if (config) new SessionSecurity(config).start();
 * ```
 */
export async function fetchClientConfig(
  url: string = DEFAULT_CONFIG_URL,
  options: FetchClientConfigOptions = {},
): Promise<ClientOptions | undefined> {
  const out = options.console ?? console;
  const lang = options.lang ?? globalThis.document?.documentElement.lang;
  const target = new URL(url, globalThis.location?.href);
  if (lang) target.searchParams.set('lang', lang);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(target.href, {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      cache: 'no-store',
    });
  } catch (error) {
    out.warn(`${PREFIX} GET ${url} failed (${String(error)}): is the app's server running?`);
    return undefined;
  }
  const body = await jsonOf(response);
  const config = body?.config as ClientOptions | undefined;
  if (response.ok && body?.status === 'active' && typeof config?.pingUrl === 'string') {
    return config;
  }
  if (body === undefined) {
    const type = response.headers.get('content-type') ?? 'no Content-Type';
    out.warn(
      `${PREFIX} GET ${url} answered ${response.status} (${type}), not session-security's JSON: is session-security mounted with this prefix on the server, and does this server reach it? In a dev server, proxy the prefix to the app (Vite: server.proxy)`,
    );
  } else if (response.status === 401) {
    const why =
      body.status === 'expired'
        ? `the session expired (${String(body.reason)})`
        : 'nobody is signed in';
    out.info(
      `${PREFIX} ${why} (GET ${url} answered 401); it starts on a page loaded after sign-in`,
    );
  } else {
    const error = typeof body.error === 'string' ? `: ${body.error}` : '';
    out.warn(`${PREFIX} GET ${url} answered ${response.status}${error}`);
  }
  return undefined;
}

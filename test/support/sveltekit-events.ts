// SvelteKit's side of a request in small, for tests of session-security/sveltekit without a
// build: a RequestEvent made as SvelteKit makes it (its cookies, locals, `setHeaders`, the data
// request's stripped URL), and a `resolve` that renders a page as SvelteKit does (the hook's
// `transformPageChunk`, the headers and cookies of the request). The browser test
// (test/e2e/sveltekit.test.ts) runs the real thing.

import type { Cookies, RequestEvent, ResolveOptions } from '@sveltejs/kit';
import type { SvelteKitSessionSecurity } from 'session-security/sveltekit';

/** A cookie written in a request, as SvelteKit keeps it until the answer. */
interface Written {
  value: string;
  options: { path: string; maxAge?: number };
}

/** SvelteKit's `event.cookies` in small: the request's cookies, then what the request wrote. */
export function kitCookies(request: Request): Cookies & { written: Map<string, Written> } {
  const initial = new Map<string, string>();
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name && value !== undefined) initial.set(name, value);
  }
  const written = new Map<string, Written>();
  const serialize = (name: string, value: string, options: Written['options']) =>
    `${name}=${value}; Path=${options.path}${options.maxAge === 0 ? '; Max-Age=0' : ''}; HttpOnly`;
  const cookies: Cookies & { written: Map<string, Written> } = {
    written,
    get: (name) => {
      const now = written.get(name);
      if (now) return now.options.maxAge === 0 ? undefined : now.value;
      return initial.get(name);
    },
    getAll: () => [...initial].map(([name, value]) => ({ name, value })),
    set: (name, value, options) => {
      written.set(name, { value, options });
    },
    delete: (name, options) => {
      written.set(name, { value: '', options: { ...options, maxAge: 0 } });
    },
    serialize: (name, value, options) => serialize(name, value, options),
  };
  return cookies;
}

export interface EventFacts {
  /** A `__data.json` request: `event.url` is the page's (SvelteKit strips the suffix and its parameters). */
  data?: boolean;
  sub?: boolean;
  /** What the route does with the event (a load, a form action), before the page renders. */
  route?: (event: RequestEvent) => unknown;
}

/** Runs one request through the hook as SvelteKit would, with the page SvelteKit would render. */
export async function runHandle(
  security: SvelteKitSessionSecurity,
  request: Request,
  { data = false, sub = false, route }: EventFacts = {},
) {
  const url = new URL(request.url);
  if (data) {
    url.pathname = url.pathname.replace(/\/?__data\.json$/, '') || '/';
    url.searchParams.delete('x-sveltekit-invalidated');
  }
  const cookies = kitCookies(request);
  const headers: Record<string, string> = {};
  const event = {
    cookies,
    fetch,
    getClientAddress: () => '127.0.0.1',
    locals: {},
    params: {},
    platform: undefined,
    request,
    route: { id: url.pathname },
    setHeaders: (given: Record<string, string>) => {
      for (const [name, value] of Object.entries(given)) {
        if (name.toLowerCase() in headers) throw new Error(`"${name}" header is already set`);
        headers[name.toLowerCase()] = value;
      }
    },
    url,
    isDataRequest: data,
    isSubRequest: sub,
    isRemoteRequest: false,
    tracing: { enabled: false, root: {}, current: {} },
  } as unknown as RequestEvent;
  let resolved = false;
  const resolve = async (given: RequestEvent, options?: ResolveOptions) => {
    resolved = true;
    const result = await route?.(given);
    let html =
      '<!doctype html><html lang="de"><head><title>page</title></head><body>page</body></html>';
    if (options?.transformPageChunk) {
      html = (await options.transformPageChunk({ html, done: true })) ?? html;
    }
    const answer = data ? JSON.stringify({ type: 'data', result }) : html;
    const response = new Response(answer, {
      headers: { 'content-type': data ? 'application/json' : 'text/html', ...headers },
    });
    for (const [name, written] of cookies.written) {
      response.headers.append(
        'set-cookie',
        cookies.serialize(name, written.value, written.options),
      );
    }
    return response;
  };
  const response = await security.handle({ event, resolve });
  return { response, resolved, event };
}

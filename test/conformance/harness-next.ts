// The conformance harness for Next.js 16's request path with session-security/next: a plain
// node:http server does what `next start` does around an app's `proxy.ts` and its route handlers,
// with Next's own code. The app's proxy (`nextSessionSecurity(...).proxy`) runs inside Next's own
// proxy adapter, `adapter()` of next/dist/server/web/adapter.js, called as `next start` calls it
// (NextNodeServer.runMiddleware, dist/server/next-server.js, through the compiled proxy's
// wrapper, dist/build/templates/middleware.js: `page: '/proxy'`), with Next's default settings.
// So the proxy sees the request Next gives it, not the one the client sent: its URL built from
// the server's host name and port with the query Next parsed and serialized again (`a%20b` comes
// as `a+b`), `127.0.0.1` named `localhost` (NextURL), without the router's headers (`RSC`,
// `Next-Router-State-Tree`, `Next-Router-Prefetch`, `Next-HMR-Refresh`,
// `Next-Router-Segment-Prefetch`: FLIGHT_HEADERS) and without `_rsc`. What the adapter does to
// its answer holds as well: a `Location` made relative (one it cannot parse as a URL is an error:
// a 500, as next-server answers a proxy that throws), and the stripped headers handed back to the
// route as request-header overrides. With `nextHarnessWith({ skipProxyUrlNormalize: true })`, the
// app's `skipProxyUrlNormalize`: the URL as the client sent it, on the server's own host name,
// with the router's headers and `_rsc`.
//
// A refusal is sent as it is, and a `NextResponse.next(...)` goes on as Next takes it: the
// request-header overrides it carries (`x-middleware-override-headers` and
// `x-middleware-request-*`, node_modules/next/dist/server/lib/router-utils/resolve-routes.js)
// applied, the whole body awaited (Next buffers the body it cloned for the proxy before the route
// runs: dist/server/body-streams.js), then a new NextRequest handed to the route handler of the
// path. The security is session-security/web's handler bound to the app's session loader.
// Sessions are kept as JSON in memory, named by an HttpOnly `sid` cookie; each stage (the proxy,
// the route) loads its own copy and writes it back at its end.

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
// First of Next's modules, as next-server and the compiled proxy load it (node-environment.js,
// dist/build/adapter/setup-node-env.external.js): the AsyncLocalStorage its request stores need.
import 'next/dist/server/node-environment-baseline.js';
import { allowedStatusCodes } from 'next/dist/lib/redirect-status.js';
import { adapter } from 'next/dist/server/web/adapter.js';
import { signalFromNodeResponse } from 'next/dist/server/web/spec-extension/adapters/next-request.js';
import { parseUrl } from 'next/dist/shared/lib/router/utils/parse-url.js';
import { urlQueryToSearchParams } from 'next/dist/shared/lib/router/utils/querystring.js';
import { getRelativeURL } from 'next/dist/shared/lib/router/utils/relativize-url.js';
import { NextRequest, NextResponse } from 'next/server.js';
import { SessionSecurityRequestError, SessionStoreUnavailableError } from 'session-security';
import { nextSessionSecurity } from 'session-security/next';
import {
  errorResponse,
  sessionSecurityHandler,
  type WebRequestContext,
  type WebSession,
} from 'session-security/web';
import { FakeClock, listen } from '../support/http.js';
import {
  type ConformanceApp,
  type Harness,
  type HarnessOptions,
  jsonSessionCounts,
  type SessionStoreOperation,
  signInAt,
  TEST_DRAFT_SECRET,
  testLock,
  testLogger,
} from './harness.js';

const COOKIE = 'sid';
const COOKIE_OPTIONS = { path: '/', httpOnly: true, sameSite: 'lax' } as const;

/** The sessions, as JSON by id; an operation fails while `fails` says so (a store whose server is down). */
class SessionStore {
  readonly sessions = new Map<string, string>();
  constructor(private readonly fails: (operation: SessionStoreOperation) => boolean) {}

  /** As a session library's store that fails fast fails: a typed error, answered 503. */
  check(operation: SessionStoreOperation): void {
    if (!this.fails(operation)) return;
    const verb = { get: 'read', set: 'save', destroy: 'destroy' }[operation];
    throw new SessionStoreUnavailableError(verb, 'connect ECONNREFUSED 127.0.0.1:6379');
  }

  set(id: string, data: Record<string, unknown>): void {
    this.check('set');
    this.sessions.set(id, JSON.stringify(data));
  }

  destroy(id: string): void {
    this.check('destroy');
    this.sessions.delete(id);
  }
}

/** The cookie a stage's answer carries for the session. */
interface SessionCookie {
  value: string;
  maxAge?: number;
}

/**
 * One stage's copy of a session, as the app's session layer gives it to session-security: the
 * store is read when it is loaded, destroyed at once, and written at the end of the stage.
 */
class StageSession implements WebSession {
  readonly unavailable: boolean;
  private sessionId: string;
  private data: Record<string, unknown>;
  private readonly loadedAs: string;
  private destroyed = false;
  constructor(
    private readonly store: SessionStore,
    private storedId: string | undefined,
    data: Record<string, unknown>,
    unavailable = false,
  ) {
    this.sessionId = storedId ?? newId();
    this.data = data;
    this.loadedAs = JSON.stringify(data);
    this.unavailable = unavailable;
  }
  id(): string | undefined {
    return this.destroyed ? undefined : this.sessionId;
  }
  get(key: string): unknown {
    return this.data[key];
  }
  set(key: string, value: unknown): void {
    if (!this.destroyed) this.data[key] = value;
  }
  delete(key: string): void {
    delete this.data[key];
  }
  destroy(): void {
    if (this.storedId !== undefined) this.store.destroy(this.storedId);
    this.destroyed = true;
    this.data = {};
  }
  regenerate(): void {
    if (this.storedId !== undefined) this.store.destroy(this.storedId);
    this.storedId = undefined;
    this.sessionId = newId();
    this.data = {};
  }
  /** Writes what changed back to the store; the cookie the answer needs, if any. */
  commit(): SessionCookie | undefined {
    if (this.unavailable) return undefined;
    if (this.destroyed) return { value: '', maxAge: 0 };
    const now = JSON.stringify(this.data);
    const isNew = this.storedId === undefined;
    if (isNew && Object.keys(this.data).length === 0) return undefined; // nothing to keep
    if (!isNew && now === this.loadedAs) return undefined;
    this.store.set(this.sessionId, this.data);
    if (!isNew) return undefined;
    this.storedId = this.sessionId;
    return { value: this.sessionId };
  }
}

const newId = () => randomBytes(18).toString('base64url');

/** One stage of a request (the proxy, or the route): the sessions it loaded, written at its end. */
class Stage {
  readonly sessions = new Map<Request, StageSession>();
  /** Writes each session back; the cookies to send. Throws the store's error. */
  commit(): SessionCookie[] {
    const cookies: SessionCookie[] = [];
    for (const session of this.sessions.values()) {
      const cookie = session.commit();
      if (cookie) cookies.push(cookie);
    }
    return cookies;
  }
}

function cookieLine({ value, maxAge }: SessionCookie): string {
  return `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax${maxAge === undefined ? '' : `; Max-Age=${maxAge}`}`;
}

/**
 * The session id a request names: the proxy's own `Set-Cookie` first (Next hands it to the route
 * as `x-middleware-set-cookie`, which `cookies()` reads), else the `Cookie` header.
 */
function namedSession(request: Request): string | undefined {
  const fromProxy = request.headers.get('x-middleware-set-cookie');
  if (fromProxy !== null) {
    const response = new Headers();
    for (const line of fromProxy.split(/,(?=\s*[^;=\s]+=)/)) response.append('set-cookie', line);
    const ours = new NextResponse(null, { headers: response }).cookies.get(COOKIE);
    if (ours !== undefined) return ours.value === '' ? undefined : ours.value;
  }
  const cookie = request.headers.get('cookie') ?? '';
  for (const pair of cookie.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === COOKIE) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/** A Node request's headers, each as sent (a repeated one joined as `Headers` joins it). */
function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  }
  return headers;
}

/** Next's request-header overrides from a `NextResponse.next({ request: { headers } })`. */
function overridden(original: Headers, proxied: Response): Headers {
  const names = proxied.headers.get('x-middleware-override-headers');
  if (names === null) return new Headers(original);
  const headers = new Headers();
  for (const name of names.split(',')) {
    const key = name.trim();
    const value = proxied.headers.get(`x-middleware-request-${key}`);
    if (key !== '' && value !== null) headers.set(key, value);
  }
  return headers;
}

/** The harness's user of a request: the session's `user`, `''` when anonymous. */
const userOf = ({ session }: WebRequestContext): string => String(session.get('user') ?? '');

const json = (body: unknown, init: ResponseInit = {}) => Response.json(body, init);

/** A route handler of the app, as Next calls one. */
type RouteHandler = (request: NextRequest) => Promise<Response>;

/** The app's `next.config` settings the harness models. */
export interface NextSettings {
  /** `skipProxyUrlNormalize: true`: the proxy sees the URL and the headers as the client sent them. */
  skipProxyUrlNormalize?: boolean;
}

/** The `nextConfig` next-server hands the proxy's adapter (runMiddleware): Next's defaults. */
const NEXT_CONFIG = { basePath: '', trailingSlash: false, experimental: {} };

/**
 * The URL of a request on the server's own host name and port (resolve-routes.js, `initURL`;
 * `https` when `X-Forwarded-Proto` says so), never `Host`: the harness's server runs as
 * `next start -H 127.0.0.1`.
 */
function initUrl(req: IncomingMessage): string {
  const protocol = req.headers['x-forwarded-proto']?.includes('https') ? 'https' : 'http';
  return `${protocol}://${req.socket.localAddress}:${req.socket.localPort}${req.url ?? '/'}`;
}

/**
 * The URL next-server gives the proxy (NextNodeServer.runMiddleware, dist/server/next-server.js):
 * the server's own, with the path and the query as Next parsed it, serialized again; with
 * `skipProxyUrlNormalize`, the request's URL as it came (`initURL`).
 */
function proxyUrl(init: string, settings: NextSettings): string {
  if (settings.skipProxyUrlNormalize === true) return init;
  const { origin } = new URL(init);
  const parsed = parseUrl(init.slice(origin.length));
  const query = urlQueryToSearchParams(parsed.query).toString();
  return `${origin}${parsed.pathname}${query === '' ? '' : `?${query}`}`;
}

/**
 * A redirect of the proxy as Next's router sends it (resolve-routes.js): its `Location` relative
 * to the request's URL when on the same origin.
 */
function relativeRedirect(response: Response, init: string): Response {
  const location = response.headers.get('location');
  if (location === null || !allowedStatusCodes.has(response.status)) return response;
  const copy = new Response(response.body, response);
  copy.headers.set('location', getRelativeURL(location, init));
  return copy;
}

/** The harness of a Next app with these `next.config` settings. */
export function nextHarnessWith(settings: NextSettings): Harness {
  return {
    framework: settings.skipProxyUrlNormalize === true ? 'next-skipProxyUrlNormalize' : 'next',
    start: (options) => startNext(settings, options),
  };
}

/** The harness of a Next app with Next's default settings. */
export const nextHarness: Harness = nextHarnessWith({});

async function startNext(
  settings: NextSettings,
  options: HarnessOptions = {},
): Promise<ConformanceApp> {
  const clock = new FakeClock();
  const logger = testLogger();
  const store = new SessionStore(options.sessionStoreFails ?? (() => false));
  const stages = new AsyncLocalStorage<Stage>();

  /** The app's session loader: the request's session, kept by the stage for its end. */
  function loadSession(request: Request): StageSession | undefined {
    const stage = stages.getStore();
    if (stage === undefined) throw new Error('a session loaded outside a request stage');
    const known = stage.sessions.get(request);
    if (known !== undefined) return known;
    const named = namedSession(request);
    let session: StageSession;
    if (named === undefined) session = new StageSession(store, undefined, {});
    else {
      try {
        store.check('get');
        const stored = store.sessions.get(named);
        session =
          stored === undefined
            ? new StageSession(store, undefined, {})
            : new StageSession(store, named, JSON.parse(stored) as Record<string, unknown>);
      } catch {
        session = new StageSession(store, named, {}, true);
      }
    }
    stage.sessions.set(request, session);
    // A request that names no session is anonymous (session-security/web: `undefined`).
    return named === undefined ? undefined : session;
  }
  /** The session a route handler works with: the loaded one, or a new one of its own. */
  function sessionOf(request: Request): StageSession {
    loadSession(request);
    return stages.getStore()?.sessions.get(request) as StageSession;
  }

  /** Signs `user` in on a new session (regenerated), as `POST /test/sign-in` and the lock do. */
  async function signInAs(request: Request, user: string): Promise<void> {
    const session = sessionOf(request);
    await session.regenerate();
    session.set('user', user);
  }

  const handler = sessionSecurityHandler({
    expireAfter: 900,
    warnAfter: 780,
    isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
    userId: userOf,
    draftSecret: TEST_DRAFT_SECRET,
    clock,
    logger,
    // No sweep timer: a closed test app's timer would go on sweeping with its own clock.
    sweepInterval: 0,
    trustProxy: options.trustProxy === true,
    // The lock signs in again on a session of the app's: the stage's own, new, for a request
    // whose cookie was cleared at expiry.
    newSession: (request) => sessionOf(request),
    // The lock's verify runs in the proxy's stage: it signs in on that stage's session.
    ...(options.lock
      ? {
          lock: testLock<WebRequestContext>(
            options.lock,
            ({ request }, user) => signInAs(request, user),
            ({ request }, user) => sessionOf(request).set('user', user),
          ),
        }
      : {}),
    ...options.security,
  });
  // proxy.ts: `export const proxy = security.proxy;`
  const { proxy } = nextSessionSecurity({
    check: (request) => handler.check(request, loadSession(request)),
  });

  const appErrors: unknown[] = [];
  let formsInFlight = 0;

  /** A route that answers a call of `security.signIns` as JSON, or its request error's status. */
  const signInsRoute =
    (call: (request: NextRequest) => Promise<unknown>): RouteHandler =>
    async (request) => {
      try {
        return json(await call(request));
      } catch (error) {
        if (!(error instanceof SessionSecurityRequestError)) throw error;
        return json({ status: 'error', error: error.message }, { status: error.status });
      }
    };
  const context = (request: NextRequest) => ({ request, session: sessionOf(request) });
  const field = async (request: NextRequest, name: string): Promise<unknown> => {
    const text = await request.text();
    return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>)[name];
  };
  const user: RouteHandler = async (request) =>
    json({ user: sessionOf(request).get('user') ?? null });

  /**
   * The route's own Request and its session, for a method to call after `check` for the same
   * Request (its step): checked again passive (the proxy counted it), as `/test/page` does. The
   * check's refusal, if any, is a Response to send.
   */
  const ownChecked = async (request: NextRequest) => {
    const session = sessionOf(request);
    const headers = new Headers(request.headers);
    headers.set('x-session-security', 'passive');
    const own = new Request(request.url, { method: request.method, headers });
    return { own, session, refused: await handler.check(own, session) };
  };

  /** `requireRecentSignIn` after `check` for the same Request. A refusal is a Response to send. */
  const recent: RouteHandler = async (request) => {
    const { own, session, refused } = await ownChecked(request);
    const maxAge = Number(request.nextUrl.searchParams.get('maxAge'));
    return (
      refused ?? (await handler.requireRecentSignIn(own, session, maxAge)) ?? json({ recent: true })
    );
  };

  /**
   * The web handler's `hold` (the security the proxy was given) after `check` for the same
   * Request. A refused lease is thrown to `failure` below, which errorResponse answers (401).
   */
  const hold: RouteHandler = async (request) => {
    const { own, session, refused } = await ownChecked(request);
    if (refused !== undefined) return refused;
    const held = await handler.hold(own, session, options.work ?? (async () => 'done'), {
      maxSeconds: Number(request.nextUrl.searchParams.get('maxSeconds')),
      label: 'report',
    });
    return json({ held });
  };

  /** The app's route handlers (app/**\/route.ts), by method and path. */
  const routes: Record<string, RouteHandler> = {
    'POST /test/sign-in': async (request) => {
      await signInAs(request, request.nextUrl.searchParams.get('user') ?? 'ada');
      const session = sessionOf(request);
      if (request.nextUrl.searchParams.get('start')) await handler.start(request, session);
      return json({ signedIn: true });
    },
    'POST /test/sign-in-same-session': async (request) => {
      const session = sessionOf(request);
      session.set('user', 'ada');
      await handler.start(request, session);
      return json({ signedIn: true });
    },
    'POST /test/sign-out': async (request) => {
      const headers = await handler.signOut(request, sessionOf(request));
      return json({ signedOut: true }, { headers });
    },
    'POST /test/forget-user': async (request) => {
      sessionOf(request).delete('user');
      return json({ signedOut: true });
    },
    'GET /test/sign-ins': signInsRoute((request) => handler.signIns.list(context(request))),
    'POST /test/sign-ins/end': signInsRoute(async (request) => ({
      ended: await handler.signIns.end(
        context(request),
        (await field(request, 'signIn')) as string,
      ),
    })),
    'POST /test/sign-ins/end-all': signInsRoute(async (request) => ({
      ended: await handler.signIns.endAll(context(request), {
        keepCurrent: (await field(request, 'keepCurrent')) === true,
      }),
    })),
    'POST /test/sign-ins/end-user': signInsRoute(async (request) => ({
      ended: await handler.signIns.endUser((await field(request, 'userId')) as string),
    })),
    'POST /test/sign-ins/end-everyone': signInsRoute(async () => ({
      ended: await handler.signIns.endEveryone(),
    })),
    'POST /test/sign-ins/sweep': signInsRoute(async () => ({
      expired: await handler.signIns.sweep(),
    })),
    'GET /test/recent': recent,
    'POST /test/recent': recent,
    'POST /test/hold': hold,
    'POST /form': async (request) => {
      const note = (await request.formData()).get('note');
      return json({ note: typeof note === 'string' ? note : null });
    },
    'GET /': async (request) => {
      const name = sessionOf(request).get('user');
      return new Response(typeof name === 'string' ? `<p>hello ${name}</p>` : '<p>anonymous</p>', {
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      });
    },
    'GET /api/data': user,
    'GET /api/poll': user,
    'GET /events/stream': user,
    'GET /test/page': async (request) => {
      // The proxy's step belongs to the proxy's Request: the page checks its own again,
      // passive (the proxy counted it), as `verify()` does, and renders the tags after it.
      const session = sessionOf(request);
      const headers = new Headers(request.headers);
      headers.set('x-session-security', 'passive');
      const page = new Request(request.url, { headers });
      const refused = await handler.check(page, session);
      if (refused !== undefined) return refused;
      const query = request.nextUrl.searchParams;
      const lang = query.get('lang');
      const nonce = query.get('nonce');
      return new Response(
        handler.clientTags(page, session, {
          ...(lang !== null ? { lang } : {}),
          ...(nonce !== null ? { nonce } : {}),
          script: query.get('script') !== 'false',
        }),
        { headers: { 'content-type': 'text/html; charset=utf-8' } },
      );
    },
    // Not in the contract: next-requests.test.ts. The URL the proxy told the route
    // (session-security/next's URL_HEADER), and a Server Action's endpoint.
    'GET /test/url': async (request) =>
      json({ url: request.headers.get('x-session-security-url') }),
    'POST /test/action': async (request) => {
      await request.text();
      return new Response('0:{"ran":true}\n', {
        headers: { 'content-type': 'text/x-component' },
      });
    },
  };

  /** What the app answers for an error of its route handler, as its error handling would. */
  function failure(error: unknown, request: Request): Response {
    // session-security's errors: 503 for the session store, a request error's status.
    const answer = errorResponse(error, request);
    if (answer !== undefined) return answer;
    appErrors.push(error);
    return json({ error: 'Internal Server Error' }, { status: 500 });
  }

  /** Runs one stage; its sessions are written back at its end, and their cookies added. */
  async function inStage(
    request: Request,
    run: () => Promise<Response>,
    cookies: (response: Response, lines: SessionCookie[]) => Response,
  ): Promise<Response> {
    const stage = new Stage();
    return stages.run(stage, async () => {
      let response: Response;
      try {
        response = await run();
      } catch (error) {
        response = failure(error, request);
      }
      try {
        return cookies(response, stage.commit());
      } catch (error) {
        return failure(error, request);
      }
    });
  }

  /** The proxy's answer with its session's cookies: Next's way for `next()`, else plain headers. */
  function proxyCookies(response: Response, lines: SessionCookie[]): Response {
    if (lines.length === 0) return response;
    if (response instanceof NextResponse && response.headers.get('x-middleware-next') === '1') {
      for (const { value, maxAge } of lines) {
        response.cookies.set(COOKIE, value, {
          ...COOKIE_OPTIONS,
          ...(maxAge !== undefined ? { maxAge } : {}),
        });
      }
      return response;
    }
    return withCookieLines(response, lines.map(cookieLine));
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = req.method ?? 'GET';
    const original = headersOf(req);
    const hasBody = method !== 'GET' && method !== 'HEAD';
    // Next clones the body for the proxy and keeps the rest for the route (body-streams.js).
    const [forProxy, forRoute] = hasBody
      ? (Readable.toWeb(req) as ReadableStream<Uint8Array>).tee()
      : [null, null];
    const init = initUrl(req);
    let answered: Response;
    try {
      // As next-server calls the compiled proxy.ts (runMiddleware, and the wrapper of
      // dist/build/templates/middleware.js): Node's headers, the body cloned for the proxy.
      ({ response: answered } = await adapter({
        page: '/proxy',
        handler: (request) => inStage(request, () => proxy(request), proxyCookies),
        request: {
          url: proxyUrl(init, settings),
          method,
          headers: req.headers,
          nextConfig: NEXT_CONFIG,
          page: { name: '/proxy' },
          ...(forProxy ? { body: forProxy } : {}),
          signal: signalFromNodeResponse(res),
        },
        ...(settings.skipProxyUrlNormalize === true ? { skipProxyUrlNormalize: true } : {}),
      }));
    } catch (error) {
      // What next-server answers when the proxy's adapter throws (handleCatchallMiddlewareRequest):
      // the error logged, a 500.
      appErrors.push(error);
      await send(res, json({ error: 'Internal Server Error' }, { status: 500 }));
      return;
    }
    if (answered.headers.get('x-middleware-next') !== '1') {
      await send(res, relativeRedirect(answered, init));
      return;
    }
    const path = `${method === 'HEAD' ? 'GET' : method} ${url.pathname}`;
    const isForm = path === 'POST /form';
    if (isForm) formsInFlight++;
    try {
      // Next waits for the whole body before the route (finalize() in body-streams.js).
      const body = forRoute ? new Uint8Array(await new Response(forRoute).arrayBuffer()) : null;
      const headers = overridden(original, answered);
      const fromProxy = answered.headers.get('x-middleware-set-cookie');
      if (fromProxy !== null) headers.set('x-middleware-set-cookie', fromProxy);
      const routed = new NextRequest(url, { method, headers, body });
      const route = routes[path];
      const response = await inStage(
        routed,
        route
          ? async () => {
              const response = await route(routed);
              // As the fetch guide asks of a route that may sign in without start():
              // settle before the session is saved.
              const session = stages.getStore()?.sessions.get(routed);
              if (session !== undefined) await handler.settle(routed, session);
              return response;
            }
          : async () => json({ error: 'not found' }, { status: 404 }),
        (response, lines) => withCookieLines(response, lines.map(cookieLine)),
      );
      // Next adds the proxy's response headers (its Set-Cookie) to the route's answer.
      await send(res, withCookieLines(response, answered.headers.getSetCookie(), true));
    } finally {
      if (isForm) formsInFlight--;
    }
  }

  const { origin: listening, close } = await listen((req, res) => {
    serve(req, res).catch((error: unknown) => {
      appErrors.push(error);
      res.destroy();
    });
  });
  // The origin a browser uses for a Next app on this machine. The proxy's URL says `localhost`
  // for 127.0.0.1 (NextURL), so the app's origin is the same name; with `skipProxyUrlNormalize`,
  // the server's own.
  const origin =
    settings.skipProxyUrlNormalize === true
      ? listening
      : listening.replace('//127.0.0.1:', '//localhost:');
  return {
    origin,
    clock,
    logger,
    appErrors,
    userOf: (req) => userOf(req as WebRequestContext),
    formsInFlight: () => formsInFlight,
    ...jsonSessionCounts(store.sessions),
    close,
    signIn: signInAt(origin),
  };
}

/** A copy of a response with more `Set-Cookie` lines (first, when `before`). */
function withCookieLines(response: Response, lines: string[], before = false): Response {
  if (lines.length === 0) return response;
  const headers = new Headers();
  if (before) for (const line of lines) headers.append('set-cookie', line);
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') headers.append(name, value);
  }
  for (const line of response.headers.getSetCookie()) headers.append('set-cookie', line);
  if (!before) for (const line of lines) headers.append('set-cookie', line);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** Writes a Response to Node's response: status, every header (each Set-Cookie), the body. */
async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie' || name.startsWith('x-middleware-')) continue;
    headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = response.body === null ? null : Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers).end(body ?? undefined);
}

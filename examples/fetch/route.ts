// The shape of a Next.js (App Router, Node.js runtime) app using session-security's Web-standard
// handler, in plain Request/Response so it type-checks without Next.js: the files it stands for
// are named above each part. The session store here is a Map: use your own.
import { errorResponse, sessionSecurityHandler, type WebSession } from 'session-security/web';

// --- lib/session.ts: the app's sessions, named by an HttpOnly cookie -----------------------------

const SESSION_COOKIE = 'sid';
const sessions = new Map<string, Map<string, unknown>>();

/** A request's session and the cookies its answer must set (Next.js: `cookies().set(...)`). */
interface LoadedSession {
  session: WebSession;
  setCookies: string[];
}

/** The request's session: undefined without a cookie; an empty one for a cookie naming none. */
export function loadSession(request: Request): LoadedSession | undefined {
  const sid = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]+)`).exec(
    request.headers.get('cookie') ?? '',
  )?.[1];
  if (sid === undefined) return undefined;
  return sessionFor(sid, []);
}

/** A new session, for a sign-in. */
export function newSession(): LoadedSession {
  return sessionFor(undefined, []);
}

function sessionFor(existing: string | undefined, setCookies: string[]): LoadedSession {
  let id = existing ?? crypto.randomUUID();
  if (!sessions.has(id)) sessions.set(id, new Map());
  const cookie = (value: string, maxAge?: number) =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax${maxAge === undefined ? '' : `; Max-Age=${maxAge}`}`;
  if (existing === undefined) setCookies.push(cookie(id));
  const data = () => sessions.get(id);
  const session: WebSession = {
    id: () => (sessions.has(id) ? id : undefined),
    get: (key) => data()?.get(key),
    set: (key, value) => void data()?.set(key, value),
    delete: (key) => void data()?.delete(key),
    destroy: () => {
      sessions.delete(id);
      setCookies.push(cookie('', 0));
    },
    regenerate: () => {
      sessions.delete(id);
      id = crypto.randomUUID();
      sessions.set(id, new Map());
      setCookies.push(cookie(id));
    },
  };
  return { session, setCookies };
}

/** The answer with the session's cookies (Next.js does this itself for `cookies()`). */
function withCookies(response: Response, loaded: LoadedSession | undefined): Response {
  for (const line of loaded?.setCookies ?? []) response.headers.append('set-cookie', line);
  return response;
}

// --- lib/security.ts ----------------------------------------------------------------------------

export const security = sessionSecurityHandler({
  expireAfter: 900,
  loginUrl: '/login',
  passive: ['/api/notifications'],
  isAuthenticated: ({ session }) => typeof session.get('user') === 'string',
  userId: ({ session }) => String(session.get('user') ?? ''),
  draftSecret: process.env.DRAFT_SECRET ?? 'change me: a secret of at least 32 characters',
  // Behind a reverse proxy that sets X-Forwarded-Proto and X-Forwarded-Host: trustProxy: true.
});

// --- app/session-security/[...route]/route.ts: the ping protocol and the client's assets ---------

async function libraryRoute(request: Request): Promise<Response> {
  const loaded = loadSession(request);
  const answer = await security.handle(request, loaded?.session);
  return withCookies(answer ?? new Response(null, { status: 404 }), loaded);
}
export const GET = libraryRoute;
export const POST = libraryRoute;
export const HEAD = libraryRoute;

// --- app/dashboard/route.ts: a page of the app, refused once expired -----------------------------

export async function dashboard(request: Request): Promise<Response> {
  const loaded = loadSession(request);
  const refused = await security.check(request, loaded?.session);
  if (refused) return withCookies(refused, loaded); // 303 to /login?next=…, 401 JSON, or 503
  const user = loaded?.session.get('user');
  if (typeof user !== 'string') {
    return Response.redirect(new URL('/login?next=%2Fdashboard', request.url), 303);
  }
  const head = security.clientTags(request, loaded?.session, { lang: 'en' });
  return withCookies(
    new Response(`<!doctype html><html lang="en"><head>${head}</head><body>Hello</body></html>`, {
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    }),
    loaded,
  );
}

// --- app/login/route.ts and app/logout/route.ts --------------------------------------------------

export async function signIn(request: Request): Promise<Response> {
  const form = await request.formData();
  const loaded = newSession(); // a new session id at every sign-in
  await loaded.session.set('user', String(form.get('user')));
  await security.start(request, loaded.session);
  return withCookies(
    new Response(null, { status: 303, headers: { location: '/dashboard' } }),
    loaded,
  );
}

export async function signOut(request: Request): Promise<Response> {
  const loaded = loadSession(request);
  try {
    const headers = await security.signOut(request, loaded?.session); // Clear-Site-Data
    headers.set('location', '/login');
    return withCookies(new Response(null, { status: 303, headers }), loaded);
  } catch (error) {
    // A sign-out posted from another origin: 403, and nothing ended.
    const answer = errorResponse(error, request);
    if (answer) return answer;
    throw error;
  }
}

// --- middleware.ts: or, instead of `check` in each route, one check for every page --------------
// (on the Node.js runtime; then the routes only read the session: one check per request)

export const config = { runtime: 'nodejs', matcher: ['/((?!_next/|session-security/).*)'] };

/** Undefined lets the request go on (Next.js: `NextResponse.next()`). */
export async function middleware(request: Request): Promise<Response | undefined> {
  const loaded = loadSession(request);
  const refused = await security.check(request, loaded?.session);
  return refused ? withCookies(refused, loaded) : undefined;
}

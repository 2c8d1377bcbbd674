// The better-auth guide's app (docs/guide/better-auth.md): better-auth signs people in, with its
// data in PostgreSQL; session-security's plugin adds the idle and absolute timeouts, on Hono.
//
//   npm run example:better-auth     # then http://127.0.0.1:3000
//
// Environment: DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test), PORT (3000),
// EXPIRE_AFTER (seconds, default 900), BETTER_AUTH_SECRET.

import { serve } from '@hono/node-server';
import { type BetterAuthOptions, betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { Hono } from 'hono';
import { Pool } from 'pg';
import { safeNextPath } from 'session-security';
import {
  type BetterAuthSecurityOptions,
  errorResponse,
  sessionSecurity,
} from 'session-security/better-auth';

export interface AppOptions {
  databaseUrl?: string;
  /** The app's own origin, e.g. http://127.0.0.1:3000: better-auth's baseURL. */
  origin: string;
  /** session-security's options besides these defaults (tests pass a clock). */
  security?: BetterAuthSecurityOptions;
  /** better-auth's session options, e.g. its cookie cache. */
  session?: BetterAuthOptions['session'];
}

/** Why the login page was reached, as the expired page load's `reason` says. */
const REASONS: Record<string, string> = {
  idle: 'You were signed out after a period of inactivity.',
  absolute: 'Your session reached its time limit. Please sign in again.',
  logout: 'You signed out.',
  revoked: 'This session was ended from another device.',
};

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');

/** The app, its better-auth instance and the plugin; `migrate()` makes better-auth's tables. */
export function createApp({ databaseUrl, origin, security: given, session }: AppOptions) {
  const pool = new Pool({
    connectionString: databaseUrl ?? 'postgresql://postgres@127.0.0.1:5432/test',
  });
  const security = sessionSecurity({
    expireAfter: 900, // sign out after 15 minutes without activity
    absoluteTimeout: 8 * 3600, // and after 8 hours whatever happens
    loginUrl: '/login', // expired page loads go to /login?next=…&reason=idle
    // Unsent forms kept across an expiry, for the same user only (docs/guide/behaviour.md).
    draftSecret: process.env.DRAFT_SECRET ?? 'change me: a secret of at least 32 characters',
    ...given,
  });
  const auth = betterAuth({
    database: pool,
    baseURL: origin,
    secret: process.env.BETTER_AUTH_SECRET ?? 'change me: a secret of at least 32 characters',
    emailAndPassword: { enabled: true },
    session,
    plugins: [security],
  });

  const app = new Hono();
  // better-auth's routes, and session-security's under them (/api/auth/session-security/…).
  app.on(['GET', 'POST'], '/api/auth/*', (c) => auth.handler(c.req.raw));
  // Every other request: the policy first (303 to /login once expired, 401 for fetches).
  app.use('*', async (c, next) => {
    const refused = await security.check(c.req.raw);
    if (refused) return refused;
    await next();
  });

  app.get('/login', (c) => {
    const next = safeNextPath(c.req.query('next')) ?? '/';
    const why = REASONS[c.req.query('reason') ?? ''];
    return c.html(`<!doctype html><html lang="en"><head><title>Sign in</title></head><body>
      ${why ? `<p role="status">${why}</p>` : ''}
      <form method="post"><input type="hidden" name="next" value="${escapeHtml(next)}">
      <label>Email <input name="email" type="email" value="ada@example.com"></label>
      <label>Password <input name="password" type="password" value="correct horse battery"></label>
      <button>Sign in</button></form></body></html>`);
  });
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const body = { email: String(form.email), password: String(form.password) };
    const headers = c.req.raw.headers;
    let answer = await auth.api.signInEmail({ body, headers, asResponse: true });
    if (answer.status === 401) {
      // A demo: the first sign-in of an address makes its account.
      answer = await auth.api.signUpEmail({
        body: { ...body, name: body.email },
        headers,
        asResponse: true,
      });
    }
    if (!answer.ok) return c.redirect('/login?failed=1', 303);
    const reply = c.redirect(safeNextPath(form.next) ?? '/', 303);
    for (const line of answer.headers.getSetCookie()) reply.headers.append('set-cookie', line);
    return reply;
  });

  app.get('/', async (c) => {
    const session = await auth.api.getSession({ headers: c.req.raw.headers });
    if (!session) return c.redirect('/login?next=%2F', 303);
    const head = await security.clientTags(c.req.raw, { lang: 'en' });
    return c.html(`<!doctype html><html lang="en"><head><title>Home</title>${head}</head><body>
      <p>Signed in as <span id="user">${escapeHtml(session.user.email)}</span></p>
      <p>Session checked <span id="polls">0</span> times</p>
      <form method="post" action="/logout"><button>Sign out</button></form>
      <script>
        // better-auth's session read, every 5 seconds: passive, it keeps nothing alive.
        let polls = 0;
        setInterval(async () => {
          const answer = await fetch('/api/auth/get-session');
          const session = await answer.json();
          document.getElementById('polls').textContent = String(++polls);
          // Once the sign-in is over: null, and why in a header.
          document.body.dataset.lastPoll = session
            ? 'alive'
            : (answer.headers.get('x-session-security-ended') ?? 'signed out');
        }, 5000);
      </script></body></html>`);
  });

  app.post('/logout', async (c) => {
    // Final: better-auth's session is deleted, no request in flight brings it back, and the
    // answer clears the cookies (and Clear-Site-Data).
    const headers = await security.signOut(c.req.raw);
    headers.set('location', '/login?reason=logout');
    return new Response(null, { status: 303, headers });
  });
  // A database outage is a 503, a sign-out another site posted a 403; the rest is yours.
  app.onError(
    (error, c) => errorResponse(error, c.req.raw) ?? c.text('Internal Server Error', 500),
  );

  /** Creates or updates better-auth's tables, the plugin's column included. */
  async function migrate(): Promise<void> {
    const { runMigrations } = await getMigrations(auth.options);
    await runMigrations();
  }
  return { app, auth, security, pool, migrate };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 3000);
  const origin = `http://127.0.0.1:${port}`;
  const { app, migrate } = createApp({
    origin,
    databaseUrl: process.env.DATABASE_URL,
    security: { expireAfter: Number(process.env.EXPIRE_AFTER ?? 900) },
  });
  await migrate();
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`${origin}/`));
}

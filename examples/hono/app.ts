// The Hono guide's app (docs/guide/hono.md), kept runnable: `npx tsx examples/hono/app.ts`, then http://127.0.0.1:3000.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { MemoryStore, type Session, sessionMiddleware } from 'hono-sessions';
import { safeNextPath } from 'session-security';
import { errorResponse, guardSessionStore, sessionSecurity } from 'session-security/hono';

type Variables = {
  session: Session<{ user: string }>;
  session_key_rotation: boolean;
};

const app = new Hono<{ Variables: Variables }>();
// A server-side store (not CookieStore: a cookie-held session cannot be deleted on sign-out).
// MemoryStore is for development; in production use a shared store, guarded the same way.
app.use(
  sessionMiddleware({
    store: guardSessionStore(new MemoryStore(), { timeout: 1000 }),
    expireAfterSeconds: 8 * 3600, // the session store's own limit; session-security's is below
    cookieOptions: { path: '/', httpOnly: true, sameSite: 'Lax' },
  }),
);
// After the session middleware, before the routes.
const security = sessionSecurity({
  expireAfter: 900, // sign out after 15 minutes without activity
  loginUrl: '/login', // expired page loads go to /login?next=…&reason=idle
  passive: ['/api/notifications'], // polling this does not keep the session alive
  isAuthenticated: (c) => typeof c.get('session').get('user') === 'string',
  userId: (c) => c.get('session').get('user') ?? '',
  draftSecret: process.env.DRAFT_SECRET ?? 'change me: a secret of at least 32 characters',
});
app.use(security);

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');

app.get('/login', (c) => {
  const next = safeNextPath(c.req.query('next')) ?? '/';
  return c.html(`<form method="post"><input type="hidden" name="next" value="${escapeHtml(next)}">
    <button name="user" value="ada">Sign in as Ada</button></form>`);
});
app.post('/login', async (c) => {
  const body = await c.req.parseBody();
  c.set('session_key_rotation', true); // a new session id at sign-in
  c.get('session').set('user', String(body.user));
  await security.start(c);
  return c.redirect(safeNextPath(body.next) ?? '/', 303);
});
app.get('/', (c) => {
  const user = c.get('session').get('user');
  if (!user) return c.redirect('/login?next=%2F', 303);
  return c.html(`<!doctype html><html lang="en"><head>${security.clientTags(c, { lang: 'en' })}</head>
    <body>Hello ${escapeHtml(user)}<form method="post" action="/logout"><button>Sign out</button></form></body></html>`);
});
app.get('/api/notifications', (c) => c.json([]));
app.post('/logout', async (c) => {
  await security.signOut(c); // final: no request still in flight can sign the user back in
  return c.redirect('/login', 303);
});
// A session store outage is a 503, a sign-out from another origin a 403; the rest is yours.
app.onError((error, c) => errorResponse(error, c.req.raw) ?? c.text('Internal Server Error', 500));

serve({ fetch: app.fetch, port: 3000, hostname: '127.0.0.1' });

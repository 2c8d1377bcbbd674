// The Fastify guide's app (docs/guide/fastify.md), kept runnable: `npx tsx examples/fastify/app.ts`, then http://127.0.0.1:3000.
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import Fastify from 'fastify';
import { safeNextPath } from 'session-security';
import { guardSessionStore, sessionSecurity } from 'session-security/fastify';

declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

const app = Fastify({ logger: true });
await app.register(cookie);
await app.register(session, {
  secret: process.env.SESSION_SECRET ?? 'change me: a secret of at least 32 characters',
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' },
  // A store outage becomes a quick 503, never a 500 or an anonymous visitor.
  store: guardSessionStore(new session.MemoryStore(), { timeout: 1000 }),
});
// After @fastify/cookie and @fastify/session: its hook runs before routing and body parsing.
const security = sessionSecurity({
  expireAfter: 900, // sign out after 15 minutes without activity
  loginUrl: '/login', // expired page loads go to /login?next=…&reason=idle
  passive: ['/api/notifications'], // polling this does not keep the session alive
  isAuthenticated: (request) => typeof request.session.user === 'string',
  userId: (request) => request.session.user ?? '',
  draftSecret: process.env.DRAFT_SECRET ?? 'change me: a secret of at least 32 characters',
});
await app.register(security);
app.addContentTypeParser(
  'application/x-www-form-urlencoded',
  { parseAs: 'string' },
  (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
);

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);

app.get('/login', async (request, reply) => {
  const query = request.query as Record<string, unknown>;
  const next = safeNextPath(query.next) ?? '/';
  const notice =
    query.reason === 'idle' ? '<p>You were signed out after a period of inactivity.</p>' : '';
  return reply
    .type('text/html')
    .send(`<!doctype html><html lang="en"><title>Sign in</title>${notice}
    <form method="post"><input type="hidden" name="next" value="${escapeHtml(next)}">
    <button name="user" value="ada">Sign in as Ada</button></form></html>`);
});
app.post('/login', async (request, reply) => {
  const body = request.body as Record<string, string | undefined>;
  await request.session.regenerate();
  request.session.set('user', String(body.user));
  await security.start(request);
  return reply.redirect(safeNextPath(body.next) ?? '/', 303);
});
app.get('/', async (request, reply) => {
  const { user } = request.session;
  if (!user) return reply.redirect('/login?next=%2F', 303);
  return reply
    .header('cache-control', 'no-store')
    .type('text/html')
    .send(`<!doctype html><html lang="en"><head><title>Home</title>${security.clientTags(request, { lang: 'en' })}</head>
    <body><p>Hello ${escapeHtml(user)}</p><form method="post" action="/logout"><button>Sign out</button></form></body></html>`);
});
app.get('/api/notifications', async () => []);
app.post('/logout', async (request, reply) => {
  await security.signOut(request, reply); // final: no request still in flight can sign the user back in
  return reply.redirect('/login', 303);
});

await app.listen({ port: 3000, host: '127.0.0.1' });

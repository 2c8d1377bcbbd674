// The Koa guide's app (docs/guide/koa.md), kept runnable: `npx tsx examples/koa/app.ts`, then http://127.0.0.1:3000.
import Koa, { type Context } from 'koa';
import session from 'koa-session';
import { safeNextPath } from 'session-security';
import { guardSessionStore, type KoaSessionStore, sessionSecurity } from 'session-security/koa';

/** Sessions kept on the server, in memory. In production use a shared store (Redis, a database). */
class MemorySessionStore implements KoaSessionStore {
  readonly #sessions = new Map<string, string>();
  async get(key: string) {
    const json = this.#sessions.get(key);
    return json === undefined ? undefined : JSON.parse(json);
  }
  async set(key: string, data: unknown) {
    this.#sessions.set(key, JSON.stringify(data));
  }
  async destroy(key: string) {
    this.#sessions.delete(key);
  }
}

interface AppSession {
  [key: string]: unknown;
  user?: string;
  toJSON(): Record<string, unknown>;
  regenerate(): Promise<void>;
}
const sessionOf = (ctx: Context) => ctx.session as AppSession | null | undefined;

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');

async function formBody(ctx: Context): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const app = new Koa();
app.keys = [process.env.SESSION_SECRET ?? 'change me'];
// Session data on the server; the cookie holds only its key. A store outage is a quick 503.
app.use(
  session(
    { store: guardSessionStore(new MemorySessionStore()), maxAge: 'session', sameSite: 'lax' },
    app,
  ),
);
// After koa-session, before your routes and body parsers.
const security = sessionSecurity({
  expireAfter: 900, // sign out after 15 minutes without activity
  loginUrl: '/login', // expired page loads go to /login?next=…&reason=idle
  passive: ['/api/notifications'], // polling this does not keep the session alive
  isAuthenticated: (ctx) => typeof sessionOf(ctx)?.user === 'string',
  userId: (ctx) => sessionOf(ctx)?.user ?? '',
  draftSecret: process.env.DRAFT_SECRET ?? 'change me: a secret of at least 32 characters',
});
app.use(security);

app.use(async (ctx, next) => {
  const route = `${ctx.method} ${ctx.path}`;
  const current = sessionOf(ctx);
  if (route === 'GET /login') {
    const nextPath = safeNextPath(ctx.query.next) ?? '/';
    ctx.body = `<form method="post"><input type="hidden" name="next" value="${escapeHtml(nextPath)}">
      <button name="user" value="ada">Sign in as Ada</button></form>`;
  } else if (route === 'POST /login' && current) {
    const form = await formBody(ctx);
    // A new session key at sign-in; koa-session's regenerate() keeps the data, so drop it first.
    for (const key of Object.keys(current.toJSON())) delete current[key];
    await current.regenerate();
    current.user = form.get('user') ?? 'ada';
    await security.start(ctx);
    ctx.status = 303;
    ctx.redirect(safeNextPath(form.get('next')) ?? '/');
  } else if (route === 'GET /') {
    if (!current?.user) {
      ctx.status = 303;
      return ctx.redirect('/login?next=%2F');
    }
    // The browser client: warning dialog, one clock for all tabs.
    ctx.body = `<!doctype html><html lang="en"><head>${security.clientTags(ctx, { lang: 'en' })}</head>
      <body>Hello ${escapeHtml(current.user)}<form method="post" action="/logout"><button>Sign out</button></form></body></html>`;
  } else if (route === 'GET /api/notifications') {
    ctx.body = [];
  } else if (route === 'POST /logout') {
    await security.signOut(ctx); // final: no request still in flight can sign the user back in
    ctx.status = 303;
    ctx.redirect('/login');
  } else {
    await next();
  }
});

app.listen(3000, '127.0.0.1');

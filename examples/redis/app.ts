// The Redis guide's app (docs/guide/redis.md), kept runnable: `REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/redis/app.ts`.
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { safeNextPath } from 'session-security';
import { sessionSecurity } from 'session-security/express';
import { redisStore } from 'session-security/redis';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

const client = createClient({ url: process.env.REDIS_URL });
await client.connect();
// Optional: a second connection, so that most requests need no round trip (see below).
const subscriber = client.duplicate();
await subscriber.connect();

const app = express();
app.use(
  session({
    store: new RedisStore({ client, prefix: 'myapp:session:' }), // sessions shared by every instance
    secret: process.env.SESSION_SECRET ?? 'change me: the same on every instance',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  }),
);
const security = sessionSecurity({
  expireAfter: 900,
  loginUrl: '/login',
  passive: ['/api/notifications'],
  isAuthenticated: (req) => typeof req.session.user === 'string',
  userId: (req) => req.session.user ?? '',
  draftSecret: process.env.DRAFT_SECRET, // drafts on when it is set
  store: redisStore({ client, subscriber, prefix: 'myapp:signin:' }), // sign-in clocks too
});
app.use(security);
app.use(express.urlencoded({ extended: false }));

app.get('/login', (req, res) => {
  const next = safeNextPath(req.query.next) ?? '/';
  res.send(`<form method="post"><input type="hidden" name="next" value="${next.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">
    <button name="user" value="ada">Sign in as Ada</button></form>`);
});
app.post('/login', (req, res, next) => {
  req.session.regenerate(async (error) => {
    if (error) return next(error);
    req.session.user = String(req.body.user);
    try {
      await security.start(req); // required with the Redis store: a sign-in without a clock is expired
      res.redirect(303, safeNextPath(req.body.next) ?? '/');
    } catch (failure) {
      next(failure); // 503 while Redis is unavailable
    }
  });
});
app.get('/', (req, res) => {
  if (!req.session.user) return res.redirect(303, '/login?next=%2F');
  res.send(`<!doctype html><html lang="en"><head>${security.clientTags(req, { lang: 'en' })}</head>
    <body>Hello ${req.session.user}<form method="post" action="/logout"><button>Sign out</button></form></body></html>`);
});
app.get('/api/notifications', (_req, res) => {
  res.json([]);
});
app.post('/logout', async (req, res) => {
  await security.signOut(req);
  res.redirect(303, '/login');
});

app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');

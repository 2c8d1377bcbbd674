// The Express guide's quick start (docs/guide/express.md), kept runnable: `npx tsx examples/express/quickstart.ts`.
import express from 'express';
import session from 'express-session';
import { safeNextPath } from 'session-security';
import { sessionSecurity } from 'session-security/express';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

const app = express();
app.use(
  session({
    secret: process.env.SESSION_SECRET ?? 'change me',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  }),
);
// After the session middleware, before your routes and body parsers.
const security = sessionSecurity({
  expireAfter: 900, // sign out after 15 minutes without activity
  loginUrl: '/login', // expired page loads go to /login?next=…&reason=idle
  passive: ['/api/notifications'], // polling this does not keep the session alive
  isAuthenticated: (req) => typeof req.session.user === 'string',
  // Drafts: a tab signed out on expiry keeps its forms for the same user (on with draftSecret).
  userId: (req) => req.session.user ?? '',
  draftSecret: process.env.DRAFT_SECRET ?? 'change me: a secret of at least 32 characters',
});
app.use(security);
app.use(express.urlencoded({ extended: false }));

app.get('/login', (req, res) => {
  const next = safeNextPath(req.query.next) ?? '/';
  res.send(`<form method="post"><input type="hidden" name="next" value="${next.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">
    <button name="user" value="ada">Sign in as Ada</button></form>`);
});
app.post('/login', (req, res, next) => {
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.user = String(req.body.user);
    res.redirect(303, safeNextPath(req.body.next) ?? '/');
  });
});
app.get('/', (req, res) => {
  if (!req.session.user) return res.redirect(303, '/login?next=%2F');
  // The browser client: warning dialog, one clock for all tabs.
  res.send(`<!doctype html><html lang="en"><head>${security.clientTags(req, { lang: 'en' })}</head>
    <body>Hello ${req.session.user}<form method="post" action="/logout"><button>Sign out</button></form></body></html>`);
});
app.get('/api/notifications', (_req, res) => {
  res.json([]);
});
app.post('/logout', async (req, res) => {
  await security.signOut(req); // final: no request still in flight can sign the user back in
  res.redirect(303, '/login');
});

app.listen(3000, '127.0.0.1');

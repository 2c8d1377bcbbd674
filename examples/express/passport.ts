// The Express guide's app with Passport (docs/guide/express.md), kept runnable: `npx tsx examples/express/passport.ts`.
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { safeNextPath } from 'session-security';
import { sessionSecurity } from 'session-security/express';

declare global {
  namespace Express {
    interface User {
      id: string;
    }
  }
}

passport.serializeUser((user, done) => done(null, user.id));
passport.deserializeUser((id: string, done) => done(null, { id }));

const app = express();
app.use(
  session({
    secret: process.env.SESSION_SECRET ?? 'change me',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  }),
);
app.use(passport.session());
// After Passport's session, so that req.isAuthenticated() and req.user are there.
const security = sessionSecurity({
  expireAfter: 900,
  loginUrl: '/login',
  passive: ['/api/notifications'],
  isAuthenticated: (req) => req.isAuthenticated(),
  userId: (req) => req.user?.id ?? '',
  // security.signOut(req) signs out through Passport (which also clears req.user).
  logout: (req) =>
    new Promise<void>((done, fail) => req.logout((error) => (error ? fail(error) : done()))),
});
app.use(security);
app.use(express.urlencoded({ extended: false }));

app.get('/login', (req, res) => {
  const next = safeNextPath(req.query.next) ?? '/';
  res.send(`<form method="post"><input type="hidden" name="next" value="${next.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">
    <button name="user" value="ada">Sign in as Ada</button></form>`);
});
app.post('/login', (req, res, next) => {
  // Check the password with your strategy (passport.authenticate('local')); req.login then
  // starts a new session (Passport regenerates it), whose clock starts as this handler ends.
  req.login({ id: String(req.body.user) }, (error) => {
    if (error) return next(error);
    res.redirect(303, safeNextPath(req.body.next) ?? '/');
  });
});
app.get('/', (req, res) => {
  if (!req.user) return res.redirect(303, '/login?next=%2F');
  res.send(`<!doctype html><html lang="en"><head>${security.clientTags(req, { lang: 'en' })}</head>
    <body>Hello ${req.user.id}<form method="post" action="/logout"><button>Sign out</button></form></body></html>`);
});
app.get('/api/notifications', (_req, res) => {
  res.json([]);
});
app.post('/logout', async (req, res) => {
  await security.signOut(req); // not req.logout() alone: signOut makes it final
  res.redirect(303, '/login');
});

app.listen(3000, '127.0.0.1');

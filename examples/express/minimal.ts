// README's quick start, kept runnable: `npx tsx examples/express/minimal.ts`, then http://127.0.0.1:3000.
import express from 'express';
import session from 'express-session';
import { sessionSecurity } from 'session-security/express';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}
const app = express();
app.use(session({ secret: 'change me', resave: false, saveUninitialized: false }));
// Signed out after 15 minutes without activity (expireAfter: 900, the default), warned before.
const security = sessionSecurity({ isAuthenticated: (req) => Boolean(req.session.user) });
app.use(security); // after the session, before your routes
app.post('/', (req, res) => {
  req.session.regenerate(() => {
    req.session.user = 'ada'; // your sign-in: check the password first
    res.redirect(303, '/');
  });
});
app.get('/', (req, res) => {
  const page = req.session.user ? `Hello ${req.session.user}` : '<form method=post><button>Sign in';
  res.send(`<!doctype html><head>${security.clientTags(req)}</head>${page}`);
});
app.listen(3000);

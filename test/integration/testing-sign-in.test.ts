// session-security/testing's signIn against a real Express app with express-session on
// loopback: it signs in through the login form, carries the cookies the app sets (those of the
// login page too) and drops those it deletes, sends the app's Origin with a POST, and fails
// loudly when the sign-in did not happen.

import express from 'express';
import session from 'express-session';
import { sessionSecurity } from 'session-security/express';
import { expiredReason, signIn, TestClock } from 'session-security/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from '../support/http.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An app whose login wants the cookie its login page set (as a CSRF check would), and ada / secret. */
async function app(clock = new TestClock()) {
  const app = express();
  const origins: (string | undefined)[] = [];
  app.use(session({ secret: 'sign-in test secret', resave: false, saveUninitialized: false }));
  const security = sessionSecurity({
    isAuthenticated: (req) => typeof req.session.user === 'string',
    clock,
    expireAfter: 900,
    drafts: false,
    sweepInterval: 0,
  });
  app.use(security);
  app.get('/login', (_req, res) => {
    res.cookie('form', 'f1', { httpOnly: true }).send('<form method="post"></form>');
  });
  app.post('/login', express.urlencoded({ extended: false }), async (req, res) => {
    origins.push(req.headers.origin);
    if (!req.headers.cookie?.includes('form=f1')) return res.status(403).end();
    if (req.body.password !== 'secret') return res.redirect(303, '/login?failed=1');
    req.session.user = String(req.body.username);
    await security.start(req);
    res.redirect(303, '/');
  });
  app.get('/api/me', (req, res) => {
    origins.push(req.headers.origin);
    res.json({ user: req.session.user ?? null });
  });
  app.post('/api/forget-form', (_req, res) => {
    res.clearCookie('form').end();
  });
  app.get('/api/cookies', (req, res) => res.json({ cookie: req.headers.cookie ?? '' }));
  const server = await listen(app);
  closers.push(() => server.close());
  return { origin: server.origin, origins, clock };
}

describe('signIn (session-security/testing)', () => {
  it('signs in through the form, its fetch carries the session, and the clock ends it for idle', async () => {
    const { origin, clock } = await app(new TestClock(Date.now()));
    const ada = await signIn(`${origin}/login`, { username: 'ada', password: 'secret' });
    await expect((await ada.fetch('/api/me')).json()).resolves.toEqual({ user: 'ada' });
    await clock.advance(14 * 60_000);
    expect((await ada.fetch('/api/me')).status).toBe(200);
    await clock.advance(15 * 60_000 + 1);
    const answer = await ada.fetch('/api/me');
    expect(answer.status).toBe(401);
    await expect(expiredReason(answer)).resolves.toBe('idle');
  });

  it("sends the app's Origin with a POST, none with a GET, follows no redirect, and sends the cookies nowhere else", async () => {
    const { origin, origins } = await app();
    const ada = await signIn(new URL('/login', origin), { username: 'ada', password: 'secret' });
    await ada.fetch('/api/me');
    expect(origins).toEqual([origin, undefined]);
    const again = await ada.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=ada&password=secret',
    });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/');
    await expect(ada.fetch('http://127.0.0.1:9/steal')).rejects.toThrow(
      `signIn's fetch sends the user's cookies to ${origin} only, not to http://127.0.0.1:9`,
    );
  });

  it('drops a cookie the app deletes, and keeps the others', async () => {
    const { origin } = await app();
    const ada = await signIn(`${origin}/login`, { username: 'ada', password: 'secret' });
    expect(ada.cookie).toMatch(/^form=f1; connect\.sid=\S+$/);
    await ada.fetch('/api/forget-form', { method: 'POST' });
    expect(ada.cookie).toMatch(/^connect\.sid=\S+$/);
    await expect((await ada.fetch('/api/cookies')).json()).resolves.toEqual({
      cookie: ada.cookie,
    });
    await expect((await ada.fetch('/api/me')).json()).resolves.toEqual({ user: 'ada' });
  });

  it('fails naming why when the form sends the user back, the app refuses, or no cookie is set', async () => {
    const { origin } = await app();
    await expect(signIn(`${origin}/login`, { username: 'ada', password: 'wrong' })).rejects.toThrow(
      `signing in at ${origin}/login sent the user back to it (to /login?failed=1)`,
    );
    await expect(signIn(`${origin}/missing`, { username: 'ada' })).rejects.toThrow(
      `signing in at ${origin}/missing answered 404`,
    );
    const bare = express();
    bare.post('/login', (_req, res) => res.redirect(303, '/'));
    const server = await listen(bare);
    closers.push(() => server.close());
    await expect(signIn(`${server.origin}/login`, { username: 'ada' })).rejects.toThrow(
      `signing in at ${server.origin}/login set no cookie`,
    );
  });
});

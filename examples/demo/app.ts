// The demo application (docs/guide/getting-started.md, The demo): an Express app with express-session and
// session-security, showing good practice (strict CSP, no-store, SameSite cookies), per-user
// idle timeouts (/settings), a user's sessions (/sessions) and the audit trail (/audit).

import { readFileSync } from 'node:fs';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import {
  type ActivityStore,
  type Clock,
  type LockCredentials,
  type Logger,
  resolveOptions,
  safeNextPath,
} from 'session-security';
import { sessionSecurity, storeUnavailableHandler } from 'session-security/express';
import { type PasskeyUser, passkeys, type StoredPasskey } from 'session-security/passkeys';
import { auditTrail } from './audit.js';
import { type IdleTimeouts, idleTimeoutSettings } from './idle-timeouts.js';
import {
  auditPage,
  formPage,
  homePage,
  link,
  loginPage,
  MAX_UPLOAD_SECONDS,
  PASSWORD_SCRIPT,
  pageLanguage,
  passwordPage,
  secondPage,
  sessionsPage,
  settingsPage,
  UPLOAD_SCRIPT,
} from './pages.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
    /** The times this sign-in got at sign-in (seconds), for its pages. */
    idleTimeouts: IdleTimeouts;
  }
}

export interface DemoConfig {
  /** Seconds of inactivity before sign-out. */
  expireAfter: number;
  /** Seconds of inactivity before the browser warns. */
  warnAfter: number;
  /** Seconds after sign-in before sign-out whatever the activity; 0 = off. */
  absoluteTimeout: number;
  sessionSecret: string;
  /** The secret drafts are keyed with (at least 32 characters); default a fixed demo secret. */
  draftSecret?: string;
  /** A session store; default express-session's in-memory store. */
  store?: session.Store;
  /** Where sign-in clocks live; default the session object. */
  activityStore?: ActivityStore;
  /** Express's `trust proxy`, behind a reverse proxy (nginx): the origin is then the one the browser sees. */
  trustProxy?: boolean | number | string;
  clock?: Clock;
  /** Where the library's warnings go; default console. */
  logger?: Logger;
  /**
   * Sign in again in place on expiry (the library's `lock` option), with the demo's passwords.
   * main.ts turns it on; default off.
   */
  lock?: boolean;
  /** How recent a sign-in "Change password" asks for, in seconds (default 300: 5 minutes). */
  recentSignIn?: number;
  /**
   * With the lock, passkeys too: the origin the browser opens the demo on. WebAuthn needs a
   * secure context: `http://localhost:PORT` is one, `http://127.0.0.1:PORT` is not.
   */
  passkeyOrigin?: string;
  /** Where each audit event goes as one `audit {json}` line (main.ts: stdout); default nowhere, only /audit. */
  auditLog?: (line: string) => void;
}

/**
 * The demo's users (username: password): a second one shows that drafts stay with their user;
 * admin gets a shorter idle timeout (idle-timeouts.ts) and sees everyone's audit events.
 */
const USERS: Record<string, string> = { demo: 'demo', guest: 'guest', admin: 'admin' };
const ADMIN = 'admin';

/** The drafts secret when none is given: fine for a demo, public to anyone who reads this file. */
export const DEMO_DRAFT_SECRET = 'session-security demo drafts secret: set DRAFT_SECRET';

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const stylesheet = readFileSync(new URL('./demo.css', import.meta.url), 'utf8');

/**
 * Builds the demo app.
 *
 * @example
 * ```ts
 * createDemoApp({ expireAfter: 120, warnAfter: 90, absoluteTimeout: 0, sessionSecret: 's' }).listen(3000);
 * ```
 */
export function createDemoApp(config: DemoConfig): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);

  // The configured times, checked as the library checks options (a warning after the expiry
  // stops the demo at start-up): below, the library gets functions of the user instead.
  resolveOptions({
    expireAfter: config.expireAfter,
    warnAfter: config.warnAfter,
    isAuthenticated: () => false,
    drafts: false,
    ...(config.logger ? { logger: config.logger } : {}),
  });
  const idleTimeouts = idleTimeoutSettings(config);
  const audit = auditTrail(config.auditLog);

  // The demo's passkeys, by credential id (an app keeps them in its database). The library makes
  // the challenges and checks the signatures; the lock's verify signs the user in.
  const keptPasskeys = new Map<string, StoredPasskey>();
  const keys =
    config.lock && config.passkeyOrigin !== undefined
      ? passkeys({
          rpID: new URL(config.passkeyOrigin).hostname,
          rpName: 'session-security demo',
          origin: config.passkeyOrigin,
          secret: config.draftSecret ?? DEMO_DRAFT_SECRET,
          find: (id) => keptPasskeys.get(id),
          counted: (id, counter) => {
            const kept = keptPasskeys.get(id);
            if (kept) keptPasskeys.set(id, { ...kept, counter });
          },
        })
      : undefined;
  const passkeysOf = (user: string) =>
    [...keptPasskeys.values()].filter((key) => key.userId === user);
  const passkeyUser = (req: Request): PasskeyUser => ({
    id: req.session.user ?? '',
    name: req.session.user ?? '',
  });

  /** Signs `username` in on this request's session, as the login form and the lock both do. */
  async function signInAs(req: Request, username: string): Promise<void> {
    // A new session id at sign-in, so an id planted before sign-in is worth nothing.
    await new Promise<void>((resolve, reject) =>
      req.session.regenerate((error: unknown) => (error ? reject(error) : resolve())),
    );
    req.session.user = username;
    // The same function the library evaluates in start(): the times this sign-in keeps.
    req.session.idleTimeouts = idleTimeouts.timeoutsFor(username);
  }

  const security = sessionSecurity({
    // Per user, evaluated once at sign-in (security.start below) and kept with that sign-in.
    expireAfter: (req) => idleTimeouts.timeoutsFor(req.session.user ?? '').expireAfter,
    warnAfter: (req) => idleTimeouts.timeoutsFor(req.session.user ?? '').warnAfter,
    absoluteTimeout: config.absoluteTimeout,
    loginUrl: '/login',
    passive: ['/api/poll'],
    isAuthenticated: (req) => typeof req.session.user === 'string',
    // Drafts: a tab signed out on expiry keeps its forms, for the same user only.
    userId: (req) => req.session.user ?? '',
    draftSecret: config.draftSecret ?? DEMO_DRAFT_SECRET,
    // The lock: the same check as the login form, then the same sign-in; the library then starts
    // a new sign-in (a new marker, a fresh absolute timeout).
    ...(config.lock && {
      lock: {
        async verify(req: Request, credentials: LockCredentials) {
          // A passkey's signature was checked by the library: it names its user.
          const user =
            credentials.type === 'passkey'
              ? credentials.userId
              : checkPassword(credentials.username, credentials.password)
                ? credentials.username
                : undefined;
          if (user === undefined || !Object.hasOwn(USERS, user)) return false;
          await signInAs(req, user);
          return true;
        },
        ...(keys ? { passkeys: keys } : {}),
      },
    }),
    // Leases: an upload holds the sign-in while it runs (the /form page's `hold`), an hour at most.
    leases: { maxSeconds: 3600 },
    // Why each sign-in lived or ended: a trace event per request (on /audit), and a readable line
    // of every event to the logger's info (the demo's log).
    trace: true,
    // The audit trail: never awaited by the library, and no session id in any event.
    onEvent: audit.record,
    eventData: (req) => ({ app: 'demo', role: req.session.user === ADMIN ? 'admin' : 'user' }),
    ...(config.clock ? { clock: config.clock } : {}),
    ...(config.logger ? { logger: config.logger } : {}),
    ...(config.activityStore ? { store: config.activityStore } : {}),
  });

  app.use(function securityHeaders(_req, res, next) {
    res.set({
      'content-security-policy': CONTENT_SECURITY_POLICY,
      // For browsers that do not know frame-ancestors.
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
    });
    next();
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).set('cache-control', 'public, max-age=86400').end();
  });
  app.get('/demo.css', (_req, res) => {
    res.type('text/css').set('cache-control', 'public, max-age=3600').send(stylesheet);
  });
  app.use(
    session({
      name: 'demo.sid',
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      // A session cookie (no max-age): it ends with the browser; the server ends it sooner.
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' },
      ...(config.store ? { store: config.store } : {}),
    }),
  );
  app.use(security);
  app.use(refuseCrossSitePosts);
  app.use(express.urlencoded({ extended: false, limit: '16kb' }));

  app.get('/login', (req, res) => {
    res.set('cache-control', 'no-store');
    res.send(
      loginPage({
        lang: pageLanguage(req.query.lang),
        next: safeNextPath(req.query.next),
        reason: req.query.reason,
      }),
    );
  });

  app.post('/login', async (req, res, next) => {
    const { username, password, next: wanted } = req.body as Record<string, unknown>;
    const lang = pageLanguage(req.query.lang);
    if (
      typeof username !== 'string' ||
      typeof password !== 'string' ||
      !checkPassword(username, password)
    ) {
      res.status(401).set('cache-control', 'no-store');
      res.send(
        loginPage({
          lang,
          next: safeNextPath(wanted),
          reason: undefined,
          error: 'Wrong username or password.',
          username: typeof username === 'string' ? username : '',
        }),
      );
      return;
    }
    try {
      await signInAs(req, username);
      await security.start(req);
      res.redirect(303, safeNextPath(wanted) ?? '/');
    } catch (error) {
      next(error);
    }
  });

  app.post('/logout', async (req, res, next) => {
    try {
      // Final: a request still in flight cannot save this sign-in back.
      await security.signOut(req);
      res.redirect(303, '/login');
    } catch (error) {
      next(error);
    }
  });

  app.get('/api/poll', (req, res) => {
    res.set('cache-control', 'no-store');
    if (!req.session.user) {
      res.status(401).json({ status: 'anonymous' });
      return;
    }
    res.json({ status: 'ok', time: new Date().toISOString() });
  });

  const protectedPage = (req: Request, res: Response) => {
    res.set('cache-control', 'no-store');
    const own = req.session.idleTimeouts ?? config;
    return {
      lang: pageLanguage(req.query.lang),
      user: req.session.user ?? '',
      clientTags: security.clientTags(req, { lang: pageLanguage(req.query.lang) }),
      expireAfter: own.expireAfter,
      warnAfter: own.warnAfter,
    };
  };
  app.get('/', requireUser, (req, res) => {
    res.send(homePage(protectedPage(req, res)));
  });
  app.get('/second', requireUser, (req, res) => {
    res.send(secondPage(protectedPage(req, res)));
  });
  app.get('/form', requireUser, (req, res) => {
    res.send(formPage(protectedPage(req, res)));
  });
  app.post('/form', requireUser, (req, res) => {
    const note = (req.body as Record<string, unknown>).note;
    res.send(formPage({ ...protectedPage(req, res), note: typeof note === 'string' ? note : '' }));
  });

  // An upload: the browser holds the sign-in around the request (a lease), and the server holds
  // it around its processing (`security.hold`): here a wait of the seconds the page asked for.
  app.get('/upload.js', (_req, res) => {
    res.type('text/javascript').set('cache-control', 'no-cache').send(UPLOAD_SCRIPT);
  });
  app.post(
    '/upload',
    requireUser,
    express.raw({ type: () => true, limit: '10mb' }),
    async (req, res, next) => {
      const seconds = Math.min(MAX_UPLOAD_SECONDS, Math.max(0, Number(req.query.seconds) || 0));
      const bytes = Buffer.isBuffer(req.body) ? req.body.length : 0;
      const processing = () =>
        new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000).unref());
      try {
        await security.hold(req, processing, { maxSeconds: MAX_UPLOAD_SECONDS, label: 'upload' });
        res.set('cache-control', 'no-store').json({ bytes });
      } catch (error) {
        next(error);
      }
    },
  );

  // What matters asks for a recent sign-in: older than this, the password is asked again (in
  // place through the lock, or on the login page for a form posted without JavaScript).
  const recentSignIn = config.recentSignIn ?? 300;
  const passwordFacts = (req: Request, res: Response) => ({
    ...protectedPage(req, res),
    recentSignIn,
    ...(keys ? { passkeys: passkeysOf(req.session.user ?? '').length } : {}),
  });
  app.get('/password', requireUser, (req, res) => {
    res.send(passwordPage(passwordFacts(req, res)));
  });
  if (keys) {
    // A new passkey is what matters too: it needs a recent sign-in, asked again in place.
    app.post('/passkeys/options', requireUser, async (req, res, next) => {
      try {
        await security.requireRecentSignIn(req, recentSignIn);
        const user = passkeyUser(req);
        res
          .set('cache-control', 'no-store')
          .json(await keys.registrationOptions(user, passkeysOf(user.id)));
      } catch (error) {
        next(error);
      }
    });
    app.post('/passkeys', requireUser, express.json({ limit: '16kb' }), async (req, res, next) => {
      try {
        const passkey = await keys.register(passkeyUser(req), req.body);
        res.set('cache-control', 'no-store');
        if (passkey === undefined) {
          res.status(400).json({ added: false });
          return;
        }
        keptPasskeys.set(passkey.id, passkey);
        res.json({ added: true, passkeys: passkeysOf(passkey.userId).length });
      } catch (error) {
        next(error);
      }
    });
  }
  app.get('/password.js', (_req, res) => {
    res.type('text/javascript').set('cache-control', 'no-cache').send(PASSWORD_SCRIPT);
  });
  app.post('/password', requireUser, async (req, res, next) => {
    try {
      await security.requireRecentSignIn(req, recentSignIn);
      // The demo keeps its passwords: the point is the question asked before.
      if (req.get('accept')?.includes('application/json')) {
        res.set('cache-control', 'no-store').json({ changed: true });
        return;
      }
      res.send(
        passwordPage({
          ...passwordFacts(req, res),
          notice: 'Password changed (the demo keeps its passwords).',
        }),
      );
    } catch (error) {
      next(error);
    }
  });

  const settingsOf = (req: Request, res: Response) => {
    const user = req.session.user ?? '';
    return {
      ...protectedPage(req, res),
      choices: idleTimeouts.choicesFor(user),
      bound: idleTimeouts.boundFor(user),
      next: idleTimeouts.timeoutsFor(user).expireAfter,
    };
  };
  app.get('/settings', requireUser, (req, res) => {
    const saved = req.query.saved === '1';
    res.send(
      settingsPage({
        ...settingsOf(req, res),
        ...(saved && { notice: 'Saved: your next sign-in gets this idle timeout.' }),
      }),
    );
  });
  app.post('/settings', requireUser, (req, res) => {
    const chosen = Number((req.body as Record<string, unknown>).expireAfter);
    if (!idleTimeouts.choose(req.session.user ?? '', chosen)) {
      res.status(400).send(
        settingsPage({
          ...settingsOf(req, res),
          error: 'Choose one of the idle timeouts listed.',
        }),
      );
      return;
    }
    // Post-redirect-get: reloading the page does not post again.
    res.redirect(303, link('/settings?saved=1', pageLanguage(req.query.lang)));
  });

  app.get('/sessions', requireUser, async (req, res, next) => {
    try {
      const ended = Number(req.query.ended);
      const notice = Number.isInteger(ended) && ended >= 0 ? endedNotice(ended) : undefined;
      const signIns = await security.signIns.list(req);
      res.send(sessionsPage({ ...protectedPage(req, res), signIns, ...(notice && { notice }) }));
    } catch (error) {
      next(error);
    }
  });
  app.post('/sessions', requireUser, async (req, res, next) => {
    try {
      const { password, end } = req.body as Record<string, unknown>;
      // Why the password again (OWASP ASVS V7.5.2): whoever holds a stolen cookie or an unattended
      // browser must not be able to end the owner's other sessions, shutting the owner out.
      if (typeof password !== 'string' || !checkPassword(req.session.user ?? '', password)) {
        const signIns = await security.signIns.list(req);
        res.status(403).send(
          sessionsPage({
            ...protectedPage(req, res),
            signIns,
            error: 'Wrong password: no session was signed out.',
          }),
        );
        return;
      }
      let ended = 0;
      if (end === 'others') ended = await security.signIns.endAll(req, { keepCurrent: true });
      else if (typeof end === 'string' && (await security.signIns.end(req, end))) ended = 1;
      res.redirect(303, link(`/sessions?ended=${ended}`, pageLanguage(req.query.lang)));
    } catch (error) {
      next(error);
    }
  });

  app.get('/audit', requireUser, (req, res) => {
    const user = req.session.user ?? '';
    const everyone = user === ADMIN;
    // Each user sees their own events; the admin sees everyone's, and the counts of refused requests.
    const events = audit.recent().filter((event) => everyone || event.userId === user);
    const refused = everyone ? audit.refused() : undefined;
    const trace = audit.trace().filter((event) => everyone || event.userId === user);
    res.send(auditPage({ ...protectedPage(req, res), events, everyone, refused, trace }));
  });

  // A session store that failed or timed out (guardSessionStore) is a 503, never a sign-out.
  app.use(storeUnavailableHandler());
  app.use(answerErrorsPlainly);
  return app;
}

/**
 * The last word on errors: a short plain page with the status, never a stack trace or a file
 * path. Body parser errors (too large, bad charset or encoding) keep their 4xx status.
 */
function answerErrorsPlainly(error: unknown, _req: Request, res: Response, next: NextFunction) {
  if (res.headersSent) return next(error);
  const { status, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown };
  const code = [status, statusCode].find(
    (value): value is number =>
      Number.isInteger(value) && Number(value) >= 400 && Number(value) < 600,
  );
  if (code === undefined || code >= 500) console.error('demo: request failed', error);
  res
    .status(code ?? 500)
    .set('cache-control', 'no-store')
    .type('text/plain')
    .send(
      code !== undefined && code < 500 ? 'The request could not be read.' : 'Something went wrong.',
    );
}

function endedNotice(count: number): string {
  if (count === 0) return 'No other session was signed out: none was active.';
  return `Signed out ${count} other session${count === 1 ? '' : 's'}: ${count === 1 ? 'it goes' : 'they go'} to the login page at the next check with the server.`;
}

function checkPassword(username: string, password: string): boolean {
  return Object.hasOwn(USERS, username) && USERS[username] === password;
}

function requireUser(req: Request, res: Response, next: NextFunction): void {
  if (req.session.user) {
    next();
    return;
  }
  res.set('cache-control', 'no-store');
  res.redirect(303, `/login?${new URLSearchParams({ next: req.originalUrl })}`);
}

/**
 * Forms are same-origin only: a page elsewhere must not sign users in or out. Browsers say
 * where a post comes from with Sec-Fetch-Site, and with Origin where Sec-Fetch-* is missing
 * (older browsers, plain-HTTP hosts); a foreign Origin, or `null`, is refused either way.
 */
function refuseCrossSitePosts(req: Request, res: Response, next: NextFunction): void {
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  const foreignSite = site !== undefined && site !== 'same-origin' && site !== 'none';
  const foreignOrigin = origin !== undefined && origin !== `${req.protocol}://${req.host}`;
  if (req.method === 'POST' && (foreignSite || foreignOrigin)) {
    res.status(403).type('text/plain').send('Cross-site form posts are refused.');
    return;
  }
  next();
}

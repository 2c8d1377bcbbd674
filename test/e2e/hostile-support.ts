// Support for the hostile-page browser tests: a small Express app on a clock the test moves
// (shared-clock.ts: the server's and the browsers' time, advanced together), whose
// express-session MemoryStore the test reads directly, a recorder of every request the app
// receives (with its Fetch Metadata), and a node:http server of hostile pages, reached as
// http://127.0.0.1:<port> (same-site with the app, another origin) and as
// http://localhost:<port> (another site).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import type { BrowserContext } from 'playwright-core';
import { sessionSecurity } from 'session-security/express';
import { listen } from '../support/http.js';
import { sleep } from '../support/sleep.js';
import { SharedClock } from './shared-clock.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

export const EXPIRE_AFTER = 60;
export const WARN_AFTER = 30;
export const SESSION_COOKIE = 'connect.sid';
const SECRET = 'hostile e2e secret';

/** One request as the app received it, before any middleware ran. */
export interface Recorded {
  /** The app's clock (ms) when the request arrived. */
  at: number;
  /** This process's real clock (ms) when the request arrived: quiet is measured in real time. */
  arrivedAt: number;
  method: string;
  path: string;
  origin: string | undefined;
  referer: string | undefined;
  site: string | undefined;
  mode: string | undefined;
  dest: string | undefined;
  user: string | undefined;
  contentType: string | undefined;
  /** The session id the request's cookie carried (unverified), if any. */
  sid: string | undefined;
  /** The answer's status, once answered. */
  status: number | undefined;
  /** Whether the answer is finished (or the connection closed). */
  done: boolean;
}

/** The session id inside a `connect.sid` cookie value (`s:<sid>.<signature>`, URL-encoded). */
export function sidOfCookie(value: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  return /^s:(.+)\.[^.]+$/.exec(decoded)?.[1];
}

function sidOfRequest(req: IncomingMessage): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === SESSION_COOKIE) {
      return sidOfCookie(pair.slice(at + 1).trim());
    }
  }
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Every request the app received, in order of arrival. */
export class Recorder {
  readonly entries: Recorded[] = [];

  constructor(private readonly clock: SharedClock) {}

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const entry: Recorded = {
      at: this.clock.now(),
      arrivedAt: Date.now(),
      method: req.method,
      path: req.originalUrl.split('?')[0] ?? '',
      origin: header(req, 'origin'),
      referer: header(req, 'referer'),
      site: header(req, 'sec-fetch-site'),
      mode: header(req, 'sec-fetch-mode'),
      dest: header(req, 'sec-fetch-dest'),
      user: header(req, 'sec-fetch-user'),
      contentType: header(req, 'content-type'),
      sid: sidOfRequest(req),
      status: undefined,
      done: false,
    };
    this.entries.push(entry);
    const finish = () => {
      entry.status ??= res.statusCode;
      entry.done = true;
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };

  /** A position in the log: entries after it are what happened since. */
  mark(): number {
    return this.entries.length;
  }

  since(mark: number): Recorded[] {
    return this.entries.slice(mark);
  }

  /**
   * Waits (polling, `timeoutMs` at most) until `count` requests matching `match` have arrived
   * since `mark` and have been answered; returns them.
   *
   * @throws an Error listing what did arrive, when they do not
   */
  async arrived(
    mark: number,
    match: (entry: Recorded) => boolean,
    what: string,
    { count = 1, timeoutMs = 5000 }: { count?: number; timeoutMs?: number } = {},
  ): Promise<Recorded[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hits = this.since(mark).filter(match);
      if (hits.length >= count && hits.every((hit) => hit.done)) return hits;
      if (Date.now() > deadline) {
        const seen = this.since(mark)
          .map((e) => `${e.method} ${e.path} (${e.site ?? 'no sec-fetch-site'}) ${e.status ?? '…'}`)
          .join('; ');
        throw new Error(
          `the hostile request never reached the app: expected ${count} × ${what} within ${timeoutMs} ms; the app received: ${seen || 'nothing'}`,
        );
      }
      await sleep(50);
    }
  }

  /**
   * Waits until every request since `mark` is answered and none has arrived for `quietMs`
   * (frames and popups load subresources and may ping), `timeoutMs` at most.
   */
  async settled(mark: number, { quietMs = 700, timeoutMs = 5000 } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const recent = this.since(mark);
      const last = recent.at(-1)?.arrivedAt ?? 0;
      if (recent.every((e) => e.done) && Date.now() - last >= quietMs) return;
      await sleep(50);
    }
  }
}

const escapeHtml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

/**
 * The app under test: express-session with a MemoryStore the test keeps, session-security on
 * a shared clock (`clock`: install it in each browser context before its first page), a
 * recorder before everything, protected pages that allow framing (no
 * `frame-ancestors`, no `X-Frame-Options`), a form route and an app sign-out.
 */
export async function startApp() {
  const clock = new SharedClock();
  const recorder = new Recorder(clock);
  const store = new session.MemoryStore();
  const logged: string[] = [];
  const quiet = {
    warn: (message: string) => logged.push(message),
    error: (message: string) => logged.push(message),
  };
  const app = express();
  app.use(recorder.middleware);
  app.use(
    session({
      secret: SECRET,
      store,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  const security = sessionSecurity({
    drafts: false,
    expireAfter: EXPIRE_AFTER,
    warnAfter: WARN_AFTER,
    loginUrl: '/login',
    isAuthenticated: (req) => typeof req.session.user === 'string',
    logger: quiet,
    clock,
  });
  app.use(security);

  const requireUser = (req: Request, res: Response, next: NextFunction) => {
    if (typeof req.session.user === 'string') return next();
    if (req.headers['sec-fetch-mode'] === 'navigate') {
      return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    }
    res.status(401).json({ status: 'anonymous' });
  };
  const page = (req: Request, title: string, more = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
${security.clientTags(req, { lang: 'en' })}</head>
<body><h1 id="top">${escapeHtml(title)}</h1>
<p id="text">Signed in as ${escapeHtml(req.session.user ?? '')}. Some account details live here.</p>
<p><a id="to-page" href="/page">Another page</a> <a id="to-home" href="/">Home</a></p>
${more}</body></html>`;

  app.get('/login', (_req, res) => {
    res.set('cache-control', 'no-store');
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><p id="text">Please sign in.</p>
<form method="post" action="/login-test"><button id="sign-in" name="user" value="ada">Sign in as Ada</button></form>
</body></html>`);
  });
  app.post('/login-test', express.urlencoded({ extended: false }), (req, res, next) => {
    req.session.regenerate((error: unknown) => {
      if (error) return next(error);
      req.session.user = typeof req.body?.user === 'string' ? req.body.user : 'ada';
      res.redirect(303, '/');
    });
  });
  app.get('/', requireUser, (req, res) => {
    res.set('cache-control', 'no-store');
    res.type('html').send(page(req, 'Home'));
  });
  app.get('/page', requireUser, (req, res) => {
    res.set('cache-control', 'no-store');
    res.type('html').send(page(req, 'Another page'));
  });
  // A page long enough to scroll, with fragments at both ends (the CSP-free way: a tall <pre>).
  app.get('/long', requireUser, (req, res) => {
    res.set('cache-control', 'no-store');
    res
      .type('html')
      .send(page(req, 'A long page', `<pre>${'\n'.repeat(400)}</pre><p id="bottom">The end.</p>`));
  });
  app.post('/form', requireUser, express.urlencoded({ extended: false }), (_req, res) => {
    res.set('cache-control', 'no-store');
    res.type('html').send('<!doctype html><p>Form received.</p>');
  });
  app.post('/logout', async (req, res, next) => {
    try {
      await security.signOut(req);
      res.redirect(303, '/login');
    } catch (error) {
      next(error);
    }
  });

  const server = await listen(app);
  return { ...server, clock, recorder, store, logged };
}

export type TestApp = Awaited<ReturnType<typeof startApp>>;

/** The stored session with this id, as express-session's MemoryStore holds it (a copy). */
export function readSession(
  store: session.MemoryStore,
  sid: string,
): Promise<session.SessionData | undefined> {
  return new Promise((resolve, reject) => {
    store.get(sid, (error: unknown, data?: session.SessionData | null) =>
      error ? reject(error) : resolve(data ?? undefined),
    );
  });
}

/** The session id in the browser context's `connect.sid` cookie for the app. */
export async function sidInBrowser(
  context: BrowserContext,
  appOrigin: string,
): Promise<string | undefined> {
  const cookie = (await context.cookies(appOrigin)).find((c) => c.name === SESSION_COOKIE);
  return cookie ? sidOfCookie(cookie.value) : undefined;
}

/**
 * The hostile pages, for an app at `app` (an origin). `query` parameters: `to`, the app path a
 * form or beacon targets.
 */
function hostilePage(name: string, query: URLSearchParams, app: string): string | undefined {
  const js = (value: string) => JSON.stringify(value);
  const to = query.get('to') ?? '/';
  const head =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Win a prize</title></head><body>';
  switch (name) {
    // A form whose text/plain body reads as JSON: {"sinceActivity":0, "x":"="}
    case '/form':
      return `${head}<form method="post" enctype="text/plain" action="${escapeHtml(app + to)}">
<input name='{"sinceActivity":0, "x":"' value='"}'></form>
<script>document.forms[0].submit();</script></body></html>`;
    case '/fetch-get':
      return `${head}<script>
const url = ${js(`${app}/`)};
fetch(url, { credentials: 'include' }).catch(() => {});
fetch(url, { mode: 'no-cors', credentials: 'include' }).catch(() => {});
</script></body></html>`;
    case '/fetch-ping':
      return `${head}<script>
const url = ${js(`${app}/session-security/ping`)};
const body = '{"sinceActivity":0}';
fetch(url, { method: 'POST', credentials: 'include', headers: { 'content-type': 'text/plain' }, body }).catch(() => {});
fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body }).catch(() => {});
fetch(url, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body }).catch(() => {});
</script></body></html>`;
    case '/fetch-logout':
      return `${head}<script>
const url = ${js(`${app}/session-security/logout`)};
fetch(url, { method: 'POST', credentials: 'include' }).catch(() => {});
fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include' }).catch(() => {});
</script></body></html>`;
    case '/beacon':
      return `${head}<script>
window.beaconQueued = navigator.sendBeacon(${js(app + to)}, '{"sinceActivity":0}');
</script></body></html>`;
    case '/img':
      return `${head}<img alt="" src="${escapeHtml(`${app}/`)}"></body></html>`;
    case '/frame':
      return `${head}<p>Move along.</p>
<iframe id="target" src="${escapeHtml(`${app}/page`)}" width="800" height="500"></iframe></body></html>`;
    case '/frame-link':
      return `${head}<iframe name="f" src="about:blank" width="800" height="400"></iframe>
<p><a id="go" href="${escapeHtml(`${app}/page`)}" target="f">Click for your prize</a></p></body></html>`;
    case '/popup':
      return `${head}<button id="open" type="button">Click for your prize</button>
<script>
document.getElementById('open').addEventListener('click', () => {
  const popup = window.open(${js(`${app}/page`)});
  setTimeout(() => popup && popup.close(), 150);
});
</script></body></html>`;
    // A popup of a long app page whose fragment the opener flips every 300 ms: the popup
    // scrolls (trusted scroll, pointerover, mouseover) with nobody at the keyboard.
    case '/popup-fragment':
      return `${head}<button id="open" type="button">Click for your prize</button>
<script>
window.flips = 0;
document.getElementById('open').addEventListener('click', () => {
  const url = ${js(`${app}/long`)};
  const popup = window.open(url, 'prize', 'width=500,height=400');
  setTimeout(() => setInterval(() => {
    popup.location = url + (window.flips++ % 2 ? '#top' : '#bottom');
  }, 300), 1500);
});
</script></body></html>`;
    default:
      return undefined;
  }
}

/** Serves the hostile pages on 127.0.0.1:0; reach it as 127.0.0.1 (same-site) or localhost (cross-site). */
export async function startHostile(appOrigin: string) {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://hostile.invalid');
    const html = hostilePage(url.pathname, url.searchParams, appOrigin);
    if (html === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

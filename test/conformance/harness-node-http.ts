// The conformance harness for plain node:http with examples/node-http/adapter.ts: the adapter an
// app would write on session-security/adapter, over a small cookie session layer of the harness's
// own (what a real app would take from a session library), sessions kept as JSON in memory.

import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { SessionSecurityRequestError, SessionStoreUnavailableError } from 'session-security';
import {
  type NodeSession,
  type SessionRequest,
  sessionSecurity,
} from '../../examples/node-http/adapter.js';
import { FakeClock, listen } from '../support/http.js';
import {
  type Harness,
  type HarnessOptions,
  jsonSessionCounts,
  type SessionStoreOperation,
  signInAt,
  TEST_DRAFT_SECRET,
  testLock,
  testLogger,
} from './harness.js';

const COOKIE = 'sid';

/** An answer before it is sent: the session is saved first, and a failed save makes it a 503. */
interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Uint8Array | null;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

/** Sessions by id, as JSON; an operation fails while `fails` says so (a store whose server is down). */
class SessionLayer {
  readonly sessions = new Map<string, string>();
  constructor(private readonly fails: (operation: SessionStoreOperation) => boolean) {}

  /** As a session library's store that fails fast fails: a typed error, answered 503. */
  private check(operation: SessionStoreOperation): void {
    if (!this.fails(operation)) return;
    const verb = { get: 'read', set: 'save', destroy: 'destroy' }[operation];
    throw new SessionStoreUnavailableError(verb, 'connect ECONNREFUSED 127.0.0.1:6379');
  }

  /**
   * The request's session: the stored one its cookie names, else a new empty one (stored only
   * once it holds something); undefined when the store failed to read it.
   */
  load(req: IncomingMessage): LoadedSession | undefined {
    const named = cookieOf(req, COOKIE);
    if (named === undefined) return new LoadedSession(this, undefined, {});
    try {
      this.check('get');
    } catch {
      return undefined;
    }
    const stored = this.sessions.get(named);
    if (stored === undefined) return new LoadedSession(this, undefined, {});
    return new LoadedSession(this, named, JSON.parse(stored) as Record<string, unknown>);
  }

  set(id: string, data: Record<string, unknown>): void {
    this.check('set');
    this.sessions.set(id, JSON.stringify(data));
  }

  destroy(id: string): void {
    this.check('destroy');
    this.sessions.delete(id);
  }
}

/** One request's session, as NodeSession; `save()` at the end of the request. */
class LoadedSession implements NodeSession {
  id: string;
  data: Record<string, unknown>;
  private readonly loadedAs: string;
  private destroyed = false;
  constructor(
    private readonly layer: SessionLayer,
    private storedId: string | undefined,
    data: Record<string, unknown>,
  ) {
    this.id = storedId ?? newId();
    this.data = data;
    this.loadedAs = JSON.stringify(data);
  }
  async destroy(): Promise<void> {
    if (this.storedId !== undefined) this.layer.destroy(this.storedId);
    this.destroyed = true;
    this.data = {};
  }
  async regenerate(): Promise<void> {
    if (this.storedId !== undefined) this.layer.destroy(this.storedId);
    this.storedId = undefined;
    this.id = newId();
    this.data = {};
  }
  /** Stores what changed; the `Set-Cookie` the answer needs, if any. */
  save(): string | undefined {
    if (this.destroyed) return `${COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`;
    const now = JSON.stringify(this.data);
    const isNew = this.storedId === undefined;
    if (isNew && Object.keys(this.data).length === 0) return undefined; // nothing to keep
    if (!isNew && now === this.loadedAs) return undefined;
    this.layer.set(this.id, this.data);
    if (!isNew) return undefined;
    this.storedId = this.id;
    return `${COOKIE}=${this.id}; Path=/; HttpOnly; SameSite=Lax`;
  }
}

const newId = () => randomBytes(18).toString('base64url');

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

async function bodyText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await bodyText(req);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** The harness's user of a request: the session's `user`, `''` when anonymous. */
const userOf = (req: SessionRequest): string => String(req.session?.data.user ?? '');

/** Sets the session's `user` (the lock's same-session sign-in). */
function setUser(req: SessionRequest, user: string): void {
  if (req.session) req.session.data.user = user;
}

/** Signs `user` in on a new session (regenerated), as `POST /test/sign-in` and the lock do. */
async function signInAs(req: SessionRequest, user: string): Promise<void> {
  await req.session?.regenerate();
  if (req.session) req.session.data.user = user;
}

export const nodeHttpHarness: Harness = {
  framework: 'node:http',
  async start(options: HarnessOptions = {}) {
    const clock = new FakeClock();
    const logger = testLogger();
    const layer = new SessionLayer(options.sessionStoreFails ?? (() => false));
    const security = sessionSecurity({
      expireAfter: 900,
      warnAfter: 780,
      isAuthenticated: (req) => typeof req.session?.data.user === 'string',
      userId: userOf,
      draftSecret: TEST_DRAFT_SECRET,
      clock,
      logger,
      // No sweep timer: a closed test app's timer would go on sweeping with its own clock.
      sweepInterval: 0,
      trustProxy: options.trustProxy === true,
      ...(options.lock ? { lock: testLock(options.lock, signInAs, setUser) } : {}),
      ...options.security,
    });
    const appErrors: unknown[] = [];
    let formsInFlight = 0;

    const user = (req: SessionRequest) => json(200, { user: req.session?.data.user ?? null });
    const signIns = async (call: () => Promise<unknown>) => {
      try {
        return json(200, await call());
      } catch (error) {
        if (!(error instanceof SessionSecurityRequestError)) throw error;
        return json(error.status, { status: 'error', error: error.message });
      }
    };

    /** The app's routes, by method and path (a HEAD is a GET). */
    async function route(
      req: SessionRequest,
      path: string,
      query: URLSearchParams,
    ): Promise<Answer> {
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      switch (`${method} ${path}`) {
        case 'POST /test/sign-in': {
          await signInAs(req, query.get('user') ?? 'ada');
          if (query.get('start')) await security.start(req);
          return json(200, { signedIn: true });
        }
        case 'POST /test/sign-in-same-session':
          if (req.session) req.session.data.user = 'ada';
          await security.start(req);
          return json(200, { signedIn: true });
        case 'POST /test/sign-out': {
          const headers = await security.signOut(req);
          return json(200, { signedOut: true }, { ...headers });
        }
        case 'POST /test/forget-user':
          delete req.session?.data.user;
          return json(200, { signedOut: true });
        case 'GET /test/sign-ins':
          return signIns(() => security.signIns.list(req));
        case 'POST /test/sign-ins/end': {
          const signIn = (await jsonBody(req)).signIn as string;
          return signIns(async () => ({ ended: await security.signIns.end(req, signIn) }));
        }
        case 'POST /test/sign-ins/end-all': {
          const keepCurrent = (await jsonBody(req)).keepCurrent === true;
          return signIns(async () => ({
            ended: await security.signIns.endAll(req, { keepCurrent }),
          }));
        }
        case 'POST /test/sign-ins/end-user': {
          const userId = (await jsonBody(req)).userId as string;
          return signIns(async () => ({ ended: await security.signIns.endUser(userId) }));
        }
        case 'POST /test/sign-ins/end-everyone':
          return signIns(async () => ({ ended: await security.signIns.endEveryone() }));
        case 'POST /test/sign-ins/sweep':
          return signIns(async () => ({ expired: await security.signIns.sweep() }));
        case 'GET /test/recent':
        case 'POST /test/recent':
          await security.requireRecentSignIn(req, Number(query.get('maxAge')));
          return json(200, { recent: true });
        case 'POST /test/hold': {
          // A refused lease is thrown to `failure` below: its status (401).
          const held = await security.hold(req, options.work ?? (async () => 'done'), {
            maxSeconds: Number(query.get('maxSeconds')),
            label: 'report',
          });
          return json(200, { held });
        }
        case 'POST /form': {
          formsInFlight++;
          try {
            return json(200, { note: new URLSearchParams(await bodyText(req)).get('note') });
          } finally {
            formsInFlight--;
          }
        }
        case 'GET /': {
          const name = req.session?.data.user;
          return {
            status: 200,
            headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
            body: typeof name === 'string' ? `<p>hello ${name}</p>` : '<p>anonymous</p>',
          };
        }
        case 'GET /api/data':
        case 'GET /api/poll':
        case 'GET /events/stream':
          return user(req);
        case 'GET /test/page': {
          const lang = query.get('lang');
          const nonce = query.get('nonce');
          return {
            status: 200,
            headers: { 'content-type': 'text/html; charset=utf-8' },
            body: security.clientTags(req, {
              ...(lang !== null ? { lang } : {}),
              ...(nonce !== null ? { nonce } : {}),
              script: query.get('script') !== 'false',
            }),
          };
        }
        default:
          return json(404, { error: 'not found' });
      }
    }

    /** What the app answers for an error of its handler: as a framework's error handling would. */
    function failure(error: unknown): Answer {
      if (error instanceof SessionStoreUnavailableError) {
        return json(
          503,
          { status: 'error', error: error.message },
          {
            'cache-control': 'no-store',
            ...error.headers,
          },
        );
      }
      if (error instanceof SessionSecurityRequestError) {
        // With the error's headers, if any (a refused recent sign-in's `X-Session-Security`).
        const { headers } = error as { headers?: Record<string, string> };
        return json(error.status, { status: 'error', error: error.message }, headers);
      }
      appErrors.push(error);
      const { status, headers } = error as { status?: unknown; headers?: Record<string, string> };
      // The status the error names (a refused sign-in's), never its message: it may carry input.
      const code = typeof status === 'number' ? status : 500;
      return json(code, { error: STATUS_CODES[code] }, headers);
    }

    async function serve(req: SessionRequest, res: ServerResponse): Promise<void> {
      const loaded = layer.load(req);
      req.session = loaded;
      const target = new URL(req.url ?? '/', 'http://placeholder.invalid');
      let answer: Answer;
      try {
        const reply = await security.handle(req);
        if (reply) answer = { ...reply, headers: { ...reply.headers } };
        else {
          answer = await route(req, target.pathname.replace(/(.)\/+$/, '$1'), target.searchParams);
          await security.settle(req);
        }
      } catch (error) {
        answer = failure(error);
      }
      try {
        // The session the request ends with (none after a destroy), else the one it loaded.
        const session = (req.session as LoadedSession | undefined) ?? loaded;
        const cookie = session?.save();
        if (cookie) answer.headers['set-cookie'] = cookie;
      } catch (error) {
        answer = failure(error);
      }
      res.writeHead(answer.status, answer.headers).end(answer.body ?? undefined);
    }

    const { origin, close } = await listen((req, res) => {
      serve(req, res).catch((error: unknown) => {
        appErrors.push(error);
        res.destroy();
      });
    });
    return {
      origin,
      clock,
      logger,
      appErrors,
      userOf: (req) => userOf(req as SessionRequest),
      formsInFlight: () => formsInFlight,
      ...jsonSessionCounts(layer.sessions),
      close,
      signIn: signInAt(origin),
    };
  },
};

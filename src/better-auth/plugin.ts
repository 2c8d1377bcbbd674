// What the better-auth plugin is made of: the lifecycle over better-auth's session rows, one
// binding per request, and the hooks by which better-auth tells the plugin of its sessions (read,
// made, deleted). No policy of session-security (ARCHITECTURE.md).

import type { AuthContext } from 'better-auth';
import { createAuthMiddleware } from 'better-auth/api';
import { SessionSecurityConfigError } from '../core/errors.js';
import { markerOfStored } from '../core/policy.js';
import type { HoldOptions } from '../server/lifecycle/leases.js';
import type { RequestFacts, SessionAccess, SignInManagement } from '../server/lifecycle.js';
import type { RequestState, WebBinding } from '../web/binding.js';
import { recentSignInResponse, toResponse } from '../web/response.js';
import {
  CLOCK_FIELD,
  type FoundSession,
  findRow,
  type OwnDeletions,
  RowSession,
  rowsOf,
  sessionOf,
  signInCookies,
} from './session.js';

/** The header that tells better-auth's client why its session ended (`idle`, `absolute`, ...). */
export const ENDED_HEADER = 'x-session-security-ended';
/** How long a request waits for better-auth to have started the plugin. */
const INIT_WAIT_MS = 10_000;

/**
 * What `passive` predicates and the other options' functions receive: the request, and
 * better-auth's session and user of it (undefined when it is not signed in).
 *
 * @example
 * ```ts
 * const passive = [({ request }: BetterAuthRequest) => request.headers.has('x-poll')];
 * ```
 */
export interface BetterAuthRequest {
  request: Request;
  readonly session: FoundSession['session'] | undefined;
  readonly user: FoundSession['user'] | undefined;
}

/** One request bound to the lifecycle: its session row (none when anonymous), and its state. */
export interface Bound {
  row: RowSession | undefined;
  state: RequestState<BetterAuthRequest>;
}

/** The plugin's state: its lifecycle, better-auth's context once started, the rows it deletes. */
export class BetterAuthSecurity {
  readonly lifecycle: WebBinding<BetterAuthRequest>['lifecycle'];
  readonly prefix: string;
  /** Rows this process deletes itself: their delete hook has nothing left to do. */
  readonly own: OwnDeletions = new Set();
  #auth: AuthContext | undefined;
  #started: (auth: AuthContext) => void = () => undefined;
  readonly #starting = new Promise<AuthContext>((resolve) => {
    this.#started = resolve;
  });
  /** One binding per Request, so that `check` and then `clientTags` see the same step. */
  readonly #bindings = new WeakMap<Request, Promise<Bound>>();

  constructor(readonly binding: WebBinding<BetterAuthRequest>) {
    this.lifecycle = binding.lifecycle;
    this.prefix = binding.options.prefix;
  }

  /** better-auth's `init`: its context, whose adapters the plugin reads and writes through. */
  start(auth: AuthContext): void {
    this.#auth = auth;
    this.#started(auth);
  }

  /** better-auth's context; waits for better-auth to start the plugin, then gives up clearly. */
  async auth(): Promise<AuthContext> {
    if (this.#auth) return this.#auth;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SessionSecurityConfigError(
              'plugins',
              'better-auth has not started this plugin: add it to betterAuth({ plugins: [...] })',
            ),
          ),
        INIT_WAIT_MS,
      );
    });
    try {
      return await Promise.race([this.#starting, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  ours(request: Request): boolean {
    const path = new URL(request.url).pathname;
    return path === this.prefix || path.startsWith(`${this.prefix}/`);
  }

  bind(request: Request, row: RowSession | undefined): Bound {
    const req: BetterAuthRequest = {
      request,
      get session() {
        return row?.found?.session;
      },
      get user() {
        return row?.found?.user;
      },
    };
    return { row, state: this.binding.bind(request, row, () => req) };
  }

  /** The request bound to its session row, found once per Request. */
  bound(request: Request): Promise<Bound> {
    let known = this.#bindings.get(request);
    if (known === undefined) {
      known = this.auth().then(async (auth) =>
        this.bind(request, await sessionOf(auth, request.headers, this.own)),
      );
      this.#bindings.set(request, known);
    }
    return known;
  }

  /** The policy for one of the app's requests, as `check` answers it. */
  async check(request: Request): Promise<Response | undefined> {
    const { row, state } = await this.bound(request);
    const response = toResponse(await this.lifecycle.handle(state.facts, state.access));
    // An ended sign-in's cookies are cleared with the answer.
    for (const line of row?.setCookies ?? []) response?.headers.append('set-cookie', line);
    return response;
  }

  /** `requireRecentSignIn` as the web handler's: the Response to send, or undefined to go on. */
  async requireRecentSignIn(request: Request, maxAge: number): Promise<Response | undefined> {
    const { state } = await this.bound(request);
    const asked = this.lifecycle.requireRecentSignIn(state.facts, state.access, maxAge);
    return recentSignInResponse(asked, request);
  }

  /** `hold` as the web handler's, on the request's session row: the answer is the work's. */
  async hold<T>(
    request: Request,
    work: Promise<T> | (() => Promise<T>),
    options: HoldOptions,
  ): Promise<T> {
    const { state } = await this.bound(request);
    return this.lifecycle.hold(state.facts, state.access, work, options);
  }

  async signOut(request: Request): Promise<Headers> {
    const { row, state } = await this.bound(request);
    const headers = new Headers(await this.lifecycle.signOut(state.facts, state.access));
    for (const line of row?.setCookies ?? []) headers.append('set-cookie', line);
    return headers;
  }

  /**
   * better-auth's session read (its client's polls and refetches, and `auth.api.getSession`):
   * passive, and refused once the sign-in is over, with the reason in a header. The row is read
   * again whatever better-auth answered from: a copy in its cookie cache may outlive the row.
   */
  readonly onGetSession = createAuthMiddleware(async (ctx) => {
    const returned = ctx.context.returned as { session?: { token?: unknown } } | null | undefined;
    const token = returned?.session?.token;
    if (typeof token !== 'string') return;
    const auth = ctx.context as AuthContext;
    let row: RowSession;
    try {
      row = new RowSession(auth, await findRow(auth, token), this.own);
    } catch {
      row = new RowSession(auth, undefined, this.own, true);
    }
    const headers = new Headers(ctx.request?.headers ?? ctx.headers);
    headers.set('x-session-security', 'passive');
    // The request itself over HTTP; for `auth.api.getSession` its headers, at better-auth's URL.
    const url = ctx.request?.url ?? `${baseOf(auth)}/get-session`;
    const { state } = this.bind(new Request(url, { headers }), row);
    const outcome = await this.lifecycle.handle(state.facts, state.access);
    if (outcome.kind === 'next' && row.found) return;
    if (outcome.kind === 'reply' && outcome.status >= 500) {
      throw ctx.error('SERVICE_UNAVAILABLE', { message: 'the session store is unavailable' });
    }
    for (const { name, attributes } of signInCookies(auth)) {
      ctx.setCookie(name, '', { ...attributes, maxAge: 0 });
    }
    const reason = reasonOf(outcome.kind === 'reply' ? outcome.body : null);
    if (reason !== undefined) ctx.setHeader(ENDED_HEADER, reason);
    return ctx.json(null);
  });

  /** better-auth deletes a session row (a sign-out, a revocation, a ban): its sign-in is over. */
  readonly onDelete = async (row: Record<string, unknown>, ctx: { path?: string } | null) => {
    const auth = this.#auth;
    const token = row.token;
    if (typeof token !== 'string' || this.own.has(token) || auth === undefined) return;
    const found = { session: row, user: { id: row.userId } } as FoundSession;
    const { state } = this.bind(new Request(baseOf(auth)), new RowSession(auth, found, this.own));
    await this.lifecycle.endSignIn(state.access, ctx?.path === '/sign-out' ? 'logout' : 'revoked');
  };

  /** better-auth made a session (a sign-in): its clock starts now, not at its first request. */
  readonly onCreate = async (
    row: Record<string, unknown>,
    ctx: { request?: Request; headers?: Headers } | null,
  ) => {
    const auth = this.#auth;
    const found = auth && (await findRow(auth, String(row.token)));
    if (!auth || !found) return;
    const session = new RowSession(auth, found, this.own);
    const headers = ctx?.request?.headers ?? ctx?.headers ?? {};
    const url = ctx?.request?.url ?? baseOf(auth);
    const { state } = this.bind(new Request(url, { headers }), session);
    try {
      await this.lifecycle.start(state.facts, state.access);
    } catch (error) {
      // No sign-in without its clock: the row goes, and better-auth's answer is the error.
      await session.destroy();
      throw error;
    }
  };

  /** Deletes the user's rows whose sign-in `which` picks, as this process's own. */
  async deleteRows(userId: string, which: (row: FoundSession['session']) => boolean) {
    const auth = await this.auth();
    const chosen = (await rowsOf(auth, userId)).filter(which);
    for (const row of chosen) this.own.add(row.token);
    try {
      if (chosen.length > 0) await auth.internalAdapter.deleteSessions(chosen.map((r) => r.token));
    } finally {
      for (const row of chosen) this.own.delete(row.token);
    }
  }

  /**
   * The sign-in management over better-auth's sessions: the library's list, of the sign-ins
   * whose row still exists; ending one deletes its row.
   */
  signIns(): SignInManagement<Request> {
    const management = this.lifecycle.signIns((b: Bound) => ({
      req: b.state.req,
      session: b.state.access as SessionAccess,
      facts: b.state.facts as RequestFacts<BetterAuthRequest>,
    }));
    const userOf = (b: Bound) => b.row?.found?.user.id;
    return {
      list: async (request) => {
        const b = await this.bound(request);
        const listed = await management.list(b);
        const userId = userOf(b);
        if (userId === undefined) return listed;
        const markers = new Set((await rowsOf(await this.auth(), userId)).map(markerOf));
        return listed.filter((item) => markers.has(item.signIn));
      },
      end: async (request, signIn) => {
        const b = await this.bound(request);
        const ended = await management.end(b, signIn);
        const userId = userOf(b);
        if (userId !== undefined) await this.deleteRows(userId, (row) => markerOf(row) === signIn);
        return ended;
      },
      endAll: async (request, endOptions) => {
        const b = await this.bound(request);
        const count = await management.endAll(b, endOptions);
        const current = endOptions?.keepCurrent ? b.row?.found?.session.id : undefined;
        const userId = userOf(b);
        if (userId !== undefined) await this.deleteRows(userId, (row) => row.id !== current);
        return count;
      },
      endUser: async (userId) => {
        const count = await management.endUser(userId);
        await this.deleteRows(userId, () => true);
        return count;
      },
      endEveryone: () => management.endEveryone(),
      sweep: () => management.sweep(),
    };
  }
}

/**
 * better-auth's URL (its base path included), or a stand-in where it is worked out per request
 * (a `baseURL` of allowed hosts): requests made from hooks use it for their facts only.
 */
function baseOf(auth: AuthContext): string {
  return auth.baseURL || 'http://localhost/api/auth';
}

/** The sign-in marker a session row's clock names. */
function markerOf(row: Record<string, unknown>): string | undefined {
  const value = row[CLOCK_FIELD];
  if (typeof value !== 'string') return undefined;
  try {
    return markerOfStored(JSON.parse(value));
  } catch {
    return undefined;
  }
}

/** The reason of a 401 answer of the library (`{"status":"expired","reason":"idle"}`). */
function reasonOf(body: string | Uint8Array | null): string | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const reason = (JSON.parse(body) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}

// The Express adapter: translates Express + express-session requests for the lifecycle and
// its outcomes back into responses. Holds no policy.

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type {} from 'express-session';
import { resolveOptions, type SessionSecurityOptions } from '../core/options.js';
import type { SecurityState } from '../core/policy.js';
import { bodyParsedEarlier, readNodeBody } from './body.js';
import { createLifecycle, type RequestFacts, type SessionAccess } from './lifecycle.js';
import { appMethods, type SessionSecurityMethods } from './methods.js';
import { NodeFacts, type NodeRequestSource, originOf } from './node-facts.js';

export {
  guardSessionStore,
  type SessionStoreGuardOptions,
  SessionStoreUnavailableError,
  storeUnavailableHandler,
} from './session-store-guard.js';

declare module 'express-session' {
  interface SessionData {
    /** The inactivity clock of session-security, or with an external store only its sign-in's marker. */
    sessionSecurity: string | SecurityState | { id: string };
  }
}

/** The middleware, with what an app calls on a request (README: Express quick start). */
export interface ExpressSessionSecurity extends RequestHandler, SessionSecurityMethods<Request> {
  /**
   * Signs the user out for good, from the app's own sign-out route: ends the session (the
   * `logout` hook, or `req.session.destroy()`), remembers the sign-in as ended so that no
   * request still in flight can save it back, clears the session cookie and sets
   * `Clear-Site-Data` (`clearSiteData`). Then answer, e.g. with a redirect to the login page. A
   * request that another origin made is refused: it rejects with a `SessionSecurityRequestError`
   * whose `status` is 403, and nothing is ended.
   *
   * @example
   * ```ts
   * app.post('/logout', async (req, res) => {
   *   await security.signOut(req);
   *   res.redirect(303, '/login');
   * });
   * ```
   */
  signOut(req: Request): Promise<void>;
}

/**
 * Server-enforced inactivity timeout for Express with express-session, and the ping protocol
 * under `prefix`. Mount it after `express-session` and before your routes and body parsers.
 *
 * @param options - the options of the README's Options; `isAuthenticated` is required
 * @returns the middleware, with `start(req)` for sign-in
 * @throws SessionSecurityConfigError at construction for a bad option
 * @example
 * ```ts
 * import express from 'express';
 * import session from 'express-session';
 * import { sessionSecurity } from 'session-security/express';
 *
 * const app = express();
 * app.use(session({ secret: process.env.SESSION_SECRET!, resave: false, saveUninitialized: false }));
 * app.use(sessionSecurity({ expireAfter: 900, loginUrl: '/login', isAuthenticated: (req) => Boolean(req.session.user) }));
 * ```
 */
export function sessionSecurity(options: SessionSecurityOptions<Request>): ExpressSessionSecurity {
  const resolved = resolveOptions(options);
  const lifecycle = createLifecycle(resolved);

  const access = (req: Request): SessionAccess => new ExpressSessionAccess(req, resolved.logout);

  const middleware = async function sessionSecurity(
    req: Request,
    res: Response,
    next: NextFunction,
  ): Promise<void> {
    try {
      const session = access(req);
      const requestFacts = facts(req);
      const outcome = await lifecycle.handle(requestFacts, session);
      if (outcome.kind === 'next') {
        if (lifecycle.settles(session)) {
          settleBeforeEnd(res, () => lifecycle.settle(requestFacts, session));
        }
        return next();
      }
      res
        .status(outcome.status)
        .set(outcome.headers)
        .end(outcome.body ?? undefined);
    } catch (error) {
      next(error);
    }
  };

  const methods = appMethods(lifecycle, (req: Request) => ({
    req,
    facts: facts(req),
    session: access(req),
  }));
  return Object.assign(middleware, methods, {
    signOut: async (req: Request) => {
      const headers = await methods.signOut(req);
      if (!req.res?.headersSent) req.res?.set(headers);
    },
  });
}

/**
 * Runs `settle` after the app's handler and before express-session saves the session: its
 * `res.end` (patched when the session middleware ran, before ours) is called once `settle` is
 * done, as express-session itself delays `end` until the session is saved.
 */
function settleBeforeEnd(res: Response, settle: () => Promise<unknown>): void {
  const end = res.end;
  res.end = function endAfterSettling(this: Response, ...args: unknown[]) {
    res.end = end;
    // settle never rejects (the lifecycle reports what fails): the response always ends.
    void settle().then(() => (end as (...a: unknown[]) => Response).apply(this, args));
    return this;
  } as Response['end'];
}

/**
 * The session of one request as the lifecycle sees it. A class, not an object of closures: it is
 * made for every request, and its methods are shared.
 */
class ExpressSessionAccess implements SessionAccess {
  constructor(
    private readonly req: Request,
    private readonly logout: ((req: Request) => void | Promise<void>) | undefined,
  ) {}
  exists(): boolean {
    return this.req.session !== undefined;
  }
  id(): string | undefined {
    return this.req.session ? this.req.sessionID : undefined;
  }
  read(): unknown {
    return this.req.session?.sessionSecurity;
  }
  write(value: unknown): void {
    this.req.session.sessionSecurity = value as string | SecurityState | { id: string };
  }
  clear(): void {
    delete this.req.session.sessionSecurity;
  }
  async end(keepSession: boolean): Promise<void> {
    const { req } = this;
    const endedId = req.sessionID;
    if (this.logout) await this.logout(req);
    else await (keepSession ? regenerate(req) : destroy(req));
    // Whatever the hook did, no clock survives it: a later sign-in starts afresh.
    if (req.session) delete req.session.sessionSecurity;
    clearSessionCookie(req, endedId);
  }
}

/**
 * Clears the cookie that named an ended session, unless the session lives on under that id.
 * express-session does not expose its cookie's name: it is the cookie whose signed value
 * (`s:<id>.<signature>`) carries the ended id. A regenerated session that is saved sets its own
 * cookie after this one, which then wins.
 */
function clearSessionCookie(req: Request, endedId: string | undefined): void {
  const livesOn = req.session !== undefined && req.sessionID === endedId;
  if (endedId === undefined || livesOn || req.res?.headersSent !== false) return;
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      continue;
    }
    if (!value.startsWith(`s:${endedId}.`)) continue;
    const cookie = req.session?.cookie;
    req.res.clearCookie(pair.slice(0, at).trim(), {
      path: cookie?.path ?? '/',
      ...(cookie?.domain ? { domain: cookie.domain } : {}),
    });
  }
}

/** Where Express's requests give their origin (its `trust proxy` setting) and their body. */
const expressRequests: NodeRequestSource<Request> = {
  origin: (req) => originOf(req.protocol, req.host),
  // When a body parser ran first, the stream is spent and its result is in req.body (duplicated
  // keys are then already merged: mount session-security first).
  readBody: (req, limitBytes) =>
    req.readableEnded
      ? Promise.resolve(bodyParsedEarlier(undefined, req.body, limitBytes))
      : readNodeBody(req, limitBytes),
};

function facts(req: Request): RequestFacts<Request> {
  return new NodeFacts(req, req.method, req.path, req.originalUrl, req.headers, expressRequests);
}

function destroy(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.destroy((error: unknown) => (error ? reject(error) : resolve()));
  });
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((error: unknown) => (error ? reject(error) : resolve()));
  });
}

// The Express adapter: translates Express + express-session requests for the lifecycle and
// its outcomes back into responses (express-session's own glue: express-session.ts). Holds no
// policy.

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type {} from 'express-session';
import { resolveOptions, type SessionSecurityOptions } from '../core/options.js';
import type { SecurityState } from '../core/policy.js';
import { bodyParsedEarlier, readNodeBody } from './body.js';
import { ExpressSessionAccess } from './express-session.js';
import {
  createLifecycle,
  type Lifecycle,
  type RequestFacts,
  type SessionAccess,
} from './lifecycle.js';
import { isPromise, type Maybe } from './maybe.js';
import { appMethods, type SessionSecurityMethods } from './methods.js';
import { NodeFacts, type NodeRequestSource, originOf } from './node-facts.js';
import type { Outcome, Reply } from './outcome.js';

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

/** The middleware, with what an app calls on a request (docs/guide/express.md: Express quick start). */
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
 * @param options - the options of docs/guide/options.md; `isAuthenticated` is required
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
 * app.use(
 *   sessionSecurity({
 *     expireAfter: 900,
 *     loginUrl: '/login',
 *     isAuthenticated: (req) => Boolean(req.session.user),
 *     userId: (req) => req.session.user ?? '', // drafts: forms kept for the same user
 *     draftSecret: process.env.DRAFT_SECRET,
 *   }),
 * );
 * ```
 */
export function sessionSecurity(options: SessionSecurityOptions<Request>): ExpressSessionSecurity {
  const resolved = resolveOptions(options);
  const lifecycle = createLifecycle(resolved);

  const access = (req: Request): SessionAccess => new ExpressSessionAccess(req, resolved.logout);

  const middleware = expressMiddleware(lifecycle, access);

  const methods = appMethods(lifecycle, (req: Request) => ({
    req,
    facts: expressFacts(req),
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
 * The middleware over a lifecycle: the library's routes and the policy for every other request.
 * Not an async function: a request the lifecycle decides at once (a signed-in page with the
 * default store) goes on to the app with no promise made.
 */
export function expressMiddleware(
  lifecycle: Lifecycle<Request>,
  access: (req: Request) => SessionAccess,
): RequestHandler {
  /** Goes on to the app, or answers the request itself. Made once, not per request. */
  function answer(
    outcome: Outcome,
    requestFacts: RequestFacts<Request>,
    session: SessionAccess,
    res: Response,
    next: NextFunction,
  ): void {
    if (outcome.kind === 'next') {
      if (lifecycle.settles(session)) {
        settleBeforeEnd(res, () => lifecycle.settle(requestFacts, session));
      }
      next();
      return;
    }
    sendExpressReply(res, outcome);
  }

  return function sessionSecurity(req: Request, res: Response, next: NextFunction): void {
    const session = access(req);
    const requestFacts = expressFacts(req);
    let outcome: Maybe<Outcome>;
    try {
      outcome = lifecycle.handle(requestFacts, session);
    } catch (error) {
      next(error);
      return;
    }
    if (isPromise(outcome)) {
      outcome.then((known) => answer(known, requestFacts, session, res, next)).catch(next);
    } else answer(outcome, requestFacts, session, res, next);
  };
}

/** Sends the lifecycle's reply as it is. */
export function sendExpressReply(res: Response, outcome: Reply): void {
  res
    .status(outcome.status)
    .set(outcome.headers)
    .end(outcome.body ?? undefined);
}

/**
 * Runs `settle` after the app's handler and before express-session saves the session: its
 * `res.end` (patched when the session middleware ran, before ours) is called once `settle` is
 * done, as express-session itself delays `end` until the session is saved.
 */
export function settleBeforeEnd(res: Response, settle: () => Promise<unknown>): void {
  const end = res.end;
  res.end = function endAfterSettling(this: Response, ...args: unknown[]) {
    res.end = end;
    // settle never rejects (the lifecycle reports what fails): the response always ends.
    void settle().then(() => (end as (...a: unknown[]) => Response).apply(this, args));
    return this;
  } as Response['end'];
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

/** An Express request's facts for the lifecycle. */
export function expressFacts(req: Request): RequestFacts<Request> {
  return new NodeFacts(req, req.method, req.path, req.originalUrl, req.headers, expressRequests);
}

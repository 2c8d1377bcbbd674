// The Express adapter: translates Express + express-session requests for the lifecycle and
// its outcomes back into responses. Holds no policy.

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type {} from 'express-session';
import { resolveOptions, type SessionSecurityOptions } from '../core/options.js';
import type { SecurityState } from '../core/policy.js';
import { type ClientTagsOptions, renderClientTags } from './html.js';
import {
  type BodyRead,
  createLifecycle,
  type RequestFacts,
  type SessionAccess,
} from './lifecycle.js';

declare module 'express-session' {
  interface SessionData {
    /** The inactivity clock of session-security. */
    sessionSecurity: SecurityState;
  }
}

/** The middleware, with what an app calls at sign-in. */
export interface ExpressSessionSecurity extends RequestHandler {
  /**
   * Starts a fresh inactivity clock for a new sign-in. Optional: the first request of a
   * signed-in session without a clock starts one; call it when you sign a user in without
   * regenerating the session.
   */
  start(req: Request): Promise<void>;
  /**
   * The tags that put the browser client on a page of a signed-in session (stylesheet, JSON
   * config with the page's catalogue, deferred script); an empty string for anonymous requests.
   * Call it in the handler of the page, after this middleware has run.
   *
   * @example
   * ```ts
   * res.send(`<head>${security.clientTags(req, { lang: 'fr', nonce: res.locals.nonce })}</head>…`);
   * ```
   */
  clientTags(req: Request, options?: ClientTagsOptions): string;
}

/**
 * Server-enforced inactivity timeout for Express with express-session, and the ping protocol
 * under `prefix`. Mount it after `express-session` and before your routes and body parsers.
 *
 * @param options - DESIGN §2; `isAuthenticated` is required
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

  function access(req: Request): SessionAccess {
    return {
      exists: () => req.session !== undefined,
      read: () => req.session?.sessionSecurity,
      write: (state) => {
        req.session.sessionSecurity = state;
      },
      clear: () => {
        delete req.session.sessionSecurity;
      },
      end: async () => {
        if (resolved.logout) await resolved.logout(req);
        else await regenerate(req);
        // Whatever the hook did, no clock survives it: a later sign-in starts afresh.
        if (req.session) delete req.session.sessionSecurity;
      },
    };
  }

  const middleware = async function sessionSecurity(
    req: Request,
    res: Response,
    next: NextFunction,
  ): Promise<void> {
    try {
      const outcome = await lifecycle.handle(facts(req), access(req));
      if (outcome.kind === 'next') return next();
      if (outcome.kind === 'redirect') {
        return res.set('cache-control', 'no-store').redirect(303, outcome.location);
      }
      if (outcome.kind === 'asset') {
        res.status(outcome.status).set(outcome.headers).end(outcome.body);
        return;
      }
      res.status(outcome.answer.status).set(outcome.answer.headers).json(outcome.answer.body);
    } catch (error) {
      next(error);
    }
  };

  return Object.assign(middleware, {
    start: (req: Request) => lifecycle.start(access(req)),
    clientTags: (req: Request, tagOptions?: ClientTagsOptions) => {
      const status = lifecycle.clientStatus(access(req));
      return status ? renderClientTags(status, resolved, tagOptions) : '';
    },
  });
}

function facts(req: Request): RequestFacts<Request> {
  return {
    req,
    method: req.method,
    path: req.path,
    url: req.originalUrl,
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    appOrigin: appOrigin(req),
    readBody: (limitBytes) => readBody(req, limitBytes),
  };
}

/** The app's origin as Express sees it: `req.protocol` and `req.host` honour `trust proxy`. */
function appOrigin(req: Request): string {
  try {
    return new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return ''; // no usable Host: no Origin can match it
  }
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((error: unknown) => (error ? reject(error) : resolve()));
  });
}

/**
 * Reads the raw body up to a limit. When a body parser ran first, the stream is spent and its
 * result is in req.body (duplicated keys are then already merged: mount session-security first).
 */
function readBody(req: Request, limitBytes: number): Promise<BodyRead> {
  if (req.readableEnded) {
    const text =
      typeof req.body === 'string' || req.body === undefined
        ? (req.body ?? '')
        : JSON.stringify(req.body);
    return Promise.resolve(
      Buffer.byteLength(text) > limitBytes ? { tooLarge: true } : { tooLarge: false, text },
    );
  }
  if (Number(req.headers['content-length'] ?? 0) > limitBytes) {
    return Promise.resolve({ tooLarge: true });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.resume(); // discard the rest so the connection can be reused
        resolve({ tooLarge: true });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ tooLarge: false, text: Buffer.concat(chunks).toString('utf8') });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

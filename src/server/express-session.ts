// Glue for express-session: the session of one Express request as the lifecycle reads and ends
// it, and the session cookie cleared once its session is gone (express-session does not expose
// the cookie's name). No policy of session-security.

import type { Request } from 'express';
import type {} from 'express-session';
import type { SecurityState } from '../core/policy.js';
import type { SessionAccess } from '../core/store.js';

/**
 * The session of one request as the lifecycle sees it. A class, not an object of closures: it is
 * made for every request, and its methods are shared.
 */
export class ExpressSessionAccess implements SessionAccess {
  constructor(
    private readonly req: Request,
    private readonly logout: ((req: Request) => void | Promise<void>) | undefined,
  ) {}
  exists(): boolean {
    return this.req.session !== undefined;
  }
  cookieHeld(): string | undefined {
    const { req } = this;
    return req.session !== undefined &&
      (req as { sessionStore?: unknown }).sessionStore === undefined
      ? 'the session middleware has no sessionStore (a cookie session, such as cookie-session)'
      : undefined;
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
  save(): Promise<void> {
    const { session } = this.req;
    return new Promise((resolve, reject) =>
      session.save((error: unknown) => (error ? reject(error) : resolve())),
    );
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
